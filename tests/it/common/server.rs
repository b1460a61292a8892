//! The in-process HTTP test server and its request log.
//!
//! [`TestServer::start`] binds `IP:0` (an ephemeral port; `127.0.0.2` and
//! friends work as extra hosts on Linux), serves the programmable `routes`
//! first and the `fixtures` directory as the fallback (see `site`), and logs
//! every request it receives: method, path and query, headers, peer, arrival
//! and finish instants, and how many requests were in flight at arrival.
//! A request stays in flight until its response body has been handed to the
//! connection or dropped (client gone), so concurrency limits can be checked
//! from the log. The server never decides what a test asserts; it only serves
//! and records.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, BodyDataStream, HttpBody as _};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use futures::Stream;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::fixtures::fixtures_dir;
use super::site::Site;

/// What [`TestServer::start`] serves and how.
pub struct ServerOpts {
    /// Address to bind, on an ephemeral port. Default `127.0.0.1`.
    pub ip: IpAddr,
    /// Directory served for every path `routes` does not match.
    pub fixtures: Option<PathBuf>,
    /// Programmable routes, matched before the fixtures. Without `fixtures`,
    /// a fallback set on this router is kept as is.
    pub routes: Option<Router>,
    /// Sleep before answering every request (routes and fixtures alike).
    pub delay: Duration,
}

impl Default for ServerOpts {
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            fixtures: None,
            routes: None,
            delay: Duration::ZERO,
        }
    }
}

impl ServerOpts {
    /// Serves `fixtures/site`.
    pub fn site() -> Self {
        Self::default().with_fixtures(fixtures_dir("site"))
    }

    /// Serves only `routes`.
    pub fn routes(routes: Router) -> Self {
        Self::default().with_routes(routes)
    }

    pub fn with_ip(mut self, ip: impl Into<IpAddr>) -> Self {
        self.ip = ip.into();
        self
    }

    pub fn with_fixtures(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fixtures = Some(dir.into());
        self
    }

    pub fn with_routes(mut self, routes: Router) -> Self {
        self.routes = Some(routes);
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Path and query exactly as received (`/search.html?b=2&a=1`).
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`, ...
    pub version: String,
    /// Every header in arrival order; names lower-case, values lossily UTF-8.
    pub headers: Vec<(String, String)>,
    /// The `Host` header (or the HTTP/2 authority).
    pub host: Option<String>,
    /// Client address; one value per connection.
    pub peer: Option<SocketAddr>,
    pub arrived: Instant,
    /// When the response body was fully handed over or dropped; `None` while
    /// the request is still in flight.
    pub finished: Option<Instant>,
    /// Requests in flight when this one arrived, itself included.
    pub in_flight: usize,
    /// Status of the response, once the handler has produced one.
    pub status: Option<u16>,
}

impl LoggedRequest {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Time from arrival to finish, if finished.
    pub fn duration(&self) -> Option<Duration> {
        self.finished.map(|f| f.duration_since(self.arrived))
    }
}

#[derive(Default)]
struct LogState {
    entries: Vec<LoggedRequest>,
    in_flight: usize,
    max_in_flight: usize,
}

/// The log shared by the server's middleware and the test.
#[derive(Default)]
struct RequestLog {
    state: Mutex<LogState>,
    /// Woken on every arrival and every finish, for [`TestServer::wait_until`].
    changed: Notify,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, LogState> {
        // A panicking test thread must not hide the log from the rest of it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn arrive(self: &Arc<Self>, req: &Request) -> InFlightGuard {
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let host = req
            .headers()
            .get(header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        let index = {
            let mut state = self.lock();
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            let in_flight = state.in_flight;
            state.entries.push(LoggedRequest {
                method: req.method().as_str().to_owned(),
                path,
                version: format!("{:?}", req.version()),
                headers,
                host,
                peer,
                arrived: Instant::now(),
                finished: None,
                in_flight,
                status: None,
            });
            state.entries.len() - 1
        };
        self.changed.notify_waiters();
        InFlightGuard {
            log: Arc::clone(self),
            index,
        }
    }
}

/// Keeps one request counted as in flight until dropped: with the response
/// body once the handler has answered, or with the handler's future when the
/// client goes away first.
struct InFlightGuard {
    log: Arc<RequestLog>,
    index: usize,
}

impl InFlightGuard {
    fn set_status(&self, status: StatusCode) {
        if let Some(entry) = self.log.lock().entries.get_mut(self.index) {
            entry.status = Some(status.as_u16());
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        {
            let mut state = self.log.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            if let Some(entry) = state.entries.get_mut(self.index) {
                entry.finished = Some(Instant::now());
            }
        }
        self.log.changed.notify_waiters();
    }
}

/// A response body that carries the request's [`InFlightGuard`].
struct GuardedBody {
    inner: BodyDataStream,
    _guard: InFlightGuard,
}

impl Stream for GuardedBody {
    type Item = <BodyDataStream as Stream>::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

#[derive(Clone)]
struct Recorder {
    log: Arc<RequestLog>,
    delay: Duration,
}

async fn record(State(recorder): State<Recorder>, req: Request, next: Next) -> Response {
    let guard = recorder.log.arrive(&req);
    let is_head = req.method() == Method::HEAD;
    if !recorder.delay.is_zero() {
        tokio::time::sleep(recorder.delay).await;
    }
    let response = next.run(req).await;
    guard.set_status(response.status());

    let (mut parts, body) = response.into_parts();
    // Re-wrapping the body as a stream loses its exact size, so keep the
    // length hyper would have sent (RFC 9110 §8.6: none on 1xx, 204, 304).
    let no_body_status = parts.status.is_informational()
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED;
    if !is_head
        && !no_body_status
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(len) = body.size_hint().exact()
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let body = GuardedBody {
        inner: body.into_data_stream(),
        _guard: guard,
    };
    Response::from_parts(parts, Body::from_stream(body))
}

/// A running test server; stops accepting connections when dropped.
pub struct TestServer {
    addr: SocketAddr,
    log: Arc<RequestLog>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Binds `opts.ip:0` and starts serving in the background.
    pub async fn start(opts: ServerOpts) -> TestServer {
        let listener = TcpListener::bind((opts.ip, 0))
            .await
            .unwrap_or_else(|e| panic!("test server: cannot bind {}:0: {e}", opts.ip));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("test server: no local address: {e}"));

        let mut app = opts.routes.unwrap_or_default();
        if let Some(dir) = opts.fixtures {
            let site = Arc::new(Site::load(dir, addr));
            app = app.fallback(move |req: Request| {
                let site = Arc::clone(&site);
                async move { site.serve(req).await }
            });
        }
        let log = Arc::new(RequestLog::default());
        let recorder = Recorder {
            log: Arc::clone(&log),
            delay: opts.delay,
        };
        let app = app.layer(middleware::from_fn_with_state(recorder, record));

        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, service).await {
                eprintln!("test server on {addr} stopped: {e}");
            }
        });
        TestServer { addr, log, task }
    }

    /// Shorthand for `TestServer::start(ServerOpts::site())`.
    pub async fn site() -> TestServer {
        Self::start(ServerOpts::site()).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://IP:PORT`, no trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://IP:PORT` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().entries.clone()
    }

    /// Path and query of every request so far, in arrival order.
    /// Requests other than `/robots.txt`: the pages trawl fetched.
    pub fn page_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path != "/robots.txt")
            .collect()
    }

    pub fn paths(&self) -> Vec<String> {
        self.log
            .lock()
            .entries
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    /// How many requests had exactly this path and query.
    pub fn count(&self, path_and_query: &str) -> usize {
        self.log
            .lock()
            .entries
            .iter()
            .filter(|r| r.path == path_and_query)
            .count()
    }

    /// The most requests ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.log.lock().max_in_flight
    }

    /// Requests in flight right now.
    pub fn in_flight(&self) -> usize {
        self.log.lock().in_flight
    }

    /// Waits until `cond` holds, re-checking on every request arrival and
    /// finish; returns whether it held before `timeout` passed.
    pub async fn wait_until(&self, timeout: Duration, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.log.changed.notified();
            tokio::pin!(changed);
            // Register before checking so a change in between is not missed.
            changed.as_mut().enable();
            if cond(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return cond(self);
            }
        }
    }

    /// Waits until at least `n` requests have arrived; panics after `timeout`.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) {
        let arrived = self
            .wait_until(timeout, |s| s.log.lock().entries.len() >= n)
            .await;
        assert!(
            arrived,
            "waited {timeout:?} for {n} requests on {}, got {:?}",
            self.addr,
            self.paths()
        );
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Connections already accepted live on until the test's runtime ends.
        self.task.abort();
    }
}
