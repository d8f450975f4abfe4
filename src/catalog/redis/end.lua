-- The game session ARGV[4] ended: status ARGV[5], reason ARGV[6] (empty: keep the one it has).
expire()
local reason = ARGV[6]
if reason == '' then reason = nil end
end_game(ARGV[4], ARGV[5], reason)
return 'OK'
