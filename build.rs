//! Build script: records the git commit trawl is built from, for
//! `trawl --version` (`TRAWL_COMMIT`: a short hash, `+changes` when the
//! work tree differed from it, or "unknown commit" outside a git checkout).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    // The sources too: an edit changes whether the tree differs from HEAD.
    for path in ["build.rs", "Cargo.toml", "src"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let commit = git(&["rev-parse", "--short=10", "HEAD"]);
    let described = match &commit {
        Some(hash) => {
            // Tracked files that differ from the commit (ignored ones do not count).
            let changed = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
            if changed {
                format!("{hash}+changes")
            } else {
                hash.clone()
            }
        }
        None => "unknown commit".to_string(),
    };
    println!("cargo:rustc-env=TRAWL_COMMIT={described}");
    // Run again when HEAD moves: a checkout changes HEAD, a commit the
    // branch's ref (loose or packed), an edit the index after `git add`.
    for name in ["HEAD", "index", "packed-refs"] {
        watch(git(&["rev-parse", "--git-path", name]));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]));
    }
}

/// Reruns the script when `path` changes (a path that does not exist
/// would make Cargo rerun it on every build, so only existing ones).
fn watch(path: Option<String>) {
    if let Some(p) = path
        && Path::new(&p).exists()
    {
        println!("cargo:rerun-if-changed={p}");
    }
}
