//! Reading a body: chunk by chunk from the transport, before a deadline,
//! content-decoded as it arrives, with the cap counting decoded bytes (a
//! gzip bomb costs at most the cap) and, for coded bodies, raw bytes too (a
//! stream that inflates to nothing cannot run forever either). The body as
//! received is kept only when a sink asked for it.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use super::decode::{Coding, DecodeError, Decoder};
use super::transport::Body;
use crate::error::{ErrorKind, PageError};

/// What the cap means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtCap {
    /// A body past the cap is an error (`too_large`): pages.
    Fail,
    /// Only the first `cap` bytes are wanted: robots.txt.
    Truncate,
}

/// How to read one body.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub cap: u64,
    pub at_cap: AtCap,
    /// Keep the body as received too.
    pub keep_raw: bool,
    /// The declared length, to size the buffer once.
    pub hint: u64,
    pub deadline: Instant,
    /// The timeout the deadline came from, for the message.
    pub timeout: Duration,
}

/// A body read whole.
#[derive(Debug)]
pub struct Read {
    /// Content-decoded.
    pub decoded: Vec<u8>,
    /// As received, when asked for.
    pub raw: Option<Bytes>,
    /// Cut at the cap (`AtCap::Truncate`).
    pub truncated: bool,
}

/// Reads `body` coded with `coding` within `limits`. On error returns the
/// error and the decoded bytes read so far.
pub async fn read<B: Body>(
    body: &mut B,
    coding: Coding,
    limits: Limits,
) -> Result<Read, (PageError, u64)> {
    let cap = usize::try_from(limits.cap).unwrap_or(usize::MAX);
    // The declared length, up to the cap: a body read into a doubling Vec
    // would peak at twice its size. Pages of the buffer the server never
    // fills are not touched, so a false Content-Length costs no memory.
    let hint = usize::try_from(limits.hint).unwrap_or(0);
    let mut decoder = Decoder::new(coding, cap, hint);
    let mut raw = limits.keep_raw.then(BytesMut::new);
    let mut raw_len: u64 = 0;
    let too_large = || {
        let msg = format!(
            "body larger than --max-body {} bytes (after decompression)",
            limits.cap
        );
        (PageError::new(ErrorKind::TooLarge, msg), limits.cap)
    };
    loop {
        let chunk = match tokio::time::timeout_at(limits.deadline, body.chunk()).await {
            Err(_) => {
                let msg = format!(
                    "body not complete within {:?} ({} bytes read)",
                    limits.timeout,
                    decoder.len()
                );
                return Err((
                    PageError::new(ErrorKind::Timeout, msg),
                    decoder.len() as u64,
                ));
            }
            Ok(Err(e)) => return Err((e, decoder.len() as u64)),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        raw_len += chunk.len() as u64;
        if coding != Coding::Identity && raw_len > limits.cap {
            return Err(too_large());
        }
        if let Some(raw) = &mut raw {
            raw.extend_from_slice(&chunk);
        }
        match decoder.feed(&chunk) {
            Ok(()) => {}
            Err(DecodeError::Full) if limits.at_cap == AtCap::Truncate => {
                return truncated(decoder, raw);
            }
            Err(DecodeError::Full) => return Err(too_large()),
            Err(DecodeError::Corrupt(why)) => {
                let read = decoder.len() as u64;
                return Err((PageError::new(ErrorKind::Decode, why), read));
            }
        }
    }
    let read = decoder.len() as u64;
    match decoder.finish() {
        Ok(decoded) => Ok(Read {
            decoded,
            raw: raw.map(BytesMut::freeze),
            truncated: false,
        }),
        Err(DecodeError::Full) => Err(too_large()),
        Err(DecodeError::Corrupt(why)) => Err((PageError::new(ErrorKind::Decode, why), read)),
    }
}

/// The first `cap` decoded bytes of a body cut at the cap.
fn truncated(decoder: Decoder, raw: Option<BytesMut>) -> Result<Read, (PageError, u64)> {
    Ok(Read {
        decoded: decoder.into_partial(),
        raw: raw.map(BytesMut::freeze),
        truncated: true,
    })
}

/// Reads a body as received, undecoded, up to `cap` bytes and until
/// `deadline`: for the archive of a response trawl does not otherwise read
/// (a redirect, a status it retries). Returns the bytes and whether they
/// are not the whole body (the cap, the deadline or a broken connection).
pub async fn read_raw<B: Body>(body: &mut B, cap: u64, deadline: Instant) -> (Bytes, bool) {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut raw = BytesMut::new();
    loop {
        match tokio::time::timeout_at(deadline, body.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                let room = cap - raw.len();
                if chunk.len() > room {
                    raw.extend_from_slice(&chunk[..room]);
                    return (raw.freeze(), true);
                }
                raw.extend_from_slice(&chunk);
            }
            Ok(Ok(None)) => return (raw.freeze(), false),
            Ok(Err(_)) | Err(_) => return (raw.freeze(), true),
        }
    }
}
