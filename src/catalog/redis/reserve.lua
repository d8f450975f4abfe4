-- Reserves player sessions in the game session ARGV[4], all or nothing. ARGV[5]: a JSON list
-- of [id, player id, player data or null]. Returns {'ok', record...}, {'not_found'},
-- {'status', status}, {'full'} or {'duplicate', id}.
expire()
local g = get(gs_key(ARGV[4]))
if not g then return {'not_found'} end
if g.status ~= 'ACTIVE' then return {'status', g.status} end
if not g.accepting then return {'status', 'DENY_ALL'} end
local wanted = cjson.decode(ARGV[5])
if g.players + #wanted > g.max then return {'full'} end
local asked = {}
for _, player in ipairs(wanted) do
  if asked[player[1]] or redis.call('EXISTS', ps_key(player[1])) == 1 then
    return {'duplicate', player[1]}
  end
  asked[player[1]] = true
end
local created = {'ok'}
for _, player in ipairs(wanted) do
  local p = {
    id = player[1], player = player[2], gs = g.id, status = 'RESERVED', created = NOW,
    seq = redis.call('INCR', P .. 'seq'), host = g.host, ip_address = g.ip_address,
    dns_name = g.dns_name, port = g.port,
  }
  if player[3] ~= cjson.null then p.data = player[3] end
  local record = cjson.encode(p)
  redis.call('SET', ps_key(p.id), record)
  redis.call('RPUSH', players_key(g.id), p.id)
  redis.call('ZADD', P .. 'pl:' .. p.player, p.seq, p.id)
  redis.call('ZADD', P .. 'expiring', NOW + TIMEOUT, p.id)
  count('ps:RESERVED', 1)
  created[#created + 1] = record
end
g.players = g.players + #wanted
put_gs(g)
return created
