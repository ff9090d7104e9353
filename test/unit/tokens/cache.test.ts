import { describe, expect, it } from 'vitest';
import {
  CSRFError,
  createJwtManager,
  ExpiredSignatureError,
  type JwtManagerOptions,
} from '../../../src/index.js';
import { b64url, craftToken, SECRET_HS256 } from '../../helpers/keys.js';

const START_MS = 1_700_000_000_000;

function setup(options: Partial<JwtManagerOptions> = {}) {
  const clock = { now: START_MS };
  let loads = 0;
  const jwt = createJwtManager({ secretKey: SECRET_HS256, clock: () => clock.now, ...options });
  const counted = createJwtManager({
    secretKey: SECRET_HS256,
    clock: () => clock.now,
    decodeKeyLoader: () => {
      loads++;
      return SECRET_HS256;
    },
    ...options,
  });
  return { jwt, counted, clock, loads: () => loads };
}

describe('the verified-token cache', () => {
  it('serves a second decode of the same token from the cache', async () => {
    const { jwt } = setup();
    const t = await jwt.createAccessToken('alice');
    expect(jwt.cache.size).toBe(0);
    const first = await jwt.decodeToken(t);
    expect(jwt.cache.size).toBe(1);
    const second = await jwt.decodeToken(t);
    expect(jwt.cache.size).toBe(1);
    expect(second).toBe(first);
    expect(second.sub).toBe('alice');
    // Cached payloads are shared, so they are frozen.
    expect(Object.isFrozen(second)).toBe(true);
    expect(() => {
      (second as Record<string, unknown>).sub = 'mallory';
    }).toThrow(TypeError);
    expect((await jwt.decodeToken(t)).sub).toBe('alice');
  });

  it('re-checks exp on a hit, with the injected clock', async () => {
    const { jwt, clock } = setup({ accessTokenExpires: 60 });
    const t = await jwt.createAccessToken('alice');
    await jwt.decodeToken(t);
    clock.now += 59_000;
    expect((await jwt.decodeToken(t)).sub).toBe('alice');
    clock.now += 1_000;
    const error = await jwt.decodeToken(t).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredSignatureError);
    expect((error as ExpiredSignatureError).payload?.sub).toBe('alice');
    expect((await jwt.decodeToken(t, { allowExpired: true })).sub).toBe('alice');
  });

  it('re-checks CSRF on every hit', async () => {
    const { jwt } = setup();
    const t = await jwt.createAccessToken('alice');
    const csrf = await jwt.getCsrfToken(t);
    expect(jwt.cache.size).toBe(1);
    expect((await jwt.decodeToken(t, { csrfValue: csrf })).csrf).toBe(csrf);
    await expect(jwt.decodeToken(t, { csrfValue: 'wrong' })).rejects.toBeInstanceOf(CSRFError);
  });

  it('does not cache invalid tokens', async () => {
    const { jwt } = setup();
    const t = await jwt.createAccessToken('alice');
    const [h, , s] = t.split('.');
    const forged = `${h}.${b64url('{"sub":"mallory"}')}.${s}`;
    for (let i = 0; i < 3; i++)
      await expect(jwt.decodeToken(forged)).rejects.toThrow('Signature verification failed');
    await expect(jwt.decodeToken('garbage')).rejects.toThrow('Not enough segments');
    const noSub = craftToken({ alg: 'HS256' }, { iat: 1 }, SECRET_HS256);
    await expect(jwt.decodeToken(noSub)).rejects.toThrow('Missing claim: sub');
    expect(jwt.cache.size).toBe(0);
  });

  it('is off by default with a decodeKeyLoader', async () => {
    const { counted, loads } = setup();
    expect(counted.config.cache.maxSize).toBe(0);
    const t = await counted.createAccessToken('alice');
    await counted.decodeToken(t);
    await counted.decodeToken(t);
    expect(counted.cache.size).toBe(0);
    expect(loads()).toBe(2);
  });

  it('with a decodeKeyLoader and a ttl, re-verifies once the ttl has passed', async () => {
    const { counted, clock, loads } = setup({ cache: { ttl: '30s' } });
    const t = await counted.createAccessToken('alice');
    await counted.decodeToken(t);
    await counted.decodeToken(t);
    expect(loads()).toBe(1);
    expect(counted.cache.size).toBe(1);
    clock.now += 30_000;
    await counted.decodeToken(t);
    expect(loads()).toBe(1);
    clock.now += 1;
    await counted.decodeToken(t);
    expect(loads()).toBe(2);
  });

  it('is bounded by maxSize, evicting the least recently used token', async () => {
    const { counted, loads } = setup({ cache: { maxSize: 2, ttl: '1h' } });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => counted.createAccessToken(id)));
    await counted.decodeToken(a!);
    await counted.decodeToken(b!);
    await counted.decodeToken(a!); // a is now the most recently used
    expect(loads()).toBe(2);
    await counted.decodeToken(c!); // evicts b
    expect(counted.cache.size).toBe(2);
    expect(loads()).toBe(3);
    await counted.decodeToken(a!);
    expect(loads()).toBe(3);
    await counted.decodeToken(b!);
    expect(loads()).toBe(4);
    expect(counted.cache.size).toBe(2);
  });

  it('can be turned off, and emptied', async () => {
    const off = setup({ cache: false }).jwt;
    const t = await off.createAccessToken('alice');
    await off.decodeToken(t);
    expect(off.cache.size).toBe(0);

    const { jwt } = setup();
    await jwt.decodeToken(await jwt.createAccessToken('alice'));
    await jwt.decodeToken(await jwt.createAccessToken('bob'));
    expect(jwt.cache.size).toBe(2);
    jwt.cache.clear();
    expect(jwt.cache.size).toBe(0);
  });
});
