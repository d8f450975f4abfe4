-- Records a new game session on a host with room. ARGV[4]: its id; ARGV[5]: its record
-- (JSON, without sequence or placement); ARGV[6]: the calling host; ARGV[7]: the most game
-- sessions the calling host runs; ARGV[8]: `pack` or `spread`; ARGV[9]: the location.
-- Returns {'exists', record}, {'full'} or {'created', record}; a host other than the caller
-- is told to start it through its inbox.
expire()
local id, caller, caller_max = ARGV[4], ARGV[6], tonumber(ARGV[7])
local policy, location = ARGV[8], ARGV[9]
local existing = redis.call('GET', gs_key(id))
if existing then return {'exists', existing} end
local chosen, chosen_running, chosen_info = nil, nil, nil
for _, host in ipairs(redis.call('SMEMBERS', P .. 'hosts')) do
  local info = redis.call('HMGET', P .. 'host:' .. host, 'location', 'draining', 'capacity',
    'ip_address', 'dns_name', 'port')
  if info[1] == location and info[2] == '0' then
    local capacity = tonumber(info[3])
    if host == caller then capacity = caller_max end
    local running = redis.call('SCARD', host_sessions_key(host))
    if running < capacity then
      local better
      if chosen == nil then
        better = true
      elseif running == chosen_running then
        better = host < chosen
      elseif policy == 'spread' then
        better = running < chosen_running
      else
        better = running > chosen_running
      end
      if better then chosen, chosen_running, chosen_info = host, running, info end
    end
  end
end
if chosen == nil then return {'full'} end
local g = cjson.decode(ARGV[5])
g.seq = redis.call('INCR', P .. 'seq')
g.created = NOW
g.host = chosen
g.ip_address = chosen_info[4]
g.dns_name = chosen_info[5]
g.port = tonumber(chosen_info[6])
local record = cjson.encode(g)
redis.call('SET', gs_key(id), record)
changed(id)
redis.call('ZADD', P .. 'gs', g.seq, id)
redis.call('SADD', host_sessions_key(chosen), id)
count('gs:' .. g.status, 1)
if chosen ~= caller then
  redis.call('RPUSH', P .. 'inbox:' .. chosen, cjson.encode({op = 'start', id = id}))
end
return {'created', record}
