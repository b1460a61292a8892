//! SVG and MathML inside HTML (WHATWG "in foreign content"): which
//! elements are open, so the scanner knows when a tag is foreign. There no
//! element's content is raw text (an SVG `<title>` is an icon's name, not
//! the document's title, and `<![CDATA[` opens a CDATA section); an HTML
//! element such as `<p>` or `<div>` ends it, as does an end tag of an
//! element open around it.
//!
//! What the scanner does not model it reports, and the page is read by the
//! DOM instead (`extract`): a start tag inside an integration point (SVG
//! `foreignObject`, `desc`, `title`; MathML `mi`, `mo`, `mn`, `ms`,
//! `mtext`, `annotation-xml`), where HTML elements open inside the foreign
//! element, and an end tag that closes no open foreign element, whose
//! effect depends on the HTML elements open outside.

use super::tokens::{Tag, one_of};

#[derive(Clone, Copy, PartialEq)]
enum Ns {
    Svg,
    MathMl,
}

/// What a start tag is.
#[derive(Debug, PartialEq)]
pub(super) enum Start {
    Html,
    Foreign,
    /// An HTML element inside an integration point.
    Unmodelled,
}

/// The open foreign elements, lower-cased, innermost last.
#[derive(Default)]
pub(super) struct Foreign(Vec<(Vec<u8>, Ns)>);

impl Foreign {
    #[inline]
    pub(super) fn active(&self) -> bool {
        !self.0.is_empty()
    }

    /// Whether a start tag named `name` must see its attributes first
    /// (`font` ends foreign content only with some).
    pub(super) fn needs_attrs(&self, name: &[u8]) -> bool {
        self.active() && name.eq_ignore_ascii_case(b"font")
    }

    /// A start tag named `name` (with its attributes when `needs_attrs`).
    pub(super) fn start(&mut self, name: &[u8], tag: &Tag) -> Start {
        let ns = match self.0.last() {
            None if name.eq_ignore_ascii_case(b"svg") => Ns::Svg,
            None if name.eq_ignore_ascii_case(b"math") => Ns::MathMl,
            None => return Start::Html,
            Some((top, ns)) => {
                if integration_point(top, *ns, name) {
                    return Start::Unmodelled;
                }
                let font = name.eq_ignore_ascii_case(b"font")
                    && ["color", "face", "size"]
                        .iter()
                        .any(|a| tag.get(a).is_some());
                if font || breaks_out(name) {
                    self.0.clear();
                    return Start::Html;
                }
                *ns
            }
        };
        if !tag.self_closing {
            self.0.push((name.to_ascii_lowercase(), ns));
        }
        Start::Foreign
    }

    /// An end tag: closes the innermost open foreign element of that name
    /// and those inside it; `</p>` and `</br>` close those up to an
    /// integration point. `false` when it closes none of them.
    pub(super) fn end(&mut self, name: &[u8]) -> bool {
        if self.0.is_empty() {
            return true;
        }
        if name.eq_ignore_ascii_case(b"p") || name.eq_ignore_ascii_case(b"br") {
            while let Some((top, ns)) = self.0.last() {
                if integration_point(top, *ns, b"") {
                    break;
                }
                self.0.pop();
            }
            return true;
        }
        match self
            .0
            .iter()
            .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(at) => {
                self.0.truncate(at);
                true
            }
            None => {
                self.0.clear();
                false
            }
        }
    }
}

/// Whether a start tag `name` inside the open element `top` is HTML: `top`
/// is an HTML integration point, or a MathML text integration point and
/// `name` is not `mglyph` or `malignmark`.
fn integration_point(top: &[u8], ns: Ns, name: &[u8]) -> bool {
    match ns {
        Ns::Svg => matches!(top, b"foreignobject" | b"desc" | b"title"),
        Ns::MathMl => {
            top == b"annotation-xml"
                || (matches!(top, b"mi" | b"mo" | b"mn" | b"ms" | b"mtext")
                    && !name.eq_ignore_ascii_case(b"mglyph")
                    && !name.eq_ignore_ascii_case(b"malignmark"))
        }
    }
}

/// HTML elements whose start tag ends foreign content (WHATWG "in foreign
/// content"; `font` only with `color`, `face` or `size`, see `start`).
fn breaks_out(name: &[u8]) -> bool {
    const HTML: [&[u8]; 44] = [
        b"b",
        b"big",
        b"blockquote",
        b"body",
        b"br",
        b"center",
        b"code",
        b"dd",
        b"div",
        b"dl",
        b"dt",
        b"em",
        b"embed",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"head",
        b"hr",
        b"i",
        b"img",
        b"li",
        b"listing",
        b"menu",
        b"meta",
        b"nobr",
        b"ol",
        b"p",
        b"pre",
        b"ruby",
        b"s",
        b"small",
        b"span",
        b"strong",
        b"strike",
        b"sub",
        b"sup",
        b"table",
        b"tt",
        b"u",
        b"ul",
        b"var",
    ];
    one_of(name, &HTML)
}
