//! Where a URL's body goes under `--save DIR`: `HOST/PATH`, as names any
//! file system takes, and never a name that leads out of DIR. Pure.
//!
//! - The host directory is the host, with `+PORT` when the port is not
//!   the scheme's default (as wget names it on Windows).
//! - Each path segment is percent-decoded (readable names: `café.html`),
//!   then every byte a file name should not hold is escaped again as `%XX`:
//!   control bytes and NUL, `/`, `\`, `:`, `*`, `?`, `"`, `<`, `>`, `|`,
//!   `%` itself, and bytes that are not UTF-8. A segment `.` or `..` (an
//!   escaped one the URL parser let through, `%2e%2e%2f` say) becomes
//!   `%2E` / `%2E%2E`, an empty one `_`; Windows' reserved names (`CON`,
//!   `aux.txt`, `COM1`, …) get a `_` after their stem.
//! - A directory URL (ending in `/`) is `index.html` inside it.
//! - A query string is hashed into the name before its extension:
//!   `search?q=a` → `search@1a2b3c4d5e6f`, `page.html?x` →
//!   `page@…​.html`.
//! - A name over 200 bytes keeps its first 180, then `~` and a hash of the
//!   whole; a path over 3,000 bytes is `HOST/_long/HASH.EXT`.

use url::Url;

/// Longest file name kept as is (most file systems allow 255 bytes).
const MAX_NAME: usize = 200;
/// Longest path under DIR kept as is (PATH_MAX is 4,096 on Linux).
const MAX_PATH: usize = 3_000;

/// 48 bits of a hash, as 12 hex digits.
fn hash(data: &[u8]) -> String {
    format!("{:012x}", xxhash_rust::xxh3::xxh3_64(data) >> 16)
}

/// The names under DIR, from the host directory to the file, for `url`.
pub fn path_for(url: &Url) -> Vec<String> {
    let host = url.host_str().unwrap_or("_").to_ascii_lowercase();
    let host = match url.port() {
        Some(port) => format!("{host}+{port}"),
        None => host,
    };
    let mut names = vec![safe_name(host.as_bytes())];
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    let (dirs, last) = segments.split_at(segments.len().saturating_sub(1));
    for d in dirs {
        names.push(segment(d));
    }
    let last = last.first().copied().unwrap_or_default();
    let mut file = if last.is_empty() {
        "index.html".to_string()
    } else {
        segment(last)
    };
    if let Some(q) = url.query() {
        let (stem, ext) = split_ext(&file);
        file = format!("{stem}@{}{ext}", hash(q.as_bytes()));
    }
    names.push(shorten(file));
    if names.iter().map(|n| n.len() + 1).sum::<usize>() > MAX_PATH {
        let whole = names.join("/");
        let (_, ext) = split_ext(names.last().map_or("", String::as_str));
        let ext = if ext.len() <= 16 {
            ext.to_string()
        } else {
            String::new()
        };
        return vec![
            names[0].clone(),
            "_long".into(),
            format!("{}{ext}", hash(whole.as_bytes())),
        ];
    }
    names
}

/// `name` split before its extension (`a.tar.gz` → `a.tar`, `.gz`); a
/// leading dot is not an extension.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    }
}

/// A path segment as a file name: decoded, then made safe.
fn segment(s: &str) -> String {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(s).collect();
    match safe_name(&decoded).as_str() {
        "" => "_".to_string(),
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        other => other.to_string(),
    }
}

/// Escapes what a file name should not hold (see the module doc); the
/// result is ASCII-safe or valid UTF-8.
fn safe_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let text = String::from_utf8_lossy(bytes);
    let valid = matches!(text, std::borrow::Cow::Borrowed(_));
    if valid {
        for c in text.chars() {
            if c.is_control()
                || matches!(
                    c,
                    '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '%'
                )
            {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
    } else {
        for &b in bytes {
            if !(0x20..0x7f).contains(&b) || b"/\\:*?\"<>|%".contains(&b) {
                out.push_str(&format!("%{b:02X}"));
            } else {
                out.push(char::from(b));
            }
        }
    }
    reserved(out)
}

/// Windows' device names, whatever the extension: `con.txt` → `con_.txt`.
fn reserved(name: String) -> String {
    let (stem, ext) = split_ext(&name);
    let upper = stem.to_ascii_uppercase();
    let device = matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.as_bytes()[3].is_ascii_digit());
    if device {
        format!("{stem}_{ext}")
    } else {
        name
    }
}

/// A name over `MAX_NAME` bytes: its start, `~` and a hash of the whole,
/// its extension kept when short.
fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME {
        return name;
    }
    let (_, ext) = split_ext(&name);
    let ext = if ext.len() <= 16 { ext } else { "" };
    let mut cut = 180;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{}{ext}", &name[..cut], hash(name.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: &str) -> String {
        path_for(&Url::parse(url).unwrap()).join("/")
    }

    #[test]
    fn names_table() {
        assert_eq!(p("http://A.test/"), "a.test/index.html");
        assert_eq!(p("http://a.test:8080/docs/"), "a.test+8080/docs/index.html");
        assert_eq!(p("https://a.test:443/x.html"), "a.test/x.html");
        assert_eq!(p("http://a.test/caf%C3%A9.html"), "a.test/café.html");
        assert_eq!(
            p("http://a.test/with%20space.html"),
            "a.test/with space.html"
        );
        assert_eq!(p("http://a.test/a%2Fb"), "a.test/a%2Fb");
        assert_eq!(p("http://a.test/a%5Cb%3Ac"), "a.test/a%5Cb%3Ac");
        assert_eq!(p("http://a.test/%2e%2e%2f"), "a.test/..%2F");
        assert_eq!(
            p("http://a.test/x/%2e%2e/y"),
            "a.test/y",
            "the URL parser resolves it"
        );
        assert_eq!(p("http://a.test/../../etc/passwd"), "a.test/etc/passwd");
        assert_eq!(p("http://a.test/nul%00byte"), "a.test/nul%00byte");
        assert_eq!(p("http://a.test/bad%FFbyte"), "a.test/bad%FFbyte");
        assert_eq!(p("http://a.test/100%25"), "a.test/100%25");
        assert_eq!(p("http://a.test/a//b"), "a.test/a/_/b");
        assert_eq!(p("http://a.test/CON.txt"), "a.test/CON_.txt");
        assert_eq!(p("http://a.test/com1"), "a.test/com1_");
        let q = p("http://a.test/search?q=a");
        assert!(
            q.starts_with("a.test/search@") && q.len() == "a.test/search@".len() + 12,
            "{q}"
        );
        let q = p("http://a.test/page.html?x=1");
        assert!(q.starts_with("a.test/page@") && q.ends_with(".html"), "{q}");
        assert_ne!(p("http://a.test/s?q=a"), p("http://a.test/s?q=b"));
    }

    #[test]
    fn long_names_and_paths_are_cut() {
        let long = p(&format!("http://a.test/{}.html", "x".repeat(3_000)));
        let name = long.rsplit('/').next().unwrap();
        assert!(name.len() <= MAX_NAME && name.ends_with(".html"), "{name}");
        let deep = p(&format!("http://a.test/{}f.css", "dir/".repeat(1_000)));
        assert!(
            deep.starts_with("a.test/_long/") && deep.ends_with(".css"),
            "{deep}"
        );
        // Cut on a character boundary.
        let wide = p(&format!("http://a.test/{}", "é".repeat(150)));
        assert!(wide.is_char_boundary(wide.len()));
    }

    #[test]
    fn no_name_leads_out() {
        for url in [
            "http://a.test/..%2f..%2fetc",
            "http://a.test/%2e%2e/%2e%2e/x",
            "http://a.test/.%2e/x",
            "http://a.test/%2E%2E%5C%2E%2E%5Cwin",
            "http://a.test/a/..%00/b",
        ] {
            for name in path_for(&Url::parse(url).unwrap()) {
                assert!(
                    !name.is_empty() && name != "." && name != "..",
                    "{url}: {name:?}"
                );
                assert!(
                    !name.contains('/') && !name.contains('\\') && !name.contains('\0'),
                    "{url}: {name:?}"
                );
            }
        }
    }
}
