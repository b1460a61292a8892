//! Which elements are never content. Two kinds: *invisible* (scripts,
//! styles, forms' controls, hidden elements: never text, not even of the
//! whole page) and *boilerplate* (navigation, headers and footers,
//! sidebars, cookie banners, share bars, comments: by tag, ARIA role, or a
//! hint in `class` and `id`, as Readability and trafilatura read them).

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use super::stats::Stats;

/// How an element is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Invisible,
    Boilerplate,
}

/// The elements left out, each the top of a subtree.
#[derive(Default)]
pub(super) struct Junk {
    set: HashMap<NodeId, Kind>,
}

/// Never shown as text.
const INVISIBLE_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "frame",
    "frameset", "object", "embed", "applet", "svg", "math", "canvas", "audio", "video", "source",
    "track", "map", "button", "input", "select", "textarea", "option", "optgroup", "datalist",
    "output", "progress", "meter", "dialog",
];

/// Around the content, not the content.
const BOILERPLATE_TAGS: &[&str] = &["nav", "aside", "footer", "menu"];

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
    /// Walks `doc`: every element that is invisible, or boilerplate by
    /// tag or role.
    pub(super) fn find(doc: &Html) -> Junk {
        let mut junk = Junk::default();
        let mut stack = vec![*doc.root_element()];
        while let Some(node) = stack.pop() {
            for child in node.children() {
                let Some(el) = ElementRef::wrap(child) else {
                    continue;
                };
                match kind(el.value()) {
                    Some(k) => {
                        junk.set.insert(child.id(), k);
                    }
                    None => stack.push(child),
                }
            }
        }
        junk
    }

    /// Adds the elements hinted away by `class` or `id`, unless they hold
    /// more than half of the text of `body` (a wrapper called
    /// `page has-sidebar`) or an `<article>`, `<main>` or `articleBody`.
    pub(super) fn add_hinted(&mut self, body: ElementRef<'_>, stats: &Stats) {
        let total = stats.of(body.id()).text;
        let mut stack = vec![*body];
        while let Some(node) = stack.pop() {
            for child in node.children() {
                if self.set.contains_key(&child.id()) {
                    continue;
                }
                let Some(el) = ElementRef::wrap(child) else {
                    continue;
                };
                if hinted_away(el.value())
                    && 2 * stats.of(child.id()).text <= total
                    && !holds_content(el)
                {
                    self.set.insert(child.id(), Kind::Boilerplate);
                } else {
                    stack.push(child);
                }
            }
        }
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

/// How `el` is left out by its own tag and attributes.
fn kind(el: &Element) -> Option<Kind> {
    let name = el.name();
    if INVISIBLE_TAGS.contains(&name) || hidden(el) {
        return Some(Kind::Invisible);
    }
    if BOILERPLATE_TAGS.contains(&name) {
        return Some(Kind::Boilerplate);
    }
    if let Some(role) = el.attr("role")
        && BOILERPLATE_ROLES
            .iter()
            .any(|r| role.eq_ignore_ascii_case(r))
    {
        return Some(Kind::Boilerplate);
    }
    None
}

/// Whether `class` or `id` of `el` says it is not content (or it is a
/// `<header>`).
fn hinted_away(el: &Element) -> bool {
    if matches!(el.name(), "body" | "html" | "article" | "main") {
        return false;
    }
    if el.name() == "header" {
        return true;
    }
    let hints = hint_text(el);
    !hints.is_empty()
        && (STRONG_HINTS.iter().any(|h| hinted(&hints, h))
            || WEAK_HINTS.iter().any(|h| hinted(&hints, h))
                && !POSITIVE_HINTS.iter().any(|h| hinted(&hints, h)))
}

/// Whether `el` holds an element that says it is the content: a hint on
/// the wrapper (`wide-banner-placeholder`) does not outweigh that.
fn holds_content(el: ElementRef<'_>) -> bool {
    el.descendants().filter_map(ElementRef::wrap).any(|d| {
        let v = d.value();
        matches!(v.name(), "article" | "main")
            || v.attr("itemprop").is_some_and(|p| p.contains("articleBody"))
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
pub(super) fn hinted(hints: &str, hint: &str) -> bool {
    if hint.len() >= 6 {
        return hints.contains(hint);
    }
    hints
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| part == hint)
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
