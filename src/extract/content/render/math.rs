//! MathML written out: its TeX when the page carries it (a TeX
//! `<annotation>`, as MathJax and LaTeX converters leave it), inline
//! `$…$` or displayed `$$…$$` in Markdown;
//! otherwise, and in plain text, its `alttext` or its tokens in order,
//! one space apart (`a x 2 + b x + c = 0`). Formulas carry meaning that a
//! reader of the paragraph around them needs.

use scraper::ElementRef;

use super::{Blocks, Renderer};

impl Renderer<'_> {
    pub(super) fn math(&self, el: ElementRef<'_>, out: &mut Blocks) {
        let display = el
            .value()
            .attr("display")
            .is_some_and(|d| d.eq_ignore_ascii_case("block"));
        let alttext = el
            .value()
            .attr("alttext")
            .map(crate::extract::collapse_whitespace)
            .filter(|t| !t.is_empty());
        let tex = tex_annotation(el);
        let written = match (self.markdown(), tex) {
            (true, Some(tex)) if display => {
                out.flush();
                out.push_block(format!("$$\n{tex}\n$$"));
                return;
            }
            (true, Some(tex)) => format!("${tex}$"),
            _ => match alttext.or_else(|| tokens(el)) {
                Some(t) if self.markdown() => super::escape(&t),
                Some(t) => t,
                None => return,
            },
        };
        if display {
            out.flush();
            out.push_block(written);
        } else {
            out.push_raw(&written);
        }
    }
}

/// The TeX of a formula: its `<annotation encoding="application/x-tex">`.
fn tex_annotation(el: ElementRef<'_>) -> Option<String> {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .find(|d| {
            d.value().name() == "annotation"
                && d.value()
                    .attr("encoding")
                    .is_some_and(|e| e.to_ascii_lowercase().contains("tex"))
        })
        .map(|a| a.text().collect::<String>().trim().to_string())
        .filter(|t| !t.is_empty() && !t.contains('$'))
}

/// The text of each token element (`mi`, `mn`, `mo`, `mtext`, `ms`), in
/// order, one space apart; annotations left out.
fn tokens(el: ElementRef<'_>) -> Option<String> {
    let mut words = Vec::new();
    let mut stack = vec![el];
    while let Some(e) = stack.pop() {
        let name = e.value().name();
        if matches!(name, "annotation" | "annotation-xml") {
            continue;
        }
        if matches!(name, "mi" | "mn" | "mo" | "mtext" | "ms") {
            let t = crate::extract::collapse_whitespace(&e.text().collect::<String>());
            if !t.is_empty() {
                words.push(t);
            }
            continue;
        }
        let children: Vec<_> = e.children().filter_map(ElementRef::wrap).collect();
        stack.extend(children.into_iter().rev());
    }
    (!words.is_empty()).then(|| words.join(" "))
}
