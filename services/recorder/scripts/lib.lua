-- Shared by the recorder's scripts (prepended to each, catalog._script_source).

-- A script's writes are not undone when a command fails part-way (and Redis refuses a write
-- for memory only before a script's first one): so a script checks every key before its
-- first write. expected[i] is KEYS[i]'s type; a key that exists with another type answers an
-- error naming it (`what` says what was therefore left undone), else nil.
local function wrong_key_type(expected, what)
  for i, kind in ipairs(expected) do
    local actual = redis.call('TYPE', KEYS[i])['ok']
    if actual ~= 'none' and actual ~= kind then
      return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. actual .. ', not a ' .. kind .. ': ' .. what)
    end
  end
  return nil
end
