//! The store contract, one test body run against every implementation
//! (memory and SQLite; a shared store will be held to the same body): what
//! the engine and the writer may rely on, whichever store they drive.

use std::sync::Arc;

use super::memory::MemoryStore;
use super::sqlite::SqliteStore;
use super::{Ack, Admission, Backlog, Store};
use crate::record::{CrawlItem, Fresh, Source};
use crate::urls::{Anchor, normalize};

fn source() -> Arc<Source> {
    let seed = url::Url::parse("http://a.test/").unwrap();
    Arc::new(Source {
        seed: Arc::from("http://a.test/"),
        anchor: Arc::new(Anchor::new(&seed)),
        parent: None,
        depth: 0,
    })
}

fn admission(path: &str) -> Admission {
    let url = url::Url::parse(&format!("http://a.test{path}")).unwrap();
    Admission {
        key: normalize::key(&url),
        url: url.as_str().into(),
        source: source(),
    }
}

/// The record the writer would acknowledge for `fresh`.
fn record_of(fresh: &Fresh) -> crate::record::Record {
    let item = fresh.clone().into_item().unwrap();
    item_record(&item)
}

fn item_record(item: &CrawlItem) -> crate::record::Record {
    let mut r = item.record(Some(200), &crate::record::Blank::default());
    r.links = vec!["http://a.test/linked".into()];
    r
}

/// Admits `paths` through the backlog as the engine does, and returns what
/// was handed out at once.
fn admit_all<S: Store>(b: &mut Backlog<S>, paths: &[&str]) -> Vec<Fresh> {
    paths.iter().filter_map(|p| b.admit(admission(p))).collect()
}

/// Drains every lease the backlog makes, as the engine does when its
/// queues run low. A shared store's lease waits while work may still come
/// (here: until what is leased is acknowledged), so for it "nothing now"
/// is a lease that brings nothing within a second; it stays under way and
/// the next call goes on waiting for it.
async fn lease_all<S: Store>(b: &mut Backlog<S>) -> Vec<Fresh> {
    let mut out = Vec::new();
    loop {
        // The engine sends what it admitted on every turn of its loop.
        b.flush().await.unwrap();
        b.refill(0);
        if !b.leasing() {
            return out;
        }
        if b.store().shared() {
            match tokio::time::timeout(std::time::Duration::from_secs(1), b.leased()).await {
                Ok(rows) => out.extend(rows.unwrap()),
                Err(_) => return out,
            }
        } else {
            out.extend(b.leased().await.unwrap());
        }
    }
}

fn urls(f: &[Fresh]) -> Vec<&str> {
    f.iter().map(|f| &*f.url).collect()
}

/// Commits as the writer does: from a thread that may block.
fn commit<A: Ack>(ack: &mut A, notes: Vec<A::Note>) {
    tokio::task::block_in_place(|| ack.commit(notes)).unwrap();
}

/// The contract. `store` is new and empty.
async fn contract<S: Store>(store: S) {
    let mut ack = store.ack();
    let mut b = Backlog::new(store);

    // Deduplicated: a URL offered twice enters once.
    let mut handed = admit_all(&mut b, &["/a", "/b", "/a", "/c", "/b"]);
    b.flush().await.unwrap();
    assert!(b.seen(admission("/a").key), "an admitted URL is seen");
    assert!(!b.seen(admission("/zzz").key));

    // Handed out exactly once, in admission order: at once or by lease.
    handed.extend(lease_all(&mut b).await);
    assert_eq!(
        urls(&handed),
        ["http://a.test/a", "http://a.test/b", "http://a.test/c"]
    );
    assert!(
        lease_all(&mut b).await.is_empty(),
        "a lease never repeats a URL"
    );
    assert!(b.store().shared() || !b.has_more());

    // Redirect targets: claimed once, then known; an admitted URL is not new.
    assert!(b.claim(admission("/moved")).await.unwrap());
    assert!(!b.claim(admission("/moved")).await.unwrap());
    assert!(!b.claim(admission("/a")).await.unwrap());
    assert!(
        b.admit(admission("/moved")).is_none(),
        "a claimed URL is known"
    );
    assert!(
        lease_all(&mut b).await.is_empty(),
        "a claimed URL is not pending"
    );

    // Leased, not acknowledged: pending until the writer commits the record.
    assert_eq!(b.store_mut().count_pending().await.unwrap(), 3);
    let note = ack.note(&record_of(&handed[0]), None);
    commit(&mut ack, vec![note]);
    assert_eq!(b.store_mut().count_pending().await.unwrap(), 2);
    let notes = handed[1..]
        .iter()
        .map(|f| ack.note(&record_of(f), None))
        .collect();
    commit(&mut ack, notes);
    assert_eq!(b.store_mut().count_pending().await.unwrap(), 0);

    // Admitted after a lease came back short: handed out again by the next.
    let mut later = admit_all(&mut b, &["/d"]);
    later.extend(lease_all(&mut b).await);
    assert_eq!(urls(&later), ["http://a.test/d"]);
    assert_eq!(b.store_mut().count_pending().await.unwrap(), 1);

    let mut store = b.into_store();
    store.finish_pass().await.unwrap();
    assert!(store.error().is_none());
    drop(ack);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_the_contract() {
    contract(MemoryStore::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let (store, opened) = SqliteStore::open(&dir.path().join("state.db")).unwrap();
    assert_eq!((opened.pass, opened.pending), (1, 0));
    contract(store).await;
}

/// A `redis-server` of the test's own on a free loopback port, killed when
/// dropped.
struct Redis {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis_server() -> Redis {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server: install Debian's redis-server (.ci/run does)");
    let server = Redis {
        child,
        port,
        _dir: dir,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_contract() {
    let server = redis_server();
    let options = crate::config::RedisOptions {
        url: format!("redis://127.0.0.1:{}", server.port),
        crawl_id: "contract".into(),
        lease: std::time::Duration::from_secs(5),
        timeout: std::time::Duration::from_secs(5),
    };
    let settings = crate::config::Settings::resolve(
        crate::options::Mode::Crawl,
        crate::cli::CrawlArgs::default(),
    )
    .unwrap();
    let Ok(store) = super::redis::RedisStore::open(&options, &settings).await else {
        panic!("cannot open the Redis store");
    };
    contract(store).await;
}
