//! The DevTools protocol over a pipe (`--remote-debugging-pipe`): commands
//! go to the browser's fd 3 and replies and events come back on its fd 4,
//! each a JSON message ended by a NUL byte. No port is opened, and when
//! trawl goes away, however it goes, the pipe closes and the browser ends
//! with it.
//!
//! Owns the wire only: numbering commands, matching replies to them, and
//! routing events to the page (session) they belong to. What the commands
//! mean is `tab`'s and `browser`'s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::sync::{mpsc, oneshot};

/// Why a command got no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    /// The pipe is closed: the browser exited or crashed.
    #[error("the browser closed its DevTools pipe (it exited or crashed)")]
    Closed,
    /// The browser answered with an error.
    #[error("{method}: {message}")]
    Protocol { method: String, message: String },
}

/// An event of one page.
#[derive(Debug)]
pub struct Event {
    pub method: String,
    pub params: Value,
}

type Reply = Result<Value, CdpError>;

/// Who waits for what.
#[derive(Default)]
struct Routes {
    pending: HashMap<u64, (String, oneshot::Sender<Reply>)>,
    sessions: HashMap<String, mpsc::UnboundedSender<Event>>,
    closed: bool,
}

/// One connection to one browser.
pub struct Conn {
    tx: tokio::sync::Mutex<pipe::Sender>,
    next_id: AtomicU64,
    routes: Arc<Mutex<Routes>>,
}

/// A message from the browser: a reply (`id`) or an event (`method`).
#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    result: Option<Value>,
    error: Option<ProtocolError>,
    method: Option<String>,
    params: Option<Value>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

#[derive(Deserialize)]
struct ProtocolError {
    message: String,
}

impl Conn {
    /// Starts reading `rx` (the browser's fd 4) on a task of its own.
    pub fn start(tx: pipe::Sender, rx: pipe::Receiver) -> Arc<Conn> {
        let routes = Arc::new(Mutex::new(Routes::default()));
        tokio::spawn(read_loop(rx, routes.clone()));
        Arc::new(Conn {
            tx: tokio::sync::Mutex::new(tx),
            next_id: AtomicU64::new(1),
            routes,
        })
    }

    /// Sends `method` (to the page of `session`, or the browser) and waits
    /// for its reply. The caller bounds the wait.
    pub async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Reply {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, reply) = oneshot::channel();
        {
            let mut routes = lock(&self.routes);
            if routes.closed {
                return Err(CdpError::Closed);
            }
            routes.pending.insert(id, (method.to_string(), done));
        }
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::from(s);
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        let sent = self.tx.lock().await.write_all(&bytes).await;
        if sent.is_err() {
            lock(&self.routes).pending.remove(&id);
            return Err(CdpError::Closed);
        }
        reply.await.unwrap_or(Err(CdpError::Closed))
    }

    /// The events of the page of `session`, from now on; the channel ends
    /// when the page is detached or the browser is gone.
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut routes = lock(&self.routes);
        if !routes.closed {
            routes.sessions.insert(session.to_string(), tx);
        }
        rx
    }

    /// Stops routing the events of `session`.
    pub fn unsubscribe(&self, session: &str) {
        lock(&self.routes).sessions.remove(session);
    }

    /// Whether the pipe is still open.
    pub fn is_open(&self) -> bool {
        !lock(&self.routes).closed
    }
}

fn lock(routes: &Mutex<Routes>) -> std::sync::MutexGuard<'_, Routes> {
    // The routes stay consistent whatever a panicking holder did: every
    // change is one insert or remove.
    routes.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads messages until the pipe closes, then fails whatever still waits.
async fn read_loop(mut rx: pipe::Receiver, routes: Arc<Mutex<Routes>>) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut start = 0;
    'read: loop {
        match rx.read(&mut chunk).await {
            Ok(0) | Err(_) => break 'read,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        while let Some(end) = memchr::memchr(0, &buf[start..]) {
            dispatch(&buf[start..start + end], &routes);
            start += end + 1;
        }
        buf.drain(..start);
        start = 0;
    }
    let mut routes = lock(&routes);
    routes.closed = true;
    for (_, (_, done)) in routes.pending.drain() {
        let _ = done.send(Err(CdpError::Closed));
    }
    routes.sessions.clear();
}

/// Hands one message to whoever waits for it.
fn dispatch(message: &[u8], routes: &Mutex<Routes>) {
    let Ok(msg) = serde_json::from_slice::<Incoming>(message) else {
        tracing::debug!(
            "DevTools: an unreadable message ({} bytes) skipped",
            message.len()
        );
        return;
    };
    let mut routes = lock(routes);
    if let Some(id) = msg.id {
        if let Some((method, done)) = routes.pending.remove(&id) {
            let reply = match msg.error {
                Some(e) => Err(CdpError::Protocol {
                    method,
                    message: e.message,
                }),
                None => Ok(msg.result.unwrap_or(Value::Null)),
            };
            let _ = done.send(reply);
        }
        return;
    }
    let Some(method) = msg.method else { return };
    let params = msg.params.unwrap_or(Value::Null);
    if method == "Target.detachedFromTarget" {
        if let Some(s) = params["sessionId"].as_str() {
            routes.sessions.remove(s);
        }
        return;
    }
    if let Some(session) = msg.session_id
        && let Some(tx) = routes.sessions.get(&session)
    {
        let _ = tx.send(Event { method, params });
    }
}
