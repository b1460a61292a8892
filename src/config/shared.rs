//! The options of a shared crawl (`--redis URL --crawl-id ID`, `--lease`,
//! `--redis-timeout`): validated here, with the other settings, so a bad
//! value is a usage error before anything connects. The Redis store
//! (`state::redis`) takes them as they are.

use std::time::Duration;

/// Where the shared crawl is, and how this worker holds its part.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    pub url: String,
    pub crawl_id: String,
    /// How long a shard stays this worker's without a renewal (`--lease`).
    pub lease: Duration,
    /// How long a lost server is waited for (`--redis-timeout`).
    pub timeout: Duration,
}

/// A crawl id: what users type, and part of every key, so it is kept to
/// characters that need no escaping in a key or a `SCAN` pattern.
pub fn valid_crawl_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--crawl-id: expected 1 to 64 letters, digits, '.', '_' or '-', got {id:?}"
        ))
    }
}

/// `--redis` and `--crawl-id` go together, and not with `--state`.
pub(super) fn shared_crawl(
    url: Option<String>,
    crawl_id: Option<String>,
    lease: Option<Duration>,
    timeout: Option<Duration>,
    state: bool,
) -> Result<Option<RedisOptions>, String> {
    let (url, crawl_id) = match (url, crawl_id) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err("--redis needs --crawl-id ID: which shared crawl to join".into());
        }
        (None, Some(id)) => return Err(format!("--crawl-id {id} needs --redis URL")),
        (Some(u), Some(id)) => (u, id),
    };
    if state {
        return Err(format!(
            "--redis {url} and --state cannot be used together: a shared crawl keeps its state in Redis"
        ));
    }
    valid_crawl_id(&crawl_id)?;
    let lease = lease.unwrap_or(crate::defaults::LEASE);
    if lease < Duration::from_millis(300) {
        return Err(format!("--lease: expected at least 300ms, got {lease:?}"));
    }
    Ok(Some(RedisOptions {
        url,
        crawl_id,
        lease,
        timeout: timeout.unwrap_or(crate::defaults::REDIS_TIMEOUT),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crawl_ids_are_checked() {
        assert!(valid_crawl_id("news-2026.12_a").is_ok());
        let e = valid_crawl_id("a b*").unwrap_err();
        assert!(e.contains("--crawl-id") && e.contains("a b*"), "{e}");
        assert!(valid_crawl_id("").is_err());
        assert!(valid_crawl_id(&"x".repeat(65)).is_err());
    }

    #[test]
    fn redis_and_crawl_id_go_together_and_not_with_state() {
        assert!(
            shared_crawl(None, None, None, None, false)
                .unwrap()
                .is_none()
        );
        let e = shared_crawl(Some("redis://h".into()), None, None, None, false).unwrap_err();
        assert!(e.contains("--crawl-id"), "{e}");
        let e = shared_crawl(None, Some("c".into()), None, None, false).unwrap_err();
        assert!(e.contains("--redis"), "{e}");
        let e =
            shared_crawl(Some("redis://h".into()), Some("c".into()), None, None, true).unwrap_err();
        assert!(e.contains("--state"), "{e}");
        let e = shared_crawl(
            Some("redis://h".into()),
            Some("c".into()),
            Some(Duration::from_millis(10)),
            None,
            false,
        )
        .unwrap_err();
        assert!(e.contains("--lease"), "{e}");
        let o = shared_crawl(
            Some("redis://h".into()),
            Some("c".into()),
            None,
            None,
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (o.lease, o.timeout),
            (Duration::from_secs(30), Duration::from_secs(60))
        );
    }
}
