#!/usr/bin/env python3
"""How many of the site's true pages a tool fetched (HTTP 200), from its own output.

    count_found.py KIND OUTPUT TRUE.paths

KIND: trawl (JSON Lines records), lines (one URL a line: Scrapy, Crawlee,
spider_cli), wget (its --no-verbose log), httrack (hts-cache/new.txt).
A URL counts once, after dropping fragment and query and mapping a directory
to its index.html, and only if it is one of the true pages; so a tool that
fetches extra URLs (CSS, images, duplicates) gains nothing, and one that
misses pages shows it.  Prints the count.
"""
import json
import re
import sys
from urllib.parse import unquote, urlsplit


def norm(url):
    p = unquote(urlsplit(url.strip()).path)
    if p == "" or p.endswith("/"):
        p += "index.html"
    return p


def urls(kind, path):
    with open(path, encoding="utf-8", errors="replace") as f:
        if kind == "trawl":
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("status") == 200:
                    yield r.get("final_url") or r["url"]
        elif kind == "lines":
            for line in f:
                m = re.search(r"https?://\S+", line)
                if m:
                    yield m.group(0)
        elif kind == "wget":
            # 2026-11-22 05:00:00 URL:http://127.0.0.1:8081/x.html [123/123] -> "dir/x.html" [1]
            for line in f:
                m = re.search(r" URL:\s*(\S+) \[", line)
                if m:
                    yield m.group(1)
        elif kind == "httrack":
            # new.txt: date size/remote flags statuscode status ('OK') MIME Etag URL localfile (from URL)
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) > 8 and cols[3].strip() == "200":
                    u = cols[7]
                    yield u if "://" in u else "http://" + u
        else:
            sys.exit(f"unknown kind {kind}")


def main(kind, path, truth):
    true = set(l.strip() for l in open(truth) if l.strip())
    try:
        found = {norm(u) for u in urls(kind, path)} & true
    except FileNotFoundError:
        found = set()
    print(len(found))


if __name__ == "__main__":
    main(*sys.argv[1:4])
