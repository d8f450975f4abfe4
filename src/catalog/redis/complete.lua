-- Player session ARGV[4]'s player left.
local p = get(ps_key(ARGV[4]))
if p then end_player(p, NOW, 'COMPLETED') end
return 'OK'
