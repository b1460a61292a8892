//! The fast path of extraction: title and links straight from the bytes of
//! the page, without a DOM and without a general tokenizer. Used when no
//! `--select` field needs a DOM (`select.rs` builds one with `scraper`).
//!
//! It follows the WHATWG tokenizer where links and titles depend on it:
//! comments (`<!-- -->`, `<!…>`, `<?…>`) and end tags are skipped, quoted
//! attribute values may hold `>`, tag and attribute names are ASCII
//! case-insensitive, the first of two equal attributes wins, and the content
//! of `script`, `style`, `textarea`, `title` and the other raw-text elements
//! runs to its own end tag, so a link inside a script or a comment is not a
//! link here either (as in the DOM). Character references in attribute values
//! and in the title are decoded (`entities`). It does not model the
//! script-data-escaped states (`<!--` inside `<script>`); a page relying on
//! them may yield a link the DOM would not.
//!
//! Most of a page is text between tags, crossed with `memchr`; only tags are
//! looked at byte by byte, and only `a`, `area`, `base`, `meta` and `title`
//! allocate.

use std::borrow::Cow;

use memchr::{memchr, memmem};
use url::Url;

use super::entities::decode;
use super::links::{self, Link};

/// What the scan yields before links are resolved.
#[derive(Default)]
struct Found<'a> {
    title: Option<Cow<'a, str>>,
    base: Option<Cow<'a, str>>,
    page_nofollow: bool,
    anchors: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>,
}

/// Title and links of `html`, the page at `page`.
pub(super) fn scan(html: &str, page: &Url) -> (Option<String>, Vec<Link>) {
    let f = scan_raw(html);
    let title = f
        .title
        .map(|t| super::collapse_whitespace(&t))
        .filter(|t| !t.is_empty());
    let anchors = f.anchors.iter().map(|(h, r)| (h.as_ref(), r.as_deref()));
    let links = links::collect(page, f.base.as_deref(), f.page_nofollow, anchors);
    (title, links)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0C)
}

/// Elements whose content is text up to their own end tag.
fn raw_text_element(name: &[u8]) -> bool {
    const RAW: [&[u8]; 10] = [
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
        b"plaintext",
    ];
    RAW.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// One attribute: its name as written and its raw (undecoded) value.
struct Attr<'a> {
    name: &'a [u8],
    value: &'a str,
}

/// A tag from just after its name to just after its `>`.
struct Tag<'a> {
    attrs: Vec<Attr<'a>>,
    /// Offset just after the closing `>`, or `None` when the input ends in the tag.
    end: Option<usize>,
    /// Written `<name …/>` (the `/` in the "before attribute name" state).
    self_closing: bool,
}

impl<'a> Tag<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|a| a.value)
    }
}

/// Parses the attributes of a tag starting at `i` (just after its name), in
/// the WHATWG "before attribute name" state. With `keep` false nothing is
/// collected: the tag only has to be crossed.
fn parse_attrs(html: &str, mut i: usize, keep: bool) -> Tag<'_> {
    let b = html.as_bytes();
    let mut attrs = Vec::new();
    let open = |attrs| Tag {
        attrs,
        end: None,
        self_closing: false,
    };
    loop {
        // before attribute name: whitespace and stray slashes
        let skip_from = i;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return open(attrs);
        }
        if b[i] == b'>' {
            return Tag {
                attrs,
                end: Some(i + 1),
                self_closing: i > skip_from && b[i - 1] == b'/',
            };
        }
        // attribute name: a leading `=` belongs to it
        let name_start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = &b[name_start..i];
        // after attribute name
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let mut value = "";
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return open(attrs);
            }
            match b[i] {
                q @ (b'"' | b'\'') => {
                    let Some(len) = memchr(q, &b[i + 1..]) else {
                        return open(attrs);
                    };
                    value = &html[i + 1..i + 1 + len];
                    i += len + 2;
                }
                b'>' => {}
                _ => {
                    let start = i;
                    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    value = &html[start..i];
                }
            }
        }
        if keep
            && !attrs
                .iter()
                .any(|a: &Attr| a.name.eq_ignore_ascii_case(name))
        {
            attrs.push(Attr { name, value });
        }
    }
}

/// Offset of the end tag `</name` (followed by whitespace, `/` or `>`) at or
/// after `from`, ASCII case-insensitive.
fn find_end_tag(html: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let finder = memmem::Finder::new(b"</");
    let mut at = from;
    while let Some(off) = finder.find(&html[at..]) {
        let p = at + off;
        let n = p + 2;
        if html.len() >= n + name.len()
            && html[n..n + name.len()].eq_ignore_ascii_case(name)
            && html
                .get(n + name.len())
                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return Some(p);
        }
        at = p + 2;
    }
    None
}

/// End of a comment whose `<!--` ends just before `i`: after `-->` or `--!>`
/// (or at once for `<!-->` and `<!--->`).
fn comment_end(b: &[u8], i: usize) -> usize {
    if b[i..].starts_with(b">") {
        return i + 1;
    }
    if b[i..].starts_with(b"->") {
        return i + 2;
    }
    let finder = memmem::Finder::new(b"--");
    let mut at = i;
    while let Some(off) = finder.find(&b[at..]) {
        let p = at + off + 2;
        match b.get(p) {
            Some(b'>') => return p + 1,
            Some(b'!') if b.get(p + 1) == Some(&b'>') => return p + 2,
            _ => at = p - 1,
        }
    }
    b.len()
}

/// Open elements of SVG or MathML content (WHATWG "in foreign content"),
/// lower-cased. There no element's content is raw text (an SVG `<title>`
/// is an icon's name, not the document's title), and an HTML element such
/// as `<p>` or `<div>`, or an end tag of no open foreign element, ends it.
/// HTML integration points (`foreignObject`, an SVG `title`) are not
/// modelled: HTML inside them ends the foreign content here.
#[derive(Default)]
struct Foreign(Vec<Vec<u8>>);

impl Foreign {
    fn active(&self) -> bool {
        !self.0.is_empty()
    }

    /// A start tag; `true` when it is an HTML element.
    fn start(&mut self, name: &[u8], self_closing: bool) -> bool {
        if self.0.is_empty() {
            let root = matches!(name.len(), 3 | 4)
                && (name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"math"));
            if !root {
                return true;
            }
        } else if breaks_out(name) {
            self.0.clear();
            return true;
        }
        if !self_closing {
            self.0.push(name.to_ascii_lowercase());
        }
        false
    }

    /// An end tag: closes the innermost open foreign element of that name
    /// and those inside it; any other (`</p>`, `</br>`, an HTML ancestor's)
    /// ends the foreign content.
    fn end(&mut self, name: &[u8]) {
        if self.0.is_empty() {
            return;
        }
        match self.0.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
            Some(at) => self.0.truncate(at),
            None => self.0.clear(),
        }
    }
}

/// HTML elements whose start tag ends foreign content (WHATWG "in foreign
/// content"; `font` only with `color`, `face` or `size`, not modelled).
fn breaks_out(name: &[u8]) -> bool {
    const HTML: [&[u8]; 44] = [
        b"b",
        b"big",
        b"blockquote",
        b"body",
        b"br",
        b"center",
        b"code",
        b"dd",
        b"div",
        b"dl",
        b"dt",
        b"em",
        b"embed",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"head",
        b"hr",
        b"i",
        b"img",
        b"li",
        b"listing",
        b"menu",
        b"meta",
        b"nobr",
        b"ol",
        b"p",
        b"pre",
        b"ruby",
        b"s",
        b"small",
        b"span",
        b"strong",
        b"strike",
        b"sub",
        b"sup",
        b"table",
        b"tt",
        b"u",
        b"ul",
        b"var",
    ];
    HTML.iter().any(|h| h.eq_ignore_ascii_case(name))
}

fn scan_raw(html: &str) -> Found<'_> {
    let b = html.as_bytes();
    let mut foreign = Foreign::default();
    let mut f = Found {
        // about one link per 400 bytes of markup on the sites measured
        anchors: Vec::with_capacity(html.len() / 400),
        ..Found::default()
    };
    let mut i = 0;
    while let Some(off) = memchr(b'<', &b[i..]) {
        let lt = i + off;
        i = lt + 1;
        let Some(&c) = b.get(i) else { break };
        match c {
            b'!' => {
                if b[i + 1..].starts_with(b"--") {
                    i = comment_end(b, i + 3);
                } else if foreign.active() && b[i + 1..].starts_with(b"[CDATA[") {
                    i = memmem::find(&b[i..], b"]]>").map_or(b.len(), |o| i + o + 3);
                } else {
                    // doctype, CDATA outside foreign content, bogus comment
                    i = memchr(b'>', &b[i..]).map_or(b.len(), |o| i + o + 1);
                }
            }
            b'?' => i = memchr(b'>', &b[i..]).map_or(b.len(), |o| i + o + 1),
            b'/' => {
                let n = i + 1;
                match b.get(n) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let mut e = n;
                        while e < b.len() && !is_space(b[e]) && !matches!(b[e], b'/' | b'>') {
                            e += 1;
                        }
                        foreign.end(&b[n..e]);
                        match parse_attrs(html, e, false).end {
                            Some(end) => i = end,
                            None => break,
                        }
                    }
                    Some(b'>') => i = n + 1,
                    Some(_) => i = memchr(b'>', &b[n..]).map_or(b.len(), |o| n + o + 1),
                    None => break,
                }
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>') {
                    i += 1;
                }
                let name = &b[start..i];
                let wanted = matches!(name.len(), 1 | 4)
                    && [&b"a"[..], b"area", b"base", b"meta"]
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(name));
                let tag = parse_attrs(html, i, wanted);
                let Some(end) = tag.end else { break };
                i = end;
                let html_element = foreign.start(name, tag.self_closing);
                if wanted {
                    found_tag(&mut f, name, &tag);
                } else if html_element && raw_text_element(name) {
                    if name.eq_ignore_ascii_case(b"plaintext") {
                        break;
                    }
                    let close = find_end_tag(b, i, name);
                    if name.eq_ignore_ascii_case(b"title") && f.title.is_none() {
                        f.title = Some(decode(&html[i..close.unwrap_or(b.len())], false));
                    }
                    match close {
                        Some(p) => i = p,
                        None => break,
                    }
                }
            }
            _ => {} // a `<` that starts no tag is text
        }
    }
    f
}

/// Records what an `a`, `area`, `base` or `meta` start tag says.
fn found_tag<'a>(f: &mut Found<'a>, name: &[u8], tag: &Tag<'a>) {
    match name.len() {
        4 if name.eq_ignore_ascii_case(b"base") => {
            if f.base.is_none() {
                f.base = tag.get("href").map(|h| decode(h, true));
            }
        }
        4 if name.eq_ignore_ascii_case(b"meta") => {
            let name = tag.get("name").map(|v| decode(v, true));
            let content = tag.get("content").map(|v| decode(v, true));
            if links::is_robots_nofollow(name.as_deref(), content.as_deref()) {
                f.page_nofollow = true;
            }
        }
        _ => {
            if let Some(href) = tag.get("href") {
                let rel = tag.get("rel").map(|r| decode(r, true));
                f.anchors.push((decode(href, true), rel));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
