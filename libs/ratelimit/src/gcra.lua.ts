/**
 * GCRA (generic cell rate algorithm). A limiter's only state is its theoretical arrival time
 * (TAT, ms on Redis' own clock via TIME): one field of a shard hash, field = hashed limiter id,
 * value = TAT. A TAT in the past means the limiter is full again, so such a field is the same as
 * no field; they are removed by sampling a few fields per write (as Redis expires keys itself),
 * and the hash's own TTL, pushed out to its latest TAT on every write, drops the whole hash once
 * every limiter in it is idle. Small hashes stay listpack-encoded: about 25 bytes per active
 * limiter instead of about 100 for a key of its own (npm run bench:memory). Every replica of
 * every service shares the state, so limits hold however many gateways there are.
 *
 * KEYS[1] shard hash. ARGV[1] emission interval (ms per unit), ARGV[2] burst (units),
 * ARGV[3] cost (units wanted), ARGV[4] 1 = grant what fits (partial), 0 = all or nothing,
 * ARGV[5] field (limiter id), ARGV[6] fields sampled for pruning.
 * Returns { granted, remaining, reset_after_ms, retry_after_ms }.
 */
export const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local partial = ARGV[4] == '1'
local field = ARGV[5]
local samples = tonumber(ARGV[6])
local tolerance = interval * burst
local tat = now
local stored = tonumber(redis.call('HGET', KEYS[1], field) or 0)
if stored > now then tat = stored end
-- Units that fit now: each needs one interval of room below now + tolerance.
local fits = math.floor((now + tolerance - tat) / interval)
if fits < 0 then fits = 0 end
local granted = cost
if fits < cost then
  if partial then granted = fits else granted = 0 end
end
if granted > 0 then
  tat = tat + granted * interval
  redis.call('HSET', KEYS[1], field, math.ceil(tat))
  local ttl = math.max(1, math.ceil(tat - now))
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  if samples > 0 then
    local sample = redis.call('HRANDFIELD', KEYS[1], samples, 'WITHVALUES')
    for j = 1, #sample, 2 do
      if tonumber(sample[j + 1]) <= now then redis.call('HDEL', KEYS[1], sample[j]) end
    end
  end
end
local remaining = math.floor((now + tolerance - tat) / interval)
if remaining < 0 then remaining = 0 end
local retry_after = 0
if granted < cost then
  -- When the next unit fits.
  retry_after = math.max(0, math.ceil(tat + interval - tolerance - now))
end
return { granted, remaining, math.ceil(tat - now), retry_after }
`;
