#!/usr/bin/env python3
"""Turns bench/run.sh's results.tsv into the Markdown tables of BENCHMARKS.md, with each
target of issue 9 checked beside the figure it is about."""

import csv
import sys
from pathlib import Path

PAGES = [
    ("servers-customer", "`/servers` as a customer (5 servers)"),
    ("servers-alias-1000", "`/servers` as the alias user with 1,000 servers (100 at tenth)"),
    ("alias-users-tab", "Alias Users tab of the showcase account"),
    ("assign-dialog-search", "Assign Servers dialog, search `q=ams`"),
    ("role-editor", "Role editor page"),
    ("assign-post", "POST assign servers (CSRF header)"),
    ("api-servers", "`GET /api/v1/servers` with a key"),
]
RPS_SHARE = 0.25
P99_MS = 25.0
SCALE_RATIO = 1.5
RSS_MB = 64
STORM_FACTOR = 3.0
JOBS_FACTOR = 1.2


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def mark(ok):
    return "met" if ok else "**missed**"


def main(out_dir):
    out = Path(out_dir)
    rows = list(csv.DictReader(open(out / "results.tsv"), delimiter="\t"))
    by = {(r["backend"], r["scale"], r["scenario"]): r for r in rows}
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    scales = list(dict.fromkeys(r["scale"] for r in rows))
    print("```")
    print((out / "meta.txt").read_text().strip())
    print("```")
    for b in backends:
        for s in scales:
            h = by.get((b, s, "healthz"))
            if not h:
                continue
            base = num(h["rps"])
            print(f"\n### {b}, {s} size\n")
            print("| scenario | req/s | p50 ms | p99 ms | ≥ 25% of /healthz | p99 ≤ 25 ms | max RSS MB |")
            print("|---|---:|---:|---:|---|---|---:|")
            p99 = num(h["p99_ms"])
            print(f"| `/healthz` (baseline) | {base:.0f} | {h['p50_ms']} | {h['p99_ms']} | — | {mark(p99 <= P99_MS)} | {int(h['rss_max_kb'])/1024:.1f} |")
            for key, label in PAGES:
                r = by.get((b, s, key))
                if not r or not r["rps"]:
                    continue
                rps, p99 = num(r["rps"]), num(r["p99_ms"])
                bad = "" if r["non2xx3xx"] in ("0", "") else f" ({r['non2xx3xx']} non-2xx/3xx!)"
                print(f"| {label}{bad} | {rps:.0f} | {r['p50_ms']} | {r['p99_ms']} | {mark(rps >= RPS_SHARE * base)} ({100*rps/base:.0f}%) | {mark(p99 <= P99_MS)} | {int(r['rss_max_kb'])/1024:.1f} |")
            api = by.get((b, s, "api-servers"))
            if api and api["note"]:
                print(f"| `GET /api/v1/servers` with a key | — | — | — | {api['note']} | | |")
            base_r, storm_r = by.get((b, s, "servers-customer")), by.get((b, s, "servers-under-storm"))
            if base_r and storm_r:
                p_base, p_storm = num(base_r["p99_ms"]), num(storm_r["p99_ms"])
                print(f"| `/servers` as a customer **during the login storm** | {num(storm_r['rps']):.0f} | {storm_r['p50_ms']} | {storm_r['p99_ms']} | p99 ×{p_storm/p_base:.1f} of calm: {mark(p_storm <= STORM_FACTOR * p_base)} (≤ ×3) | {mark(p_storm <= P99_MS)} | {int(storm_r['rss_max_kb'])/1024:.1f} |")
                print(f"\nLogin storm ({storm_r['note']}).")
            f = by.get((b, s, "forms-setup"))
            if f:
                print(f"\nSetup through the forms: {f['note']}; max RSS meanwhile {int(f['rss_max_kb'])/1024:.1f} MB ({mark(int(f['rss_max_kb']) <= RSS_MB*1024)}).")
            m = by.get((b, s, "memory"))
            if m:
                calm = max((int(by[(b, s, k)]["rss_max_kb"]) for k, _ in PAGES + [("healthz", "")] if (b, s, k) in by), default=0)
                print(f"\nMemory: max RSS under page load {calm/1024:.1f} MB ({mark(calm <= RSS_MB*1024)}, target ≤ {RSS_MB} MB); "
                      f"with the login storm {int(m['rss_max_kb'])/1024:.1f} MB ({mark(int(m['rss_max_kb']) <= RSS_MB*1024)}); "
                      f"VmHWM {int(m['hwm_kb'])/1024:.1f} MB; {m['note']}.")
    csv_rows = [r for r in rows if r["scenario"].startswith("review-csv")]
    if csv_rows:
        print(f"\n### Access review CSV, downloaded whole by the showcase owner (target: RSS ≤ {RSS_MB} MB while streaming)\n")
        print("| backend | size | form | rows, bytes | time ms | max RSS MB while streaming | RSS target |")
        print("|---|---|---|---|---:|---:|---|")
        for r in csv_rows:
            form = "`?detail=servers`" if r["scenario"].endswith("servers") else "per permission"
            rss = int(r["rss_max_kb"] or 0)
            print(f"| {r['backend']} | {r['scale']} | {form} | {r['note']} | {r['p50_ms']} | {rss/1024:.1f} | {mark(rss <= RSS_MB*1024)} |")
    job_rows = [(b, s) for b in backends for s in scales if (b, s, "assign-post-under-reinstalls") in by]
    if job_rows:
        print(f"\n### Assign POST while reinstall jobs run on a slow controller (target: p99 moves ≤ {round(100*(JOBS_FACTOR-1))} %)\n")
        print("| backend | size | quiet req/s | quiet p99 ms | under reinstalls req/s | p99 ms | p99 ratio | reinstalls |")
        print("|---|---|---:|---:|---:|---:|---|---|")
        for b, s in job_rows:
            q, j = by.get((b, s, "assign-post-quiet")), by[(b, s, "assign-post-under-reinstalls")]
            if not q:
                continue
            ratio = num(j["p99_ms"]) / num(q["p99_ms"])
            bad = "" if j["non2xx3xx"] in ("0", "") else f" ({j['non2xx3xx']} non-2xx/3xx!)"
            print(f"| {b} | {s} | {num(q['rps']):.0f} | {q['p99_ms']} | {num(j['rps']):.0f}{bad} | {j['p99_ms']} | ×{ratio:.2f} {mark(ratio <= JOBS_FACTOR)} | {j['note']} |")
    cost_rows = [r for r in rows if r.get("cpu_ms_per_req")]
    if cost_rows:
        print("\n### What a request costs the server (its CPU time and context switches, all threads, divided by requests answered; independent of what else runs on the machine)\n")
        print("| backend | size | scenario | CPU ms per request | context switches per request |")
        print("|---|---|---|---:|---:|")
        for r in cost_rows:
            print(f"| {r['backend']} | {r['scale']} | {r['scenario']} | {r['cpu_ms_per_req']} | {r.get('switches_per_req') or '—'} |")
    if "full" in scales and "tenth" in scales:
        print("\n### Scale: tenth-size req/s ÷ full-size req/s (target ≤ 1.5: cost follows the page, not the tenant)\n")
        print("| scenario | " + " | ".join(backends) + " |")
        print("|---|" + "---|" * len(backends))
        for key, label in [("healthz", "`/healthz`")] + PAGES:
            cells = []
            for b in backends:
                f, t = by.get((b, "full", key)), by.get((b, "tenth", key))
                if f and t and num(f["rps"]) and num(t["rps"]):
                    ratio = num(t["rps"]) / num(f["rps"])
                    cells.append(f"{ratio:.2f} {mark(ratio <= SCALE_RATIO)}")
                else:
                    cells.append("—")
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
