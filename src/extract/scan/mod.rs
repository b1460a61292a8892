//! The fast path of extraction: title and links straight from the bytes of
//! the page, without a DOM and without a general tokenizer. Used when no
//! `--select` field or content needs a DOM.
//!
//! It follows the WHATWG tokenizer where links and titles depend on it
//! (`tokens`): comments (`<!-- -->`, `<!…>`, `<?…>`) and end tags are
//! skipped, quoted attribute values may hold `>`, tag and attribute names
//! are ASCII case-insensitive, the first of two equal attributes wins, and
//! the content of `script` (with its escaped states), `style`, `textarea`,
//! `title` and the other raw-text elements runs to its own end tag, so a
//! link inside a script or a comment is not a link here either (as in the
//! DOM). Character references in attribute values and in the title are
//! decoded (`entities`). From the tree builder it follows what decides
//! which title and links a page has: SVG and MathML (`foreign`), the inert
//! content of a `<template>` (its links count, its title, `<base>` and
//! `<meta>` do not) and a `<noscript>`, read as a browser running scripts
//! does.
//!
//! Where a page leaves the states it models — HTML inside an SVG or MathML
//! integration point, a `<frameset>`, a `<td>` or `<col>` straight in a
//! template, a `<noscript>` whose content is more than balanced markup
//! without links (`noscript`) — the scan says so
//! (`Scanned::unmodelled`) and `extract` builds the DOM instead. A
//! differential test (`differential`, and a `cargo fuzz` target) holds the
//! scanner to the DOM on generated pages.
//!
//! Most of a page is text between tags, crossed with `memchr`; only tags are
//! looked at byte by byte, and only `a`, `area`, `base`, `meta` and `title`
//! allocate.

mod foreign;
mod noscript;
mod tokens;

use std::borrow::Cow;

use memchr::{memchr, memmem};
use url::Url;

use super::entities::decode;
use super::links::{self, Link};
use foreign::{Foreign, Start};
use noscript::{Around, Noscript};
use tokens::{
    Attr, Tag, comment_end, find_end_tag, is_space, one_of, parse_attrs, raw_text_element,
    script_end,
};

/// What a scan found.
pub(super) struct Scanned {
    pub title: Option<String>,
    pub links: Vec<Link>,
    /// `None` when the page stayed in the states the scanner models; else
    /// what it met first, and the title and links are a best effort.
    pub unmodelled: Option<&'static str>,
}

/// What the scan yields before links are resolved.
#[derive(Default)]
struct Found<'a> {
    title: Option<Cow<'a, str>>,
    base: Option<Cow<'a, str>>,
    page_nofollow: bool,
    anchors: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
    unmodelled: Option<&'static str>,
}

impl Found<'_> {
    fn unmodelled(&mut self, what: &'static str) {
        self.unmodelled.get_or_insert(what);
    }
}

/// Title and links of `html`, the page at `page`.
pub(super) fn scan(html: &str, page: &Url) -> Scanned {
    let f = Scanner::new(html).run();
    let title = f
        .title
        .map(|t| super::collapse_whitespace(&t))
        .filter(|t| !t.is_empty());
    let anchors = f.anchors.iter().map(|(h, r)| (h.as_ref(), r.as_deref()));
    let links = links::collect(page, f.base.as_deref(), f.page_nofollow, anchors);
    Scanned {
        title,
        links,
        unmodelled: f.unmodelled,
    }
}

struct Scanner<'a> {
    html: &'a str,
    b: &'a [u8],
    i: usize,
    f: Found<'a>,
    foreign: Foreign,
    /// `<template>` elements open: their content is inert.
    templates: usize,
    noscript: Option<Noscript>,
    /// The tree builder is past the head: a body element or text was seen.
    in_body: bool,
    /// `<p>`, `<a>` and `<table>` open, outside a `<noscript>`.
    around: Around,
    /// The attribute list lent to each start tag that keeps its attributes
    /// and taken back after it: one allocation a page, not one a link.
    attrs: Vec<Attr<'a>>,
}

/// Elements the tree builder keeps in the head, or that do not end it.
fn head_element(name: &[u8]) -> bool {
    const HEAD: [&[u8]; 13] = [
        b"base",
        b"basefont",
        b"bgsound",
        b"head",
        b"html",
        b"link",
        b"meta",
        b"noframes",
        b"noscript",
        b"script",
        b"style",
        b"template",
        b"title",
    ];
    one_of(name, &HEAD)
}

impl<'a> Scanner<'a> {
    fn new(html: &'a str) -> Self {
        Scanner {
            html,
            b: html.as_bytes(),
            // a byte order mark is not text: the tokenizer drops it
            i: if html.starts_with('\u{feff}') { 3 } else { 0 },
            f: Found {
                // about one link per 400 bytes of markup on the sites measured
                anchors: Vec::with_capacity(html.len() / 400),
                ..Found::default()
            },
            foreign: Foreign::default(),
            templates: 0,
            noscript: None,
            in_body: false,
            around: Around::default(),
            attrs: Vec::new(),
        }
    }

    fn run(mut self) -> Found<'a> {
        let b = self.b;
        while let Some(off) = memchr(b'<', &b[self.i..]) {
            let lt = self.i + off;
            if !self.in_body && self.templates == 0 && !b[self.i..lt].iter().all(|&c| is_space(c)) {
                self.in_body = true; // text ends the head
                if let Some(ns) = &mut self.noscript {
                    ns.text_in_head();
                }
            }
            self.i = lt + 1;
            if self.noscript.as_ref().is_some_and(|n| lt >= n.end) {
                self.noscript_ends(lt);
            }
            let Some(&c) = b.get(self.i) else { break };
            let more = match c {
                b'!' => {
                    self.markup_declaration();
                    true
                }
                b'?' => {
                    self.i = self.skip_past(b'>', self.i);
                    true
                }
                b'/' => self.end_tag(),
                c if c.is_ascii_alphabetic() => self.start_tag(),
                _ => true, // a `<` that starts no tag is text
            };
            if !more {
                break;
            }
        }
        if self.noscript.as_ref().is_some_and(|n| n.end < b.len()) {
            // the page ended inside something that began in the `<noscript>`
            self.f.unmodelled("markup running past a </noscript>");
        }
        self.f
    }

    /// Offset just after the next `byte` at or after `from`, or the end.
    fn skip_past(&self, byte: u8, from: usize) -> usize {
        memchr(byte, &self.b[from..]).map_or(self.b.len(), |o| from + o + 1)
    }

    /// `<!`: a comment, a CDATA section in foreign content, or a doctype or
    /// bogus comment up to the next `>`.
    fn markup_declaration(&mut self) {
        let (b, i) = (self.b, self.i);
        if b[i + 1..].starts_with(b"--") {
            self.i = comment_end(b, i + 3);
        } else if self.foreign.active() && b[i + 1..].starts_with(b"[CDATA[") {
            self.i = memmem::find(&b[i..], b"]]>").map_or(b.len(), |o| i + o + 3);
        } else {
            self.i = self.skip_past(b'>', i);
        }
    }

    /// `</`: an end tag, `</>` (nothing) or a bogus comment. `false` when
    /// the page ends in it.
    fn end_tag(&mut self) -> bool {
        let b = self.b;
        let n = self.i + 1;
        match b.get(n) {
            Some(c) if c.is_ascii_alphabetic() => {
                let e = name_end(b, n);
                let name = &b[n..e];
                if self.foreign.active() {
                    if !self.foreign.end(name) {
                        self.f
                            .unmodelled("an end tag closing no open SVG or MathML element");
                    }
                } else {
                    self.html_end_tag(name);
                }
                match parse_attrs(self.html, e, false, Vec::new()).end {
                    Some(end) => self.i = end,
                    None => return false,
                }
            }
            Some(b'>') => self.i = n + 1,
            Some(_) => self.i = self.skip_past(b'>', n),
            None => return false,
        }
        true
    }

    fn html_end_tag(&mut self, name: &[u8]) {
        if !self.in_body
            && self.templates == 0
            && [&b"head"[..], b"body", b"html", b"br"]
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
        {
            self.in_body = true;
        }
        if self.templates > 0 && name.eq_ignore_ascii_case(b"template") {
            self.templates = self.templates.saturating_sub(1);
        }
        match &mut self.noscript {
            Some(ns) => {
                ns.end_tag(name);
                if let Some(why) = ns.uncertain() {
                    self.f.unmodelled(why);
                }
            }
            None => self.around.end(name),
        }
    }

    /// A `<` at or past the end of the `<noscript>` being read.
    fn noscript_ends(&mut self, lt: usize) {
        if let Some(ns) = self.noscript.take()
            && (lt > ns.end || !ns.closes() || self.foreign.active())
        {
            self.f.unmodelled("markup running past a </noscript>");
        }
    }

    /// `<` and a letter: a start tag. `false` when the page ends in it or
    /// the rest of it is text (`<plaintext>`, a raw-text element left open).
    fn start_tag(&mut self) -> bool {
        let (b, html) = (self.b, self.html);
        let start = self.i;
        let e = name_end(b, start);
        let name = &b[start..e];
        let wanted = matches!(name.len(), 1 | 4 | 5)
            && [&b"a"[..], b"area", b"base", b"meta", b"title"]
                .iter()
                .any(|w| w.eq_ignore_ascii_case(name));
        let keep = wanted || self.foreign.needs_attrs(name);
        let tag = parse_attrs(html, e, keep, std::mem::take(&mut self.attrs));
        let Some(end) = tag.end else { return false };
        self.i = end;
        if !self.in_body && self.templates == 0 && !head_element(name) {
            self.in_body = true;
        }
        let kind = if self.foreign.active() || matches!(name.len(), 3 | 4) {
            self.foreign.start(name, &tag)
        } else {
            Start::Html // no `svg` or `math` to open foreign content
        };
        if kind == Start::Unmodelled {
            self.f
                .unmodelled("HTML inside an SVG or MathML integration point");
        }
        match &mut self.noscript {
            Some(ns) => {
                ns.start(name, kind != Start::Foreign, wanted);
                if let Some(why) = ns.uncertain() {
                    self.f.unmodelled(why);
                }
            }
            None if kind != Start::Foreign => self.around.start(name),
            None => {}
        }
        if wanted {
            self.found_tag(name, &tag);
        }
        self.attrs = tag.attrs;
        kind == Start::Foreign || self.html_start_tag(name)
    }

    /// What an HTML start tag does to the state of the scan.
    fn html_start_tag(&mut self, name: &[u8]) -> bool {
        if !may_change_state(name) {
            return true; // `a`, `div`, `span`, `li`… (most tags)
        }
        let b = self.b;
        if name.eq_ignore_ascii_case(b"template") {
            self.templates += 1;
        } else if self.templates > 0 && noscript::table_part(name) {
            // `<template><col>` puts the tree builder "in column group",
            // where what follows is dropped; `<tr>`, "in table body"…
            self.f.unmodelled("a table's part in a template");
        } else if name.eq_ignore_ascii_case(b"frameset") {
            self.f.unmodelled("a <frameset>");
        } else if name.eq_ignore_ascii_case(b"noscript") {
            if self.noscript.is_some() {
                return true; // one in another: an element of the outer one's markup
            }
            let end = find_end_tag(b, self.i, b"noscript").unwrap_or(b.len());
            // in a template's content the tree builder is "in body"
            let in_head = !self.in_body && self.templates == 0;
            self.noscript = Some(Noscript::new(end, in_head, self.around));
        } else if raw_text_element(name) {
            if name.eq_ignore_ascii_case(b"plaintext") {
                return false;
            }
            let close = if name.eq_ignore_ascii_case(b"script") {
                script_end(b, self.i)
            } else {
                find_end_tag(b, self.i, name)
            };
            if name.eq_ignore_ascii_case(b"title") && self.f.title.is_none() && self.counts() {
                self.f.title = Some(decode(&self.html[self.i..close.unwrap_or(b.len())], false));
            }
            match close {
                Some(p) => self.i = p,
                None => return false,
            }
        }
        true
    }

    /// Whether a title, `<base>` or `<meta>` here is the document's: not in
    /// a template's content or a `<noscript>`.
    fn counts(&self) -> bool {
        self.templates == 0 && self.noscript.is_none()
    }

    /// Records what an `a`, `area`, `base`, `meta` or `title` start tag
    /// says; in a `<noscript>` nothing.
    fn found_tag(&mut self, name: &[u8], tag: &Tag<'a>) {
        let f = &mut self.f;
        let hidden = self.noscript.is_some();
        let inert = self.templates > 0 || hidden;
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"base") => {
                if f.base.is_none() && !inert {
                    f.base = tag.get("href").map(|h| decode(h, true));
                }
            }
            4 if name.eq_ignore_ascii_case(b"meta") => {
                let name = tag.get("name").map(|v| decode(v, true));
                let content = tag.get("content").map(|v| decode(v, true));
                if !inert && links::is_robots_nofollow(name.as_deref(), content.as_deref()) {
                    f.page_nofollow = true;
                }
            }
            5 => {} // a title: its content is read as raw text
            _ if hidden => {}
            _ => {
                if let Some(href) = tag.get("href") {
                    let rel = tag.get("rel").map(|r| decode(r, true));
                    f.anchors.push((decode(href, true), rel));
                }
            }
        }
    }
}

/// Whether an HTML start tag named `name` (starting with an ASCII letter)
/// may be one `html_start_tag` acts on — a raw-text element, `template`,
/// `frameset`, `noscript` or a table's part — by its length and first
/// letter: a cheap test that most tags fail.
fn may_change_state(name: &[u8]) -> bool {
    let Some(&first) = name.first() else {
        return false;
    };
    matches!(
        (name.len(), first | 0x20),
        (2, b't')
            | (3, b'x' | b'c')
            | (5, b's' | b't')
            | (6, b's' | b'i')
            | (7, b'n' | b'c')
            | (8, b't' | b'f' | b'n' | b'c')
            | (9, b'p')
    )
}

/// End of a tag name starting at `from`.
fn name_end(b: &[u8], from: usize) -> usize {
    let mut e = from;
    while e < b.len() && !is_space(b[e]) && !matches!(b[e], b'/' | b'>') {
        e += 1;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_raw(html: &str) -> Found<'_> {
        Scanner::new(html).run()
    }

    fn hrefs(html: &str) -> Vec<String> {
        scan_raw(html)
            .anchors
            .into_iter()
            .map(|(h, _)| h.into_owned())
            .collect()
    }

    #[test]
    fn tags_attributes_and_quotes() {
        assert_eq!(
            hrefs(r#"<A HREF="/a">x</A><a title='x > y' href='/b'><a href=/c>"#),
            ["/a", "/b", "/c"]
        );
        assert_eq!(hrefs(r#"<a href="/first" href="/second">"#), ["/first"]);
        assert_eq!(
            hrefs(r#"<a id="x"href="/glued"><a/href="/slash">"#),
            ["/glued", "/slash"]
        );
        assert_eq!(hrefs("<a\nhref\n=\n\"/spaced\"\n>"), ["/spaced"]);
        assert_eq!(
            hrefs(r#"<a href="/x?a=1&amp;b=2&copy=3">"#),
            ["/x?a=1&b=2&copy=3"]
        );
        assert_eq!(
            hrefs(r#"<abbr href="/no"><areas href="/no"><a href="/yes">"#),
            ["/yes"]
        );
        assert!(hrefs(r#"<a href="/unterminated"#).is_empty());
        assert!(hrefs("< a href=/text>").is_empty());
    }

    #[test]
    fn comments_and_raw_text_hide_links() {
        let html = r#"<!-- <a href="/c1"> --><!--><a href="/after-empty-comment">
            <!-- x --!><a href="/after-bang-comment"><!doctype html><?php echo '<a href="/x">' ?>
            <script>document.write('<a href="/s">')</script><a href="/after-script">
            <SCRIPT>"</scriptx><a href='/s2'>"</SCRIPT ><style>a{}</style><a href="/end">"#;
        assert_eq!(
            hrefs(html),
            [
                "/after-empty-comment",
                "/after-bang-comment",
                "/after-script",
                "/end"
            ]
        );
        assert!(hrefs("<!-- never closed <a href=/x>").is_empty());
        assert!(hrefs("<plaintext><a href=/x>").is_empty());
        assert_eq!(hrefs("</div class='>'><a href=/x>"), ["/x"]);
    }

    #[test]
    fn the_state_changing_tags_pass_the_cheap_test() {
        let acted_on = [
            "template",
            "frameset",
            "noscript",
            "script",
            "style",
            "textarea",
            "title",
            "xmp",
            "iframe",
            "noembed",
            "noframes",
            "plaintext",
            "caption",
            "col",
            "colgroup",
            "tbody",
            "td",
            "tfoot",
            "th",
            "thead",
            "tr",
        ];
        for name in acted_on {
            assert!(may_change_state(name.as_bytes()), "{name}");
            assert!(may_change_state(name.to_uppercase().as_bytes()), "{name}");
            let raw = raw_text_element(name.as_bytes());
            let table = noscript::table_part(name.as_bytes());
            let other = ["template", "frameset", "noscript"].contains(&name);
            assert!(raw || table || other, "{name} is acted on");
        }
        for common in [
            "a", "div", "span", "li", "p", "ul", "code", "img", "h2", "em",
        ] {
            assert!(!may_change_state(common.as_bytes()), "{common}");
        }
    }

    #[test]
    fn title_is_the_first_and_decoded() {
        let t = |html: &str| scan_raw(html).title.map(Cow::into_owned);
        assert_eq!(
            t("<title>A &lt;b&gt; &amp;amp</title>").as_deref(),
            Some("A <b> &amp")
        );
        assert_eq!(
            t("<TITLE>one</TITLE><title>two</title>").as_deref(),
            Some("one")
        );
        assert_eq!(
            t("<title>open <a href=/x>").as_deref(),
            Some("open <a href=/x>")
        );
        assert_eq!(t("<p>none"), None);
    }
}
