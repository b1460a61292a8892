//! Which elements are never content. Two kinds: *invisible* (scripts,
//! styles, forms' controls, hidden elements: never text, not even of the
//! whole page) and *boilerplate* (navigation, headers and footers,
//! sidebars, cookie banners, share bars, comments: by tag, ARIA role, or a
//! hint in `class` and `id`, as Readability and trafilatura read them).

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use super::stats::{IdMap, Stats};

/// How an element is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Invisible,
    Boilerplate,
}

/// The elements left out, each the top of a subtree.
#[derive(Default)]
pub(super) struct Junk {
    set: IdMap<Kind>,
}

/// Never shown as text.
const INVISIBLE_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "frame",
    "frameset", "object", "embed", "applet", "svg", "math", "canvas", "audio", "video", "source",
    "track", "map", "button", "input", "select", "textarea", "option", "optgroup", "datalist",
    "output", "progress", "meter", "dialog", "rt", "rp",
];

/// Around the content, not the content.
const BOILERPLATE_TAGS: &[&str] = &["nav", "aside", "footer", "menu", "figcaption"];

/// ARIA roles of what surrounds content.
const BOILERPLATE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "dialog",
    "alertdialog",
    "search",
    "menu",
    "menubar",
    "toolbar",
    "tablist",
    "alert",
];

/// Hints in `class`/`id` that an element is not content, whatever else it
/// says.
const STRONG_HINTS: &[&str] = &[
    "comment",
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "advert",
    "sponsor",
    "promo",
    "popup",
    "modal",
    "breadcrumb",
    "footer",
    "sidebar",
    "outbrain",
    "taboola",
    "disqus",
    "paywall",
    "signup",
    "sign-up",
    "skip-link",
    "skiplink",
    "shoutbox",
    "pagination",
    "pager",
    "read-more",
    "readmore",
    "more-stories",
    "most-popular",
    "mostpopular",
    "trending",
];
/// Hints that yield to a positive one (`article-header` is content).
const WEAK_HINTS: &[&str] = &[
    "header",
    "masthead",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "widget",
    "banner",
    "tags",
    "tagcloud",
    "toolbar",
    "login",
    "print",
    "rss",
    "meta",
    "byline",
    "author",
    "ad",
    "ads",
    "adv",
    "hidden",
    "sr-only",
    "visually-hidden",
    "screen-reader-text",
    "d-none",
    "toc",
];
/// Hints that an element is content.
pub(super) const POSITIVE_HINTS: &[&str] = &[
    "article", "content", "main", "post", "entry", "story", "text", "body", "blog", "hentry",
];

impl Junk {
    /// Walks `doc`: every element that is invisible.
    pub(super) fn invisible(doc: &Html) -> Junk {
        let mut junk = Junk::default();
        let mut stack = vec![*doc.root_element()];
        while let Some(node) = stack.pop() {
            for child in node.children() {
                let Some(el) = ElementRef::wrap(child) else {
                    continue;
                };
                if invisible(el.value()) {
                    junk.set.insert(child.id(), Kind::Invisible);
                } else {
                    stack.push(child);
                }
            }
        }
        junk
    }

    /// This and the boilerplate under `body`: by tag and role, and with
    /// `hints`, by `class` and `id`. An element that holds more than half
    /// of the text of `body` (`stats`: without the invisible), or an
    /// `<article>`, `<main>` or `articleBody`, is never boilerplate: a
    /// `<header>` left open, or a wrapper called `page has-sidebar`, holds
    /// the page.
    pub(super) fn with_boilerplate(
        &self,
        body: ElementRef<'_>,
        stats: &Stats,
        hints: bool,
    ) -> Junk {
        let mut junk = Junk {
            set: self.set.clone(),
        };
        let total = stats.of(body.id()).text;
        let mut stack = vec![*body];
        while let Some(node) = stack.pop() {
            for child in node.children() {
                if junk.set.contains_key(&child.id()) {
                    continue;
                }
                let Some(el) = ElementRef::wrap(child) else {
                    continue;
                };
                if boilerplate(el.value(), hints)
                    && 2 * stats.of(child.id()).text <= total
                    && !holds_content(el)
                    && !article_header(el)
                {
                    junk.set.insert(child.id(), Kind::Boilerplate);
                } else {
                    stack.push(child);
                }
            }
        }
        junk
    }

    /// How `node` is left out, if it is the top of a left-out subtree.
    pub(super) fn get(&self, node: NodeId) -> Option<Kind> {
        self.set.get(&node).copied()
    }

    /// Whether `node` is the top of a left-out subtree.
    pub(super) fn contains(&self, node: NodeRef<'_, Node>) -> bool {
        self.set.contains_key(&node.id())
    }
}

/// Never shown as text.
fn invisible(el: &Element) -> bool {
    INVISIBLE_TAGS.contains(&el.name()) || hidden(el)
}

/// Around the content by tag or role, or (with `hints`) by what `class`
/// or `id` says.
fn boilerplate(el: &Element, hints: bool) -> bool {
    let name = el.name();
    if BOILERPLATE_TAGS.contains(&name) {
        return true;
    }
    if let Some(role) = el.attr("role")
        && BOILERPLATE_ROLES
            .iter()
            .any(|r| role.eq_ignore_ascii_case(r))
    {
        return true;
    }
    if !hints || matches!(name, "body" | "html") {
        return false;
    }
    if name == "header" {
        return true;
    }
    let text = hint_text(el);
    if text.is_empty() {
        return false;
    }
    let hints = Hints::new(&text);
    // An `<article>` or `<main>` is taken at its word unless a strong hint
    // says otherwise (`<article class="buybox subscribe">`).
    let semantic = matches!(name, "article" | "main");
    STRONG_HINTS.iter().any(|h| hints.has(h))
        || !semantic
            && WEAK_HINTS.iter().any(|h| hints.has(h))
            && !POSITIVE_HINTS.iter().any(|h| hints.has(h))
}

/// The words of `class` and `id`, split once for many hints.
pub(super) struct Hints<'a> {
    text: &'a str,
    parts: Vec<&'a str>,
}

impl<'a> Hints<'a> {
    pub(super) fn new(text: &'a str) -> Hints<'a> {
        let parts = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        Hints { text, parts }
    }

    /// Whether `hint` is one of the parts, or (6 letters or more) anywhere.
    pub(super) fn has(&self, hint: &str) -> bool {
        if hint.len() >= 6 {
            self.text.contains(hint)
        } else {
            self.parts.contains(&hint)
        }
    }
}

/// A `<header>` of an article (its title, its lead), not of the page:
/// inside an `<article>` or `<main>`.
fn article_header(el: ElementRef<'_>) -> bool {
    el.value().name() == "header"
        && el.ancestors().filter_map(ElementRef::wrap).any(|a| {
            matches!(a.value().name(), "article" | "main")
        })
}

/// Whether `el` holds an element that says it is the content: a hint on
/// the wrapper (`wide-banner-placeholder`) does not outweigh that.
fn holds_content(el: ElementRef<'_>) -> bool {
    el.descendants().filter_map(ElementRef::wrap).any(|d| {
        let v = d.value();
        matches!(v.name(), "article" | "main")
            || v.attr("itemprop")
                .is_some_and(|p| p.contains("articleBody"))
    })
}

/// `hidden`, `aria-hidden="true"`, or `display: none` / `visibility: hidden` inline.
fn hidden(el: &Element) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden").is_some_and(|v| v.trim() == "true") {
        return true;
    }
    el.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

/// `class` and `id`, lower case, space-separated.
pub(super) fn hint_text(el: &Element) -> String {
    let mut s = String::new();
    for v in [el.attr("class"), el.attr("id")].into_iter().flatten() {
        s.push_str(v);
        s.push(' ');
    }
    s.make_ascii_lowercase();
    s
}

/// Whether one of the words of `hints` is `hint`, or made of it and other
/// parts (`site-header`, `header_top`, `mainNav` lower-cased to `mainnav` is
/// not: short hints only match whole parts; hints of 6 letters or more
/// match anywhere).
#[cfg(test)]
fn hinted(hints: &str, hint: &str) -> bool {
    Hints::new(hints).has(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_match_whole_parts_or_long_words() {
        assert!(hinted("site-header top", "header"));
        assert!(hinted("main-nav", "nav"));
        assert!(!hinted("unavailable", "nav"));
        assert!(!hinted("canvas-wrap", "nav"));
        assert!(hinted("js-cookiebanner", "cookie") || hinted("js-cookiebanner", "cookiebanner"));
        assert!(hinted("post-comments", "comment"));
        assert!(!hinted("loader", "ad"));
        assert!(hinted("ad slot", "ad"));
    }
}
