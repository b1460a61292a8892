#!/usr/bin/env python3
"""Seeded synthetic site generator for trawl's benchmark.

    gen_site.py site   OUTDIR N [--seed S]      N pages, 10-20 KB each, 20-50 links each
    gen_site.py frontier OUTDIR LISTS PER_LIST    root -> LISTS pages -> LISTS*PER_LIST distinct URLs

`site`: page 0 is /index.html; page i lives at /p/<i//1000>/<i>.html.  Every
page i links to its tree children i*8+1 .. i*8+8 (so every page is reachable
from the root, depth ~log8 N), and the rest of its 20-50 links go to random
pages, written in the forms real sites use: root-relative, document-relative
(../), absolute, some with #fragments.  Markup: doctype, head with meta/css,
nav, headings, paragraphs, lists, a table, footer.  Same seed, same bytes.
Writes OUTDIR/.complete (with N) when done, so a rerun can skip it.

`frontier`: the memory scenario's site.  /index.html links to LISTS list
pages, each linking to PER_LIST distinct URLs that do not exist (they are
never fetched: the crawl is stopped by --max-pages first).
"""
import os
import random
import sys

WORDS = ("crawler frontier request response header latency throughput politeness robots "
         "sitemap anchor document index archive section module function parameter value "
         "network socket buffer stream queue worker thread memory storage record field "
         "the of and to in is that for it as with be on not this by are from or have an "
         "they which one you were all we can her has there been if more when will would who").split()

B = 8  # tree branching factor


def path_of(i):
    return "/index.html" if i == 0 else f"/p/{i // 1000:03d}/{i}.html"


def href_for(src, dst, rng, base):
    """A link from page src to page dst, in a randomly chosen realistic form."""
    p = path_of(dst)
    r = rng.random()
    frag = f"#s{rng.randint(1, 5)}" if rng.random() < 0.15 else ""
    if dst == 0 and rng.random() < 0.5:
        p = "/"
    if r < 0.45 or (r < 0.55 and not base):
        return p + frag
    if r < 0.55:
        return base + p + frag
    # document-relative
    if src == 0:
        return p.lstrip("/") + frag
    if dst == 0:
        return "../../" + frag if p == "/" else "../../index.html" + frag
    if src // 1000 == dst // 1000:
        return f"{dst}.html" + frag
    return f"../{dst // 1000:03d}/{dst}.html" + frag


def sentence(rng, n):
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    return " ".join(w) + "."


def page(i, n, rng, base):
    nlinks = rng.randint(20, 50)
    children = [c for c in range(i * B + 1, i * B + B + 1) if c < n]
    targets = children + [rng.randrange(n) for _ in range(max(0, nlinks - len(children)))]
    rng.shuffle(targets)
    links = [(href_for(i, t, rng, base), f"Page {t} " + rng.choice(WORDS)) for t in targets]
    target_size = rng.randint(10_000, 20_000)
    out = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f"<title>Page {i} — {rng.choice(WORDS)} {rng.choice(WORDS)}</title>\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<link rel=\"stylesheet\" href=\"/static/site.css\">\n</head>\n<body>\n",
        "<header class=\"top\"><nav><ul>",
    ]
    # the first few links form the nav bar, the rest are spread through the text
    nav, rest = links[:6], links[6:]
    out += [f"<li><a href=\"{h}\">{t}</a></li>" for h, t in nav]
    out.append("</ul></nav></header>\n<main>\n<article>\n")
    out.append(f"<h1 id=\"s1\">Page {i}</h1>\n")
    size = sum(map(len, out))
    sec = 1
    while rest or size < target_size:
        chunk = []
        r = rng.random()
        if r < 0.08:
            sec += 1
            chunk.append(f"<h2 id=\"s{sec}\">{sentence(rng, 4)}</h2>\n")
        elif r < 0.16:
            chunk.append("<ul class=\"items\">" + "".join(
                f"<li>{sentence(rng, rng.randint(3, 9))}</li>" for _ in range(rng.randint(2, 6))) + "</ul>\n")
        elif r < 0.20:
            chunk.append("<table><tr><th>key</th><th>value</th></tr>" + "".join(
                f"<tr><td>{rng.choice(WORDS)}</td><td>{rng.randint(0, 99999)}</td></tr>"
                for _ in range(rng.randint(2, 6))) + "</table>\n")
        else:
            parts = []
            for _ in range(rng.randint(2, 6)):
                s = sentence(rng, rng.randint(6, 18))
                if rest and (rng.random() < 0.5 or size > target_size):
                    h, t = rest.pop()
                    s += f" See <a href=\"{h}\" class=\"ref\">{t}</a>."
                parts.append(s)
            chunk.append("<p>" + " ".join(parts) + "</p>\n")
        c = "".join(chunk)
        out.append(c)
        size += len(c)
        if size > target_size + 4000 and not rest:
            break
    out.append("</article>\n</main>\n<footer><p>Generated page. <a href=\"/index.html\">Home</a></p></footer>\n</body>\n</html>\n")
    return "".join(out)


def gen_site(outdir, n, seed):
    # absolute links use GEN_BASE (scheme://host:port of where the site is served); none if empty
    base = os.environ.get("GEN_BASE", "")
    done = os.path.join(outdir, ".complete")
    if os.path.exists(done) and open(done).read().strip() == f"{n} {seed} {base}":
        return
    rng = random.Random(seed)
    os.makedirs(os.path.join(outdir, "static"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "p", "000"), exist_ok=True)
    with open(os.path.join(outdir, "static", "site.css"), "w") as f:
        f.write("body{font-family:sans-serif}\n")
    for i in range(n):
        p = outdir + path_of(i)
        if i % 1000 == 0 and i:
            os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(page(i, n, rng, base))
    with open(done, "w") as f:
        f.write(f"{n} {seed} {base}\n")


def gen_frontier(outdir, lists, per_list):
    os.makedirs(os.path.join(outdir, "l"), exist_ok=True)
    with open(os.path.join(outdir, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><head><title>frontier</title></head><body>\n")
        for j in range(lists):
            f.write(f"<a href=\"/l/{j}.html\">list {j}</a>\n")
        f.write("</body></html>\n")
    for j in range(lists):
        with open(os.path.join(outdir, "l", f"{j}.html"), "w") as f:
            f.write(f"<!DOCTYPE html><html><head><title>list {j}</title></head><body>\n")
            for k in range(per_list):
                f.write(f"<a href=\"/u/{j}/{k}/item-{j * per_list + k}.html\">{k}</a>\n")
            f.write("</body></html>\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = 42
    if "--seed" in args:
        k = args.index("--seed")
        seed = int(args[k + 1])
        del args[k:k + 2]
    if args[0] == "site":
        gen_site(args[1], int(args[2]), seed)
    elif args[0] == "frontier":
        gen_frontier(args[1], int(args[2]), int(args[3]))
    else:
        sys.exit(__doc__)
