/**
 * One atomic decision per signal of a webhook (docs/design.md §1 and §7).
 *
 * Layout, chosen for bytes (bench: npm run bench:memory): fingerprints are spread over
 * 16^SHARD_DIGITS hashes; each field is the next FIELD_DIGITS hex digits of the fingerprint and
 * each value is "<first seen ms>:<last seen - first seen, ms>:<count>" in base 36. Small hashes
 * stay listpack-encoded (no per-entry dict entry, robj or expire entry), which is what keeps an
 * open incident near 50 bytes instead of the ~520 of a JSON string per key.
 *
 * Expiry per entry is derived, not stored: an entry whose last sighting is older than the window
 * is treated as absent. A hash key's own TTL is pushed to now + window on every firing write, so
 * it always outlives its freshest entry; stale entries of a live hash are removed when met on
 * lookup and by sweeping: a written hash of n entries is swept whole with probability samples / n
 * (always when n ≤ samples). Each entry is then examined with the same probability per write as
 * if `samples` random fields were drawn (HRANDFIELD: the same bound on
 * stale entries), but the sweep costs one HLEN per written hash and now and then one HGETALL,
 * instead of a sample and its decoding on every write: the sampling was half of this script's
 * time inside Redis (npm run bench:scripts). The draw is derived from the field written and the
 * time (math.random's seed is not to be relied on across script calls).
 *
 * A resolution leaves the resolved entry behind for the retention ARGV[3] ("<value>:<resolved at -
 * first seen>"): a retried resolution (the sender never got the answer, and the crd-writer may have
 * lost what it had not flushed) is answered 'resolved' again with the incident's counts, not
 * 'unmatched'. A firing treats it as absent and opens a new incident over it.
 *
 * A workload incident (its signals name their pod) also has a pods hash beside its entry (same
 * hash tag): field = pod, value = its last firing (ms, base 36), or 'r' once its alert resolved.
 * A resolution of one pod closes the incident only when no other pod of it is still firing
 * (fired within the window); otherwise it is answered 6 and the incident stays open. At most
 * PODS_CAP pods are tracked: later ones count as firings of the incident, not as pods.
 *
 * KEYS: the distinct shard hashes and pods hashes of the batch.
 * ARGV[1] window (ms), ARGV[2] fields examined per written hash on average, ARGV[3] how long a
 * resolved entry answers retried resolutions (ms, 0: removed at once), then per signal 5 values:
 *   key index (1-based into KEYS), field, op ('f' firing, 'F' firing in a storm: fold if new,
 *   'r' resolved), pods hash index (0: not a workload incident), pod.
 * Returns per signal 5 integers: outcome (1 new, 2 duplicate, 3 resolved, 4 unmatched, 5 folded:
 * an 'F' signal with no open incident, nothing written; 6 pod resolved, others still firing),
 * first seen ms, last seen ms, count, pods tracked (0 without a pods hash). Time is Redis' own
 * (TIME), shared by every replica.
 */
/** Base-36 encoding of a non-negative integer, shared by the scripts that write dedup values. */
const B36_LUA = `
local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
local function b36(n)
  if n <= 0 then return '0' end
  local s = ''
  while n > 0 do
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = (n - d) / 36
  end
  return s
end
`;

/** Pods tracked per workload incident: at 128 its pods hash is still a listpack (Redis' default hash-max-listpack-entries). */
export const PODS_CAP = 128;

export const DEDUP_BATCH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local samples = tonumber(ARGV[2])
-- Never past the window: a firing write sets the hash's TTL to the window.
local retention = math.min(tonumber(ARGV[3]), window)
local PODS_CAP = ${PODS_CAP}
${B36_LUA}

-- first seen, last seen, count, and when resolved (nil while open); nil for an unreadable value.
local function decode(v)
  local a, b, c, r = string.match(v, '^(%w+):(%w+):(%w+):?(%w*)$')
  if not a then return nil end
  local first = tonumber(a, 36)
  return first, first + tonumber(b, 36), tonumber(c, 36), (r ~= '' and first + tonumber(r, 36)) or nil
end

local function encode(first, last, count)
  return b36(first) .. ':' .. b36(last - first) .. ':' .. b36(count)
end

-- A draw in [0, 1) per written hash: the first 24 bits of a field written to it (fingerprint
-- digits, uniform) plus the time times a Weyl step (0.618 × 2^24), so that consecutive
-- milliseconds and different hashes draw far apart.
local function draw(field)
  return ((tonumber(string.sub(field, 1, 6), 16) or 0) + (now % 1000003) * 10368889) % 16777216 / 16777216
end

-- Records a firing pod; 'new' drops the pods of the fingerprint's previous incident.
local function podFired(pods, pod, new)
  if new then redis.call('DEL', pods) end
  if redis.call('HLEN', pods) < PODS_CAP or redis.call('HEXISTS', pods, pod) == 1 then
    redis.call('HSET', pods, pod, b36(now))
  end
  redis.call('PEXPIRE', pods, window)
end

-- Whether a pod other than this one still fires, after recording this one's resolution.
local function othersFiring(pods, pod)
  if redis.call('HEXISTS', pods, pod) == 1 then redis.call('HSET', pods, pod, 'r') end
  local all = redis.call('HGETALL', pods)
  for j = 2, #all, 2 do
    local seen = all[j] ~= 'r' and tonumber(all[j], 36)
    if seen and now - seen <= window then return true end
  end
  return false
end

local out = {}
local written = {}
local n = (#ARGV - 3) / 5
for i = 0, n - 1 do
  local ki = tonumber(ARGV[4 + i * 5])
  local key = KEYS[ki]
  local field = ARGV[5 + i * 5]
  local op = ARGV[6 + i * 5]
  local pods = KEYS[tonumber(ARGV[7 + i * 5])]
  local pod = ARGV[8 + i * 5]
  local first, last, count, resolvedAt
  local v = redis.call('HGET', key, field)
  if v then
    first, last, count, resolvedAt = decode(v)
    local open = first and not resolvedAt and now - last <= window
    local retried = first and resolvedAt and op == 'r' and now - resolvedAt <= retention
    if not (open or retried) then first = nil end
  end
  if op == 'F' and not first then
    -- Its storm's aggregate counts it; the window keeps nothing of it.
    first, last, count = 0, 0, 0
    out[#out + 1] = 5
  elseif op ~= 'r' then
    if first then
      count = count + 1
      if now > last then last = now end
      out[#out + 1] = 2
    else
      first, last, count = now, now, 1
      out[#out + 1] = 1
    end
    redis.call('HSET', key, field, encode(first, last, count))
    written[ki] = field
    if pods then podFired(pods, pod, out[#out] == 1) end
  elseif first and not resolvedAt and pods and othersFiring(pods, pod) then
    out[#out + 1] = 6
  elseif first then
    if pods then redis.call('DEL', pods) end
    if not resolvedAt then
      if retention > 0 then
        redis.call('HSET', key, field, encode(first, last, count) .. ':' .. b36(now - first))
        if redis.call('PTTL', key) < retention then redis.call('PEXPIRE', key, retention) end
      else
        redis.call('HDEL', key, field)
      end
    end
    out[#out + 1] = 3
  else
    if v then redis.call('HDEL', key, field) end
    first, last, count = 0, 0, 0
    out[#out + 1] = 4
  end
  out[#out + 1] = first
  out[#out + 1] = last
  out[#out + 1] = count
  out[#out + 1] = pods and redis.call('HLEN', pods) or 0
end

for ki, field in pairs(written) do
  local key = KEYS[ki]
  if samples > 0 then
    local size = redis.call('HLEN', key)
    if size <= samples or draw(field) * size < samples then
      local all = redis.call('HGETALL', key)
      local stale = {}
      -- Stale when its last sighting is older than the window, or its resolution older than the
      -- retention.
      for j = 2, #all, 2 do
        local first, last, _, resolvedAt = decode(all[j])
        if (not first) or (resolvedAt and now - resolvedAt > retention) or ((not resolvedAt) and now - last > window) then
          stale[#stale + 1] = all[j - 1]
        end
      end
      -- HDEL in slices: unpack's stack is bounded.
      for j = 1, #stale, 1000 do redis.call('HDEL', key, unpack(stale, j, math.min(j + 999, #stale))) end
    end
  end
  redis.call('PEXPIRE', key, window)
end
return out
`;

/**
 * Forgets open incidents if they are still the ones named (their first-seen time matches), so a
 * newer incident of the same fingerprint is never dropped by a late call.
 * KEYS: shard hashes and pods hashes; ARGV per incident: key index, field, first seen ms, pods
 * hash index (its pods go with it).
 * Returns per incident 1 when forgotten, else 0.
 */
export const DEDUP_FORGET_LUA = `
local out = {}
for i = 0, #ARGV / 4 - 1 do
  local key = KEYS[tonumber(ARGV[1 + i * 4])]
  local field = ARGV[2 + i * 4]
  local v = redis.call('HGET', key, field)
  local a = v and string.match(v, '^(%w+):')
  if a and tonumber(a, 36) == tonumber(ARGV[3 + i * 4]) then
    redis.call('HDEL', key, field)
    redis.call('DEL', KEYS[tonumber(ARGV[4 + i * 4])])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * Makes an incident the open one of its fingerprint, keeping the larger count when it already is.
 * KEYS[1] shard hash; ARGV[1] field, ARGV[2] first seen ms, ARGV[3] occurrences, ARGV[4] window ms.
 * Returns first seen, last seen, count.
 */
export const DEDUP_ADOPT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
${B36_LUA}
local first = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local a, c = string.match(v, '^(%w+):%w+:(%w+)$')
  if a and tonumber(a, 36) == first and tonumber(c, 36) > count then count = tonumber(c, 36) end
end
if first > now then first = now end
redis.call('HSET', KEYS[1], ARGV[1], b36(first) .. ':' .. b36(now - first) .. ':' .. b36(count))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return { first, now, count }
`;
