//! robots.txt paths (RFC 9309 §2.2.2, §2.2.3): the one form a rule's path
//! and a URL's path are both put in before they are compared, and how a
//! pattern with `*` and a final `$` matches a path.
//!
//! The form: octets outside US-ASCII percent-encoded, every percent-escape
//! with upper-case hex digits, and escapes of unreserved characters
//! (letters, digits, `-`, `.`, `_`, `~`) decoded — so `Allow: /foo/bar/ツ`,
//! `Allow: /foo/bar/%e3%83%84` and the URL `/foo/bar/%E3%83%84` agree, and
//! `/foo/bar/%62%61%7A` is `/foo/bar/baz`, as the RFC's table in §2.2.2
//! says. Other escapes (`%2F`, `%3F`, …) stay escaped: decoding them would
//! change what the path means.

/// `s` in the form both sides are compared in.
pub fn normalize(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            let octet = h << 4 | l;
            if unreserved(octet) {
                out.push(octet);
            } else {
                push_escape(&mut out, octet);
            }
            i += 3;
            continue;
        }
        if b >= 0x80 {
            push_escape(&mut out, b);
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn push_escape(out: &mut Vec<u8>, octet: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(&[
        b'%',
        HEX[usize::from(octet >> 4)],
        HEX[usize::from(octet & 15)],
    ]);
}

/// RFC 3986 §2.3.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// A rule's path, normalized, ready to match.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: Box<[u8]>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No `*`, no final `$`: a prefix.
    Prefix,
    /// No `*`, a final `$`: the whole path.
    Exact,
    /// Has `*`.
    Wild,
}

impl Pattern {
    /// `raw` is the rule's value as written.
    pub fn new(raw: &[u8]) -> Pattern {
        Self::normalized(normalize(raw))
    }

    /// From a value already in the compared form.
    pub fn normalized(text: Vec<u8>) -> Pattern {
        let kind = if text.contains(&b'*') {
            Kind::Wild
        } else if text.last() == Some(&b'$') {
            Kind::Exact
        } else {
            Kind::Prefix
        };
        Pattern {
            text: text.into_boxed_slice(),
            kind,
        }
    }

    /// Its length: the longest matching rule wins (RFC 9309 §2.2.2).
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// Whether the pattern matches `path` (normalized) from its start.
    pub fn matches(&self, path: &[u8]) -> bool {
        match self.kind {
            Kind::Prefix => path.starts_with(&self.text),
            Kind::Exact => path == &self.text[..self.text.len() - 1],
            Kind::Wild => wild_matches(&self.text, path),
        }
    }
}

/// Matching with `*` (any run of octets) and a final `$` (the end of the
/// path; elsewhere a `$` is itself). Keeps the set of path offsets the
/// pattern read so far can end at, so a hostile pattern of many `*` costs
/// at most pattern × path steps, never exponential backtracking.
fn wild_matches(pattern: &[u8], path: &[u8]) -> bool {
    // ends[k]: the pattern so far can end at path offset k.
    let mut ends = vec![false; path.len() + 1];
    ends[0] = true;
    let mut lowest = 0;
    for (i, &p) in pattern.iter().enumerate() {
        if p == b'$' && i + 1 == pattern.len() {
            return ends[path.len()];
        }
        if p == b'*' {
            // Every offset from the lowest reachable one on.
            ends[lowest..].fill(true);
            continue;
        }
        let mut any = false;
        for k in (lowest..path.len()).rev() {
            let next = ends[k] && path[k] == p;
            ends[k + 1] = next;
            any |= next;
        }
        ends[lowest] = false;
        if !any {
            return false;
        }
        lowest = (lowest + 1..=path.len())
            .find(|&k| ends[k])
            .unwrap_or(path.len());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::new(pattern.as_bytes()).matches(&normalize(path.as_bytes()))
    }

    #[test]
    fn patterns_table() {
        let cases = [
            ("/", "/", true),
            ("/fish", "/fish.html", true),
            ("/fish", "/Fish", false),
            ("/fish/", "/fish", false),
            ("/*.php", "/folder/filename.php?parameters", true),
            ("/*.php", "/windows.PHP", false),
            ("/*.php$", "/filename.php", true),
            ("/*.php$", "/filename.php?parameters", false),
            ("/fish*.php", "/fishheads/catfish.php?parameters", true),
            ("/fish*.php", "/Fish.PHP", false),
            ("/a$", "/a", true),
            ("/a$", "/ab", false),
            ("/a$b", "/a$b", true),
            ("/a$b", "/ab", false),
            ("*", "/anything", true),
            ("/*/*/c", "/a/b/c", true),
            ("/*/*/c", "/a/c", false),
            ("/**a", "/xxa", true),
            ("/*$", "/x", true),
            ("", "/x", true),
            // The compared form.
            ("/foo/bar/ツ", "/foo/bar/%E3%83%84", true),
            ("/foo/bar/%e3%83%84", "/foo/bar/%E3%83%84", true),
            ("/foo/bar/%62%61%7A", "/foo/bar/baz", true),
            ("/a%2Fb", "/a/b", false),
            ("/a%2fb", "/a%2Fb", true),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(m(pattern, path), want, "{pattern:?} on {path:?}");
        }
    }

    #[test]
    fn normalizing() {
        let n = |s: &str| String::from_utf8(normalize(s.as_bytes())).unwrap();
        assert_eq!(n("/SanJoséSellers"), "/SanJos%C3%A9Sellers");
        assert_eq!(n("%aa%2f%41"), "%AA%2FA");
        assert_eq!(n("%zz%4"), "%zz%4");
        assert_eq!(normalize(&[b'/', 0xff]), b"/%FF");
    }

    #[test]
    fn many_stars_stay_cheap() {
        let pattern = format!("/{}x", "*a".repeat(2000));
        let path = format!("/{}", "a".repeat(16_000));
        let started = std::time::Instant::now();
        assert!(!m(&pattern, &path));
        // Quadratic, not exponential: well under a second even unoptimized.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
