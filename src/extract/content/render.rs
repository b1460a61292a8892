//! What is kept, written out: GitHub-flavoured Markdown (headings,
//! paragraphs, lists, block quotes, fenced code, tables, emphasis, links and
//! images made absolute, formulas as TeX: `math`) or plain text (the same
//! blocks, no markup).
//! Links without text are dropped (their text, if any, stays), images
//! without a source and tracking pixels too; whitespace is folded as a
//! browser folds it, except in `<pre>`.

use scraper::{ElementRef, Node};
use url::Url;

use super::clean::{Junk, Kind};
use super::locate::{Kept, LeaveOut};
use super::stats::Stats;

mod afterword;
mod blocks;
mod math;
mod table;

pub(super) use blocks::Blocks;

/// Markdown or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Markdown,
    Text,
}

/// Elements that start a block of their own.
pub(super) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "form"
            | "fieldset"
            | "figure"
            | "figcaption"
            | "center"
            | "address"
            | "details"
            | "summary"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "hr"
            | "body"
            | "html"
            | "hgroup"
            | "legend"
            | "dialog"
            | "menu"
            | "noscript"
    )
}

/// Plain text (JSON-LD's `articleBody`) as paragraphs: one a line of the
/// text, whitespace folded, Markdown's characters escaped.
pub(super) fn paragraphs(text: &str, mode: Mode) -> String {
    text.lines()
        .map(crate::extract::collapse_whitespace)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if mode == Mode::Markdown {
                escape(&l)
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Renders `kept` as `mode`.
pub(super) fn render(
    kept: &Kept<'_>,
    junk: &Junk,
    stats: &Stats,
    base: &Url,
    mode: Mode,
) -> String {
    let r = Renderer {
        junk,
        stats,
        base,
        mode,
        leave_out: kept.leave_out,
    };
    let mut out = Blocks::page();
    for root in &kept.roots {
        r.children(*root, &mut out);
        out.flush();
    }
    out.finish()
}

struct Renderer<'r> {
    junk: &'r Junk,
    stats: &'r Stats,
    base: &'r Url,
    mode: Mode,
    leave_out: LeaveOut,
}

impl Renderer<'_> {
    fn markdown(&self) -> bool {
        self.mode == Mode::Markdown
    }

    /// Whether `el` is left out here.
    fn skipped(&self, el: ElementRef<'_>) -> bool {
        match (self.junk.get(el.id()), self.leave_out) {
            (Some(Kind::Invisible), _) => return true,
            (Some(Kind::Boilerplate), LeaveOut::Boilerplate | LeaveOut::LinkBlocks) => return true,
            _ => {}
        }
        self.leave_out == LeaveOut::LinkBlocks && self.link_block(el)
    }

    /// A block made mostly of links: a menu, a list of related articles;
    /// a table only when links are most of it (a recipe's ingredients, a
    /// product comparison, link their items and are data).
    fn link_block(&self, el: ElementRef<'_>) -> bool {
        let c = self.stats.of(el.id());
        if c.text == 0 {
            return false;
        }
        let d = c.link_density();
        match el.value().name() {
            "table" => d > 0.7 && (c.text < 1_500 || d > 0.8),
            "ul" | "ol" | "dl" | "div" | "section" | "form" | "header" | "span" | "center"
            | "font" => d > 0.5 && (c.text < 1_500 || d > 0.8),
            "p" | "li" | "h2" | "h3" | "h4" | "h5" | "h6" => d > 0.8 && c.text < 300,
            _ => false,
        }
    }

    fn children(&self, el: ElementRef<'_>, out: &mut Blocks) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    if self.markdown() {
                        out.push_text(&escape(t));
                    } else {
                        out.push_text(t);
                    }
                }
                Node::Element(_) => {
                    if let Some(c) = ElementRef::wrap(child)
                        && !self.skipped(c)
                    {
                        self.element(c, out);
                    }
                }
                _ => {}
            }
        }
    }

    /// The content of `el` as blocks of its own.
    fn sub(&self, el: ElementRef<'_>) -> Vec<String> {
        let mut b = Blocks::default();
        self.children(el, &mut b);
        b.flush();
        b.blocks
    }

    fn element(&self, el: ElementRef<'_>, out: &mut Blocks) {
        let name = el.value().name();
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let text = self.sub(el).join(" ");
                if !text.is_empty() {
                    let level = name.as_bytes()[1] - b'0';
                    let text = text.replace('\n', " ");
                    let written = if self.markdown() {
                        format!("{} {text}", "#".repeat(usize::from(level)))
                    } else {
                        text.clone()
                    };
                    out.push_heading(level, &text, written);
                }
            }
            "ul" | "ol" | "menu" => out.push_block(self.list(el, name == "ol")),
            "blockquote" => {
                let inner = self.sub(el).join("\n\n");
                if self.markdown() {
                    out.push_block(prefix_lines(&inner, "> ", "> "));
                } else {
                    out.push_block(inner);
                }
            }
            "pre" => out.push_block(self.pre(el)),
            "table" => {
                if let Some(t) = table::render(self, el) {
                    out.push_block(t);
                } else {
                    out.flush();
                    self.children(el, out);
                    out.flush();
                }
            }
            "hr" => {
                if self.markdown() {
                    out.push_block("---".to_string());
                } else {
                    out.flush();
                }
            }
            "br" => out.push_raw("\n"),
            "img" => self.image(el, out),
            "a" => self.link(el, out),
            "strong" | "b" => self.wrapped(el, "**", out),
            "em" | "i" | "cite" => self.wrapped(el, "*", out),
            "s" | "del" | "strike" => self.wrapped(el, "~~", out),
            "code" | "kbd" | "samp" | "tt" => self.code(el, out),
            "math" => self.math(el, out),
            "dt" if self.markdown() => {
                let text = self.sub(el).join(" ");
                if !text.is_empty() {
                    out.push_block(format!("**{text}**"));
                }
            }
            _ if is_block(name) => {
                out.flush();
                self.children(el, out);
                out.flush();
            }
            _ => self.children(el, out),
        }
    }

    fn list(&self, el: ElementRef<'_>, ordered: bool) -> String {
        let mut items = Vec::new();
        let mut n = el
            .value()
            .attr("start")
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(1);
        for child in el.children() {
            let Some(c) = ElementRef::wrap(child) else {
                if let Node::Text(t) = child.value()
                    && !t.trim().is_empty()
                {
                    items.push(t.trim().to_string());
                }
                continue;
            };
            if self.skipped(c) {
                continue;
            }
            // Tight lists: an item's blocks (a paragraph, a nested list)
            // go on lines of their own, not paragraphs.
            let inner = if c.value().name() == "li" {
                self.sub(c).join("\n")
            } else {
                let mut b = Blocks::default();
                self.element(c, &mut b);
                b.finish()
            };
            if inner.is_empty() {
                continue;
            }
            let item = match (self.markdown(), ordered) {
                (false, _) => inner,
                (true, false) => prefix_lines(&inner, "- ", "  "),
                (true, true) => {
                    let marker = format!("{n}. ");
                    let indent = " ".repeat(marker.len());
                    n += 1;
                    prefix_lines(&inner, &marker, &indent)
                }
            };
            items.push(item);
        }
        items.join("\n")
    }

    fn pre(&self, el: ElementRef<'_>) -> String {
        let text: String = el.text().collect();
        let text = text.trim_matches('\n').trim_end();
        if !self.markdown() || text.is_empty() {
            return text.to_string();
        }
        let lang = std::iter::once(el)
            .chain(el.children().filter_map(ElementRef::wrap))
            .filter_map(|e| e.value().attr("class"))
            .flat_map(str::split_ascii_whitespace)
            .find_map(|c| {
                c.strip_prefix("language-")
                    .or_else(|| c.strip_prefix("lang-"))
            })
            .unwrap_or("");
        let longest = longest_run(text, '`');
        let fence = "`".repeat(longest.max(2) + 1);
        format!("{fence}{lang}\n{text}\n{fence}")
    }

    fn image(&self, el: ElementRef<'_>, out: &mut Blocks) {
        if !self.markdown() {
            return;
        }
        let v = el.value();
        let tiny = |a: &str| {
            v.attr(a)
                .and_then(|s| s.trim().trim_end_matches("px").parse::<u32>().ok())
                .is_some_and(|n| n <= 2)
        };
        if tiny("width") || tiny("height") {
            return;
        }
        let src = v
            .attr("src")
            .filter(|s| !s.trim().is_empty() && !s.trim_start().starts_with("data:"))
            .or_else(|| v.attr("data-src"));
        let Some(url) = src.and_then(|s| self.absolute(s)) else {
            return;
        };
        let alt = v
            .attr("alt")
            .map(crate::extract::collapse_whitespace)
            .unwrap_or_default();
        out.space();
        out.push_raw(&format!("![{}]({})", escape(&alt), url_text(&url)));
    }

    fn link(&self, el: ElementRef<'_>, out: &mut Blocks) {
        let mut b = Blocks::default();
        self.children(el, &mut b);
        if !b.blocks.is_empty() || !self.markdown() {
            // Block content in a link (or plain text): the content, unlinked.
            spill(b, out);
            return;
        }
        let text = b.line.trim();
        if text.is_empty() {
            return;
        }
        let href = el.value().attr("href").and_then(|h| self.absolute(h));
        match href {
            Some(url) => {
                lead_space(&b.line, out);
                out.push_raw(&format!(
                    "[{}]({})",
                    text.replace('\n', " "),
                    url_text(&url)
                ));
                trail_space(&b.line, out);
            }
            None => out.push_text(&b.line),
        }
    }

    fn wrapped(&self, el: ElementRef<'_>, mark: &str, out: &mut Blocks) {
        let mut b = Blocks::default();
        self.children(el, &mut b);
        let text = b.line.trim();
        if !b.blocks.is_empty() || text.is_empty() || !self.markdown() {
            spill(b, out);
            return;
        }
        lead_space(&b.line, out);
        out.push_raw(&format!("{mark}{text}{mark}"));
        trail_space(&b.line, out);
    }

    fn code(&self, el: ElementRef<'_>, out: &mut Blocks) {
        let text: String = el.text().collect();
        let text = crate::extract::collapse_whitespace(&text);
        if text.is_empty() {
            return;
        }
        if !self.markdown() {
            out.push_text(&text);
            return;
        }
        let fence = "`".repeat(longest_run(&text, '`') + 1);
        let pad = if text.starts_with('`') || text.ends_with('`') {
            " "
        } else {
            ""
        };
        out.space();
        out.push_raw(&format!("{fence}{pad}{text}{pad}{fence}"));
    }

    /// `href` made absolute; only web and mail links are kept.
    fn absolute(&self, href: &str) -> Option<Url> {
        let url = self.base.join(href.trim()).ok()?;
        matches!(url.scheme(), "http" | "https" | "mailto").then_some(url)
    }
}

/// The content of an inline element written without its markup: its
/// blocks, if it held any, then the text after them.
fn spill(b: Blocks, out: &mut Blocks) {
    if !b.blocks.is_empty() {
        out.flush();
        for block in b.blocks {
            out.push_block(block);
        }
    }
    out.push_text(&b.line);
}

/// The space before an inline element's content moves out in front of its
/// markup. None is added: a link, and `*`/`**` emphasis, may start inside a
/// word (`s[elbst](…)`, `un**done**`).
fn lead_space(s: &str, out: &mut Blocks) {
    if s.starts_with(char::is_whitespace) {
        out.space();
    }
}

fn trail_space(s: &str, out: &mut Blocks) {
    if s.ends_with(char::is_whitespace) {
        out.push_raw(" ");
    }
}

/// Prefixes the first line of `s` with `first` and the others with `rest`
/// (blank lines get the prefix trimmed).
fn prefix_lines(s: &str, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let p = if i == 0 { first } else { rest };
        if line.is_empty() {
            out.push_str(p.trim_end());
        } else {
            out.push_str(p);
            out.push_str(line);
        }
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A URL as Markdown writes it: parentheses and spaces escaped.
fn url_text(url: &Url) -> String {
    url.as_str()
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
}

/// Text with Markdown's inline markup characters escaped: `\`, `*`, `` ` ``,
/// `[`, `]`, `<`, and `_` where it could start or end emphasis.
pub(super) fn escape(s: &str) -> String {
    if !s.contains(['\\', '*', '`', '[', ']', '<', '_', '#', '>']) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escaped = match c {
            '\\' | '*' | '`' | '[' | ']' | '<' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            // Only a line's first character could make a heading or a quote.
            '#' | '>' => i == 0 || chars[..i].iter().all(|c| c.is_whitespace()),
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
