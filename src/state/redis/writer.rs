//! The Redis store's write task: admissions from the engine, claims, and
//! acknowledgements from the writer thread, applied in the order they were
//! sent. Whatever has queued up while one pipeline was out goes in the next
//! one, grouped by shard (one `ADMIT` and one `ACK` script call per shard),
//! so a busy crawl pays a fraction of a round trip per page.
//!
//! Within a pipeline the admissions go before the acknowledgements: a
//! page's links reach Redis before its done mark, as the store contract
//! asks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, oneshot};

use super::keys::key_hex;
use super::link::{Link, int};
use super::scripts::Script;
use super::shards::{Shared, return_budget};
use crate::state::StoreError;

/// An admission on its way: shard, URL key and entry.
pub struct NewUrl {
    pub shard: u16,
    pub key: u128,
    pub entry: String,
}

/// A written record to acknowledge.
pub struct AckNote {
    pub shard: u16,
    pub hex: String,
    /// The record's error kind, or empty.
    pub kind: &'static str,
}

pub enum Msg {
    Admit(Vec<NewUrl>),
    Ack(Vec<AckNote>),
    /// Leased URLs (shard, key) this worker will not request.
    GiveBack(Vec<(u16, String)>),
    Claim {
        shard: u16,
        key: u128,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Answered once everything sent before it is applied.
    Sync(oneshot::Sender<Result<(), StoreError>>),
}

/// Entries per `ADMIT` call: a script call blocks the server while it runs.
const ADMIT_CHUNK: usize = 500;
/// Messages gathered into one pipeline at most.
const GATHER: usize = 256;

/// Runs until every sender is gone or Redis is lost for good.
pub async fn run(shared: Arc<Shared>, mut link: Link, mut rx: mpsc::Receiver<Msg>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < GATHER {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        if let Err(e) = apply(&shared, &mut link, batch).await {
            shared.fail(e.clone());
            // Answer whoever still waits, so nothing hangs on a lost server.
            rx.close();
            while let Some(m) = rx.recv().await {
                answer_failed(m, &e);
            }
            return;
        }
    }
}

fn answer_failed(m: Msg, e: &StoreError) {
    match m {
        Msg::Claim { reply, .. } => drop(reply.send(Err(e.clone()))),
        Msg::Sync(reply) => drop(reply.send(Err(e.clone()))),
        Msg::Admit(_) | Msg::Ack(_) | Msg::GiveBack(_) => {}
    }
}

/// Applies one batch in one pipeline.
async fn apply(shared: &Shared, link: &mut Link, batch: Vec<Msg>) -> Result<(), StoreError> {
    let mut admits: BTreeMap<u16, Vec<NewUrl>> = BTreeMap::new();
    let mut acks: BTreeMap<u16, Vec<AckNote>> = BTreeMap::new();
    let mut back: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    let mut unleases = 0;
    let mut claims = Vec::new();
    let mut syncs = Vec::new();
    for m in batch {
        match m {
            Msg::Admit(urls) => {
                for u in urls {
                    admits.entry(u.shard).or_default().push(u);
                }
            }
            Msg::Ack(notes) => {
                for n in notes {
                    acks.entry(n.shard).or_default().push(n);
                }
            }
            Msg::GiveBack(pages) => {
                for (shard, hex) in pages {
                    back.entry(shard).or_default().push(hex);
                }
            }
            Msg::Claim { shard, key, reply } => claims.push((shard, key, reply)),
            Msg::Sync(reply) => syncs.push(reply),
        }
    }
    let keys = &shared.keys;
    let scripts = link.scripts.clone();
    let mut pipe = redis::pipe();
    for (shard, urls) in &admits {
        let k = [
            keys.shard(*shard, "seen"),
            keys.shard(*shard, "items"),
            keys.shard(*shard, "pending"),
            keys.shard(*shard, "info"),
        ];
        for chunk in urls.chunks(ADMIT_CHUNK) {
            let mut c = scripts.call(Script::Admit, &k);
            for u in chunk {
                c.arg(&u.key.to_be_bytes()[..])
                    .arg(key_hex(u.key))
                    .arg(&u.entry);
            }
            pipe.add_command(c).ignore();
        }
    }
    // Given back before the acknowledgements of the same batch, and only
    // into shards this worker still holds: a lost shard's new owner has
    // already put everything its last owner held back in the queue.
    for (shard, hexes) in &back {
        let Some(token) = shared.token(*shard) else {
            continue;
        };
        let k = [
            keys.shard(*shard, "owner"),
            keys.shard(*shard, "pending"),
            keys.shard(*shard, "leased"),
            keys.shard(*shard, "info"),
        ];
        let mut c = scripts.call(Script::Unlease, &k);
        c.arg(token).arg(hexes);
        pipe.add_command(c);
        unleases += 1;
    }
    for (shard, key, _) in &claims {
        let mut c = scripts.call(Script::Claim, &[keys.shard(*shard, "seen")]);
        c.arg(&key.to_be_bytes()[..]);
        pipe.add_command(c);
    }
    // Acknowledgements with the token this worker holds the shard by; a
    // shard it has lost is not written to at all.
    let mut acked = 0usize;
    let mut sent_acks = Vec::new();
    for (shard, notes) in &acks {
        acked += notes.len();
        let Some(token) = shared.token(*shard) else {
            shared
                .refused
                .fetch_add(notes.len() as u64, Ordering::Relaxed);
            continue;
        };
        let k = [
            keys.shard(*shard, "owner"),
            keys.shard(*shard, "leased"),
            keys.shard(*shard, "items"),
            keys.shard(*shard, "info"),
        ];
        let mut c = scripts.call(Script::Ack, &k);
        c.arg(token);
        for n in notes {
            c.arg(&n.hex).arg(n.kind);
        }
        pipe.add_command(c);
        sent_acks.push((*shard, notes.len()));
    }
    let replies = if pipe.is_empty() {
        Vec::new()
    } else {
        link.run(&pipe).await?
    };
    let (unlease_replies, replies) = replies.split_at(unleases.min(replies.len()));
    let (claim_replies, ack_replies) = replies.split_at(claims.len().min(replies.len()));
    for ((_, _, reply), v) in claims.into_iter().zip(claim_replies) {
        let _ = reply.send(Ok(int(v) == 1));
    }
    for ((shard, n), v) in sent_acks.into_iter().zip(ack_replies) {
        if int(v) < 0 {
            shared.lost(shard, "acknowledging");
            shared.refused.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    let unfetched: i64 = unlease_replies.iter().map(|v| int(v).max(0)).sum();
    return_budget(shared, link, unfetched).await?;
    shared.acks.done(acked);
    for reply in syncs {
        let _ = reply.send(Ok(()));
    }
    Ok(())
}
