/**
 * Storm detection and folding for every signal of a webhook, atomically (issue: storm service).
 *
 * One hash per storm key (all under the hash tag {s}, so one script serves a whole batch on
 * Redis Cluster too). Fields, all small so the hash stays listpack-encoded (≤ 128 fields):
 *   c, p, t   sliding-window counter: alerts in the current and previous window, current start (s)
 *   M         the members (target resources), packed: 5 bytes each, 3 of the resource's hash and
 *             2 of its last-seen second (mod 65536); at most MEMBER_CAP (50 members = 250 bytes)
 *   S L T O R X  while a storm is on: start, last activity, type (1 rate, 2 pattern),
 *             occurrences, resolved alerts, alerts of members beyond the cap
 * The key's TTL is pushed to max(2 × window, inactivity) on every write.
 *
 * The incidents opened individually before a storm are not remembered here: the crd-writer finds
 * them in Kubernetes (open resources of the storm key) when it creates the aggregate.
 *
 * ARGV: per key (in KEYS order) its settings: rate N, pattern M, window ms, inactivity ms, max
 * duration ms, member cap; then per input: key index, member hash ('' for none), 'f'/'r', new
 * incident '1'/'0'. Keys with different overrides therefore share the one call.
 * Returns per input { state (0 none, 1 storm, 2 storm declared now), folded, start, type,
 * members, occurrences, resolved, overflow }.
 */
export const STORM_BATCH_LUA = `
local t0 = redis.call('TIME')
local now = tonumber(t0[1]) * 1000 + math.floor(tonumber(t0[2]) / 1000)
local nowS = math.floor(now / 1000)
local rateN, patternM, window, inactivity, maxDuration, memberCap, ttl

local function num(key, field)
  return tonumber(redis.call('HGET', key, field) or 0)
end

local function seen16()
  local v = nowS % 65536
  return string.char(math.floor(v / 256), v % 256)
end

-- Members of a key, counted (and those seen within the window).
local function census(key)
  local packed = redis.call('HGET', key, 'M') or ''
  local members, recent = #packed / 5, 0
  for j = 1, #packed, 5 do
    local seen = string.byte(packed, j + 3) * 256 + string.byte(packed, j + 4)
    if ((nowS - seen) % 65536) * 1000 <= window then recent = recent + 1 end
  end
  return members, recent
end

local function clear(key)
  redis.call('DEL', key)
end

local out = {}
local base = #KEYS * 6
local n = (#ARGV - base) / 4
for i = 0, n - 1 do
  local k = tonumber(ARGV[base + 1 + i * 4])
  local key = KEYS[k]
  local s = (k - 1) * 6
  rateN, patternM, window = tonumber(ARGV[s + 1]), tonumber(ARGV[s + 2]), tonumber(ARGV[s + 3])
  inactivity, maxDuration, memberCap = tonumber(ARGV[s + 4]), tonumber(ARGV[s + 5]), tonumber(ARGV[s + 6])
  ttl = math.max(2 * window, inactivity)
  local member = ARGV[base + 2 + i * 4]
  local firing = ARGV[base + 3 + i * 4] == 'f'
  local isNew = ARGV[base + 4 + i * 4] == '1'

  local start = num(key, 'S')
  if start > 0 then
    local last = num(key, 'L')
    if now - last > inactivity or now - start > maxDuration then
      -- The storm window closed: the next storm of this key gets a new aggregate.
      clear(key)
      start = 0
    end
  end

  local state, folded = 0, 0
  if firing then
    -- Sliding-window counter: the previous window's count weighs by how much of it still overlaps.
    local c, p, ws = num(key, 'c'), num(key, 'p'), num(key, 't') * 1000
    if ws == 0 then ws = nowS * 1000 end
    if now - ws >= window then
      if now - ws < 2 * window then p = c else p = 0 end
      c = 0
      ws = nowS * 1000
    end
    c = c + 1
    redis.call('HSET', key, 'c', c, 'p', p, 't', ws / 1000)
    local estimate = p * math.max(0, (window - (now - ws)) / window) + c

    if member ~= '' then
      local packed = redis.call('HGET', key, 'M') or ''
      local at = 0
      for j = 1, #packed, 5 do
        if string.sub(packed, j, j + 2) == member then at = j break end
      end
      if at > 0 then
        redis.call('HSET', key, 'M', string.sub(packed, 1, at + 2) .. seen16() .. string.sub(packed, at + 5))
      elseif #packed / 5 < memberCap then
        redis.call('HSET', key, 'M', packed .. member .. seen16())
      else
        redis.call('HINCRBY', key, 'X', 1)
      end
    end

    if start == 0 then
      local _, recent = census(key)
      local kind = 0
      if estimate >= rateN then kind = 1 elseif recent >= patternM then kind = 2 end
      if kind > 0 then
        start = now
        redis.call('HSET', key, 'S', now, 'L', now, 'T', kind, 'O', math.floor(estimate + 0.5), 'R', 0)
        state = 2
      end
    else
      redis.call('HINCRBY', key, 'O', 1)
      redis.call('HSET', key, 'L', now)
      state = 1
    end
    if state > 0 and isNew then folded = 1 end
  elseif start > 0 and member ~= '' and string.find(redis.call('HGET', key, 'M') or '', member, 1, true) then
    redis.call('HINCRBY', key, 'R', 1)
    redis.call('HSET', key, 'L', now)
    state = 1
  end

  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
  if state > 0 then
    local members = census(key)
    out[#out + 1] = { state, folded, start, num(key, 'T'), members, num(key, 'O'), num(key, 'R'), num(key, 'X') }
  else
    out[#out + 1] = { 0, 0, 0, 0, 0, 0, 0, 0 }
  end
end
return out
`;
