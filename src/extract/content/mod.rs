//! Content for pipelines: the main content of a page (`--markdown`,
//! `--text`), or its whole `<body>` (`--whole-page`), and the page's
//! `lang`, `description` and `canonical`.
//!
//! Runs on a DOM built by `dom` (bounded), on the blocking pool. Along the
//! way: `hints` reads what each element's `class` and `id` say, once;
//! `clean` says which elements are never content (scripts, navigation,
//! cookie banners, hidden elements, class and id hints); `stats` counts
//! each element's text and link text once; `locate` finds the element that
//! holds the main content (semantic containers first, then scoring of
//! paragraphs as Readability does), `lead` the story's lead set apart
//! before it, and `locate` falls back to the whole page when none holds
//! enough of its text; `render` writes what is kept as
//! GitHub-flavoured Markdown or plain text, links and images absolute;
//! `meta` reads the head.

mod clean;
mod hints;
mod lead;
mod locate;
mod meta;
mod render;
mod stats;

use scraper::Html;
use url::Url;

/// Main content shorter than this (characters besides whitespace, outside
/// links) is looked for again without class and id hints.
const ENOUGH: u32 = 1_000;

/// Main content shorter than this is replaced by the page's JSON-LD
/// `articleBody` when that is much longer.
const SHORT: u32 = 500;

/// What content a run asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentOpts {
    pub markdown: bool,
    pub text: bool,
    /// The whole `<body>`, not its main content.
    pub whole_page: bool,
}

impl ContentOpts {
    /// Whether any content is asked for.
    pub fn any(&self) -> bool {
        self.markdown || self.text
    }
}

/// The content fields of one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub markdown: Option<String>,
    pub text: Option<String>,
    pub lang: Option<String>,
    pub description: Option<String>,
    pub canonical: Option<String>,
}

/// The content `opts` asks for of `doc`, the page at `url`.
pub fn content(doc: &Html, url: &Url, opts: ContentOpts) -> Content {
    let head = meta::read(doc, url);
    let body = locate::body(doc.root_element());
    let invisible = clean::Junk::invisible(doc);
    let visible = stats::Stats::count(doc, &invisible);
    let hint_map = hints::HintMap::read(doc);
    // As Readability does: when what is found is short, look again
    // without the class and id hints, and keep what found much more; but
    // not a comment thread beside the story found first, which is what a
    // short story's page has most of.
    let mut best: Option<(clean::Junk, stats::Stats, locate::Kept<'_>)> = None;
    for hints in [true, false] {
        let story: Vec<_> = best
            .as_ref()
            .filter(|(_, s, k)| k.plain(s) > 0)
            .map(|(_, _, k)| k.roots.iter().map(|e| e.id()).collect())
            .unwrap_or_default();
        let believe = if hints {
            clean::Believe::All
        } else {
            clean::Believe::CommentsApartFrom(&story)
        };
        let junk = invisible.with_boilerplate(body, &visible, &hint_map, &believe);
        let stats = stats::Stats::count(doc, &junk);
        let kept = if opts.whole_page {
            locate::Kept::whole(body)
        } else {
            locate::main_content(body, &junk, &stats, &hint_map)
        };
        let found = kept.plain(&stats);
        // Only much more counts: without hints, boilerplate is found too.
        let better = best.as_ref().is_none_or(|(_, s, k)| found > 2 * k.plain(s));
        if better {
            best = Some((junk, stats, kept));
        }
        // Without hints to drop, a second look would find the same.
        if opts.whole_page || found >= ENOUGH || hint_map.is_empty() {
            break;
        }
    }
    let Some((junk, stats, kept)) = best else {
        return Content::default();
    };
    // Little found in the page, more in its JSON-LD: that is the article.
    let found = kept.plain(&stats) as usize;
    if !opts.whole_page
        && found < SHORT as usize
        && let Some(article) = head
            .article_body
            .as_deref()
            .filter(|a| a.chars().filter(|c| !c.is_whitespace()).count() > 2 * found.max(100))
    {
        return Content {
            markdown: opts
                .markdown
                .then(|| render::paragraphs(article, render::Mode::Markdown)),
            text: opts
                .text
                .then(|| render::paragraphs(article, render::Mode::Text)),
            lang: head.lang,
            description: head.description,
            canonical: head.canonical,
        };
    }
    let base = head.base.as_ref().unwrap_or(url);
    // What is kept may render to nothing (all of it links, or hidden):
    // then the whole page without boilerplate, then the whole page.
    let fallbacks = [
        locate::Kept::without_boilerplate(body),
        locate::Kept::whole(body),
    ];
    let render = |mode| {
        std::iter::once(&kept)
            .chain(&fallbacks)
            .map(|k| render::render(k, &junk, &stats, base, mode))
            .find(|r| !r.is_empty())
            .unwrap_or_default()
    };
    Content {
        markdown: opts.markdown.then(|| render(render::Mode::Markdown)),
        text: opts.text.then(|| render(render::Mode::Text)),
        lang: head.lang,
        description: head.description,
        canonical: head.canonical,
    }
}

#[cfg(test)]
mod tests;
