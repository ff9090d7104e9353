/**
 * Real tRPC adapters for integration tests: the standalone HTTP server, Express and the fetch
 * adapter, plus a tiny raw tRPC-over-HTTP caller that returns the status, the JSON body and every
 * Set-Cookie header.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import express, { type RequestHandler } from 'express';

/** A createContext that any adapter may call (each passes its own options). */
export type AnyCreateContext<TRouter extends AnyTRPCRouter> = (
  opts: any,
) => inferRouterContext<TRouter> | Promise<inferRouterContext<TRouter>>;

/** Somewhere to send tRPC requests: `url` is the tRPC base URL (ends in `/trpc`). */
export interface Endpoint {
  readonly name: 'standalone' | 'express' | 'fetch';
  readonly url: string;
  send(url: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/trpc`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
}

/** The router on `createHTTPServer` (standalone adapter) at 127.0.0.1, a free port, path `/trpc`. */
export async function startStandalone<TRouter extends AnyTRPCRouter>(
  router: TRouter,
  createContext: AnyCreateContext<TRouter>,
  opts: { allowMethodOverride?: boolean } = {},
): Promise<Endpoint> {
  const server = createHTTPServer({ router, createContext, basePath: '/trpc/', ...opts });
  const url = await listen(server);
  return { name: 'standalone', url, send: (u, init) => fetch(u, init), close: closer(server) };
}

/** The router on Express's `createExpressMiddleware`, mounted at `/trpc`, after `before` middleware. */
export async function startExpress<TRouter extends AnyTRPCRouter>(
  router: TRouter,
  createContext: AnyCreateContext<TRouter>,
  opts: { before?: RequestHandler; allowMethodOverride?: boolean } = {},
): Promise<Endpoint> {
  const app = express();
  if (opts.before) app.use(opts.before);
  const { before: _before, ...handlerOpts } = opts;
  app.use('/trpc', createExpressMiddleware({ router, createContext, ...handlerOpts }));
  const server = app.listen(0, '127.0.0.1');
  const url = await listen(server);
  return { name: 'express', url, send: (u, init) => fetch(u, init), close: closer(server) };
}

/** The router on `fetchRequestHandler`, called in-process with real `Request` objects. */
export function fetchHandler<TRouter extends AnyTRPCRouter>(
  router: TRouter,
  createContext: AnyCreateContext<TRouter>,
  opts: { allowMethodOverride?: boolean } = {},
): Endpoint {
  return {
    name: 'fetch',
    url: 'http://localhost/trpc',
    send: (u, init) =>
      fetchRequestHandler({ endpoint: '/trpc', req: new Request(u, init), router, createContext, ...opts }),
    close: async () => {},
  };
}

/** All three adapters on one router, for `describe.each`. */
export async function startAll<TRouter extends AnyTRPCRouter>(
  router: TRouter,
  createContext: AnyCreateContext<TRouter>,
): Promise<Endpoint[]> {
  return [
    await startStandalone(router, createContext),
    await startExpress(router, createContext),
    fetchHandler(router, createContext),
  ];
}

/** Serialises inputs and deserialises outputs, e.g. superjson. */
export interface WireTransformer {
  serialize(value: unknown): unknown;
  deserialize(value: never): unknown;
}

export interface CallOptions {
  /** `query` is sent as GET (input in the URL), `mutation` as POST (input as JSON body). @default 'query' */
  type?: 'query' | 'mutation';
  input?: unknown;
  headers?: Record<string, string>;
  /** Overrides the HTTP method (tRPC answers 405 for a method its procedure type does not take). */
  method?: string;
  /** Extra query-string parameters; repeated when given an array. */
  query?: Record<string, string | readonly string[]>;
  /** A raw body instead of the JSON input (e.g. FormData). */
  body?: BodyInit;
  transformer?: WireTransformer;
}

/** The error shape as the client gets it. */
export interface WireError {
  message: string;
  code: number;
  data: {
    code: string;
    httpStatus: number;
    path?: string;
    jwt?: { code: string } | null;
    [key: string]: unknown;
  };
}

export interface CallResult<T = unknown> {
  status: number;
  /** The response body as JSON (after the transformer, if any). */
  body: { result?: { data: T }; error?: WireError };
  data: T | undefined;
  error: WireError | undefined;
  setCookies: string[];
}

/** One raw tRPC call over HTTP (no batching), returning status, JSON body and Set-Cookie headers. */
export async function callTrpc<T = unknown>(
  endpoint: Endpoint,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult<T>> {
  const type = opts.type ?? 'query';
  const url = new URL(`${endpoint.url}/${path}`);
  const wireInput =
    opts.input === undefined ? undefined : (opts.transformer?.serialize(opts.input) ?? opts.input);
  const headers = new Headers(opts.headers);
  let body: BodyInit | undefined = opts.body;
  if (type === 'query' && wireInput !== undefined) {
    url.searchParams.set('input', JSON.stringify(wireInput));
  }
  if (type === 'mutation' && body === undefined) {
    // as httpLink: JSON content type always, no body when the input is undefined
    if (wireInput !== undefined) body = JSON.stringify(wireInput);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  for (const [key, value] of Object.entries(opts.query ?? {})) {
    for (const v of typeof value === 'string' ? [value] : value) url.searchParams.append(key, v);
  }
  const method = opts.method ?? (type === 'query' ? 'GET' : 'POST');
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const res = await endpoint.send(url.toString(), init);
  const text = await res.text();
  let parsed = (text === '' ? {} : JSON.parse(text)) as CallResult<T>['body'];
  if (opts.transformer) {
    if (parsed.error) parsed = { error: opts.transformer.deserialize(parsed.error as never) as WireError };
    else if (parsed.result) {
      parsed = { result: { data: opts.transformer.deserialize(parsed.result.data as never) as T } };
    }
  }
  return {
    status: res.status,
    body: parsed,
    data: parsed.result?.data,
    error: parsed.error,
    setCookies: res.headers.getSetCookie(),
  };
}

/** A `Cookie` request header from name/value pairs. */
export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/** A parsed Set-Cookie header: name, value, and attributes keyed by lower-case name (flags → true). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
  raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...attrs] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const attr of attrs) {
    const i = attr.indexOf('=');
    if (i === -1) attributes[attr.trim().toLowerCase()] = true;
    else attributes[attr.slice(0, i).trim().toLowerCase()] = attr.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}

/** The Set-Cookie headers of a response by cookie name (throws on a name set twice). */
export function cookiesByName(setCookies: readonly string[]): Record<string, SetCookie> {
  const out: Record<string, SetCookie> = {};
  for (const raw of setCookies) {
    const cookie = parseSetCookie(raw);
    if (out[cookie.name]) throw new Error(`cookie ${cookie.name} was set twice`);
    out[cookie.name] = cookie;
  }
  return out;
}
