-- Host ARGV[4] is gone (its registration expired) or starts afresh: its game sessions end,
-- TERMINATED with reason ARGV[5], and it leaves the fleet's host list unless it is alive.
-- Returns how many game sessions ended.
local host = ARGV[4]
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', host_sessions_key(host))) do
  end_game(id, 'TERMINATED', ARGV[5])
  ended = ended + 1
end
redis.call('DEL', host_sessions_key(host))
redis.call('DEL', P .. 'inbox:' .. host)
if redis.call('EXISTS', P .. 'host:' .. host) == 0 then redis.call('SREM', P .. 'hosts', host) end
return ended
