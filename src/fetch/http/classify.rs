//! How a request's error becomes a record's error: the kind is picked by
//! walking the error's source chain (typed errors from trawl's resolver,
//! rustls, hyper and io errors), never by reading message text. The two
//! clients (`direct` and reqwest) differ only in what their top-level error
//! says of itself ([`Hints`]).

use std::error::Error as StdError;

use crate::error::{ErrorKind, PageError};

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

/// What a client's own error type says of the failure, besides its chain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hints {
    pub timeout: bool,
    pub connect: bool,
    /// A response body that could not be decoded (reqwest's own decoders).
    pub decode: bool,
    pub redirect: bool,
    /// The request could not be built (its URL).
    pub builder: bool,
    /// The client's limit on a response head, in bytes.
    pub head_limit: usize,
}

/// hyper's limit on a response head when not configured (its default
/// largest read buffer), which reqwest keeps.
const HYPER_HEAD_LIMIT: usize = 8192 + 4096 * 100;

/// The kind and message of a reqwest error.
pub fn classify(err: &reqwest::Error) -> PageError {
    let hints = Hints {
        timeout: err.is_timeout(),
        connect: err.is_connect(),
        decode: err.is_decode(),
        redirect: err.is_redirect(),
        builder: err.is_builder(),
        head_limit: HYPER_HEAD_LIMIT,
    };
    classify_chain(err, hints)
}

/// The kind and message of an error of the direct client, before the
/// response (connecting, sending, the head) or in its body.
pub fn classify_direct(
    err: &(dyn StdError + 'static),
    connect: bool,
    head_limit: usize,
) -> PageError {
    classify_chain(
        err,
        Hints {
            connect,
            head_limit,
            ..Hints::default()
        },
    )
}

/// Picks the kind of a request error by walking its source chain, and builds
/// a message from the most specific causes.
fn classify_chain(err: &(dyn StdError + 'static), hints: Hints) -> PageError {
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
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            from_connection = true;
            if hyper.is_parse_too_large() {
                let limit = hints.head_limit / 1024;
                return PageError::new(
                    ErrorKind::TooLarge,
                    format!("response head larger than {limit} KiB: {message}"),
                );
            }
        }
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
    let kind = if hints.timeout || io_kind == Some(std::io::ErrorKind::TimedOut) {
        ErrorKind::Timeout
    } else if hints.connect {
        ErrorKind::Connect
    } else if hints.decode && !from_connection {
        ErrorKind::Decode
    } else if hints.redirect {
        ErrorKind::RedirectLimit
    } else if hints.builder {
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

/// Whether a request failed because the process or the system ran out of
/// file descriptors (EMFILE, ENFILE): back-pressure, not the server's fault.
pub fn out_of_descriptors(err: &(dyn StdError + 'static)) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(io.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                return true;
            }
            if let Some(inner) = io.get_ref() {
                source = Some(inner);
                continue;
            }
        }
        source = e.source();
    }
    false
}
