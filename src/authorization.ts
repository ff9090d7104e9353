/**
 * Roles, scopes and claim checks: `jwt.requireScopes(...)`, `jwt.requireRoles(...)` and
 * `jwt.requireClaims(schemaOrPredicate)`. Each is a complete protected procedure builder (the JWT
 * check, then the authorization check), so `t.procedure.concat(jwt.requireScopes('notes:write'))`
 * needs nothing else. A valid token without what is required gets 403 FORBIDDEN with
 * `data.jwt.code` INSUFFICIENT_SCOPE and an RFC 6750 `insufficient_scope` challenge.
 */
import { TRPCError } from '@trpc/server';
import { sendChallenge } from './challenge.js';
import type { JwtContextPart } from './context.js';
import { toTRPCError } from './error-formatter.js';
import { InsufficientScopeError } from './errors.js';
import type { StandardSchemaV1 } from './internal/standard-schema.js';
import type { VerifiedToken } from './types.js';

/** A claims check: a Standard Schema (zod, valibot, …) of the payload, or a predicate over the token. */
export type ClaimsCheck<TOut = unknown> =
  StandardSchemaV1<unknown, TOut> | ((token: VerifiedToken<any>) => boolean | Promise<boolean>);

/** Where the scopes and roles are read from (manager options `scopeClaim`, `rolesClaim`). */
export interface AuthorizationClaims {
  readonly scopeClaim: string;
  readonly rolesClaim: string;
}

/** A middleware builder that can take one more `.use()`: what `jwt.required()` returns. */
interface Chainable {
  use(middleware: (opts: { ctx: any; next: (opts?: any) => Promise<any> }) => Promise<any>): unknown;
}

/**
 * The values of a scope or roles claim: RFC 8693's space-separated string, or an array of strings
 * (other members ignored). Anything else has none.
 */
export function claimValues(value: unknown): ReadonlySet<string> {
  if (typeof value === 'string') return new Set(value.split(/\s+/).filter((v) => v !== ''));
  if (Array.isArray(value)) return new Set(value.filter((v): v is string => typeof v === 'string'));
  return new Set();
}

function requireNames(method: string, names: readonly unknown[]): readonly string[] {
  if (names.length === 0 || names.some((n) => typeof n !== 'string' || n === '' || /\s/.test(n))) {
    throw new TypeError(
      `trpc-jwt-extended: jwt.${method}() needs one or more names, each a non-empty string without spaces`,
    );
  }
  return names as string[];
}

/** The first issue of a failed schema check, as `path: message` (no claim value is quoted). */
function describeIssue(issues: readonly StandardSchemaV1.Issue[]): string {
  const issue = issues[0];
  if (!issue) return 'Claims check failed';
  const path = (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.');
  return `Claims check failed: ${path === '' ? '' : `${path}: `}${issue.message}`;
}

/**
 * The three builders, over `required` (the manager's `jwt.required`). `realm` is the
 * `wwwAuthenticate` realm, undefined when challenges are off.
 */
export function createAuthorization(
  required: () => Chainable,
  claims: AuthorizationClaims,
  realm: string | undefined,
  report: (error: unknown) => void = () => {},
) {
  /** `required()` followed by `check`: a failure is a 403 with its challenge; success may narrow ctx.token. */
  function guard(
    check: (token: VerifiedToken<any>) => Promise<InsufficientScopeError | { payload: object } | undefined>,
  ): unknown {
    return required().use(async ({ ctx, next }) => {
      const token = (ctx as { token: VerifiedToken<any> }).token;
      let outcome: Awaited<ReturnType<typeof check>>;
      try {
        outcome = await check(token);
      } catch (cause) {
        // A predicate or schema that throws fails closed, as a throwing loader does.
        const error = new TRPCError({
          code: 'INTERNAL_SERVER_ERROR',
          message: 'Token verification failed: a claims check threw',
          cause,
        });
        report(error);
        throw error;
      }
      if (outcome instanceof InsufficientScopeError) {
        const error = toTRPCError(outcome);
        sendChallenge((ctx as JwtContextPart).jwt, realm, error);
        throw error;
      }
      if (outcome === undefined) return next();
      return next({ ctx: { token: { ...token, payload: { ...token.payload, ...outcome.payload } } } });
    });
  }

  /** Every name must be among the values of `claim`; the message names the missing ones. */
  function requireHeld(method: string, claim: string, noun: 'scope' | 'role', names: readonly unknown[]) {
    const wanted = requireNames(method, names);
    return guard(async (token) => {
      const held = claimValues(token.payload[claim]);
      const lacking = wanted.filter((name) => !held.has(name));
      if (lacking.length === 0) return undefined;
      return new InsufficientScopeError(`Insufficient ${noun}: needs ${lacking.join(' ')}`, {
        header: token.header,
        payload: token.payload,
        scopes: noun === 'scope' ? wanted : [],
      });
    });
  }

  return {
    requireScopes: (...scopes: string[]) => requireHeld('requireScopes', claims.scopeClaim, 'scope', scopes),
    requireRoles: (...roles: string[]) => requireHeld('requireRoles', claims.rolesClaim, 'role', roles),

    requireClaims(check: ClaimsCheck) {
      if (typeof check !== 'function' && typeof check?.['~standard']?.validate !== 'function') {
        throw new TypeError(
          'trpc-jwt-extended: jwt.requireClaims() needs a Standard Schema (zod, valibot, …) or a predicate',
        );
      }
      return guard(async (token) => {
        const errorOpts = { header: token.header, payload: token.payload };
        if (typeof check === 'function') {
          return (await check(token)) === true
            ? undefined
            : new InsufficientScopeError('Claims check failed', errorOpts);
        }
        const result = await check['~standard'].validate(token.payload);
        if (result.issues) return new InsufficientScopeError(describeIssue(result.issues), errorOpts);
        const value = result.value;
        return typeof value === 'object' && value !== null ? { payload: value } : undefined;
      });
    },
  };
}
