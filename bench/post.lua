-- wrk script: the Assign Servers POST of a logged-in session, with its CSRF token in the
-- X-CSRF-Token header. The servers are already assigned, so every request does the same
-- work (check the reach, find nothing new to insert, write the audit row) and the data
-- does not grow. Set by bench/run.sh: COOKIE, CSRF_TOKEN, POST_BODY.
wrk.method = "POST"
wrk.body = os.getenv("POST_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-CSRF-Token"] = os.getenv("CSRF_TOKEN")
wrk.headers["Cookie"] = os.getenv("COOKIE")
