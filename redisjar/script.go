package redisjar

// storeScript stores one change if it is newer than what Redis holds for
// the cookie, sets the key's expiry and appends the change to the stream,
// all atomically, and returns what Redis holds afterwards.
//
// KEYS: the cookie key, the index, the stream, the stream counter.
// ARGV: upd (20-digit Unix nanoseconds), del ("1" for a deletion), the JSON
// record, the expiry in Unix milliseconds ("0" for none), the tombstone TTL
// in milliseconds, the stream's approximate maximum length, the writer id.
//
// Reply: {status, upd, del, rec}, status being "ok" (stored as given),
// "same" (Redis already held this change) or "kept" (Redis holds another
// version, returned, which the writer's jar should take).
//
// Order: the later upd wins. On a tie a deletion wins (as Jar.Apply
// decides), and of two different writes the byte-wise larger record wins;
// the winner is then stored one nanosecond later, so that every jar, which
// keeps its own copy on a tie, takes it. Byte-wise, because Lua's string
// comparison follows the server's collation locale.
const storeScript = `
local key, index, log, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local upd, del, rec, exp = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen, writer = tonumber(ARGV[5]), ARGV[6], ARGV[7]

local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function later(t)
  local hi, lo = tonumber(string.sub(t, 1, 11)), tonumber(string.sub(t, 12)) + 1
  if lo == 1000000000 then hi, lo = hi + 1, 0 end
  return string.format('%011d%09d', hi, lo)
end

local status = 'ok'
local cur = redis.call('HMGET', key, 'upd', 'del', 'rec', 'exp')
if cur[1] then
  local cupd, cdel, crec, cexp = cur[1], cur[2] or '0', cur[3] or '', cur[4] or '0'
  if less(upd, cupd) then return {'kept', cupd, cdel, crec} end
  if upd == cupd then
    if del == cdel and (del == '1' or rec == crec) then return {'same', cupd, cdel, crec} end
    if cdel == '1' then return {'kept', cupd, cdel, crec} end
    if del == '0' then
      if less(rec, crec) then rec, exp, writer = crec, cexp, '' end
      upd, status = later(upd), 'kept'
    end
  end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', key, 'upd', upd, 'del', del, 'rec', rec, 'exp', exp)
local score = '+inf'
if del == '1' then
  score = now + ttl
  redis.call('PEXPIREAT', key, score)
elseif exp ~= '0' then
  score = exp
  redis.call('PEXPIREAT', key, exp)
else
  redis.call('PERSIST', key)
end
redis.call('ZADD', index, score, key)
redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
local n = redis.call('INCR', seq)
redis.call('XADD', log, 'MAXLEN', '~', maxlen, '*', 'upd', upd, 'del', del, 'rec', rec, 'n', n, 'w', writer)
return {status, upd, del, rec}
`
