//! URL normalization: turning an `href` into the URL to request, and a URL
//! into the key that dedupe and the seen-set use.
//!
//! The URL requested is the link as written, resolved against its base by the
//! `url` crate (WHATWG rules: host lower-cased, default port dropped, `..`
//! resolved, spaces and tabs stripped) with the fragment dropped. The key adds
//! what the request must not change: upper-case percent-escapes and a host
//! without its trailing dot. Query parameters are never reordered.

use std::hash::Hasher;

use url::Url;

/// Resolves `href` against `base`; `None` for anything that is not http(s)
/// (`mailto:`, `javascript:`, `tel:`, `data:`, …) or does not parse.
pub fn resolve_link(base: &Url, href: &str) -> Option<Url> {
    let mut url = base
        .join(same_origin_path(base, href).unwrap_or(href))
        .ok()?;
    if !is_http(&url) || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// For an absolute `href` on `base`'s own origin, written exactly as `base`
/// serializes it (`http://host:port/path`), the path-absolute rest: joining
/// it gives the same URL without parsing the scheme and host again, which is
/// most of the cost of a link for sites that write their links absolute.
fn same_origin_path<'a>(base: &Url, href: &'a str) -> Option<&'a str> {
    let origin = &base[..url::Position::BeforePath];
    let rest = href.strip_prefix(origin)?;
    // `//x` and `/\x` would be read as a new authority: not a path
    let mut b = rest.bytes();
    (b.next() == Some(b'/') && !matches!(b.next(), Some(b'/' | b'\\'))).then_some(rest)
}

/// Parses an absolute http(s) URL given by the user (a seed or a fetch URL).
pub fn parse_absolute(s: &str) -> Result<Url, String> {
    let mut url = Url::parse(s.trim()).map_err(|e| format!("{e}: {s:?}"))?;
    if !is_http(&url) {
        return Err(format!("not an http(s) URL: {s:?}"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL has no host: {s:?}"));
    }
    url.set_fragment(None);
    Ok(url)
}

pub fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// The normalized text of `url` (the dedupe key before hashing).
pub fn normalized(url: &Url) -> String {
    let mut s = String::with_capacity(url.as_str().len());
    s.push_str(url.scheme());
    s.push_str("://");
    if let Some(host) = url.host_str() {
        s.push_str(host.strip_suffix('.').unwrap_or(host));
    }
    if let Some(port) = url.port() {
        s.push(':');
        s.push_str(&port.to_string());
    }
    push_upper_escapes(&mut s, url.path());
    if let Some(q) = url.query() {
        s.push('?');
        push_upper_escapes(&mut s, q);
    }
    s
}

/// A 128-bit hash of the normalized URL: the seen-set's key.
pub fn key(url: &Url) -> u128 {
    if is_normalized(url) {
        return xxhash_rust::xxh3::xxh3_128(url.as_str().as_bytes());
    }
    xxhash_rust::xxh3::xxh3_128(normalized(url).as_bytes())
}

/// The keys are already uniform hashes, so hashing them again is wasted work:
/// this hasher takes the low 64 bits as they are.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// Whether the serialization of `url` already is its normalized text (no
/// user info, fragment, percent-escape or trailing dot in the host): then
/// `key` hashes it as it is, which is what most links of most sites are.
fn is_normalized(url: &Url) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && url.host_str().is_some_and(|h| !h.ends_with('.'))
        && !url.as_str().contains('%')
}

/// Copies `src`, upper-casing the two hex digits after every `%`.
fn push_upper_escapes(out: &mut String, src: &str) {
    let mut rest = src;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..=at]);
        let hex = rest[at + 1..]
            .char_indices()
            .take(2)
            .last()
            .map_or(rest.len() - at - 1, |(i, c)| i + c.len_utf8());
        out.push_str(&rest[at + 1..at + 1 + hex].to_ascii_uppercase());
        rest = &rest[at + 1 + hex..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_shortcut_resolves_as_a_full_parse() {
        for base in [
            "http://example.com/a/b.html",
            "https://u:p@127.0.0.1:8443/a/",
        ] {
            let base = Url::parse(base).unwrap();
            let origin = &base[..url::Position::BeforePath];
            for rest in [
                "/x/../y?q=1#f",
                "/",
                "//evil.org/x",
                "/\\evil.org/x",
                "/caf\u{e9} x\t\n.html",
                "/%2e%2e/z",
                ":1/x",
                "0/x",
                "",
                "?q",
                "#f",
            ] {
                let href = format!("{origin}{rest}");
                let want = base.join(&href).ok().map(|mut u| {
                    u.set_fragment(None);
                    u
                });
                assert_eq!(resolve_link(&base, &href), want, "{href:?}");
            }
        }
        assert!(
            same_origin_path(&Url::parse("http://a.test/").unwrap(), "http://a.test//b").is_none()
        );
        assert_eq!(
            same_origin_path(&Url::parse("http://a.test/").unwrap(), "http://a.test/b"),
            Some("/b")
        );
    }

    #[test]
    fn resolve_links_table() {
        let base = Url::parse("http://Example.com:80/a/b/page.html?x=1").unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            ("c.html", Some("http://example.com/a/b/c.html")),
            ("./c.html", Some("http://example.com/a/b/c.html")),
            ("../c.html", Some("http://example.com/a/c.html")),
            ("../../../c.html", Some("http://example.com/c.html")),
            ("/root.html", Some("http://example.com/root.html")),
            ("//other.org/x", Some("http://other.org/x")),
            ("HTTP://EXAMPLE.COM:80/Up", Some("http://example.com/Up")),
            ("https://example.com:443/s", Some("https://example.com/s")),
            (
                "http://example.com:8080/p",
                Some("http://example.com:8080/p"),
            ),
            (
                "  spaced.html \n",
                Some("http://example.com/a/b/spaced.html"),
            ),
            ("page.html#frag", Some("http://example.com/a/b/page.html")),
            ("#top", Some("http://example.com/a/b/page.html?x=1")),
            ("?b=2&a=1", Some("http://example.com/a/b/page.html?b=2&a=1")),
            (
                "caf\u{e9}.html",
                Some("http://example.com/a/b/caf%C3%A9.html"),
            ),
            ("mailto:a@example.com", None),
            ("javascript:void(0)", None),
            ("tel:+123", None),
            ("data:text/html,hi", None),
            ("ftp://example.com/f", None),
            ("http://", None),
            ("http://[::1", None),
        ];
        for (href, want) in cases {
            let got = resolve_link(&base, href).map(|u| u.to_string());
            assert_eq!(got.as_deref(), *want, "href {href:?}");
        }
    }

    #[test]
    fn key_hashes_the_normalized_text_on_both_paths() {
        for u in [
            "http://example.com/plain/path.html?q=1&r=2",
            "https://[::1]:8443/x",
            "http://u:p@example.com/x",
            "http://example.com./x",
            "http://example.com/x#frag",
            "http://example.com/a%2fb%c3%a9?x=%7e",
            "http://example.com/%%41%",
            "http://example.com/caf\u{e9}",
        ] {
            let url = Url::parse(u).unwrap();
            let slow = xxhash_rust::xxh3::xxh3_128(normalized(&url).as_bytes());
            assert_eq!(key(&url), slow, "{u}");
        }
        let mut s = String::new();
        push_upper_escapes(&mut s, "/a%2fb%c3%a9?x=%7e&%%41%z");
        assert_eq!(s, "/a%2Fb%C3%A9?x=%7E&%%41%Z");
    }

    #[test]
    fn keys_equate_equivalent_urls() {
        let same = [
            ("http://example.com/a%2fb", "http://EXAMPLE.com:80/a%2Fb"),
            ("http://example.com./x", "http://example.com/x"),
            ("http://example.com/x#f", "http://example.com/x"),
            ("http://example.com", "http://example.com/"),
            ("http://example.com/a/../b", "http://example.com/b"),
        ];
        for (a, b) in same {
            let (a, b) = (Url::parse(a).unwrap(), Url::parse(b).unwrap());
            assert_eq!(
                normalized(&a).replace("#f", ""),
                normalized(&b),
                "{a} vs {b}"
            );
            assert_eq!(key(&a), key(&b), "{a} vs {b}");
        }
        let different = [
            (
                "http://example.com/x?a=1&b=2",
                "http://example.com/x?b=2&a=1",
            ),
            ("http://example.com/x", "https://example.com/x"),
            ("http://example.com/x", "http://example.com:8080/x"),
            ("http://example.com/X", "http://example.com/x"),
        ];
        for (a, b) in different {
            let (a, b) = (Url::parse(a).unwrap(), Url::parse(b).unwrap());
            assert_ne!(key(&a), key(&b), "{a} vs {b}");
        }
    }

    #[test]
    fn absolute_seeds() {
        assert_eq!(
            parse_absolute(" http://a.example/x#y ").unwrap().as_str(),
            "http://a.example/x"
        );
        assert!(
            parse_absolute("x/y")
                .unwrap_err()
                .contains("relative URL without a base")
        );
        assert!(
            parse_absolute("ftp://a.example/")
                .unwrap_err()
                .contains("not an http(s) URL")
        );
        assert!(parse_absolute("http://").is_err());
    }
}
