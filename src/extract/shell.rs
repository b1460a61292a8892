//! Whether a page is an empty shell that its scripts fill in — what
//! `--render auto` asks before it sends a page to the browser.
//!
//! Read from the DOM of the page as received (`Look`): how much text a
//! reader would see (outside scripts, styles, `<template>`, `<noscript>`),
//! how many links, whether it runs scripts, whether it has an empty mount
//! point of a front-end framework (`#root`, `#app`, `#__next`, …), framework
//! markers (`__NEXT_DATA__`, `data-server-rendered`, `ng-version`, …), and a
//! `<noscript>` that asks for JavaScript. The thresholds are in `is_shell`.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use scraper::{ElementRef, Html, Node};

use super::dom::{self, DomError, Limits};

/// Ids front-end frameworks mount their application on.
const MOUNTS: [&str; 8] = [
    "root",
    "app",
    "__next",
    "__nuxt",
    "___gatsby",
    "svelte",
    "react-root",
    "app-root",
];

/// Attributes and script ids that frameworks leave in their pages.
const MARKERS: [&str; 6] = [
    "__NEXT_DATA__",
    "__NUXT_DATA__",
    "data-server-rendered",
    "ng-version",
    "data-reactroot",
    "data-v-app",
];

/// What a page shows without its scripts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Characters of visible text, whitespace runs counted as one.
    pub text: usize,
    /// `<a href>` elements.
    pub links: usize,
    /// `<script>` elements that run (not JSON data).
    pub scripts: usize,
    /// A framework mount point with nothing in it.
    pub empty_mount: bool,
    /// A framework's marker.
    pub framework: bool,
    /// A `<noscript>` that mentions JavaScript.
    pub asks_for_js: bool,
}

impl Look {
    /// The page needs its scripts to be read: it runs a script and shows
    /// under 200 characters, or has an empty mount point, or shows under
    /// 1,000 with a `<noscript>` asking for JavaScript or under 500 with a
    /// framework's marker. A real article or a documentation page shows
    /// thousands; a server-rendered framework page shows its text too.
    pub fn is_shell(&self) -> bool {
        self.scripts > 0
            && (self.text < 200
                || self.empty_mount
                || (self.asks_for_js && self.text < 1_000)
                || (self.framework && self.text < 500))
    }

    /// Rendering `self` gave `rendered`, which shows more: 100 characters of
    /// text more, or more links.
    pub fn gained(&self, rendered: &Look) -> bool {
        rendered.text >= self.text + 100 || rendered.links > self.links
    }
}

/// Whether `html` is surely not a shell, from its bytes alone (no DOM, a
/// pass at memory speed): it has no `<script>`, or it shows 2,000 bytes of
/// text or more (twice the most any rule of `is_shell` allows, counted in
/// bytes, entities and multi-byte characters as several) and names none of
/// the mount points. Most pages are decided here; the rest get a `look`.
pub fn surely_static(html: &[u8]) -> bool {
    static SCRIPT: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["<script"])
            .unwrap_or_else(|e| panic!("a literal pattern: {e}"))
    });
    static MOUNT: LazyLock<AhoCorasick> = LazyLock::new(|| {
        let forms = MOUNTS.iter().flat_map(|m| {
            [
                format!("\"{m}\""),
                format!("'{m}'"),
                format!("={m}>"),
                format!("={m} "),
            ]
        });
        AhoCorasick::new(forms).unwrap_or_else(|e| panic!("literal patterns: {e}"))
    });
    if !SCRIPT.is_match(html) {
        return true;
    }
    text_bytes(html, 2_000) >= 2_000 && !MOUNT.is_match(html)
}

/// Bytes of text outside tags, comments, scripts, styles, templates and
/// noscripts, whitespace runs counted as one; stops counting at `enough`.
fn text_bytes(html: &[u8], enough: usize) -> usize {
    let (mut n, mut i, mut space) = (0, 0, true);
    while i < html.len() && n < enough {
        let b = html[i];
        if b != b'<' {
            let ws = b.is_ascii_whitespace();
            if !(ws && space) {
                n += 1;
            }
            space = ws;
            i += 1;
            continue;
        }
        let rest = &html[i..];
        i += if rest.starts_with(b"<!--") {
            memchr::memmem::find(rest, b"-->").map_or(rest.len(), |e| e + 3)
        } else if let Some(name) = ["script", "style", "template", "noscript"]
            .into_iter()
            .find(|n| starts_with_tag(&rest[1..], n))
        {
            skip_raw(rest, name)
        } else {
            memchr::memchr(b'>', rest).map_or(rest.len(), |e| e + 1)
        };
    }
    n
}

/// Whether `s` starts with the tag name `name` (any case) and then ends it.
fn starts_with_tag(s: &[u8], name: &str) -> bool {
    s.len() > name.len()
        && s[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && matches!(s[name.len()], b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')
}

/// The length of `<name …>…</name>` at the start of `s` (all of `s` when
/// it is not closed).
fn skip_raw(s: &[u8], name: &str) -> usize {
    let mut at = 1;
    while let Some(lt) = memchr::memmem::find(&s[at..], b"</") {
        let close = at + lt + 2;
        if starts_with_tag(&s[close..], name) || s[close..].eq_ignore_ascii_case(name.as_bytes()) {
            return memchr::memchr(b'>', &s[close..]).map_or(s.len(), |e| close + e + 1);
        }
        at = close;
    }
    s.len()
}

/// Looks at `html`.
pub fn look(html: &str, limits: Limits) -> Result<Look, DomError> {
    let doc = dom::parse(html, limits)?;
    Ok(look_at(&doc))
}

fn look_at(doc: &Html) -> Look {
    let mut look = Look::default();
    let mut last_space = true;
    walk(doc.root_element(), &mut look, &mut last_space);
    look
}

fn walk(el: ElementRef<'_>, look: &mut Look, last_space: &mut bool) {
    let e = el.value();
    let name = e.name();
    if MARKERS
        .iter()
        .any(|m| e.attr(m).is_some() || e.id() == Some(m))
    {
        look.framework = true;
    }
    match name {
        "script" => {
            let kind = e.attr("type").unwrap_or("").to_ascii_lowercase();
            if !kind.contains("json") && !kind.contains("template") {
                look.scripts += 1;
            }
            return;
        }
        "noscript" => {
            let text: String = el.text().collect();
            if text.to_ascii_lowercase().contains("javascript") {
                look.asks_for_js = true;
            }
            return;
        }
        "style" | "template" | "head" => {
            // The head's scripts still count.
            if name == "head" {
                for child in el.children().filter_map(ElementRef::wrap) {
                    walk_head(child, look);
                }
            }
            return;
        }
        "a" if e.attr("href").is_some() => look.links += 1,
        _ => {}
    }
    if e.id().is_some_and(|id| MOUNTS.contains(&id)) && is_empty(el) {
        look.empty_mount = true;
    }
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                for c in t.chars() {
                    let space = c.is_whitespace();
                    if !(space && *last_space) {
                        look.text += 1;
                    }
                    *last_space = space;
                }
            }
            Node::Element(_) => {
                if let Some(c) = ElementRef::wrap(child) {
                    walk(c, look, last_space);
                }
            }
            _ => {}
        }
    }
}

/// What a head contributes: its scripts and markers.
fn walk_head(el: ElementRef<'_>, look: &mut Look) {
    let mut ignored = true;
    if matches!(el.value().name(), "script" | "noscript") {
        walk(el, look, &mut ignored);
    } else if MARKERS.iter().any(|m| el.value().id() == Some(m)) {
        look.framework = true;
    }
}

/// No element inside and no text but whitespace.
fn is_empty(el: ElementRef<'_>) -> bool {
    el.children().all(|c| match c.value() {
        Node::Text(t) => t.trim().is_empty(),
        Node::Element(_) => false,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(html: &str) -> Look {
        look(html, Limits::default()).unwrap()
    }

    #[test]
    fn shells_and_pages() {
        let spa = l(
            r#"<html><head><script src="/app.js"></script></head><body><div id="root"></div></body></html>"#,
        );
        assert!(
            spa.empty_mount && spa.scripts == 1 && spa.is_shell(),
            "{spa:?}"
        );

        let built = l(r#"<body><h1>Shop</h1><script>document.body.append('x')</script></body>"#);
        assert!(built.text < 200 && built.is_shell(), "{built:?}");

        let prose = "A sentence of an article that a reader reads. ".repeat(40);
        let article = l(&format!(
            r#"<body><article><p>{prose}</p></article><script src="/analytics.js"></script></body>"#
        ));
        assert!(!article.is_shell(), "{article:?}");

        let no_scripts = l("<body><p>Short.</p></body>");
        assert!(!no_scripts.is_shell(), "no script, nothing to render");

        let asks = l(&format!(
            r#"<body><noscript>You need to enable JavaScript to run this app.</noscript>
               <p>{}</p><script src="/a.js"></script></body>"#,
            "Some words. ".repeat(30)
        ));
        assert!(asks.asks_for_js && asks.is_shell(), "{asks:?}");

        let ssr = l(&format!(
            r#"<body><div id="__next"><p>{prose}</p></div>
               <script id="__NEXT_DATA__" type="application/json">{{}}</script><script src="/n.js"></script></body>"#
        ));
        assert!(
            ssr.framework && !ssr.empty_mount && !ssr.is_shell(),
            "{ssr:?}"
        );
    }

    #[test]
    fn static_pages_are_told_from_their_bytes() {
        let prose = "A sentence of an article that a reader reads. ".repeat(60);
        assert!(surely_static(b"<p>No script at all.</p>"));
        assert!(surely_static(
            format!("<article><p>{prose}</p></article><script src=a.js></script>").as_bytes()
        ));
        // Text inside scripts, styles and comments is not text.
        let hidden = format!(
            "<script>var s = '{prose}';</script><style>/* {prose} */</style><!-- {prose} --><div></div>"
        );
        assert!(!surely_static(hidden.as_bytes()));
        // A mount point sends the page to the full look.
        let mounted = format!(r#"<div id="app"></div><p>{prose}</p><SCRIPT src=x.js></SCRIPT>"#);
        assert!(!surely_static(mounted.as_bytes()));
        // Whatever it decides, it never calls a shell static.
        for page in [
            r#"<html><head><script src="/app.js"></script></head><body><div id="root"></div></body></html>"#,
            "<body><h1>Shop</h1><script>document.body.append('x')</script></body>",
        ] {
            assert!(
                l(page).is_shell() && !surely_static(page.as_bytes()),
                "{page}"
            );
        }
    }

    #[test]
    fn gains() {
        let before = Look {
            text: 20,
            links: 0,
            ..Look::default()
        };
        let same = Look { text: 60, ..before };
        let more_links = Look { links: 3, ..before };
        let more_text = Look {
            text: 500,
            ..before
        };
        assert!(!before.gained(&same));
        assert!(before.gained(&more_links));
        assert!(before.gained(&more_text));
    }
}
