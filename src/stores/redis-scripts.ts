/**
 * The Lua scripts of the Redis blocklist. Every script that writes a revocation publishes the key it
 * wrote on the invalidation channel (the last ARGV) in the same atomic step, so the message is on its
 * way to every subscriber before the writer gets its answer: a local cache hears of a revocation no
 * later than anyone can act on it. Family revocations store when they end (ms since the epoch, `-1`:
 * never) so that a cached answer never outlives them.
 */

/** `SET key 1` for `ARGV[1]` ms (`-1`: forever), then publish it. */
export const REVOKE = `if ARGV[1] == '-1' then redis.call('SET', KEYS[1], '1')
else redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
redis.call('PUBLISH', ARGV[2], 'k' .. KEYS[1])
return 1`;

/**
 * `SET key cutoff EX ttl` only when greater than the stored cut-off, atomically: a later call with an
 * earlier cut-off never lowers it. Publishes only a raise.
 */
export const RAISE_CUTOFF = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'k' .. KEYS[1])
return 1`;

/**
 * Shared by the two family scripts: `keep` grows to cover `key`'s remaining life (-1: forever), and
 * `revoke(famKey, now, channel)` writes the family's revocation for `keep` ms and publishes it.
 */
const FAMILY_HELPERS = `local keep = tonumber(ARGV[1])
local function cover(key)
  local left = redis.call('PTTL', key)
  if left == -1 then keep = -1 elseif keep ~= -1 and left > keep then keep = left end
end
local function revoke(key, now, channel)
  cover(key)
  if keep == -1 then redis.call('SET', key, '-1')
  else redis.call('SET', key, string.format('%.0f', tonumber(now) + keep), 'PX', keep) end
  redis.call('PUBLISH', channel, 'k' .. key)
end
`;

/**
 * A family revocation for at least `ARGV[1]` ms (-1: forever), never shortening a longer one or the
 * rotation record. KEYS: fam, rot. ARGV: ms, now (ms), channel.
 */
export const REVOKE_FAMILY = `${FAMILY_HELPERS}cover(KEYS[2])
revoke(KEYS[1], ARGV[2], ARGV[3])
return 1`;

/**
 * One rotation step, atomically (see `Blocklist.rotate`).
 * KEYS: fam, rot (the family's latest refresh token), then on a single Redis the presented token's
 * jti and its identity's cut-off (absent without identity); on a Cluster those two live in other
 * slots and the caller checks them around the script.
 * ARGV: ms the record must live (-1: forever), now (ms), channel, the presented jti, its iat ('' when
 * none), the next jti, the reuse grace (ms), the most siblings of one generation.
 * The record is JSON `{ c: current jtis, p: previous generation's jtis, t: when it retired (ms) }`;
 * a plain jti (written before the grace existed) reads as `{ c: [jti], p: [], t: 0 }`.
 */
export const ROTATE = `${FAMILY_HELPERS}if redis.call('EXISTS', KEYS[1]) == 1 then return 'revoked' end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return 'revoked' end
if KEYS[4] then
  local cut = tonumber(redis.call('GET', KEYS[4]))
  local iat = tonumber(ARGV[5])
  if cut and not (iat and iat > cut) then return 'revoked' end
end
cover(KEYS[2])
local raw = redis.call('GET', KEYS[2])
local rec = { c = { ARGV[4] }, p = {}, t = 0 }
local fresh = true
if raw then
  fresh = false
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then rec = decoded else rec = { c = { raw }, p = {}, t = 0 } end
end
local function has(list, jti)
  for _, v in ipairs(list) do if v == jti then return true end end
  return false
end
local now = tonumber(ARGV[2])
local grace = tonumber(ARGV[7])
local nextRec
if fresh or has(rec.c, ARGV[4]) then
  nextRec = { c = { ARGV[6] }, p = rec.c, t = now }
elseif grace > 0 and now - tonumber(rec.t) <= grace and has(rec.p, ARGV[4]) and #rec.c < tonumber(ARGV[8]) then
  table.insert(rec.c, ARGV[6])
  nextRec = rec
else
  revoke(KEYS[1], ARGV[2], ARGV[3])
  return 'reused'
end
local text = cjson.encode(nextRec)
if keep == -1 then redis.call('SET', KEYS[2], text) else redis.call('SET', KEYS[2], text, 'PX', keep) end
return 'rotated'`;
