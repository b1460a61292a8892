//! The lead of a story: the paragraph in bold type between the headline
//! and the body (a standfirst, `Vorspann`, `chapô`, `bajada`). Sites put it
//! in the story's header, beside the container that holds the body, so the
//! body alone misses it. It is found by its `class`/`id` (`hints`: `lead`,
//! `intro`, `excerpt`, `subheadline`…, or `teaser` with few links) in what
//! comes before the body's first element, up to six levels up, as long as
//! no other content lies between them, and the body does not repeat it.

use scraper::{ElementRef, Node};

use super::clean::{Junk, Kind};
use super::hints::{Flags, HintMap};

/// Levels above the body's first element looked through.
const LEVELS: usize = 6;
/// A lead's length in characters besides whitespace: a sentence to a
/// paragraph or two.
const SHORTEST: usize = 30;
const LONGEST: usize = 1_500;

/// The lead that comes just before `first`, the first element kept as the
/// main content, if the page has one.
pub(super) fn before<'a>(
    first: ElementRef<'a>,
    body: ElementRef<'a>,
    junk: &Junk,
    hints: &HintMap,
) -> Option<ElementRef<'a>> {
    let mut node = first;
    for _ in 0..LEVELS {
        if node.id() == body.id() {
            return None;
        }
        for sib in node.prev_siblings().filter_map(ElementRef::wrap) {
            if junk.get(sib.id()) == Some(Kind::Invisible) {
                continue;
            }
            if let Some(lead) = last_lead(sib, junk, hints) {
                // The body's own opening, shown twice (once as a lead
                // above a slideshow, once in the story), is not a lead.
                return (!opens(first, lead, junk)).then_some(lead);
            }
            // Content between: whatever lead comes before is not this body's.
            if junk.get(sib.id()).is_none() && letters(sib) > LONGEST {
                return None;
            }
        }
        node = node.parent().and_then(ElementRef::wrap)?;
    }
    None
}

/// The last lead in `el` (itself included), in document order.
fn last_lead<'a>(el: ElementRef<'a>, junk: &Junk, hints: &HintMap) -> Option<ElementRef<'a>> {
    let mut found = None;
    let mut stack = vec![el];
    while let Some(e) = stack.pop() {
        if junk.get(e.id()) == Some(Kind::Invisible) {
            continue;
        }
        let f = hints.of(e);
        if (f.has(Flags::LEAD) || f.has(Flags::TEASER)) && is_lead(e) {
            // Later in the page than what was found, or inside it.
            found = Some(e);
            continue;
        }
        stack.extend(e.children().filter_map(ElementRef::wrap).rev());
    }
    found
}

/// Whether the text of `body` holds that of `lead`, whitespace and what
/// is left out aside.
fn opens(body: ElementRef<'_>, lead: ElementRef<'_>, junk: &Junk) -> bool {
    let squeeze = |e: ElementRef<'_>| -> String {
        super::locate::text_of(e, junk)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    squeeze(body).contains(&squeeze(lead))
}

/// Whether `el` reads as a lead: a sentence or two, not a list of links.
fn is_lead(el: ElementRef<'_>) -> bool {
    let all = letters(el);
    let linked: usize = el
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|a| a.value().name() == "a")
        .map(letters)
        .sum();
    (SHORTEST..=LONGEST).contains(&all) && 10 * linked < 3 * all
}

/// Characters besides whitespace in `el`.
fn letters(el: ElementRef<'_>) -> usize {
    el.descendants()
        .filter_map(|n| match n.value() {
            Node::Text(t) => Some(t.chars().filter(|c| !c.is_whitespace()).count()),
            _ => None,
        })
        .sum()
}
