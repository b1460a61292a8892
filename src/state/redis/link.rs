//! The connection to Redis and what a lost one means: a pipeline that fails
//! because the server went away is sent again, with back-off, until
//! `--redis-timeout` has passed since the first failure; then the store has
//! failed, with a message naming the server. `redis`'s `ConnectionManager`
//! reconnects underneath; this adds the deadline and loads the scripts
//! again after a restart forgot them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, Pipeline, RedisError, RetryMethod, ServerErrorKind, Value};
use tokio::time::Instant;

use super::scripts::Scripts;
use crate::state::StoreError;

/// A cloneable handle on the server (clones share one multiplexed connection).
#[derive(Clone)]
pub struct Link {
    con: ConnectionManager,
    /// The server's URL without its password, for messages.
    shown: String,
    timeout: Duration,
    pub scripts: Scripts,
    /// Round trips and commands sent, all clones together (`-v` reports them).
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub round_trips: AtomicU64,
    pub commands: AtomicU64,
}

/// `url` without a password, as messages show it.
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl Link {
    /// Connects, or fails at once naming the server (a crawl does not start
    /// on a server it cannot reach).
    pub async fn connect(url: &str, timeout: Duration) -> Result<Link, StoreError> {
        let shown = shown_url(url);
        let fail = |why: String| StoreError::Redis {
            url: shown.clone(),
            why,
        };
        let client = redis::Client::open(url).map_err(|e| fail(format!("bad URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let con = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| fail(format!("cannot connect: {e}")))?;
        let mut link = Link {
            con,
            shown: shown.clone(),
            timeout,
            scripts: Scripts::default(),
            counts: Arc::default(),
        };
        Scripts::load()
            .query_async::<()>(&mut link.con)
            .await
            .map_err(|e| fail(format!("cannot load scripts: {e}")))?;
        Ok(link)
    }

    /// (round trips, commands) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.round_trips.load(Ordering::Relaxed),
            self.counts.commands.load(Ordering::Relaxed),
        )
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The store error for `why`.
    pub fn error(&self, why: impl Into<String>) -> StoreError {
        StoreError::Redis {
            url: self.shown.clone(),
            why: why.into(),
        }
    }

    /// Runs `pipe`, retrying through a lost connection until the deadline.
    pub async fn run(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, StoreError> {
        let mut first_failure: Option<Instant> = None;
        let mut delay = Duration::from_millis(50);
        loop {
            self.counts.round_trips.fetch_add(1, Ordering::Relaxed);
            self.counts
                .commands
                .fetch_add(pipe.len() as u64, Ordering::Relaxed);
            let e = match pipe.query_async::<Vec<Value>>(&mut self.con).await {
                Ok(v) => {
                    if first_failure.is_some() {
                        tracing::warn!("redis {}: reachable again", self.shown);
                    }
                    return Ok(v);
                }
                Err(e) => e,
            };
            if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) {
                // A restarted server: load the scripts and send it again.
                if let Err(e) = Scripts::load().query_async::<()>(&mut self.con).await
                    && !transient(&e)
                {
                    return Err(self.error(format!("cannot load scripts: {e}")));
                }
                continue;
            }
            if !transient(&e) {
                return Err(self.error(e.to_string()));
            }
            let since = *first_failure.get_or_insert_with(|| {
                tracing::warn!(
                    "redis {}: {e}; retrying for up to {:?}",
                    self.shown,
                    self.timeout
                );
                Instant::now()
            });
            if since.elapsed() >= self.timeout {
                return Err(self.error(format!(
                    "unreachable for {:?} (--redis-timeout): {e}",
                    self.timeout
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

/// A failure that another try may not have: the server gone, restarting or
/// loading its data.
fn transient(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || !matches!(e.retry_method(), RetryMethod::NoRetry)
}

/// An integer reply (scripts return numbers as integers).
pub fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

/// A string reply, or `None` for nil and anything else.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}
