//! The layering of the crate, checked: every `crate::…` path in `src/`
//! names a module below the one it is written in (see the layout in the
//! crate docs), so the pipeline's stages depend downwards only and a new
//! backend never needs an import that runs up.

use std::path::Path;

/// Top-level modules from the bottom up. A module may use the modules of
/// earlier entries, and itself.
const LAYERS: &[&[&str]] = &[
    &["options", "units"],
    &["defaults", "urls"],
    &["error"],
    &["robots", "exchange"],
    &["record"],
    &["extract"],
    &["cli"],
    &["config"],
    &["seeds"],
    &["frontier"],
    &["state"],
    &["fetch"],
    &["output"],
    &["progress", "logging", "descriptors"],
    &["shutdown"],
    &["engine"],
    &["run"],
    &["lib", "layers"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level module a file of `src/` belongs to.
fn module_of(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap_or(path);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

/// Every `crate::NAME` in `text`, outside comments.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let braced = after.starts_with('{');
            if braced {
                // `use crate::{a, b::c}`: every first segment.
                let inner = after[1..].split('}').next().unwrap_or_default();
                for part in inner.split(',') {
                    let first = part.trim().split("::").next().unwrap_or_default();
                    if !first.is_empty() {
                        found.push((n + 1, first.to_string()));
                    }
                }
            } else if !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_import_runs_up_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "src/ read from {}", src.display());
    let mut wrong = Vec::new();
    for path in &files {
        let module = module_of(path, &src);
        // main.rs uses the library by its name; this file quotes paths.
        if module == "main" || module == "layers" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module {module:?} is in no layer",
                path.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for (line, used) in crate_paths(&text) {
            match layer_of(&used) {
                Some(l) if l < own || used == module => {}
                Some(_) => wrong.push(format!(
                    "{}:{line}: {module} uses {used}, which is not below it",
                    path.display()
                )),
                None => wrong.push(format!(
                    "{}:{line}: crate::{used} is in no layer",
                    path.display()
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let text = "use crate::a::B;\nuse crate::{c, d::E};\nlet x = crate::f::g(); // crate::h\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["a", "c", "d", "f"]);
}
