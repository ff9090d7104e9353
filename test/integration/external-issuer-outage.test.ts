/**
 * Issue 13, item 13: a remote JWK Set (`jwksUrl`) during an outage of the identity provider, through a
 * real tRPC server (standalone adapter, 127.0.0.1) and a real JWK Set server that counts its fetches.
 * The manager's injected clock drives the cache, the cooldown and the stale window, so the counts are
 * exact; only the fetch timeout (300 ms, `hang` mode) is real time.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type RemoteJwksOptions } from '../../src/index.js';
import { createIdpKey, type JwksServer, signIdpToken, startJwksServer } from '../helpers/jwks-server.js';
import { callTrpc, type Endpoint, startStandalone } from '../helpers/servers.js';

const COOLDOWN = 30_000;
const MAX_AGE = 600_000;
const STALE = 3_600_000;
/** Tokens outlive every clock move below (the IdP signs with the real time). */
const LONG = 30 * 24 * 3600;

const closers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(closers.map((s) => s.close()));
});

/** An IdP and a verify-only API on its JWK Set, with a clock the test moves. */
async function setup(jwksOptions: RemoteJwksOptions = {}) {
  const idp = await startJwksServer();
  let offset = 0;
  const jwt = createJwtManager({
    jwksUrl: idp.url,
    decodeIssuer: idp.issuer,
    decodeAudience: idp.audience,
    clock: () => Date.now() + offset,
    jwksOptions: { cooldownDuration: COOLDOWN, cacheMaxAge: MAX_AGE, timeoutDuration: 300, ...jwksOptions },
  });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  const router = t.router({ me: protectedProcedure.query(({ ctx }) => ctx.token.identity) });
  const api: Endpoint = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
  closers.push(api, idp);

  const stranger = await createIdpKey();
  const valid = () => idp.sign('alice', {}, { expiresIn: LONG });
  let n = 0;
  /** Signed by a key the IdP never published, with a kid nobody knows. */
  const forged = () =>
    signIdpToken(
      stranger,
      'alice',
      {},
      { iss: idp.issuer, aud: idp.audience, expiresIn: LONG, header: { kid: `forged-${++n}` } },
    );
  const call = async (token: string) => {
    const res = await callTrpc(api, 'me', { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, message: res.error?.message, body: JSON.stringify(res.body) };
  };
  return { idp, api, valid, forged, call, advance: (ms: number) => (offset += ms) };
}

const statusOf = async (pending: Promise<{ status: number }>) => (await pending).status;

describe.each<JwksServer['mode']>(['fail', 'hang'])('JWK Set outage (%s)', (mode) => {
  it('forged tokens with unknown kids cost at most one fetch per cooldown; known kids keep verifying', async () => {
    const { idp, valid, forged, call, advance } = await setup();
    const good = await valid();
    expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(1);

    advance(COOLDOWN + 1); // a refetch for an unknown kid is allowed again
    idp.mode = mode;
    // A burst in parallel, then one by one: forged tokens, each with a new kid, mixed with valid ones.
    const burst = await Promise.all([
      ...Array.from({ length: 20 }, async () => statusOf(call(await forged()))),
      ...Array.from({ length: 5 }, async () => statusOf(call(good))),
    ]);
    for (let i = 0; i < 20; i++) burst.push((await call(await forged())).status);
    burst.push((await call(good)).status);
    expect(idp.hits).toBe(2);
    expect(burst.slice(20, 25)).toEqual([200, 200, 200, 200, 200]);
    expect(burst.at(-1)).toBe(200);
    for (const status of [...burst.slice(0, 20), ...burst.slice(25, 45)])
      expect([422, 500]).toContain(status);

    // The next cooldown: one more fetch, whatever the number of forged tokens.
    advance(COOLDOWN + 1);
    for (let i = 0; i < 20; i++) expect([422, 500]).toContain((await call(await forged())).status);
    expect(idp.hits).toBe(3);

    // The IdP is back: the first fetch after the cooldown picks up its set again.
    idp.mode = 'ok';
    advance(COOLDOWN + 1);
    expect((await call(await forged())).message).toBe('Signature verification failed');
    expect(idp.hits).toBe(4);
    expect((await call(good)).status).toBe(200);
  });

  it('after cacheMaxAge, the last good set keeps verifying for staleIfError, then fails closed without the URL', async () => {
    const { idp, valid, call, advance } = await setup({ staleIfError: STALE });
    const good = await valid();
    expect((await call(good)).status).toBe(200);
    idp.mode = mode;

    advance(MAX_AGE + 1); // the set is stale; the refetch fails
    expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(2);
    for (let i = 0; i < 10; i++) expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(2); // within the cooldown: no fetch per request

    advance(STALE - COOLDOWN - 1_000); // near the end of the stale window (one more try on the way)
    expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(3);

    advance(COOLDOWN + 2_000); // past cacheMaxAge + staleIfError
    const refused = await call(good);
    expect({ status: refused.status, message: refused.message }).toEqual({
      status: 500,
      message: 'Token verification failed',
    });
    for (const hidden of [idp.url, new URL(idp.url).host, 'jwks.json']) {
      expect(refused.body.includes(hidden), 'the JWKS URL leaked').toBe(false);
    }
    expect(idp.hits).toBe(4);

    idp.mode = 'ok';
    advance(COOLDOWN + 1);
    expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(5);
  });
});

describe('in real time (the clock is not moved)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('an outage: 30 forged tokens one by one cost at most one fetch per cooldown (1 s)', async () => {
    const { idp, valid, forged, call } = await setup({ cooldownDuration: 1_000 });
    expect((await call(await valid())).status).toBe(200);
    await sleep(1_100);
    idp.mode = 'fail';
    const before = idp.hits;
    const started = Date.now();
    for (let i = 0; i < 30; i++) expect([422, 500]).toContain((await call(await forged())).status);
    const cooldowns = Math.ceil((Date.now() - started) / 1_000);
    expect(idp.hits - before).toBeGreaterThanOrEqual(1);
    expect(idp.hits - before).toBeLessThanOrEqual(cooldowns);
  });

  it('an outage past cacheMaxAge (500 ms): the last good set keeps verifying (staleIfError default)', async () => {
    const { idp, valid, call } = await setup({ cacheMaxAge: 500, cooldownDuration: 200 });
    const good = await valid();
    expect((await call(good)).status).toBe(200);
    idp.mode = 'fail';
    await sleep(600);
    expect((await call(good)).status).toBe(200);
    expect(idp.hits).toBe(2);
  });
});

describe('staleIfError', () => {
  it('0 turns the stale window off: at cacheMaxAge a failed refetch fails closed', async () => {
    const { idp, valid, call, advance } = await setup({ staleIfError: 0 });
    const good = await valid();
    expect((await call(good)).status).toBe(200);
    idp.mode = 'fail';
    advance(MAX_AGE + 1);
    expect((await call(good)).status).toBe(500);
    expect((await call(good)).status).toBe(500);
    expect(idp.hits).toBe(2);
  });

  it('is validated at construction, naming the option', () => {
    const base = { jwksUrl: 'https://idp.example.test/jwks.json' };
    for (const [jwksOptions, option] of [
      [{ staleIfError: -1 }, 'jwksOptions.staleIfError'],
      [{ staleIfError: Number.NaN }, 'jwksOptions.staleIfError'],
      [{ cooldownDuration: -1 }, 'jwksOptions.cooldownDuration'],
      [{ cacheMaxAge: '10m' }, 'jwksOptions.cacheMaxAge'],
      [{ timeoutDuration: 0 }, 'jwksOptions.timeoutDuration'],
      [{ staleIfErorr: 1 }, 'jwksOptions.staleIfErorr'],
    ] as const) {
      expect(() => createJwtManager({ ...base, jwksOptions: jwksOptions as RemoteJwksOptions })).toThrow(
        expect.objectContaining({ name: 'JwtConfigError', option }),
      );
    }
  });
});
