//! WARC/1.1 records (iipc warc-specifications, WARC-1.1 §5–§6): the bytes
//! of a `warcinfo`, `request`, `response` and `revisit` record, with their
//! digests. Pure: the sink decides where they go.
//!
//! What archiving tools rely on, and some crawlers got wrong:
//! - `WARC-Target-URI` without angle brackets (§5.10);
//! - the response block is the status line, the headers and the body as
//!   received: transfer-coding removed, content-coding kept; the stored
//!   headers say so — `Transfer-Encoding` renamed `X-Crawler-Transfer-Encoding`
//!   (as Common Crawl does) and `Content-Length` the stored body's length (a
//!   differing original kept as `X-Crawler-Content-Length`);
//! - `WARC-Payload-Digest` is over that body (de-chunked, still
//!   content-coded), `WARC-Block-Digest` over the whole block; both
//!   `sha1:` and base32 (§5.8, §5.9).

use std::fmt::Write as _;
use std::time::SystemTime;

use reqwest::header::HeaderMap;
use sha1::{Digest, Sha1};

use crate::exchange::Exchange;

/// `WARC-Profile` of a revisit whose payload is the one archived before.
pub const IDENTICAL_PAYLOAD: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
/// `WARC-Profile` of a revisit the server answered with 304.
pub const NOT_MODIFIED: &str = "http://netpreserve.org/warc/1.1/revisit/server-not-modified";

/// A record's header fields, in order, and its block: `head` then `body`
/// (kept apart, so a body is never copied to make a block).
pub struct Record {
    fields: Vec<(&'static str, String)>,
    head: Vec<u8>,
    body: bytes::Bytes,
}

/// `<urn:uuid:…>`, a new (version 4) one. Its 122 random bits come from
/// the thread's generator, seeded from the OS: asking the OS for every
/// record costs a system call each, two per page.
pub fn record_id() -> String {
    let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    format!("<urn:uuid:{id}>")
}

/// `sha1:` and the base32 of the SHA-1 of `parts`, in order.
pub fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    format!("sha1:{}", data_encoding::BASE32.encode(&h.finalize()))
}

/// A time as `WARC-Date` writes it: UTC, with microseconds.
pub fn warc_date(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

impl Record {
    fn new(kind: &str, id: &str, date: &str) -> Record {
        Record {
            fields: vec![
                ("WARC-Type", kind.to_string()),
                ("WARC-Record-ID", id.to_string()),
                ("WARC-Date", date.to_string()),
            ],
            head: Vec::new(),
            body: bytes::Bytes::new(),
        }
    }

    fn field(mut self, name: &'static str, value: impl Into<String>) -> Record {
        self.fields.push((name, value.into()));
        self
    }

    /// The record's header: version line, fields, `Content-Length`, a
    /// blank line (§4).
    pub fn header(&self) -> Vec<u8> {
        let mut head = String::from("WARC/1.1\r\n");
        for (name, value) in &self.fields {
            // Field values are single lines (§4: no CR/LF in a value).
            let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let len = self.head.len() + self.body.len();
        let _ = write!(head, "Content-Length: {len}\r\n\r\n");
        head.into_bytes()
    }

    /// The record's bytes in order, given its `header`: the header, the
    /// block and the two CRLFs that end a record (§4).
    pub fn parts<'a>(&'a self, header: &'a [u8]) -> [&'a [u8]; 4] {
        [header, &self.head, &self.body, b"\r\n\r\n"]
    }

    #[cfg(test)]
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = self.header();
        self.parts(&header).concat()
    }
}

/// The `warcinfo` record that starts each file: `fields` as `name: value`
/// lines (`application/warc-fields`, §6.4).
pub fn warcinfo(filename: &str, fields: &[(String, String)]) -> Record {
    let mut block = String::new();
    for (name, value) in fields {
        let _ = write!(block, "{name}: {value}\r\n");
    }
    let mut r = Record::new("warcinfo", &record_id(), &warc_date(SystemTime::now()))
        .field("WARC-Filename", filename)
        .field("Content-Type", "application/warc-fields");
    r.fields
        .push(("WARC-Block-Digest", digest(&[block.as_bytes()])));
    r.head = block.into_bytes();
    r
}

/// The HTTP version as a request or status line writes it.
fn version(v: reqwest::Version) -> &'static str {
    match v {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

fn push_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// The request as sent: request line, `Host`, the headers trawl set.
fn request_block(ex: &Exchange) -> Vec<u8> {
    let mut target = ex.url.path().to_string();
    if let Some(q) = ex.url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match ex.url.port() {
        Some(p) => format!("{}:{p}", ex.url.host_str().unwrap_or_default()),
        None => ex.url.host_str().unwrap_or_default().to_string(),
    };
    let mut out = format!("GET {target} {}\r\nhost: {host}\r\n", version(ex.version)).into_bytes();
    let mut headers = ex.request_headers.clone();
    headers.remove(reqwest::header::HOST);
    push_headers(&mut out, &headers);
    out.extend_from_slice(b"\r\n");
    out
}

/// The response's status line and headers as stored (see the module doc),
/// for a body of `body_len` bytes (`None`: no body is stored, a revisit).
fn response_head(ex: &Exchange, body_len: Option<usize>) -> Vec<u8> {
    let reason = reqwest::StatusCode::from_u16(ex.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut out = format!("{} {} {reason}\r\n", version(ex.version), ex.status).into_bytes();
    let mut headers = HeaderMap::with_capacity(ex.headers.len() + 1);
    for (name, value) in &ex.headers {
        if name == reqwest::header::TRANSFER_ENCODING {
            headers.append("x-crawler-transfer-encoding", value.clone());
        } else if name == reqwest::header::CONTENT_LENGTH
            && body_len.is_some_and(|n| value.as_bytes() != n.to_string().as_bytes())
        {
            headers.append("x-crawler-content-length", value.clone());
        } else {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some(n) = body_len {
        headers.insert(reqwest::header::CONTENT_LENGTH, n.into());
    }
    push_headers(&mut out, &headers);
    out.extend_from_slice(b"\r\n");
    out
}

/// Fields every record of an exchange has.
fn exchange_record(kind: &str, id: &str, ex: &Exchange) -> Record {
    let mut r =
        Record::new(kind, id, &warc_date(ex.sent_at)).field("WARC-Target-URI", ex.url.as_str());
    if let Some(addr) = ex.remote_addr {
        r = r.field("WARC-IP-Address", addr.ip().to_string());
    }
    r
}

/// The `request` record of `ex`, concurrent to the record `response_id`.
pub fn request(ex: &Exchange, response_id: &str) -> Record {
    let block = request_block(ex);
    let mut r = exchange_record("request", &record_id(), ex)
        .field("WARC-Concurrent-To", response_id)
        .field("Content-Type", "application/http;msgtype=request")
        .field("WARC-Block-Digest", digest(&[&block]));
    r.head = block;
    r
}

/// The `response` record of `ex`, with the id `id`.
pub fn response(ex: &Exchange, id: &str) -> Record {
    let head = response_head(ex, Some(ex.body.len()));
    let mut r = exchange_record("response", id, ex)
        .field("Content-Type", "application/http;msgtype=response")
        .field("WARC-Block-Digest", digest(&[&head, &ex.body]))
        .field("WARC-Payload-Digest", digest(&[&ex.body]));
    if ex.truncated {
        r = r.field("WARC-Truncated", "length");
    }
    r.head = head;
    r.body = ex.body.clone();
    r
}

/// The `conversion` record (§6.8) of a page `--render` loaded: the DOM the
/// browser built from the response `response_id`, as UTF-8 HTML. A
/// conversion, not a `resource`: it is derived from that response by the
/// crawl, not a resource retrieved on its own.
pub fn conversion(ex: &Exchange, rendered: &bytes::Bytes, response_id: &str) -> Record {
    let mut r = Record::new("conversion", &record_id(), &warc_date(SystemTime::now()))
        .field("WARC-Target-URI", ex.url.as_str())
        .field("WARC-Refers-To", response_id)
        .field("Content-Type", "text/html; charset=utf-8")
        .field("WARC-Block-Digest", digest(&[rendered]))
        .field("WARC-Payload-Digest", digest(&[rendered]));
    r.body = rendered.clone();
    r
}

/// The `revisit` record of an unchanged page: its headers only, referring
/// to the capture of `refers_to_date` (when known). A 304 is
/// `server-not-modified`; a 200 with the body archived before,
/// `identical-payload-digest` (§6.7).
pub fn revisit(ex: &Exchange, id: &str, refers_to_date: Option<&str>) -> Record {
    let not_modified = ex.status == 304;
    let head = response_head(ex, None);
    let mut r = exchange_record("revisit", id, ex)
        .field(
            "WARC-Profile",
            if not_modified {
                NOT_MODIFIED
            } else {
                IDENTICAL_PAYLOAD
            },
        )
        .field("WARC-Refers-To-Target-URI", ex.url.as_str());
    if let Some(date) = refers_to_date {
        r = r.field("WARC-Refers-To-Date", date);
    }
    r = r
        .field("Content-Type", "application/http;msgtype=response")
        .field("WARC-Block-Digest", digest(&[&head]));
    if !not_modified {
        r = r.field("WARC-Payload-Digest", digest(&[&ex.body]));
    }
    r.head = head;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn exchange(headers: &[(&str, &str)], body: &[u8]) -> Exchange {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let mut req = HeaderMap::new();
        req.insert("user-agent", HeaderValue::from_static("trawl/0"));
        Exchange {
            url: url::Url::parse("http://a.test:8080/p?q=1").unwrap(),
            request_headers: req,
            status: 200,
            version: reqwest::Version::HTTP_11,
            headers: h,
            remote_addr: Some("127.0.0.1:8080".parse().unwrap()),
            body: bytes::Bytes::copy_from_slice(body),
            sent_at: SystemTime::UNIX_EPOCH,
            truncated: false,
            rendered: None,
        }
    }

    fn text(r: &Record) -> String {
        String::from_utf8_lossy(&r.to_bytes()).into_owned()
    }

    #[test]
    fn a_chunked_response_is_stored_dechunked_with_its_own_length() {
        let ex = exchange(
            &[
                ("transfer-encoding", "chunked"),
                ("content-encoding", "gzip"),
            ],
            b"GZBYTES",
        );
        let t = text(&response(&ex, "<urn:uuid:x>"));
        assert!(t.starts_with("WARC/1.1\r\nWARC-Type: response\r\n"), "{t}");
        assert!(
            t.contains("WARC-Target-URI: http://a.test:8080/p?q=1\r\n"),
            "no brackets: {t}"
        );
        assert!(t.contains("WARC-IP-Address: 127.0.0.1\r\n"));
        assert!(t.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "{t}");
        assert!(t.contains("x-crawler-transfer-encoding: chunked\r\n"));
        assert!(!t.contains("\r\ntransfer-encoding"), "{t}");
        assert!(
            t.contains("content-encoding: gzip\r\n"),
            "content-coding kept"
        );
        assert!(t.contains("content-length: 7\r\n"), "{t}");
        assert!(t.ends_with("\r\n\r\nGZBYTES\r\n\r\n"), "{t}");
        assert!(t.contains(&format!(
            "WARC-Payload-Digest: {}\r\n",
            digest(&[b"GZBYTES"])
        )));
    }

    #[test]
    fn digests_are_sha1_base32() {
        // SHA-1 of "abc", in base32.
        assert_eq!(digest(&[b"abc"]), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
        assert_eq!(digest(&[b"a", b"bc"]), digest(&[b"abc"]));
    }

    #[test]
    fn a_differing_content_length_is_kept_aside() {
        let ex = exchange(&[("content-length", "99")], b"short");
        let t = text(&response(&ex, "<urn:uuid:x>"));
        assert!(t.contains("x-crawler-content-length: 99\r\n"), "{t}");
        assert!(t.contains("content-length: 5\r\n"), "{t}");
    }

    #[test]
    fn requests_and_revisits() {
        let ex = exchange(&[("etag", "\"v1\"")], b"same");
        let t = text(&request(&ex, "<urn:uuid:r>"));
        assert!(t.contains("WARC-Concurrent-To: <urn:uuid:r>\r\n"));
        assert!(
            t.contains(
                "\r\n\r\nGET /p?q=1 HTTP/1.1\r\nhost: a.test:8080\r\nuser-agent: trawl/0\r\n\r\n"
            ),
            "{t}"
        );
        let t = text(&revisit(&ex, "<urn:uuid:v>", Some("2026-01-01T00:00:00Z")));
        assert!(t.contains(&format!("WARC-Profile: {IDENTICAL_PAYLOAD}\r\n")));
        assert!(t.contains("WARC-Refers-To-Date: 2026-01-01T00:00:00Z\r\n"));
        assert!(!t.contains("same\r\n\r\n"), "no body in a revisit: {t}");
        let mut nm = ex;
        nm.status = 304;
        let t = text(&revisit(&nm, "<urn:uuid:w>", None));
        assert!(
            t.contains(NOT_MODIFIED) && t.contains("HTTP/1.1 304 Not Modified\r\n"),
            "{t}"
        );
        assert!(!t.contains("WARC-Payload-Digest"), "{t}");
    }
}
