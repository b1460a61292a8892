//! A shared crawl as a whole: joining it (the first worker stores the crawl
//! settings and the `--max-pages` budget; a later one must agree with
//! them), `trawl status` and `trawl purge`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::keys::{Keys, SHARDS};
use super::link::{Link, int, text};
use super::shards::now_ms;
use crate::config::Settings;
use crate::state::StoreError;

/// Why a worker cannot join.
#[derive(Debug)]
pub enum JoinError {
    /// A crawl setting differs from the crawl's: exit 2.
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for JoinError {
    fn from(e: StoreError) -> Self {
        JoinError::Store(e)
    }
}

/// The settings that decide what is fetched and how politely, as the flag
/// that sets each and its value in words; stored with the crawl.
pub fn crawl_settings(s: &Settings) -> BTreeMap<&'static str, String> {
    let regexes = |v: &[regex::Regex]| {
        v.iter()
            .map(|r| r.as_str().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut hosts: Vec<String> = s
        .hosts
        .iter()
        .map(|(h, o)| format!("{h}: rate {:?} per_host {:?}", o.rate, o.per_host))
        .collect();
    hosts.sort();
    let opt = |v: Option<u64>| v.map_or_else(|| "none".to_string(), |n| n.to_string());
    BTreeMap::from([
        ("command", format!("{:?}", s.mode).to_lowercase()),
        ("--scope", format!("{:?}", s.scope).to_lowercase()),
        ("--depth", s.depth.to_string()),
        ("--include", regexes(&s.include)),
        ("--exclude", regexes(&s.exclude)),
        ("--max-pages", opt(s.max_pages)),
        ("--max-url-length", s.max_url_length.to_string()),
        ("--per-host-max-pages", opt(s.per_host_max_pages)),
        ("--robots", format!("{:?}", s.robots).to_lowercase()),
        ("--user-agent", s.user_agent.clone()),
        ("--per-host", s.per_host.to_string()),
        ("--rate", s.rate.to_string()),
        ("--max-crawl-delay", format!("{:?}", s.max_crawl_delay)),
        ("[hosts]", hosts.join("; ")),
        ("--sitemaps", s.sitemaps.to_string()),
    ])
}

/// Creates the crawl, or joins it if its settings agree with `settings`.
pub async fn join(link: &mut Link, keys: &Keys, settings: &Settings) -> Result<(), JoinError> {
    let mine = crawl_settings(settings);
    let text_mine = serde_json::to_string(&mine).unwrap_or_default();
    let meta = keys.global("meta");
    let mut pipe = redis::pipe();
    pipe.cmd("HSETNX")
        .arg(&meta)
        .arg("settings")
        .arg(&text_mine);
    pipe.cmd("HGET").arg(&meta).arg("settings");
    let replies = link.run(&pipe).await?;
    let created = replies.first().is_some_and(|v| int(v) == 1);
    if created {
        let mut init = redis::pipe();
        init.cmd("HSET")
            .arg(&meta)
            .arg("shards")
            .arg(SHARDS)
            .arg("created")
            .arg(now_ms())
            .ignore();
        if let Some(n) = settings.max_pages {
            init.cmd("SET")
                .arg(keys.global("budget"))
                .arg(n)
                .arg("NX")
                .ignore();
        }
        link.run(&init).await?;
        tracing::info!("crawl {}: created on {}", keys.id(), link.shown());
        return Ok(());
    }
    let stored = replies.get(1).and_then(text).unwrap_or_default();
    let theirs: BTreeMap<String, String> = serde_json::from_str(&stored).map_err(|e| {
        JoinError::Store(link.error(format!(
            "crawl {}: its stored settings do not read ({e}); purge it or use another --crawl-id",
            keys.id()
        )))
    })?;
    let conflicts: Vec<String> = mine
        .iter()
        .filter_map(|(flag, value)| {
            let stored = theirs.get(*flag).map_or("(not set)", String::as_str);
            (stored != value).then(|| {
                format!(
                    "{flag}: the crawl {} was started with {stored:?}, this worker has {value:?}",
                    keys.id()
                )
            })
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(JoinError::Conflict(conflicts.join("; ")));
    }
    tracing::info!("crawl {}: joined on {}", keys.id(), link.shown());
    Ok(())
}

/// `trawl status`: one JSON object.
/// Workers count as live while their last heartbeat is within their own
/// `--lease`.
pub async fn status(link: &mut Link, keys: &Keys) -> Result<Value, StoreError> {
    let mut pipe = redis::pipe();
    pipe.cmd("EXISTS").arg(keys.global("meta"));
    pipe.cmd("ZRANGE")
        .arg(keys.global("workers"))
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES");
    pipe.cmd("HGETALL").arg(keys.global("winfo"));
    for s in 0..SHARDS {
        pipe.cmd("LLEN").arg(keys.shard(s, "pending"));
        pipe.cmd("ZCARD").arg(keys.shard(s, "leased"));
        pipe.cmd("HGETALL").arg(keys.shard(s, "info"));
    }
    let replies = link.run(&pipe).await?;
    if replies.first().is_none_or(|v| int(v) == 0) {
        return Err(link.error(format!("no crawl {:?} here", keys.id())));
    }
    let (mut pending, mut leased, mut done) = (0i64, 0i64, 0i64);
    let mut errors: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in replies[3..].chunks(3) {
        pending += int(&chunk[0]);
        leased += int(&chunk[1]);
        for (field, value) in pairs(&chunk[2]) {
            if field == "done" {
                done += value.parse::<i64>().unwrap_or(0);
            } else if let Some(kind) = field.strip_prefix("e:") {
                *errors.entry(kind.to_string()).or_default() += value.parse::<i64>().unwrap_or(0);
            }
        }
    }
    let info: BTreeMap<String, String> = pairs(&replies[2]).into_iter().collect();
    let now = now_ms();
    let workers: Vec<Value> = pairs(&replies[1])
        .into_iter()
        .filter_map(|(id, score)| {
            let i: Map<String, Value> = info
                .get(&id)
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            let lease = i.get("lease_ms").and_then(Value::as_u64).unwrap_or(30_000);
            let seen = score.parse::<u64>().unwrap_or(0);
            (seen + lease >= now).then_some((id, score, i))
        })
        .map(|(id, score, i)| {
            let last_seen = score.parse::<u64>().map_or(Value::Null, |ms| {
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
                Value::String(humantime::format_rfc3339_millis(t).to_string())
            });
            json!({
                "id": id,
                "host": i.get("host").cloned().unwrap_or(Value::Null),
                "pid": i.get("pid").cloned().unwrap_or(Value::Null),
                "shards": i.get("shards").cloned().unwrap_or(Value::Null),
                "last_seen": last_seen,
            })
        })
        .collect();
    Ok(json!({
        "crawl_id": keys.id(),
        "pending": pending,
        "leased": leased,
        "done": done,
        "errors": errors,
        "workers": workers,
        "finished": pending == 0 && leased == 0,
    }))
}

/// Field/value pairs of a flat reply (`HGETALL`, `WITHSCORES`).
fn pairs(v: &redis::Value) -> Vec<(String, String)> {
    match v {
        redis::Value::Array(items) => items
            .chunks(2)
            .filter_map(|p| Some((text(&p[0])?, text(p.get(1)?)?)))
            .collect(),
        redis::Value::Map(items) => items
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
            .collect(),
        _ => Vec::new(),
    }
}

/// `trawl purge`: deletes every key of the crawl (found with `SCAN`, never
/// `KEYS`, so a big server is not blocked); returns how many.
pub async fn purge(link: &mut Link, keys: &Keys) -> Result<u64, StoreError> {
    let mut cursor = 0u64;
    let mut deleted = 0;
    loop {
        let mut pipe = redis::pipe();
        pipe.cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(keys.pattern())
            .arg("COUNT")
            .arg(1000);
        let replies = link.run(&pipe).await?;
        let Some(redis::Value::Array(parts)) = replies.first() else {
            return Err(link.error("SCAN: unexpected reply"));
        };
        cursor = parts
            .first()
            .and_then(text)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let found: Vec<String> = match parts.get(1) {
            Some(redis::Value::Array(k)) => k.iter().filter_map(text).collect(),
            _ => Vec::new(),
        };
        // One key a command: keys of different shards live in different
        // cluster slots.
        if !found.is_empty() {
            let mut del = redis::pipe();
            for k in &found {
                del.cmd("UNLINK").arg(k);
            }
            deleted += link.run(&del).await?.iter().map(int).sum::<i64>() as u64;
        }
        if cursor == 0 {
            return Ok(deleted);
        }
    }
}
