//! Character references (`&amp;`, `&#38;`, `&#x26;`) in attribute values and
//! title text, decoded as the WHATWG tokenizer does, with html5ever's table
//! of named references. Text without `&` is borrowed, not copied.

use std::borrow::Cow;

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// The longest name in the table ("CounterClockwiseContourIntegral;").
const LONGEST_NAME: usize = 32;

/// `s` with its character references decoded. `in_attribute` applies the
/// attribute rule: a reference without `;` followed by `=` or an
/// alphanumeric stays as written (`?a=1&copy=2` keeps its `&copy`).
/// A NUL, which the tokenizer replaces with U+FFFD in attribute values and
/// in a title, is replaced too.
pub(super) fn decode(s: &str, in_attribute: bool) -> Cow<'_, str> {
    let decoded = references(s, in_attribute);
    if !decoded.contains('\0') {
        return decoded;
    }
    Cow::Owned(decoded.replace('\0', "\u{FFFD}"))
}

fn references(s: &str, in_attribute: bool) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference(after, in_attribute) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The reference at the start of `s` (just after its `&`): the text it
/// stands for and how many bytes of `s` it used.
fn reference(s: &str, in_attribute: bool) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        return numeric(s);
    }
    let limit = b
        .iter()
        .take(LONGEST_NAME)
        .position(|c| !c.is_ascii_alphanumeric() && *c != b';')
        .unwrap_or(b.len().min(LONGEST_NAME));
    // the longest name in the table that `s` starts with
    for len in (1..=limit).rev() {
        let name = &s[..len];
        // the table also holds every prefix of a name, mapped to (0, 0)
        let Some(&(c1, c2)) = NAMED_ENTITIES.get(name).filter(|(c1, _)| *c1 != 0) else {
            continue;
        };
        if !name.ends_with(';')
            && in_attribute
            && b.get(len)
                .is_some_and(|c| *c == b'=' || c.is_ascii_alphanumeric())
        {
            return None;
        }
        let text = [c1, c2]
            .into_iter()
            .filter(|&c| c != 0)
            .filter_map(char::from_u32)
            .collect();
        return Some((text, len));
    }
    None
}

/// `#NNN;` or `#xHHH;` (the `;` may be missing).
fn numeric(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let (radix, start) = match b.get(1) {
        Some(b'x' | b'X') => (16, 2),
        _ => (10, 1),
    };
    let digits = b[start..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || (radix == 16 && c.is_ascii_hexdigit()))
        .count();
    if digits == 0 {
        return None;
    }
    let mut used = start + digits;
    if b.get(used) == Some(&b';') {
        used += 1;
    }
    let n = u32::from_str_radix(&s[start..start + digits], radix).unwrap_or(u32::MAX);
    let c = match n {
        0 | 0xD800..=0xDFFF | 0x110000.. => '\u{FFFD}',
        0x80..=0x9F => C1_REPLACEMENTS[(n - 0x80) as usize]
            .unwrap_or_else(|| char::from_u32(n).unwrap_or('\u{FFFD}')),
        _ => char::from_u32(n).unwrap_or('\u{FFFD}'),
    };
    Some((c.to_string(), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_numeric_and_legacy() {
        assert_eq!(decode("a &amp; b", false), "a & b");
        assert_eq!(decode("&lt;&gt;&quot;&apos;", false), "<>\"'");
        assert_eq!(decode("&#38;&#x26;&#X26;&#38", false), "&&&&");
        assert_eq!(
            decode("&#150;&#0;&#xD800;&#x110000;", false),
            "\u{2013}\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(decode("&amp &copy; &notin; &notit;", false), "& © ∉ ¬it;");
        assert_eq!(
            decode("&nosuch; & &; &#; &#x;", false),
            "&nosuch; & &; &#; &#x;"
        );
        assert_eq!(decode("&acE;", false), "\u{223E}\u{333}");
        assert!(matches!(decode("plain", false), Cow::Borrowed(_)));
    }

    #[test]
    fn attribute_rule() {
        assert_eq!(
            decode("?a=1&copy=2&amp=3&ampx", true),
            "?a=1&copy=2&amp=3&ampx"
        );
        assert_eq!(decode("?a=1&amp;copy=2&copy;", true), "?a=1&copy=2©");
        assert_eq!(decode("?x&amp-y", true), "?x&-y");
        assert_eq!(decode("&ampx", false), "&x");
    }
}
