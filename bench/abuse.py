#!/usr/bin/env python3
"""Steward under abuse (issue 21; figures in BENCHMARKS.md, "Abuse"). Not a test.

Starts `steward serve` on a loopback port over the benchmark's data set
(`bench-data --scale $SCALE`, SQLite or PostgreSQL), then runs three bounded
scenarios while it samples the server's resident memory (VmRSS, every 100 ms) and probes
`/healthz` on fresh connections every 20 ms:

  stalled   300 connections each send a 256 KB login form minus its last byte, held 8 s
  search    50 parallel full-scan searches (`/servers?q=zzz-none`) by the showcase
            customer (10,000 servers) for $SECONDS s, while customer0001 loads /servers
  aliases   8 clients create alias users on the showcase account for $SECONDS s
  create100 (issue 19) one client creates 100 alias users through the form, one after
            another (each a real Argon2 hash), then 8 clients load the Alias Users tab
            for $SECONDS s: the RSS "after creating 100 logins, under load"
  storm     8 clients log in (GET /login, POST /login with the right password: a real
            Argon2 verification each) for $SECONDS s

SCENARIOS (comma-separated, default "stalled,search,aliases") picks and orders them;
FRESH=1 starts a new server (and data set) for each, so each RSS is its own and not the
sum of the scenarios before it. SMAPS=1 prints /proc/PID/smaps_rollup and the largest
anonymous mappings after each scenario (what the resident memory is made of).

Every connection goes to 127.0.0.1; every scenario ends after a fixed time. Standard
library only. Usage:

  bench/abuse.py                               # SQLite, tenth scale, release binary
  BACKEND=postgres SCALE=full bench/abuse.py
  STEWARD_BIN=target/debug/steward bench/abuse.py   # another build (say so in the figures)
  SCENARIOS=create100,aliases,storm,stalled FRESH=1 SECONDS=20 bench/abuse.py   # memory (#19)

The data set comes from the bench-data binary beside STEWARD_BIN, else from
target/release/bench-data (cargo build --release --bin bench-data); STEWARD_DATA_BIN
names another.
"""

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STEWARD_BIN", os.path.join(ROOT, "target/release/steward"))
BESIDE_BIN = os.path.join(os.path.dirname(BIN), "bench-data")
DATA_BIN = os.environ.get("STEWARD_DATA_BIN") or (
    BESIDE_BIN if os.access(BESIDE_BIN, os.X_OK) else os.path.join(ROOT, "target/release/bench-data"))
BACKEND = os.environ.get("BACKEND", "sqlite")
SCALE = os.environ.get("SCALE", "tenth")
SECONDS = float(os.environ.get("SECONDS", "10"))
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench-password"
SCENARIOS = os.environ.get("SCENARIOS", "stalled,search,aliases").split(",")
FRESH = os.environ.get("FRESH", "0") == "1"
SMAPS = os.environ.get("SMAPS", "0") == "1"
SECRET = "c3Rld2FyZC1hYnVzZS1iZW5jaC1zZWNyZXQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbi11c2UtMDEyMzQ1Njc4OQ=="


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="steward-abuse.")
        if BACKEND == "postgres":
            self.db = "steward_abuse_%d" % os.getpid()
            subprocess.run(["psql", PG_URL + "/postgres", "-qc", "CREATE DATABASE " + self.db], check=True)
            self.url = PG_URL + "/" + self.db
        else:
            self.db = None
            self.url = os.path.join(self.tmp, "steward.db")
        self.env = dict(os.environ, STEWARD_DATABASE_URL=self.url, STEWARD_SECRET_KEY=SECRET,
                        STEWARD_BIND="127.0.0.1:%d" % self.port, RUST_LOG="warn")
        out = subprocess.run([DATA_BIN, "--scale", SCALE], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        self.showcase_id = int(re.search(r"BENCH_SHOWCASE_ID=(\d+)", out).group(1))
        self.role_id = int(re.search(r"BENCH_ROLE_ID=(\d+)", out).group(1))
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        for line in self.proc.stdout:
            if "log in at" in line:
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.db:
            subprocess.run(["psql", PG_URL + "/postgres", "-qc",
                            "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db])


def request(port, method, path, body=None, cookie="", timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    cookies = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    return r.status, data, cookies


def csrf_in(html):
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return m.group(1) if m else ""


def login(port, username):
    _, html, cookies = request(port, "GET", "/login")
    status, _, session = request(port, "POST", "/login",
                                 {"username": username, "password": PASSWORD, "csrf_token": csrf_in(html)},
                                 cookie="; ".join(cookies))
    assert status == 303, "login of %s: %d" % (username, status)
    cookie = "; ".join(c for c in session if c.startswith("steward_session="))
    _, html, _ = request(port, "GET", "/servers", cookie=cookie)
    return cookie, csrf_in(html)


class Watch:
    """RSS samples and /healthz latencies while a scenario runs."""

    def __init__(self, server):
        self.server, self.stop = server, threading.Event()
        self.rss, self.health, self.health_fail = [], [], 0
        self.threads = [threading.Thread(target=self.sample), threading.Thread(target=self.probe)]

    def sample(self):
        while not self.stop.is_set():
            self.rss.append(self.server.rss_kb())
            time.sleep(0.1)

    def probe(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                status, _, _ = request(self.server.port, "GET", "/healthz", timeout=5)
                if status == 200:
                    self.health.append((time.monotonic() - t) * 1000)
                else:
                    self.health_fail += 1
            except OSError:
                self.health_fail += 1
            time.sleep(0.02)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for t in self.threads:
            t.join()

    def line(self, name, note, after_kb, load):
        h = sorted(self.health) or [0]
        p = lambda q: h[min(len(h) - 1, int(q * len(h)))]
        return "| %s | %s | %s | %.0f | %.0f | %.1f | %.1f | %d/%d | %s | %s |" % (
            BACKEND, SCALE, name, max(self.rss) / 1024, after_kb / 1024, p(0.5), p(0.99),
            self.health_fail, len(self.health) + self.health_fail, load, note)


def stalled(server):
    size = 256 * 1024
    head = ("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\n\r\n" % size).encode()
    body = b"username=" + b"a" * (size - 10)
    socks, answers = [], {}
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.setblocking(False)
        try:
            s.sendall(head)
            s.send(body)
        except OSError:
            pass
        socks.append(s)
    time.sleep(8)
    for s in socks:
        try:
            s.setblocking(True)
            s.settimeout(0.2)
            first = s.recv(64).split(b"\r\n")[0].decode() or "closed"
        except OSError:
            first = "no answer yet"
        key = first.split(" ")[1] if first.startswith("HTTP/") else first
        answers[key] = answers.get(key, 0) + 1
        s.close()
    return "answers after 8 s: " + ", ".join("%s × %d" % kv for kv in sorted(answers.items()))


def search(server):
    cookie, _ = login(server.port, "showcase")
    other, _ = login(server.port, "customer0001")
    counts, other_ms, stop = {}, [], time.monotonic() + SECONDS
    lock = threading.Lock()

    def scanner():
        while time.monotonic() < stop:
            status, _, _ = request(server.port, "GET", "/servers?q=zzz-none", cookie=cookie)
            with lock:
                counts[status] = counts.get(status, 0) + 1
            if status == 429:
                time.sleep(1)

    def neighbour():
        while time.monotonic() < stop:
            t = time.monotonic()
            status, _, _ = request(server.port, "GET", "/servers", cookie=other)
            if status == 200:
                other_ms.append((time.monotonic() - t) * 1000)

    threads = [threading.Thread(target=scanner) for _ in range(50)] + [threading.Thread(target=neighbour)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "searches: %s; other tenant's /servers p50 %.1f ms (%d)" % (
        ", ".join("%d × %d" % kv for kv in sorted(counts.items())),
        statistics.median(other_ms or [0]), len(other_ms))


def aliases(server):
    cookie, token = login(server.port, "showcase")
    counts, stop, n = {}, time.monotonic() + SECONDS, [0]
    lock = threading.Lock()

    def creator():
        while time.monotonic() < stop:
            with lock:
                n[0] += 1
                i = n[0]
            status, _, _ = request(server.port, "POST", "/users/%d/alias-users" % server.showcase_id, {
                "username": "flood%06d" % i, "email": "flood%06d@example.net" % i,
                "password": "flood-password-%06d" % i, "role_id": str(server.role_id),
                "csrf_token": token}, cookie=cookie)
            with lock:
                counts[status] = counts.get(status, 0) + 1
            if status == 429:
                time.sleep(1)

    threads = [threading.Thread(target=creator) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "creations: " + ", ".join("%d × %d" % kv for kv in sorted(counts.items()))


def create100(server):
    cookie, token = login(server.port, "showcase")
    counts = {}
    t = time.monotonic()
    for i in range(100):
        status, _, _ = request(server.port, "POST", "/users/%d/alias-users" % server.showcase_id, {
            "username": "made%03d" % i, "email": "made%03d@example.net" % i,
            "password": "made-password-%03d" % i, "role_id": str(server.role_id),
            "csrf_token": token}, cookie=cookie)
        counts[status] = counts.get(status, 0) + 1
    made = time.monotonic() - t
    rss_made = server.rss_kb()
    path, stop, pages = "/users/%d/alias-users" % server.showcase_id, time.monotonic() + SECONDS, [0]
    lock = threading.Lock()

    def viewer():
        while time.monotonic() < stop:
            status, _, _ = request(server.port, "GET", path, cookie=cookie)
            with lock:
                pages[0] += status == 200

    threads = [threading.Thread(target=viewer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "creations: %s in %.1f s, RSS %.0f MB when made; then %d tab views" % (
        ", ".join("%d × %d" % kv for kv in sorted(counts.items())), made, rss_made / 1024, pages[0])


def storm(server):
    counts, stop = {}, time.monotonic() + SECONDS
    lock = threading.Lock()

    def client():
        while time.monotonic() < stop:
            _, html, cookies = request(server.port, "GET", "/login")
            status, _, _ = request(server.port, "POST", "/login",
                                   {"username": "storm", "password": PASSWORD, "csrf_token": csrf_in(html)},
                                   cookie="; ".join(cookies))
            with lock:
                counts[status] = counts.get(status, 0) + 1
            if status == 429:
                time.sleep(1)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "logins: " + ", ".join("%d × %d" % kv for kv in sorted(counts.items()))


def smaps(server):
    """What the resident memory is made of: the rollup, and the biggest anonymous mappings."""
    pid = server.proc.pid
    with open("/proc/%d/smaps_rollup" % pid) as f:
        rollup = {l.split(":")[0]: l.split()[1] for l in f if ":" in l and l.split()[-1] == "kB"}
    print("    smaps_rollup: Rss %s kB, Anonymous %s kB, Private_Dirty %s kB, threads %d" % (
        rollup.get("Rss"), rollup.get("Anonymous"), rollup.get("Private_Dirty"),
        len(os.listdir("/proc/%d/task" % pid))))
    maps, cur = [], None
    with open("/proc/%d/smaps" % pid) as f:
        for l in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", l):
                parts = l.split()
                a, b = (int(x, 16) for x in parts[0].split("-"))
                cur = [parts[5] if len(parts) > 5 else "[anon]", (b - a) // 1024, 0]
                maps.append(cur)
            elif l.startswith("Rss:") and cur:
                cur[2] = int(l.split()[1])
    anon = sorted((m for m in maps if m[0] in ("[anon]", "[heap]")), key=lambda m: -m[2])
    print("    largest anonymous mappings (size kB / resident kB): " + ", ".join(
        "%s %d/%d" % (m[0], m[1], m[2]) for m in anon[:8]))
    print("    anonymous mappings: %d, resident in them %d kB" % (len(anon), sum(m[2] for m in anon)))


def main():
    if not os.path.exists(BIN):
        sys.exit("no binary at %s: cargo build --release (or set STEWARD_BIN)" % BIN)
    known = {"stalled": ("300 stalled bodies", stalled), "search": ("50 parallel searches", search),
             "aliases": ("alias-creation flood", aliases), "create100": ("100 alias users made, then tab load", create100),
             "storm": ("login storm", storm)}
    chosen = [known[n.strip()] for n in SCENARIOS]
    load = lambda: open("/proc/loadavg").read().split()[0]
    print("| backend | scale | scenario | RSS max MB | RSS 3 s after MB | /healthz p50 ms | /healthz p99 ms | /healthz failed | load | what the abuser got |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    server = None
    try:
        for i, (name, scenario) in enumerate(chosen):
            if server is None or FRESH:
                if server is not None:
                    server.stop()
                server = Server()
                with Watch(server) as w:
                    time.sleep(2)
                print(w.line("idle", "baseline", server.rss_kb(), load()), flush=True)
            before = load()
            with Watch(server) as w:
                note = scenario(server)
            time.sleep(3)
            print(w.line(name, note, server.rss_kb(), before), flush=True)
            if SMAPS:
                smaps(server)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
