//! Each element's text and link text, in characters other than
//! whitespace, counted once for the whole page (left-out subtrees count
//! nothing).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::clean::Junk;

/// A map keyed by node: a node id is an index, so hashing it is one multiply.
pub(super) type IdMap<V> = HashMap<NodeId, V, BuildHasherDefault<IdHasher>>;

/// Hashes the one integer a `NodeId` writes, as rustc's FxHasher does.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Characters of text, and of text inside links.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Count {
    pub text: u32,
    pub link: u32,
}

impl Count {
    /// The share of the text that is link text.
    pub(super) fn link_density(self) -> f64 {
        if self.text == 0 {
            0.0
        } else {
            f64::from(self.link) / f64::from(self.text)
        }
    }

    /// Text outside links.
    pub(super) fn plain(self) -> u32 {
        self.text - self.link
    }
}

pub(super) struct Stats {
    map: IdMap<Count>,
}

impl Stats {
    /// Counts every element of `doc`, children before parents.
    pub(super) fn count(doc: &Html, junk: &Junk) -> Stats {
        let mut map: IdMap<Count> = IdMap::default();
        for edge in doc.tree.root().traverse() {
            let Edge::Close(node) = edge else { continue };
            let Node::Element(el) = node.value() else {
                continue;
            };
            if junk.contains(node) {
                continue;
            }
            let mut c = Count::default();
            for child in node.children() {
                match child.value() {
                    Node::Text(t) => {
                        c.text += t.chars().filter(|ch| !ch.is_whitespace()).count() as u32;
                    }
                    Node::Element(_) => {
                        let cc = map.get(&child.id()).copied().unwrap_or_default();
                        c.text += cc.text;
                        c.link += cc.link;
                    }
                    _ => {}
                }
            }
            if el.name() == "a" {
                c.link = c.text;
            }
            map.insert(node.id(), c);
        }
        Stats { map }
    }

    /// The counts of `node` (nothing for text and left-out elements).
    pub(super) fn of(&self, node: NodeId) -> Count {
        self.map.get(&node).copied().unwrap_or_default()
    }
}
