-- Releases upload locks that are still ours.
-- KEYS: the locks; ARGV: the token of each lock, in the same order
-- Returns the number released.
local released = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
