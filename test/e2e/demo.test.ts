/** `npm run demo`'s walk, run in-process: every step must behave as printed, with either blocklist. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../helpers/example.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';

async function expectDemoPasses(options: { redisUrl?: string }): Promise<string[]> {
  const { runDemo } = await loadDemo();
  const lines: string[] = [];
  const result = await runDemo({ ...options, accessExpires: 2, log: (line) => lines.push(line) });

  const failed = result.steps
    .filter((step) => !step.ok)
    .map((step) => `${step.n}. ${step.title}: ${step.detail}`);
  expect(failed).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.steps.map((step) => [step.title, step.detail.split(' ').slice(0, 2).join(' ')])).toEqual([
    ['log in (auth.login)', '200 signed'],
    ['protected call (notes.add)', '200 note'],
    ['wait for the access token to expire', expect.stringMatching(/^waited \d/)],
    ['expired token refused (me)', '401 TOKEN_EXPIRED:'],
    ['refresh (auth.refresh with the refresh token)', '200 new'],
    ['fresh-required call refused (account.exportNotes)', '401 FRESH_TOKEN_REQUIRED:'],
    ['log in again (auth.login)', '200 signed'],
    ['fresh call (account.exportNotes)', '200 exported'],
    ['log out (auth.logout)', '200 access'],
    ['revoked access token refused (me)', '401 TOKEN_REVOKED:'],
    ['revoked refresh token refused (auth.refresh)', '401 TOKEN_REVOKED:'],
  ]);
  expect(result.steps[3]?.detail).toBe('401 TOKEN_EXPIRED: Token has expired');
  expect(result.steps[5]?.detail).toBe('401 FRESH_TOKEN_REQUIRED: Fresh token required');
  expect(result.steps[8]?.detail).toBe('200 access token revoked: true, refresh token revoked: true');
  expect(result.steps[9]?.detail).toBe('401 TOKEN_REVOKED: Token has been revoked');
  // Every step is printed as a numbered line with its mark, then the verdict.
  expect(lines.filter((line) => /^ ?\d+\. ✓ /.test(line))).toHaveLength(11);
  expect(lines.at(-1)).toBe('\nAll 11 steps behaved as expected.');
  return lines;
}

describe('example app demo (API client with header tokens)', () => {
  it('walks login → expiry → refresh → fresh check → re-login → logout → revocation (memory blocklist)', async () => {
    const lines = await expectDemoPasses({});
    expect(lines.some((line) => line.includes('Redis'))).toBe(false);
  });

  describe.skipIf(!hasRedis)('with REDIS_URL', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('walks the same steps with the revocations in Redis', async () => {
      const lines = await expectDemoPasses({ redisUrl: redis.url });
      expect(lines).toContain(`Revoked tokens are kept in Redis (127.0.0.1:${redis.port}).`);
    });
  });
});
