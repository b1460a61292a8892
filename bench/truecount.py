#!/usr/bin/env python3
"""The true page set of a static site, computed from its files.

    truecount.py DOCROOT OUT.paths [PORT]

Breadth-first from /index.html over <a href> links (same site: relative,
root-relative, or absolute to 127.0.0.1/localhost on PORT), fragments and queries
dropped, a directory meaning its index.html.  A page is an HTML file that
exists and is reachable that way; non-HTML targets are not pages (no peer is
asked to fetch them all alike).  Writes one URL path a line (e.g.
/library/os.html), root first; prints the count.
"""
import os
import re
import sys
from collections import deque
from urllib.parse import unquote, urljoin, urlsplit

HREF = re.compile(rb"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I | re.S)


def norm(path):
    """URL path -> canonical page path (directory -> index.html)."""
    path = unquote(path)
    if path.endswith("/") or path == "":
        path += "index.html"
    return path


def main(root, out, site_port=None):
    root = os.path.realpath(root)
    seen = {"/index.html"}
    order = []
    q = deque(["/index.html"])
    while q:
        p = q.popleft()
        fp = os.path.realpath(root + p)
        if os.path.isdir(fp):
            fp = os.path.join(fp, "index.html")
        if not (fp.startswith(root) and os.path.isfile(fp)):
            continue
        order.append(p)
        with open(fp, "rb") as f:
            body = f.read()
        base = "http://127.0.0.1" + p
        for m in HREF.finditer(body):
            h = (m.group(1) or m.group(2) or m.group(3) or b"").decode("utf-8", "replace").strip()
            h = h.replace("&amp;", "&")
            if not h or h.startswith(("#", "mailto:", "javascript:", "data:")):
                continue
            u = urlsplit(urljoin(base, h))
            if u.scheme not in ("http", "https") or u.hostname not in ("127.0.0.1", "localhost"):
                continue
            if h.startswith("http") and u.port != site_port:
                continue  # absolute link to some other port: another site
            t = norm(u.path)
            if t in seen:
                continue
            seen.add(t)
            if t.endswith((".html", ".htm")) or os.path.isdir(os.path.realpath(root + t.rsplit("/", 1)[0])) and t.endswith("index.html"):
                q.append(t)
    with open(out, "w") as f:
        for p in order:
            f.write(p + "\n")
    print(len(order))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
