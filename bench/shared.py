#!/usr/bin/env python3
"""The shared-crawl (Redis) scenario's runner and probes.

    shared.py run OUT LABEL WORKERS PORT DIR -- TRAWL ARGS...
        Starts WORKERS trawl processes at once (each `ARGS -o DIR/wK.jsonl -v`,
        pinned to core 1; with PORT a Redis on 127.0.0.1:PORT, flushed first,
        and `--redis redis://127.0.0.1:PORT --crawl-id bench`), waits for all
        of them and appends one JSON line to OUT: pages (records with status
        200), records, wall (first start to last exit), steady-state pages/s
        (records a second in the middle of the run), the workers' CPU and
        peak RSS (wait4), and for Redis the commands it served (INFO
        commandstats, less the probes' own), the round trips and commands the
        workers counted (`-v`: "redis: N round trips, M commands"), the
        server's CPU (/proc/PID/stat) and its used_memory.  PORT 0 = no Redis.
    shared.py memory OUT LABEL PORT
        Appends one JSON line: the crawl's URLs (pending, leased, done from
        the shards' keys) and what its keys take (MEMORY USAGE of every key,
        by kind: seen, items, pending, other), against used_memory.

Only 127.0.0.1.  Every wait is bounded (a worker is killed after TIMEOUT s).
"""
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

TIMEOUT = int(os.environ.get("SHARED_TMO", "300"))
CRAWL_ID = "bench"


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


def info(port, section):
    d = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            d[k] = v.strip()
    return d


def commands(port):
    """Calls served so far, all commands but INFO/CONFIG (the probes')."""
    n = 0
    for k, v in info(port, "commandstats").items():
        name = k.removeprefix("cmdstat_")
        if name in ("info", "config", "flushall", "ping"):
            continue
        m = re.search(r"calls=(\d+)", v)
        n += int(m.group(1)) if m else 0
    return n


def server_cpu(port):
    """The server's user+sys CPU seconds so far (/proc/PID/stat)."""
    pid = int(info(port, "server")["process_id"])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steady(per_second):
    """Pages/s in the middle of a run: the records fetched from the third
    second after the first record to the fourth before the last (fetched_at
    has whole seconds), so the ramp-up and the last pages are left out."""
    if not per_second:
        return None
    secs = sorted(datetime.fromisoformat(k).timestamp() for k in per_second)
    lo, hi = secs[0] + 2, secs[-1] - 3
    if hi - lo < 2:
        return None
    n = sum(v for k, v in per_second.items() if lo <= datetime.fromisoformat(k).timestamp() <= hi)
    return round(n / (hi - lo + 1), 1)


def run(out, label, workers, port, d, cmd):
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        os.remove(os.path.join(d, name))
    if port:
        cli(port, "FLUSHALL")
        mem0 = int(info(port, "memory")["used_memory"])
        cmd = cmd + ["--redis", f"redis://127.0.0.1:{port}", "--crawl-id", CRAWL_ID]
        c0, cpu0 = commands(port), server_cpu(port)
    procs = []
    t0 = time.monotonic()
    for w in range(workers):
        err = open(os.path.join(d, f"w{w}.err"), "w")
        p = subprocess.Popen(["taskset", "-c", "1", *cmd, "-o", os.path.join(d, f"w{w}.jsonl"), "-v"],
                             stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        procs.append((p, err))
    usage, rcs = [], []
    deadline = t0 + TIMEOUT
    for p, err in procs:
        # wait4, not Popen.wait: it also gives the child's CPU and peak RSS
        status = None
        while status is None and time.monotonic() < deadline:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                status = st
            else:
                time.sleep(0.01)
        if status is None:
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        rcs.append(p.returncode)
        usage.append(ru)
        err.close()
    wall = time.monotonic() - t0
    pages = records = 0
    trips = sent = 0
    per_second = Counter()
    for w in range(workers):
        with open(os.path.join(d, f"w{w}.jsonl"), encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                records += 1
                pages += r.get("status") == 200
                if r.get("fetched_at"):
                    per_second[r["fetched_at"][:19]] += 1
        with open(os.path.join(d, f"w{w}.err"), encoding="utf-8", errors="replace") as f:
            for m in re.finditer(r"redis: (\d+) round trips, (\d+) commands", f.read()):
                trips += int(m.group(1))
                sent += int(m.group(2))
    row = {"label": label, "workers": workers, "redis": bool(port), "pages": pages, "records": records,
           "wall_s": round(wall, 3), "steady_pps": steady(per_second), "rcs": rcs,
           "cpu_s": round(sum(u.ru_utime + u.ru_stime for u in usage), 3),
           "maxrss_kb": max((u.ru_maxrss for u in usage), default=0)}
    if port:
        row.update(redis_commands=commands(port) - c0, round_trips=trips, commands_sent=sent,
                   redis_cpu_s=round(server_cpu(port) - cpu0, 3),
                   used_memory=int(info(port, "memory")["used_memory"]), used_memory_empty=mem0)
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), file=sys.stderr)


def memory(out, label, port):
    kinds = {}
    counts = {"pending": 0, "leased": 0, "done": 0}
    cursor = "0"
    keys = []
    while True:
        reply = cli(port, "SCAN", cursor, "MATCH", f"trawl:{{{CRAWL_ID}*", "COUNT", "1000").split("\n")
        cursor, batch = reply[0].strip(), [k for k in reply[1:] if k.strip()]
        keys += batch
        if cursor == "0":
            break
    for k in keys:
        kind = k.rsplit(":", 1)[1]
        size = int(cli(port, "MEMORY", "USAGE", k, "SAMPLES", "0").strip() or 0)
        kinds[kind] = kinds.get(kind, 0) + size
        if kind == "pending":
            counts["pending"] += int(cli(port, "LLEN", k).strip())
        elif kind == "leased":
            counts["leased"] += int(cli(port, "ZCARD", k).strip())
        elif kind == "seen":
            counts["done"] += int(cli(port, "SCARD", k).strip())
    seen = counts.pop("done")
    row = {"label": label, "keys": len(keys), "urls_seen": seen, **counts, "bytes_by_kind": kinds,
           "used_memory": int(info(port, "memory")["used_memory"])}
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), file=sys.stderr)


def main(argv):
    if len(argv) >= 6 and argv[0] == "run" and "--" in argv:
        i = argv.index("--")
        out, label, workers, port, d = argv[1:6]
        run(out, label, int(workers), int(port), d, argv[i + 1:])
    elif len(argv) == 4 and argv[0] == "memory":
        memory(argv[1], argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
