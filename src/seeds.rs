//! The seed reader: URLs from the arguments, then from `--seeds FILE` (or
//! stdin for `-`), streamed line by line on a thread of its own into a
//! bounded channel, so a list of a million lines costs no more memory than
//! the channel holds. Blank lines and `#` comments are skipped; a line that is
//! not an absolute http(s) URL is reported as `FILE:LINE: reason` on stderr
//! and skipped. It never decides anything about the crawl.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use tokio::sync::mpsc;
use url::Url;

use crate::urls::normalize::parse_absolute;

/// How many parsed seeds may wait in the channel.
const CHANNEL: usize = 1024;

/// Starts reading; the channel closes after the last seed. An unreadable
/// file is reported on stderr like a bad line.
pub fn spawn(args: Vec<String>, file: Option<PathBuf>) -> mpsc::Receiver<Url> {
    let (tx, rx) = mpsc::channel(CHANNEL);
    let spawned = std::thread::Builder::new()
        .name("trawl-seeds".into())
        .spawn(move || read_all(args, file, &tx));
    if let Err(e) = spawned {
        eprintln!("trawl: cannot start the seed reader: {e}");
    }
    rx
}

fn read_all(args: Vec<String>, file: Option<PathBuf>, tx: &mpsc::Sender<Url>) {
    for (i, arg) in args.iter().enumerate() {
        if !offer(tx, arg, || format!("argument {}", i + 1)) {
            return;
        }
    }
    let Some(path) = file else { return };
    let (reader, name): (Box<dyn BufRead>, String) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), "<stdin>".into())
    } else {
        match std::fs::File::open(&path) {
            Ok(f) => (Box::new(BufReader::new(f)), path.display().to_string()),
            Err(e) => {
                eprintln!("{}: cannot read seeds: {e}", path.display());
                return;
            }
        }
    };
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = match line.map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(e)) => {
                let at = e.utf8_error().valid_up_to();
                eprintln!("{name}:{}: not valid UTF-8 (byte {at}); skipped", n + 1);
                continue;
            }
            Err(e) => {
                eprintln!("{name}:{}: cannot read: {e}", n + 1);
                return;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !offer(tx, trimmed, || format!("{name}:{}", n + 1)) {
            return;
        }
    }
}

/// Sends one seed, or reports why it is not one. `false` once nobody listens.
fn offer(tx: &mpsc::Sender<Url>, text: &str, place: impl FnOnce() -> String) -> bool {
    match parse_absolute(text) {
        Ok(url) => tx.blocking_send(url).is_ok(),
        Err(reason) => {
            eprintln!("{}: {reason}", place());
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_args_then_file_skipping_bad_lines() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            f,
            "# comment\n\nhttp://a.test/1\nnot a url\n  http://a.test/2  \nftp://x/"
        )
        .unwrap();
        let mut rx = spawn(
            vec!["http://a.test/0".into(), "bad".into()],
            Some(f.path().into()),
        );
        let mut got = Vec::new();
        while let Some(u) = rx.blocking_recv() {
            got.push(u.to_string());
        }
        assert_eq!(
            got,
            ["http://a.test/0", "http://a.test/1", "http://a.test/2"]
        );
    }
}
