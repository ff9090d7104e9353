/** The notes app's API: the JWT manager, the tRPC routers and the context. */
import { EventEmitter, on } from 'node:events';
import { initTRPC, TRPCError, tracked } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { type Blocklist, createJwtManager } from 'trpc-jwt-extended';
import { z } from 'zod';
import type { User, UserStore } from './users.js';

export interface Note {
  id: number;
  text: string;
  createdAt: Date;
}

/**
 * How tokens are signed. HS256: one shared secret, which verifies as well as signs, so it is never
 * published (the JWKS is empty). ES256: a private key signs; its public half is in the JWKS.
 */
export type Signing =
  | { algorithm: 'HS256'; /** at least 32 bytes */ secretKey: string }
  | { algorithm: 'ES256'; /** PKCS#8 PEM */ privateKey: string; /** `kid` header and JWK id */ kid: string };

export interface AppOptions {
  signing: Signing;
  /** Access-token lifetime, seconds. */
  accessExpires: number;
  users: UserStore;
  /** Revoked tokens: `createMemoryBlocklist()`, or `createRedisBlocklist()` from trpc-jwt-extended/redis. */
  blocklist: Blocklist;
  /** Mark cookies `Secure` (behind HTTPS). @default false */
  cookieSecure?: boolean;
}

/** Resolves after the second in which `changedAt` (ms) falls: `iat` counts whole seconds. */
async function afterSecondOf(changedAt: number): Promise<void> {
  const wait = (Math.floor(changedAt / 1000) + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

export function createApp({ signing, accessExpires, users, blocklist, cookieSecure = false }: AppOptions) {
  const notes = new Map<string, Note[]>();
  let nextNoteId = 1;
  // New notes, on the channel of their owner's id: the live feed (notes.onAdded) listens there.
  const added = new EventEmitter().setMaxListeners(0);

  const jwt = createJwtManager({
    ...(signing.algorithm === 'HS256'
      ? { secretKey: signing.secretKey }
      : { keys: [{ kid: signing.kid, algorithm: 'ES256' as const, privateKey: signing.privateKey }] }),
    // The page sends cookies (EventSource too: same origin); API clients a header, or for
    // subscriptions over httpSubscriptionLink `connectionParams: { token }`.
    tokenLocation: ['headers', 'cookies', 'connection_params'],
    accessTokenExpires: accessExpires,
    refreshTokenExpires: '30d',
    cookieSecure,
    cookieSamesite: 'Lax',
    // Custom claims: validated on every verified token, and typed in ctx.token.payload.
    claims: z.object({ role: z.enum(['user', 'admin']) }),
    additionalClaimsLoader: (identity) => ({ role: users.get(String(identity))?.role ?? 'user' }),
    tokenInBlocklistLoader: blocklist.loader,
    userLookupLoader: ({ payload }): User | null => users.get(String(payload.sub)),
  });

  const createContext = (opts: CreateHTTPContextOptions) => ({ ...jwt.createJwtContext(opts) });
  type Context = Awaited<ReturnType<typeof createContext>>;

  const t = initTRPC.context<Context>().create({
    transformer: superjson,
    // jwt.errorFormatter adds `data.jwt: { code } | null`; on top of it, input errors get readable messages.
    errorFormatter(opts) {
      const shape = jwt.errorFormatter(opts);
      const { cause } = opts.error;
      if (opts.error.code !== 'BAD_REQUEST' || !(cause instanceof z.ZodError)) return shape;
      return { ...shape, message: cause.issues.map((issue) => issue.message).join('; ') };
    },
  });
  const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
    t.procedure,
  );

  /** Revokes a refresh token given by an API client or found in the refresh cookie, if it is valid. */
  async function revokeRefreshToken(ctx: Context, given: string | undefined, identity: string | undefined) {
    const token = given ?? ctx.jwt.cookie(jwt.config.refreshCookieName);
    if (!token) return false;
    try {
      const payload = await jwt.decodeToken(token);
      if (payload.type !== 'refresh' || (identity !== undefined && payload.sub !== identity)) return false;
      await blocklist.revoke(payload);
      return true;
    } catch {
      return false; // expired, forged or malformed: nothing to revoke
    }
  }

  const auth = t.router({
    login: t.procedure
      .input(z.object({ email: z.email(), password: z.string().min(1).max(1024) }))
      .mutation(async ({ ctx, input }) => {
        const user = await users.authenticate(input.email, input.password);
        if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong email or password' });
        // Tokens issued in the second of a password change would count as revoked.
        await afterSecondOf(users.passwordChangedAt(user.id));
        const accessToken = await jwt.createAccessToken(user.id, { fresh: true });
        const refreshToken = await jwt.createRefreshToken(user.id);
        // Browsers get HttpOnly cookies (plus readable CSRF cookies); API clients use the body.
        await jwt.setAccessCookies(ctx, accessToken);
        await jwt.setRefreshCookies(ctx, refreshToken);
        return { user, accessToken, refreshToken };
      }),

    refresh: refreshProcedure.mutation(async ({ ctx }) => {
      const accessToken = await jwt.createAccessToken(ctx.token.identity, { fresh: false });
      await jwt.setAccessCookies(ctx, accessToken);
      return { accessToken };
    }),

    logout: optionalProcedure
      .input(z.object({ refreshToken: z.string().max(8192).optional() }).optional())
      .mutation(async ({ ctx, input }) => {
        if (ctx.token) await blocklist.revoke(ctx.token.payload);
        const refreshRevoked = await revokeRefreshToken(ctx, input?.refreshToken, ctx.token?.identity);
        jwt.unsetJwtCookies(ctx);
        return { accessRevoked: ctx.token !== null, refreshRevoked };
      }),
  });

  const notesRouter = t.router({
    list: protectedProcedure.query(({ ctx }) => [...(notes.get(ctx.user.id) ?? [])].reverse()),
    add: protectedProcedure
      .input(z.object({ text: z.string().trim().min(1, 'Write something first').max(500) }))
      .mutation(({ ctx, input }) => {
        const note: Note = { id: nextNoteId++, text: input.text, createdAt: new Date() };
        const list = notes.get(ctx.user.id) ?? [];
        list.push(note);
        notes.set(ctx.user.id, list);
        added.emit(ctx.user.id, note);
        return note;
      }),

    /**
     * The live feed: the caller's new notes as they are added (by any of their sessions). Tracked by
     * note id, so a client resubscribing with `lastEventId` (after a refresh) gets what it missed.
     * The stream ends with TOKEN_EXPIRED when the access token expires.
     */
    onAdded: protectedProcedure
      .input(z.object({ lastEventId: z.coerce.number().int().nonnegative().nullish() }).optional())
      .subscription(async function* ({ ctx, input, signal }) {
        // Listen first, then replay: a note added in between is not lost (nor sent twice).
        const live = on(added, ctx.user.id, signal ? { signal } : {});
        try {
          const since = input?.lastEventId;
          let lastId = since ?? 0;
          if (since != null) {
            for (const note of notes.get(ctx.user.id) ?? []) {
              if (note.id > lastId) {
                lastId = note.id;
                yield tracked(String(note.id), note);
              }
            }
          }
          for await (const [note] of live as AsyncIterableIterator<[Note]>) {
            if (note.id > lastId) yield tracked(String(note.id), note);
          }
        } catch (error) {
          if (!signal?.aborted) throw error; // the client left: `on` rejects with an AbortError
        } finally {
          await live.return?.(); // stops listening (also when the stream ends during the replay)
        }
      }),
  });

  const account = t.router({
    /** Needs a fresh token (a login, not a refresh); signs every session of the user out. */
    changePassword: freshProcedure
      .input(
        z.object({
          currentPassword: z.string().min(1).max(1024),
          newPassword: z.string().min(8, 'The new password needs at least 8 characters').max(1024),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        if (!(await users.checkPassword(ctx.user.id, input.currentPassword))) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'The current password is wrong' });
        }
        const changedAt = await users.setPassword(ctx.user.id, input.newPassword);
        await blocklist.revokeAllForIdentity(ctx.user.id, Math.floor(changedAt / 1000));
        jwt.unsetJwtCookies(ctx);
        return { signedOut: true };
      }),

    /** Every note at once: a bulk export needs a fresh token too. */
    exportNotes: freshProcedure.query(({ ctx }) => ({
      email: ctx.user.email,
      exportedAt: new Date(),
      notes: notes.get(ctx.user.id) ?? [],
    })),
  });

  const admin = t.router({
    stats: protectedProcedure.query(({ ctx }) => {
      // `role` is a custom claim: typed by the `claims` schema, set by additionalClaimsLoader.
      if (ctx.token.payload.role !== 'admin') {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'Admins only' });
      }
      let noteCount = 0;
      for (const list of notes.values()) noteCount += list.length;
      return { users: users.size, notes: noteCount };
    }),
  });

  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ctx.user),
    auth,
    notes: notesRouter,
    account,
    admin,
  });

  return { router, createContext, jwt };
}

export type AppRouter = ReturnType<typeof createApp>['router'];
