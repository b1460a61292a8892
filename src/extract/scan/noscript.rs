//! The content of a `<noscript>`, as the scanner and the DOM each see it.
//! To a browser running scripts it is text, so nothing in it counts, and
//! the scanner reads it so. The DOM is built with scripts off (content
//! extraction reads what is there only), holds it as elements and leaves
//! out the links, title, `<base>` and `<meta>` inside (`links::within`).
//! Both agree while the DOM's element spans what the scanner's text does;
//! the scanner reads the markup inside to know when that may not hold:
//!
//! - in the head, the tree builder ends it at the first element that does
//!   not belong in a head, so a link, title or `<base>` in it is outside;
//! - in the body, a tag inside may end it early (`<div>` ends a `<p>` open
//!   around it, and the `<noscript>` with it; `</p>` that `<p>`; in a
//!   table, most tags), and an element left open inside makes its
//!   `</noscript>` do nothing.
//!
//! Where a link, title, `<base>` or `<meta>` meets one of these, the page
//! is the DOM's to read (`uncertain`).

use super::tokens::one_of;

/// One `<noscript>` being read.
pub(super) struct Noscript {
    /// Offset of its `</noscript`, or the end of the page.
    pub end: usize,
    in_head: bool,
    /// HTML elements opened inside it and not yet closed.
    open: Vec<Vec<u8>>,
    /// What was open around it when it started.
    around: Around,
    /// A tag in it may have ended it in the DOM.
    maybe_ended: bool,
    /// A link, title or `<base>` is in it.
    link: bool,
    /// A `<meta>` is in it (in the head the DOM keeps one in it).
    meta: bool,
    /// Tags were misnested in it: the adoption agency decides what stays open.
    misnested: bool,
}

/// Elements open around a point of the page, over-counted: a `<p>`, `<a>`
/// or `<table>` start tag counts one more, its end tag one less.
#[derive(Clone, Copy, Default)]
pub(super) struct Around {
    pub p: usize,
    pub a: usize,
    pub table: usize,
}

impl Around {
    fn count(&mut self, name: &[u8]) -> Option<&mut usize> {
        match name.len() {
            1 if name.eq_ignore_ascii_case(b"p") => Some(&mut self.p),
            1 if name.eq_ignore_ascii_case(b"a") => Some(&mut self.a),
            5 if name.eq_ignore_ascii_case(b"table") => Some(&mut self.table),
            _ => None,
        }
    }

    /// A start tag outside a `<noscript>`.
    pub(super) fn start(&mut self, name: &[u8]) {
        if let Some(n) = self.count(name) {
            *n += 1;
        }
    }

    pub(super) fn end(&mut self, name: &[u8]) {
        if let Some(n) = self.count(name) {
            *n = n.saturating_sub(1);
        }
    }
}

impl Noscript {
    pub(super) fn new(end: usize, in_head: bool, around: Around) -> Self {
        Noscript {
            end,
            in_head,
            open: Vec::new(),
            around,
            // In a table the tree builder is "in table": a `<table>` or a
            // `</tr>` in the `<noscript>` ends it, and text and elements go
            // before the table (foster parenting).
            maybe_ended: around.table > 0,
            link: false,
            meta: false,
            misnested: false,
        }
    }

    /// A start tag inside: `html` when it is an HTML element (not SVG or
    /// MathML), `wanted` when it is an `a`, `area`, `base`, `meta` or `title`.
    pub(super) fn start(&mut self, name: &[u8], html: bool, wanted: bool) {
        if html {
            if !void(name) {
                self.open.push(name.to_ascii_lowercase());
            }
            self.maybe_ended |= if self.in_head {
                !super::head_element(name)
            } else {
                ends_around(name, self.around)
            };
        }
        let meta = name.eq_ignore_ascii_case(b"meta");
        self.link |= wanted && !meta;
        self.meta |= meta;
    }

    /// An HTML end tag inside.
    pub(super) fn end_tag(&mut self, name: &[u8]) {
        match self.open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
            Some(at) if at + 1 == self.open.len() => {
                self.open.pop();
            }
            Some(_) => self.misnested = true,
            // `</p>`, `</div>`, `</a>`… of an element open around it
            None => self.maybe_ended = true,
        }
    }

    /// Text that is not whitespace, in the head.
    pub(super) fn text_in_head(&mut self) {
        self.maybe_ended = true;
    }

    /// Why the scanner and the DOM may see its content differently, if
    /// they may.
    pub(super) fn uncertain(&self) -> Option<&'static str> {
        if self.misnested {
            Some("misnested tags in a <noscript>")
        } else if self.in_head && self.link || self.maybe_ended && (self.link || self.meta) {
            Some("a link, title or <base> in a <noscript> the DOM may end early")
        } else {
            None
        }
    }

    /// Whether the DOM's element ends at the `</noscript>` too: nothing
    /// opened inside is left open.
    pub(super) fn closes(&self) -> bool {
        self.open.is_empty()
    }
}

/// Whether an HTML start tag may end elements open around it, given what
/// is open (WHATWG "in body"): these close a `<p>`; `<a>` an `<a>`;
/// `<button>`, `<nobr>` and `<select>` one of their own.
fn ends_around(name: &[u8], around: Around) -> bool {
    const CLOSE_P: [&[u8]; 40] = [
        b"address",
        b"article",
        b"aside",
        b"blockquote",
        b"center",
        b"dd",
        b"details",
        b"dialog",
        b"dir",
        b"div",
        b"dl",
        b"dt",
        b"fieldset",
        b"figcaption",
        b"figure",
        b"footer",
        b"form",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"header",
        b"hgroup",
        b"hr",
        b"li",
        b"listing",
        b"main",
        b"menu",
        b"nav",
        b"ol",
        b"p",
        b"plaintext",
        b"pre",
        b"search",
        b"section",
        b"summary",
        b"table",
        b"ul",
    ];
    let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
    (around.p > 0 && (CLOSE_P.iter().any(|c| is(c)) || is(b"xmp")))
        || (around.a > 0 && is(b"a"))
        || is(b"button")
        || is(b"nobr")
        || is(b"select")
}

/// Elements of a table below `<table>`.
pub(super) fn table_part(name: &[u8]) -> bool {
    const PARTS: [&[u8]; 9] = [
        b"caption",
        b"col",
        b"colgroup",
        b"tbody",
        b"td",
        b"tfoot",
        b"th",
        b"thead",
        b"tr",
    ];
    one_of(name, &PARTS)
}

/// Elements with no content and no end tag.
fn void(name: &[u8]) -> bool {
    const VOID: [&[u8]; 18] = [
        b"area",
        b"base",
        b"basefont",
        b"bgsound",
        b"br",
        b"col",
        b"embed",
        b"frame",
        b"hr",
        b"img",
        b"input",
        b"keygen",
        b"link",
        b"meta",
        b"param",
        b"source",
        b"track",
        b"wbr",
    ];
    one_of(name, &VOID)
}
