//! robots.txt lines as the reference parser (Google's, whose authors wrote
//! RFC 9309) reads them, tolerant of what real files contain: a UTF-8 byte
//! order mark, `\n`, `\r` or `\r\n` line ends, comments, lines cut at
//! `MAX_LINE` bytes, a missing colon (`Disallow /x`), and the common
//! misspellings of the keys (`useragent`, `disalow`, …). Bytes, not text:
//! a file in any encoding parses.

/// A line longer than this is read up to here (the reference keeps eight
/// times the 2,083-byte URL limit browsers had, less its terminator).
pub const MAX_LINE: usize = 2083 * 8 - 1;

/// What one line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    UserAgent(&'a [u8]),
    Allow(&'a [u8]),
    Disallow(&'a [u8]),
    Sitemap(&'a [u8]),
    CrawlDelay(&'a [u8]),
    /// Another key: it still ends a group's rules.
    Other,
}

/// The lines of `body` that say something, in order.
pub fn lines(body: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let body = strip_bom(body);
    body.split(|&b| b == b'\n' || b == b'\r')
        .filter_map(|raw| line(&raw[..raw.len().min(MAX_LINE)]))
}

/// A byte order mark, or the start of one, at the very start is skipped.
fn strip_bom(body: &[u8]) -> &[u8] {
    const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
    let n = body.iter().zip(BOM).take_while(|(a, b)| **a == *b).count();
    &body[n..]
}

fn line(raw: &[u8]) -> Option<Line<'_>> {
    let text = raw
        .split(|&b| b == b'#')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let (key, value) = match text.iter().position(|&b| b == b':') {
        Some(colon) => (&text[..colon], &text[colon + 1..]),
        None => {
            // A missing colon: `key value`, but only with exactly two words.
            let space = text.iter().position(|b| matches!(b, b' ' | b'\t'))?;
            let value = text[space..].trim_ascii_start();
            if value.iter().any(|b| matches!(b, b' ' | b'\t')) {
                return None;
            }
            (&text[..space], value)
        }
    };
    let (key, value) = (key.trim_ascii(), value.trim_ascii());
    if key.is_empty() {
        return None;
    }
    let starts = |prefixes: &[&str]| {
        prefixes
            .iter()
            .any(|p| key.len() >= p.len() && key[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
    };
    Some(if starts(&["user-agent", "useragent", "user agent"]) {
        Line::UserAgent(value)
    } else if starts(&["allow"]) {
        Line::Allow(value)
    } else if starts(&[
        "disallow",
        "dissallow",
        "dissalow",
        "disalow",
        "diasllow",
        "disallaw",
    ]) {
        Line::Disallow(value)
    } else if starts(&["sitemap", "site-map"]) {
        Line::Sitemap(value)
    } else if starts(&["crawl-delay", "crawldelay", "crawl delay"]) {
        Line::CrawlDelay(value)
    } else {
        Line::Other
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(body: &str) -> Vec<Line<'_>> {
        lines(body.as_bytes()).collect()
    }

    #[test]
    fn lines_table() {
        use Line::*;
        assert_eq!(
            all("User-agent: a\r\nDisallow: /x # why\rallow:/y\n\n# c\nSitemap: http://s/m.xml"),
            [
                UserAgent(b"a"),
                Disallow(b"/x"),
                Allow(b"/y"),
                Sitemap(b"http://s/m.xml")
            ]
        );
        assert_eq!(
            all("\u{feff}useragent  FooBot\ndisalow /z"),
            [UserAgent(b"FooBot"), Disallow(b"/z")]
        );
        assert_eq!(
            all("Disallow / x\nfoo: bar\n:nokey\nCrawl-delay: 2"),
            [Other, CrawlDelay(b"2")]
        );
        assert_eq!(all("User Agent: *"), [UserAgent(b"*")]);
        assert_eq!(all("  DISALLOW  :   /p  "), [Disallow(b"/p")]);
    }

    /// The reference suite's parser-report tests (`ID_LinesNumbersAreCountedCorrectly`,
    /// `ID_UTF8ByteOrderMarkIsSkipped`), as counts of the lines read.
    #[test]
    fn line_ends_and_byte_order_marks_as_the_reference_reads_them() {
        let count = |body: &[u8]| {
            let all: Vec<Line<'_>> = lines(body).collect();
            let other = all.iter().filter(|l| **l == Line::Other).count();
            (all.len() - other, other)
        };
        for body in [
            &b"User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n"[..],
            b"User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
            b"User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r",
            b"User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /",
            b"User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /",
        ] {
            assert_eq!(count(body), (4, 0), "{body:?}");
        }
        let rest = b"User-Agent: foo\nAllow: /AnyValue\n";
        for bom in [&b"\xEF\xBB\xBF"[..], b"\xEF\xBB", b"\xEF"] {
            assert_eq!(count(&[bom, rest].concat()), (2, 0), "{bom:?}");
        }
        // Not a byte order mark: the first line is garbage; nor mid-file.
        assert_eq!(count(&[&b"\xEF\x11\xBF"[..], rest].concat()), (1, 1));
        assert_eq!(
            count(b"User-Agent: foo\n\xEF\xBB\xBFAllow: /AnyValue\n"),
            (1, 1)
        );
    }

    #[test]
    fn long_lines_are_cut_and_odd_bytes_parse() {
        let long = format!("Disallow: /{}", "x".repeat(20_000));
        let Some(Line::Disallow(v)) = lines(long.as_bytes()).next() else {
            panic!("no rule");
        };
        assert_eq!(v.len(), MAX_LINE - "Disallow: ".len());
        let odd = b"User-agent: *\nDisallow: /\xff\xfe\n";
        assert_eq!(lines(odd).nth(1), Some(Line::Disallow(b"/\xff\xfe")));
    }
}
