-- Renews the leases of upload locks that are still ours (uploads running in this process).
-- KEYS: the locks; ARGV: 1 lease ms, 2.. the token of each lock, in the same order
-- Returns the number renewed.
local renewed = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    renewed = renewed + 1
  end
end
return renewed
