//! Page errors: the closed list of error kinds from SPEC (`ErrorKind`) and
//! the `error` object of a record (`PageError`). A leaf: each transport
//! classifies its own failures into these kinds (`fetch::http` for reqwest).
//!
//! A failed page is a record, never an `Err` that stops the crawl; only
//! `run::AppError` does that.

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
    /// Shared crawls: workers died holding the URL too often.
    Abandoned,
    /// `--render`: the browser could not render the page (it crashed or
    /// refused); the page's record has what HTTP gave.
    Render,
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
            ErrorKind::Abandoned => "abandoned",
            ErrorKind::Render => "render",
        }
    }

    /// Transient failures worth another attempt (SPEC `--retries`).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Body | ErrorKind::Render
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
            (ErrorKind::Render, "render"),
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
