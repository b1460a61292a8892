//! URL vocabulary that every stage shares: how a link becomes the URL to
//! request and the key that dedupe uses (`normalize`, and `join` for the
//! plain links that need no full parse), and what a seed's
//! scope is measured from (`anchor`), and the authority that politeness and
//! connection pools are kept per.
//!
//! A leaf: it depends only on `options` and the `url` crate, so the
//! frontier, the stores, extraction and the seed reader can all use it
//! without depending on each other.

pub mod anchor;
pub mod join;
pub mod normalize;

pub use anchor::Anchor;

use url::Url;

/// `host:port` of a URL, with the scheme's default port made explicit.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}
