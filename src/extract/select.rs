//! `--select` / `--select-all` fields: the text (or an attribute) of the first
//! or of every element matching a CSS selector. Selectors are compiled once,
//! when settings are resolved.

use scraper::{Html, Selector};
use serde_json::Value;

use crate::units::SelectSpec;

/// A compiled field extraction.
#[derive(Debug)]
pub struct FieldSpec {
    pub name: String,
    selector: Selector,
    attr: Option<String>,
    all: bool,
}

impl FieldSpec {
    /// Compiles the CSS of `spec`; the error quotes the selector.
    pub fn new(spec: SelectSpec, all: bool) -> Result<FieldSpec, String> {
        // scraper's own error text is not meant for users; the selector and
        // the field name are what a user needs to find the mistake.
        let selector = Selector::parse(&spec.css).map_err(|_| {
            format!(
                "invalid CSS selector {:?} for field {:?}",
                spec.css, spec.name
            )
        })?;
        Ok(FieldSpec {
            name: spec.name,
            selector,
            attr: spec.attr,
            all,
        })
    }

    /// `--select-all` (an array) rather than `--select`.
    pub fn all(&self) -> bool {
        self.all
    }

    fn value_of(&self, el: scraper::ElementRef<'_>) -> Option<String> {
        match &self.attr {
            Some(a) => el.value().attr(a).map(|v| v.trim().to_string()),
            None => Some(super::collapse_whitespace(&el.text().collect::<String>())),
        }
    }
}

/// `{name: value}` for every spec: a string or null (`--select`), an array (`--select-all`).
pub(super) fn fields(doc: &Html, specs: &[FieldSpec]) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for spec in specs {
        let mut matches = doc
            .select(&spec.selector)
            .filter_map(|el| spec.value_of(el));
        let value = if spec.all {
            Value::Array(matches.map(Value::String).collect())
        } else {
            matches.next().map_or(Value::Null, Value::String)
        };
        out.insert(spec.name.clone(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::parse_select;
    use serde_json::json;

    #[test]
    fn first_all_attr_and_missing() {
        let html = r#"<h1 class="name"> Blue
            Kettle </h1><span class="price">9.99</span>
            <li class="tag">a</li><li class="tag">b</li><img class="photo" src="/k.png">"#;
        let specs: Vec<FieldSpec> = [
            ("name=h1.name", false),
            ("price=.price", false),
            ("tags=li.tag", true),
            ("photo=img.photo@src", false),
            ("missing=.nope", false),
            ("none=.nope", true),
            ("noattr=h1@data-x", false),
        ]
        .into_iter()
        .map(|(s, all)| FieldSpec::new(parse_select(s).unwrap(), all).unwrap())
        .collect();
        let got = fields(&Html::parse_document(html), &specs);
        assert_eq!(
            Value::Object(got),
            json!({"name": "Blue Kettle", "price": "9.99", "tags": ["a", "b"],
                   "photo": "/k.png", "missing": null, "none": [], "noattr": null})
        );
    }

    #[test]
    fn bad_css_is_reported_with_the_selector() {
        let err = FieldSpec::new(parse_select("x=div[[").unwrap(), false).unwrap_err();
        assert!(err.contains("div[[") && err.contains("\"x\""), "{err}");
    }
}
