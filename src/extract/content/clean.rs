//! Which elements are never content. Two kinds: *invisible* (scripts,
//! styles, forms' controls, hidden elements: never text, not even of the
//! whole page) and *boilerplate* (navigation, headers and footers,
//! sidebars, forms, datelines, cookie banners, share bars, comments: by
//! tag, ARIA role, or a hint in `class` and `id`, as Readability and
//! trafilatura read them; short captions, credits and author boxes,
//! teasers that link elsewhere, and "read more" boxes that hold no prose,
//! by their hints and their text).

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use super::hints::{Flags, HintMap};
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
    "script",
    "style",
    "template",
    "head",
    "title",
    "meta",
    "link",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "annotation",
    "annotation-xml",
    "canvas",
    "audio",
    "video",
    "source",
    "track",
    "map",
    "button",
    "input",
    "select",
    "textarea",
    "option",
    "optgroup",
    "datalist",
    "output",
    "progress",
    "meter",
    "dialog",
    "rt",
    "rp",
];

/// Around the content, not the content.
const BOILERPLATE_TAGS: &[&str] = &[
    "nav", "aside", "footer", "menu", "form", "fieldset", "label",
];

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
                if invisible(el) {
                    junk.set.insert(child.id(), Kind::Invisible);
                } else {
                    stack.push(child);
                }
            }
        }
        junk
    }

    /// This and the boilerplate under `body`: by tag and role (a
    /// `<figcaption>` unless it holds prose: a slideshow's captions are
    /// its text), and by `class` and `id` as far as `believe` says. An
    /// element that holds more than half of the text of `body` (`stats`:
    /// without the invisible), or an `<article>`, `<main>` or
    /// `articleBody`, is never boilerplate: a `<header>` left open, or a
    /// wrapper called `page has-sidebar`, holds the page.
    pub(super) fn with_boilerplate(
        &self,
        body: ElementRef<'_>,
        stats: &Stats,
        hint_map: &HintMap,
        believe: &Believe<'_>,
    ) -> Junk {
        let hints = matches!(believe, Believe::All).then_some(hint_map);
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
                let count = stats.of(child.id());
                let text = count.text;
                if (boilerplate(el, hints)
                    || believe.a_thread(el, hint_map)
                    || el.value().name() == "figcaption" && !holds_prose(el, stats)
                    || has(el, hints, Flags::CAPTION)
                        && text <= CAPTION
                        && !holds_prose(el, stats)
                        && !holds_container(el, hint_map)
                    || has(el, hints, Flags::TEASER) && count.link_density() > 0.1
                    || has(el, hints, Flags::MORE) && !holds_prose(el, stats)
                    || has(el, hints, Flags::PAYWALL) && !behind_paywall(el, stats))
                    && 2 * text <= total
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

/// Never shown as text. A `<noscript>` is, when it holds prose (the
/// post a script would have drawn); one that asks for JavaScript, or
/// holds a tracking pixel, is not.
fn invisible(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if v.name() == "noscript" {
        return el.text().map(|t| t.trim().len()).sum::<usize>() < NOSCRIPT_PROSE
            || escaped_markup(el);
    }
    INVISIBLE_TAGS.contains(&v.name()) || hidden(v)
}

/// Whether the text of `el` is markup written as text (a `<noscript>`
/// whose tags were escaped: `&lt;div&gt;&lt;img …&gt;`), which no reader
/// wants to see.
fn escaped_markup(el: ElementRef<'_>) -> bool {
    el.text().any(|t| {
        let t = t.trim_start();
        t.starts_with('<')
            && t[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
    })
}

/// Which `class` and `id` hints say what is boilerplate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Believe<'a> {
    All,
    /// Only those of a comment thread apart from these roots, the story a
    /// first look found: a second look for a short story (`content`) must
    /// not find its comments instead. Inside the story, "comment" is as
    /// likely commentary (a live ticker's, a gallery's); with no story
    /// found, the page is the thread (a forum's).
    CommentsApartFrom(&'a [NodeId]),
}

impl Believe<'_> {
    /// Whether `el` is a comment thread, or in one, that is neither in nor
    /// around the story.
    fn a_thread(&self, el: ElementRef<'_>, hint_map: &HintMap) -> bool {
        let Believe::CommentsApartFrom(story) = self else {
            return false;
        };
        let related = |root: NodeId| {
            // In the story: a root above `el`; around it: `el` above a root.
            el.ancestors().any(|a| a.id() == root)
                || el
                    .tree()
                    .get(root)
                    .is_some_and(|r| r.ancestors().any(|a| a.id() == el.id()))
        };
        !story.is_empty()
            && hint_map.of(el).has(Flags::COMMENT)
            && !story.iter().any(|&root| root == el.id() || related(root))
    }
}

/// The least text of a `<noscript>` shown as content: over what a
/// "please enable JavaScript" says, less than a post.
const NOSCRIPT_PROSE: usize = 200;

/// Around the content by tag or role, or (with `hints`) by what `class`
/// or `id` says.
fn boilerplate(el: ElementRef<'_>, hints: Option<&HintMap>) -> bool {
    let name = el.value().name();
    if BOILERPLATE_TAGS.contains(&name) {
        return true;
    }
    if let Some(role) = el.value().attr("role")
        && BOILERPLATE_ROLES
            .iter()
            .any(|r| role.eq_ignore_ascii_case(r))
    {
        return true;
    }
    if name == "time" && !in_running_text(el) {
        return true;
    }
    let Some(hints) = hints else {
        return false;
    };
    if matches!(name, "body" | "html") {
        return false;
    }
    if name == "header" {
        return true;
    }
    let f = hints.of(el);
    // An `<article>` or `<main>` is taken at its word unless a strong hint
    // says otherwise (`<article class="buybox subscribe">`); so is a part
    // of a table (`<th class="headerSort">` is a column's heading).
    let taken = matches!(
        name,
        "article" | "main" | "thead" | "tbody" | "tfoot" | "tr" | "th" | "td" | "caption"
    );
    f.has(Flags::STRONG) || !taken && f.has(Flags::WEAK) && !f.has(Flags::POSITIVE)
}

/// Whether `el` sits in a sentence: text beside it in its parent (a
/// date in a sentence is content; a date on its own, a dateline).
fn in_running_text(el: ElementRef<'_>) -> bool {
    el.parent().is_some_and(|p| {
        p.children()
            .any(|c| c.value().as_text().is_some_and(|t| t.trim().len() > 2))
    })
}

/// Whether `el` holds a paragraph of prose (a video's description in its
/// player's caption box), which a caption does not.
fn holds_prose(el: ElementRef<'_>, stats: &Stats) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .any(|d| d.value().name() == "p" && stats.of(d.id()).text > 100)
}

/// Whether `el` holds the element named as the content's container (a
/// short post `<div class="hentry post author-admin">` around its
/// `entry-content`, not a byline box).
fn holds_container(el: ElementRef<'_>, hint_map: &HintMap) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .any(|d| hint_map.of(d).has(Flags::CONTAINER))
}

/// Whether `el`, marked as a paywall, is the story behind it: a
/// paragraph of the class `paywall` itself (`<p class="paywall">`, sent
/// whole a paragraph at a time), or what holds prose; not a banner
/// (`<p class="paywall-message">`).
fn behind_paywall(el: ElementRef<'_>, stats: &Stats) -> bool {
    let v = el.value();
    v.name() == "p" && v.classes().any(|c| c.eq_ignore_ascii_case("paywall"))
        || holds_prose(el, stats)
}

/// The most text a caption has.
const CAPTION: u32 = 300;

/// Whether `hints` are believed and say `flag` of `el`.
fn has(el: ElementRef<'_>, hints: Option<&HintMap>, flag: Flags) -> bool {
    hints.is_some_and(|h| h.of(el).has(flag))
}

/// A `<header>` of an article (its title, its lead), not of the page:
/// inside an `<article>` or `<main>`.
fn article_header(el: ElementRef<'_>) -> bool {
    el.value().name() == "header"
        && el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| matches!(a.value().name(), "article" | "main"))
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
