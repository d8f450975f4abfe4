-- The game session ARGV[4] winds down, with reason ARGV[5], unless it ended.
local g = get(gs_key(ARGV[4]))
if g and not is_ended(g.status) then
  gs_status(g, 'TERMINATING')
  g.reason = ARGV[5]
  put_gs(g)
end
return 'OK'
