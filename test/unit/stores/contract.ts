/**
 * The behaviour every `Blocklist` shares, run against the memory store (fake clock) and the Redis
 * store (a real redis-server, real time).
 */
import { describe, expect, it } from 'vitest';
import type { Blocklist, BlocklistOptions } from '../../../src/stores/types.js';
import type { JwtPayload } from '../../../src/types.js';

export interface ContractStore {
  store: Blocklist;
  /** The store's clock, in whole UNIX seconds. */
  now(): number;
  /** Lets `seconds` pass for the store: advances its fake clock, or really waits. */
  elapse(seconds: number): Promise<void>;
}

export type MakeStore = (options?: BlocklistOptions) => Promise<ContractStore>;

let serial = 0;
/** A payload with a fresh jti, issued and expiring around `now`. */
export function token(now: number, claims: JwtPayload = {}): JwtPayload {
  serial += 1;
  return {
    jti: `jti-${serial}-${Math.random().toString(36).slice(2)}`,
    sub: 'alice',
    iat: now,
    exp: now + 600,
    ...claims,
  };
}

const header = { alg: 'HS256', typ: 'JWT' };

/**
 * Registers the contract. `timed: false` leaves out the cases that wait for an expiry (1.5 s each):
 * for a store whose expiry code is already covered elsewhere (the Redis scripts on a Cluster).
 */
export function blocklistContract(
  name: string,
  makeStore: MakeStore,
  { timed = true }: { timed?: boolean } = {},
): void {
  // `it` for cases that wait for an expiry: left out with `timed: false`.
  const itTimed = timed ? it : () => {};
  describe(`${name}: the Blocklist contract`, () => {
    it('revokes one token by jti, and only that one', async () => {
      const { store, now } = await makeStore();
      const revoked = token(now());
      const other = token(now());
      expect(await store.isRevoked(revoked)).toBe(false);
      await store.revoke(revoked);
      expect(await store.isRevoked(revoked)).toBe(true);
      expect(await store.isRevoked({ jti: revoked.jti! })).toBe(true);
      expect(await store.isRevoked(other)).toBe(false);
    });

    it('plugs into tokenInBlocklistLoader as a detached function', async () => {
      const { store, now } = await makeStore();
      const { loader } = store;
      const revoked = token(now());
      await store.revoke(revoked);
      expect(await loader({ header, payload: revoked, ctx: {} })).toBe(true);
      expect(await loader({ header, payload: token(now()), ctx: {} })).toBe(false);
    });

    itTimed('forgets a revoked jti when the token expires, not before', async () => {
      const { store, now, elapse } = await makeStore();
      const shortLived = token(now(), { exp: now() + 1 });
      const longLived = token(now(), { exp: now() + 600 });
      await store.revoke(shortLived);
      await store.revoke(longLived);
      expect(await store.isRevoked(shortLived)).toBe(true);
      await elapse(1.5);
      expect(await store.isRevoked(shortLived)).toBe(false);
      expect(await store.isRevoked(longLived)).toBe(true);
    });

    itTimed(
      'keeps a token without exp revoked for good (it never expires), past maxTokenLifetime',
      async () => {
        const { store, now, elapse } = await makeStore({ maxTokenLifetime: 1 });
        const { exp: _, ...noExp } = token(now());
        await store.revoke(noExp);
        expect(await store.isRevoked(noExp)).toBe(true);
        await elapse(1.5);
        expect(await store.isRevoked(noExp)).toBe(true);
      },
    );

    it('revokeAllForIdentity refuses tokens issued at or before the cut-off, accepts later ones', async () => {
      const { store, now } = await makeStore();
      const t = now();
      await store.revokeAllForIdentity('alice', t - 5);
      expect(await store.isRevoked(token(t, { iat: t - 10 }))).toBe(true);
      expect(await store.isRevoked(token(t, { iat: t - 5 }))).toBe(true);
      expect(await store.isRevoked(token(t, { iat: t - 4 }))).toBe(false);
      expect(await store.isRevoked(token(t, { sub: 'bob', iat: t - 10 }))).toBe(false);
      // A token without iat cannot prove it was issued after the cut-off.
      const { iat: _, ...noIat } = token(t);
      expect(await store.isRevoked(noIat)).toBe(true);
    });

    it('revokeAllForIdentity defaults the cut-off to now', async () => {
      const { store, now } = await makeStore();
      const before = now();
      await store.revokeAllForIdentity('alice');
      const after = now(); // the cut-off is between the two (real time may cross a second)
      expect(await store.isRevoked(token(before, { iat: before }))).toBe(true);
      expect(await store.isRevoked(token(after, { iat: after + 1 }))).toBe(false);
    });

    it('revokeAllForIdentity never lowers a cut-off, and raises it', async () => {
      const { store, now } = await makeStore();
      const t = now();
      await store.revokeAllForIdentity('alice', t - 10);
      await store.revokeAllForIdentity('alice', t - 100);
      expect(await store.isRevoked(token(t, { iat: t - 50 }))).toBe(true);
      expect(await store.isRevoked(token(t, { iat: t - 5 }))).toBe(false);
      await store.revokeAllForIdentity('alice', t);
      expect(await store.isRevoked(token(t, { iat: t - 5 }))).toBe(true);
    });

    it('reads the identity from identityClaim', async () => {
      const { store, now } = await makeStore({ identityClaim: 'uid' });
      const t = now();
      await store.revokeAllForIdentity('42', t);
      expect(await store.isRevoked(token(t, { sub: 'x', uid: '42', iat: t - 1 }))).toBe(true);
      expect(await store.isRevoked(token(t, { sub: 'x', uid: 42, iat: t - 1 }))).toBe(true);
      expect(await store.isRevoked(token(t, { sub: '42', iat: t - 1 }))).toBe(false);
    });

    itTimed('keeps an identity cut-off for maxTokenLifetime', async () => {
      const { store, now, elapse } = await makeStore({ maxTokenLifetime: 1 });
      const old = token(now(), { iat: now() - 1 });
      await store.revokeAllForIdentity('alice');
      expect(await store.isRevoked(old)).toBe(true);
      await elapse(1.5);
      expect(await store.isRevoked(old)).toBe(false);
    });

    it('revokeFamily refuses every token of the family, refresh and access', async () => {
      const { store, now } = await makeStore();
      const t = now();
      await store.revokeFamily('fam-1');
      expect(await store.isRevoked(token(t, { fam: 'fam-1', type: 'refresh' }))).toBe(true);
      expect(await store.isRevoked(token(t, { fam: 'fam-1', type: 'access' }))).toBe(true);
      expect(await store.isRevoked(token(t, { fam: 'fam-2', type: 'refresh' }))).toBe(false);
      expect(await store.isRevoked(token(t, { type: 'refresh' }))).toBe(false);
    });

    itTimed('revokeFamily lasts ttlSeconds', async () => {
      const { store, now, elapse } = await makeStore();
      const member = token(now(), { fam: 'fam-ttl' });
      await store.revokeFamily('fam-ttl', 1);
      expect(await store.isRevoked(member)).toBe(true);
      await elapse(1.5);
      expect(await store.isRevoked(member)).toBe(false);
    });

    it('markUsed is true once, then false: of 20 concurrent calls exactly one wins', async () => {
      const { store, now } = await makeStore();
      const refresh = token(now(), { type: 'refresh' });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.markUsed({ ...refresh })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.markUsed(refresh)).toBe(false);
      expect(await store.markUsed(token(now(), { type: 'refresh' }))).toBe(true);
      // Marking a token used does not revoke it: reuse detection is the caller's decision.
      expect(await store.isRevoked(refresh)).toBe(false);
    });

    itTimed('forgets a used mark when the token expires', async () => {
      const { store, now, elapse } = await makeStore();
      const refresh = token(now(), { type: 'refresh', exp: now() + 1 });
      expect(await store.markUsed(refresh)).toBe(true);
      expect(await store.markUsed(refresh)).toBe(false);
      await elapse(1.5);
      expect(await store.markUsed(refresh)).toBe(true);
    });

    it('refuses revoke and markUsed without a jti, with a TypeError naming it', async () => {
      const { store, now } = await makeStore();
      const { jti: _, ...noJti } = token(now());
      await expect(store.revoke(noJti)).rejects.toThrow(TypeError);
      await expect(store.revoke(noJti)).rejects.toThrow('blocklist.revoke needs a token with a "jti" claim');
      await expect(store.markUsed(noJti)).rejects.toThrow(
        'blocklist.markUsed needs a token with a "jti" claim',
      );
      await expect(store.revoke({ ...noJti, jti: 42 as never })).rejects.toThrow(TypeError);
      // isRevoked still checks what it can: the identity and the family.
      expect(await store.isRevoked(noJti)).toBe(false);
      await store.revokeFamily('fam-x');
      expect(await store.isRevoked({ ...noJti, fam: 'fam-x' })).toBe(true);
    });

    it('refuses an empty identity or family, a bad cut-off or ttl, with a TypeError', async () => {
      const { store } = await makeStore();
      await expect(store.revokeAllForIdentity('')).rejects.toThrow(TypeError);
      await expect(store.revokeAllForIdentity(7 as never)).rejects.toThrow(
        'needs an identity as a non-empty string',
      );
      await expect(store.revokeAllForIdentity('alice', Number.NaN)).rejects.toThrow(
        '`before` in UNIX seconds',
      );
      await expect(store.revokeFamily('')).rejects.toThrow('needs a family as a non-empty string');
      await expect(store.revokeFamily('f', 0)).rejects.toThrow('`ttlSeconds` as a positive number');
    });

    it('rotate: the latest token of a family rotates; an earlier one is reuse and revokes the family', async () => {
      const { store, now } = await makeStore();
      const fam = `fam-${Math.random()}`;
      const r0 = token(now(), { type: 'refresh', fam });
      const r1 = token(now(), { type: 'refresh', fam });
      const r2 = token(now(), { type: 'refresh', fam });
      expect(await store.rotate(r0, fam, { jti: r1.jti!, exp: r1.exp })).toBe('rotated');
      expect(await store.rotate(r1, fam, { jti: r2.jti!, exp: r2.exp })).toBe('rotated');
      expect(await store.isRevoked(r2)).toBe(false);
      expect(await store.rotate(r0, fam, { jti: 'thief', exp: r2.exp })).toBe('reused');
      expect(await store.isRevoked(r2)).toBe(true);
      expect(await store.isRevoked(token(now(), { fam }))).toBe(true);
      // The latest token of a revoked family is refused too, not rotated.
      expect(await store.rotate(r2, fam, { jti: 'next', exp: r2.exp })).toBe('revoked');
    });

    it('rotate: of 20 concurrent rotations of one token exactly one wins', async () => {
      const { store, now } = await makeStore();
      const fam = `fam-${Math.random()}`;
      const r0 = token(now(), { type: 'refresh', fam });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.rotate({ ...r0 }, fam, { jti: `n${i}`, exp: r0.exp })),
      );
      expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'reused' || o === 'revoked')).toHaveLength(19);
    });

    it("rotate refuses a token revoked in the store: its jti, its family, its identity's cut-off", async () => {
      const { store, now } = await makeStore();
      const t = now();
      const byJti = token(t, { type: 'refresh', fam: 'f-jti' });
      await store.revoke(byJti);
      expect(await store.rotate(byJti, 'f-jti', { jti: 'n1', exp: t + 600 })).toBe('revoked');
      const byFamily = token(t, { type: 'refresh', fam: 'f-fam' });
      await store.revokeFamily('f-fam');
      expect(await store.rotate(byFamily, 'f-fam', { jti: 'n2', exp: t + 600 })).toBe('revoked');
      const byCutoff = token(t, { type: 'refresh', sub: 'carol', fam: 'f-id' });
      await store.revokeAllForIdentity('carol', t);
      expect(await store.rotate(byCutoff, 'f-id', { jti: 'n3', exp: t + 600 })).toBe('revoked');
      // Nothing was retired by a refused rotation: the record is unchanged.
      expect(
        await store.rotate(token(t + 1, { type: 'refresh', sub: 'carol' }), 'f-id', {
          jti: 'n4',
          exp: t + 600,
        }),
      ).toBe('rotated');
    });

    itTimed('a reuse revocation lives as long as the longest-lived token of the family', async () => {
      const { store, now, elapse } = await makeStore();
      const fam = `fam-${Math.random()}`;
      // The first token is short-lived; the rotation minted a longer-lived pair.
      const r0 = token(now(), { type: 'refresh', fam, exp: now() + 1 });
      const r1 = token(now(), { type: 'refresh', fam, exp: now() + 600 });
      expect(await store.rotate(r0, fam, { jti: r1.jti!, exp: r1.exp })).toBe('rotated');
      expect(await store.rotate(r0, fam, { jti: 'thief', exp: now() + 1 })).toBe('reused');
      await elapse(1.5);
      expect(await store.isRevoked(r1)).toBe(true);
    });

    itTimed('a family whose tokens never expire stays revoked for good', async () => {
      const { store, now, elapse } = await makeStore({ maxTokenLifetime: 1 });
      const fam = `fam-${Math.random()}`;
      const { exp: _, ...r0 } = token(now(), { type: 'refresh', fam });
      expect(await store.rotate(r0, fam, { jti: 'r1', exp: undefined })).toBe('rotated');
      expect(await store.rotate(r0, fam, { jti: 'thief', exp: undefined })).toBe('reused');
      await store.revokeFamily(fam, 1); // a shorter explicit ttl never shortens it
      await elapse(1.5);
      expect(await store.isRevoked({ jti: 'r1', fam })).toBe(true);
    });

    it('rotate with a reuse grace: the previous token again within it gets a sibling pair, not a revocation', async () => {
      const { store, now } = await makeStore();
      const fam = `fam-${Math.random()}`;
      const grace = { reuseGraceMs: 5_000 };
      const r0 = token(now(), { type: 'refresh', fam });
      const [r1, r1b, r2, r2b] = [0, 1, 2, 3].map(() => token(now(), { type: 'refresh', fam }));
      expect(await store.rotate(r0, fam, { jti: r1!.jti!, exp: r1!.exp }, grace)).toBe('rotated');
      // A second tab, racing with the first, presents r0 again: it gets its own pair in the family.
      expect(await store.rotate(r0, fam, { jti: r1b!.jti!, exp: r1b!.exp }, grace)).toBe('rotated');
      expect(await store.isRevoked(r1!)).toBe(false);
      // Either sibling rotates on; the other, presented within the grace, gets a sibling again.
      expect(await store.rotate(r1b!, fam, { jti: r2!.jti!, exp: r2!.exp }, grace)).toBe('rotated');
      expect(await store.rotate(r1!, fam, { jti: r2b!.jti!, exp: r2b!.exp }, grace)).toBe('rotated');
      expect(await store.isRevoked(r2!)).toBe(false);
      // A token two generations back is reuse, grace or not.
      expect(await store.rotate(r0, fam, { jti: 'thief', exp: r2!.exp }, grace)).toBe('reused');
      expect(await store.isRevoked(r2!)).toBe(true);
    });

    it('rotate with a reuse grace: after the grace, the previous token is reuse and revokes the family', async () => {
      const { store, now, elapse } = await makeStore();
      const fam = `fam-${Math.random()}`;
      const grace = { reuseGraceMs: 1_000 };
      const r0 = token(now(), { type: 'refresh', fam });
      const r1 = token(now(), { type: 'refresh', fam });
      expect(await store.rotate(r0, fam, { jti: r1.jti!, exp: r1.exp }, grace)).toBe('rotated');
      await elapse(1.5);
      expect(await store.rotate(r0, fam, { jti: 'late', exp: r1.exp }, grace)).toBe('reused');
      expect(await store.isRevoked(r1)).toBe(true);
    });

    it('rotate without a grace (the default): the previous token at once is reuse', async () => {
      const { store, now } = await makeStore();
      const fam = `fam-${Math.random()}`;
      const r0 = token(now(), { type: 'refresh', fam });
      const r1 = token(now(), { type: 'refresh', fam });
      expect(await store.rotate(r0, fam, { jti: r1.jti!, exp: r1.exp })).toBe('rotated');
      expect(await store.rotate(r0, fam, { jti: 'again', exp: r1.exp })).toBe('reused');
    });

    it('keeps identities, jtis and families apart', async () => {
      const { store, now } = await makeStore();
      const t = now();
      await store.revoke(token(t, { jti: 'same' }));
      expect(await store.isRevoked({ fam: 'same', iat: t })).toBe(false);
      expect(await store.isRevoked({ sub: 'same', iat: t })).toBe(false);
      expect(await store.markUsed(token(t, { jti: 'same' }))).toBe(true);
    });
  });
}
