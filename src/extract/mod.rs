//! Extraction: from a decoded HTML page to owned data (title, links, fields).
//!
//! Synchronous and pure: `fetch` runs `extract` in place for a page of up to
//! 256 KiB without `--select`, and on the blocking pool otherwise (a 5 MB
//! page, or a `scraper` DOM, must not stall the reactor). Receives the page
//! text and its URL; hands back `Extracted`.
//! Title and links come from a byte scanner (`scan`, several times cheaper
//! than a tokenizer); a DOM is built only when `--select` fields or
//! content (`--markdown`, `--text`: `content`) need one, or when the page
//! has markup the scanner does not model (about 1 page in 75 on the real
//! pages measured, none on the docs sites), within bounds of depth, size
//! and time (`dom`), and then title and links come from the DOM. The DOM
//! is the reference: `compare_paths` and the differential test
//! (`differential`) hold the scanner to it.

mod content;
#[cfg(test)]
mod differential;
mod dom;
mod entities;
mod links;
mod scan;
mod select;
mod shell;
pub mod sitemap;

pub use content::{Content, ContentOpts};
pub use dom::{DomError, Limits as DomLimits};
pub use links::Link;
pub use select::FieldSpec;
pub use shell::{Look, look, surely_static};

use scraper::{Html, Selector};
use url::Url;

/// What one page yields.
#[derive(Debug, Default)]
pub struct Extracted {
    pub title: Option<String>,
    pub links: Vec<Link>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// When content was asked for.
    pub content: Option<Content>,
}

/// Parses `html` (the page at `url`) and extracts title, links, `fields`
/// and `content`. Without fields or content no DOM is built: the byte
/// scanner gives title and links. A DOM is built within `limits` (`dom`);
/// past them, the error says which.
pub fn extract(
    html: &str,
    url: &Url,
    fields: &[FieldSpec],
    content: ContentOpts,
    limits: DomLimits,
) -> Result<Extracted, DomError> {
    if fields.is_empty() && !content.any() {
        let scanned = scan::scan(html, url);
        let (title, links) = match scanned.unmodelled {
            None => (scanned.title, scanned.links),
            // Markup the scanner does not model: the DOM reads the page;
            // past its limits, the scan's best effort stands.
            Some(_) => match dom::parse(html, limits) {
                Ok(doc) => (title(&doc), links::links(&doc, url)),
                Err(_) => (scanned.title, scanned.links),
            },
        };
        return Ok(Extracted {
            title,
            links,
            ..Extracted::default()
        });
    }
    let doc = dom::parse(html, limits)?;
    Ok(Extracted {
        title: title(&doc),
        links: links::links(&doc, url),
        fields: select::fields(&doc, fields),
        content: content.any().then(|| content::content(&doc, url, content)),
    })
}

/// How the byte scanner's reading of a page compares with the DOM's.
#[doc(hidden)]
#[derive(Debug, PartialEq)]
pub enum Comparison {
    /// The scanner read it; both found the same title and links.
    Same,
    /// The scanner left it to the DOM: markup it does not model.
    LeftToDom(&'static str),
    /// The DOM could not be built (past its limits): nothing to compare.
    NoDom(DomError),
}

/// Compares the byte scanner with the DOM on `html` (the page at `page`);
/// `Err` says where they differ. The DOM is the reference. For the
/// differential test (`differential`) and the `cargo fuzz` target in
/// `fuzz/`; a crawl does not use it.
#[doc(hidden)]
pub fn compare_paths(html: &str, page: &Url) -> Result<Comparison, String> {
    let scanned = scan::scan(html, page);
    if let Some(what) = scanned.unmodelled {
        return Ok(Comparison::LeftToDom(what));
    }
    let doc = match dom::parse(html, DomLimits::default()) {
        Ok(doc) => doc,
        Err(e) => return Ok(Comparison::NoDom(e)),
    };
    let dom_title = title(&doc);
    if scanned.title != dom_title {
        return Err(format!(
            "title: scanner {:?}, DOM {dom_title:?}",
            scanned.title
        ));
    }
    let dom_links = links::links(&doc, page);
    if scanned.links != dom_links {
        let show = |l: &[Link]| {
            l.iter()
                .map(|l| format!("{}{}", l.url, if l.nofollow { " (nofollow)" } else { "" }))
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "links: scanner {:?}, DOM {:?}",
            show(&scanned.links),
            show(&dom_links)
        ));
    }
    Ok(Comparison::Same)
}

/// `fields` for a page that was not parsed: null for `--select`, `[]` for `--select-all`.
pub fn empty_fields(specs: &[FieldSpec]) -> serde_json::Map<String, serde_json::Value> {
    specs
        .iter()
        .map(|f| {
            let v = if f.all() {
                serde_json::Value::Array(Vec::new())
            } else {
                serde_json::Value::Null
            };
            (f.name.clone(), v)
        })
        .collect()
}

fn title(doc: &Html) -> Option<String> {
    static TITLE: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| parse_static("title"));
    // The document's title is its first `title` in the HTML namespace
    // (HTML §3.1.3): an inline SVG icon's `<title>` is not, nor one in a
    // template's content; nor one in a `<noscript>`, text to a browser
    // running scripts (as to the scanner).
    let el = doc.select(&TITLE).find(|t| {
        t.value().name.ns == html5ever::ns!(html) && !links::within(t, &["noscript", "template"])
    })?;
    let text = collapse_whitespace(&el.text().collect::<String>());
    (!text.is_empty()).then_some(text)
}

/// Text with runs of whitespace folded to one space and the ends trimmed.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A selector written in this crate's source.
pub(crate) fn parse_static(css: &str) -> Selector {
    // The selectors passed here are literals of this crate, checked by the tests below.
    Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css:?}: {e}"))
}

/// Whether a `Content-Type` names an HTML (or XHTML) document.
pub fn is_html(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim();
    mime.eq_ignore_ascii_case("text/html") || mime.eq_ignore_ascii_case("application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `--select` field that matches nothing: with it, `extract` takes
    /// title and links from the DOM.
    fn dom_only_field() -> FieldSpec {
        select::FieldSpec::new(
            crate::units::parse_select("x=nothing-matches").unwrap(),
            false,
        )
        .unwrap()
    }

    #[test]
    fn titles() {
        let u = Url::parse("http://a.test/").unwrap();
        let t = |html: &str| {
            extract(html, &u, &[], ContentOpts::default(), DomLimits::default())
                .unwrap()
                .title
        };
        assert_eq!(
            t("<title>  Fish &amp; Chips \n </title>"),
            Some("Fish & Chips".into())
        );
        assert_eq!(t("<html><body>no title</body>"), None);
        assert_eq!(t("<title>   </title>"), None);
        assert_eq!(
            t("<title>first</title><title>second</title>"),
            Some("first".into())
        );
    }

    /// Regressions, on both paths: an inline SVG icon's `<title>` is not the
    /// document's, and one left open does not hide the links after it; a
    /// NUL in an attribute is U+FFFD.
    #[test]
    fn foreign_titles_and_nul() {
        let u = Url::parse("http://a.test/").unwrap();
        let dummy = dom_only_field();
        for fields in [&[][..], std::slice::from_ref(&dummy)] {
            let ex = |html: &str| {
                extract(
                    html,
                    &u,
                    fields,
                    ContentOpts::default(),
                    DomLimits::default(),
                )
                .unwrap()
            };
            let icon = ex("<body><svg><title>Home icon</title></svg><p>text</p>");
            assert_eq!(icon.title, None, "{} fields", fields.len());
            let later = ex("<svg><title>Icon</title></svg><title>Later</title>");
            assert_eq!(later.title.as_deref(), Some("Later"));
            let open = ex(r#"<svg><title>open icon</svg><a href="/after">a</a>"#);
            let links: Vec<&str> = open.links.iter().map(|l| l.url.as_str()).collect();
            assert_eq!(links, ["http://a.test/after"], "{} fields", fields.len());
            let nul = ex("<a href=\"/a\0b\">n</a>");
            assert_eq!(nul.links[0].url, "http://a.test/a%EF%BF%BDb");
        }
    }

    #[test]
    fn token_scan_and_dom_agree() {
        let u = Url::parse("http://a.test/dir/page.html").unwrap();
        let dummy = dom_only_field();
        let cases = [
            r#"<title> A &amp; B </title><a href="x.html">x</a><a href="../y.html#f" rel="nofollow">y</a>"#,
            r#"<head><base href="/docs/"></head><a href="intro.html">i</a><a href="/abs">a</a>"#,
            r#"<!-- <a href="/in-comment.html">c</a> --><script>var s = '<a href="/in-script.html">';</script>
               <textarea><a href="/in-textarea.html"></a></textarea><style>a[href="/in-style"]{}</style>
               <a href="/real.html">r</a>"#,
            r#"<meta name="robots" content="noindex, nofollow"><a href="/n">n</a>"#,
            r#"<div><p><a href="one.html">one<a href='two.html'>two</div><a href=three.html><area href="/area">"#,
            r#"<title>first</title><title>second</title><svg><a href="/svg-link">s</a></svg>"#,
            r#"<a href="mailto:x@a.test">m</a><a href="javascript:void(0)">j</a><a href="">e</a><a>none</a>"#,
            r#"<title>unclosed <a href="/x">"#,
            // regressions: an inline SVG icon's title is not the document's
            r#"<body><svg viewBox="0 0 1 1"><title>Home icon</title><path d="M0"/></svg><a href="/h">h</a>"#,
            r#"<head><title>Real</title></head><body><svg><title>Icon</title></svg>"#,
            r#"<svg><title>Icon</title></svg><title>Later</title>"#,
            // … nor one left open, which must not swallow the links after it
            r#"<svg><title>open icon <a href="/in-svg">s</a></svg><a href="/after">a</a>"#,
            r#"<div><svg><g><title>x</div><a href="/after-div">a</a><title>T</title>"#,
            r#"<svg><p><a href="/broke-out">p</a><title>Out</title>"#,
            r#"<svg/><title>Self-closed</title>"#,
            r#"<math><mi>x</mi></math><title>M</title><a href="/m">m</a>"#,
            r#"<svg><![CDATA[<a href="/in-cdata">]]></svg><a href="/after-cdata">a</a>"#,
            // a NUL in an attribute value or a title is U+FFFD
            "<title>a\0b</title><a href=\"/nul\0x\">n</a><a href='/q?a=\0'>q</a>",
        ];
        for html in cases {
            let fast =
                extract(html, &u, &[], ContentOpts::default(), DomLimits::default()).unwrap();
            let dom = extract(
                html,
                &u,
                std::slice::from_ref(&dummy),
                ContentOpts::default(),
                DomLimits::default(),
            )
            .unwrap();
            assert_eq!(fast.title, dom.title, "title of {html}");
            assert_eq!(fast.links, dom.links, "links of {html}");
        }
        let decoys = extract(
            cases[2],
            &u,
            &[],
            ContentOpts::default(),
            DomLimits::default(),
        )
        .unwrap();
        assert_eq!(decoys.links.len(), 1, "{:?}", decoys.links);
    }

    #[test]
    fn html_content_types() {
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(is_html(Some("TEXT/HTML")));
        assert!(is_html(Some("application/xhtml+xml")));
        assert!(!is_html(Some("application/json")));
        assert!(!is_html(None));
    }
}
