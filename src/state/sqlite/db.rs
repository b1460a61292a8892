//! The SQLite file itself: schema, migrations, and the statements the store
//! thread runs — one SQLite file (WAL mode) holding the crawl's frontier,
//! its seen-set and what each page looked like last time.
//!
//! Only the store thread touches it, so there is one connection and one
//! writer; every call that writes runs in one transaction over a whole batch.
//! Opening validates before it writes anything: a file that is not a trawl
//! state, or one from a newer schema, is left untouched.
//!
//! # Schema (version 1)
//!
//! ```sql
//! CREATE TABLE meta  (key TEXT PRIMARY KEY, value TEXT NOT NULL);
//!   -- app = 'trawl', pass = N (current pass), pass_done = 0 | 1
//! CREATE TABLE pages (
//!   id INTEGER PRIMARY KEY,          -- admission order: the frontier's order
//!   key BLOB NOT NULL UNIQUE,        -- xxh3-128 of the normalized URL
//!   url TEXT NOT NULL,               -- as requested
//!   seed TEXT NOT NULL, anchor TEXT NOT NULL, parent TEXT, depth INTEGER NOT NULL,
//!   pass INTEGER NOT NULL,           -- the pass that last admitted it
//!   done INTEGER NOT NULL,           -- 1 once its record of that pass is written
//!   status INTEGER, final_url TEXT, content_type TEXT, title TEXT, fetched_at TEXT,
//!   etag TEXT, last_modified TEXT, body_hash BLOB,
//!   links TEXT, nofollow TEXT        -- JSON arrays, to follow an unchanged page
//! );
//! ```
//!
//! Pending rows are read back in `id` order by walking the primary key from
//! a cursor, so no second index slows the admissions down. A row that a
//! recrawl admits again moves to the end (a new `id`), so the cursor of the
//! new pass still meets it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::record::{Prior, Source};
use crate::state::StoreError;

/// A URL admitted to the frontier of the current pass.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub key: u128,
    pub url: Box<str>,
    /// Seed, anchor (what the scope is measured from), parent and depth.
    pub source: Arc<Source>,
    /// `true` for redirect targets: seen, but they get no record of their own.
    pub done: bool,
}

/// A pending row read back from the store.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub url: String,
    pub seed: String,
    pub anchor: String,
    pub parent: Option<String>,
    pub depth: u32,
    /// What an earlier pass saw, for conditional requests.
    pub prior: Option<Prior>,
}

/// A page whose record has been written.
#[derive(Debug, Clone)]
pub struct Done {
    pub key: u128,
    pub status: Option<u16>,
    pub final_url: String,
    pub content_type: Option<String>,
    pub title: Option<String>,
    pub fetched_at: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<u128>,
    /// The record's links as a JSON array; `None` keeps the stored ones.
    pub links_json: Option<String>,
    /// The links marked nofollow; `None` keeps the stored ones.
    pub nofollow: Option<Vec<String>>,
}

/// The schema version this build writes; `migrate` brings older files here.
pub const SCHEMA_VERSION: i64 = 1;

/// Each entry takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        key BLOB NOT NULL UNIQUE,
        url TEXT NOT NULL,
        seed TEXT NOT NULL,
        anchor TEXT NOT NULL,
        parent TEXT,
        depth INTEGER NOT NULL,
        pass INTEGER NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        status INTEGER,
        final_url TEXT,
        content_type TEXT,
        title TEXT,
        fetched_at TEXT,
        etag TEXT,
        last_modified TEXT,
        body_hash BLOB,
        links TEXT,
        nofollow TEXT
    );
    INSERT INTO meta (key, value) VALUES ('app', 'trawl'), ('pass', '1'), ('pass_done', '0');
"#];

/// Admits a row to the current pass: new keys are inserted; a key from an
/// earlier pass joins this one at the end of the order (a new `id`, so the
/// cursor of this pass still meets it); a key this pass has is left alone,
/// which is what deduplicates URLs the in-memory cache has forgotten.
const ADMIT: &str = "INSERT INTO pages (key, url, seed, anchor, parent, depth, pass, done)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
     ON CONFLICT (key) DO UPDATE SET
       id = (SELECT max(id) FROM pages) + 1,
       url = excluded.url, seed = excluded.seed, anchor = excluded.anchor,
       parent = excluded.parent, depth = excluded.depth,
       pass = excluded.pass, done = excluded.done
     WHERE pages.pass < excluded.pass";

fn insert_row(
    insert: &mut rusqlite::CachedStatement<'_>,
    r: &NewRow,
    pass: i64,
) -> rusqlite::Result<usize> {
    insert.execute(params![
        key_bytes(r.key),
        r.url,
        &*r.source.seed,
        r.source.anchor.url().as_str(),
        r.source.parent.as_deref(),
        r.source.depth,
        pass,
        r.done
    ])
}

/// What opening found.
#[derive(Debug)]
pub struct Opened {
    /// The pass this run works on.
    pub pass: i64,
    /// `true`: continuing an unfinished pass; `false`: a new pass.
    pub resumed: bool,
    /// Rows of this pass still waiting for their record.
    pub pending: u64,
}

pub struct Db {
    conn: Connection,
    path: PathBuf,
    pass: i64,
}

/// A SQLite error as the store reports it: `state PATH: …`.
fn sqlite_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Failed {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

fn key_bytes(key: u128) -> [u8; 16] {
    key.to_be_bytes()
}

fn key_from(bytes: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(bytes.try_into().ok()?))
}

impl Db {
    /// Opens (or creates) the state at `path`, validating it before any write.
    pub fn open(path: &Path) -> Result<(Db, Opened), StoreError> {
        let bad = |why: String| StoreError::Failed {
            path: path.to_path_buf(),
            why,
        };
        let existed = path.metadata().map(|m| m.len() > 0).unwrap_or(false);
        let conn = Connection::open(path).map_err(|e| bad(e.to_string()))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| bad(format!("not an SQLite database ({e})")))?;
        if existed {
            let app: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'app'", [], |r| r.get(0))
                .optional()
                .unwrap_or(None);
            if app.as_deref() != Some("trawl") {
                return Err(bad("an SQLite file, but not a trawl state".into()));
            }
            if version > SCHEMA_VERSION {
                return Err(bad(format!(
                    "schema version {version} is newer than this trawl's {SCHEMA_VERSION}; upgrade trawl"
                )));
            }
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| bad(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| bad(e.to_string()))?;
        // 8 MiB of page cache: more barely speeds up admissions (they land
        // at random places in the key index) and costs memory that a
        // million-URL frontier needs to stay under 128 MiB.
        conn.pragma_update(None, "cache_size", -8_192)
            .map_err(|e| bad(e.to_string()))?;
        let mut state = Db {
            conn,
            path: path.to_path_buf(),
            pass: 0,
        };
        state.migrate(version)?;
        let opened = state.start_pass()?;
        Ok((state, opened))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite_error(&self.path, e)
    }

    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let path = self.path.clone();
            let tx = self
                .conn
                .transaction()
                .map_err(|e| sqlite_error(&path, e))?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| sqlite_error(&self.path, e))?;
        }
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<i64, StoreError> {
        let v: String = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        v.parse().map_err(|_| StoreError::Failed {
            path: self.path.clone(),
            why: format!("meta {key} is not a number: {v:?}"),
        })
    }

    fn set_meta(&self, key: &str, value: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Continues an unfinished pass, or starts the next one after a finished pass.
    fn start_pass(&mut self) -> Result<Opened, StoreError> {
        let mut pass = self.meta("pass")?;
        let resumed = self.meta("pass_done")? == 0;
        if !resumed {
            pass += 1;
            self.set_meta("pass", pass)?;
            self.set_meta("pass_done", 0)?;
        }
        self.pass = pass;
        let pending: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM pages WHERE pass = ?1 AND done = 0",
                [pass],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(Opened {
            pass,
            resumed,
            pending: pending as u64,
        })
    }

    /// Admits rows to this pass and marks pages done, in one transaction.
    pub fn apply(&mut self, admit: &[NewRow], done: &[Done]) -> Result<(), StoreError> {
        if admit.is_empty() && done.is_empty() {
            return Ok(());
        }
        let pass = self.pass;
        let tx = self
            .conn
            .transaction()
            .map_err(|e| sqlite_error(&self.path, e))?;
        let result = (|| -> rusqlite::Result<()> {
            let mut insert = tx.prepare_cached(ADMIT)?;
            for r in admit {
                insert_row(&mut insert, r, pass)?;
            }
            let mut update = tx.prepare_cached(
                "UPDATE pages SET done = 1, status = ?2, final_url = ?3, content_type = ?4,
                   title = ?5, fetched_at = ?6,
                   etag = coalesce(?7, etag), last_modified = coalesce(?8, last_modified),
                   body_hash = coalesce(?9, body_hash),
                   links = coalesce(?10, links), nofollow = coalesce(?11, nofollow)
                 WHERE key = ?1",
            )?;
            for d in done {
                let links = d.links_json.as_deref();
                let nofollow = d
                    .nofollow
                    .as_ref()
                    .map(|l| serde_json::to_string(l).unwrap_or_default());
                update.execute(params![
                    key_bytes(d.key),
                    d.status,
                    d.final_url,
                    d.content_type,
                    d.title,
                    d.fetched_at,
                    d.etag,
                    d.last_modified,
                    d.body_hash.map(key_bytes),
                    links,
                    nofollow
                ])?;
            }
            Ok(())
        })();
        result
            .and_then(|()| tx.commit())
            .map_err(|e| sqlite_error(&self.path, e))
    }

    /// Admits `row` unless this pass has it; `true` if it was new to the pass.
    pub fn claim(&mut self, row: &NewRow) -> Result<bool, StoreError> {
        let pass = self.pass;
        let changed = self
            .conn
            .prepare_cached(ADMIT)
            .and_then(|mut insert| insert_row(&mut insert, row, pass))
            .map_err(|e| self.err(e))?;
        Ok(changed > 0)
    }

    /// Rows of this pass without their record yet.
    pub fn count_pending(&mut self) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM pages WHERE pass = ?1 AND done = 0",
                [self.pass],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` pending rows of this pass after row id `after`, in order.
    pub fn load(&mut self, after: i64, limit: usize) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, key, url, seed, anchor, parent, depth, status, etag, last_modified,
                        body_hash, links, nofollow, content_type, title, fetched_at
                 FROM pages WHERE id > ?2 AND pass = ?1 AND done = 0 ORDER BY id LIMIT ?3",
            )
            .map_err(|e| sqlite_error(&self.path, e))?;
        let rows = stmt
            .query_map(params![self.pass, after, limit as i64], |r| {
                let status: Option<u16> = r.get(7)?;
                let etag: Option<String> = r.get(8)?;
                let last_modified: Option<String> = r.get(9)?;
                let body_hash: Option<Vec<u8>> = r.get(10)?;
                let links: Option<String> = r.get(11)?;
                let nofollow: Option<String> = r.get(12)?;
                let parse = |s: Option<String>| -> Vec<String> {
                    s.and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_default()
                };
                let content_type: Option<String> = r.get(13)?;
                let title: Option<String> = r.get(14)?;
                let fetched_at: Option<String> = r.get(15)?;
                let prior = status.map(|status| Prior {
                    status,
                    content_type,
                    title,
                    etag,
                    last_modified,
                    body_hash: body_hash.as_deref().and_then(key_from),
                    fetched_at,
                    links: parse(links),
                    nofollow: parse(nofollow),
                });
                Ok(Row {
                    id: r.get(0)?,
                    url: r.get(2)?,
                    seed: r.get(3)?,
                    anchor: r.get(4)?,
                    parent: r.get(5)?,
                    depth: r.get(6)?,
                    prior,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| sqlite_error(&self.path, e))?;
        Ok(rows)
    }

    /// Records that this pass finished: the next run starts a new pass.
    pub fn finish_pass(&mut self) -> Result<(), StoreError> {
        self.set_meta("pass_done", 1)
    }

    /// What an earlier pass stored for `key`, if anything.
    #[cfg(test)]
    pub fn status_of(&self, key: u128) -> Option<(i64, bool, Option<u16>)> {
        self.conn
            .query_row(
                "SELECT pass, done, status FROM pages WHERE key = ?1",
                [key_bytes(key)],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1, r.get(2)?)),
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: u128, url: &str) -> NewRow {
        let seed = url::Url::parse("http://a.test/").unwrap();
        NewRow {
            key,
            url: url.into(),
            source: Arc::new(Source {
                seed: "http://a.test/".into(),
                anchor: Arc::new(crate::urls::Anchor::new(&seed)),
                parent: None,
                depth: 0,
            }),
            done: false,
        }
    }

    fn done(key: u128, status: u16) -> Done {
        Done {
            key,
            status: Some(status),
            final_url: "http://a.test/".into(),
            content_type: Some("text/html".into()),
            title: None,
            fetched_at: None,
            etag: Some("\"v1\"".into()),
            last_modified: None,
            body_hash: Some(7),
            links_json: Some(r#"["http://a.test/x"]"#.into()),
            nofollow: Some(vec![]),
        }
    }

    #[test]
    fn passes_resume_and_recrawl() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let (mut s, o) = Db::open(&path).unwrap();
            assert_eq!((o.pass, o.resumed, o.pending), (1, true, 0));
            s.apply(&[row(1, "http://a.test/"), row(2, "http://a.test/x")], &[])
                .unwrap();
            s.apply(&[], &[done(1, 200)]).unwrap();
            let pending = s.load(0, 10).unwrap();
            assert_eq!(pending.len(), 1);
            assert_eq!(pending[0].url, "http://a.test/x");
        }
        {
            // Killed before the pass finished: the same pass resumes.
            let (mut s, o) = Db::open(&path).unwrap();
            assert_eq!((o.pass, o.resumed, o.pending), (1, true, 1));
            s.apply(&[], &[done(2, 404)]).unwrap();
            s.finish_pass().unwrap();
        }
        {
            // The next run is a recrawl: pass 2, nothing seen yet, validators kept.
            let (mut s, o) = Db::open(&path).unwrap();
            assert_eq!((o.pass, o.resumed, o.pending), (2, false, 0));
            s.apply(&[row(1, "http://a.test/")], &[]).unwrap();
            let rows = s.load(0, 10).unwrap();
            assert_eq!(rows.len(), 1);
            let prior = rows[0].prior.as_ref().expect("validators from pass 1");
            assert_eq!(prior.etag.as_deref(), Some("\"v1\""));
            assert_eq!(prior.body_hash, Some(7));
            assert_eq!(prior.links, ["http://a.test/x"]);
            assert_eq!(s.status_of(2), Some((1, true, Some(404))));
        }
    }

    #[test]
    fn claims_and_admissions_deduplicate_within_a_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let (mut s, _) = Db::open(&path).unwrap();
        assert!(s.claim(&row(1, "http://a.test/")).unwrap(), "new key");
        assert!(
            !s.claim(&row(1, "http://a.test/")).unwrap(),
            "same pass: already there"
        );
        // An admission the cache let through twice stays one pending row.
        s.apply(&[row(2, "http://a.test/x"), row(2, "http://a.test/x")], &[])
            .unwrap();
        assert_eq!(s.count_pending().unwrap(), 2);
        s.apply(&[], &[done(1, 200), done(2, 200)]).unwrap();
        s.finish_pass().unwrap();
        drop(s);
        let (mut s, o) = Db::open(&path).unwrap();
        assert_eq!(o.pass, 2);
        assert!(
            s.claim(&row(2, "http://a.test/x")).unwrap(),
            "a key of the last pass is new to this one"
        );
        assert_eq!(
            s.load(0, 10).unwrap()[0].url,
            "http://a.test/x",
            "and comes after the cursor"
        );
    }

    #[test]
    fn refuses_foreign_and_newer_files_without_touching_them() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello, not a database\n").unwrap();
        let err = Db::open(&text).err().expect("not a state").to_string();
        assert!(err.contains("not an SQLite database"), "{err}");
        assert_eq!(std::fs::read(&text).unwrap(), b"hello, not a database\n");

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = std::fs::read(&other).unwrap();
        let err = Db::open(&other).err().expect("foreign db").to_string();
        assert!(err.contains("not a trawl state"), "{err}");
        assert_eq!(std::fs::read(&other).unwrap(), before);

        let newer = dir.path().join("newer.db");
        drop(Db::open(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Db::open(&newer).err().expect("newer").to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }
}
