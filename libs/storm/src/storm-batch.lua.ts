/**
 * Storm detection and folding for every signal of a webhook, atomically (issue: storm service).
 *
 * One hash per storm key, each its own hash tag (on Redis Cluster a batch is one call per
 * master: storm-store.ts). Fields, all small so the hash stays listpack-encoded (≤ 128 fields):
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
 * ARGV, packed so that a webhook's arguments are a few strings, not six per key and four per
 * alert (building and parsing those was a fifth of the storm service's CPU):
 *   ARGV[1]          the number S of distinct settings in the batch
 *   ARGV[2 .. 1+6S]  each settings' rate N, pattern M, window ms, inactivity ms, max duration ms,
 *                    member cap (keys with different overrides share the one call)
 *   ARGV[2+6S]       per key (in KEYS order) 2 bytes: its settings' index, 0-based, big-endian
 *   ARGV[3+6S]       per input 6 bytes: key index (2 bytes, 1-based, big-endian), flags (1
 *                    resolved, 2 new incident, 4 has a member), the member's 3-byte hash
 * Returns per input 0 when its key is in no storm, else { state (1 storm, 2 storm declared now),
 * folded, start, type, members, occurrences, resolved, overflow, ends at (ms) }.
 */
export const STORM_BATCH_LUA = `
local t0 = redis.call('TIME')
local now = tonumber(t0[1]) * 1000 + math.floor(tonumber(t0[2]) / 1000)
local nowS = math.floor(now / 1000)
local FIELDS = { 'c', 'p', 't', 'M', 'S', 'L', 'T', 'O', 'R', 'X' }
local nSettings = tonumber(ARGV[1])
local keySettings = ARGV[2 + 6 * nSettings]
local inputs = ARGV[3 + 6 * nSettings]

-- Each key's state is read once, kept in a table while the batch is decided, and written back
-- once (one HGET/HSET per key, not several per alert).
local states = {}
local function load(k)
  local st = states[k]
  if st then return st end
  local v = redis.call('HMGET', KEYS[k], unpack(FIELDS))
  st = { c = tonumber(v[1] or 0), p = tonumber(v[2] or 0), t = tonumber(v[3] or 0), M = v[4] or '',
    S = tonumber(v[5] or 0), L = tonumber(v[6] or 0), T = tonumber(v[7] or 0), O = tonumber(v[8] or 0),
    R = tonumber(v[9] or 0), X = tonumber(v[10] or 0), existed = v[1] ~= false or v[4] ~= false or v[5] ~= false,
    cleared = false, dirty = false }
  local hi, lo = string.byte(keySettings, 2 * k - 1, 2 * k)
  local s = 1 + (hi * 256 + lo) * 6
  st.rateN, st.patternM, st.window = tonumber(ARGV[s + 1]), tonumber(ARGV[s + 2]), tonumber(ARGV[s + 3])
  st.inactivity, st.maxDuration, st.memberCap = tonumber(ARGV[s + 4]), tonumber(ARGV[s + 5]), tonumber(ARGV[s + 6])
  states[k] = st
  return st
end

local function seen16()
  local v = nowS % 65536
  return string.char(math.floor(v / 256), v % 256)
end

-- Where a member's 5-byte record starts in the packed list (0 when absent). A plain search in C
-- (a loop of string.sub made this script ~18 µs per alert with full member lists); a
-- hit off a record boundary (the bytes span two records) searches on.
local function find(packed, member)
  local from = 1
  while true do
    local at = string.find(packed, member, from, true)
    if not at then return 0 end
    if at % 5 == 1 then return at end
    from = at + 1
  end
end

-- Members of a key seen within the window.
local function recent(st)
  local count = 0
  for j = 1, #st.M, 5 do
    local high, low = string.byte(st.M, j + 3, j + 4)
    if ((nowS - (high * 256 + low)) % 65536) * 1000 <= st.window then count = count + 1 end
  end
  return count
end

local out = {}
for o = 1, #inputs, 6 do
  local khi, klo, flags = string.byte(inputs, o, o + 2)
  local st = load(khi * 256 + klo)
  local member = ''
  if flags >= 4 then member = string.sub(inputs, o + 3, o + 5) end
  local firing = flags % 2 == 0
  local isNew = flags % 4 >= 2

  if st.S > 0 and (now - st.L > st.inactivity or now - st.S > st.maxDuration) then
    -- The storm window closed: the key starts afresh, and its next storm gets a new aggregate.
    st.c, st.p, st.t, st.M, st.S, st.L, st.T, st.O, st.R, st.X = 0, 0, 0, '', 0, 0, 0, 0, 0, 0
    st.cleared = true
  end

  local state, folded = 0, 0
  if firing then
    st.dirty = true
    -- Sliding-window counter: the previous window's count weighs by how much of it still overlaps.
    local ws = st.t * 1000
    if ws == 0 then ws = nowS * 1000 end
    if now - ws >= st.window then
      if now - ws < 2 * st.window then st.p = st.c else st.p = 0 end
      st.c = 0
      ws = nowS * 1000
    end
    st.c = st.c + 1
    st.t = ws / 1000
    local estimate = st.p * math.max(0, (st.window - (now - ws)) / st.window) + st.c

    if member ~= '' then
      local at = find(st.M, member)
      if at > 0 then
        st.M = string.sub(st.M, 1, at + 2) .. seen16() .. string.sub(st.M, at + 5)
      elseif #st.M / 5 < st.memberCap then
        st.M = st.M .. member .. seen16()
      else
        st.X = st.X + 1
      end
    end

    if st.S == 0 then
      local kind = 0
      if estimate >= st.rateN then
        kind = 1
      -- Fewer members than the pattern threshold cannot make a pattern storm: no count needed.
      elseif #st.M / 5 >= st.patternM and recent(st) >= st.patternM then
        kind = 2
      end
      if kind > 0 then
        st.S, st.L, st.T, st.O, st.R = now, now, kind, math.floor(estimate + 0.5), 0
        state = 2
      end
    else
      st.O = st.O + 1
      st.L = now
      state = 1
    end
    if state > 0 and isNew then folded = 1 end
  elseif st.S > 0 and member ~= '' and find(st.M, member) > 0 then
    st.dirty = true
    st.R = st.R + 1
    st.L = now
    state = 1
  end

  if state > 0 then
    local members = #st.M / 5
    -- When the storm ends unless more alerts of its key arrive (the rule at the top of the loop).
    out[#out + 1] = { state, folded, st.S, st.T, members, st.O, st.R, st.X, math.min(st.L + st.inactivity, st.S + st.maxDuration) }
  else
    -- No storm (most alerts): one integer, not a row of nine (fewer values built, sent and parsed).
    out[#out + 1] = 0
  end
end

for k, st in pairs(states) do
  local key = KEYS[k]
  if st.cleared and st.existed then redis.call('DEL', key) end
  if st.dirty then
    local fields = { 'c', st.c, 'p', st.p, 't', st.t }
    if st.M ~= '' then fields[#fields + 1] = 'M'; fields[#fields + 1] = st.M end
    if st.S > 0 then
      for _, f in ipairs({ 'S', 'L', 'T', 'O', 'R' }) do fields[#fields + 1] = f; fields[#fields + 1] = st[f] end
    end
    if st.X > 0 then fields[#fields + 1] = 'X'; fields[#fields + 1] = st.X end
    redis.call('HSET', key, unpack(fields))
  end
  -- Pushed on every evaluation that finds state, as before: max(2 × window, inactivity).
  if st.dirty or (st.existed and not st.cleared) then redis.call('PEXPIRE', key, math.max(2 * st.window, st.inactivity)) end
end
return out
`;
