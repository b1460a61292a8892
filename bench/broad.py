#!/usr/bin/env python3
"""Helpers of the broad-crawl scenario (many hosts, few pages each).

    broad.py site DIR                   the small site every host serves (+ robots.txt)
    broad.py hosts N PORT DIR           DIR/seeds.txt (http://hI.test:PORT/), DIR/hosts.toml
                                        (trawl config: resolve = ["hI.test:127.0.0.1", ...])
    broad.py count KIND FILE N          pages answered 200 and errors, as one JSON object
    broad.py sample PIDFILE MS OUT      max open fds of a process tree, every MS ms, to OUT

The site: `/` (index.html) links to four pages, each linking back to `/` and to
one sibling; 5 HTML pages per host, all reachable at depth 1.  robots.txt is
served (200) and disallows only /private/, which nothing links to: a crawler
that obeys robots.txt fetches it once per host and is refused nothing, so a
`robots` error means robots.txt itself could not be fetched ("disallow all for
now", RFC 9309).

count KINDs: trawl (JSON Lines records: status, error.kind), wget (its
--no-verbose log), scrapy (peers/scrapy_broad.py's lines: "200 URL" / "ERR KIND URL").
A page counts once per (host, path), only if it is one of the 5 pages of a host
hI.test with I < N.
"""
import json
import os
import re
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

PAGES = ["index.html", "a.html", "b.html", "c.html", "d.html"]
ROBOTS = "User-agent: *\nDisallow: /private/\n"


def page(title, links, n):
    body = "".join(f"<p>Paragraph {i} of {title}: a few words so the page is not empty, "
                   f"and a little text to extract.</p>\n" for i in range(n))
    nav = "".join(f'<li><a href="{h}">{t}</a></li>\n' for h, t in links)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n"
            f"<body><h1>{title}</h1>\n<ul>\n{nav}</ul>\n{body}</body></html>\n")


def site(d):
    os.makedirs(d, exist_ok=True)
    subs = PAGES[1:]
    files = {"index.html": page("Home", [(p, p[0].upper() + " page") for p in subs], 8),
             "robots.txt": ROBOTS}
    for i, p in enumerate(subs):
        sib = subs[(i + 1) % len(subs)]
        files[p] = page(p[0].upper() + " page", [("/", "Home"), (sib, "next")], 4)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def hosts(n, port, d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seeds.txt"), "w") as f:
        f.writelines(f"http://h{i}.test:{port}/\n" for i in range(n))
    with open(os.path.join(d, "hosts.toml"), "w") as f:
        f.write("# trawl config of the broad-crawl scenario: every hI.test is 127.0.0.1\n")
        f.write("resolve = [\n")
        f.writelines(f'  "h{i}.test:127.0.0.1",\n' for i in range(n))
        f.write("]\n")


HOST_RE = re.compile(r"^h(\d+)\.test$")


def key(url, n):
    """(host index, page) of a URL if it is one of the site's pages, else None."""
    u = urlsplit(url.strip())
    m = HOST_RE.match(u.hostname or "")
    if not m or int(m.group(1)) >= n:
        return None
    p = u.path.lstrip("/") or "index.html"
    return (int(m.group(1)), p) if p in PAGES else None


def count(kind, path, n):
    ok, errors, records = set(), Counter(), 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if kind == "trawl":
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                records += 1
                url = r.get("final_url") or r.get("url") or ""
                if (r.get("error") or {}).get("kind"):
                    errors[r["error"]["kind"]] += 1
                elif r.get("status") == 200 and key(url, n):
                    ok.add(key(url, n))
            elif kind == "wget":
                # 2026-12-03 13:00:00 URL:http://h1.test:8087/a.html [912/912] -> "..." [1]
                m = re.search(r" URL:\s*(\S+) \[", line)
                if m:
                    records += 1
                    if key(m.group(1), n):
                        ok.add(key(m.group(1), n))
                    continue
                m = re.search(r"ERROR (\d+)", line)
                if m:
                    records += 1
                    errors[f"http_{m.group(1)}"] += 1
                elif re.search(r"failed: |unable to resolve|Connection closed|Read error", line):
                    records += 1
                    reason = line.split("failed: ")[-1].strip().rstrip(".") if "failed: " in line else line.strip()[-60:]
                    errors[reason[:40]] += 1
            elif kind == "scrapy":
                parts = line.split()
                if len(parts) < 2:
                    continue
                records += 1
                if parts[0] == "200" and key(parts[-1], n):
                    ok.add(key(parts[-1], n))
                elif parts[0] == "ERR":
                    errors[parts[1]] += 1
                else:
                    errors[f"http_{parts[0]}"] += 1
            else:
                sys.exit(f"unknown kind {kind}")
    print(json.dumps({"ok": len(ok), "expected": n * len(PAGES), "records": records,
                      "errors": dict(errors.most_common())}))


def sample(pidfile, ms, out):
    """Every MS ms: open fds summed over ROOT's descendants (the wrappers time and
    timeout excluded, the tool and anything it forks included); keep the max.
    With SAMPLE_MEMORY=1, also the most memory the tree held (RSS and PSS).
    Ends when ROOT is gone.  Also records the tool's RLIMIT_NOFILE as last seen.

    Python takes a while to start on a loaded machine, so the harness starts this
    first, waits for OUT.ready, then starts the tool and writes its pid (ROOT) to
    PIDFILE; sampling begins within a millisecond of that."""
    iv = int(ms) / 1000
    open(out + ".ready", "w").close()
    deadline = time.monotonic() + 30
    root = None
    while root is None and time.monotonic() < deadline:
        try:
            root = int(open(pidfile).read().strip())
        except (OSError, ValueError):
            time.sleep(0.001)
    if root is None:
        sys.exit("sample: no pid in " + pidfile)
    best, best_t, nsamp, procs_max, limit = 0, 0.0, 0, 0, None
    # Memory too (summed VmRSS and PSS over the tree) when SAMPLE_MEMORY=1:
    # a tool with helper processes, such as trawl with its browser.
    memory = os.environ.get("SAMPLE_MEMORY") == "1"
    rss_max = pss_max = 0
    wrappers = {"time", "timeout", "taskset", "bash"}   # bash: the `ulimit -n` wrapper, until it execs
    t0 = time.monotonic()

    def children():
        kids = {}
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            r = s.rfind(")")
            comm = s[s.find("(") + 1:r]
            ppid = int(s[r + 2:].split()[1])
            kids.setdefault(ppid, []).append((int(p), comm))
        return kids

    while os.path.exists(f"/proc/{root}"):
        kids = children()
        tree, stack, tool = [], [(root, "time")], None
        while stack:
            pid, comm = stack.pop()
            if comm not in wrappers:
                tree.append(pid)
                tool = tool or pid
            stack.extend(kids.get(pid, []))
        total = rss = pss = 0
        for pid in tree:
            try:
                total += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                pass
            if memory:
                rss += status_kb(pid, "VmRSS:")
                pss += rollup_kb(pid, "Pss:")
        if tool:
            try:
                with open(f"/proc/{tool}/limits") as f:
                    for l in f:
                        if l.startswith("Max open files"):
                            limit = "/".join(l.split()[3:5])
            except OSError:
                pass
        nsamp += 1
        procs_max = max(procs_max, len(tree))
        if total > best:
            best, best_t = total, time.monotonic() - t0
        rss_max, pss_max = max(rss_max, rss), max(pss_max, pss)
        time.sleep(iv)
    with open(out, "w") as f:
        json.dump({"max_fds": best, "at_s": round(best_t, 2), "samples": nsamp,
                   "max_procs": procs_max, "nofile_seen": limit,
                   "max_rss_kb": rss_max, "max_pss_kb": pss_max}, f)


def status_kb(pid, key):
    """A `kB` line of /proc/PID/status (0 when gone)."""
    return kb_line(f"/proc/{pid}/status", key)


def rollup_kb(pid, key):
    """A `kB` line of /proc/PID/smaps_rollup: PSS shares each page among the
    processes that map it, so a browser's processes are not counted twice
    for the memory they share (0 when gone or unreadable)."""
    return kb_line(f"/proc/{pid}/smaps_rollup", key)


def kb_line(path, key):
    try:
        with open(path) as f:
            for l in f:
                if l.startswith(key):
                    return int(l.split()[1])
    except (OSError, ValueError):
        pass
    return 0

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "site":
        site(args[0])
    elif cmd == "hosts":
        hosts(int(args[0]), int(args[1]), args[2])
    elif cmd == "count":
        count(args[0], args[1], int(args[2]))
    elif cmd == "sample":
        sample(*args)
    else:
        sys.exit(__doc__)
