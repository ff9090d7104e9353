/** The RFC 6750 challenge text: the whole message when it fits, never cut mid-phrase when it does not. */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { NoAuthorizationError } from '../../src/errors.js';
import { toTRPCError } from '../../src/error-formatter.js';
import { bearerChallenge, quoted } from '../../src/challenge.js';

describe('bearerChallenge', () => {
  it('keeps a long combined "Missing JWT in …" message whole (it was cut at 200 characters)', () => {
    const message =
      'Missing JWT in headers, cookies, query_string, json or connection_params (Missing Authorization Header; ' +
      'Missing cookie "access_token_cookie"; Missing \'jwt\' query paramater; Missing "access_token" key in json data.; ' +
      'Missing "token" in connection params)';
    const header = bearerChallenge('api', toTRPCError(new NoAuthorizationError(message)));
    expect(message.length).toBeGreaterThan(200);
    expect(header).toBe(
      `Bearer realm="api", error="invalid_request", error_description="${message.replace(/"/g, "'")}"`,
    );
  });

  it('cuts an over-long message at a phrase boundary, with an ellipsis', () => {
    const phrases = Array.from({ length: 200 }, (_, i) => `phrase number ${i} of a custom loader message`);
    const text = quoted(phrases.join('; '));
    expect(text.length).toBeLessThanOrEqual(1024);
    expect(text.endsWith(' …')).toBe(true);
    const kept = text.slice(0, -2).split('; ');
    expect(kept.every((p, i) => p === phrases[i])).toBe(true);
  });

  it('replaces quotes and characters a quoted-string cannot carry', () => {
    expect(quoted('a "b"\nc\u00e9')).toBe("a 'b' c ");
    expect(bearerChallenge('api', new TRPCError({ code: 'UNAUTHORIZED', message: 'x' }))).toBe(
      'Bearer realm="api", error="invalid_token", error_description="x"',
    );
  });
});
