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
    /// The longest schema.org `articleBody` of the page's JSON-LD.
    pub article_body: Option<String>,
}

static META: LazyLock<Selector> = LazyLock::new(|| parse_static("meta[content]"));
static CANONICAL: LazyLock<Selector> = LazyLock::new(|| parse_static("link[rel][href]"));
static BASE: LazyLock<Selector> = LazyLock::new(|| parse_static("base[href]"));
static JSON_LD: LazyLock<Selector> =
    LazyLock::new(|| parse_static(r#"script[type="application/ld+json"]"#));

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
        article_body: article_body(doc),
    }
}

/// The longest `articleBody` in the page's JSON-LD blocks (news sites put
/// the whole article there, and sometimes only there). A block that is not
/// JSON is passed over.
fn article_body(doc: &Html) -> Option<String> {
    let mut best: Option<String> = None;
    for script in doc.select(&JSON_LD) {
        let text: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(body)) = map.get("articleBody")
                        && best.as_ref().is_none_or(|b| body.len() > b.len())
                    {
                        best = Some(body.clone());
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    best.filter(|b| !b.trim().is_empty())
}
