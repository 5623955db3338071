-- wrk script: reinstall POSTs of a logged-in session, each on the next server of a list, so
-- that every request queues a new reinstall job (a server being reinstalled refuses the
-- next one). Run with one thread (-t 1): the list is walked once, in order. Set by
-- bench/run.sh: COOKIE, CSRF_TOKEN, REINSTALL_LIST (a file of "id hostname" lines).
local servers = {}
for line in io.lines(os.getenv("REINSTALL_LIST")) do
  local id, host = line:match("(%d+)%s+(%S+)")
  if id then table.insert(servers, { id, host }) end
end
local next_one = 0
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["X-CSRF-Token"] = os.getenv("CSRF_TOKEN"),
  ["Cookie"] = os.getenv("COOKIE"),
}

request = function()
  next_one = next_one % #servers + 1
  local s = servers[next_one]
  return wrk.format("POST", "/servers/" .. s[1] .. "/reinstall", headers,
    "os=debian-12&confirm=" .. s[2])
end
