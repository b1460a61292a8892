//! Hints in `class` and `id`: what the words of an element's classes and
//! id say it is (boilerplate, strongly or weakly; content; the content's
//! own container). Read once for every element of a page (`HintMap`), with
//! one automaton over the long hints and a comparison of words for the
//! short ones.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use scraper::{ElementRef, Html};

use super::stats::IdMap;

/// Hints in `class`/`id` that an element is not content, whatever else it
/// says.
const STRONG_HINTS: &[&str] = &[
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
    "signup",
    "sign-up",
    "skip-link",
    "skiplink",
    "shoutbox",
    "pagination",
    "pager",
    "more-stories",
    "most-popular",
    "mostpopular",
    "trending",
    "disclaimer",
    "buybox",
    "syndication",
    "rating",
    "timestamp",
    "attachment",
    "article-infos",
    "metadata",
    "slider",
    "swiper",
    "carousel",
    "paidbox",
];
/// Hints of a comment thread: strong hints, and believed apart from the
/// story even when the other hints are not (`clean::Believe`).
const COMMENT_HINTS: &[&str] = &["comment", "kommentar", "disqus", "akismet"];
/// Hints of a caption, a credit, an author's or a contact box:
/// boilerplate when short (a video page's text may sit in its player's
/// `item-caption`).
/// All match anywhere (`artDetailAutor`).
const CAPTION_HINTS: &[&str] = &[
    "caption",
    "credit",
    "copyright",
    "legend",
    "author",
    "autor",
    "byline",
    "contact",
    "kontakt",
];
/// Hints of a "read more" button, or of the rest of the story it opens
/// (`<div id="read-more-content">`): boilerplate unless it holds prose.
const MORE_HINTS: &[&str] = &["read-more", "readmore"];
/// Hints of a paywall's banner, or of the story behind it, sent whole
/// (`<p class="paywall">` a paragraph at a time): boilerplate unless it is
/// such a paragraph or holds prose (`clean::behind_paywall`).
const PAYWALL_HINTS: &[&str] = &["paywall"];
/// Hints of a teaser: boilerplate when it links elsewhere, a tenth of its
/// text in links or more (a card for another article), content when not
/// (a German article's lead).
const TEASER_HINTS: &[&str] = &["teaser"];
/// Hints of a story's lead, between its headline and its body (`lead`).
const LEAD_HINTS: &[&str] = &[
    "lead",
    "deck",
    "intro",
    "chapo",
    "excerpt",
    "standfirst",
    "subheadline",
    "subtitle",
    "vorspann",
    "bajada",
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
const POSITIVE_HINTS: &[&str] = &[
    "article", "content", "main", "post", "entry", "story", "text", "body", "blog", "hentry",
];
/// Containers that name themselves as the content, in order of trust.
const CONTAINER_HINTS: &[&str] = &[
    "articlebody",
    "article-body",
    "article__body",
    "article_body",
    "article-content",
    "article__content",
    "articlecontent",
    "article-text",
    "entry-content",
    "post-content",
    "post-body",
    "postbody",
    "post-entry",
    "story-body",
    "storybody",
    "story-content",
    "single-content",
    "content-body",
    "main-content",
    "maincontent",
    "td-post-content",
    "blog-post",
];

/// What an element's hints say, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Flags(u16);

impl Flags {
    pub(super) const STRONG: Flags = Flags(1);
    pub(super) const WEAK: Flags = Flags(2);
    pub(super) const POSITIVE: Flags = Flags(4);
    pub(super) const CONTAINER: Flags = Flags(8);
    pub(super) const CAPTION: Flags = Flags(16);
    pub(super) const TEASER: Flags = Flags(32);
    pub(super) const LEAD: Flags = Flags(64);
    pub(super) const MORE: Flags = Flags(128);
    pub(super) const PAYWALL: Flags = Flags(256);
    pub(super) const COMMENT: Flags = Flags(512);

    pub(super) fn has(self, f: Flags) -> bool {
        self.0 & f.0 != 0
    }
}

/// Hints of 6 letters or more match anywhere (`cookiebanner`); shorter
/// ones only a whole word (`nav` in `main-nav`, not in `unavailable`).
/// Container and caption hints always match anywhere.
struct Matcher {
    long: AhoCorasick,
    long_flags: Vec<Flags>,
    short: Vec<(&'static str, Flags)>,
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut long = Vec::new();
    let mut long_flags = Vec::new();
    let mut short = Vec::new();
    let lists = [
        (STRONG_HINTS, Flags::STRONG),
        (COMMENT_HINTS, Flags(Flags::STRONG.0 | Flags::COMMENT.0)),
        (WEAK_HINTS, Flags::WEAK),
        (POSITIVE_HINTS, Flags::POSITIVE),
        (CAPTION_HINTS, Flags::CAPTION),
        (TEASER_HINTS, Flags::TEASER),
        (LEAD_HINTS, Flags::LEAD),
        (MORE_HINTS, Flags::MORE),
        (PAYWALL_HINTS, Flags::PAYWALL),
    ];
    for (list, flag) in lists {
        for h in list {
            if h.len() >= 6 || flag == Flags::CAPTION {
                long.push(*h);
                long_flags.push(flag);
            } else {
                short.push((*h, flag));
            }
        }
    }
    for h in CONTAINER_HINTS {
        long.push(*h);
        long_flags.push(Flags::CONTAINER);
    }
    // The patterns are literals of this module: building cannot fail.
    let long = AhoCorasick::new(&long).expect("hint patterns");
    Matcher {
        long,
        long_flags,
        short,
    }
});

/// What `text` (class and id, lower case) says.
pub(super) fn flags_of(text: &str) -> Flags {
    let m = &*MATCHER;
    let mut bits = 0u16;
    for found in m.long.find_overlapping_iter(text) {
        bits |= m.long_flags[found.pattern().as_usize()].0;
    }
    for part in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if part.is_empty() || part.len() >= 6 {
            continue;
        }
        for (h, f) in &m.short {
            if *h == part {
                bits |= f.0;
            }
        }
    }
    Flags(bits)
}

/// What `class` and `id` say of `el`; not an `id` made from the
/// element's heading (`<div id="sharing-with-others"><h2>Sharing with
/// others</h2>`: documentation generators name sections so), which says
/// what the section is about, not what it is. A heading's own `id` is
/// mostly an anchor for a table of contents (`<h3 id="nav_part_two">`):
/// only its strong hints count (`<h2 id="comments">`).
fn hints_of(el: ElementRef<'_>) -> Flags {
    let v = el.value();
    let lower = |s: &str| s.to_ascii_lowercase();
    let class = v
        .attr("class")
        .map_or(Flags::default(), |c| flags_of(&lower(c)));
    let Some(id) = v.attr("id").filter(|id| !heading_slug(el, id)) else {
        return class;
    };
    let id = flags_of(&lower(id));
    if matches!(v.name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
        Flags(class.0 | id.0 & Flags::STRONG.0)
    } else {
        Flags(class.0 | id.0)
    }
}

/// Whether `id` is the text of the first heading among the first
/// elements of `el`, letters and digits alone compared.
fn heading_slug(el: ElementRef<'_>, id: &str) -> bool {
    let Some(heading) = el
        .children()
        .filter_map(ElementRef::wrap)
        .take(3)
        .find(|c| matches!(c.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
    else {
        return false;
    };
    let id = slug(id.chars());
    !id.is_empty() && id == slug(heading.text().flat_map(str::chars))
}

/// Letters and digits, lower case.
fn slug(chars: impl Iterator<Item = char>) -> String {
    chars
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The hints of every element of a page that has any.
pub(super) struct HintMap {
    map: IdMap<Flags>,
}

impl HintMap {
    pub(super) fn read(doc: &Html) -> HintMap {
        let mut map = IdMap::default();
        for node in doc.tree.nodes() {
            let Some(el) = ElementRef::wrap(node) else {
                continue;
            };
            let v = el.value();
            if v.attr("class").is_none() && v.attr("id").is_none() {
                continue;
            }
            let f = hints_of(el);
            if f != Flags::default() {
                map.insert(node.id(), f);
            }
        }
        HintMap { map }
    }

    /// Whether no element of the page has a hint.
    pub(super) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(super) fn of(&self, el: ElementRef<'_>) -> Flags {
        self.map.get(&el.id()).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hinted(text: &str, f: Flags) -> bool {
        flags_of(text).has(f)
    }

    #[test]
    fn hints_match_whole_words_or_long_words() {
        assert!(hinted("site-header top", Flags::WEAK));
        assert!(hinted("main-nav", Flags::WEAK));
        assert!(!hinted("unavailable", Flags::WEAK));
        assert!(!hinted("canvas-wrap", Flags::WEAK));
        assert!(hinted("js-cookiebanner", Flags::STRONG));
        assert!(hinted("post-comments", Flags::STRONG));
        assert!(!hinted("loader", Flags::WEAK));
        assert!(hinted("ad slot", Flags::WEAK));
        assert!(hinted("entry-content", Flags::CONTAINER));
        assert!(hinted("entry-content", Flags::POSITIVE));
        assert!(!hinted("sidebarless", Flags::POSITIVE));
        assert!(hinted("story-lead-text", Flags::LEAD));
        assert!(hinted("article-subheadline", Flags::LEAD));
        assert!(!hinted("leaderboard", Flags::LEAD));
    }
}
