//! Tables: a data table becomes a GFM table (the first row its header,
//! `|` escaped, cells on one line); a layout table (one column, a table
//! inside, or cells holding paragraphs) is not a table of data and its
//! cells are written as blocks, in order.

use scraper::ElementRef;

use super::{Mode, Renderer};

/// Cells longer than this are prose, not data.
const MAX_CELL: usize = 400;

/// The table as Markdown or text, or `None` for a layout table.
pub(super) fn render(r: &Renderer<'_>, table: ElementRef<'_>) -> Option<String> {
    let mut rows: Vec<(Vec<String>, bool)> = Vec::new();
    for row in rows_of(table) {
        let mut cells = Vec::new();
        let mut header = true;
        for cell in row.children().filter_map(ElementRef::wrap) {
            let name = cell.value().name();
            if name != "td" && name != "th" {
                continue;
            }
            header &= name == "th";
            let blocks = r.sub(cell);
            if blocks.len() > 1
                || cell.descendants().skip(1).any(|d| {
                    ElementRef::wrap(d).is_some_and(|e| {
                        matches!(
                            e.value().name(),
                            "table" | "p" | "ul" | "ol" | "pre" | "blockquote" | "h1" | "h2" | "h3"
                        )
                    })
                })
            {
                return None;
            }
            let text = blocks.join(" ").replace('\n', " ");
            if text.chars().count() > MAX_CELL {
                return None;
            }
            let span = cell
                .value()
                .attr("colspan")
                .and_then(|s| s.trim().parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, 50);
            cells.push(text);
            cells.extend(std::iter::repeat_n(String::new(), span - 1));
        }
        if !cells.is_empty() {
            rows.push((cells, header));
        }
    }
    let width = rows.iter().map(|(c, _)| c.len()).max()?;
    if width < 2 {
        return None;
    }
    if rows.iter().all(|(c, _)| c.iter().all(String::is_empty)) {
        return Some(String::new());
    }
    Some(match r.mode {
        Mode::Text => rows
            .iter()
            .map(|(c, _)| {
                c.iter()
                    .filter(|t| !t.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        Mode::Markdown => gfm(&rows, width),
    })
}

fn gfm(rows: &[(Vec<String>, bool)], width: usize) -> String {
    let line = |cells: &[String]| {
        let mut s = String::from("|");
        for i in 0..width {
            let c = cells.get(i).map(String::as_str).unwrap_or("");
            s.push(' ');
            s.push_str(&c.replace('|', "\\|"));
            s.push_str(" |");
        }
        s
    };
    // The first row is the header, whether or not it is made of `<th>`.
    let mut out = vec![line(&rows[0].0)];
    out.push(format!("|{}", " --- |".repeat(width)));
    out.extend(rows[1..].iter().map(|(c, _)| line(c)));
    out.join("\n")
}

/// The rows of `table`, through `thead`/`tbody`/`tfoot`, not of tables inside it.
fn rows_of(table: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    let mut rows = Vec::new();
    for child in table.children().filter_map(ElementRef::wrap) {
        match child.value().name() {
            "tr" => rows.push(child),
            "thead" | "tbody" | "tfoot" => rows.extend(
                child
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|r| r.value().name() == "tr"),
            ),
            _ => {}
        }
    }
    rows
}
