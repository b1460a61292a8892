#!/usr/bin/env python3
"""Turn bench/out/*.tsv|json into bench/RESULTS.md (Markdown on stdout).

Medians over the interleaved runs; ratios trawl/peer computed pair by pair
(run k of trawl against run k of the peer, same site and concurrency), then
the median of those ratios.  A run that found fewer than 99% of the true
pages is flagged, and its speed ratio is not counted as a win for anyone.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import statistics
import subprocess
from collections import defaultdict

from report_render import render

SITE_NAMES = {"python": "python3-doc", "rust": "rust-doc", "syn10k": "synthetic 10k",
              "syn100k": "synthetic 100k"}
PEER_NOTES = {
    "wget": "`wget --recursive --level=inf`, serial (no concurrency setting)",
    "httrack": "`httrack -c<conc> -%c1000 -A1e9 -s0 -p1`, runs capped (it sleeps between polls)",
    "scrapy": "`scrapy runspider peers/scrapy_spider.py`, CONCURRENT_REQUESTS(_PER_DOMAIN)=conc",
    "spider": "`spider --url URL -d 1000 crawl --output-links` (spider_cli), no concurrency flag (~30), "
              "`LINKS_VISITED_MEMORY_LIMIT=100000000`",
    "crawlee": "CheerioCrawler (`@crawlee/cheerio`), min=maxConcurrency=conc, in-memory storage",
}


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"


def machine():
    model = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
    mem = sh("awk '/MemTotal/{printf \"%.0f GiB\", $2/1048576}' /proc/meminfo")
    osr = sh(". /etc/os-release && echo $PRETTY_NAME")
    ng = sh("nginx -v 2>&1 | sed 's/.*: //'")
    return (f"{model}, {os.cpu_count()} cores, {mem} RAM; {osr}, Linux {platform.release()}; "
            f"{ng}, 1 worker on core 0, every crawler on core 1 (`taskset`); scratch on tmpfs")


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def f(x, nd=0, unit=""):
    if x is None:
        return "–"
    return f"{x:,.{nd}f}{unit}"


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--trawl", default="trawl")
    ap.add_argument("--reps", default="3")
    ap.add_argument("--sites", default="")
    ap.add_argument("--load", default="?")
    ap.add_argument("--build", type=int, default=0)
    ap.add_argument("--broad-hosts", default="")
    a = ap.parse_args()
    o = a.out
    p = []
    w = p.append
    w("# trawl benchmark results\n")
    w(f"- **Date:** {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
    w(f"- **Machine:** {machine()}")
    w(f"- **trawl:** {a.trawl}")
    w(f"- **Run:** `bench/run.sh{' --quick' if a.mode == 'quick' else ''}`, {a.elapsed // 60} min {a.elapsed % 60} s end to end "
      f"(of which {a.build} s for `cargo build --release`; installs were cached); {a.reps} interleaved runs per cell, medians shown.")
    w(f"- **Load average** (1/5/15 min) at the start / end of the run: {a.load} "
      "(other work on the machine competes for both cores when this is above ~0.2)")
    w("")

    # ---- peers
    peers = read_tsv_noheader(os.path.join(o, "peers.tsv"))
    if peers:
        w("## Peers\n")
        w("| peer | installed | version / error | how it is run |")
        w("|---|---|---|---|")
        for name, status, detail in peers:
            w(f"| {name} | {status} | {detail.replace('|', '/')} | {PEER_NOTES.get(name, '')} |")
        w("")
        w("trawl is run as `trawl crawl --depth 1000 -j C --per-host C --robots ignore -q -o FILE URL`"
          " (records go to a tmpfs file, read afterwards to check coverage).\n")

    # ---- main table
    rows = read_tsv(os.path.join(o, "main.tsv"))
    if rows:
        w("## Throughput, CPU and memory: whole-site crawls from the root\n")
        w("*found* = distinct true pages the tool fetched with status 200 (from its own output), against the true "
          "page count computed from the files (pages reachable by `<a href>` from the root). "
          "pages/s = found ÷ wall seconds. CPU = user+sys ms per page found. RSS = peak (`/usr/bin/time -v`). "
          "Ratios are per pair of runs (run k of trawl vs run k of the peer, same site and concurrency), median "
          "of those; **trawl÷peer pages/s** > 1 means trawl is faster; **peer÷trawl CPU** > 1 means the peer "
          "spends more CPU per page. Peers with no concurrency setting (wget, spider_cli) are paired "
          "with trawl at the highest concurrency; httrack (capped) at the lowest. † = coverage below 99% of the true pages: its speed is not "
          "comparable. wrk = the ceiling: requests/s nginx serves on these same paths with the same connection "
          "count (trawl's % of it in the ratio column).\n")
        by = defaultdict(list)
        for r in rows:
            by[(r["site"], r["conc"], r["tool"])].append(r)
        sites = [s for s in a.sites.split() if any(k[0] == s for k in by)]
        for site in sites:
            concs = sorted({k[1] for k in by if k[0] == site}, key=int)
            true = int(next(r["true"] for k, v in by.items() if k[0] == site for r in v if k[2] != "wrk"))
            w(f"### {SITE_NAMES.get(site, site)} ({true:,} true pages)\n")
            w("| conc | tool | runs | found / true | wall s | pages/s | CPU ms/page | peak RSS MB | trawl÷peer pages/s | peer÷trawl CPU/page | notes |")
            w("|---|---|---|---|---|---|---|---|---|---|---|")
            for c in concs:
                tools = sorted({k[2] for k in by if k[0] == site and k[1] == c},
                               key=lambda t: (t != "trawl", t == "wrk", t))
                for tool in tools:
                    rs = by[(site, c, tool)]
                    if tool == "wrk":
                        rps = med([float(r["found"]) for r in rs])
                        tr = {r["rep"]: r for r in by.get((site, c, "trawl"), [])}
                        share = med([pps(tr[r["rep"]]) / float(r["found"]) * 100 for r in rs
                                     if r["rep"] in tr and float(r["found"]) > 0])
                        errs = sum(int(r["nginx_errors"] or 0) for r in rs)
                        w(f"| {c} | wrk (ceiling) | {len(rs)} | – | – | {f(rps)} req/s | – | – | trawl at {f(share, 1)}% of it | – | "
                          f"{'non-2xx responses: ' + str(errs) if errs else ''} |")
                        continue
                    shown_c = c if tool not in ("wget", "spider", "httrack") else {"wget": "1 (serial)", "spider": "default", "httrack": c}[tool]
                    found = med([int(r["found"]) for r in rs])
                    wall = med([float(r["wall_s"]) for r in rs])
                    ppsm = med([pps(r) for r in rs])
                    cpu = med([cpu_ms(r) for r in rs])
                    rss = med([int(r["maxrss_kb"]) / 1024 for r in rs if cpu_ms(r)])
                    notes = []
                    to = sum(1 for r in rs if r["rc"] in ("124", "137"))
                    if to:
                        notes.append(f"{to}/{len(rs)} runs hit the timeout (partial)")
                    bad = [r["rc"] for r in rs if r["rc"] not in ("0", "124", "137")]
                    if bad and not (tool == "wget" and set(bad) == {"8"}):
                        notes.append("exit " + ",".join(sorted(set(bad))))
                    errs = sum(int(r["nginx_errors"] or 0) for r in rs)
                    if errs:
                        notes.append(f"nginx logged {errs} errors (not 404s)")
                    low = found is not None and found < 0.99 * true
                    dag = "†" if low else ""
                    ratio_pps = ratio_cpu = "–"
                    if tool != "trawl":
                        tr = {r["rep"]: r for r in by.get((site, c, "trawl"), [])}
                        pr = [(tr[r["rep"]], r) for r in rs if r["rep"] in tr]
                        rp = med([pps(t) / pps(q) for t, q in pr if pps(q)])
                        rc_ = med([cpu_ms(q) / cpu_ms(t) for t, q in pr if cpu_ms(t) and cpu_ms(q)])
                        ratio_pps = f(rp, 2, "×") + dag
                        ratio_cpu = f(rc_, 1, "×") + dag
                    w(f"| {shown_c} | {tool} | {len(rs)} | {f(found)} / {true:,}{dag} | {f(wall, 2)} | {f(ppsm)} | "
                      f"{f(cpu, 2)} | {f(rss, 1)} | {ratio_pps} | {ratio_cpu} | {'; '.join(notes)} |")
            w("")

    # ---- latency
    lat = read_tsv(os.path.join(o, "latency.tsv"))
    w("## Latency: 100 ms per response\n")
    if lat:
        w("nginx runs in a network namespace reached over a veth pair; every response is held back 100 ms "
          "(`echo_sleep 0.1`, libnginx-mod-http-echo), standing in for 50 ms each way: this kernel has no netem. "
          "**TCP connection setup is not delayed**, so this is a 100 ms request/response RTT, not a full 100 ms "
          "network. Site: 2,000 synthetic pages. trawl crawls it under 20 host names (`--resolve hNN.bench:ADDR`, "
          "20 seeds, `--per-host max(4, C/16)`, `--max-pages 50×C`, about 5 s at the bound) so per-host limits "
          "do not cap `-j C`; peers crawl it on one host "
          "with their concurrency setting. The bound is C ÷ RTT pages/s. One run each.\n")
        w("| tool | concurrency | hosts | pages | wall s | pages/s | C ÷ RTT | % of bound |")
        w("|---|---|---|---|---|---|---|---|")
        for r in lat:
            c = int(r["conc"])
            pg = int(r["found"])
            wall = float(r["wall_s"])
            v = pg / wall if wall else 0
            bound = c / 0.1
            w(f"| {r['tool']} | {c}{' (default)' if r['tool'] == 'spider' else ''} | {r['hosts']} | {pg:,} | {wall:.2f} | {v:,.0f} | "
              f"{bound:,.0f} | {100 * v / bound:.0f}% |")
        w("")
    else:
        w(f"Not run{skipped(o, 'latency')}.\n")

    # ---- memory
    mem = read_tsv(os.path.join(o, "memory.tsv"))
    w("## Memory: a frontier of 1,000,000 URLs\n")
    if mem:
        w("The root links to 100 list pages, each linking to 10,000 distinct URLs (1,000,000 in all). "
          "`trawl crawl --depth 2 -j 16 --max-pages 120`: it fetches the lists, then stops with ~1M URLs pending. "
          "Peak RSS of the whole process, without and with `--state` (SQLite on tmpfs).\n")
        w("| variant | pages fetched | URLs discovered | pending at the end | wall s | peak RSS MB | exit |")
        w("|---|---|---|---|---|---|---|")
        for r in mem:
            w(f"| {'in memory' if r['variant'] == 'memory' else '`--state FILE`'} | {int(r['fetched']):,} | "
              f"{int(r['discovered']):,} | {int(r['pending']):,} | {float(r['wall_s']):.2f} | "
              f"{int(r['maxrss_kb']) / 1024:,.1f} | {r['rc']} |")
        w("")
    else:
        w("Not run.\n")

    rate_fidelity(o, w)
    broad(o, w, a.broad_hosts)
    shared(o, w)
    warc(o, w)
    content(o, w)
    render(o, w, read_tsv, med, f, SITE_NAMES)
    targets(o, w, a.sites.split())
    print("\n".join(p))


CONCURRENT_PEERS = ("scrapy", "crawlee", "spider", "httrack")


def targets(o, w, site_order):
    """The issue's targets, each checked against this run's medians."""
    rows = read_tsv(os.path.join(o, "main.tsv"))
    by = defaultdict(list)
    for r in rows:
        by[(r["site"], r["conc"], r["tool"])].append(r)
    w("## Targets\n")
    w("Each target checked against the medians above (peers with coverage below 99% are left out of "
      "\"fastest\" and \"most frugal\", as their speed is not comparable; their figures are in the tables).\n")
    w("| target | site / case | trawl | best peer | ratio | met |")
    w("|---|---|---|---|---|---|")
    yes = lambda ok: "yes" if ok else "**no**"
    for site in [s for s in site_order if any(k[0] == s for k in by)]:
        concs = sorted({k[1] for k in by if k[0] == site}, key=int)
        c = concs[-1]
        true = next((int(r["true"]) for k, v in by.items() if k[0] == site and k[2] != "wrk" for r in v), 0)
        tr = by.get((site, c, "trawl"), [])
        if not tr:
            continue
        t_pps, t_cpu = med([pps(r) for r in tr]), med([cpu_ms(r) for r in tr])
        t_rss = med([int(r["maxrss_kb"]) / 1024 for r in tr])
        peers = {}
        for (s, cc, tool), rs in by.items():
            if s != site or tool in ("trawl", "wrk") or cc != c and tool != "httrack":
                continue
            full = [r for r in rs if int(r["found"]) >= 0.99 * true]
            if len(full) * 2 > len(rs):
                peers[tool] = dict(pps=med([pps(r) for r in full]), cpu=med([cpu_ms(r) for r in full]),
                                   rss=med([int(r["maxrss_kb"]) / 1024 for r in full if cpu_ms(r)]))
        name = SITE_NAMES.get(site, site)
        if peers:
            best = max(peers, key=lambda k: peers[k]["pps"] or 0)
            ratio = t_pps / peers[best]["pps"]
            w(f"| pages/s ≥ 3× the fastest peer at -j {c} | {name} | {f(t_pps)} | {best} {f(peers[best]['pps'])} | "
              f"{ratio:.2f}× | {yes(ratio >= 3)} |")
            cpus = {k: v["cpu"] for k, v in peers.items() if v["cpu"]}
            if cpus and t_cpu:
                fr = min(cpus, key=cpus.get)
                w(f"| CPU ms/page ≤ ½ the most frugal peer | {name} | {t_cpu:.2f} | {fr} {cpus[fr]:.2f} | "
                  f"{t_cpu / cpus[fr]:.2f} | {yes(t_cpu <= cpus[fr] / 2)} |")
        conc = {k: v["rss"] for k, v in peers.items() if k in CONCURRENT_PEERS and v["rss"]}
        if conc:
            lo = min(conc, key=conc.get)
            w(f"| peak RSS below every concurrent peer at -j {c} | {name} | {t_rss:.1f} MB | {lo} {conc[lo]:.1f} MB | "
              f"{t_rss / conc[lo]:.2f} | {yes(t_rss < conc[lo])} |")
        wrk = by.get((site, c, "wrk"), [])
        if site in ("syn10k", "syn100k") and wrk:
            rps = med([float(r["found"]) for r in wrk])
            w(f"| ≥ 35% of wrk's request rate | {name} -j {c} | {f(t_pps)} pages/s | wrk {f(rps)} req/s | "
              f"{100 * t_pps / rps:.0f}% | {yes(t_pps >= 0.35 * rps)} |")
    for r in read_tsv(os.path.join(o, "latency.tsv")):
        if r["tool"] != "trawl":
            continue
        c, v = int(r["conc"]), int(r["found"]) / float(r["wall_s"])
        w(f"| ≥ 95% of concurrency ÷ RTT | latency, -j {c} | {v:,.0f} pages/s | bound {c / 0.1:,.0f} | "
          f"{100 * v / (c / 0.1):.0f}% | {yes(v >= 0.95 * c / 0.1)} |")
    for r in read_tsv(os.path.join(o, "memory.tsv")):
        mb, cap = int(r["maxrss_kb"]) / 1024, 256 if r["variant"] == "memory" else 128
        w(f"| 1M-URL frontier peak RSS < {cap} MiB | {'in memory' if cap == 256 else '--state'} | {mb:.1f} MB | – | "
          f"{mb / cap:.2f} of the cap | {yes(mb < cap)} |")
    for r in rate_rows(o):
        R, err = r["target"], (r["rate"] - r["target"]) / r["target"]
        w(f"| rate within 2% of --rate {R:g} | rate | {r['rate']:.2f}/s (median of {r['runs']}) | – | "
          f"{100 * err:+.1f}% | {yes(abs(err) <= 0.02)} |")
        floor = max(0.0, 1000 / R - 3)
        w(f"| no gap shorter than 1/R − 1 ms (± 2 ms of log) at --rate {R:g} | rate | shortest {r['min_gap_ms']} ms | – | "
          f"≥ {floor:g} ms | {yes(r['min_gap_ms'] >= floor)} |")
        if r["ahead_ms"] is not None:
            w(f"| no request ahead of schedule by more than 1 ms (+ 2 ms of log) at --rate {R:g} | rate | "
              f"{r['ahead_ms']} ms | – | ≤ 3 ms | {yes(r['ahead_ms'] <= 3)} |")
    w("")


def rate_rows(o):
    """One row per --rate of the rate scenario: median achieved rate over its runs,
    shortest and longest gap of all of them."""
    rp = os.path.join(o, "rate.jsonl")
    if not os.path.exists(rp):
        return []
    by = {}
    for line in open(rp):
        if line.strip():
            r = json.loads(line)
            if r.get("rate"):
                by.setdefault(r["target"], []).append(r)
    rows = []
    for target, rs in sorted(by.items()):
        rows.append({"target": target, "runs": len(rs), "secs": rs[0]["secs"],
                     "requests": med([x["requests"] for x in rs]), "rate": med([x["rate"] for x in rs]),
                     "min_gap_ms": min(x["min_gap_ms"] for x in rs),
                     "median_gap_ms": med([x["median_gap_ms"] for x in rs]),
                     "max_gap_ms": max(x["max_gap_ms"] for x in rs),
                     "ahead_ms": max((x["ahead_ms"] for x in rs if "ahead_ms" in x), default=None)})
    return rows


def rate_fidelity(o, w):
    w("## Rate fidelity\n")
    rows = rate_rows(o)
    if not rows:
        w("Not run.\n")
        return
    w("`trawl crawl --rate R --per-host 4 --robots ignore --max-time S` against one host (a 10,000-page "
      "synthetic site), S = 30 s (10 s in quick mode) or 8,000 requests' worth; request arrival times from "
      "nginx's access log (`$msec` − `$request_time`, to the millisecond, logged for this server only). "
      "Achieved rate = (requests − 1) / (last arrival − first arrival); median over the runs, shortest and "
      "longest gap over all of them. trawl promises no two requests released closer than 1/R − 1 ms; "
      "a gap between two logged arrivals is exact to ± 2 ms (each stamp to the millisecond), and a request "
      "that reached nginx late shortens the gap after it. *Ahead* is how far any request arrived ahead of "
      "the schedule (one every 1/R) of the least late of the 50 before it, the largest over the runs: "
      "requests released back to back would put one a whole period ahead.\n")
    w("| --rate R | runs | requests | span s | achieved /s | error | shortest gap ms | median gap ms | longest gap ms | ahead ms |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        R = r["target"]
        w(f"| {R:g} | {r['runs']} | {r['requests']:.0f} | {(r['requests'] - 1) / r['rate']:.2f} | {r['rate']:.2f} | "
          f"{100 * (r['rate'] - R) / R:+.1f}% | {r['min_gap_ms']} | {r['median_gap_ms']} | {r['max_gap_ms']} | "
          f"{'–' if r['ahead_ms'] is None else r['ahead_ms']} |")
    w("")


def broad(o, w, hosts):
    rows = read_tsv(os.path.join(o, "broad.tsv"))
    n = int(hosts) if hosts.isdigit() else (int(rows[0]["hosts"]) if rows else 0)
    w(f"## Broad crawl: {n:,} hosts\n")
    if not rows:
        w("Not run.\n")
        return
    cfg = {}
    low = ""
    if os.path.exists(os.path.join(o, "broad.json")):
        cfg = json.load(open(os.path.join(o, "broad.json")))
        low = cfg.get("low_nofile") or ""
    w(f"{n:,} host names `h0.test` … `h{n - 1}.test` in front of one nginx port (its own instance: one default "
      f"server, one worker on core 0, `keepalive_timeout {cfg.get('keepalive', '?')}`, `worker_connections "
      f"{cfg.get('worker_connections', '?')}`, `ulimit -n {cfg.get('nginx_nofile', '?')}` for nginx only); "
      f"each serves the same site: `/` linking to 4 small pages (5 HTML pages per host, {5 * n:,} in all) and a "
      "robots.txt that disallows only `/private/`, which nothing links to. "
      "trawl: `trawl crawl --seeds seeds.txt --config hosts.toml -j C -q -o FILE` with its defaults (robots.txt "
      "obeyed, `--per-host 4`, `--depth 3`); the config file maps every name to 127.0.0.1 "
      "(`resolve = [\"h0.test:127.0.0.1\", …]`). wget (`-r -l 3 -i seeds.txt`, no `-H`) and Scrapy "
      "(`peers/scrapy_broad.py`, robots obeyed, 4 per host) reach the names through nginx as their HTTP proxy "
      "(absolute-form requests), so they hold connections to one proxy, not one per host: their fd counts are not "
      "comparable with trawl's. *pages 200* = distinct (host, page) answered 200, from the tool's own output; "
      "*errors* = error records by kind (trawl: `error.kind` of its JSONL records; wget: its log's failures; "
      "Scrapy: errback exceptions and non-200 statuses); pages/s = pages 200 ÷ wall seconds; *max open fds* = "
      f"the most entries in `/proc/PID/fd` of the tool (and any process it forks), sampled every "
      f"{cfg.get('fd_sample_ms', '?')} ms from core 0; *ulimit -n* = the tool's soft/hard open-file limit: the shell's "
      f"({cfg.get('shell_nofile', '?')})"
      + (f", except the run under `ulimit -n {low}` (soft = hard"
         + (", the soft limit cron jobs and services usually get" if low == "1024" else "") + ")" if low else "")
      + ". One run each. † = fewer than 99% of the pages.\n")
    w("| tool | -j | pages 200 | errors | wall s | pages/s | peak RSS MB | max open fds | ulimit -n | notes |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if not r["wall_s"]:
            w(f"| {r['tool']} | – | – | – | – | – | – | – | – | {r['note']} |")
            continue
        ok, exp, wall = int(r["ok"] or 0), int(r["expected"] or 0), float(r["wall_s"])
        dag = "†" if exp and ok < 0.99 * exp else ""
        errs = r["errors"].replace(":", " ").replace(",", ", ") if r["errors"] != "0" else "0"
        notes = [r["note"]] if r["note"] else []
        if r["rc"] not in ("0", "124", "137") and not (r["tool"] == "wget" and r["rc"] == "8"):
            notes.append(f"exit {r['rc']}")
        if r["nginx_errors"] not in ("", "0"):
            notes.append(f"nginx logged {r['nginx_errors']} errors")
        seen = r.get("nofile_seen") or ""
        if seen and seen != r["nofile"]:
            notes.append(f"limit seen in /proc at the end: {seen}")
        jj = "1 (serial)" if r["tool"] == "wget" else r["conc"]
        rss = int(r["maxrss_kb"] or 0) / 1024
        w(f"| {r['tool']} | {jj} | {ok:,} / {exp:,}{dag} | {errs} | {wall:.2f} | {ok / wall if wall else 0:,.0f}{dag} | "
          f"{f(rss, 1) if rss else '–'} | {f(int(r['max_fds'])) if r['max_fds'] else '–'} | {r['nofile']} | {'; '.join(notes)} |")
    w("")


def shared(o, w):
    """The shared-crawl scenario (shared.py's rows), medians per case."""
    path = os.path.join(o, "shared.jsonl")
    w("## Shared crawl on Redis\n")
    rows = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    if not rows:
        w(f"Not run{skipped(o, 'shared')}.\n")
        return
    by = defaultdict(list)
    for r in rows:
        by[(r["label"], r.get("workers", 1), r.get("redis", True))].append(r)
    m = lambda rs, k: med([r[k] for r in rs if r.get(k) is not None])
    pps = lambda rs: med([r["pages"] / r["wall_s"] for r in rs if r["wall_s"]])
    lat = {(k[1], k[2]): v for k, v in by.items() if k[0] == "latency"}
    if lat:
        w("The latency site (100 ms per response, in its network namespace) under 64 host names, `--per-host 4`, "
          "`--robots ignore`; each worker at `-j 64`, and `--max-pages` for the crawl in proportion to the workers "
          "(`SHARED_PAGES` × 64 × workers: the *pages* column). Workers start together, pinned to core 1; Redis (no persistence) and nginx on core 0. "
          "*End to end* = pages ÷ (first start to last exit); *steady* = pages a second from the third second "
          "after the first record to the fourth before the last (ramp-up and the last pages left out). "
          "*Commands sent* are the workers' own count (`-v`); *served* is Redis' `INFO commandstats`, which also "
          "counts every call inside a script. Medians of the runs.\n")
        w("| store | workers | runs | pages | wall s | pages/s end to end | pages/s steady | × one worker on Redis (end to end / steady) | round trips / page | commands sent / page | commands served / page | Redis CPU µs / page |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        base = lat.get((1, True))
        b_pps, b_st = (pps(base), m(base, "steady_pps")) if base else (None, None)
        for (workers, redis), rs in sorted(lat.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            pages = m(rs, "pages")
            per = lambda k: med([r[k] / r["pages"] for r in rs if r.get(k) is not None and r["pages"]])
            x = "–"
            if redis and b_pps:
                x = f"{pps(rs) / b_pps:.2f}× / " + (f"{m(rs, 'steady_pps') / b_st:.2f}×" if b_st and m(rs, "steady_pps") else "–")
            w(f"| {'Redis' if redis else 'memory'} | {workers} | {len(rs)} | {f(pages)} | {f(m(rs, 'wall_s'), 2)} | "
              f"{f(pps(rs))} | {f(m(rs, 'steady_pps'))} | {x} | "
              f"{f(per('round_trips'), 2) if redis else '–'} | {f(per('commands_sent'), 1) if redis else '–'} | "
              f"{f(per('redis_commands'), 1) if redis else '–'} | "
              f"{f(1e6 * per('redis_cpu_s'), 0) if redis else '–'} |")
        w("")
    cpu = {k[2]: v for k, v in by.items() if k[0] == "cpu"}
    if cpu.get(False) and cpu.get(True):
        mem_rs, red_rs = cpu[False], cpu[True]
        us = lambda rs, k: med([1e6 * r[k] / r["pages"] for r in rs if r.get(k) is not None and r["pages"]])
        t_mem, t_red, srv = us(mem_rs, "cpu_s"), us(red_rs, "cpu_s"), us(red_rs, "redis_cpu_s")
        w("CPU-bound: the small synthetic site, whole, one worker at `-j 64 --per-host 64`, in memory and on "
          "Redis (interleaved runs, medians). Overhead per page = trawl's extra CPU + the Redis server's CPU.\n")
        w("| store | runs | pages | wall s | pages/s | trawl CPU µs / page | Redis CPU µs / page | round trips / page |")
        w("|---|---|---|---|---|---|---|---|")
        for name, rs, t in (("memory", mem_rs, t_mem), ("Redis", red_rs, t_red)):
            rt = med([r["round_trips"] / r["pages"] for r in rs if r.get("round_trips") is not None and r["pages"]])
            w(f"| {name} | {len(rs)} | {f(m(rs, 'pages'))} | {f(m(rs, 'wall_s'), 2)} | {f(pps(rs))} | {f(t, 1)} | "
              f"{f(srv, 1) if rs is red_rs else '–'} | {f(rt, 2) if rs is red_rs else '–'} |")
        if t_mem and t_red and srv is not None:
            w(f"\nRedis overhead: **{t_red - t_mem + srv:,.1f} µs per page** ({t_red - t_mem:+,.1f} in trawl, "
              f"{srv:,.1f} in Redis).")
        w("")
    mem = [r for r in rows if r["label"] == "frontier" and "bytes_by_kind" in r]
    run = [r for r in rows if r["label"] == "frontier" and "used_memory" in r and "bytes_by_kind" not in r]
    if mem:
        r = mem[-1]
        urls = r["urls_seen"]
        pend = r["pending"] + r["leased"]
        kinds = r["bytes_by_kind"]
        empty = run[-1].get("used_memory_empty", 0) if run else 0
        w(f"Redis memory: the 1M-URL frontier site (`--depth 2 --max-pages 101`): {urls:,} URLs in the crawl, "
          f"{pend:,} of them pending. `MEMORY USAGE` of every key of the crawl, by kind, per URL:\n")
        w("| key | bytes | per URL |")
        w("|---|---|---|")
        for k in sorted(kinds, key=kinds.get, reverse=True):
            n = urls if k == "seen" else pend if k in ("items", "pending") else urls
            w(f"| `{k}` | {kinds[k]:,} | {kinds[k] / n:,.1f} |" if k in ("seen", "items", "pending") else
              f"| `{k}` | {kinds[k]:,} | – |")
        total = r["used_memory"] - empty
        w(f"\n`used_memory` {r['used_memory']:,} bytes ({empty:,} empty): **{total / urls:,.0f} bytes per pending "
          f"URL**; a URL that is done keeps only its seen-set entry, **{kinds.get('seen', 0) / urls:,.0f} bytes**.\n")
    targets = []
    if lat.get((1, False)) and lat.get((1, True)):
        r1 = pps(lat[(1, True)]) / pps(lat[(1, False)])
        targets.append(("one worker on Redis ≥ 90% of one in memory", f"{100 * r1:.0f}%", r1 >= 0.9))
    if lat.get((3, True)) and lat.get((1, True)):
        e = pps(lat[(3, True)]) / pps(lat[(1, True)])
        st1, st3 = m(lat[(1, True)], "steady_pps"), m(lat[(3, True)], "steady_pps")
        targets.append(("three workers ≥ 2.7× one worker (end to end)", f"{e:.2f}×", e >= 2.7))
        if st1 and st3:
            targets.append(("three workers ≥ 2.7× one worker (steady)", f"{st3 / st1:.2f}×", st3 / st1 >= 2.7))
    rts = [r["round_trips"] / r["pages"] for r in rows if r.get("round_trips") is not None and r["pages"] > 1000]
    if rts:
        targets.append(("≤ 2 Redis round trips per page", f"at most {max(rts):.2f}", max(rts) <= 2))
    if targets:
        w("| target | measured | met |")
        w("|---|---|---|")
        for t, v, ok in targets:
            w(f"| {t} | {v} | {'yes' if ok else '**no**'} |")
        w("")


def warc(o, w):
    """The WARC scenario: what --warc costs trawl, beside wget --warc-file."""
    rows = read_tsv(os.path.join(o, "warc.tsv"))
    w("## WARC archives\n")
    if not rows:
        w("Not run.\n")
        return
    w("Each site crawled whole at `-j 64` by trawl without an archive, with `--warc FILE.warc.gz` (gzip, one "
      "member per record) and with `--warc FILE.warc`, and by wget (serial) without and with `--warc-file` "
      "(gzip); interleaved runs, medians. *valid*: `warcio check` passed on every trawl archive. "
      "*cost* = 1 − pages/s with the archive ÷ pages/s without, same tool.\n")
    w("| site | tool | archive | runs | pages | wall s | pages/s | CPU ms/page | peak RSS MB | archive MB | valid | cost |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    by = defaultdict(list)
    for r in rows:
        by[(r["site"], r["tool"], r["variant"])].append(r)
    rate = lambda rs: med([int(r["found"]) / float(r["wall_s"]) for r in rs if float(r["wall_s"]) > 0])
    targets = []
    for site in sorted({k[0] for k in by}):
        base = {tool: rate(by.get((site, tool, "none"), [])) for tool in ("trawl", "wget")}
        for (s_, tool, variant), rs in sorted(by.items()):
            if s_ != site:
                continue
            pps_ = rate(rs)
            cpu = med([(float(r["user_s"]) + float(r["sys_s"])) * 1000 / int(r["found"]) for r in rs if int(r["found"])])
            rss = med([int(r["maxrss_kb"]) / 1024 for r in rs])
            mb = med([int(r["archive_bytes"]) / 1e6 for r in rs]) if variant != "none" else None
            valid = ",".join(sorted({r["valid"] for r in rs})) if variant != "none" else "–"
            cost = f"{100 * (1 - pps_ / base[tool]):.0f}%" if variant != "none" and base.get(tool) and pps_ else "–"
            w(f"| {SITE_NAMES.get(site, site)} | {tool} | {variant} | {len(rs)} | {f(med([int(r['found']) for r in rs]))} | "
              f"{f(med([float(r['wall_s']) for r in rs]), 2)} | {f(pps_)} | {f(cpu, 2)} | {f(rss, 1)} | {f(mb, 1)} | {valid} | {cost} |")
        t, g = rate(by.get((site, "trawl", "gz"), [])), rate(by.get((site, "wget", "gz"), []))
        if t and g:
            targets.append((f"trawl with WARC ≥ 3× wget with WARC ({SITE_NAMES.get(site, site)})", f"{t / g:.1f}×", t / g >= 3))
        if t and base["trawl"]:
            c = 1 - t / base["trawl"]
            targets.append((f"WARC (gzip) costs trawl ≤ 15% of its pages/s ({SITE_NAMES.get(site, site)})", f"{100 * c:.0f}%", c <= 0.15))
    w("")
    if targets:
        w("| target | measured | met |")
        w("|---|---|---|")
        for t, v, ok in targets:
            w(f"| {t} | {v} | {'yes' if ok else '**no**'} |")
        w("")


def content(o, w):
    """The content scenario: what --markdown (and --text) cost trawl."""
    rows = read_tsv(os.path.join(o, "content.tsv"))
    w("## Content: --markdown\n")
    if not rows:
        w("Not run.\n")
        return
    w("Each site crawled whole at `-j 64` by trawl without content, with `--markdown`, and with `--markdown "
      "--text`, and by spider_cli with `--return-format markdown` (*spider-md*, at its own concurrency; its "
      "Markdown is the whole page, navigation included); interleaved runs, medians. *with md*: records holding "
      "Markdown. *cost* = 1 − pages/s with the flag ÷ pages/s of trawl without.\n")
    w("| site | variant | runs | pages | with md | wall s | pages/s | CPU ms/page | peak RSS MB | cost |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    by = defaultdict(list)
    for r in rows:
        by[(r["site"], r["variant"])].append(r)
    rate = lambda rs: med([int(r["found"]) / float(r["wall_s"]) for r in rs if float(r["wall_s"]) > 0])
    order = {"none": 0, "markdown": 1, "both": 2, "spider-md": 3}
    for site in sorted({k[0] for k in by}):
        base = rate(by.get((site, "none"), []))
        for (s_, variant), rs in sorted(by.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9))):
            if s_ != site:
                continue
            p_ = rate(rs)
            cpu = med([(float(r["user_s"]) + float(r["sys_s"])) * 1000 / int(r["found"]) for r in rs if int(r["found"])])
            rss = med([int(r["maxrss_kb"]) / 1024 for r in rs])
            cost = f"{100 * (1 - p_ / base):.0f}%" if variant != "none" and base and p_ else "–"
            w(f"| {SITE_NAMES.get(site, site)} | {variant} | {len(rs)} | {f(med([int(r['found']) for r in rs]))} | "
              f"{f(med([int(r['with_markdown']) for r in rs]))} | {f(med([float(r['wall_s']) for r in rs]), 2)} | "
              f"{f(p_)} | {f(cpu, 2)} | {f(rss, 1)} | {cost} |")
    w("")


def read_tsv_noheader(path):
    if not os.path.exists(path):
        return []
    return [(l.rstrip("\n").split("\t") + ["", ""])[:3] for l in open(path) if l.strip()]


def skipped(o, name):
    p = os.path.join(o, f"{name}.skipped")
    if os.path.exists(p):
        return ": " + open(p).read().strip()
    return ""


def pps(r):
    w = float(r["wall_s"])
    return int(r["found"]) / w if w > 0 else None


def cpu_ms(r):
    n = int(r["found"])
    cpu = float(r["user_s"]) + float(r["sys_s"])
    # a run killed at its cap may leave /usr/bin/time without the tool's usage
    return cpu * 1000 / n if n and cpu > 0 else None


if __name__ == "__main__":
    main()
