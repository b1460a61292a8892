//! The bounded DOM: html5ever's tokenizer and tree builder with a guard
//! between them, so no page can make a DOM cost more than its size says.
//! Every DOM trawl builds (`--select` now; content extraction and rendered
//! pages next) is built here.
//!
//! - **Depth.** The tree builder looks through its stack of open elements
//!   at most tags, so 300,000 nested `<div>`s took minutes. As browsers do
//!   (Gecko stops nesting at 200 levels, Blink at 512), an element that
//!   would open below `MAX_DEPTH` (256) levels first closes the one open at
//!   the limit: deeper elements become siblings there, in order, with their
//!   text and links, and the end tags of the elements closed early are
//!   dropped when they come. The guard's
//!   count follows start and end tags, void elements excepted, and closes a
//!   `<p>`, `<li>`, `<td>`… left open when the next one starts, as the tree
//!   builder does, so ordinary pages never reach the limit.
//! - **Size.** At most `Limits::max_nodes` elements, comments and text runs;
//!   past that the parse stops with `TooLarge`.
//! - **Time.** The deadline is looked at every 1,024 nodes and between the
//!   64 KiB chunks the input is fed in (a chunk of hostile markup can cost
//!   more than the whole deadline); past it the parse stops with `Timeout`.
//! - **Scripts off.** The tree builder parses as a browser with scripting
//!   disabled: a `<noscript>`'s contents are elements, not one run of raw
//!   text, so content extraction can read a page (a Blogger post) whose
//!   text is there and nowhere else. Links keep the scanner's view of it
//!   (`links`).
//! - Parse errors are not kept (scraper's `errors` feature is off, and the
//!   guard drops the tokenizer's): 2 million `<!--` are 2 million errors.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Instant;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};
use html5ever::{LocalName, local_name};
use scraper::{Html, HtmlTreeSink};

/// Levels of elements: between Gecko's 200 and Blink's 512. Real pages
/// stay far below (a deep one nests 40 levels); past it, every tag costs
/// the tree builder a look through this many open elements.
pub const MAX_DEPTH: usize = 256;
/// Elements, comments and text runs of one page's DOM.
pub const MAX_NODES: usize = 500_000;
/// Input fed to the parser at a time.
const CHUNK: usize = 64 * 1024;
/// Nodes between two looks at the deadline (a look costs ~25 ns, a node
/// ~500 ns).
const NODES_PER_LOOK: usize = 1024;

/// How far one DOM may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_nodes: usize,
    /// Past this the parse stops (`None`: no deadline).
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: MAX_NODES,
            deadline: None,
        }
    }
}

/// Why a DOM was not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomError {
    /// The deadline passed.
    Timeout,
    /// The page has more nodes than `max_nodes`.
    TooLarge(usize),
}

/// Parses `html` as a document within `limits`.
pub fn parse(html: &str, limits: Limits) -> Result<Html, DomError> {
    let builder = TreeBuilder::new(
        HtmlTreeSink::new(Html::new_document()),
        TreeBuilderOpts {
            scripting_enabled: false,
            ..TreeBuilderOpts::default()
        },
    );
    let guard = Guard {
        inner: builder,
        state: RefCell::default(),
        nodes: Cell::new(0),
        max_nodes: limits.max_nodes,
        deadline: limits.deadline,
        timed_out: Cell::new(false),
        in_text: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(guard, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        queue.push_back(StrTendril::from_slice(chunk));
        // Scripts are not run: a `Script` result only pauses the feed.
        while !queue.is_empty() {
            let _ = tokenizer.feed(&queue);
            if tokenizer.sink.over() {
                break;
            }
        }
        tokenizer.sink.look_at_the_deadline();
        if let Some(e) = tokenizer.sink.stopped() {
            return Err(e);
        }
    }
    tokenizer.end();
    tokenizer.sink.look_at_the_deadline();
    if let Some(e) = tokenizer.sink.stopped() {
        return Err(e);
    }
    Ok(tokenizer.sink.inner.sink.0.into_inner())
}

/// What the guard knows of the document so far.
#[derive(Default)]
struct Depth {
    /// Names of the elements open, as the guard counts them.
    open: Vec<LocalName>,
    /// End tags still to come of elements closed early, by name.
    closed_early: HashMap<LocalName, usize>,
}

/// Between the tokenizer and the tree builder: counts, caps the depth,
/// stops at `max_nodes`.
struct Guard<S: TokenSink> {
    inner: S,
    state: RefCell<Depth>,
    nodes: Cell<usize>,
    max_nodes: usize,
    deadline: Option<Instant>,
    /// The deadline passed: nothing more is built.
    timed_out: Cell<bool>,
    /// The last token was text: more text joins its run (one node).
    in_text: Cell<bool>,
}

impl<S: TokenSink> Guard<S> {
    fn over(&self) -> bool {
        self.nodes.get() > self.max_nodes || self.timed_out.get()
    }

    fn look_at_the_deadline(&self) {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.timed_out.set(true);
        }
    }

    /// Why the parse stopped, if it did.
    fn stopped(&self) -> Option<DomError> {
        if self.timed_out.get() {
            Some(DomError::Timeout)
        } else if self.nodes.get() > self.max_nodes {
            Some(DomError::TooLarge(self.max_nodes))
        } else {
            None
        }
    }

    fn count(&self) {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n.is_multiple_of(NODES_PER_LOOK) {
            self.look_at_the_deadline();
        }
    }
}

/// Elements with no content and no end tag.
fn void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("hr")
            | local_name!("img")
            | local_name!("input")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
            | local_name!("keygen")
    )
}

/// Elements whose end tag may be left out: the next one of the kind closes
/// an open one.
fn closes_its_kind(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("li")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("option")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
    )
}

fn end_tag(name: LocalName) -> Token {
    Token::TagToken(Tag {
        kind: TagKind::EndTag,
        name,
        self_closing: false,
        attrs: Vec::new(),
        had_duplicate_attributes: false,
    })
}

impl<S: TokenSink> TokenSink for Guard<S> {
    type Handle = S::Handle;

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<S::Handle> {
        if self.over() {
            return TokenSinkResult::Continue;
        }
        let text = matches!(token, Token::CharacterTokens(_) | Token::NullCharacterToken);
        let joins_a_run = text && self.in_text.get();
        self.in_text
            .set(text || matches!(token, Token::ParseError(_)) && self.in_text.get());
        match &token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                self.count();
                if void(&tag.name) || tag.self_closing {
                    return self.inner.process_token(token, line);
                }
                let mut d = self.state.borrow_mut();
                if closes_its_kind(&tag.name)
                    && let Some(at) = d.open.iter().rev().take(8).position(|n| *n == tag.name)
                {
                    let keep = d.open.len() - at - 1;
                    d.open.truncate(keep);
                }
                if d.open.len() > MAX_DEPTH {
                    // The element at the limit is closed now; its own end
                    // tag, when it comes, is dropped.
                    if let Some(last) = d.open.pop() {
                        *d.closed_early.entry(last.clone()).or_default() += 1;
                        let _ = self.inner.process_token(end_tag(last), line);
                    }
                }
                d.open.push(tag.name.clone());
            }
            Token::TagToken(tag) => {
                let mut d = self.state.borrow_mut();
                let open_at_limit = d.open.len() > MAX_DEPTH;
                if open_at_limit && d.open.last() == Some(&tag.name) {
                    d.open.pop();
                } else if let Some(n) = d.closed_early.get_mut(&tag.name).filter(|n| **n > 0) {
                    *n -= 1;
                    return TokenSinkResult::Continue;
                } else if let Some(at) = d.open.iter().rposition(|n| *n == tag.name) {
                    d.open.truncate(at);
                }
            }
            Token::CommentToken(_) => self.count(),
            Token::CharacterTokens(_) if !joins_a_run => self.count(),
            // Nobody reads them, and a page can make millions (one per
            // `<!--` inside a comment).
            Token::ParseError(_) => return TokenSinkResult::Continue,
            _ => {}
        }
        self.inner.process_token(token, line)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;

    fn deepest(doc: &Html) -> usize {
        doc.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_deep_page_is_flattened_at_the_limit_and_keeps_its_links() {
        let n = 20_000;
        let html = format!(
            "<title>t</title>{}<a href=/deep>deep</a>{}<p>after</p>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let started = Instant::now();
        let doc = parse(&html, Limits::default()).unwrap();
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
        assert!(deepest(&doc) <= MAX_DEPTH + 8, "{}", deepest(&doc));
        let a = Selector::parse("a").unwrap();
        let link = doc.select(&a).next().unwrap();
        assert_eq!(link.value().attr("href"), Some("/deep"));
        // What follows the deep part is back near the top.
        let p = Selector::parse("body > p").unwrap();
        assert_eq!(doc.select(&p).count(), 1, "{}", doc.html().len());
    }

    #[test]
    fn ordinary_pages_are_untouched() {
        let html = format!(
            "<title>t</title><ul>{}</ul><p>one<p>two<table><tr><td>a<td>b<tr><td>c</table>",
            "<li>item".repeat(2_000)
        );
        let bounded = parse(&html, Limits::default()).unwrap();
        assert_eq!(bounded.html(), Html::parse_document(&html).html());
    }

    #[test]
    fn too_many_nodes_and_a_passed_deadline_stop_the_parse() {
        let html = "<a href=/x>x</a>".repeat(1_000);
        let small = Limits {
            max_nodes: 500,
            deadline: None,
        };
        assert_eq!(parse(&html, small).unwrap_err(), DomError::TooLarge(500));
        let past = Limits {
            max_nodes: MAX_NODES,
            deadline: Some(Instant::now()),
        };
        assert_eq!(parse(&html, past).unwrap_err(), DomError::Timeout);
    }
}
