//! Links of a page: `<a href>` and `<area href>`, resolved against the page
//! URL or its first `<base href>`, http(s) only, fragment dropped, deduplicated
//! by normalized key, in page order. `rel="nofollow"` (or a page-wide
//! `<meta name="robots" content="nofollow">`) marks a link as listed but not
//! followed; a link that appears both ways is followed.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::urls::join::Base;
use crate::urls::normalize::PassThrough;

/// Link keys are uniform hashes already.
type Keys = BuildHasherDefault<PassThrough>;

/// One link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Absolute, without fragment, as the `url` crate serializes it.
    pub url: String,
    /// `normalize::key(&url)`, computed once here for dedupe and the seen-set.
    pub key: u128,
    pub nofollow: bool,
}

static ANCHORS: LazyLock<Selector> = LazyLock::new(|| super::parse_static("a[href], area[href]"));
static BASE: LazyLock<Selector> = LazyLock::new(|| super::parse_static("base[href]"));
static META_ROBOTS: LazyLock<Selector> =
    LazyLock::new(|| super::parse_static("meta[name][content]"));

pub(super) fn links(doc: &Html, page: &Url) -> Vec<Link> {
    let base = doc
        .select(&BASE)
        .find(|b| !within(b, &["noscript", "template"]))
        .and_then(|b| b.value().attr("href"));
    let page_nofollow = doc
        .select(&META_ROBOTS)
        .filter(|m| !within(m, &["noscript", "template"]))
        .any(|m| is_robots_nofollow(m.value().attr("name"), m.value().attr("content")));
    // The scanner reads a `<noscript>` as raw text, as a browser running
    // scripts does; the DOM (`dom`) holds its elements, whose links stay
    // out so both find the same. A template's links count; its `<base>`
    // and `<meta>` are not the document's.
    let anchors = doc
        .select(&ANCHORS)
        .filter(|a| !within(a, &["noscript"]))
        .filter_map(|a| Some((a.value().attr("href")?, a.value().attr("rel"))));
    collect(page, base, page_nofollow, anchors)
}

/// Whether `el` is inside an HTML element named one of `names`.
pub(super) fn within(el: &ElementRef, names: &[&str]) -> bool {
    el.ancestors().any(|n| {
        n.value()
            .as_element()
            .is_some_and(|e| e.name.ns == html5ever::ns!(html) && names.contains(&e.name()))
    })
}

/// Whether `<meta name=NAME content=CONTENT>` says `robots: nofollow`.
pub(super) fn is_robots_nofollow(name: Option<&str>, content: Option<&str>) -> bool {
    name.is_some_and(|n| n.eq_ignore_ascii_case("robots"))
        && content.is_some_and(|c| {
            c.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("nofollow"))
        })
}

/// Resolves `(href, rel)` pairs against the page (or its first `<base
/// href>`), drops what is not http(s), and deduplicates in page order.
pub(super) fn collect<'a>(
    page: &Url,
    base: Option<&str>,
    page_nofollow: bool,
    anchors: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<Link> {
    let base = Base::new(
        base.and_then(|href| page.join(href.trim()).ok())
            .unwrap_or_else(|| page.clone()),
    );
    let (lower, _) = anchors.size_hint();
    let mut out: Vec<Link> = Vec::with_capacity(lower);
    let mut index: HashMap<u128, usize, Keys> =
        HashMap::with_capacity_and_hasher(lower, Keys::default());
    for (href, rel) in anchors {
        let Some((url, key)) = base.resolve(href) else {
            continue;
        };
        let nofollow = page_nofollow
            || rel.is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("nofollow"))
            });
        match index.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let link = &mut out[*e.get()];
                link.nofollow &= nofollow;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(Link { url, key, nofollow });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> Vec<(String, bool)> {
        let page = Url::parse("http://a.test/dir/page.html").unwrap();
        links(&Html::parse_document(html), &page)
            .into_iter()
            .map(|l| (l.url, l.nofollow))
            .collect()
    }

    #[test]
    fn resolves_filters_and_dedupes_in_order() {
        let got = run(r##"
            <a href="b.html">b</a>
            <a href="../up.html">up</a>
            <a href="b.html#part">b again</a>
            <a href="mailto:x@a.test">mail</a>
            <a href="javascript:void(0)">js</a>
            <a href="tel:123">tel</a>
            <a href="data:text/plain,x">data</a>
            <a>no href</a>
            <a href="">empty</a>
            <a href="#top">self</a>
            <a href="HTTP://A.TEST:80/Case">case</a>
            <map><area href="/area.html"></map>
        "##);
        let want = [
            "http://a.test/dir/b.html",
            "http://a.test/up.html",
            "http://a.test/dir/page.html",
            "http://a.test/Case",
            "http://a.test/area.html",
        ];
        assert_eq!(
            got.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
            want
        );
        assert!(got.iter().all(|(_, nf)| !nf));
    }

    #[test]
    fn base_href_applies() {
        let got =
            run(r#"<head><base href="/docs/"></head><a href="x.html">x</a><a href="/abs">a</a>"#);
        assert_eq!(got[0].0, "http://a.test/docs/x.html");
        assert_eq!(got[1].0, "http://a.test/abs");
    }

    #[test]
    fn nofollow_listed_not_followed() {
        let got = run(
            r#"<a rel="nofollow" href="/n">n</a><a rel="external NoFollow" href="/m">m</a>
                         <a rel="nofollow" href="/both">1</a><a href="/both">2</a>"#,
        );
        assert_eq!(
            got,
            vec![
                ("http://a.test/n".into(), true),
                ("http://a.test/m".into(), true),
                ("http://a.test/both".into(), false),
            ]
        );
        let page_wide =
            run(r#"<meta name="ROBOTS" content="noindex, nofollow"><a href="/x">x</a>"#);
        assert!(page_wide[0].1);
    }

    #[test]
    fn broken_html_still_yields_links() {
        let got =
            run(r#"<div><p><a href="one.html">one<a href='two.html'>two</div><a href=three.html>"#);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn noscript_links_as_the_scanner_sees_them() {
        let html = r#"<head><noscript><link rel="stylesheet" href="/ns.css"></noscript></head>
            <body><a href="/one">one</a>
            <noscript><p>Read <a href="/hidden">the post</a> here.</p></noscript>
            <a href="/two">two</a></body>"#;
        let page = Url::parse("http://a.test/").unwrap();
        let doc = crate::extract::dom::parse(html, crate::extract::dom::Limits::default()).unwrap();
        let from_dom: Vec<String> = links(&doc, &page).into_iter().map(|l| l.url).collect();
        let scanned = crate::extract::scan::scan(html, &page);
        assert_eq!(scanned.unmodelled, None);
        let from_scan: Vec<String> = scanned.links.into_iter().map(|l| l.url).collect();
        assert_eq!(from_dom, ["http://a.test/one", "http://a.test/two"]);
        assert_eq!(from_dom, from_scan);
    }
}
