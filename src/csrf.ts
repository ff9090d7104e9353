import type { ResolvedConfig } from './config.js';
import type { JwtRequest } from './context.js';
import { CSRFError } from './errors.js';

/**
 * The CSRF behaviour of cookie tokens: the double-submit value a call must send (header, or form
 * field with `csrfCheckForm`), and the `Origin` check that stands in for it on a WebSocket.
 */

/** What a location needs besides the request: the procedure's type and raw input. */
export interface CallInfo {
  readonly type: 'query' | 'mutation' | 'subscription' | undefined;
  readonly getRawInput: (() => Promise<unknown>) | undefined;
}

/** True when CSRF double submit applies to this call: cookie tokens on csrfMethods and every mutation. */
function csrfApplies(req: JwtRequest, config: ResolvedConfig, call: CallInfo): boolean {
  if (!config.cookieCsrfProtect) return false;
  return call.type === 'mutation' || (req.method !== undefined && config.csrfMethods.has(req.method));
}

async function csrfFromForm(call: CallInfo, field: string): Promise<string | undefined> {
  if (!call.getRawInput) return undefined;
  const input = await call.getRawInput();
  if (typeof FormData !== 'undefined' && input instanceof FormData) {
    const value = input.get(field);
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** `value` as a serialised origin (`scheme://host[:port]`), or undefined when it is none (`null`). */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Cross-site WebSocket hijacking: a browser sends cookies on a WebSocket upgrade whatever page opened
 * it, and a WebSocket has no CSRF header. A cookie is accepted on one only from a trusted `Origin`:
 * `websocketOrigins`, or by default the request's own origin (`http(s)://<Host>`).
 */
function assertTrustedOrigin(req: JwtRequest, config: ResolvedConfig): void {
  const header = req.header('origin');
  if (header === undefined || header.trim() === '') throw new CSRFError('Missing WebSocket origin');
  const origin = originOf(header.trim());
  const host = req.header('host');
  const trusted =
    origin !== undefined &&
    (config.websocketOrigins
      ? config.websocketOrigins.has(origin)
      : host !== undefined &&
        (origin === originOf(`http://${host}`) || origin === originOf(`https://${host}`)));
  if (!trusted) throw new CSRFError('Untrusted WebSocket origin');
}

type CookieSettings = ResolvedConfig['tokens']['access'];

/** The CSRF value of a call that must send one; CSRFError when it sends none. */
function required(csrf: string | undefined): string {
  if (!csrf) throw new CSRFError('Missing CSRF token');
  return csrf;
}

/**
 * What a call with a cookie token owes the CSRF protection: on a WebSocket, a trusted `Origin`;
 * where double submit applies, the value to compare with the token's `csrf` claim (synchronously
 * unless it must read a form); else undefined.
 */
export function csrfOfCookieCall(
  req: JwtRequest,
  config: ResolvedConfig,
  settings: CookieSettings,
  call: CallInfo,
): string | undefined | Promise<string> {
  if (req.transport === 'websocket') assertTrustedOrigin(req, config);
  if (!csrfApplies(req, config, call)) return undefined;
  const csrf = req.header(settings.csrfHeaderName);
  if (!csrf && config.csrfCheckForm) return csrfFromForm(call, settings.csrfFieldName).then(required);
  return required(csrf);
}
