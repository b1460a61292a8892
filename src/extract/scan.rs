//! The fast path of extraction: title and links from the token stream of
//! html5ever's tokenizer, without building a DOM. Used when no `--select`
//! field needs one. Elements whose content is not markup (`script`, `style`,
//! `textarea`, `title`, …) switch the tokenizer to the raw-text states the
//! HTML tree builder would, so a link inside a script or a comment is not a
//! link here either.

use std::cell::RefCell;

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use url::Url;

use super::links::{self, Link};

/// What the token stream yields.
#[derive(Default)]
struct Found {
    title: String,
    in_title: bool,
    title_done: bool,
    base: Option<String>,
    page_nofollow: bool,
    anchors: Vec<(String, Option<String>)>,
}

struct Sink(RefCell<Found>);

fn attr<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut f = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => match &*tag.name {
                "a" | "area" => {
                    if let Some(href) = attr(&tag, "href") {
                        f.anchors
                            .push((href.to_string(), attr(&tag, "rel").map(str::to_string)));
                    }
                }
                "base" if f.base.is_none() => f.base = attr(&tag, "href").map(str::to_string),
                "meta" if links::is_robots_nofollow(attr(&tag, "name"), attr(&tag, "content")) => {
                    f.page_nofollow = true;
                }
                "title" => {
                    if !f.title_done && !tag.self_closing {
                        f.in_title = true;
                    }
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
                "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
                "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                    return TokenSinkResult::RawData(RawKind::Rawtext);
                }
                "plaintext" => return TokenSinkResult::Plaintext,
                _ => {}
            },
            // The end of the first title (or of the input inside it).
            Token::TagToken(tag) if f.in_title && &*tag.name == "title" => {
                f.in_title = false;
                f.title_done = true;
            }
            Token::EOFToken if f.in_title => {
                f.in_title = false;
                f.title_done = true;
            }
            Token::CharacterTokens(text) if f.in_title => f.title.push_str(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Title and links of `html`, the page at `page`.
pub(super) fn scan(html: &str, page: &Url) -> (Option<String>, Vec<Link>) {
    let tokenizer = Tokenizer::new(
        Sink(RefCell::new(Found::default())),
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(html.into());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let f = tokenizer.sink.0.into_inner();
    let title = super::collapse_whitespace(&f.title);
    let anchors = f.anchors.iter().map(|(h, r)| (h.as_str(), r.as_deref()));
    let links = links::collect(page, f.base.as_deref(), f.page_nofollow, anchors);
    ((!title.is_empty()).then_some(title), links)
}
