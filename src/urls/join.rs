//! Resolving a page's links in the common case without a general URL parse.
//!
//! Most links of most sites are paths of plain characters, relative to the
//! page or to its root (`../lib/os.html`, `/docs/a.html?page=2#top`). For
//! those the resolved text is the page's origin and directory, the href's
//! segments with `.` and `..` applied (WHATWG URL, "path state"), and its
//! query — and, as no `%`, user info or trailing dot can be in it, that text
//! is already the normalized one the seen-set key hashes. Everything else
//! (`:`, `%`, `\`, spaces, non-ASCII, `//host`, a query alone) goes through
//! `normalize::resolve_link`, the url crate's full parse. The unit tests
//! hold the two to the same result, on tables and on generated hrefs.

use url::Url;

use super::normalize;

/// Bytes a plain href may hold: ones the url crate keeps as they are in a
/// path and in a query of an http(s) URL (no `'`, which it escapes in a
/// query), with no other meaning to it (no `:`, `%`, `\`, `#`).
const fn plain_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'/'
                    | b'?'
            );
        b += 1;
    }
    t
}
static PLAIN: [bool; 256] = plain_table();

/// The URL links of one page are resolved against (the page's, or its
/// `<base href>`), with what the plain case needs worked out once.
pub struct Base {
    url: Url,
    /// Plain hrefs may be joined as text: http(s), a host without a
    /// trailing dot, no user info, no `%` anywhere.
    plain: bool,
    /// `scheme://host[:port]`, the length of.
    origin: usize,
    /// The origin and the directory of the path (up to its last `/`).
    dir: usize,
}

impl Base {
    pub fn new(url: Url) -> Base {
        let origin = url[..url::Position::BeforePath].len();
        let dir = origin + url.path().rfind('/').map_or(0, |i| i + 1);
        let plain = normalize::is_http(&url)
            && url
                .host_str()
                .is_some_and(|h| !h.is_empty() && !h.ends_with('.'))
            && url.username().is_empty()
            && url.password().is_none()
            && url.path().starts_with('/')
            && !url.as_str().contains('%');
        Base {
            url,
            plain,
            origin,
            dir,
        }
    }

    /// `href` resolved: the absolute URL's text (no fragment) and its
    /// seen-set key; `None` for what is not an http(s) link.
    pub fn resolve(&self, href: &str) -> Option<(String, u128)> {
        if self.plain
            && let Some(text) = self.join_plain(href)
        {
            let key = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
            return Some((text, key));
        }
        let url = normalize::resolve_link(&self.url, href)?;
        let key = normalize::key(&url);
        Some((url.into(), key))
    }

    /// The plain case, or `None` to leave `href` to the full parse.
    fn join_plain(&self, href: &str) -> Option<String> {
        let href = match memchr::memchr(b'#', href.as_bytes()) {
            Some(i) => &href[..i],
            None => href,
        };
        let base = self.url.as_str();
        // An absolute href on the page's own origin, written as it serializes.
        let href = match href.strip_prefix(&base[..self.origin]) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => href,
        };
        let b = href.as_bytes();
        if b.is_empty()
            || b[0] == b'?'
            || b.starts_with(b"//")
            || !b.iter().all(|&c| PLAIN[c as usize])
        {
            return None;
        }
        let (path, query) = match memchr::memchr(b'?', b) {
            Some(i) => (&href[..i], Some(&href[i..])),
            None => (href, None),
        };
        let mut out = String::with_capacity(self.dir + href.len());
        let rel = match path.strip_prefix('/') {
            Some(rest) => {
                out.push_str(&base[..=self.origin]);
                rest
            }
            None => {
                out.push_str(&base[..self.dir]);
                path
            }
        };
        // `out` ends with '/' before each segment; the root's is never popped.
        let root = self.origin + 1;
        let mut segments = rel.split('/').peekable();
        while let Some(seg) = segments.next() {
            let last = segments.peek().is_none();
            match seg {
                "." => {}
                ".." => {
                    if out.len() > root {
                        out.pop();
                        let cut = out.rfind('/').map_or(root, |i| i + 1);
                        out.truncate(cut.max(root));
                    }
                }
                _ => {
                    out.push_str(seg);
                    if !last {
                        out.push('/');
                    }
                }
            }
        }
        if let Some(q) = query {
            out.push_str(q);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full parse's answer, as `Base::resolve` would give it.
    fn slow(base: &Url, href: &str) -> Option<(String, u128)> {
        let url = normalize::resolve_link(base, href)?;
        let key = normalize::key(&url);
        Some((url.into(), key))
    }

    fn same(base: &str, href: &str) -> bool {
        let url = Url::parse(base).unwrap();
        let fast = Base::new(url.clone());
        let got = fast.resolve(href);
        assert_eq!(got, slow(&url, href), "base {base:?} href {href:?}");
        fast.join_plain(href).is_some()
    }

    const BASES: &[&str] = &[
        "http://example.com/a/b/page.html?x=1",
        "http://example.com/",
        "http://example.com",
        "https://example.com:8443/dir/",
        "http://127.0.0.1:8083/p/004/4139.html",
        "http://[::1]:9/a/b",
        "http://example.com/a/b/c/d/e.html#frag",
        "http://example.com/a//b/",
        "http://example.com./a/",
        "http://u:p@example.com/a/",
        "http://example.com/caf%C3%A9/x.html",
        "http://example.com/a/b?q=%20",
    ];

    #[test]
    fn plain_hrefs_resolve_as_the_full_parse_does() {
        let hrefs = [
            "c.html",
            "./c.html",
            "../c.html",
            "../../c.html",
            "../../../../../c.html",
            "/root.html",
            "/",
            ".",
            "..",
            "./",
            "../",
            "a/..",
            "a/.",
            "a/./b/../c",
            "a//b",
            "/a//b/../c",
            "...",
            ".../x",
            ".x/..y",
            "dir/",
            "x.html?a=1&b=2",
            "x.html?a=/../b?c",
            "../x.html?",
            "x.html#s4",
            "#top",
            "",
            "?q=1",
            "//other.org/x",
            "http://example.com/abs/../x",
            "http://example.com:80/x",
            "https://example.com:8443/dir/../y",
            "http://127.0.0.1:8083/p/a.html",
            "http://127.0.0.1:8083//p",
            "http://127.0.0.1:8083",
            "mailto:a@example.com",
            "javascript:void(0)",
            "a:b",
            "a%2fb",
            "%2e%2e/x",
            "a\\b",
            " x.html",
            "x y.html",
            "caf\u{e9}.html",
            "x.html?it's",
            "x'y.html",
            "@x",
            "~user/",
            "a;b=c,d!$&()*+",
        ];
        let mut plain = 0;
        for base in BASES {
            for href in hrefs {
                plain += usize::from(same(base, href));
            }
        }
        assert!(plain > 200, "only {plain} took the plain path");
    }

    #[test]
    fn generated_hrefs_resolve_as_the_full_parse_does() {
        // Hrefs drawn from an alphabet of the pieces that matter: segment
        // separators, dots, the query mark, a few plain and non-plain bytes.
        const PIECES: &[&str] = &[
            "/", "/", "/", ".", "..", "a", "bc", "?", "=", "&", "#", "%", ":", "\\", " ", "'", "é",
            "~", "@", ";",
        ];
        let mut rng = fastrand::Rng::with_seed(0x7a11);
        let mut plain = 0;
        for i in 0..20_000 {
            let n = rng.usize(0..8);
            let href: String = (0..n).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
            plain += usize::from(same(BASES[i % BASES.len()], &href));
        }
        assert!(plain > 2_000, "only {plain} took the plain path");
    }

    #[test]
    fn odd_bases_never_take_the_plain_path() {
        for base in [
            "http://example.com./a/",
            "http://u:p@example.com/a/",
            "http://example.com/caf%C3%A9/x.html",
        ] {
            assert!(!Base::new(Url::parse(base).unwrap()).plain, "{base}");
        }
        assert!(Base::new(Url::parse("http://example.com/a").unwrap()).plain);
    }
}
