// Mozilla Readability.js runner for score.py.
// Usage: node readability.mjs [FILE...]   (no arguments: one path a line on stdin)
// Prints one JSON line per file: {"path", "text", "ms", "error"}. jsdom gets the raw
// bytes and sniffs the encoding itself (BOM, <meta charset>, else windows-1252), as a
// browser would; "text" is new Readability(doc).parse().textContent, "" when parse()
// returns null. "ms" covers parsing with jsdom plus Readability, not reading the file.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { JSDOM, VirtualConsole } from "jsdom";
import { Readability } from "@mozilla/readability";

const quiet = new VirtualConsole(); // swallow CSS parse errors and page console output

function extract(path) {
  const bytes = readFileSync(path);
  const start = performance.now();
  let text = "";
  let error = null;
  let dom = null;
  try {
    dom = new JSDOM(bytes, { virtualConsole: quiet, contentType: "text/html" });
    const article = new Readability(dom.window.document).parse();
    text = article && article.textContent ? article.textContent : "";
  } catch (err) {
    error = `${err.name}: ${err.message}`;
  } finally {
    if (dom) dom.window.close();
  }
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ path, text, ms, error }) + "\n");
}

const args = process.argv.slice(2);
if (args.length) {
  args.forEach(extract);
} else {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim()) extract(line.trim());
  }
}
