#!/usr/bin/env python3
"""Main-content extraction benchmark: trawl --text/--markdown vs trafilatura vs Readability.js.

Scores each extractor on trafilatura's own evaluation set (tests/evaldata.json: per page,
snippets that must be in the main text, "with", and must not be, "without") exactly as
trafilatura's tests/eval_common.py does (copied below from adbar/trafilatura e90b0ef):
whitespace runs become one space on both sides, then plain substring tests; a "with"
snippet found is a TP, missed an FN; a "without" snippet found is an FP, absent a TN; an
extractor that fails or returns nothing on a page gets FN for every "with" and TN for
every "without". Precision, recall, accuracy and F1 are over the summed counts.

    score.py --setup        # venv with trafilatura (requirements.txt) + npm ci, idempotent
    score.py DATA_DIR --trawl target/release/trawl [--extractors trawl,trafilatura,readability]
                     [--out DIR]

DATA_DIR holds evaldata.json and the pages under eval/ and cache/ (trafilatura looks a file
up in cache/ first, then eval/). The pages are third-party web pages kept for research use
by the trafilatura project; they carry their publishers' copyright and are NOT vendored in
this repository. On the project machines they are in /work/shared/content-eval/, extracted
from the trafilatura repository with
    git archive HEAD tests/eval tests/cache tests/evaldata.json | tar -x   (then moved up).

Documents are split deterministically: sha1(file name)[0] < 52 -> held-out (~20%), else
tuning; tune trawl's heuristics on the tuning part only and quote held-out figures.
  trawl:        DATA_DIR is served over HTTP on 127.0.0.1 (ephemeral port, Content-Type
                text/html without charset, so trawl sniffs the encoding from the bytes as
                trafilatura does) and fetched with `trawl fetch --text --markdown`; "text"
                is scored, and "markdown" separately after stripping Markdown syntax lightly
                (images dropped, links -> their text, line markers, table rows; * _ ` # are
                dropped and | made a space in the output and in the snippets alike).
  trafilatura:  extract(raw bytes, fast=False, include_comments=False, include_tables=True,
                include_formatting=False), i.e. "trafilatura (standard)" of evaluate.py,
                run in .venv by this same script (--worker).
  readability:  node readability.mjs (jsdom + @mozilla/readability, parse().textContent).
Scoring uses the standard library only. Per-document results (snippets missed / wrongly
included, per extractor) go to OUT/per_doc.json, raw outputs to OUT/outputs-NAME.jsonl.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PY = os.path.join(HERE, ".venv", "bin", "python")
EXTRACTORS = ["trawl", "trafilatura", "readability"]
HELD_OUT_BELOW = 52  # first sha1 byte below this -> held-out: 52/256 = 20.3%

# ---- trafilatura's scoring (tests/eval_common.py) ------------------------------------------


def norm(text):
    "Whitespace-normalize so ws variants don't cost recall."
    return re.sub(r"\s+", " ", text).strip()


def count_item(item, result):
    "Per-item (tp, fp, fn, tn) via whitespace-normalized substring matching."
    if isinstance(result, str):
        resn = norm(result)
        tp = sum(1 for w in item["with"] if norm(w) in resn)
        fp = sum(1 for w in item["without"] if norm(w) in resn)
    else:
        tp = fp = 0
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


@dataclass
class Matrix:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    docs: int = 0
    empty: int = 0  # output empty (or failed) although every page has "with" text
    errors: int = 0
    seconds: float = 0.0

    def scores(self):
        "precision, recall, accuracy, f1 (each 0.0 when its denominator is empty)."
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.tn + self.fp + self.fn
        acc = (self.tp + self.tn) / total if total else 0.0
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0
        return p, r, acc, f1


# ---- corpus ---------------------------------------------------------------------------------


def resolve(data_dir, filename):
    "As trafilatura: DATA_DIR/cache first, then DATA_DIR/eval; returns the relative path."
    for sub in ("cache", "eval"):
        if os.path.isfile(os.path.join(data_dir, sub, filename)):
            return f"{sub}/{filename}"
    raise SystemExit(f"{filename}: not found under {data_dir}/cache or {data_dir}/eval")


def held_out(filename):
    return hashlib.sha1(filename.encode("utf-8")).digest()[0] < HELD_OUT_BELOW


def load_corpus(data_dir):
    with open(os.path.join(data_dir, "evaldata.json"), encoding="utf-8") as f:
        evaldata = json.load(f)
    docs = []
    for url in sorted(evaldata):
        item = evaldata[url]
        docs.append(dict(item, url=url, rel=resolve(data_dir, item["file"]), held_out=held_out(item["file"])))
    return docs


# ---- extractors: each returns ({rel: (text or None, seconds or None, error or None)}, info) --


def run_jsonl_worker(cmd, data_dir, docs, restarts=20):
    """Feed absolute paths on stdin, read {path, text, ms, error} lines back. A worker that dies
    (Node aborts when jsdom runs out of heap on a huge page) is started again after the page it
    died on, which counts as a miss with the crash as its error, as an exception does."""
    todo, out = [os.path.join(data_dir, d["rel"]) for d in docs], {}
    while todo:
        proc = subprocess.run(cmd, input="".join(p + "\n" for p in todo), capture_output=True,
                              text=True, cwd=HERE)
        done = set()
        for line in proc.stdout.split("\n"):  # not splitlines(): JSON.stringify keeps U+2028 raw
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:  # the line a dying worker was writing
                if proc.returncode == 0:
                    raise
                continue
            done.add(rec["path"])
            out[os.path.relpath(rec["path"], data_dir)] = (rec["text"], rec["ms"] / 1000, rec.get("error"))
        todo = [p for p in todo if p not in done]
        if proc.returncode == 0 or not todo:
            break
        if restarts == 0:
            raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
        restarts -= 1
        crashed, todo = todo[0], todo[1:]
        err = proc.stderr.strip().splitlines()
        print(f"  {cmd[0]} exited {proc.returncode} on {crashed}: {err[0][:200] if err else 'no stderr'}",
              file=sys.stderr)
        out[os.path.relpath(crashed, data_dir)] = (None, None, f"worker exited {proc.returncode}")
    return out


def run_trafilatura(data_dir, docs, args):
    if not os.path.exists(VENV_PY):
        raise RuntimeError(f"no {VENV_PY}: run `{sys.argv[0]} --setup` first")
    ver = subprocess.run([VENV_PY, "-c", "import trafilatura; print(trafilatura.__version__)"],
                         capture_output=True, text=True).stdout.strip()
    res = run_jsonl_worker([VENV_PY, os.path.abspath(__file__), "--worker"], data_dir, docs)
    return {"trafilatura": res}, f"trafilatura {ver}"


def worker():
    "Runs inside .venv: extract each path read from stdin, print JSON lines."
    from functools import partial

    from trafilatura import extract

    # eval_common.RUNNERS["fallback"] = evaluate.py's "trafilatura" = "trafilatura (standard)"
    fn = partial(extract, fast=False, include_comments=False, include_tables=True, include_formatting=False)
    fn(b"<html><body><p>text</p></body></html>")  # warm-up, as evaluate.py does before timing
    for line in sys.stdin:
        path = line.rstrip("\n")
        with open(path, "rb") as f:
            htmlbinary = f.read()  # raw bytes: trafilatura detects the encoding itself
        start, text, error = time.perf_counter(), None, None
        try:
            text = fn(htmlbinary)
        except Exception as exc:  # a crash counts as a full miss, as in eval_common.run_and_count
            error = f"{type(exc).__name__}: {exc}"
        ms = (time.perf_counter() - start) * 1000
        print(json.dumps({"path": path, "text": text, "ms": ms, "error": error}), flush=True)


def run_readability(data_dir, docs, args):
    if not os.path.isdir(os.path.join(HERE, "node_modules", "jsdom")):
        raise RuntimeError(f"no node_modules: run `{sys.argv[0]} --setup` first")
    vers = []
    for pkg in ("@mozilla/readability", "jsdom"):
        with open(os.path.join(HERE, "node_modules", pkg, "package.json"), encoding="utf-8") as f:
            vers.append(f"{pkg} {json.load(f)['version']}")
    # jsdom needs more than Node's default heap on some of CleanEval's long pages.
    cmd = ["node", "--max-old-space-size=8192", os.path.join(HERE, "readability.mjs")]
    res = run_jsonl_worker(cmd, data_dir, docs)
    return {"readability": res}, ", ".join(vers)


class HtmlHandler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path):
        return "text/html"  # no charset: the fetcher has to sniff it from the bytes

    def log_message(self, *a):
        pass


def unmark(text):
    "Drop the characters Markdown uses inline (* _ ` #, | -> space); applied to output AND snippets."
    return re.sub(r"[*_`#]", "", text).replace("|", " ")


def strip_markdown(md):
    "Light Markdown-to-text: images, link syntax, escapes, line markers, table rows, then unmark()."
    target = r"\((?:[^()]|\([^()]*\))*\)"  # (url) or (url "title"), one level of parentheses inside
    md = re.sub(r"!\[[^\]]*\]" + target, "", md)  # images: alt text is not page text
    md = re.sub(r"\[([^\]]*)\]" + target, r"\1", md)  # [t](u) -> t
    md = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>])", r"\1", md)  # backslash escapes
    lines = []
    for line in md.splitlines():
        if re.fullmatch(r"[\s|:\-]*\|[\s|:\-]*", line):
            continue  # table separator row
        line = re.sub(r"^\s*(?:(?:#{1,6}|>|[*+-])(?:\s+|$))+", "", line)  # heading, quote, bullet
        lines.append(line)
    return unmark("\n".join(lines))


def run_trawl(data_dir, docs, args):
    if not args.trawl:
        raise RuntimeError("no --trawl PATH given")
    ver = subprocess.run([args.trawl, "--version"], capture_output=True, text=True).stdout.strip()
    handler = lambda *a, **kw: HtmlHandler(*a, directory=data_dir, **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seeds, out = os.path.join(tmp, "seeds.txt"), os.path.join(tmp, "out.jsonl")
            with open(seeds, "w", encoding="utf-8") as f:
                f.writelines(base + urllib.parse.quote(d["rel"]) + "\n" for d in docs)
            cmd = [args.trawl, "fetch", "--seeds", seeds, "--text", "--markdown", "--robots", "ignore",
                   "--progress", "never", "-q", "-o", out]
            cpu0, wall0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall, cpu1 = time.perf_counter() - wall0, resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                err = proc.stderr.strip()
                raise RuntimeError(f"trawl exited {proc.returncode} (does it have --text/--markdown yet?): "
                                   f"{err.splitlines()[0] if err else 'no stderr'}\n  command: {' '.join(cmd)}\n  "
                                   + err[:600].replace("\n", "\n  "))
            with open(out, encoding="utf-8") as f:
                records = [json.loads(line) for line in f if line.strip()]
    finally:
        server.shutdown()
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    if records and not any("text" in r or "markdown" in r for r in records):
        raise RuntimeError("trawl ran but no record has a 'text' or 'markdown' field")
    per_doc = cpu / max(len(docs), 1)  # trawl fetches in parallel: only a whole-run figure
    text, md = {}, {}
    for r in records:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(r["url"]).path).lstrip("/")
        err = r.get("error") and json.dumps(r["error"])
        text[rel] = (r.get("text"), per_doc, err)
        md[rel] = (strip_markdown(r["markdown"]) if r.get("markdown") else r.get("markdown"), per_doc, err)
    missing = len({d["rel"] for d in docs} - set(text))
    info = f"{ver}; {len(records)} records, {missing} pages without a record; " \
           f"wall {wall:.1f} s for {len(docs)} pages ({wall / len(docs) * 1000:.1f} ms/page, parallel, incl. HTTP)"
    return {"trawl": text, "trawl (markdown)": md}, info


RUNNERS = {"trawl": run_trawl, "trafilatura": run_trafilatura, "readability": run_readability}

# ---- report ---------------------------------------------------------------------------------


def score_all(docs, results):
    "Fill matrices per extractor and split; return (matrices, per-document records)."
    matrices = {(name, split): Matrix() for name in results for split in ("held-out", "all")}
    per_doc = []
    for d in docs:
        rec = {"file": d["file"], "path": d["rel"], "url": d["url"], "held_out": d["held_out"], "extractors": {}}
        for name, res in results.items():
            text, secs, err = res.get(d["rel"], (None, None, "no output for this page"))
            # snippets of "* markiert" or "#diewiesel" must still match Markdown stripped of * and #
            f = unmark if name.endswith("(markdown)") else (lambda s: s)
            item = {"with": [f(w) for w in d["with"]], "without": [f(w) for w in d["without"]]}
            counts = count_item(item, text)
            resn = norm(text) if isinstance(text, str) else ""
            rec["extractors"][name] = {
                "tp": counts[0], "fp": counts[1], "fn": counts[2], "tn": counts[3],
                "missed": [w for w, x in zip(d["with"], item["with"]) if norm(x) not in resn],
                "included": [w for w, x in zip(d["without"], item["without"]) if norm(x) in resn],
                "chars": len(resn), "ms": None if secs is None else round(secs * 1000, 2), "error": err,
            }
            for split in ("held-out", "all") if d["held_out"] else ("all",):
                m = matrices[(name, split)]
                for field, n in zip(("tp", "fp", "fn", "tn"), counts):
                    setattr(m, field, getattr(m, field) + n)
                m.docs += 1
                m.empty += not resn
                m.errors += bool(err)
                m.seconds += secs or 0.0
        per_doc.append(rec)
    return matrices, per_doc


def table(matrices, names):
    rows = ["| extractor | split | docs | precision | recall | accuracy | F1 | empty | errors | ms/doc |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        for split in ("held-out", "all"):
            m = matrices[(name, split)]
            p, r, a, f = m.scores()
            ms = m.seconds / m.docs * 1000 if m.docs else 0.0
            rows.append(f"| {name} | {split} | {m.docs} | {p:.3f} | {r:.3f} | {a:.3f} | **{f:.3f}** "
                        f"| {m.empty} | {m.errors} | {ms:.1f} |")
    return "\n".join(rows)


def write_results(out_dir, report, name, obj):
    "OUT/summary.md (the report's lines) and OUT/NAME (obj as JSON)."
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def write_outputs(out_dir, results):
    "OUT/outputs-NAME.jsonl: each extractor's text (or error) per page."
    for name, res in results.items():
        fname = "outputs-" + re.sub(r"\W+", "-", name).strip("-") + ".jsonl"
        with open(os.path.join(out_dir, fname), "w", encoding="utf-8") as f:
            for rel, (text, _, err) in sorted(res.items()):
                f.write(json.dumps({"path": rel, "text": text, "error": err}, ensure_ascii=False) + "\n")


def setup():
    "Create .venv and install requirements.txt; npm ci when node_modules is missing. Idempotent."
    if not os.path.exists(VENV_PY):
        subprocess.run([sys.executable, "-m", "venv", os.path.join(HERE, ".venv")], check=True)
    subprocess.run([VENV_PY, "-m", "pip", "install", "-q", "-r", os.path.join(HERE, "requirements.txt")], check=True)
    if not os.path.exists(os.path.join(HERE, "node_modules", ".package-lock.json")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    print("setup done: .venv (trafilatura) and node_modules (readability) are ready")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", nargs="?", help="directory with evaldata.json, eval/ and cache/")
    ap.add_argument("--trawl", help="path to the trawl binary")
    ap.add_argument("--extractors", default=",".join(EXTRACTORS), help="comma-separated subset of %(default)s")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="directory for the JSON results")
    ap.add_argument("--limit", type=int, help="score only the first N documents (quick checks)")
    ap.add_argument("--setup", action="store_true", help="create .venv and node_modules, then exit")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker()
    if args.setup:
        return setup()
    if not args.data_dir:
        ap.error("DATA_DIR is required (e.g. /work/shared/content-eval)")
    names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    if unknown := set(names) - set(EXTRACTORS):
        ap.error(f"unknown extractor(s): {', '.join(sorted(unknown))}")

    data_dir = os.path.abspath(args.data_dir)
    docs = load_corpus(data_dir)[: args.limit]
    n_held = sum(d["held_out"] for d in docs)
    print(f"{len(docs)} documents: {len(docs) - n_held} tuning, {n_held} held-out; "
          f"{sum(len(d['with']) for d in docs)} 'with' and {sum(len(d['without']) for d in docs)} 'without' snippets")

    results, infos, failed = {}, {}, {}
    for name in names:
        print(f"running {name} ...", flush=True)
        start = time.perf_counter()
        try:
            res, info = RUNNERS[name](data_dir, docs, args)
        except (RuntimeError, OSError) as exc:
            failed[name] = str(exc)
            print(f"  {name} FAILED, not scored: {exc}", file=sys.stderr)
            continue
        results.update(res)
        infos[name] = info
        print(f"  {info}; {time.perf_counter() - start:.1f} s", flush=True)
    if not results:
        raise SystemExit("no extractor produced results")

    matrices, per_doc = score_all(docs, results)
    report = ["## Main-content extraction (trafilatura evaluation set)", "",
              *[f"- {n}: {i}" for n, i in infos.items()],
              *[f"- {n}: FAILED, not scored ({e.splitlines()[0]})" for n, e in failed.items()], "",
              table(matrices, list(results)), "",
              "empty: pages whose output is empty or failed (every page has main text). "
              "ms/doc: extraction time per page, sequential; for trawl, its process CPU time "
              "(user+sys, all threads, fetching included) over all pages."]
    print("\n" + "\n".join(report))

    write_results(args.out, report, "per_doc.json", per_doc)
    write_outputs(args.out, results)
    print(f"\nper-document results: {args.out}/per_doc.json, outputs-*.jsonl, summary.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
