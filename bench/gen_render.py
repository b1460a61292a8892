#!/usr/bin/env python3
"""The mixed site of the render scenario: static pages with a few shells
among them, as a site that moved some sections to a front-end framework.

    gen_render.py DIR

DIR/index.html links to 10 sections; each section links to 48 static
pages (prose, a little script that changes nothing a crawler reads, as
analytics does) and to one shell: `<div id="root"></div>` and a script
that fetches /api/K.json and builds the shell's links from it, to two
pages reachable only that way. 521 pages in all (DIR.paths lists them):
a crawler that does not run the shells' scripts finds 501, and misses 20.
"""
import json
import os
import sys

SECTIONS = 10
PER_SECTION = 48
HIDDEN = 2

PROSE = (
    "The harbour was quiet that morning, and the boats lay still on the water, "
    "waiting for the tide to turn before the fishermen went out again. "
)

APP_JS = """
document.addEventListener('DOMContentLoaded', async () => {
  const k = document.body.dataset.section;
  const root = document.getElementById('root');
  const data = await (await fetch('/api/' + k + '.json')).json();
  document.title = data.title;
  root.innerHTML = '<h1>' + data.title + '</h1><p>' + data.text + '</p>' +
    data.links.map(l => '<a href="' + l + '">' + l + '</a>').join(' ');
});
"""

ANALYTICS_JS = "window.dataLayer = window.dataLayer || []; dataLayer.push({event: 'view'});\n"


def page(title, body, script="/js/analytics.js", attrs=""):
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>"
        f'<script src="{script}" defer></script></head><body{attrs}>{body}</body></html>\n'
    )


def write(root, rel, text, paths):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if paths is not None and rel.endswith(".html"):
        paths.append(rel)


def main(root):
    paths = []
    write(root, "/js/app.js", APP_JS, None)
    write(root, "/js/analytics.js", ANALYTICS_JS, None)
    sections = "".join(f'<li><a href="/s{k}/index.html">Section {k}</a></li>' for k in range(SECTIONS))
    write(root, "/index.html", page("Mixed site", f"<h1>Mixed site</h1><ul>{sections}</ul>"), paths)
    for k in range(SECTIONS):
        links = "".join(
            f'<li><a href="/s{k}/p{i}.html">Page {k}.{i}</a></li>' for i in range(PER_SECTION)
        )
        body = f'<h1>Section {k}</h1><p><a href="/s{k}/app.html">The app</a></p><ul>{links}</ul>'
        write(root, f"/s{k}/index.html", page(f"Section {k}", body), paths)
        for i in range(PER_SECTION):
            body = (
                f"<h1>Page {k}.{i}</h1>" + f"<p>{PROSE * 8}</p>" * 3
                + f'<p><a href="/s{k}/index.html">Section {k}</a> '
                + f'<a href="/s{k}/p{(i + 1) % PER_SECTION}.html">Next</a></p>'
            )
            write(root, f"/s{k}/p{i}.html", page(f"Page {k}.{i}", body), paths)
        shell = page(f"App {k}", '<div id="root"></div>', "/js/app.js", f' data-section="{k}"')
        write(root, f"/s{k}/app.html", shell, paths)
        hidden = [f"/s{k}/only-from-app-{j}.html" for j in range(HIDDEN)]
        api = {"title": f"App {k}", "text": PROSE, "links": hidden}
        write(root, f"/api/{k}.json", json.dumps(api), None)
        for j, rel in enumerate(hidden):
            body = f"<h1>Reached from app {k}, link {j}</h1><p>{PROSE * 4}</p>"
            write(root, rel, page(f"Hidden {k}.{j}", body), paths)
    with open(root.rstrip("/") + ".paths", "w") as f:
        f.write("\n".join(sorted(paths)) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
