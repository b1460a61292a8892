//! Charsets: decoding a body to valid UTF-8 text by BOM, then the
//! `Content-Type` charset, then `<meta charset>` in the first 1024 bytes
//! (WHATWG prescan), then valid UTF-8, then `chardetng`; a declared legacy
//! charset yields to a body that is valid UTF-8 beyond ASCII (a page
//! converted to UTF-8 that kept its old declaration); and which content
//! types are text at all. Pure: bytes in, text out.

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// The `charset` parameter of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes()))
            .flatten()
    })
}

/// `<meta charset=…>` or `<meta http-equiv … content="…; charset=…">` in the
/// first 1024 bytes. UTF-16 labels mean UTF-8 here (WHATWG: a byte-oriented
/// prescan cannot have found them in a UTF-16 document).
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    static META: LazyLock<Regex> = LazyLock::new(|| {
        // A fixed pattern of this file; the unit tests compile it.
        Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
            .unwrap_or_else(|e| panic!("meta charset pattern: {e}"))
    });
    let head = &bytes[..bytes.len().min(1024)];
    let label = META.captures(head)?.get(1)?.as_bytes();
    let enc = Encoding::for_label(label)?;
    Some(if enc.output_encoding() == UTF_8 {
        UTF_8
    } else {
        enc
    })
}

/// The encoding of a body, by the rules in the module doc.
pub fn detect(bytes: &[u8], content_type: Option<&str>, html: bool) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    let utf8 = || std::str::from_utf8(bytes).is_ok();
    let declared = content_type
        .and_then(header_charset)
        .or_else(|| html.then(|| meta_charset(bytes)).flatten());
    if let Some(enc) = declared {
        // Text in a legacy encoding is almost never valid UTF-8 once it
        // has a byte above ASCII; a page converted to UTF-8 that kept its
        // old declaration often is. (UTF-8 declared: no second look.)
        let converted = enc != UTF_8 && enc.is_ascii_compatible() && !bytes.is_ascii() && utf8();
        return if converted { UTF_8 } else { enc };
    }
    if utf8() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    if guess == UTF_8 { WINDOWS_1252 } else { guess }
}

/// Decodes `bytes` to UTF-8 text; malformed sequences become U+FFFD.
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>, html: bool) -> Cow<'a, str> {
    let enc = detect(bytes, content_type, html);
    let (text, _, _) = enc.decode(bytes);
    text
}

/// Whether a `Content-Type` is text worth returning with `--body`.
pub fn is_textual(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
        || matches!(
            mime.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/xhtml+xml"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_order() {
        let latin1 = b"<p>caf\xe9</p>";
        assert_eq!(
            detect(latin1, Some("text/html; charset=ISO-8859-1"), true).name(),
            "windows-1252"
        );
        assert_eq!(
            detect(latin1, Some("text/html; charset=\"iso-8859-1\""), true).name(),
            "windows-1252"
        );
        let meta = b"<meta charset=\"windows-1252\"><p>caf\xe9</p>";
        assert_eq!(detect(meta, Some("text/html"), true).name(), "windows-1252");
        let equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">";
        assert_eq!(detect(equiv, None, true).name(), "Shift_JIS");
        // The header wins over meta.
        assert_eq!(detect(meta, Some("text/html; charset=utf-8"), true), UTF_8);
        // BOM wins over everything.
        assert_eq!(
            detect(b"\xef\xbb\xbfhi", Some("text/html; charset=latin1"), true),
            UTF_8
        );
        assert_eq!(detect("plain ütf-8".as_bytes(), None, true), UTF_8);
        // A legacy declaration on a body that is valid UTF-8 beyond ASCII:
        // the page was converted and kept its old declaration.
        let converted = "<meta charset=gb2312><p>谷歌在2014年收购</p>".as_bytes();
        assert_eq!(detect(converted, None, true), UTF_8);
        assert_eq!(
            detect(
                "<p>café</p>".as_bytes(),
                Some("text/html; charset=ISO-8859-1"),
                true
            ),
            UTF_8
        );
        // Only ASCII: the declaration stands (ISO-2022-JP is 7-bit).
        let jis = b"<meta charset=iso-2022-jp><p>\x1b$B$3$s\x1b(B</p>";
        assert_eq!(detect(jis, None, true).name(), "ISO-2022-JP");
        // utf-16 in meta means utf-8.
        assert_eq!(detect(b"<meta charset=utf-16le>", None, true), UTF_8);
        // An unknown label falls through to sniffing.
        assert_eq!(
            detect(b"abc", Some("text/html; charset=bogus"), true),
            UTF_8
        );
    }

    #[test]
    fn sniffs_japanese_without_declaration() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS
            .encode("<title>日本語のテキストです。これは文字コード判定のための文章です。</title>");
        assert_eq!(detect(&sjis, Some("text/html"), true).name(), "Shift_JIS");
        assert!(decode(&sjis, Some("text/html"), true).contains("日本語"));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let text = decode(b"ok \xff\xfe bad", Some("text/html; charset=utf-8"), true);
        assert!(text.contains('\u{fffd}'));
        assert!(text.starts_with("ok "));
    }

    #[test]
    fn textual_types() {
        assert!(is_textual(Some("text/plain")));
        assert!(is_textual(Some("application/json; charset=utf-8")));
        assert!(is_textual(Some("application/atom+xml")));
        assert!(!is_textual(Some("image/png")));
        assert!(!is_textual(None));
    }
}
