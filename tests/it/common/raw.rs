//! A raw-TCP fault server: for responses no well-behaved HTTP server would
//! send (a connection closed before the status line, a reset in the middle of
//! a body, a `Content-Length` that lies, a trickle of one byte at a time,
//! bytes that are not HTTP at all, a TLS handshake done by hand).
//!
//! [`RawServer::start`] binds `127.0.0.1:0` and hands every accepted
//! connection, as a [`RawConn`], to the test's async handler, which may read
//! the request with [`RawConn::read_head`] and then write whatever bytes it
//! likes to [`RawConn::stream`]. The server logs, per connection, the request
//! heads read through the helpers and when the handler was done with it; the
//! test asserts on that log ([`RawServer::connections`], [`RawServer::paths`])
//! besides trawl's records.
//!
//! Nothing here interprets HTTP beyond finding the end of a request head.
//! Every read is bounded in time and size, so a handler cannot hang a test.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest request head [`read_head`] accepts.
pub const MAX_HEAD: usize = 256 * 1024;
/// How long [`read_head`] waits for a complete head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// One accepted connection as the server saw it.
#[derive(Clone, Debug)]
pub struct RawConnection {
    /// Request heads read on this connection, in order (request line and
    /// headers, without the final blank line; lossily UTF-8).
    pub heads: Vec<String>,
    /// When the handler returned (and so dropped or closed the stream);
    /// `None` while it still runs.
    pub done: Option<Instant>,
    /// Free-form notes the handler left ([`RawConn::note`]), e.g. "write
    /// failed after 7 bytes".
    pub notes: Vec<String>,
}

#[derive(Default)]
struct Log {
    conns: Mutex<Vec<RawConnection>>,
}

impl Log {
    fn lock(&self) -> MutexGuard<'_, Vec<RawConnection>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, index: usize, f: impl FnOnce(&mut RawConnection)) {
        if let Some(c) = self.lock().get_mut(index) {
            f(c);
        }
    }
}

/// One accepted connection, handed to the handler.
pub struct RawConn {
    /// The socket; write anything to it, or wrap it (TLS: borrow it as
    /// `&mut conn.stream` and log through `conn.log`).
    pub stream: TcpStream,
    /// 0 for the first connection the server accepted, 1 for the next, ...
    pub index: usize,
    /// This connection's entry in the server's log.
    pub log: ConnLog,
}

/// A handle on one connection's log entry.
pub struct ConnLog {
    log: Arc<Log>,
    index: usize,
}

impl ConnLog {
    /// Logs a request head (read through [`read_head`] on a wrapped stream).
    pub fn head(&self, head: String) {
        self.log.update(self.index, |c| c.heads.push(head));
    }

    /// Leaves a free-form note, e.g. "TLS handshake failed: …".
    pub fn note(&self, note: impl Into<String>) {
        let note = note.into();
        self.log.update(self.index, |c| c.notes.push(note));
    }
}

impl RawConn {
    /// Reads one request head from [`RawConn::stream`] and logs it; `None`
    /// if the peer closed, failed, or sent nothing complete in time.
    pub async fn read_head(&mut self) -> Option<String> {
        let head = read_head(&mut self.stream).await?;
        self.log.head(head.clone());
        Some(head)
    }

    /// Leaves a note in this connection's log entry.
    pub fn note(&self, note: impl Into<String>) {
        self.log.note(note);
    }

    /// Closes the connection with a TCP reset instead of a FIN: `SO_LINGER`
    /// 0, then drop. Whatever the peer has not read yet is lost.
    pub fn reset(self) {
        if let Err(e) = self.stream.set_zero_linger() {
            self.note(format!("cannot set SO_LINGER 0: {e}"));
        }
        // Dropping `self` closes the socket (and logs `done`).
    }
}

impl Drop for RawConn {
    fn drop(&mut self) {
        self.log
            .log
            .update(self.index, |c| c.done = Some(Instant::now()));
    }
}

/// Reads up to and including the blank line that ends a request head;
/// returns the head without it. `None` on EOF, error, timeout or a head
/// over [`MAX_HEAD`]. Bytes after the blank line (a body) may be consumed.
pub async fn read_head<R: AsyncRead + Unpin>(reader: &mut R) -> Option<String> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find_blank_line(&buf) {
                return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
            }
            if buf.len() > MAX_HEAD {
                return None;
            }
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(HEAD_TIMEOUT, read)
        .await
        .ok()
        .flatten()
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The request target of a head (`GET /x?y HTTP/1.1` → `/x?y`).
pub fn head_path(head: &str) -> Option<&str> {
    head.lines().next()?.split(' ').nth(1)
}

/// A running raw server; stops accepting when dropped (connections already
/// handed to a handler run until the handler returns or the runtime ends).
pub struct RawServer {
    addr: SocketAddr,
    log: Arc<Log>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Binds `127.0.0.1:0` and runs `handler` on a task of its own for every
    /// accepted connection.
    pub async fn start<F, Fut>(handler: F) -> RawServer
    where
        F: Fn(RawConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("raw server: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("raw server: no local address: {e}"));
        let log = Arc::new(Log::default());
        let accept_log = Arc::clone(&log);
        let task = tokio::spawn(async move {
            loop {
                let (stream, _) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        eprintln!("raw server on {addr}: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let index = {
                    let mut conns = accept_log.lock();
                    conns.push(RawConnection {
                        heads: Vec::new(),
                        done: None,
                        notes: Vec::new(),
                    });
                    conns.len() - 1
                };
                let conn = RawConn {
                    stream,
                    index,
                    log: ConnLog {
                        log: Arc::clone(&accept_log),
                        index,
                    },
                };
                tokio::spawn(handler(conn));
            }
        });
        RawServer { addr, log, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every connection so far, in accept order.
    pub fn connections(&self) -> Vec<RawConnection> {
        self.log.lock().clone()
    }

    /// The request target of every head read so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.log
            .lock()
            .iter()
            .flat_map(|c| c.heads.iter())
            .filter_map(|h| head_path(h).map(str::to_owned))
            .collect()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
