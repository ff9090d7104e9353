/**
 * A real tRPC app on `createJwtManager` for the client-link tests: superjson, `jwt.errorFormatter`,
 * `jwt.procedures`, the standalone adapter on 127.0.0.1, an injected clock the tests move, a memory
 * blocklist, and a server-side log of every procedure call (what it carried and how it ended).
 */
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import {
  createJwtManager,
  createMemoryBlocklist,
  findJwtError,
  type JwtContextPart,
  type JwtManagerOptions,
} from '../../src/index.js';
import { SECRET } from './jwt-app.js';
import { startStandalone } from './servers.js';

/** One procedure call as the server saw it. */
export interface ServerCall {
  path: string;
  type: string;
  tag: string | undefined;
  /** `jti` of the bearer token in the Authorization header, if any. */
  bearerJti: string | undefined;
  /** `jti` of the access-token cookie, if any. */
  cookieJti: string | undefined;
  /** Which CSRF cookie of this request the X-CSRF-TOKEN header equals (never the value itself). */
  csrf: 'csrf_access_token' | 'csrf_refresh_token' | 'missing' | 'mismatch';
  /** `ok`, or the JWT error code (or the tRPC code) it failed with. */
  outcome: string;
}

/** The `jti` of a JWT, read without verification (jtis are random ids, safe to print). */
export function jtiOf(token: string | null | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const jti = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: unknown }).jti;
    return typeof jti === 'string' ? jti : undefined;
  } catch {
    return undefined;
  }
}

function bearerOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer (.+)$/i.exec(header)?.[1];
}

const tagInput = (value: unknown) => (value ?? {}) as { tag?: string };
const loginInput = (value: unknown) => value as { user: string; refreshExpires?: number };

/** Builds and serves the app. `options` goes to `createJwtManager` (the clock is the app's own). */
export async function startClientApp(options: Omit<JwtManagerOptions, 'secretKey' | 'clock'> = {}) {
  const state = {
    /** Milliseconds added to the real time: the server's clock. */
    offsetMs: 0,
    /** Awaited by `auth.refresh` before it answers, when set. */
    refreshGate: null as Promise<void> | null,
    calls: [] as ServerCall[],
  };
  const clock = () => Date.now() + state.offsetMs;
  const blocklist = createMemoryBlocklist({ clock });
  const jwt = createJwtManager({
    secretKey: SECRET,
    accessTokenExpires: 60,
    ...options,
    clock,
    tokenInBlocklistLoader: blocklist.loader,
  });
  const cookieMode = jwt.config.tokenLocation.includes('cookies');

  const t = initTRPC.context<JwtContextPart>().create({
    transformer: superjson,
    errorFormatter: jwt.errorFormatter,
  });

  const logged = t.procedure.use(async ({ ctx, path, type, getRawInput, next }) => {
    const req = ctx.jwt;
    const header = req.header(jwt.config.accessCsrfHeaderName);
    const call: ServerCall = {
      path,
      type,
      tag: tagInput(await getRawInput().catch(() => undefined)).tag,
      bearerJti: jtiOf(bearerOf(req.header('authorization'))),
      cookieJti: jtiOf(req.cookie(jwt.config.accessCookieName)),
      csrf:
        header === undefined
          ? 'missing'
          : header === req.cookie(jwt.config.accessCsrfCookieName)
            ? 'csrf_access_token'
            : header === req.cookie(jwt.config.refreshCsrfCookieName)
              ? 'csrf_refresh_token'
              : 'mismatch',
      outcome: 'pending',
    };
    state.calls.push(call);
    const result = await next();
    call.outcome = result.ok ? 'ok' : (findJwtError(result.error)?.code ?? result.error.code);
    return result;
  });

  const { protectedProcedure, refreshProcedure } = jwt.procedures(logged);
  const whoami = ({ ctx }: { ctx: { token: { identity: string; jti: string | null } } }) => ({
    identity: ctx.token.identity,
    jti: ctx.token.jti,
  });

  const router = t.router({
    me: protectedProcedure.input(tagInput).query(whoami),
    post: t.router({ create: protectedProcedure.input(tagInput).mutation(whoami) }),
    /** An ordinary protected mutation whose path ends with "refresh": not the token refresh. */
    feed: t.router({ refresh: protectedProcedure.input(tagInput).mutation(whoami) }),
    auth: t.router({
      login: logged.input(loginInput).mutation(async ({ ctx, input }) => {
        const accessToken = await jwt.createAccessToken(input.user);
        const refreshToken = await jwt.createRefreshToken(
          input.user,
          input.refreshExpires === undefined ? {} : { expiresDelta: input.refreshExpires },
        );
        if (!cookieMode) return { accessToken, refreshToken };
        await jwt.setAccessCookies(ctx, accessToken);
        await jwt.setRefreshCookies(ctx, refreshToken);
        return { accessToken: null, refreshToken: null };
      }),
      refresh: refreshProcedure.mutation(async ({ ctx }) => {
        await state.refreshGate;
        const accessToken = await jwt.createAccessToken(ctx.token.identity);
        if (!cookieMode) return { accessToken };
        await jwt.setAccessCookies(ctx, accessToken);
        return { accessToken: null };
      }),
    }),
  });

  const endpoint = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
  return {
    jwt,
    router,
    blocklist,
    state,
    url: endpoint.url,
    close: () => endpoint.close(),
    /** Moves the server's clock forward. */
    advance(seconds: number) {
      state.offsetMs += seconds * 1000;
    },
    callsTo: (path: string) => state.calls.filter((call) => call.path === path),
    callsTagged: (tag: string) => state.calls.filter((call) => call.tag === tag),
  };
}

export type ClientApp = Awaited<ReturnType<typeof startClientApp>>;
export type ClientAppRouter = ClientApp['router'];
