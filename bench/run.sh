#!/usr/bin/env bash
# Steward's benchmark (issue 9; figures and targets in BENCHMARKS.md). Not a test: CI never
# runs it. It builds the release binaries, generates the fixed data set with the
# `bench-data` binary (full size and a tenth) on SQLite and on PostgreSQL, serves it with
# `steward` on a loopback port, logs in with curl and measures each scenario with wrk.
# Traffic goes to 127.0.0.1 only and every wrk run is bounded in time.
#
#   bench/run.sh                         # everything: sqlite+postgres, full+tenth
#   BACKENDS=sqlite SCALES=tenth DURATION=5 bench/run.sh     # a quick look
#
# Environment: SCENARIOS ("pages csv jobs": the wrk scenarios, the access-review CSV
# downloads, and the assign POST again while reinstall jobs run on a slow controller),
# DRIVER_DELAY_MS (500: the built-in driver's latency per call), BACKENDS ("sqlite postgres"), SCALES ("full tenth"), DURATION (10 s per
# scenario), WARMUP (2 s), CONNECTIONS (32), THREADS (2), STORM_CONNECTIONS (8),
# PG_URL (postgres://postgres@127.0.0.1:5432), PG_PARAMS (appended to the panel's database URL,
# e.g. "?sslmode=disable" to measure without TLS on loopback), OUT (bench/results), KEEP=1 keeps the data,
# BIN (a steward binary to measure instead of building this checkout's), DATA_BIN (the
# bench-data binary; default: the one beside BIN if there is one, else this checkout's).
# Output: $OUT/results.tsv (one row per scenario), $OUT/meta.txt, and $OUT/report.md
# (tables with the targets, made by bench/report.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BACKENDS=${BACKENDS:-"sqlite postgres"}
SCALES=${SCALES:-"full tenth"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
STORM_CONNECTIONS=${STORM_CONNECTIONS:-8}
SCENARIOS=${SCENARIOS:-"pages csv jobs"}
DRIVER_DELAY_MS=${DRIVER_DELAY_MS:-500}
REINSTALL_CONNECTIONS=${REINSTALL_CONNECTIONS:-4}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-$ROOT/bench/results}
PASSWORD=bench-password
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
command -v curl >/dev/null || { echo "curl is missing"; exit 1; }

# BIN=/path/to/steward measures that binary instead (an earlier commit's, for a comparison
# on the same machine at the same hour); otherwise the release build of this checkout.
# The data set comes from DATA_BIN: by default the bench-data built beside BIN, or, when
# BIN has none (a build from before bench-data was its own binary), this checkout's; the
# data set is the same either way (a fixed seed).
if [ -z "${BIN:-}" ]; then
  echo "== building the release binaries"
  cargo build --release --quiet --bin steward --bin bench-data
  BIN=$CARGO_TARGET_DIR/release/steward
  DATA_BIN=${DATA_BIN:-$CARGO_TARGET_DIR/release/bench-data}
elif [ -z "${DATA_BIN:-}" ]; then
  if [ -x "$(dirname "$BIN")/bench-data" ]; then
    DATA_BIN=$(dirname "$BIN")/bench-data
  else
    echo "== building this checkout's release bench-data (none beside $BIN)"
    cargo build --release --quiet --bin bench-data
    DATA_BIN=$CARGO_TARGET_DIR/release/bench-data
  fi
fi
[ -x "$DATA_BIN" ] || { echo "DATA_BIN=$DATA_BIN is not an executable"; exit 1; }

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/steward-bench.XXXXXX)
RESULTS=$OUT/results.tsv
printf 'backend\tscale\tscenario\trps\tp50_ms\tp99_ms\trequests\tnon2xx3xx\tsocket_errors\trss_max_kb\thwm_kb\tnote\tcpu_ms_per_req\tswitches_per_req\n' >"$RESULTS"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src migrations || echo ' (with uncommitted changes)')"
  echo "binary: $BIN"
  echo "data binary: $DATA_BIN"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "settings: duration=${DURATION}s warmup=${WARMUP}s connections=$CONNECTIONS threads=$THREADS storm_connections=$STORM_CONNECTIONS"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"
cat "$OUT/meta.txt"

SERVER_PID=""
SAMPLER_PID=""
PG_DBS=()
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then
    for db in "${PG_DBS[@]}"; do
      psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
  else
    echo "kept: $WORK ${PG_DBS[*]}"
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ms from wrk's "1.23ms" / "845.00us" / "1.02s"
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else printf "%s", v }'
}

# Highest VmRSS seen between two epoch times, from the sampler's log.
rss_between() {
  awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && $2 > m { m = $2 } END { print m + 0 }' "$WORK/rss.log"
}

# The server's CPU time so far (user + system, all its threads, living or ended), in
# clock ticks: what a request costs the panel, whatever else (wrk, PostgreSQL) runs.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"
}
TICKS_PER_SECOND=$(getconf CLK_TCK)

# record BACKEND SCALE SCENARIO WRK_OUTPUT_FILE T0 T1 [NOTE] [CPU_TICKS] [SWITCHES]
record() {
  local f=$4
  local rps p50 p99 reqs bad sock
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")")
  reqs=$(awk '/requests in/ {print $1; exit}' "$f")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
  sock=$(awk '/Socket errors:/ {sub(/.*Socket errors: /, ""); print}' "$f")
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
  local cpu_ms="" switches=""
  if [ -n "${8:-}" ] && [ "${reqs:-0}" -gt 0 ]; then
    cpu_ms=$(awk -v t="$8" -v hz="$TICKS_PER_SECOND" -v n="$reqs" 'BEGIN { printf "%.3f", t * 1000 / hz / n }')
    [ -n "${9:-}" ] && switches=$(awk -v s="$9" -v n="$reqs" 'BEGIN { printf "%.2f", s / n }')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${rps:-0}" "$p50" "$p99" \
    "${reqs:-0}" "${bad:-0}" "${sock:-none}" "$(rss_between "$5" "$6")" "$hwm" "${7:-}" "$cpu_ms" "$switches" >>"$RESULTS"
  printf '   %-22s %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx/3xx %s  cpu %s ms/req  switches %s/req\n' \
    "$3" "${rps:-0}" "$p50" "$p99" "${bad:-0}" "${cpu_ms:--}" "${switches:--}"
}

# count_jobs DATABASE_URL BACKEND: reinstall jobs recorded so far.
count_jobs() {
  local q="SELECT count(*) FROM server_jobs WHERE kind = 'reinstall'"
  if [ "$2" = postgres ]; then
    psql "$1" -qAtc "$q"
  else
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$q"
  fi
}

# check_ok URL [COOKIE]: the page must answer 200 (a 303 to /login would measure nothing).
check_ok() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' ${2:+-H "Cookie: $2"} "$BASE$1")
  if [ "$code" != 200 ]; then
    echo "!! $1 answered $code instead of 200; aborting"
    exit 1
  fi
}

# login USERNAME -> prints "COOKIE<TAB>CSRF" of a logged-in session
login() {
  local jar=$WORK/jar.$1
  rm -f "$jar"
  local token
  token=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
    --data-urlencode "username=$1" --data-urlencode "password=$PASSWORD" \
    -H "X-CSRF-Token: $token" "$BASE/login")
  [ "$code" = 303 ] || { echo "!! login of $1 answered $code"; exit 1; }
  local cookie
  cookie=$(awk '$6 == "steward_session" {print $6 "=" $7}' "$jar")
  # The first page after login makes the session's new CSRF token (and shows the flash).
  token=$(curl -s -H "Cookie: $cookie" "$BASE/servers" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  printf '%s\t%s\n' "$cookie" "$token"
}

# measure BACKEND SCALE SCENARIO PATH [COOKIE] [LUA] [HEADER]
measure() {
  local name=$3 path=$4 cookie=${5:-} lua=${6:-} header=${7:-}
  local args=(-t "$THREADS" -c "$CONNECTIONS" --latency --timeout 10s)
  [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
  [ -n "$header" ] && args+=(-H "$header")
  [ -n "$lua" ] && args+=(-s "$lua")
  [ "$WARMUP" -gt 0 ] && wrk "${args[@]}" -d "${WARMUP}s" "$BASE$path" >/dev/null
  local t0 t1 f=$WORK/wrk.$1.$2.$name.txt c0 c1 perf_pid="" switches=""
  # Context switches of all the server's threads while wrk runs (perf's software counter,
  # which works where hardware counters are not offered); empty when perf is missing.
  if command -v perf >/dev/null; then
    perf stat -e context-switches -x, -p "$SERVER_PID" -o "$f.perf" 2>/dev/null &
    perf_pid=$!
    sleep 0.2
  fi
  c0=$(cpu_ticks)
  t0=$(date +%s.%N)
  wrk "${args[@]}" -d "${DURATION}s" "$BASE$path" >"$f"
  t1=$(date +%s.%N)
  c1=$(cpu_ticks)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    switches=$(awk -F, '/context-switches/ {print $1}' "$f.perf" 2>/dev/null | head -1)
  fi
  record "$1" "$2" "$name" "$f" "$t0" "$t1" "" "$((c1 - c0))" "$switches"
}

for backend in $BACKENDS; do
  for scale in $SCALES; do
    echo "== $backend, $scale size (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    export STEWARD_SECRET_KEY
    STEWARD_SECRET_KEY=$(head -c 64 /dev/urandom | base64 -w0)
    if [ "$backend" = postgres ]; then
      db="steward_bench_${scale}_$(date +%s)_$$"
      psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
      PG_DBS+=("$db")
      export STEWARD_DATABASE_URL="$PG_URL/$db${PG_PARAMS:-}"
    else
      export STEWARD_DATABASE_URL="$WORK/$scale.db"
    fi
    "$DATA_BIN" --scale "$scale" >"$WORK/facts.$backend.$scale" 2>>"$WORK/server.log"
    grep '^Benchmark data' "$WORK/facts.$backend.$scale"
    if [ "$backend" = postgres ]; then
      # A live installation has planner statistics and a visibility map (autovacuum
      # vacuums and analyses a table soon after a bulk insert); without statistics
      # PostgreSQL guesses 61 servers per account and picks hash joins over all 10,000,
      # and without the visibility map no index-only scan is index-only.
      psql "$STEWARD_DATABASE_URL" -qAtc "VACUUM ANALYZE" >/dev/null
    fi
    eval "$(grep '^BENCH_' "$WORK/facts.$backend.$scale")"

    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    # Every driver call takes DRIVER_DELAY_MS, as a real management controller's would;
    # only the jobs scenario makes any.
    # wrk's 32 connections share one session: the per-login cap on requests in flight (8,
    # a defence against one login hogging the panel) would answer most of them 429.
    STEWARD_BIND="127.0.0.1:$port" STEWARD_DRIVER_DELAY_MS=$DRIVER_DELAY_MS STEWARD_MAX_IN_FLIGHT=1000 \
      "$BIN" serve >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    check_ok /healthz
    : >"$WORK/rss.log"
    (while kill -0 "$SERVER_PID" 2>/dev/null; do
      echo "$(date +%s.%N) $(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)" >>"$WORK/rss.log"
      sleep 0.25
    done) &
    SAMPLER_PID=$!
    idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")

    IFS=$'\t' read -r customer customer_csrf < <(login customer0001)
    IFS=$'\t' read -r bigalias _ < <(login bigalias)
    IFS=$'\t' read -r showcase showcase_csrf < <(login showcase)
    S=$BENCH_SHOWCASE_ID
    alias_tab="/users/$S/alias-users"
    dialog="/users/$S/alias-users/$BENCH_BIG_ALIAS_ID/servers?q=ams"
    role="/users/$S/roles/$BENCH_ROLE_ID"
    assign="/users/$S/alias-users/$BENCH_BIG_ALIAS_ID/servers"
    # Setup as a user makes it: 5 roles and 100 alias users created through the forms by
    # the showcase owner (each password a real Argon2id hash, each with its audit rows), so
    # that every measurement below, and the memory line, comes after it.
    forms_t0=$(date +%s.%N)
    made=0
    for r in 1 2 3 4 5; do
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $showcase" -H "X-CSRF-Token: $showcase_csrf" \
        --data "name=Forms+role+$r&description=made+by+the+benchmark&permissions=servers.view&permissions=servers.power" \
        "$BASE/users/$S/roles")
      [ "$code" = 303 ] || { echo "!! role $r answered $code"; exit 1; }
    done
    for i in $(seq -w 1 100); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $showcase" -H "X-CSRF-Token: $showcase_csrf" \
        --data "username=forms$i&email=forms$i%40example.net&password=forms-password-$i&role_id=$BENCH_ROLE_ID" \
        "$BASE/users/$S/alias-users")
      [ "$code" = 303 ] && made=$((made + 1))
    done
    forms_t1=$(date +%s.%N)
    [ "$made" = 100 ] || { echo "!! only $made of 100 alias users were created"; exit 1; }
    forms_secs=$(awk -v a="$forms_t0" -v b="$forms_t1" 'BEGIN { printf "%.1f", b - a }')
    printf '%s\t%s\tforms-setup\t\t\t\t105\t0\tnone\t%s\t%s\t5 roles and 100 alias users through the forms in %s s\n' \
      "$backend" "$scale" "$(rss_between "$forms_t0" "$forms_t1")" "$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")" \
      "$forms_secs" >>"$RESULTS"
    echo "   forms: 5 roles, 100 alias users in ${forms_secs} s, max RSS $(rss_between "$forms_t0" "$forms_t1") kB"

    for p in /servers; do check_ok "$p" "$customer"; check_ok "$p" "$bigalias"; done
    for p in "$alias_tab" "$dialog" "$role"; do check_ok "$p" "$showcase"; done

    if [[ " $SCENARIOS " == *" pages "* ]]; then
      measure "$backend" "$scale" healthz /healthz
      measure "$backend" "$scale" servers-customer /servers "$customer"
      measure "$backend" "$scale" servers-alias-1000 /servers "$bigalias"
      measure "$backend" "$scale" alias-users-tab "$alias_tab" "$showcase"
      measure "$backend" "$scale" assign-dialog-search "$dialog" "$showcase"
      measure "$backend" "$scale" role-editor "$role" "$showcase"

      body="action=assign"
      for sid in ${BENCH_ASSIGNED_SAMPLE//,/ }; do body="$body&server_id=$sid"; done
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $showcase" -H "X-CSRF-Token: $showcase_csrf" \
        --data "$body" "$BASE$assign")
      [ "$code" = 303 ] || { echo "!! assign POST answered $code"; exit 1; }
      export COOKIE=$showcase CSRF_TOKEN=$showcase_csrf POST_BODY=$body
      measure "$backend" "$scale" assign-post "$assign" "" "$ROOT/bench/post.lua"

      # An API key of the customer, made through its API Keys tab (shown once, on the page
      # the POST redirects to).
      acct=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Cookie: $customer" "$BASE/account" | sed 's|.*/users/||')
      key=$(curl -s -L -H "Cookie: $customer" -H "X-CSRF-Token: $customer_csrf" --data "name=bench&expires_at=" \
        "$BASE/users/$acct/api-keys" | grep -o 'stw_[A-Za-z0-9_-]*' | head -1)
      [ -n "$key" ] || { echo "!! no API key could be made"; exit 1; }
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$BASE/api/v1/servers")
      [ "$code" = 200 ] || { echo "!! GET /api/v1/servers answered $code"; exit 1; }
      measure "$backend" "$scale" api-servers /api/v1/servers "" "" "Authorization: Bearer $key"

      # The login storm, measured by its effect on /servers (customer) p99: the storm runs
      # a little longer than the measured run so that it covers all of it.
      storm_out=$WORK/storm.$backend.$scale.txt
      STORM_USER=storm STORM_PASSWORD=$PASSWORD wrk -t 1 -c "$STORM_CONNECTIONS" --timeout 10s \
        -d "$((DURATION + 3))s" -s "$ROOT/bench/storm.lua" "$BASE/login" >"$storm_out" &
      storm_pid=$!
      sleep 1.5
      t0=$(date +%s.%N)
      f=$WORK/wrk.$backend.$scale.servers-under-storm.txt
      wrk -t "$THREADS" -c "$CONNECTIONS" --latency --timeout 10s -H "Cookie: $customer" \
        -d "${DURATION}s" "$BASE/servers" >"$f"
      t1=$(date +%s.%N)
      wait "$storm_pid"
      storm=$(grep '^STORM' "$storm_out" || echo "STORM no summary")
      record "$backend" "$scale" servers-under-storm "$f" "$t0" "$t1" "${storm#STORM }"
      echo "   storm: ${storm#STORM }"
    fi

    if [[ " $SCENARIOS " == *" jobs "* ]]; then
      # The assign POST alone, then while reinstall POSTs queue jobs on a controller that
      # takes DRIVER_DELAY_MS per call: the calls run outside any transaction, so the
      # assign POST's p99 should not move by more than 20 %.
      list=$WORK/reinstall.$backend.$scale.txt
      q="SELECT id || ' ' || hostname FROM servers WHERE owner_id = $S ORDER BY id DESC LIMIT 2000"
      if [ "$backend" = postgres ]; then
        psql "$STEWARD_DATABASE_URL" -qAtc "$q" >"$list"
      else
        python3 -c 'import sqlite3, sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' \
          "$STEWARD_DATABASE_URL" "$q" >"$list"
      fi
      body="action=assign"
      for sid in ${BENCH_ASSIGNED_SAMPLE//,/ }; do body="$body&server_id=$sid"; done
      export COOKIE=$showcase CSRF_TOKEN=$showcase_csrf POST_BODY=$body REINSTALL_LIST=$list
      measure "$backend" "$scale" assign-post-quiet "$assign" "" "$ROOT/bench/post.lua"
      jobs_out=$WORK/reinstalls.$backend.$scale.txt
      wrk -t 1 -c "$REINSTALL_CONNECTIONS" --timeout 10s -d "$((DURATION + 3))s" \
        -s "$ROOT/bench/reinstall.lua" "$BASE/servers" >"$jobs_out" &
      jobs_pid=$!
      sleep 1.5
      t0=$(date +%s.%N)
      f=$WORK/wrk.$backend.$scale.assign-post-under-reinstalls.txt
      wrk -t "$THREADS" -c "$CONNECTIONS" --latency --timeout 10s -s "$ROOT/bench/post.lua" \
        -d "${DURATION}s" "$BASE$assign" >"$f"
      t1=$(date +%s.%N)
      wait "$jobs_pid"
      reinstalls=$(awk '/requests in/ {print $1; exit}' "$jobs_out")
      queued=$(count_jobs "$STEWARD_DATABASE_URL" "$backend")
      record "$backend" "$scale" assign-post-under-reinstalls "$f" "$t0" "$t1" \
        "$reinstalls reinstall POSTs by $REINSTALL_CONNECTIONS connections, $queued jobs queued, ${DRIVER_DELAY_MS} ms per call"
      echo "   reinstalls: $reinstalls POSTs, $queued jobs"
    fi

    if [[ " $SCENARIOS " == *" csv "* ]]; then
      # The access review as CSV, downloaded whole by the showcase owner: one row per
      # (login, permission), then one row per (login, permission, server). The body is
      # streamed; the sampler's RSS over the download shows whether it stays bounded.
      for form in "" "?detail=servers"; do
        name=review-csv${form:+-servers}
        t0=$(date +%s.%N)
        stats=$(curl -s -H "Cookie: $showcase" -o "$WORK/review.csv" \
          -w '%{http_code} %{time_total} %{size_download}' "$BASE/users/$S/access-review.csv$form")
        t1=$(date +%s.%N)
        read -r code secs bytes <<<"$stats"
        [ "$code" = 200 ] || { echo "!! $name answered $code"; exit 1; }
        rows=$(($(wc -l <"$WORK/review.csv") - 1))
        ms=$(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1000 }')
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
        # A download shorter than the sampler's 0.25 s has no sample of its own: take the
        # RSS right after it too (the allocator keeps what the download grew to).
        rss=$(rss_between "$t0" "$t1")
        now_rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
        [ "$now_rss" -gt "$rss" ] && rss=$now_rss
        printf '%s\t%s\t%s\t\t%s\t%s\t1\t0\tnone\t%s\t%s\t%s rows, %s bytes\n' "$backend" "$scale" "$name" \
          "$ms" "$ms" "$rss" "$hwm" "$rows" "$bytes" >>"$RESULTS"
        printf '   %-22s %s rows, %s MB in %s ms, max RSS %s kB\n' "$name" "$rows" \
          "$((bytes / 1048576))" "$ms" "$rss"
        rm -f "$WORK/review.csv"
      done
    fi

    sleep 2
    after_rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    printf '%s\t%s\tmemory\t\t\t\t\t\t\t%s\t%s\tidle before %s kB, after the runs %s kB\n' \
      "$backend" "$scale" "$(rss_between 0 9999999999)" "$hwm" "$idle_rss" "$after_rss" >>"$RESULTS"
    echo "   memory: idle ${idle_rss} kB, max under load $(rss_between 0 9999999999) kB, HWM ${hwm} kB, after ${after_rss} kB"

    kill "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  done
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
python3 "$ROOT/bench/report.py" "$OUT" >"$OUT/report.md"
echo "== report: $OUT/report.md"
cat "$OUT/report.md"
