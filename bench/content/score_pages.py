#!/usr/bin/env python3
"""More checks of main-content extraction: sets of pages with the article each should give.

A set is a directory with one directory per page: source.html, and the article expected of
it, as HTML (expected.html) or as text (expected.txt). Three sets are used. Two are not
ground truth made by hand, and each leans towards the extractor it was made with, but they
are real pages unlike trafilatura's, so an extraction rule that holds on them all is more
likely to hold on pages none has. The third is made by hand: the sources of the
web-content-extraction benchmark (CleanEval, CleanPortalEval, Dragnet, L3S-GN1), laid out by
prepare_sets.py, with page directories named SET__NAME so that each set is reported on its
own; score it with --held-out, which also reports the fifth of the pages held out from
tuning (by a hash of the directory's name, as score.py splits) and the rest. None is
vendored: on the project machines they are in /work/shared.

  The benchmark's sources (/work/shared/cleaning-pages): see prepare_sets.py; scored with
    --min-words 20 --held-out (39 references have under 20 words, 9 of them none: a
    page without an article, which scores 0 for every extractor, or a line of one).
  Readability's test pages (/work/shared/readability-pages): mozilla/readability's
    test/test-pages, source.html and the article its maintainers accept (it keeps an
    article's infobox and its list of references, and drops its headline). From
    mozilla/readability with
        git archive HEAD test/test-pages | tar -x   (then moved up).
  newspaper's test pages (/work/shared/newspaper-pages): the 145 news pages of 2014 whose
    full text newspaper (codelucas/newspaper, now AndyTheFactory/newspaper4k at 79553f6)
    keeps for its tests; its own output, reviewed for its tests, so some are a failed
    extraction (a line or two): score them with --min-words 50. From newspaper4k with
        git archive 79553f6 tests/data/html tests/data/text | tar -x
        for f in tests/data/html/*.html; do n=$(basename $f .html); t=tests/data/text/$n.txt
          [ -f $t ] && mkdir $n && mv $f $n/source.html && mv $t $n/expected.txt; done

    score_pages.py DATA_DIR --trawl target/release/trawl [--extractors trawl,trafilatura]
                            [--min-words N] [--held-out] [--out DIR]

Scoring is bag-of-words, as the web-content-extraction benchmarks score: the expected text
and each extractor's text are cut into words (letters and digits; each Han or kana
character a word of its own), lower case; per page, precision = shared words / words
output, recall = shared words / words expected, F1 their harmonic mean; the table gives the
mean over pages and the number of pages under F1 0.5 (a wrong block picked, or none). Pages
whose expected text has fewer than --min-words words are not scored. trawl is fetched over
HTTP (`fetch --text`), trafilatura and Readability.js run as in score.py (set them up with
`score.py --setup`). On Readability's pages Readability is scored against its own expected
output, as a check of the scoring: it should come out near 1.
"""

import argparse
import collections
import hashlib
import html.parser
import os
import re
import sys
import time

import score

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(f"[{CJK}]|[^\\W_{CJK}]+")


def words(text):
    return collections.Counter(WORD.findall(text.lower()))


class TextOf(html.parser.HTMLParser):
    "All text of a document, tags dropped."

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of(path):
    "The text of an HTML file, or of a text file as it is."
    with open(path, encoding="utf-8") as f:
        if path.endswith(".txt"):
            return f.read()
        p = TextOf()
        p.feed(f.read())
    return " ".join(p.parts)


def expected(data_dir, page):
    "The page's expected.html or expected.txt, if it has one."
    for name in ("expected.html", "expected.txt"):
        path = os.path.join(data_dir, page, name)
        if os.path.isfile(path):
            return path
    return None


def prf(out, gold):
    "Precision, recall, F1 of bags of words (0 when either side is empty)."
    if not out or not gold:
        return 0.0, 0.0, 0.0
    shared = sum((out & gold).values())
    p, r = shared / sum(out.values()), shared / sum(gold.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def held_out(page):
    "The same split as score.py's, by the page directory's name."
    return hashlib.sha1(page.encode("utf-8")).digest()[0] < score.HELD_OUT_BELOW


def groups(pages, split):
    """(label, pages) to report: all; with a split, held-out and tuning; with sets (page
    directories named SET__NAME, as prepare_sets.py writes them), each set, whole and held out."""
    out = [("all", pages)]
    if split:
        out += [("held-out", [p for p in pages if held_out(p)]),
                ("tuning", [p for p in pages if not held_out(p)])]
    sets = sorted({p.split("__", 1)[0] for p in pages if "__" in p})
    for name in sets:
        mine = [p for p in pages if p.startswith(name + "__")]
        out.append((name, mine))
        if split:
            out.append((f"{name} held-out", [p for p in mine if held_out(p)]))
    return out


def table(per_page, names, groups):
    "Mean precision, recall, F1 and pages under F1 0.5, per group and extractor."
    rows = ["| pages | extractor | n | precision | recall | F1 | under 0.5 |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for label, pages in groups:
        for name in names:
            scores = [per_page[p][name] for p in pages]
            if not scores:
                continue
            mean = [sum(s[k] for s in scores) / len(scores) for k in ("precision", "recall", "f1")]
            low = sum(s["f1"] < 0.5 for s in scores)
            rows.append(f"| {label} | {name} | {len(scores)} | {mean[0]:.3f} | {mean[1]:.3f} "
                        f"| **{mean[2]:.3f}** | {low} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", help="one directory per page: source.html, expected.html or .txt")
    ap.add_argument("--trawl", help="path to the trawl binary")
    ap.add_argument("--extractors", default="trawl,trafilatura,readability")
    ap.add_argument("--min-words", type=int, default=0,
                    help="skip pages whose expected text has fewer words")
    ap.add_argument("--held-out", action="store_true",
                    help="also report the held-out part (a fifth of the pages, by name) and the rest")
    ap.add_argument("--out", default=os.path.join(score.HERE, "results-pages"))
    args = ap.parse_args()
    data_dir = os.path.abspath(args.data_dir)
    names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    if unknown := set(names) - set(score.EXTRACTORS):
        ap.error(f"unknown extractor(s): {', '.join(sorted(unknown))}")
    pages = sorted(d for d in os.listdir(data_dir)
                   if expected(data_dir, d)
                   and os.path.isfile(os.path.join(data_dir, d, "source.html")))
    if not pages:
        raise SystemExit(f"{data_dir}: no directory with source.html and expected.html or .txt")
    gold = {p: words(text_of(expected(data_dir, p))) for p in pages}
    short = [p for p in pages if sum(gold[p].values()) < args.min_words]
    pages = [p for p in pages if p not in short]
    docs = [{"rel": f"{p}/source.html", "page": p} for p in pages]
    print(f"{len(pages)} pages" + (f" ({len(short)} with fewer than {args.min_words} words "
                                   "expected left out)" if short else ""))

    results, infos = {}, {}
    for name in names:
        print(f"running {name} ...", flush=True)
        start = time.perf_counter()
        try:
            res, info = score.RUNNERS[name](data_dir, docs, args)
        except (RuntimeError, OSError) as exc:
            print(f"  {name} FAILED, not scored: {exc}", file=sys.stderr)
            continue
        res.pop("trawl (markdown)", None)
        results.update(res)
        infos[name] = info
        print(f"  {info}; {time.perf_counter() - start:.1f} s", flush=True)
    if not results:
        raise SystemExit("no extractor produced results")

    per_page = {p: {} for p in pages}
    for name, res in results.items():
        for d in docs:
            text = res.get(d["rel"], (None,))[0] or ""
            s = prf(words(text), gold[d["page"]])
            per_page[d["page"]][name] = {"precision": round(s[0], 4), "recall": round(s[1], 4),
                                         "f1": round(s[2], 4), "chars": len(text)}
    if args.held_out:
        for p in pages:
            per_page[p]["held_out"] = held_out(p)
    rows = table(per_page, list(results), groups(pages, args.held_out))
    report = [f"## Main-content extraction ({os.path.basename(data_dir)})", "",
              *[f"- {n}: {i}" for n, i in infos.items()], "", *rows, "",
              "Means over pages of bag-of-words precision, recall and F1 against the expected text."]
    print("\n" + "\n".join(report))
    score.write_results(args.out, report, "per_page.json", per_page)
    score.write_outputs(args.out, results)
    print(f"\nper-page results: {args.out}/per_page.json, outputs-*.jsonl, summary.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
