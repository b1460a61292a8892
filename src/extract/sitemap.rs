//! Sitemaps (sitemaps.org protocol 0.9): a `<urlset>` of pages with their
//! `<lastmod>`, a `<sitemapindex>` of other sitemaps, or a plain-text list
//! of URLs; any of them gzipped (`.xml.gz` files are served as gzip, not
//! with a `Content-Encoding`). Read by a streaming XML parser (quick-xml),
//! never a document tree, and cut at the protocol's limits: 50,000 URLs and
//! 50 MiB uncompressed per file. Pure: bytes in, entries out.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

/// URLs one sitemap file may list (sitemaps.org).
pub const MAX_URLS: usize = 50_000;
/// Bytes one sitemap file may have, uncompressed.
pub const MAX_BYTES: u64 = 50 << 20;

/// A page a sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// What one sitemap file says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Pages (`<urlset>` or a text file).
    pub pages: Vec<Entry>,
    /// Other sitemaps (`<sitemapindex>`).
    pub sitemaps: Vec<String>,
    /// Why the file was not read to its end (a limit), if it was not.
    pub cut: Option<String>,
}

/// Reads a sitemap file; an error says why it is not one. A body cut at
/// its cap (`truncated`) is read as far as it goes.
pub fn parse(body: &[u8], truncated: bool) -> Result<Sitemap, String> {
    let inflated;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(body)?;
        &inflated[..]
    } else {
        body
    };
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    // A UTF-8 byte order mark before the XML declaration.
    let xml = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if xml.first() == Some(&b'<') {
        parse_xml(xml, truncated)
    } else {
        Ok(parse_text(body))
    }
}

/// A gzip file, up to `MAX_BYTES` uncompressed.
fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| format!("sitemap: not valid gzip: {e}"))?;
    Ok(out)
}

/// One URL a line; lines that are not http(s) URLs are skipped.
fn parse_text(body: &[u8]) -> Sitemap {
    let text = String::from_utf8_lossy(body);
    let mut map = Sitemap::default();
    for line in text.lines().map(str::trim) {
        if !(line.starts_with("http://") || line.starts_with("https://")) {
            continue;
        }
        if map.pages.len() == MAX_URLS {
            map.cut = Some(format!("more than {MAX_URLS} URLs"));
            break;
        }
        map.pages.push(Entry {
            loc: line.to_string(),
            lastmod: None,
        });
    }
    map
}

/// Which element's text is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Loc,
    Lastmod,
}

fn parse_xml(xml: &[u8], truncated: bool) -> Result<Sitemap, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut map = Sitemap::default();
    let mut root: Option<String> = None;
    let (mut loc, mut lastmod) = (String::new(), String::new());
    let mut field = Field::None;
    // Elements open: a file that ends inside one is not well-formed.
    let mut open = 0usize;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            // Where a cut body ends, what came before stands.
            Err(_) if truncated && root.is_some() => {
                map.cut = Some(format!("{} MiB", MAX_BYTES >> 20));
                break;
            }
            Err(e) => {
                return Err(format!(
                    "sitemap: not well-formed XML at byte {}: {e}",
                    reader.buffer_position()
                ));
            }
        };
        match event {
            Event::Start(e) => {
                open += 1;
                let name = e.local_name();
                let name = name.as_ref().to_ascii_lowercase();
                if root.is_none() {
                    if name != "urlset" && name != "sitemapindex" {
                        return Err(format!(
                            "not a sitemap: the root element is <{name}>, not <urlset> or <sitemapindex>"
                        ));
                    }
                    root = Some(name);
                    continue;
                }
                field = match name.as_str() {
                    "loc" => Field::Loc,
                    "lastmod" => Field::Lastmod,
                    "url" | "sitemap" => {
                        loc.clear();
                        lastmod.clear();
                        Field::None
                    }
                    _ => Field::None,
                };
            }
            Event::Text(t) => push_text(field, &t.xml10_content(), &mut loc, &mut lastmod),
            Event::CData(t) => {
                push_text(field, t.as_ref(), &mut loc, &mut lastmod);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                        .unwrap_or_default()
                        .to_string(),
                };
                push_text(field, &resolved, &mut loc, &mut lastmod);
            }
            Event::End(e) => {
                open = open.saturating_sub(1);
                let name = e.local_name();
                match name.as_ref().to_ascii_lowercase().as_str() {
                    "loc" | "lastmod" => field = Field::None,
                    "url" | "sitemap" if !loc.trim().is_empty() => {
                        if map.pages.len() + map.sitemaps.len() == MAX_URLS {
                            map.cut = Some(format!("more than {MAX_URLS} URLs"));
                            break;
                        }
                        let l = loc.trim().to_string();
                        if root.as_deref() == Some("sitemapindex") {
                            map.sitemaps.push(l);
                        } else {
                            let m = lastmod.trim();
                            map.pages.push(Entry {
                                loc: l,
                                lastmod: (!m.is_empty()).then(|| m.to_string()),
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => {
                if root.is_none() {
                    return Err("not a sitemap: no root element".into());
                }
                if truncated {
                    map.cut = Some(format!("{} MiB", MAX_BYTES >> 20));
                } else if open > 0 {
                    return Err("sitemap: not well-formed XML: it ends inside an element".into());
                }
                break;
            }
            _ => {}
        }
    }
    Ok(map)
}

fn push_text(field: Field, text: &str, loc: &mut String, lastmod: &mut String) {
    match field {
        Field::Loc => loc.push_str(text),
        Field::Lastmod => lastmod.push_str(text),
        Field::None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn urlsets_indexes_text_and_gzip() {
        let urlset = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc>http://a.test/x?a=1&amp;b=2</loc><lastmod>2026-01-02</lastmod></url>
              <url><loc> http://a.test/y </loc></url>
              <url><lastmod>2026-01-03</lastmod></url>
              <url><loc><![CDATA[http://a.test/z]]></loc></url>
            </urlset>"#;
        let m = parse(urlset, false).unwrap();
        let locs: Vec<&str> = m.pages.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(
            locs,
            [
                "http://a.test/x?a=1&b=2",
                "http://a.test/y",
                "http://a.test/z"
            ]
        );
        assert_eq!(m.pages[0].lastmod.as_deref(), Some("2026-01-02"));
        assert_eq!(m.pages[1].lastmod, None);
        let index =
            b"<sitemapindex><sitemap><loc>http://a.test/s1.xml.gz</loc></sitemap></sitemapindex>";
        assert_eq!(
            parse(index, false).unwrap().sitemaps,
            ["http://a.test/s1.xml.gz"]
        );
        let text = b"http://a.test/1\n# note\nftp://a.test/no\n\nhttps://a.test/2\r\n";
        assert_eq!(parse(text, false).unwrap().pages.len(), 2);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(urlset).unwrap();
        assert_eq!(parse(&gz.finish().unwrap(), false).unwrap(), m);
    }

    #[test]
    fn broken_and_foreign_files_are_errors() {
        let e = parse(b"<html><body>not a sitemap</body></html>", false).unwrap_err();
        assert!(e.contains("<html>"), "{e}");
        let e = parse(b"<urlset><url><loc>http://a.test/</url></urlset>", false).unwrap_err();
        assert!(e.contains("well-formed"), "{e}");
        assert!(
            parse(b"\x1f\x8b\x08garbage", false)
                .unwrap_err()
                .contains("gzip")
        );
    }

    #[test]
    fn a_file_is_cut_at_the_protocol_limit() {
        let mut xml = String::from("<urlset>");
        for i in 0..MAX_URLS + 10 {
            xml.push_str(&format!("<url><loc>http://a.test/{i}</loc></url>"));
        }
        xml.push_str("</urlset>");
        let m = parse(xml.as_bytes(), false).unwrap();
        assert_eq!(m.pages.len(), MAX_URLS);
        assert!(m.cut.is_some());
        // A body cut mid-element keeps what came before.
        let cut = &xml.as_bytes()[..1000];
        let m = parse(cut, true).unwrap();
        assert!(!m.pages.is_empty() && m.cut.is_some());
        assert!(parse(cut, false).is_err());
    }
}
