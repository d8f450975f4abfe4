-- Shared by every script of the Redis catalog (prepended to each). KEYS[1] is the fleet's key
-- prefix, `volley:{<fleet id>}:`: every key of a fleet shares its hash slot, so the scripts run
-- on Redis Cluster too. ARGV[1..3]: now, the reservation timeout and the retention, in ms.
-- Records are JSON strings; the fields the scripts change are plain values (properties are a
-- JSON string of their own, so an empty list never turns into an object).
local P = KEYS[1]
local NOW = tonumber(ARGV[1])
local TIMEOUT = tonumber(ARGV[2])
local RETENTION = tonumber(ARGV[3])
-- Most due records one script handles: the rest wait for the next call.
local SWEEP = 500

local function get(key)
  local value = redis.call('GET', key)
  if value then return cjson.decode(value) end
  return nil
end
local function put(key, record) redis.call('SET', key, cjson.encode(record)) end
local function gs_key(id) return P .. 'gs:' .. id end
-- Every change to a game session's row is announced in `gs-changes`, from which each host
-- brings its copy of the rows up to date (a bounded stream: a host that fell behind its
-- start reads every row again).
local function changed(id)
  redis.call('XADD', P .. 'gs-changes', 'MAXLEN', '~', 100000, '*', 'id', id)
end
local function put_gs(g)
  redis.call('SET', gs_key(g.id), cjson.encode(g))
  changed(g.id)
end
local function ps_key(id) return P .. 'ps:' .. id end
local function players_key(id) return P .. 'gsp:' .. id end
local function host_sessions_key(host) return P .. 'host-gs:' .. host end
local function count(field, delta) redis.call('HINCRBY', P .. 'counts', field, delta) end
local function gs_status(g, status)
  count('gs:' .. g.status, -1); count('gs:' .. status, 1); g.status = status
end
local function ps_status(p, status)
  count('ps:' .. p.status, -1); count('ps:' .. status, 1); p.status = status
end
local function is_ended(status) return status == 'TERMINATED' or status == 'ERROR' end

-- A player session ends (COMPLETED from ACTIVE, TIMEDOUT from RESERVED) at `at`.
local function end_player(p, at, status)
  local from = p.status
  if status == 'COMPLETED' then
    if from ~= 'ACTIVE' then return end
  elseif from ~= 'RESERVED' then return end
  ps_status(p, status)
  p.ended = at
  put(ps_key(p.id), p)
  local g = get(gs_key(p.gs))
  if g and not is_ended(g.status) then
    g.players = math.max(0, g.players - 1)
    if from == 'ACTIVE' then g.active = math.max(0, g.active - 1) end
    put_gs(g)
  end
  redis.call('ZADD', P .. 'ended-ps', at + RETENTION, p.id)
end

local function forget_player(p, keep_list)
  count('ps:' .. p.status, -1)
  redis.call('DEL', ps_key(p.id))
  redis.call('ZREM', P .. 'pl:' .. p.player, p.id)
  redis.call('ZREM', P .. 'expiring', p.id)
  redis.call('ZREM', P .. 'ended-ps', p.id)
  if not keep_list then redis.call('LREM', players_key(p.gs), 0, p.id) end
end

-- A game session ends: `status` with `reason` (if given); its player sessions complete.
local function end_game(id, status, reason)
  local g = get(gs_key(id))
  if not g or is_ended(g.status) then return end
  if status ~= 'ERROR' then status = 'TERMINATED' end
  gs_status(g, status)
  if reason then g.reason = reason end
  g.ended = NOW
  g.players = 0
  g.active = 0
  put_gs(g)
  for _, psid in ipairs(redis.call('LRANGE', players_key(id), 0, -1)) do
    local p = get(ps_key(psid))
    if p and (p.status == 'RESERVED' or p.status == 'ACTIVE') then
      ps_status(p, 'COMPLETED')
      p.ended = NOW
      put(ps_key(psid), p)
      redis.call('ZREM', P .. 'expiring', psid)
    end
  end
  if g.host then redis.call('SREM', host_sessions_key(g.host), id) end
  redis.call('ZADD', P .. 'ended-gs', NOW + RETENTION, id)
end

-- Times out reservations past their deadline and forgets records past their retention.
local function expire()
  local due = redis.call('ZRANGEBYSCORE', P .. 'expiring', '-inf', NOW, 'WITHSCORES', 'LIMIT', 0, SWEEP)
  for i = 1, #due, 2 do
    local id, deadline = due[i], tonumber(due[i + 1])
    redis.call('ZREM', P .. 'expiring', id)
    local p = get(ps_key(id))
    if p and p.status == 'RESERVED' and p.created + TIMEOUT == deadline then
      end_player(p, deadline, 'TIMEDOUT')
    end
  end
  due = redis.call('ZRANGEBYSCORE', P .. 'ended-ps', '-inf', NOW, 'LIMIT', 0, SWEEP)
  for _, id in ipairs(due) do
    redis.call('ZREM', P .. 'ended-ps', id)
    local p = get(ps_key(id))
    if p and p.ended and p.ended + RETENTION <= NOW then forget_player(p, false) end
  end
  due = redis.call('ZRANGEBYSCORE', P .. 'ended-gs', '-inf', NOW, 'LIMIT', 0, SWEEP)
  for _, id in ipairs(due) do
    redis.call('ZREM', P .. 'ended-gs', id)
    local g = get(gs_key(id))
    if g then
      for _, psid in ipairs(redis.call('LRANGE', players_key(id), 0, -1)) do
        local p = get(ps_key(psid))
        if p then forget_player(p, true) end
      end
      redis.call('DEL', players_key(id))
      count('gs:' .. g.status, -1)
      redis.call('DEL', gs_key(id))
      changed(id)
      redis.call('ZREM', P .. 'gs', id)
    end
  end
end
