-- One budget of one client, shared by every instance: GCRA (the generic cell rate
-- algorithm, as `governor` counts in memory). The key holds the theoretical arrival time
-- (TAT) in microseconds of Redis's own clock, so the instances' clocks do not matter.
--
-- KEYS[1]  the client's key for this budget
-- ARGV[1]  emission interval: microseconds for one cell to come back
-- ARGV[2]  burst: cells the budget holds (a minute's worth)
-- ARGV[3]  cells asked for (1 to burst)
--
-- Returns {1, 0} when the cells are spent, {0, microseconds to wait} when not. The key
-- expires once its TAT has passed (at most interval × burst from now), when it is no
-- different from a client never seen: Redis holds only clients with a spent budget.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cells = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then
  tat = now
end
local new_tat = tat + cells * interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {0, math.ceil(allow_at - now)}
end
-- At least 1 ms: an interval under the clock's resolution (budgets of more than about
-- 60 million a minute) may not move the TAT at all.
local ttl = math.max(1, math.ceil((new_tat - now) / 1000))
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
return {1, 0}
