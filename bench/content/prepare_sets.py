#!/usr/bin/env python3
"""Lay out the labelled sets of the web-content-extraction benchmark for score_pages.py.

The combined benchmark (chatnoir-eu/web-content-extraction-benchmark) keeps its data in Git
LFS; j-szulc/html-cleaning-dataset-merged keeps most of the same sources in plain files, each
as SOURCE/input/NAME.html and SOURCE/GoldStandard/NAME.txt. Make a copy with

    git clone https://github.com/j-szulc/html-cleaning-dataset-merged SETS

and this script writes OUT/SET__NAME/source.html and expected.txt, the layout score_pages.py
scores (`score_pages.py OUT --held-out`). Nothing is fetched.

Each source's reference is read as the benchmark's own readers read it
(src/extraction_benchmark/dataset_readers.py):

  cleaneval        CleanEval's final set (681 pages with a reference) and its development
  cleaneval-dev    set (58): the reference's text with its <p>/<h>/<l> marks and URL line
                   dropped; the page without the <text ...> line CleanEval wraps it in.
  cleanportaleval  CleanPortalEval (71 pages of four news portals), the same format.
  dragnet          Dragnet's 1,381 pages and their corrected text, up to the line that
                   starts the page's comments ("!@#$%^&*() COMMENTS": the other extractors
                   are run without comments, and so is trawl).
  l3s-gn1          L3S-GN1, 621 news articles of 2008 (the copy in geodrome/page-signal):
                   the text of the elements annotated as headline, full text or supplemental
                   text (classes x-nc-sel1, -sel2, -sel3), the benchmark's choice.

The merged copy's `readability` folder is Mozilla Readability's test pages, which
score_pages.py scores from Readability's own repository: it is left out here.

Pages come in many charsets, some declared wrongly. Each page is decoded as the benchmark
decodes it before handing it to an extractor (strict UTF-8 first, then the charset CleanEval
recorded or the page declares, else windows-1252) and written as UTF-8 with a byte-order mark,
which every extractor honours over a <meta charset>: all three read the same characters.
"""

import argparse
import codecs
import html.parser
import os
import re
import sys

SOURCES = {  # folder in the merged copy -> set name
    "cleaneval-final": "cleaneval",
    "cleaneval-dev": "cleaneval-dev",
    "CleanPortalEval-master": "cleanportaleval",
    "dragnet_data": "dragnet",
    "page-signal-master": "l3s-gn1",
}
WRAPPER = re.compile(rb'^\s*<text [^>]*>\s*|\s*</text>\s*$')
DECLARED = re.compile(rb'''<meta[^>]+charset\s*=\s*["']?\s*([-\w:.]+)''', re.I)
COMMENTS = re.compile(r"^[ \t!@#$%^&*()]{6,16}COMMENTS\s*$", re.M)  # some lost a character
L3S_CONTENT = re.compile(r"\bx-nc-sel[123]\b")
ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
           "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030", "x-sjis": "shift_jis"}


def codec(name):
    "A Python codec for a charset label, or None."
    if not name:
        return None
    name = name.strip().lower().removeprefix("unknown-")
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data, recorded=None):
    "Strict UTF-8, then the recorded or declared charset, else windows-1252 (never fails)."
    declared = DECLARED.search(data[:8192])
    for enc in ("utf-8", codec(recorded), codec(declared and declared.group(1).decode("ascii"))):
        if enc:
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                continue
    return data.decode("cp1252", errors="replace")


class Text(html.parser.HTMLParser):
    """Text of a document; with `inside`, only text within elements whose class matches it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self, inside=None):
        super().__init__(convert_charrefs=True)
        self.inside, self.stack, self.parts = inside, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        cls = dict(attrs).get("class") or ""
        self.stack.append((tag, bool(self.inside and self.inside.search(cls))))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):  # close up to the matching open tag
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in ("script", "style"):
            return
        if self.inside is None or any(sel for _, sel in self.stack):
            self.parts.append(data)

    def text(self):
        return " ".join(self.parts)


def text_of(markup, inside=None):
    p = Text(inside)
    p.feed(markup)
    p.close()
    return p.text()


def reference(folder, raw):
    "The expected text of one page of the merged copy's FOLDER."
    if folder == "page-signal-master":
        return text_of(decode(raw), L3S_CONTENT)
    if folder == "dragnet_data":
        return COMMENTS.split(decode(raw), maxsplit=1)[0]
    text = re.sub(r"^\s*URL:[^\n]*", "", decode(raw))  # CleanEval's format
    return text_of(text)


def prepare(sets_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for folder, name in SOURCES.items():
        gold_dir, input_dir = os.path.join(sets_dir, folder, "GoldStandard"), os.path.join(sets_dir, folder, "input")
        if not os.path.isdir(gold_dir) or not os.path.isdir(input_dir):
            raise SystemExit(f"{sets_dir}: no {folder}/GoldStandard and {folder}/input (is it a copy of "
                             "html-cleaning-dataset-merged?)")
        for gold in sorted(os.listdir(gold_dir)):
            page, ext = os.path.splitext(gold)
            source = os.path.join(input_dir, page + ".html")
            if ext != ".txt" or not os.path.isfile(source):
                continue
            with open(source, "rb") as f:
                data = f.read()
            recorded = re.match(rb'\s*<text [^>]*encoding="([^"]*)"', data[:1024])
            raw = WRAPPER.sub(b"", data)
            page_dir = os.path.join(out_dir, f"{name}__{page}")
            os.makedirs(page_dir, exist_ok=True)
            with open(os.path.join(page_dir, "source.html"), "wb") as f:
                f.write(codecs.BOM_UTF8 + decode(raw, recorded and recorded.group(1).decode("ascii")).encode("utf-8"))
            with open(os.path.join(gold_dir, gold), "rb") as f:
                expected = reference(folder, f.read())
            with open(os.path.join(page_dir, "expected.txt"), "w", encoding="utf-8") as f:
                f.write(expected)
            counts[name] = counts.get(name, 0) + 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets_dir", help="a copy of html-cleaning-dataset-merged")
    ap.add_argument("out_dir", help="where to write SET__NAME/source.html and expected.txt")
    args = ap.parse_args()
    counts = prepare(args.sets_dir, args.out_dir)
    for name, n in counts.items():
        print(f"{name}: {n} pages")
    print(f"{sum(counts.values())} pages in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
