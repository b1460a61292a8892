//! Content-decoding (RFC 9110 §8.4.1): gzip, deflate (zlib) and brotli,
//! fed the body chunk by chunk as it arrives and writing into a buffer
//! capped at the size the caller allows, so a bomb costs at most the cap
//! however far it would inflate. Any other coding is kept as received.
//!
//! Pure and synchronous: bytes in, bytes out; `body` drives it.

use std::io::{self, Write};

use flate2::{Decompress, FlushDecompress, Status};
use reqwest::header::{CONTENT_ENCODING, HeaderMap};

/// The content coding of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// None, or one trawl does not decode: the body is used as received.
    Identity,
    Gzip,
    /// `deflate`: the zlib format (RFC 9110 §8.4.1.2).
    Deflate,
    Brotli,
}

impl Coding {
    /// The coding named by `Content-Encoding`: one value, any case;
    /// `x-gzip` is `gzip` (RFC 9110 §8.4.1.3).
    pub fn of(headers: &HeaderMap) -> Coding {
        let mut values = headers.get_all(CONTENT_ENCODING).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Coding::Identity;
        };
        let value = String::from_utf8_lossy(value.as_bytes());
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Brotli,
            _ => Coding::Identity,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }
}

/// Why decoding stopped.
#[derive(Debug)]
pub enum DecodeError {
    /// The decoded body reached the cap; the buffer holds the first `cap` bytes.
    Full,
    /// The coded data is corrupt or cut short.
    Corrupt(String),
}

/// A buffer that takes bytes up to `cap`, then refuses.
#[derive(Debug)]
struct Capped {
    buf: Vec<u8>,
    cap: usize,
    full: bool,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.cap - self.buf.len();
        if data.len() > room {
            self.buf.extend_from_slice(&data[..room]);
            self.full = true;
            return Err(io::Error::other("decoded body reached its cap"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Inner {
    Identity(Capped),
    Gzip(Box<flate2::write::GzDecoder<Capped>>),
    Deflate {
        zlib: Box<Decompress>,
        out: Capped,
        ended: bool,
    },
    Brotli(Box<brotli_decompressor::DecompressorWriter<Capped>>),
}

/// Decodes one body as it arrives.
pub struct Decoder {
    inner: Inner,
    coding: Coding,
    /// Bytes of the body as received so far.
    fed: u64,
}

/// The brotli decoder's output buffer.
const BROTLI_BUFFER: usize = 16 * 1024;

impl Decoder {
    /// A decoder for `coding` whose output holds at most `cap` bytes;
    /// `hint` is the expected size (the declared length), to size the
    /// buffer once.
    pub fn new(coding: Coding, cap: usize, hint: usize) -> Decoder {
        let out = Capped {
            buf: Vec::with_capacity(hint.min(cap)),
            cap,
            full: false,
        };
        let inner = match coding {
            Coding::Identity => Inner::Identity(out),
            Coding::Gzip => Inner::Gzip(Box::new(flate2::write::GzDecoder::new(out))),
            Coding::Deflate => Inner::Deflate {
                zlib: Box::new(Decompress::new(true)),
                out,
                ended: false,
            },
            Coding::Brotli => Inner::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(out, BROTLI_BUFFER),
            )),
        };
        Decoder {
            inner,
            coding,
            fed: 0,
        }
    }

    /// Bytes decoded so far.
    pub fn len(&self) -> usize {
        self.out().buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What was decoded so far, when the rest is not wanted.
    pub fn into_partial(mut self) -> Vec<u8> {
        let out = match &mut self.inner {
            Inner::Identity(out) | Inner::Deflate { out, .. } => out,
            Inner::Gzip(gz) => gz.get_mut(),
            Inner::Brotli(br) => br.get_mut(),
        };
        std::mem::take(&mut out.buf)
    }

    fn out(&self) -> &Capped {
        match &self.inner {
            Inner::Identity(out) | Inner::Deflate { out, .. } => out,
            Inner::Gzip(gz) => gz.get_ref(),
            Inner::Brotli(br) => br.get_ref(),
        }
    }

    /// Decodes one chunk of the body as received. Data after the end of a
    /// compressed stream is ignored, as browsers do.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), DecodeError> {
        let coding = self.coding;
        self.fed += chunk.len() as u64;
        let written = match &mut self.inner {
            Inner::Identity(out) => out.write_all(chunk),
            Inner::Gzip(gz) => write_until_end(gz.as_mut(), chunk),
            Inner::Brotli(br) => write_until_end(br.as_mut(), chunk),
            Inner::Deflate { zlib, out, ended } => inflate(zlib, out, ended, chunk),
        };
        written.map_err(|e| self.error(coding, e))
    }

    /// The whole body decoded, once the last chunk is in.
    pub fn finish(self) -> Result<Vec<u8>, DecodeError> {
        let coding = self.coding;
        let cut = |what: &str| DecodeError::Corrupt(format!("{} body {what}", coding.name()));
        if self.fed == 0 {
            // Nothing came (a 204, or an empty body declared compressed).
            return Ok(Vec::new());
        }
        match self.inner {
            Inner::Identity(out) => Ok(out.buf),
            Inner::Deflate { out, ended, .. } => match ended {
                true => Ok(out.buf),
                false => Err(cut("cut short")),
            },
            Inner::Gzip(mut gz) => {
                gz.try_finish()
                    .map_err(|e| DecodeError::Corrupt(format!("corrupt gzip body: {e}")))?;
                let out = gz
                    .finish()
                    .map_err(|e| DecodeError::Corrupt(format!("corrupt gzip body: {e}")))?;
                Ok(out.buf)
            }
            Inner::Brotli(br) => match br.into_inner() {
                Ok(out) => Ok(out.buf),
                Err(out) if out.full => Err(DecodeError::Full),
                Err(_) => Err(cut("is corrupt or cut short")),
            },
        }
    }

    fn error(&self, coding: Coding, e: io::Error) -> DecodeError {
        if self.out().full {
            DecodeError::Full
        } else {
            DecodeError::Corrupt(format!("corrupt {} body: {e}", coding.name()))
        }
    }
}

/// Writes `data` into a decoding writer until it takes no more (the end of
/// its stream).
fn write_until_end(w: &mut impl Write, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match w.write(data)? {
            0 => return Ok(()),
            n => data = &data[n..],
        }
    }
    Ok(())
}

/// Inflates one chunk of a zlib stream into `out`.
fn inflate(
    zlib: &mut Decompress,
    out: &mut Capped,
    ended: &mut bool,
    mut input: &[u8],
) -> io::Result<()> {
    let mut buf = [0u8; 32 * 1024];
    while !*ended && !input.is_empty() {
        let (in_before, out_before) = (zlib.total_in(), zlib.total_out());
        let status = zlib
            .decompress(input, &mut buf, FlushDecompress::None)
            .map_err(io::Error::other)?;
        let used = (zlib.total_in() - in_before) as usize;
        let made = (zlib.total_out() - out_before) as usize;
        out.write_all(&buf[..made])?;
        input = &input[used..];
        if status == Status::StreamEnd {
            *ended = true;
        } else if used == 0 && made == 0 {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    /// Decodes `coded` fed in chunks of `step` bytes.
    fn decode(
        coding: Coding,
        coded: &[u8],
        step: usize,
        cap: usize,
    ) -> Result<Vec<u8>, DecodeError> {
        let mut d = Decoder::new(coding, cap, 0);
        for chunk in coded.chunks(step.max(1)) {
            d.feed(chunk)?;
        }
        d.finish()
    }

    #[test]
    fn every_coding_round_trips_in_any_chunking() {
        let text = "<p>some text to compress</p>".repeat(2000);
        let cases = [
            (Coding::Identity, text.as_bytes().to_vec()),
            (Coding::Gzip, gzip(text.as_bytes())),
            (Coding::Deflate, zlib(text.as_bytes())),
            (Coding::Brotli, brotli(text.as_bytes())),
        ];
        for (coding, coded) in cases {
            for step in [1, 7, 4096, coded.len()] {
                let got = decode(coding, &coded, step, 1 << 20)
                    .unwrap_or_else(|e| panic!("{coding:?} step {step}: {e:?}"));
                assert_eq!(got, text.as_bytes(), "{coding:?} step {step}");
            }
        }
    }

    #[test]
    fn the_cap_stops_a_bomb_with_the_first_bytes_kept() {
        let zeros = vec![0u8; 4 << 20];
        for (coding, coded) in [
            (Coding::Gzip, gzip(&zeros)),
            (Coding::Deflate, zlib(&zeros)),
            (Coding::Brotli, brotli(&zeros)),
            (Coding::Identity, zeros.clone()),
        ] {
            let mut d = Decoder::new(coding, 1000, 0);
            let err = coded
                .chunks(512)
                .find_map(|c| d.feed(c).err())
                .map_or_else(|| d.finish().err(), Some);
            assert!(
                matches!(err, Some(DecodeError::Full)),
                "{coding:?}: {err:?}"
            );
        }
    }

    #[test]
    fn corrupt_and_cut_streams_are_errors() {
        let text = "<p>some text to compress</p>".repeat(500);
        let good = gzip(text.as_bytes());
        let mut bad_crc = good.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 0xff;
        let z = zlib(text.as_bytes());
        let br = brotli(text.as_bytes());
        let cases = [
            (
                "gzip cut in half",
                Coding::Gzip,
                good[..good.len() / 2].to_vec(),
            ),
            ("gzip with a wrong CRC", Coding::Gzip, bad_crc),
            (
                "not gzip",
                Coding::Gzip,
                b"plain text, not gzip at all".to_vec(),
            ),
            (
                "zlib cut in half",
                Coding::Deflate,
                z[..z.len() / 2].to_vec(),
            ),
            ("not zlib", Coding::Deflate, b"\xff\xfe plain".to_vec()),
            (
                "brotli cut in half",
                Coding::Brotli,
                br[..br.len() / 2].to_vec(),
            ),
        ];
        for (name, coding, coded) in cases {
            let got = decode(coding, &coded, 100, 1 << 20);
            assert!(
                matches!(got, Err(DecodeError::Corrupt(_))),
                "{name}: {got:?}"
            );
        }
    }

    #[test]
    fn empty_bodies_and_trailing_bytes() {
        for coding in [Coding::Identity, Coding::Gzip, Coding::Deflate] {
            assert_eq!(decode(coding, b"", 10, 100).unwrap(), b"", "{coding:?}");
        }
        let mut coded = gzip(b"hello");
        coded.extend_from_slice(b"garbage after the member");
        assert_eq!(decode(Coding::Gzip, &coded, 3, 100).unwrap(), b"hello");
    }

    #[test]
    fn codings_from_headers() {
        let of = |v: &[&str]| {
            let mut h = HeaderMap::new();
            for v in v {
                h.append(CONTENT_ENCODING, v.parse().unwrap());
            }
            Coding::of(&h)
        };
        assert_eq!(of(&[]), Coding::Identity);
        assert_eq!(of(&["gzip"]), Coding::Gzip);
        assert_eq!(of(&[" GZIP "]), Coding::Gzip);
        assert_eq!(of(&["x-gzip"]), Coding::Gzip);
        assert_eq!(of(&["deflate"]), Coding::Deflate);
        assert_eq!(of(&["br"]), Coding::Brotli);
        assert_eq!(of(&["x-weird"]), Coding::Identity);
        assert_eq!(
            of(&["gzip", "br"]),
            Coding::Identity,
            "stacked codings are kept as received"
        );
    }
}
