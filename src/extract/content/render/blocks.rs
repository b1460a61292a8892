//! Blocks of rendered content, as they are written: paragraphs gathered
//! from inline text, and the rules that work on whole blocks (a heading
//! with nothing under it, the heading or label of what follows the article
//! rather than belongs to it).

use super::afterword;

/// Soft hyphen, zero-width space, word joiner, byte order mark: invisible
/// in a browser unless a line breaks there, and a search for the word
/// misses it. (The zero-width joiner stays: emoji are built with it.)
const FORMAT: &[char] = &['\u{ad}', '\u{200b}', '\u{2060}', '\u{feff}'];

/// Blocks written so far, and the paragraph being written.
#[derive(Default)]
pub(in crate::extract::content) struct Blocks {
    pub(super) blocks: Vec<String>,
    pub(super) line: String,
    /// The levels of the headings at the end of `blocks`, nothing
    /// written under them yet.
    open_heads: Vec<u8>,
    /// The blocks of the page, not of one element (a heading's text, a
    /// list item): only these drop labels ("Read more:").
    page: bool,
}

impl Blocks {
    /// The blocks of a whole page.
    pub(super) fn page() -> Blocks {
        Blocks {
            page: true,
            ..Blocks::default()
        }
    }

    /// Appends text, whitespace already folded; one space between words
    /// written apart. Characters that only hint at a line break or join
    /// (`FORMAT`) are left out: `Ita&shy;li&shy;ens` is written `Italiens`.
    pub(super) fn push_text(&mut self, s: &str) {
        let cleaned;
        let s = if s.contains(FORMAT) {
            cleaned = s.replace(FORMAT, "");
            cleaned.as_str()
        } else {
            s
        };
        let mut words = s.split_whitespace().peekable();
        let lead = s.starts_with(char::is_whitespace);
        let trail = s.ends_with(char::is_whitespace);
        if words.peek().is_none() {
            if !s.is_empty() {
                self.space();
            }
            return;
        }
        if lead {
            self.space();
        }
        let mut first = true;
        for w in words {
            if !first {
                self.line.push(' ');
            }
            first = false;
            self.line.push_str(w);
        }
        if trail {
            self.line.push(' ');
        }
    }

    /// One space, unless one (or a line break) is there. At the start of
    /// a line too: an inline element's text that starts with a space
    /// (`la<strong> Copa</strong>`) keeps it for `lead_space`, and
    /// `flush` trims a paragraph's ends.
    pub(super) fn space(&mut self) {
        if !self.line.ends_with([' ', '\n']) {
            self.line.push(' ');
        }
    }

    /// Appends markup or text as it is.
    pub(super) fn push_raw(&mut self, s: &str) {
        self.line.push_str(s);
    }

    /// Ends the paragraph being written.
    pub(super) fn flush(&mut self) {
        let line = std::mem::take(&mut self.line);
        let text = line
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if text.is_empty() {
            return;
        }
        // A label on its own line ("Read more:") heads what follows.
        if self.page && text.chars().count() <= 40 && afterword::is_label(&text) {
            return;
        }
        // A credit line ("Source: Eurostat") says where the story came
        // from; "Anzeige" marks an advertisement's place.
        if self.page && (afterword::is_credit(&text) || afterword::is_ad_mark(&text)) {
            return;
        }
        self.blocks.push(text);
        self.open_heads.clear();
    }

    pub(super) fn push_block(&mut self, block: String) {
        self.flush();
        if !block.trim().is_empty() {
            self.blocks.push(block);
            self.open_heads.clear();
        }
    }

    /// A heading of `level`, `text` written as `written`. One of the same
    /// or a higher rank before it, with nothing under it, is dropped (its
    /// section was boilerplate: "Related articles" over a list of links
    /// left out). A heading that reads as a sentence (a lead set as
    /// `<h4>`) is content whatever follows it. A heading of what follows
    /// an article ("Related articles", "Comments") is left out: what it
    /// heads is, as a rule, links or teasers, left out by their own
    /// rules (its section is not: a "Read also:" heading inside an
    /// article may head the rest of the article).
    pub(super) fn push_heading(&mut self, level: u8, text: &str, written: String) {
        self.flush();
        if afterword::is_heading(text) {
            return;
        }
        let sentence = text.ends_with(['.', '!']) || text.chars().count() > 100;
        if sentence {
            return self.push_block(written);
        }
        while self.open_heads.last().is_some_and(|&l| l >= level) {
            self.open_heads.pop();
            self.blocks.pop();
        }
        self.blocks.push(written);
        self.open_heads.push(level);
    }

    pub(super) fn finish(mut self) -> String {
        self.flush();
        // Headings at the end head nothing, unless they are all there is.
        if self.open_heads.len() < self.blocks.len() {
            let keep = self.blocks.len() - self.open_heads.len();
            self.blocks.truncate(keep);
        }
        self.blocks.join("\n\n")
    }
}
