//! Tests that the defaults have one source: `config/trawl.toml` documents
//! exactly the keys the command line has, each with the default the code
//! uses (`defaults`), and `--help` shows the same defaults.

use std::collections::{BTreeMap, BTreeSet};

use super::file::FileConfig;

/// The `# key = value` lines of the example file, before its `[hosts]` part.
fn documented() -> BTreeMap<&'static str, &'static str> {
    let text = include_str!("../../config/trawl.toml");
    let mut keys = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("# [hosts") {
            break;
        }
        let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(" = ")) else {
            continue;
        };
        if key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            assert!(keys.insert(key, value).is_none(), "{key} documented twice");
        }
    }
    keys
}

/// The config keys: every long option of `crawl` but `--config`, `-q`,
/// `-v`, `--help` and the `--no-X` switches, with `_` for `-`.
fn flag_keys() -> BTreeSet<String> {
    let cmd = crate::cli::command();
    let crawl = cmd.find_subcommand("crawl").expect("a crawl subcommand");
    crawl
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| !["config", "quiet", "verbose", "help"].contains(l) && !l.starts_with("no-"))
        .map(|l| l.replace('-', "_"))
        .collect()
}

#[test]
fn the_example_config_documents_every_key_with_its_default() {
    let documented = documented();
    let keys: BTreeSet<String> = documented.keys().map(|k| k.to_string()).collect();
    assert_eq!(keys, flag_keys(), "config/trawl.toml against the flags");
    // Every documented line is a valid value of its key.
    let uncommented: String = documented
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    if let Err(e) = toml::from_str::<FileConfig>(&uncommented) {
        panic!("config/trawl.toml, uncommented, does not read: {e}");
    }
    for d in crate::defaults::shown() {
        assert_eq!(
            documented.get(d.key).copied(),
            Some(d.toml.as_str()),
            "config/trawl.toml documents {} with another default than the code's",
            d.key
        );
    }
}

#[test]
fn help_shows_the_defaults_the_code_uses() {
    let cmd = crate::cli::command();
    for name in ["crawl", "fetch"] {
        let sub = cmd.find_subcommand(name).expect("the subcommand");
        for d in crate::defaults::shown()
            .iter()
            .filter(|d| !d.help.is_empty())
        {
            let arg = sub
                .get_arguments()
                .find(|a| a.get_id() == d.key)
                .unwrap_or_else(|| panic!("{name} has no --{}", d.key));
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(
                help.ends_with(&format!("[default: {}]", d.help)),
                "{name} --{}: {help:?}",
                d.key
            );
        }
    }
}

#[test]
fn a_switch_is_on_or_off_as_last_said() {
    use super::switch;
    assert!(!switch(false, false, None));
    assert!(switch(false, false, Some(true)));
    assert!(!switch(false, true, Some(true)), "--no-X beats the file");
    assert!(switch(true, false, Some(false)), "--X beats the file");
}
