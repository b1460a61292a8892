//! URL vocabulary that every stage shares: how a link becomes the URL to
//! request and the key that dedupe uses (`normalize`), and what a seed's
//! scope is measured from (`anchor`).
//!
//! A leaf: it depends only on `options` and the `url` crate, so the
//! frontier, the stores, extraction and the seed reader can all use it
//! without depending on each other.

pub mod anchor;
pub mod normalize;

pub use anchor::Anchor;
