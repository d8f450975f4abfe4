-- The game session ARGV[4] started: ACTIVE, running the script ARGV[5] (JSON, or empty).
local g = get(gs_key(ARGV[4]))
if g and g.status == 'ACTIVATING' then
  gs_status(g, 'ACTIVE')
  if ARGV[5] ~= '' then g.script = cjson.decode(ARGV[5]) end
  put_gs(g)
end
return 'OK'
