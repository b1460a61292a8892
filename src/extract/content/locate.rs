//! Where the main content is. First a semantic container (schema.org's
//! `articleBody`, the largest `<article>`, `<main>`, a `class`/`id` such as
//! `entry-content`), then Readability's scoring of paragraphs (each
//! paragraph's length and commas go to its parent and, less and less, to
//! four more ancestors; an ancestor's score is cut by its link density;
//! the best brings its siblings, or the steps of one class it sits in),
//! and the wider of the two when one holds the other; an `<article>` that
//! is one of several parts of a page (a recipe's boxes, a thread's posts,
//! a story's sections) brings the others, as every `articleBody` does. A
//! lead set apart from the body before it is put in front (`lead`). A
//! short find on a page of much more text widens to the whole page
//! without boilerplate and link blocks. When neither holds a fair part of
//! the page's text, the page has no main content (an index, a gallery):
//! the whole page is kept, boilerplate left out, and when even that is
//! empty, the whole page.

use ego_tree::NodeId;
use scraper::{ElementRef, Node};

use super::clean::Junk;
use super::hints::{Flags, HintMap};
use super::stats::{IdMap, Stats};

/// What to render: `roots` in order, and how much to leave out of them.
pub(super) struct Kept<'a> {
    pub roots: Vec<ElementRef<'a>>,
    pub leave_out: LeaveOut,
}

/// How much of the kept subtrees is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LeaveOut {
    /// Only what is never text (`--whole-page`, and the last fallback).
    Invisible,
    /// Boilerplate too (the whole page without its navigation).
    Boilerplate,
    /// Boilerplate and blocks made mostly of links (main content).
    LinkBlocks,
}

impl<'a> Kept<'a> {
    pub(super) fn whole(body: ElementRef<'a>) -> Kept<'a> {
        Kept {
            roots: vec![body],
            leave_out: LeaveOut::Invisible,
        }
    }

    /// Text outside links in what is kept.
    pub(super) fn plain(&self, stats: &Stats) -> u32 {
        if self.roots.len() == 1 && self.leave_out != LeaveOut::LinkBlocks {
            // The whole page: not the main content.
            return 0;
        }
        self.roots.iter().map(|e| stats.of(e.id()).plain()).sum()
    }

    pub(super) fn without_boilerplate(body: ElementRef<'a>) -> Kept<'a> {
        Kept {
            roots: vec![body],
            leave_out: LeaveOut::Boilerplate,
        }
    }
}

/// `<body>`, or the root when there is none.
pub(super) fn body(root: ElementRef<'_>) -> ElementRef<'_> {
    root.children()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "body")
        .unwrap_or(root)
}

/// The main content of `body`, or the whole of it.
pub(super) fn main_content<'a>(
    body: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
    hints: &HintMap,
) -> Kept<'a> {
    let total = stats.of(body.id()).plain();
    let semantic = semantic(body, junk, stats, hints);
    let scored = scored(body, junk, stats, hints);
    let roots = match (semantic, scored) {
        (Some(s), Some(r)) => {
            let r_text: u32 = r.iter().map(|e| stats.of(e.id()).plain()).sum();
            let s_text: u32 = s.iter().map(|e| stats.of(e.id()).plain()).sum();
            let inside = r
                .iter()
                .all(|e| e.ancestors().any(|a| s.iter().any(|s| s.id() == a.id())));
            if inside || s_text >= r_text { s } else { r }
        }
        (Some(s), None) => s,
        (None, Some(r)) => r,
        (None, None) => Vec::new(),
    };
    let kept: u32 = roots.iter().map(|e| stats.of(e.id()).plain()).sum();
    // A short find on a page with much more text besides (a recipe's
    // lead, not its steps; one post of a thread): the whole page, its
    // boilerplate and blocks of links left out, says more.
    if !roots.is_empty() && kept < 2_000 && total > 4 * kept {
        return Kept {
            roots: vec![body],
            leave_out: LeaveOut::LinkBlocks,
        };
    }
    if !roots.is_empty() && (kept >= 250 || 2 * kept >= total) {
        let mut roots = roots;
        if let Some(lead) = super::lead::before(roots[0], body, junk, hints) {
            roots.insert(0, lead);
        }
        return Kept {
            roots,
            leave_out: LeaveOut::LinkBlocks,
        };
    }
    Kept::without_boilerplate(body)
}

/// The element that says it is the content, when it holds a fair part of
/// the page's text (or the parts of it, `parts_of_one`).
fn semantic<'a>(
    body: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
    hints: &HintMap,
) -> Option<Vec<ElementRef<'a>>> {
    let total = stats.of(body.id()).plain();
    let mut best: [Option<(u32, ElementRef<'a>)>; 4] = [None; 4];
    walk(body, junk, &mut |el| {
        let v = el.value();
        let named = hints.of(el).has(Flags::CONTAINER);
        let tier = if article_body(el) {
            0
        } else if named {
            1
        } else if v.name() == "article" {
            2
        } else if v.name() == "main" || v.attr("role").is_some_and(|r| r == "main") {
            3
        } else {
            return;
        };
        let text = stats.of(el.id()).plain();
        // Of several articles (the page's, then teasers of others), the
        // first that is not much shorter than a later one.
        let wins = |t: u32| if tier == 2 { text > 2 * t } else { text > t };
        if best[tier].is_none_or(|(t, _)| t < 200 || wins(t)) {
            best[tier] = Some((text, el));
        }
    });
    best.into_iter()
        .flatten()
        .find(|(text, _)| *text >= 200 && (*text >= 1_000 || 4 * *text >= total))
        .map(|(_, el)| parts_of_one(el, body, junk, stats).unwrap_or_else(|| vec![el]))
}

/// What an `<article>` that is one of several parts of one page stands
/// for (a recipe's header, ingredients and steps; the posts of a forum
/// thread; a story told in sections, one `<article>` each), not one of a
/// list of stories: three or more `<article>` siblings, none made mostly
/// of links, give their parent; three or more spread over the page (not
/// inside one another, of 200 characters or more, links aside) are kept,
/// all of them, unless this one holds half their text (the story, and
/// teasers of others). Every `articleBody` of the page is one part of it;
/// a named container, each of its siblings of its class
/// (`split_container`).
fn parts_of_one<'a>(
    el: ElementRef<'a>,
    body: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
) -> Option<Vec<ElementRef<'a>>> {
    if article_body(el) {
        let mut parts = Vec::new();
        walk(body, junk, &mut |a| {
            if article_body(a) && !a.ancestors().filter_map(ElementRef::wrap).any(article_body) {
                parts.push(a);
            }
        });
        return (parts.len() > 1).then_some(parts);
    }
    if el.value().name() != "article" {
        return split_container(el, junk, stats);
    }
    let plain = |a: &ElementRef<'_>| stats.of(a.id()).link_density() < 0.3;
    let parent = el.parent().and_then(ElementRef::wrap)?;
    let siblings: Vec<_> = parent
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() == "article" && junk.get(c.id()).is_none())
        .collect();
    if siblings.len() >= 3 && siblings.iter().all(plain) {
        return Some(vec![parent]);
    }
    let mut parts = Vec::new();
    walk(body, junk, &mut |a| {
        if a.value().name() == "article"
            && plain(&a)
            && stats.of(a.id()).plain() >= 200
            && !in_article(a)
        {
            parts.push(a);
        }
    });
    let sum: u32 = parts.iter().map(|a| stats.of(a.id()).plain()).sum();
    let one = parts.len() < 3 || !parts.contains(&el) || 2 * stats.of(el.id()).plain() >= sum;
    (!one).then_some(parts)
}

/// A container the story is split over (`<div class="story-body">` once
/// before an advertisement and once after): its siblings of its class
/// with 200 characters or more outside links.
fn split_container<'a>(
    el: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
) -> Option<Vec<ElementRef<'a>>> {
    let mut parts = of_its_class(el, junk, stats)?;
    parts.retain(|a| a.id() == el.id() || stats.of(a.id()).plain() >= 200);
    // The container itself mostly links: its siblings do not stand for it.
    (parts.len() > 1 && parts.contains(&el)).then_some(parts)
}

/// `el` and its siblings of its class, in order, none left out or made
/// mostly of links.
fn of_its_class<'a>(el: ElementRef<'a>, junk: &Junk, stats: &Stats) -> Option<Vec<ElementRef<'a>>> {
    let class = el.value().attr("class")?;
    let parent = el.parent().and_then(ElementRef::wrap)?;
    Some(
        parent
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|a| {
                junk.get(a.id()).is_none()
                    && a.value().attr("class") == Some(class)
                    && stats.of(a.id()).link_density() < 0.3
            })
            .collect(),
    )
}

/// Whether `el` says it is the body of an article (schema.org).
fn article_body(el: ElementRef<'_>) -> bool {
    el.value()
        .attr("itemprop")
        .is_some_and(|p| p.contains("articleBody"))
}

/// Whether `el` is inside an `<article>`.
fn in_article(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "article")
}

/// Readability's candidate and the siblings that belong with it.
fn scored<'a>(
    body: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
    hints: &HintMap,
) -> Option<Vec<ElementRef<'a>>> {
    let mut scores: IdMap<f64> = IdMap::default();
    walk(body, junk, &mut |el| {
        if !paragraph(el) {
            return;
        }
        let text = text_of(el, junk);
        let len = text.chars().filter(|c| !c.is_whitespace()).count();
        if len < 25 {
            return;
        }
        let commas = text.matches([',', '，', '、', '،']).count();
        let score = 1.0 + commas as f64 + (len as f64 / 100.0).min(3.0);
        for (level, anc) in el.ancestors().take(5).enumerate() {
            let Some(a) = ElementRef::wrap(anc) else {
                break;
            };
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f64 * 3.0,
            };
            *scores.entry(anc.id()).or_insert_with(|| initial(a, hints)) += score / divider;
            if anc.id() == body.id() {
                break;
            }
        }
    });
    let tree = body.tree();
    let final_score = |id: NodeId, s: f64| s * (1.0 - stats.of(id).link_density());
    let (top_id, top_score) = scores
        .iter()
        .map(|(id, s)| (*id, final_score(*id, *s)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut top = ElementRef::wrap(tree.get(top_id)?)?;
    // A lone child stands for its parent.
    while let Some(parent) = top.parent().and_then(ElementRef::wrap) {
        if parent.id() == body.id() || parent.children().filter_map(ElementRef::wrap).count() != 1 {
            break;
        }
        top = parent;
    }
    let Some(parent) = top.parent().and_then(ElementRef::wrap) else {
        return Some(vec![top]);
    };
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = top.value().attr("class");
    let mut kept = Vec::new();
    for sib in parent.children().filter_map(ElementRef::wrap) {
        if sib.id() == top.id() {
            kept.push(sib);
            continue;
        }
        if junk.get(sib.id()).is_some() {
            continue;
        }
        let mut s = scores
            .get(&sib.id())
            .map_or(0.0, |s| final_score(sib.id(), *s));
        if top_class.is_some() && sib.value().attr("class") == top_class {
            s += top_score * 0.2;
        }
        let c = stats.of(sib.id());
        let belongs = s >= threshold
            || sib.value().name() == "p" && {
                let d = c.link_density();
                c.text > 80 && d < 0.25
                    || c.text > 0 && d == 0.0 && text_of(sib, junk).trim_end().ends_with('.')
            };
        if belongs {
            kept.push(sib);
        }
    }
    let sum = |v: &[ElementRef<'_>]| v.iter().map(|e| stats.of(e.id()).plain()).sum::<u32>();
    // Readability looks at the siblings of its candidate only; a text in
    // steps puts each step in a box of its own.
    if let Some(steps) = repeated(top, body, junk, stats)
        && sum(&steps) > sum(&kept)
    {
        return Some(steps);
    }
    Some(kept)
}

/// Steps of one text (a how-to's steps, a page's sections, the posts of
/// a thread): `top` is, or is within two levels of, one of siblings of
/// one class, three or more of them with 50 characters or more outside
/// links: all of them, those mostly links aside. Taken when they hold
/// more than Readability's siblings.
fn repeated<'a>(
    top: ElementRef<'a>,
    body: ElementRef<'a>,
    junk: &Junk,
    stats: &Stats,
) -> Option<Vec<ElementRef<'a>>> {
    std::iter::once(top)
        .chain(top.ancestors().filter_map(ElementRef::wrap))
        .take(3)
        .take_while(|el| el.id() != body.id())
        .filter_map(|el| of_its_class(el, junk, stats))
        .find(|same| {
            same.iter()
                .filter(|c| stats.of(c.id()).plain() >= 50)
                .count()
                >= 3
        })
}

/// Readability's head start by tag and hints.
fn initial(el: ElementRef<'_>, hints: &HintMap) -> f64 {
    let v = el.value();
    let by_tag = match v.name() {
        "div" | "article" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let by_hint = if hints.of(el).has(Flags::POSITIVE) {
        25.0
    } else {
        0.0
    };
    by_tag + by_hint
}

/// Elements whose text Readability scores: paragraphs, and containers
/// with no block inside (text written straight into a `<div>`).
fn paragraph(el: ElementRef<'_>) -> bool {
    match el.value().name() {
        "p" | "pre" | "td" => true,
        "div" | "section" | "span" | "font" | "center" => !el
            .children()
            .filter_map(ElementRef::wrap)
            .any(|c| super::render::is_block(c.value().name())),
        _ => false,
    }
}

/// Visits every element under `root` that is not left out, parents first.
fn walk<'a>(root: ElementRef<'a>, junk: &Junk, visit: &mut impl FnMut(ElementRef<'a>)) {
    let mut stack = vec![root];
    while let Some(el) = stack.pop() {
        visit(el);
        let children: Vec<_> = el
            .children()
            .filter(|c| !junk.contains(*c))
            .filter_map(ElementRef::wrap)
            .collect();
        stack.extend(children.into_iter().rev());
    }
}

/// The text of `el`, left-out subtrees left out.
pub(super) fn text_of(el: ElementRef<'_>, junk: &Junk) -> String {
    let mut out = String::new();
    let mut stack = vec![*el];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(_) if !junk.contains(node) => {
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}
