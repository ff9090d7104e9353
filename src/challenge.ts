import type { TRPCError } from '@trpc/server';
import type { JwtRequest } from './context.js';
import { findJwtError, InsufficientScopeError } from './errors.js';

/**
 * The `WWW-Authenticate` behaviour (RFC 6750 §3, the `wwwAuthenticate` option): the Bearer
 * challenge a 401 or a 403 carries.
 */

const CHALLENGE_UNSAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** Longest `error_description`; a longer message is cut at the last phrase boundary (`; `, `, `, `. `). */
const MAX_DESCRIPTION = 1024;

/** Text safe inside a quoted challenge parameter, whole unless over MAX_DESCRIPTION (then never mid-phrase). */
export function quoted(text: string): string {
  const safe = text.replace(/"/g, "'").replace(CHALLENGE_UNSAFE, ' ');
  if (safe.length <= MAX_DESCRIPTION) return safe;
  const head = safe.slice(0, MAX_DESCRIPTION - 2);
  const cut = Math.max(head.lastIndexOf('; '), head.lastIndexOf(', '), head.lastIndexOf('. '));
  return `${cut > 0 ? head.slice(0, cut) : head.slice(0, head.lastIndexOf(' '))} …`;
}

/**
 * RFC 6750 §3 challenge for a 401 (`invalid_request` without a token, else `invalid_token`) or a 403
 * (`insufficient_scope`, with the required `scope`); the description is the error message with
 * unsafe characters replaced.
 */
export function bearerChallenge(realm: string, error: TRPCError): string {
  const jwtError = findJwtError(error);
  const kind =
    jwtError?.code === 'NO_AUTHORIZATION'
      ? 'invalid_request'
      : jwtError?.code === 'INSUFFICIENT_SCOPE'
        ? 'insufficient_scope'
        : 'invalid_token';
  const scopes = jwtError instanceof InsufficientScopeError ? jwtError.requiredScopes : [];
  const scope = scopes.length > 0 ? `, scope="${quoted(scopes.join(' '))}"` : '';
  return `Bearer realm="${realm}", error="${kind}", error_description="${quoted(error.message)}"${scope}`;
}

/** Sets the challenge of `error` on the response, when challenges are on (`realm` defined). */
export function sendChallenge(req: JwtRequest, realm: string | undefined, error: TRPCError): void {
  if (realm !== undefined) req.setResponseHeader('WWW-Authenticate', bearerChallenge(realm, error));
}
