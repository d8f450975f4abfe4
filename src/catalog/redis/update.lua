-- Changes the game session ARGV[4] while it is ACTIVATING or ACTIVE. ARGV[5]: the change
-- (JSON: max, name, accepting, protected, mm, each optional, and props, a list of [key, value]);
-- ARGV[6]: the most properties it may have. Returns {'ok', record}, {'not_found'},
-- {'status', status} or {'too_many'}.
local g = get(gs_key(ARGV[4]))
if not g then return {'not_found'} end
if g.status ~= 'ACTIVATING' and g.status ~= 'ACTIVE' then return {'status', g.status} end
local change = cjson.decode(ARGV[5])
local props = cjson.decode(g.props)
for _, pair in ipairs(change.props) do
  local found = false
  for _, existing in ipairs(props) do
    if existing[1] == pair[1] then existing[2] = pair[2]; found = true; break end
  end
  if not found then props[#props + 1] = pair end
end
if #props > tonumber(ARGV[6]) then return {'too_many'} end
if #props > 0 then g.props = cjson.encode(props) end
if change.max ~= nil then g.max = change.max end
if change.name ~= nil then g.name = change.name end
if change.accepting ~= nil then g.accepting = change.accepting end
if change.protected ~= nil then g.protected = change.protected end
if change.mm ~= nil then g.mm = change.mm end
local record = cjson.encode(g)
redis.call('SET', gs_key(g.id), record)
changed(g.id)
return {'ok', record}
