//! Serves a fixture directory as a static website: the fallback handler of
//! the test server.
//!
//! Receives every request no programmable route matched and answers from
//! files only:
//! - the path is percent-decoded before the lookup (`/caf%C3%A9.html` serves
//!   `café.html`); the query is ignored; `.` and `..` segments are refused;
//! - `/dir/` serves `dir/index.html`, `/dir` answers 301 to `/dir/`, anything
//!   else missing is a 404 with a small HTML body;
//! - the Content-Type comes from `_headers` (`PATH<TAB>type`, or
//!   `PATH<TAB>Name: value` for any other header; PATH is the decoded request
//!   path or the served file's path), else from the extension;
//! - in text types only, `{{origin}}` (`http://IP:PORT`), `{{host}}`
//!   (`IP:PORT`), `{{ip}}` and `{{port}}` are replaced, byte-wise so that
//!   files in legacy encodings stay byte-exact. Binary files are never
//!   touched.
//!
//! It never writes to the fixture directory and never serves `_headers`.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

/// The file listing per-path header overrides, in the fixture directory.
const HEADERS_FILE: &str = "_headers";

pub(crate) struct Site {
    root: PathBuf,
    /// Decoded path → headers to set, Content-Type first if overridden.
    overrides: HashMap<String, Vec<(HeaderName, HeaderValue)>>,
    /// Placeholder → replacement, for text responses.
    vars: Vec<(&'static [u8], Vec<u8>)>,
}

impl Site {
    /// Prepares to serve `root` for the server bound at `addr`; panics on a
    /// malformed `_headers`, which is a broken fixture.
    pub(crate) fn load(root: PathBuf, addr: SocketAddr) -> Site {
        assert!(
            root.is_dir(),
            "fixture directory {} does not exist",
            root.display()
        );
        let overrides = read_overrides(&root.join(HEADERS_FILE));
        let vars = vec![
            (&b"{{origin}}"[..], format!("http://{addr}").into_bytes()),
            (&b"{{host}}"[..], addr.to_string().into_bytes()),
            (&b"{{ip}}"[..], addr.ip().to_string().into_bytes()),
            (&b"{{port}}"[..], addr.port().to_string().into_bytes()),
        ];
        Site {
            root,
            overrides,
            vars,
        }
    }

    pub(crate) async fn serve(&self, req: Request) -> Response {
        let method = req.method();
        if method != Method::GET && method != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let raw_path = req.uri().path();
        let Some(path) = percent_decode(raw_path) else {
            return not_found();
        };
        let Some(mut file) = self.file_for(&path) else {
            return not_found();
        };

        let mut file_key = path.clone();
        match tokio::fs::metadata(&file).await {
            Ok(meta) if meta.is_dir() => {
                if !path.ends_with('/') {
                    let query = req
                        .uri()
                        .query()
                        .map(|q| format!("?{q}"))
                        .unwrap_or_default();
                    return redirect(&format!("{raw_path}/{query}"));
                }
                file.push("index.html");
                file_key.push_str("index.html");
            }
            Ok(_) if path.ends_with('/') => return not_found(),
            Ok(_) => {}
            Err(_) => return not_found(),
        }
        let bytes = match tokio::fs::read(&file).await {
            Ok(bytes) => bytes,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::IsADirectory) => {
                return not_found();
            }
            Err(e) => {
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("cannot read {}: {e}", file.display()),
                );
            }
        };

        let overrides = self
            .overrides
            .get(&path)
            .or_else(|| self.overrides.get(&file_key))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let content_type = overrides
            .iter()
            .find(|(name, _)| name == header::CONTENT_TYPE)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| HeaderValue::from_static(content_type_for(&file)));
        let body = if is_text(content_type.to_str().unwrap_or_default()) {
            substitute(&bytes, &self.vars)
        } else {
            bytes
        };

        let mut builder = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len());
        for (name, value) in overrides {
            if name != header::CONTENT_TYPE {
                builder = builder.header(name, value);
            }
        }
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        };
        builder
            .body(body)
            .unwrap_or_else(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))
    }

    /// The file system path for a decoded URL path, or `None` when the path
    /// could leave the fixture directory or names `_headers`.
    fn file_for(&self, path: &str) -> Option<PathBuf> {
        let mut file = self.root.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." || segment.contains('\\') || segment.contains('\0')
            {
                return None;
            }
            file.push(segment);
        }
        if file == self.root.join(HEADERS_FILE) {
            return None;
        }
        Some(file)
    }
}

/// Reads `_headers`: `PATH<TAB>VALUE`, where VALUE is either a Content-Type
/// or `Name: value`. A missing file means no overrides.
fn read_overrides(file: &Path) -> HashMap<String, Vec<(HeaderName, HeaderValue)>> {
    let mut overrides: HashMap<String, Vec<(HeaderName, HeaderValue)>> = HashMap::new();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return overrides,
        Err(e) => panic!("cannot read {}: {e}", file.display()),
    };
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let where_ = format!("{}:{}", file.display(), number + 1);
        let (path, value) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{where_}: expected PATH<TAB>VALUE, got {line:?}"));
        let value = value.trim();
        // A Content-Type never contains ':' before its '/', a header line does.
        let named = value.split_once(':').and_then(|(name, rest)| {
            HeaderName::from_bytes(name.trim().as_bytes())
                .ok()
                .map(|name| (name, rest.trim()))
        });
        let (name, value) = named.unwrap_or((header::CONTENT_TYPE, value));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("{where_}: bad header value {value:?}: {e}"));
        overrides
            .entry(path.to_owned())
            .or_default()
            .push((name, value));
    }
    overrides
}

/// Decodes `%XX` escapes; `None` if the result is not UTF-8. A `%` not
/// followed by two hex digits stays as it is.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn content_type_for(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "txt" => "text/plain",
        "json" => "application/json",
        "xml" => "application/xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "css" => "text/css",
        "js" => "text/javascript",
        "csv" => "text/csv",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// Whether placeholders are substituted in a response of this Content-Type.
fn is_text(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || mime == "application/json"
        || mime == "application/xml"
        || mime == "application/javascript"
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
}

fn substitute(body: &[u8], vars: &[(&'static [u8], Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    'scan: while let Some((&first, tail)) = rest.split_first() {
        if first == b'{' {
            for (placeholder, value) in vars {
                if let Some(after) = rest.strip_prefix(*placeholder) {
                    out.extend_from_slice(value);
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(first);
        rest = tail;
    }
    out
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\
         <body><h1>Not Found</h1><p>No such page in the fixture site.</p></body></html>\n",
    )
}

fn redirect(location: &str) -> Response {
    let mut response = html(
        StatusCode::MOVED_PERMANENTLY,
        "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head>\
         <body><h1>Moved Permanently</h1></body></html>\n",
    );
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn html(status: StatusCode, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn plain(status: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
