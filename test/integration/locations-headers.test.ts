/** The `headers` location through every adapter, with flask's parsing rules (reference §3.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager } from '../../src/index.js';
import { callTrpc, type Endpoint } from '../helpers/servers.js';
import { createTestApp, expectIdentity, expectJwtError, serveAll } from '../helpers/jwt-app.js';

const bearerApp = createTestApp();
const rawApp = createTestApp({ headerType: '' });
const customApp = createTestApp({ headerName: 'X-Api-Token', headerType: 'JWT' });

const served: Record<string, Endpoint[]> = {};
beforeAll(async () => {
  served.bearer = await serveAll(bearerApp);
  served.raw = await serveAll(rawApp);
  served.custom = await serveAll(customApp);
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const BAD = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
const MISSING_TYPE =
  "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const me = (app: string, headers: Record<string, string>) =>
    callTrpc(served[app]![index]!, 'me', { headers });
  let jwt = '';
  beforeAll(async () => {
    jwt = await bearerApp.jwt.createAccessToken('alice');
  });

  describe('Authorization: Bearer', () => {
    it.each([
      ['Bearer <jwt>', 'plain'],
      ['Bearer <jwt>, Basic x', 'first of two schemes'],
      ['Basic x, Bearer <jwt>', 'second of two schemes'],
      ['Bearer <jwt>,   ', 'a trailing comma and spaces'],
      [',Bearer <jwt>,', 'commas around it'],
      ['bearer <jwt>', 'lower-case scheme (RFC 9110)'],
      ['BEARER <jwt>', 'upper-case scheme'],
      ['Bearer   <jwt>', 'several spaces'],
    ])('accepts %j (%s)', async (value) => {
      expectIdentity(await me('bearer', { Authorization: value.replace('<jwt>', jwt) }), 'alice', 'headers');
    });

    it('401 Missing Authorization Header when absent, empty or only commas', async () => {
      for (const headers of [{}, { Authorization: '' }, { Authorization: ',,,' }]) {
        expectJwtError(await me('bearer', headers), 401, 'NO_AUTHORIZATION', 'Missing Authorization Header');
      }
    });

    it('401 Missing Bearer type for another scheme, or for two Bearer values', async () => {
      for (const value of ['Basic x', `Bearer ${jwt}, Bearer ${jwt}`, 'Token abc', 'Bearerx abc']) {
        expectJwtError(await me('bearer', { Authorization: value }), 401, 'NO_AUTHORIZATION', MISSING_TYPE);
      }
    });

    it('422 Bad Authorization header for `Bearer ,,0`, `Bearer` alone and three words', async () => {
      for (const value of ['Bearer ,,0', 'Bearer', `Bearer ${jwt} extra`]) {
        expectJwtError(await me('bearer', { Authorization: value }), 422, 'INVALID_HEADER', BAD);
      }
    });

    it('422 with the decode error for a well-formed header holding a bad token', async () => {
      expectJwtError(
        await me('bearer', { Authorization: 'Bearer abc' }),
        422,
        'INVALID_TOKEN',
        'Not enough segments',
      );
      const other = createJwtManager({ secretKey: 'another-secret-0123456789abcdef-0123456' });
      const forged = await other.createAccessToken('alice');
      expectJwtError(
        await me('bearer', { Authorization: `Bearer ${forged}` }),
        422,
        'INVALID_TOKEN',
        'Signature verification failed',
      );
    });
  });

  describe("headerType '' (the header holds the raw token)", () => {
    it('accepts the raw token, surrounded by spaces or commas', async () => {
      expectIdentity(await me('raw', { Authorization: jwt }), 'alice', 'headers');
      expectIdentity(await me('raw', { Authorization: `, ${jwt} ,` }), 'alice', 'headers');
    });

    it("422 Bad Authorization header. Expected 'Authorization: <JWT>' for more than one word", async () => {
      expectJwtError(
        await me('raw', { Authorization: `Bearer ${jwt}` }),
        422,
        'INVALID_HEADER',
        "Bad Authorization header. Expected 'Authorization: <JWT>'",
      );
    });
  });

  describe('custom headerName and headerType', () => {
    it('reads X-Api-Token: JWT <token>, and names the header in every message', async () => {
      expectIdentity(await me('custom', { 'x-api-token': `JWT ${jwt}` }), 'alice', 'headers');
      expectJwtError(
        await me('custom', { Authorization: `Bearer ${jwt}` }),
        401,
        'NO_AUTHORIZATION',
        'Missing X-Api-Token Header',
      );
      expectJwtError(
        await me('custom', { 'X-Api-Token': `Bearer ${jwt}` }),
        401,
        'NO_AUTHORIZATION',
        "Missing 'JWT' type in 'X-Api-Token' header. Expected 'X-Api-Token: JWT <JWT>'",
      );
      expectJwtError(
        await me('custom', { 'X-Api-Token': 'JWT a b' }),
        422,
        'INVALID_HEADER',
        "Bad X-Api-Token header. Expected 'X-Api-Token: JWT <JWT>'",
      );
    });
  });

  it('optional procedures treat a missing Bearer type as no token, but not a bad header', async () => {
    const endpoint = served.bearer![index]!;
    const basic = await callTrpc(endpoint, 'optional', { headers: { Authorization: 'Basic x' } });
    expect({ status: basic.status, data: basic.data }).toEqual({ status: 200, data: null });
    const bad = await callTrpc(endpoint, 'optional', { headers: { Authorization: 'Bearer ,,0' } });
    expectJwtError(bad, 422, 'INVALID_HEADER', BAD);
  });
});
