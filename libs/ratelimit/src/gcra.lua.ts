/**
 * GCRA (generic cell rate algorithm). A limiter's only state is its theoretical arrival time
 * (TAT, in microseconds on Redis' own clock via TIME, so that rates above 1,000/s are not
 * rounded down to one unit per millisecond; the benchmark found that): one field of a shard
 * hash, field = hashed limiter id, value = TAT (an integer: as compact in a listpack as ms). A TAT in the past means the limiter is full again, so such a field is the same as
 * no field; they are removed by sampling a few fields per write (as Redis expires keys itself),
 * and the hash's own TTL, pushed out to its latest TAT on every write, drops the whole hash once
 * every limiter in it is idle. Small hashes stay listpack-encoded: about 25 bytes per active
 * limiter instead of about 100 for a key of its own (npm run bench:memory). Every replica of
 * every service shares the state, so limits hold however many gateways there are.
 *
 * One call serves every limiter a request needs (the source, and each namespace's creation
 * budget): one round trip per webhook. Each shard hash is its own hash tag; on Redis Cluster the
 * call is split per master (rate-limiter.ts).
 *
 * KEYS: the shard hashes. ARGV[1] fields sampled for pruning, then per limiter seven values: key
 * index, emission interval (µs per unit), burst (units), cost (units wanted), 1 = grant what fits
 * (partial) / 0 = all or nothing, field (limiter id), gate: 0, or the 1-based number of an
 * earlier limiter that must have granted something for this one to be evaluated at all (a
 * webhook's source gates its creation budgets: a refused request takes none; granted 0).
 * Returns per limiter { granted, remaining, reset_after_ms, retry_after_ms }.
 */
export const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local samples = tonumber(ARGV[1])
local out = {}
for l = 0, (#ARGV - 1) / 7 - 1 do
local key = KEYS[tonumber(ARGV[2 + l * 7])]
local interval = tonumber(ARGV[3 + l * 7])
local burst = tonumber(ARGV[4 + l * 7])
local cost = tonumber(ARGV[5 + l * 7])
local partial = ARGV[6 + l * 7] == '1'
local field = ARGV[7 + l * 7]
local gate = tonumber(ARGV[8 + l * 7])
if gate > 0 and out[gate][1] == 0 then cost = 0 end
local tolerance = interval * burst
local tat = now
local stored = tonumber(redis.call('HGET', key, field) or 0)
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
  redis.call('HSET', key, field, math.ceil(tat))
  local ttl = math.max(1, math.ceil((tat - now) / 1000))
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  if samples > 0 then
    local sample = redis.call('HRANDFIELD', key, samples, 'WITHVALUES')
    for j = 1, #sample, 2 do
      if tonumber(sample[j + 1]) <= now then redis.call('HDEL', key, sample[j]) end
    end
  end
end
local remaining = math.floor((now + tolerance - tat) / interval)
if remaining < 0 then remaining = 0 end
local retry_after = 0
if granted < cost then
  -- When the next unit fits.
  retry_after = math.max(0, math.ceil((tat + interval - tolerance - now) / 1000))
end
out[#out + 1] = { granted, remaining, math.ceil((tat - now) / 1000), retry_after }
end
return out
`;
