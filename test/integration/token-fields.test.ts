/**
 * `ctx.token` fields mean what their types say (issue #13, item 10), through every adapter:
 * `fresh` is a boolean computed from the injected clock (the raw claim stays on the payload), and
 * `identity` is always a string (a non-string identity claim is refused with 422 INVALID_TOKEN).
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { expectJwtError, SECRET, signHs256 } from '../helpers/jwt-app.js';
import { callTrpc, type Endpoint, startAll } from '../helpers/servers.js';

const START = 1_700_000_000;
const clock = { ms: START * 1000 };

function fieldsApp(options: Omit<JwtManagerOptions, 'secretKey'> = {}) {
  const jwt = createJwtManager({ secretKey: SECRET, clock: () => clock.ms, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ({
      identity: ctx.token.identity,
      identityType: typeof ctx.token.identity,
      fresh: ctx.token.fresh,
      payloadFresh: ctx.token.payload.fresh ?? null,
    })),
  });
  return { jwt, router };
}

const apps = {
  plain: fieldsApp(),
  lax: fieldsApp({ verifySub: false }),
  uid: fieldsApp({ identityClaim: 'uid' }),
  laxUid: fieldsApp({ identityClaim: 'uid', verifySub: false }),
};
type AppName = keyof typeof apps;
const served: Partial<Record<AppName, Endpoint[]>> = {};
beforeAll(async () => {
  for (const name of Object.keys(apps) as AppName[]) {
    const { jwt, router } = apps[name];
    served[name] = await startAll(router, (opts) => jwt.createJwtContext(opts));
  }
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

/** A token with these claims, signed with SECRET (createAccessToken never writes odd identities). */
const forged = (claims: Record<string, unknown>) =>
  signHs256({ iat: START, exp: START + 3600, jti: 'j', type: 'access', fresh: false, ...claims });

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (app: AppName, token: string) =>
    callTrpc<Record<string, unknown>>(served[app]![index]!, 'me', {
      headers: { authorization: `Bearer ${token}` },
    });

  describe('ctx.token.fresh is a boolean: fresh now, by the injected clock', () => {
    it('fresh for 5 minutes: true, then false once the clock passes it; the raw claim stays on the payload', async () => {
      clock.ms = START * 1000;
      const token = await apps.plain.jwt.createAccessToken('alice', { fresh: '5m' });
      expect((await call('plain', token)).data).toEqual({
        identity: 'alice',
        identityType: 'string',
        fresh: true,
        payloadFresh: START + 300,
      });
      clock.ms = (START + 301) * 1000;
      expect((await call('plain', token)).data).toMatchObject({ fresh: false, payloadFresh: START + 300 });
      clock.ms = START * 1000;
    });

    it.each([
      ['true', true, true],
      ['false', false, false],
      ['a past timestamp', false, START - 1],
      ['a string', false, 'yes'],
    ])('fresh claim %s → fresh %s', async (_what, expected, claim) => {
      const res = await call('plain', forged({ sub: 'alice', fresh: claim }));
      expect(res.data).toMatchObject({ fresh: expected, payloadFresh: claim });
    });

    it('a token without a fresh claim: false', async () => {
      const res = await call('plain', signHs256({ sub: 'alice', iat: START, exp: START + 60 }));
      expect(res.data).toMatchObject({ fresh: false, payloadFresh: null });
    });
  });

  describe('ctx.token.identity is a string', () => {
    it('a non-string sub: 422 Subject must be a string (verifySub, the default)', async () => {
      for (const sub of [42, { id: 1 }, ['a'], true, null]) {
        expectJwtError(
          await call('plain', forged({ sub })),
          422,
          'INVALID_TOKEN',
          'Subject must be a string',
        );
      }
    });

    it('a non-string custom identity claim: 422 Invalid claim: uid must be a string', async () => {
      for (const uid of [7, { id: 1 }, ['a'], false, null]) {
        expectJwtError(
          await call('uid', forged({ uid })),
          422,
          'INVALID_TOKEN',
          'Invalid claim: uid must be a string',
        );
      }
    });

    it('verifySub: false (migration) takes an integer identity as its decimal string; the payload keeps the number', async () => {
      const sub = await call('lax', forged({ sub: 42 }));
      expect(sub.data).toMatchObject({ identity: '42', identityType: 'string' });
      const uid = await call('laxUid', forged({ uid: 7 }));
      expect(uid.data).toMatchObject({ identity: '7', identityType: 'string' });
    });

    it('verifySub: false still refuses what has no exact string form: objects, arrays, booleans, null, 1.5, 2^53', async () => {
      for (const sub of [{ id: 1 }, ['a'], true, null, 1.5, 2 ** 53]) {
        expectJwtError(await call('lax', forged({ sub })), 422, 'INVALID_TOKEN', 'Subject must be a string');
      }
      expectJwtError(
        await call('laxUid', forged({ uid: { id: 1 } })),
        422,
        'INVALID_TOKEN',
        'Invalid claim: uid must be a string',
      );
    });
  });
});
