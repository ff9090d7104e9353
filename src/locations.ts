import type { ResolvedConfig } from './config.js';
import type { JwtRequest } from './context.js';
import { type CallInfo, csrfOfCookieCall } from './csrf.js';
import {
  InvalidHeaderError,
  InvalidQueryParamError,
  JWTDecodeError,
  NoAuthorizationError,
} from './errors.js';
import { isPlainObject } from './internal/objects.js';
import type { TokenLocation } from './types.js';

export type { CallInfo } from './csrf.js';

/** A token found in a location, with the CSRF value to compare when it came from cookies. */
export interface FoundToken {
  readonly token: string;
  readonly csrfValue: string | undefined;
}

type Extractor = (
  req: JwtRequest,
  config: ResolvedConfig,
  refresh: boolean,
  call: CallInfo,
) => FoundToken | Promise<FoundToken>;

const found = (token: string, csrfValue?: string): FoundToken => ({ token, csrfValue });

/** A value read from the JSON input or the connection params: a token only when it is a string. */
function stringToken(value: unknown): FoundToken {
  if (typeof value !== 'string') throw new JWTDecodeError('Invalid token type. Token must be a string');
  return found(value);
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/**
 * Strips leading and trailing commas in one linear scan. (`/^,+|,+$/g` backtracks quadratically on a
 * long run of commas inside the value: seconds of CPU for a 100 kB header.)
 */
function stripCommas(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 44) start++;
  while (end > start && s.charCodeAt(end - 1) === 44) end--;
  return s.slice(start, end);
}

/** flask's header rules (reference §3.6), with the scheme matched case-insensitively (RFC 9110). */
function fromHeaders(req: JwtRequest, config: ResolvedConfig): FoundToken {
  const { headerName: name, headerType: type } = config;
  const value = stripCommas((req.header(name) ?? '').trim());
  if (value === '') throw new NoAuthorizationError(`Missing ${name} Header`);
  if (type === '') {
    const parts = words(value);
    if (parts.length !== 1) throw new InvalidHeaderError(`Bad ${name} header. Expected '${name}: <JWT>'`);
    return found(parts[0]!);
  }
  const scheme = type.toLowerCase();
  const matching = value.split(/,\s*/).filter((field) => words(field)[0]?.toLowerCase() === scheme);
  if (matching.length !== 1) {
    throw new NoAuthorizationError(
      `Missing '${type}' type in '${name}' header. Expected '${name}: ${type} <JWT>'`,
    );
  }
  const parts = words(matching[0]!);
  if (parts.length !== 2) {
    throw new InvalidHeaderError(`Bad ${name} header. Expected '${name}: ${type} <JWT>'`);
  }
  return found(parts[1]!);
}

function rejectDuplicate(req: JwtRequest, name: string): void {
  if (req.hasCookieConflict(name)) throw new InvalidHeaderError(`Duplicate cookie "${name}"`);
}

function fromCookies(
  req: JwtRequest,
  config: ResolvedConfig,
  refresh: boolean,
  call: CallInfo,
): FoundToken | Promise<FoundToken> {
  const settings = config.tokens[refresh ? 'refresh' : 'access'];
  const name = settings.cookieName;
  // Cookie tossing: two values for the JWT cookie or its CSRF cookie are refused, whichever comes
  // first (the values are never echoed).
  rejectDuplicate(req, name);
  if (config.cookieCsrfProtect && config.csrfInCookies) {
    rejectDuplicate(req, settings.csrfCookieName);
  }
  const token = req.cookie(name);
  if (!token) throw new NoAuthorizationError(`Missing cookie "${name}"`);
  const csrf = csrfOfCookieCall(req, config, settings, call);
  return csrf instanceof Promise ? csrf.then((value) => found(token, value)) : found(token, csrf);
}

function fromQueryString(req: JwtRequest, config: ResolvedConfig): FoundToken {
  const { queryStringName: name, queryStringValuePrefix: prefix } = config;
  const value = req.url?.searchParams.get(name);
  if (!value) throw new NoAuthorizationError(`Missing '${name}' query paramater`);
  if (!value.startsWith(prefix)) {
    throw new InvalidQueryParamError(
      `Invalid value for query parameter '${name}'. Expected the value to start with '${prefix}'`,
    );
  }
  return found(value.slice(prefix.length));
}

const NOT_JSON = 'Invalid content-type. Must be application/json.';

/**
 * The raw input came from a URL: an HTTP GET (or HEAD) carries it in `?input=`, which logs, proxies
 * and Referer headers keep. A WebSocket message, a request body and a server-side input do not.
 */
function inputInUrl(req: JwtRequest): boolean {
  return req.transport === 'http' && (req.method === 'GET' || req.method === 'HEAD');
}

async function fromJson(
  req: JwtRequest,
  config: ResolvedConfig,
  refresh: boolean,
  call: CallInfo,
): Promise<FoundToken> {
  const key = config.tokens[refresh ? 'refresh' : 'access'].jsonKey;
  // flask reads only a JSON body; a GET has none (§9: a query's `?input=` never authenticates it).
  if (inputInUrl(req)) throw new NoAuthorizationError(NOT_JSON);
  const input = call.getRawInput ? await call.getRawInput() : undefined;
  if (typeof FormData !== 'undefined' && input instanceof FormData) {
    throw new NoAuthorizationError(NOT_JSON);
  }
  const value = isPlainObject(input) && Object.hasOwn(input, key) ? input[key] : undefined;
  if (!value) throw new NoAuthorizationError(`Missing "${key}" key in json data.`);
  return stringToken(value);
}

/**
 * Connection params belong to a WebSocket connection (sent in its first message) or to an SSE
 * subscription. tRPC's HTTP adapters also parse `?connectionParams=` on any other call: there they
 * are a token in a URL, and are never read (§9).
 */
function fromConnectionParams(
  req: JwtRequest,
  config: ResolvedConfig,
  _refresh: boolean,
  call: CallInfo,
): FoundToken {
  const key = config.connectionParamsKey;
  const value = req.connectionParams?.[key];
  const missing = `Missing "${key}" in connection params`;
  if (req.transport === 'http' && call.type !== 'subscription') {
    // Never read here; the message says why only when someone sent a value.
    throw new NoAuthorizationError(
      value ? 'Connection params are read only on WebSocket connections and subscriptions' : missing,
    );
  }
  if (!value) throw new NoAuthorizationError(missing);
  return stringToken(value);
}

/** Extraction per location, in the order tried. */
export const EXTRACTORS = {
  headers: fromHeaders,
  cookies: fromCookies,
  query_string: fromQueryString,
  json: fromJson,
  connection_params: fromConnectionParams,
} as const satisfies Record<TokenLocation, Extractor>;

/** flask's combined message when no location has a token. */
export function missingEverywhere(
  locations: readonly TokenLocation[],
  errors: readonly NoAuthorizationError[],
): NoAuthorizationError {
  if (errors.length === 1) return errors[0]!;
  const names = `${locations.slice(0, -1).join(', ')} or ${locations[locations.length - 1]}`;
  return new NoAuthorizationError(`Missing JWT in ${names} (${errors.map((e) => e.message).join('; ')})`);
}
