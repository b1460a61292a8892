//! What a user of command-line tools expects besides crawling: every
//! boolean key of the config file can be switched off again from the
//! command line, shell completions and man pages are generated from the
//! same definitions as `--help`, and `--version` names the commit.

use crate::common;

use std::time::Duration;

use common::records::single;
use common::{TestServer, run_trawl};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_switch_the_config_file_turns_on_can_be_turned_off() {
    let server = TestServer::site().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("trawl.toml");
    std::fs::write(&cfg, "body = true\nrobots = \"ignore\"\n").expect("config written");
    let cfg = cfg.to_str().expect("a UTF-8 path");
    let url = server.url("/");
    let on = run_trawl(&["fetch", "-c", cfg, &url], None, LIMIT).await;
    on.assert_code(0);
    assert!(
        single(&on)["body"].is_string(),
        "the file's body = true applies"
    );
    let off = run_trawl(&["fetch", "-c", cfg, "--no-body", &url], None, LIMIT).await;
    off.assert_code(0);
    assert!(
        single(&off).get("body").is_none(),
        "--no-body beats the file"
    );
    // The last of --body / --no-body wins.
    let again = run_trawl(
        &["fetch", "-c", cfg, "--no-body", "--body", &url],
        None,
        LIMIT,
    )
    .await;
    again.assert_code(0);
    assert!(single(&again)["body"].is_string());
}

#[tokio::test]
async fn completions_for_each_shell_know_every_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_trawl(&["completions", shell], None, LIMIT).await;
        out.assert_code(0);
        for flag in ["concurrency", "no-insecure", "crawl-id", "max-crawl-delay"] {
            assert!(
                out.stdout.contains(flag),
                "{shell} completions lack --{flag}"
            );
        }
    }
    let bad = run_trawl(&["completions", "tcsh"], None, LIMIT).await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("tcsh"), "{}", bad.stderr);
}

#[tokio::test]
async fn man_pages_come_from_the_same_definitions_as_help() {
    let page = run_trawl(&["man"], None, LIMIT).await;
    page.assert_code(0);
    assert!(page.stdout.contains(".TH trawl 1"), "{}", page.stdout);
    assert!(page.stdout.contains("crawl"), "the commands are listed");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_str().expect("a UTF-8 path");
    run_trawl(&["man", "--dir", path], None, LIMIT)
        .await
        .assert_code(0);
    let crawl = std::fs::read_to_string(dir.path().join("trawl-crawl.1")).expect("trawl-crawl.1");
    // roff writes a '-' in an option as "\-".
    for option in [r"\-\-concurrency", r"\-\-no\-insecure", "[default: 30s]"] {
        assert!(crawl.contains(option), "trawl-crawl.1 lacks {option}");
    }
    assert!(dir.path().join("trawl.1").exists());
}

#[tokio::test]
async fn version_names_the_commit_it_was_built_from() {
    let out = run_trawl(&["--version"], None, LIMIT).await;
    out.assert_code(0);
    let line = out.stdout.trim();
    let prefix = format!("trawl {} (", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&prefix) && line.ends_with(')'), "{line}");
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        // Built from this checkout: its commit (with "+changes" when the
        // work tree differs from it).
        Ok(o) if o.status.success() => {
            let hash = String::from_utf8_lossy(&o.stdout).trim().to_string();
            assert!(line.contains(&hash), "{line} does not name {hash}");
        }
        _ => assert!(line.contains("unknown commit"), "{line}"),
    }
}
