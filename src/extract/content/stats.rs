//! Each element's text and link text, in characters other than
//! whitespace, counted once for the whole page (left-out subtrees count
//! nothing).

use std::collections::HashMap;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::clean::Junk;

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
    map: HashMap<NodeId, Count>,
}

impl Stats {
    /// Counts every element of `doc`, children before parents.
    pub(super) fn count(doc: &Html, junk: &Junk) -> Stats {
        let mut map: HashMap<NodeId, Count> = HashMap::new();
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
