/**
 * GCRA (generic cell rate algorithm) for one limiter key: the key holds one number, the
 * theoretical arrival time (TAT, ms, Redis' own clock via TIME) of the next request, and expires
 * when the limiter is full again, so an idle limiter costs nothing. Every replica of every
 * service shares it, so limits hold however many gateways there are.
 *
 * KEYS[1] limiter key. ARGV[1] emission interval (ms per unit), ARGV[2] burst (units),
 * ARGV[3] cost (units wanted), ARGV[4] 1 = grant what fits (partial), 0 = all or nothing.
 * Returns { granted, remaining, reset_after_ms, retry_after_ms }.
 */
export const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local partial = ARGV[4] == '1'
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now then tat = now end
-- Units that fit now: each needs one interval of room below now + tolerance.
local fits = math.floor((now + tolerance - tat) / interval)
if fits < 0 then fits = 0 end
local granted = cost
if fits < cost then
  if partial then granted = fits else granted = 0 end
end
if granted > 0 then
  tat = tat + granted * interval
  redis.call('SET', KEYS[1], tat, 'PX', math.max(1, math.ceil(tat - now)))
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
