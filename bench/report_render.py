"""The render scenario's section of bench/RESULTS.md (imported by report.py):
what --render auto and always cost trawl, in pages/s and in the memory of
trawl and its browser together, and how many pages auto rendered."""
import os
from collections import defaultdict


def render(o, w, read_tsv, med, f, site_names):
    rows = read_tsv(os.path.join(o, "render.tsv"))
    w("## Rendering: --render\n")
    skipped = os.path.join(o, "render.skipped")
    if not rows:
        w(("Skipped: " + open(skipped).read().strip() if os.path.exists(skipped) else "Not run.") + "\n")
        return
    w("Each site crawled whole at `-j 64` with `--render never`, `auto` and `always` (Debian's Chromium, "
      "4 pages at once), interleaved runs, medians. *mixed*: 501 static pages and 10 shells whose scripts "
      "link 20 pages more (bench/gen_render.py), so a crawl that does not render finds 501 of 521. "
      "*peak memory*: trawl and its browser's processes together, sampled every 100 ms (PSS: shared "
      "pages divided among the processes that share them; RSS summed counts them in each). "
      "*largest process*: the peak RSS of the largest one (/usr/bin/time). "
      "*CPU ms/page*: what /usr/bin/time counts, trawl's and the browser's. "
      "*cost* = 1 − pages/s ÷ pages/s with `never`.\n")
    w("| site | render | runs | pages found | rendered | wall s | pages/s | CPU ms/page | peak PSS MB | "
      "peak RSS sum MB | largest process MB | cost |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    by = defaultdict(list)
    for r in rows:
        by[(r["site"], r["variant"])].append(r)
    rate = lambda rs: med([int(r["found"]) / float(r["wall_s"]) for r in rs if float(r["wall_s"]) > 0])
    order = {"never": 0, "auto": 1, "always": 2}
    for site in sorted({k[0] for k in by}, key=lambda s: (s != "python", s)):
        base = rate(by.get((site, "never"), []))
        for variant in sorted({k[1] for k in by if k[0] == site}, key=lambda v: order.get(v, 9)):
            rs = by[(site, variant)]
            p_ = rate(rs)
            cpu = med([(float(r["user_s"]) + float(r["sys_s"])) * 1000 / int(r["found"])
                       for r in rs if int(r["found"])])
            true = rs[0]["true"]
            cost = f"{100 * (1 - p_ / base):.0f}%" if variant != "never" and base and p_ else "–"
            # A run shorter than one sample has no tree figure.
            tree = lambda key: med([int(r[key]) / 1024 for r in rs if int(r[key])])
            w(f"| {site_names.get(site, site)} | {variant} | {len(rs)} | "
              f"{f(med([int(r['found']) for r in rs]))}/{true} | {f(med([int(r['rendered']) for r in rs]))} | "
              f"{f(med([float(r['wall_s']) for r in rs]), 2)} | {f(p_, 1 if p_ and p_ < 100 else 0)} | "
              f"{f(cpu, 2)} | {f(tree('tree_pss_kb'), 1)} | {f(tree('tree_rss_kb'), 1)} | "
              f"{f(med([int(r['maxrss_kb']) / 1024 for r in rs]), 1)} | {cost} |")
    w("")
