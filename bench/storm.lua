-- wrk script: a login storm. Every login is real: GET /login opens a fresh anonymous
-- session (its cookie and CSRF token are queued), then POST /login sends the right
-- password with that pair, so the panel runs a full Argon2 verification and renews the
-- session. Wrong passwords would soon be throttled (5 per username, 50 per address in 15
-- minutes) and a throttled attempt skips Argon2, so it would not be a storm at all.
-- Set by bench/run.sh: STORM_USER, STORM_PASSWORD.
local user = os.getenv("STORM_USER") or "storm"
local pass = os.getenv("STORM_PASSWORD") or "bench-password"
local body = "username=" .. user .. "&password=" .. pass
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   queue = {}
   logins = 0
   failed = 0
end

function request()
   local pair = table.remove(queue)
   if pair then
      return wrk.format("POST", "/login", {
         ["Content-Type"] = "application/x-www-form-urlencoded",
         ["Cookie"] = pair.cookie,
         ["X-CSRF-Token"] = pair.token,
      }, body)
   end
   return wrk.format("GET", "/login")
end

function response(status, headers, body)
   if status == 200 then
      local cookie = headers["set-cookie"] or headers["Set-Cookie"]
      local token = body:match('name="csrf_token" value="([^"]+)"')
      if cookie and token then
         table.insert(queue, { cookie = cookie:match("^([^;]+)"), token = token })
      end
   elseif status == 303 then
      logins = logins + 1
   else
      failed = failed + 1
   end
end

function done(summary, latency, requests)
   local l, f = 0, 0
   for _, t in ipairs(threads) do
      l = l + t:get("logins")
      f = f + t:get("failed")
   end
   io.write(string.format("STORM logins=%d failed=%d logins_per_s=%.1f\n",
      l, f, l / (summary.duration / 1e6)))
end
