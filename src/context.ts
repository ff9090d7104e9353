import { parseCookieHeader } from './cookies.js';

type HeaderBag = Headers | Record<string, string | string[] | undefined> | Iterable<[string, string]>;

/** What `createJwtContext` accepts: any tRPC adapter's createContext options, or plain headers. */
export type CreateJwtContextOptions =
  /** fetch adapter (Next.js app router, Hono, Bun, Workers) */
  | { req: Request; resHeaders?: Headers; info?: RequestInfoLike }
  /** node adapters (standalone, express, Next.js pages) and ws */
  | { req: NodeRequestLike; res?: unknown; info?: RequestInfoLike }
  /** server-side callers, server components and tests */
  | {
      headers: HeaderBag;
      method?: string;
      url?: string | URL;
      /** Receives Set-Cookie values; without it, setting a cookie throws. */
      setCookie?: (serialized: string) => void;
      info?: RequestInfoLike;
    };

/** The parts of tRPC's `info` that are read. */
export interface RequestInfoLike {
  /** tRPC types it `Dict<string>` (values may be undefined). */
  connectionParams?: Record<string, string | undefined> | null;
  /** tRPC's `trpc-accept` header: `application/jsonl` for streamed (httpBatchStreamLink) responses. */
  accept?: string | null;
}

/** How a request arrived (`ctx.jwt.transport`). */
export type JwtTransport = 'http' | 'websocket' | 'server';

/** The parts of a node IncomingMessage that are read. */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  method?: string | undefined;
  url?: string | undefined;
}

interface NodeResponseLike {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
  headersSent?: boolean;
}

function isNodeResponse(res: unknown): res is NodeResponseLike {
  return (
    typeof res === 'object' &&
    res !== null &&
    typeof (res as NodeResponseLike).setHeader === 'function' &&
    typeof (res as NodeResponseLike).getHeader === 'function'
  );
}

/**
 * The request as the JWT layer sees it (`ctx.jwt`): headers, cookies, method, URL and connection
 * params, plus a Set-Cookie writer. Captured by `createJwtContext`; nothing is verified here.
 */
export class JwtRequest {
  /** Upper-case HTTP method, or undefined for server-side callers. */
  readonly method: string | undefined;
  /** Connection params of a subscription (tRPC's `info.connectionParams`). */
  readonly connectionParams: Record<string, string | undefined> | null;
  /** True once this request has unset the JWT cookies (logout): implicit refresh never re-sets them. */
  cookiesUnset = false;
  /** Cookies set on this request's response, by name (the last value set). */
  readonly cookiesSet = new Map<string, string>();
  /** True when the response is streamed (headers go out before procedures finish). */
  readonly streaming: boolean;
  /**
   * How the request arrived: an HTTP call, a WebSocket connection (every operation on the socket
   * shares its upgrade request), or a server-side context built by the app.
   */
  readonly transport: JwtTransport;

  readonly #getHeader: (name: string) => string | undefined;
  readonly #rawUrl: () => string | URL | undefined;
  readonly #writeCookie: ((serialized: string) => void) | undefined;
  readonly #setHeader: ((name: string, value: string) => void) | undefined;
  readonly #noWriterReason: string;
  #cookies: Map<string, string> | undefined;
  readonly #cookieConflicts = new Set<string>();
  #url: URL | null | undefined;

  constructor(init: {
    getHeader: (name: string) => string | undefined;
    method: string | undefined;
    url: () => string | URL | undefined;
    connectionParams: Record<string, string | undefined> | null | undefined;
    writeCookie: ((serialized: string) => void) | undefined;
    setHeader?: ((name: string, value: string) => void) | undefined;
    streaming?: boolean | undefined;
    /** @default 'http' (the strictest: no connection params outside subscriptions, no json from a GET) */
    transport?: JwtTransport | undefined;
    noWriterReason: string;
  }) {
    this.#getHeader = init.getHeader;
    this.method = init.method?.toUpperCase();
    this.#rawUrl = init.url;
    this.connectionParams = init.connectionParams ?? null;
    this.#writeCookie = init.writeCookie;
    this.#setHeader = init.setHeader;
    this.streaming = init.streaming ?? false;
    this.transport = init.transport ?? 'http';
    this.#noWriterReason = init.noWriterReason;
  }

  /**
   * Sets a response header where the transport has one (HTTP adapters); returns false otherwise
   * (WebSocket, server-side callers) or when the headers were already sent.
   */
  setResponseHeader(name: string, value: string): boolean {
    if (!this.#setHeader) return false;
    try {
      this.#setHeader(name, value);
      return true;
    } catch {
      return false;
    }
  }

  /** A request header (case-insensitive); repeated headers are joined with `, `. */
  header(name: string): string | undefined {
    return this.#getHeader(name.toLowerCase());
  }

  /** A request cookie by name (the first one when the name repeats: see `hasCookieConflict`). */
  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookieHeader(this.header('cookie'), this.#cookieConflicts);
    return this.#cookies.get(name);
  }

  /** True when the request carries the cookie `name` more than once with different values. */
  hasCookieConflict(name: string): boolean {
    this.cookie(name);
    return this.#cookieConflicts.has(name);
  }

  /** The request URL, when known. */
  get url(): URL | undefined {
    if (this.#url === undefined) {
      const raw = this.#rawUrl();
      try {
        this.#url = raw === undefined ? null : new URL(raw, 'http://localhost');
      } catch {
        this.#url = null;
      }
    }
    return this.#url ?? undefined;
  }

  /** True when this context can set cookies on a response. */
  get canSetCookies(): boolean {
    return this.#writeCookie !== undefined && !this.streaming;
  }

  /** Appends a Set-Cookie header to the response (never replacing another cookie). */
  appendSetCookie(name: string, serialized: string): void {
    if (!this.#writeCookie) {
      throw new Error(`trpc-jwt-extended: cannot set cookie "${name}": ${this.#noWriterReason}`);
    }
    if (this.streaming) {
      // The fetch adapter would drop it silently: the streamed response's headers are already built.
      throw new Error(
        `trpc-jwt-extended: cannot set cookie "${name}": the response is streamed (httpBatchStreamLink), so its headers were sent before the procedure ran; call this procedure with httpLink or httpBatchLink`,
      );
    }
    this.#writeCookie(serialized);
    this.cookiesSet.set(name, serialized);
  }
}

/** The part of a tRPC context that the JWT procedures need. */
export interface JwtContextPart {
  jwt: JwtRequest;
}

function headerGetterFromRecord(headers: Record<string, string | string[] | undefined>) {
  const lower = new Map<string, string>();
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(key.toLowerCase() === 'cookie' ? '; ' : ', ') : value;
    const k = key.toLowerCase();
    const prev = lower.get(k);
    lower.set(k, prev === undefined ? joined : `${prev}${k === 'cookie' ? '; ' : ', '}${joined}`);
  }
  return (name: string) => lower.get(name);
}

function headerGetter(bag: HeaderBag): (name: string) => string | undefined {
  if (typeof (bag as Headers).get === 'function' && typeof (bag as Headers).has === 'function') {
    const headers = bag as Headers;
    return (name) => headers.get(name) ?? undefined;
  }
  if (typeof (bag as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return headerGetterFromRecord(Object.fromEntries(bag as Iterable<[string, string]>));
  }
  return headerGetterFromRecord(bag as Record<string, string | string[] | undefined>);
}

/**
 * The ws adapter passes the upgrade request as `req` and the socket as `res`. Both must hold: a
 * plain HTTP request that merely carries an `Upgrade` header still has a ServerResponse.
 */
function isWebSocketUpgrade(req: NodeRequestLike, res: unknown): boolean {
  const socket = res as { send?: unknown; close?: unknown; readyState?: unknown } | null | undefined;
  return (
    String(req.headers?.upgrade ?? '').toLowerCase() === 'websocket' &&
    !isNodeResponse(res) &&
    typeof socket?.send === 'function' &&
    typeof socket.close === 'function' &&
    typeof socket.readyState === 'number'
  );
}

function nodeCookieWriter(res: NodeResponseLike): (serialized: string) => void {
  return (serialized) => {
    if (res.headersSent)
      throw new Error('trpc-jwt-extended: cannot set a cookie after the response headers were sent');
    const prev = res.getHeader('set-cookie');
    const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
    list.push(serialized);
    res.setHeader('set-cookie', list);
  };
}

/**
 * Builds `ctx.jwt` from any tRPC adapter's createContext options. Never verifies and never throws
 * for a bad token (a throwing createContext would fail a whole batch).
 */
export function createJwtContext(opts: CreateJwtContextOptions): JwtContextPart {
  const info = opts.info;
  const connectionParams = info?.connectionParams ?? null;
  if ('req' in opts && opts.req) {
    const req = opts.req;
    if (typeof (req as Request).headers?.get === 'function') {
      const fetchReq = req as Request;
      const resHeaders = (opts as { resHeaders?: Headers }).resHeaders;
      return {
        jwt: new JwtRequest({
          getHeader: (name) => fetchReq.headers.get(name) ?? undefined,
          method: fetchReq.method,
          url: () => fetchReq.url,
          connectionParams,
          writeCookie: resHeaders ? (c) => resHeaders.append('set-cookie', c) : undefined,
          setHeader: resHeaders ? (name, value) => resHeaders.set(name, value) : undefined,
          streaming: info?.accept === 'application/jsonl',
          transport: 'http',
          noWriterReason:
            'no resHeaders were passed to createJwtContext (pass the fetch adapter options through)',
        }),
      };
    }
    const nodeReq = req as NodeRequestLike;
    const res = (opts as { res?: unknown }).res;
    return {
      jwt: new JwtRequest({
        getHeader: headerGetterFromRecord(nodeReq.headers ?? {}),
        method: nodeReq.method,
        url: () =>
          nodeReq.url === undefined
            ? undefined
            : `http://${nodeReq.headers?.host ?? 'localhost'}${nodeReq.url}`,
        connectionParams,
        writeCookie: isNodeResponse(res) ? nodeCookieWriter(res) : undefined,
        setHeader: isNodeResponse(res)
          ? (name, value) => {
              if (res.headersSent) throw new Error('headers already sent');
              res.setHeader(name, value);
            }
          : undefined,
        streaming: info?.accept === 'application/jsonl',
        transport: isWebSocketUpgrade(nodeReq, res) ? 'websocket' : 'http',
        noWriterReason:
          res === undefined
            ? 'no response object was passed to createJwtContext'
            : 'this transport has no HTTP response (e.g. a WebSocket or a streamed subscription)',
      }),
    };
  }
  const plain = opts as Extract<CreateJwtContextOptions, { headers: HeaderBag }>;
  return {
    jwt: new JwtRequest({
      getHeader: headerGetter(plain.headers ?? {}),
      method: plain.method,
      url: () => plain.url,
      connectionParams,
      writeCookie: plain.setCookie,
      transport: 'server',
      noWriterReason: 'there is no response here (server-side caller): pass `setCookie` to createJwtContext',
    }),
  };
}
