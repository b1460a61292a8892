//! What the page says of itself in its head: language, description,
//! canonical URL, and the `<base href>` its links resolve against.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use crate::extract::{collapse_whitespace, parse_static};
use crate::urls::normalize;

pub(super) struct Head {
    pub lang: Option<String>,
    pub description: Option<String>,
    pub canonical: Option<String>,
    pub base: Option<Url>,
}

static META: LazyLock<Selector> = LazyLock::new(|| parse_static("meta[content]"));
static CANONICAL: LazyLock<Selector> = LazyLock::new(|| parse_static("link[rel][href]"));
static BASE: LazyLock<Selector> = LazyLock::new(|| parse_static("base[href]"));

/// Reads the head of `doc`, the page at `url`. The language is `<html
/// lang>`, else a `Content-Language` meta; the description is the `description`
/// meta, else Open Graph's or Twitter's; the canonical URL is absolute.
pub(super) fn read(doc: &Html, url: &Url) -> Head {
    let base = doc
        .select(&BASE)
        .next()
        .and_then(|b| url.join(b.value().attr("href")?.trim()).ok());
    let mut description = [None, None, None];
    let mut content_language = None;
    for m in doc.select(&META) {
        let el = m.value();
        let key = el.attr("name").or_else(|| el.attr("property"));
        let content = el.attr("content").map(collapse_whitespace);
        let slot = match key.map(str::to_ascii_lowercase).as_deref() {
            Some("description") => 0,
            Some("og:description") => 1,
            Some("twitter:description") => 2,
            _ => {
                let http = el.attr("http-equiv");
                if http.is_some_and(|h| h.eq_ignore_ascii_case("content-language")) {
                    content_language = content_language.or(content);
                }
                continue;
            }
        };
        if description[slot].is_none() {
            description[slot] = content.filter(|c| !c.is_empty());
        }
    }
    let lang = doc
        .root_element()
        .value()
        .attr("lang")
        .or_else(|| doc.root_element().value().attr("xml:lang"))
        .map(str::trim)
        .map(str::to_string)
        .or(content_language)
        .map(|l| l.split(',').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty());
    let canonical = doc
        .select(&CANONICAL)
        .find(|l| {
            l.value().attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
            })
        })
        .and_then(|l| {
            normalize::resolve_link(base.as_ref().unwrap_or(url), l.value().attr("href")?)
        })
        .map(String::from);
    Head {
        lang,
        description: description.into_iter().flatten().next(),
        canonical,
        base,
    }
}
