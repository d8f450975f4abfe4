-- A LOGIN at host ARGV[5] presents player session ARGV[4]. Returns {'ok', game session id},
-- or {'unknown'}, {'used'}, {'expired'}, {'elsewhere'} (its game session runs on another
-- host: the reservation stays for a login there).
expire()
local p = get(ps_key(ARGV[4]))
if not p then return {'unknown'} end
if p.status == 'ACTIVE' or p.status == 'COMPLETED' then return {'used'} end
if p.status == 'TIMEDOUT' then return {'expired'} end
local g = get(gs_key(p.gs))
if g and g.host and ARGV[5] ~= '' and g.host ~= ARGV[5] then return {'elsewhere'} end
ps_status(p, 'ACTIVE')
put(ps_key(p.id), p)
if g and not is_ended(g.status) then
  g.active = g.active + 1
  put_gs(g)
end
return {'ok', p.gs}
