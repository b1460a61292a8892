//! The differential test of the two extraction paths: the byte scanner
//! (`scan`) against html5ever's DOM (`dom`, the reference), on pages made
//! by a seeded generator — the fixture site's pages and hand-written
//! hostile snippets, spliced together and damaged by cutting, duplicating,
//! truncating and inserting the markup the scanner has to get right
//! (stray `<`, quotes, NUL, comments, raw-text and foreign elements). Both
//! must give the same title and the same links. A disagreement names the
//! seed and the page, so it can be replayed and kept as a regression case
//! (`tests::token_scan_and_dom_agree` in `extract`).

use std::path::Path;

use url::Url;

use super::Comparison;

/// Cases of one `cargo test` run (about a second); `TRAWL_DIFF_CASES`
/// asks for more.
const CASES: u64 = 40_000;

/// Pieces of pages: the states of the tokenizer and the tree builder that
/// decide what is a title and what is a link.
const SNIPPETS: &[&str] = &[
    r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Snippet &amp; page</title><base href="/base/"></head><body>"#,
    r#"<header><nav><ul><li><a href="/">Home</a><li><a href="docs/">Docs</a><li><a href="../up.html" rel="nofollow">Up</a></ul></nav></header>"#,
    r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><title>Search icon</title><path d="M0 0h24v24H0z"/></svg>"#,
    r##"<a href="/icon-link"><svg width="16" height="16"><use xlink:href="#i-home"></use></svg> Home</a>"##,
    r#"<svg><a href="/svg-a"><text>in svg</text></a><foreignObject><p>html <a href="/fo">inside</a></p></foreignObject></svg>"#,
    r#"<math><mi>x</mi><mo>=</mo><mtext>text <a href="/mtext">m</a></mtext><annotation-xml encoding="text/html"><a href="/ann">a</a></annotation-xml></math>"#,
    r#"<script>var s = "<a href='/in-script'>"; if (a < b && c > d) {}</script>"#,
    r#"<script><!-- document.write("<script>x</script>") --></script><a href="/after-escaped-script">a</a>"#,
    r#"<style>a[href="/in-style"]::after { content: "</a>" }</style>"#,
    r#"<textarea name="t"><a href="/in-textarea">&lt;x&gt;</a></textarea>"#,
    r#"<noscript><a href="/in-noscript">js off</a></noscript>"#,
    r#"<!-- a comment <a href="/in-comment"> --><!----><!--->x<a href="/after-comments">c</a>"#,
    r#"<![CDATA[ <a href="/cdata-in-html"> ]]><a href="/after-cdata">c</a>"#,
    r#"<?xml version="1.0"?><!ELEMENT x><a href='/after-bogus'>b</a>"#,
    r#"<table><tr><td><a href="/cell">cell</a></td></tr><a href="/fostered">f</a></table>"#,
    r#"<select name="lang"><option value="en">English<option><a href="/in-option">fr</a></select>"#,
    r#"<template><a href="/in-template">t</a><title>Template title</title></template>"#,
    r#"<form action="/search"><input name="q" value="a > b"><button>Go</button></form>"#,
    r#"<p>One <b>bold <a href="/nested-1">one<a href="/nested-2">two</b> three</a></p>"#,
    r#"<div title='quote " inside' data-x="apos ' inside"><a href=unquoted/path?a=1&amp;b=2>u</a></div>"#,
    r#"<a href="/entities?x=&lt;&gt;&quot;&#39;&#x26;&amp&copy">e</a><a href="/spaces in path">s</a>"#,
    r##"<a href="  /trimmed  ">t</a><a href="http://other.test/x">o</a><a href="mailto:a@b.test">m</a><a href="#frag">f</a>"##,
    r#"<meta name="robots" content="noindex, nofollow">"#,
    r#"<area href="/area" alt="a"><map><area href="/mapped"></map><link rel="next" href="/not-a-link">"#,
    r#"<iframe src="/frame"><a href="/in-iframe">i</a></iframe><noembed><a href="/in-noembed"></a></noembed><xmp><a href="/in-xmp"></xmp>"#,
    r#"<h1>Heading</h1><p>Text with < and > and a lone & in it.</p><p>Unclosed <i>italic"#,
    r#"<pre>
<a href="/pre">code</a></pre><listing><a href="/listing"></a></listing>"#,
    r#"<title>Second title</title><TITLE>Upper</TITLE>"#,
    r#"<frameset><frame src="/f"></frameset><noframes><a href="/in-noframes"></a></noframes>"#,
    r#"<object data="/o"><param name="x" value="y"><a href="/in-object">o</a></object>"#,
    r#"<footer><p>&copy; 2026 <a href="https://a.test/legal" rel="nofollow noopener">Legal</a></p></footer></body></html>"#,
];

/// What is inserted into a page: the tokens whose handling differs between
/// a careless scanner and the tokenizer.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "\"",
    "'",
    "=",
    "&",
    "&amp;",
    "&#0;",
    "\0",
    " ",
    "\n",
    "-->",
    "--!>",
    "<!--",
    "<!---->",
    "<!",
    "<?",
    "<![CDATA[",
    "]]>",
    "<!doctype html>",
    "<a href=/ins>",
    "<a href='/q'",
    "<a href=\"/dq\" rel=nofollow>",
    "</a>",
    "<area href=/ins-area>",
    "<base href=/b/>",
    "<base href='other/'>",
    "<meta name=robots content=nofollow>",
    "<title>",
    "</title>",
    "<title>Inserted</title>",
    "<svg>",
    "</svg>",
    "<svg/>",
    "<math>",
    "</math>",
    "<svg><title>",
    "<foreignObject>",
    "</foreignObject>",
    "<desc>",
    "<mi>",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<br>",
    "</br>",
    "<span>",
    "<table>",
    "</table>",
    "<tr>",
    "<td>",
    "<select>",
    "</select>",
    "<option>",
    "<template>",
    "</template>",
    "<script>",
    "</script>",
    "<script><!--",
    "<style>",
    "</style>",
    "<textarea>",
    "</textarea>",
    "<plaintext>",
    "<xmp>",
    "<iframe>",
    "<noembed>",
    "<noframes>",
    "<noscript>",
    "</noscript>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "<html>",
    "</html>",
    "<frameset>",
    "<font color=red>",
    "<b>",
    "</b>",
    "<i>",
    "<em>",
    "<h1>",
    "<ul>",
    "<li>",
    "<img src=x>",
    "<input value='>'>",
    "<button>",
    "<form>",
    "<object>",
    "<image>",
    "é",
    "\u{FFFD}",
    "\r\n",
    "\t",
    "/",
    "-",
    "!",
    "[",
];

/// One page of the generator, from `seed`.
fn page(seed: u64, corpus: &[String]) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut html = match rng.u8(0..4) {
        0 => corpus[rng.usize(0..corpus.len())].clone(),
        _ => {
            let n = rng.usize(1..6);
            (0..n)
                .map(|_| SNIPPETS[rng.usize(0..SNIPPETS.len())])
                .collect()
        }
    };
    for _ in 0..rng.usize(0..7) {
        mutate(&mut rng, &mut html);
    }
    html
}

/// A char boundary at or before `i`.
fn boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn range(rng: &mut fastrand::Rng, s: &str) -> (usize, usize) {
    let a = boundary(s, rng.usize(0..=s.len()));
    let b = boundary(s, a + rng.usize(0..48));
    (a, b)
}

fn mutate(rng: &mut fastrand::Rng, html: &mut String) {
    match rng.u8(0..10) {
        0..=4 => {
            let at = boundary(html, rng.usize(0..=html.len()));
            html.insert_str(at, TOKENS[rng.usize(0..TOKENS.len())]);
        }
        5 => {
            let (a, b) = range(rng, html);
            html.replace_range(a..b, "");
        }
        6 => {
            let (a, b) = range(rng, html);
            let copy = html[a..b].to_string();
            let at = boundary(html, rng.usize(0..=html.len()));
            html.insert_str(at, &copy);
        }
        7 => {
            let at = boundary(html, rng.usize(0..=html.len()));
            html.truncate(at);
        }
        8 => {
            let (a, b) = range(rng, html);
            let up = html[a..b].to_ascii_uppercase();
            html.replace_range(a..b, &up);
        }
        _ => {
            // one byte of markup turned into another
            const BYTES: &[u8] = b"<>\"'=/ -!?&";
            let positions: Vec<usize> = html
                .bytes()
                .enumerate()
                .filter(|(_, b)| BYTES.contains(b))
                .map(|(i, _)| i)
                .collect();
            if let Some(&at) = positions.get(rng.usize(0..positions.len().max(1))) {
                let to = BYTES[rng.usize(0..BYTES.len())] as char;
                html.replace_range(at..at + 1, to.encode_utf8(&mut [0; 4]));
            }
        }
    }
}

/// The HTML pages under `dir`, read as text.
fn pages_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "html" || e == "htm") {
                let bytes = std::fs::read(&p).unwrap();
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// The fixture site's HTML pages.
fn corpus() -> Vec<String> {
    let out = pages_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/site"));
    assert!(out.len() >= 30, "fixture pages: {}", out.len());
    out
}

/// The same comparison on real pages: every HTML file under
/// `TRAWL_DIFF_DIR` (a mirror, a web archive's pages), as they are.
/// `cargo test --lib -- --ignored pages_in_a_directory --nocapture`.
#[test]
#[ignore = "needs TRAWL_DIFF_DIR"]
fn scanner_and_dom_agree_on_the_pages_in_a_directory() {
    let dir = std::env::var("TRAWL_DIFF_DIR").expect("TRAWL_DIFF_DIR: a directory of HTML pages");
    let pages = pages_under(Path::new(&dir));
    let page_url = Url::parse("http://a.test/dir/page.html").unwrap();
    let mut to_dom = std::collections::BTreeMap::<&str, usize>::new();
    let mut failures = Vec::new();
    let mut no_dom = 0;
    for (n, html) in pages.iter().enumerate() {
        match super::compare_paths(html, &page_url) {
            Ok(Comparison::Same) => {}
            Ok(Comparison::LeftToDom(what)) => *to_dom.entry(what).or_default() += 1,
            Ok(Comparison::NoDom(_)) => no_dom += 1,
            Err(why) => failures.push(format!("page {n}: {why}")),
        }
    }
    eprintln!(
        "{} pages: {} disagree, {no_dom} past the DOM's limits; left to the DOM, {}: {to_dom:#?}",
        pages.len(),
        failures.len(),
        to_dom.values().sum::<usize>()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn scanner_and_dom_agree_on_generated_pages() {
    let cases = std::env::var("TRAWL_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let corpus = corpus();
    let page_url = Url::parse("http://a.test/dir/page.html").unwrap();
    let mut failures = Vec::new();
    let mut to_dom = std::collections::BTreeMap::<&str, usize>::new();
    for seed in 0..cases {
        let html = page(seed, &corpus);
        match super::compare_paths(&html, &page_url) {
            Ok(Comparison::Same) => {}
            Ok(Comparison::LeftToDom(what)) => *to_dom.entry(what).or_default() += 1,
            Ok(Comparison::NoDom(e)) => failures.push(format!("seed {seed}: no DOM: {e:?}")),
            Err(why) => failures.push(format!("seed {seed}: {why}\n  page: {html:?}")),
        }
    }
    eprintln!(
        "{cases} pages: {} disagree; left to the DOM, {}: {to_dom:#?}",
        failures.len(),
        to_dom.values().sum::<usize>()
    );
    // Most pages must be the scanner's to judge, or the test proves little.
    let read = cases - to_dom.values().sum::<usize>() as u64;
    assert!(
        read * 4 >= cases * 3,
        "the scanner read {read} of {cases} pages"
    );
    if let Ok(path) = std::env::var("TRAWL_DIFF_OUT") {
        std::fs::write(&path, failures.join("\n")).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} pages disagree; the first:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// A disagreement the differential test or `cargo fuzz` found, kept: the
/// page, whether the scanner reads it (or leaves it to the DOM), and what
/// both must answer (a link followed by " (nofollow)" when it is).
struct Regression {
    name: &'static str,
    html: &'static str,
    scanner_reads: bool,
    title: Option<&'static str>,
    links: &'static [&'static str],
}

const REGRESSIONS: &[Regression] = &[
    Regression {
        name: "a </title at the end of the page is text",
        html: "<title>Se<b>cond</TITLE",
        scanner_reads: true,
        title: Some("Se<b>cond</TITLE"),
        links: &[],
    },
    Regression {
        name: "a script's escaped states: <!-- <script> hides </script>",
        html: r#"<script><!-- document.write("<script>x</script>") --></script><a href="/after">a</a><script><!-- </script><a href="/after-escaped">b</a>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/after", "http://a.test/after-escaped"],
    },
    Regression {
        name: "a script's double-escaped part does not end at </script>",
        html: r#"<script><!--<script></script><a href="/in-script">--></script><a href="/out">o</a>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/out"],
    },
    Regression {
        name: "a title in a MathML text integration point is HTML",
        html: "<math><mi>x</mi><mo>=<title>Inserted</title></mo></math>",
        scanner_reads: false,
        title: Some("Inserted"),
        links: &[],
    },
    Regression {
        name: "HTML in an SVG foreignObject",
        html: r#"<svg><foreignObject><p>html <a href="/fo">inside</a></p></foreignObject></svg>"#,
        scanner_reads: false,
        title: None,
        links: &["http://a.test/fo"],
    },
    Regression {
        name: "an end tag closing no open SVG element leaves the SVG open",
        html: "<svg><g></title4><title>Icon</title></g></svg>",
        scanner_reads: false,
        title: None,
        links: &[],
    },
    Regression {
        name: "a noscript in the body hides its links",
        html: r#"<body><p>x</p><noscript><a href="/in-noscript"><img src="/i"></a></noscript><a href="/after">a</a>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/after"],
    },
    Regression {
        name: "a noscript in the head ends at its first body element",
        html: r#"<head><noscript><a href="/out-of-head">x</a></noscript></head>"#,
        scanner_reads: false,
        title: None,
        links: &["http://a.test/out-of-head"],
    },
    Regression {
        name: "a noscript in the head keeps its meta",
        html: r#"<head><noscript><meta name="robots" content="nofollow"><style>x</style></noscript></head><a href="/a">a</a>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/a"],
    },
    Regression {
        name: "a </p> ends the noscript inside that p",
        html: r#"<p>Serve<noscript>d</p><p><a href="/">Home</a></p>"#,
        scanner_reads: false,
        title: None,
        links: &["http://a.test/"],
    },
    Regression {
        name: "an element left open in a noscript makes </noscript> nothing",
        html: r#"<body><noscript><div></noscript><a href="/hidden">h</a>"#,
        scanner_reads: false,
        title: None,
        links: &[],
    },
    Regression {
        name: "a <table> in a noscript in a table ends both (cargo fuzz)",
        html: "<table><noscript><table><title>o",
        scanner_reads: false,
        title: Some("o"),
        links: &[],
    },
    Regression {
        name: "a noscript inside another is an element of its markup",
        html: r#"<h1>x<noscript>y</h1><p>z<noscript>w</p><p><a href="./">Back</a></p>"#,
        scanner_reads: false,
        title: None,
        links: &["http://a.test/dir/"],
    },
    Regression {
        name: "misnested tags in a noscript: the adoption agency keeps the div open",
        html: r#"<body><noscript><a href="/in">j<div>s</a></noscript><a href="/after">o</a>"#,
        scanner_reads: false,
        title: None,
        links: &[],
    },
    Regression {
        name: "a <meta> after an end tag that may end the noscript",
        html: r#"<body><footer><noscript></footer><meta name="robots" content="nofollow"><a href="/x">x</a>"#,
        scanner_reads: false,
        title: None,
        links: &["http://a.test/x (nofollow)"],
    },
    Regression {
        name: "a noscript in a template is in the body, whatever comes before",
        html: r#"<template><noscript><a href="/t">t</a></noscript></template><title>T</title>"#,
        scanner_reads: true,
        title: Some("T"),
        links: &[],
    },
    Regression {
        name: "a <td> in a template's noscript closes the cell around it (cargo fuzz)",
        html: "<template><td><noscript><td><a href>",
        scanner_reads: false,
        title: None,
        links: &["http://a.test/dir/page.html"],
    },
    Regression {
        name: "a <col> straight in a template drops what follows (cargo fuzz)",
        html: "<template><col><a href>",
        scanner_reads: false,
        title: None,
        links: &[],
    },
    Regression {
        name: "a byte order mark is not text in the head",
        html: "\u{feff}<noscript><link rel=x></noscript><title>BOM</title>",
        scanner_reads: true,
        title: Some("BOM"),
        links: &[],
    },
    Regression {
        name: "an SVG element named noscript hides nothing",
        html: r#"<svg><noscript><a href="/svg-a">s</a></noscript></svg>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/svg-a"],
    },
    Regression {
        name: "a template's links count, its title, base and meta do not",
        html: r#"<template><a href="/in-template">t</a><title>T</title><base href="/b/"><meta name=robots content=nofollow></template><a href="x">x</a>"#,
        scanner_reads: true,
        title: None,
        links: &["http://a.test/in-template", "http://a.test/dir/x"],
    },
    Regression {
        name: "a frameset is the DOM's",
        html: r#"<frameset><frame src="/f"></frameset><a href="/lost">l</a>"#,
        scanner_reads: false,
        title: None,
        links: &[],
    },
];

#[test]
fn regressions() {
    use super::{ContentOpts, DomLimits, extract};
    let page_url = Url::parse("http://a.test/dir/page.html").unwrap();
    for r in REGRESSIONS {
        let compared = super::compare_paths(r.html, &page_url)
            .unwrap_or_else(|why| panic!("{}: {why}", r.name));
        assert_eq!(
            compared == Comparison::Same,
            r.scanner_reads,
            "{}: {compared:?}",
            r.name
        );
        let got = extract(
            r.html,
            &page_url,
            &[],
            ContentOpts::default(),
            DomLimits::default(),
        )
        .unwrap();
        assert_eq!(got.title.as_deref(), r.title, "{}", r.name);
        let links: Vec<String> = got
            .links
            .iter()
            .map(|l| format!("{}{}", l.url, if l.nofollow { " (nofollow)" } else { "" }))
            .collect();
        assert_eq!(links, r.links, "{}", r.name);
    }
}
