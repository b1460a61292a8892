//! The tokenizer states the scanner models, each as a function from an
//! offset to the offset where the state ends: a tag's attributes (WHATWG
//! "before attribute name" and after), the end of a comment, the end of a
//! raw-text or RCDATA element's content, and the end of a script's, with
//! its escaped and double-escaped states.

use memchr::{memchr, memmem};

/// Whether the tag name `name` is one of `names` (lower-case), ASCII
/// case-insensitive.
pub(super) fn one_of(name: &[u8], names: &[&[u8]]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0C)
}

/// Elements whose content is text up to their own end tag.
pub(super) fn raw_text_element(name: &[u8]) -> bool {
    const RAW: [&[u8]; 10] = [
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
        b"plaintext",
    ];
    one_of(name, &RAW)
}

/// One attribute: its name as written and its raw (undecoded) value.
pub(super) struct Attr<'a> {
    pub(super) name: &'a [u8],
    pub(super) value: &'a str,
}

/// A tag from just after its name to just after its `>`.
pub(super) struct Tag<'a> {
    pub(super) attrs: Vec<Attr<'a>>,
    /// Offset just after the closing `>`, or `None` when the input ends in the tag.
    pub(super) end: Option<usize>,
    /// Written `<name …/>` (the `/` in the "before attribute name" state).
    pub(super) self_closing: bool,
}

impl<'a> Tag<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a str> {
        self.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|a| a.value)
    }
}

/// Parses the attributes of a tag starting at `i` (just after its name), in
/// the WHATWG "before attribute name" state. With `keep` false nothing is
/// collected: the tag only has to be crossed. `attrs` is emptied and
/// filled (a buffer the caller reuses from tag to tag).
pub(super) fn parse_attrs<'a>(
    html: &'a str,
    mut i: usize,
    keep: bool,
    mut attrs: Vec<Attr<'a>>,
) -> Tag<'a> {
    let b = html.as_bytes();
    attrs.clear();
    let open = |attrs| Tag {
        attrs,
        end: None,
        self_closing: false,
    };
    loop {
        // before attribute name: whitespace and stray slashes
        let skip_from = i;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return open(attrs);
        }
        if b[i] == b'>' {
            return Tag {
                attrs,
                end: Some(i + 1),
                self_closing: i > skip_from && b[i - 1] == b'/',
            };
        }
        // attribute name: a leading `=` belongs to it
        let name_start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = &b[name_start..i];
        // after attribute name
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let mut value = "";
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return open(attrs);
            }
            match b[i] {
                q @ (b'"' | b'\'') => {
                    let Some(len) = memchr(q, &b[i + 1..]) else {
                        return open(attrs);
                    };
                    value = &html[i + 1..i + 1 + len];
                    i += len + 2;
                }
                b'>' => {}
                _ => {
                    let start = i;
                    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    value = &html[start..i];
                }
            }
        }
        if keep
            && !attrs
                .iter()
                .any(|a: &Attr| a.name.eq_ignore_ascii_case(name))
        {
            attrs.push(Attr { name, value });
        }
    }
}

/// Whether `name` is written at `at`, ASCII case-insensitive, and followed
/// by whitespace, `/` or `>`: the tokenizer's "appropriate end tag" test.
/// At the end of the input it is not (`</title` there is text).
fn name_at(html: &[u8], at: usize, name: &[u8]) -> bool {
    html.get(at..at + name.len())
        .is_some_and(|n| n.eq_ignore_ascii_case(name))
        && html
            .get(at + name.len())
            .is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
}

/// Offset of the end tag `</name` (followed by whitespace, `/` or `>`) at or
/// after `from`, ASCII case-insensitive: where the content of a raw-text or
/// RCDATA element ends.
pub(super) fn find_end_tag(html: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let finder = memmem::Finder::new(b"</");
    let mut at = from;
    while let Some(off) = finder.find(&html[at..]) {
        let p = at + off;
        if name_at(html, p + 2, name) {
            return Some(p);
        }
        at = p + 2;
    }
    None
}

/// Offset of the `</script` that ends a script's content starting at
/// `from`. A script without `<!--` before that end tag is plain script
/// data; with one, the tokenizer's escaped states decide: inside `<!--`
/// `<script>` starts a double-escaped part where `</script>` only ends that
/// part, and `-->` ends both.
pub(super) fn script_end(b: &[u8], from: usize) -> Option<usize> {
    let end = find_end_tag(b, from, b"script");
    if memmem::find(&b[from..end.unwrap_or(b.len())], b"<!--").is_none() {
        return end;
    }
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Data,
        Escaped(u8),
        Double(u8),
    }
    let mut s = S::Data;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        i += 1;
        s = match (s, c) {
            (S::Data, b'<') if b[i..].starts_with(b"!--") => {
                i += 3;
                S::Escaped(2)
            }
            (S::Data | S::Escaped(_), b'<')
                if b.get(i) == Some(&b'/') && name_at(b, i + 1, b"script") =>
            {
                return Some(i - 1);
            }
            (S::Data, _) => S::Data,
            // the count of dashes just seen, up to two; `-->` goes back to script data
            (S::Escaped(d), b'-') => S::Escaped((d + 1).min(2)),
            (S::Double(d), b'-') => S::Double((d + 1).min(2)),
            (S::Escaped(2) | S::Double(2), b'>') => S::Data,
            (S::Escaped(_), b'<') if name_at(b, i, b"script") => {
                i += 7; // the name and the character after it
                S::Double(0)
            }
            (S::Double(_), b'<') if b.get(i) == Some(&b'/') && name_at(b, i + 1, b"script") => {
                i += 8;
                S::Escaped(0)
            }
            (S::Escaped(_), _) => S::Escaped(0),
            (S::Double(_), _) => S::Double(0),
        };
    }
    None
}

/// End of a comment whose `<!--` ends just before `i`: after `-->` or `--!>`
/// (or at once for `<!-->` and `<!--->`).
pub(super) fn comment_end(b: &[u8], i: usize) -> usize {
    if b[i..].starts_with(b">") {
        return i + 1;
    }
    if b[i..].starts_with(b"->") {
        return i + 2;
    }
    let finder = memmem::Finder::new(b"--");
    let mut at = i;
    while let Some(off) = finder.find(&b[at..]) {
        let p = at + off + 2;
        match b.get(p) {
            Some(b'>') => return p + 1,
            Some(b'!') if b.get(p + 1) == Some(&b'>') => return p + 2,
            _ => at = p - 1,
        }
    }
    b.len()
}
