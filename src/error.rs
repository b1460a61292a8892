//! Error kinds: the closed list of page error kinds from SPEC (`ErrorKind`),
//! the one `classify()` that looks inside reqwest/hyper/io errors to pick a
//! kind, and the application errors that end a run with exit code 1 or 2.
//!
//! A failed page is a record (`PageError`), never an `Err` that stops the
//! crawl; only `AppError` does that.

use std::error::Error as StdError;
use std::fmt;

use serde::Serialize;

/// Why a page has no usable response. The list is closed (SPEC "Output").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Dns,
    Connect,
    Tls,
    Timeout,
    HttpStatus,
    TooLarge,
    RedirectLimit,
    RedirectScheme,
    Robots,
    Body,
    Decode,
    InvalidUrl,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Dns => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::RedirectLimit => "redirect_limit",
            ErrorKind::RedirectScheme => "redirect_scheme",
            ErrorKind::Robots => "robots",
            ErrorKind::Body => "body",
            ErrorKind::Decode => "decode",
            ErrorKind::InvalidUrl => "invalid_url",
        }
    }

    /// Transient failures worth another attempt (SPEC `--retries`).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Body
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageError {
    pub kind: ErrorKind,
    pub message: String,
    /// A refusal that another attempt cannot change (`--deny-private-ips`),
    /// whatever its kind.
    #[serde(skip)]
    pub permanent: bool,
}

impl PageError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> PageError {
        PageError {
            kind,
            message: message.into(),
            permanent: false,
        }
    }

    /// Whether another attempt may succeed (SPEC `--retries`).
    pub fn is_retryable(&self) -> bool {
        !self.permanent && self.kind.is_retryable()
    }
}

/// A DNS lookup failure, raised by trawl's resolver so `classify` can tell it
/// from a refused connection without reading message text.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {reason}")]
pub struct DnsError {
    pub host: String,
    pub reason: String,
}

/// An address refused by `--deny-private-ips`.
#[derive(Debug, thiserror::Error)]
#[error("refused {addr} for {host}: private, loopback or link-local address (--deny-private-ips)")]
pub struct PrivateAddressError {
    pub host: String,
    pub addr: std::net::IpAddr,
}

/// Picks the kind of a request error by walking its source chain, and builds
/// a message from the most specific causes.
pub fn classify(err: &reqwest::Error) -> PageError {
    let message = chain_message(err);
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    let mut io_kind = None;
    // A broken connection always shows up as a hyper error somewhere in the
    // chain; a failed decompression never does.
    let mut from_connection = false;
    while let Some(e) = source {
        tracing::trace!("error chain: {e:?}");
        if e.is::<DnsError>() {
            return PageError::new(ErrorKind::Dns, message);
        }
        if e.is::<PrivateAddressError>() {
            let mut err = PageError::new(ErrorKind::Connect, message);
            err.permanent = true;
            return err;
        }
        from_connection |= e.is::<hyper::Error>();
        if e.is::<rustls::Error>() {
            return PageError::new(ErrorKind::Tls, message);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
            // An io::Error's source() skips the error it wraps; step into it.
            if let Some(inner) = io.get_ref() {
                source = Some(inner);
                continue;
            }
        }
        source = e.source();
    }
    let kind = if err.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        ErrorKind::Timeout
    } else if err.is_connect() {
        ErrorKind::Connect
    } else if err.is_decode() && !from_connection {
        ErrorKind::Decode
    } else if err.is_redirect() {
        ErrorKind::RedirectLimit
    } else if err.is_builder() {
        ErrorKind::InvalidUrl
    } else {
        // The connection broke after it was made: before the headers were
        // complete or in the middle of the body (SPEC: `body`).
        ErrorKind::Body
    };
    PageError::new(kind, message)
}

/// "a: b: c" from an error and its sources, skipping repeats, without the URL
/// reqwest puts in its top-level text (the record carries it already).
fn chain_message(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(err);
    while let Some(e) = source {
        let text = e.to_string();
        let text = match text.find(" for url (") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Errors that end the whole run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad flags, config or seeds: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Output not writable, state corrupt, and the like: exit 1.
    #[error("{0}")]
    Fatal(String),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            AppError::Fatal(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_spec_names() {
        let all = [
            (ErrorKind::Dns, "dns"),
            (ErrorKind::Connect, "connect"),
            (ErrorKind::Tls, "tls"),
            (ErrorKind::Timeout, "timeout"),
            (ErrorKind::HttpStatus, "http_status"),
            (ErrorKind::TooLarge, "too_large"),
            (ErrorKind::RedirectLimit, "redirect_limit"),
            (ErrorKind::RedirectScheme, "redirect_scheme"),
            (ErrorKind::Robots, "robots"),
            (ErrorKind::Body, "body"),
            (ErrorKind::Decode, "decode"),
            (ErrorKind::InvalidUrl, "invalid_url"),
        ];
        for (kind, name) in all {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(kind.as_str(), name);
        }
    }

    #[test]
    fn only_transient_kinds_retry() {
        assert!(ErrorKind::Connect.is_retryable());
        assert!(ErrorKind::Timeout.is_retryable());
        assert!(ErrorKind::Body.is_retryable());
        assert!(!ErrorKind::Dns.is_retryable());
        assert!(!ErrorKind::Tls.is_retryable());
        assert!(!ErrorKind::TooLarge.is_retryable());
    }
}
