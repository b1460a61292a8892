//! One browser page (a DevTools target) and one load in it.
//!
//! The document is never fetched by the browser: trawl fetched it already,
//! through the host's gate, and hands the bytes over when the browser asks
//! for them (`Fetch.requestPaused` → `Fetch.fulfillRequest`). Every other
//! request the page makes pauses there too: images, media, fonts,
//! stylesheets and other requests that change no DOM are refused; scripts,
//! XHR and the like are counted and let through up to `MAX_SUBREQUESTS`,
//! refused after. A load ends when the `load` event has fired and no request
//! has been in flight for `QUIET`, or at the deadline.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;
use url::Url;

use super::browser::Browser;
use super::cdp::{CdpError, Event};

/// Sub-requests a page may make (scripts, XHR, fetch, frames); more are refused.
pub const MAX_SUBREQUESTS: u32 = 50;

/// How long the network must be idle, after `load`, for a page to be done:
/// long enough for a script's request that follows another's answer, or a
/// short timer's (a chain of them takes microseconds between links); most
/// of what a small page costs in the browser, so no longer.
const QUIET: Duration = Duration::from_millis(200);

/// Resource types refused outright: they cost bandwidth and change no DOM.
const BLOCKED: [&str; 9] = [
    "Image",
    "Media",
    "Font",
    "Stylesheet",
    "TextTrack",
    "Manifest",
    "Ping",
    "CSPViolationReport",
    "Prefetch",
];

/// The DOM as the page's scripts left it.
const SERIALIZE: &str = "(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\\n' : '') \
     + (document.documentElement ? document.documentElement.outerHTML : '')";

/// The document as trawl received it, for the browser.
pub struct Document<'a> {
    pub url: &'a Url,
    pub status: u16,
    /// Headers to give the browser (content-coding already removed).
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// What a load gave.
#[derive(Debug)]
pub struct Loaded {
    pub html: String,
    pub subrequests: u32,
}

/// Why a load gave nothing.
#[derive(Debug)]
pub enum LoadError {
    /// The page did not settle before the deadline.
    Timeout,
    /// The page or the browser went away, or refused a command.
    Failed(String),
}

impl From<CdpError> for LoadError {
    fn from(e: CdpError) -> LoadError {
        LoadError::Failed(e.to_string())
    }
}

/// One page of the browser, reused for several loads.
pub struct Tab {
    pub browser: Arc<Browser>,
    target: String,
    session: String,
    events: mpsc::UnboundedReceiver<Event>,
    pub loads: u32,
}

impl Tab {
    /// Opens a blank page with requests intercepted.
    pub async fn open(browser: Arc<Browser>, user_agent: &str) -> Result<Tab, CdpError> {
        let conn = &browser.conn;
        let target = conn
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await?["targetId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let session = conn
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await?["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let events = conn.subscribe(&session);
        let tab = Tab {
            browser: browser.clone(),
            target,
            session,
            events,
            loads: 0,
        };
        for (method, params) in [
            ("Page.enable", json!({})),
            ("Network.enable", json!({})),
            (
                "Network.setUserAgentOverride",
                json!({"userAgent": user_agent}),
            ),
            ("Fetch.enable", json!({"patterns": [{"urlPattern": "*"}]})),
        ] {
            tab.call(method, params).await?;
        }
        Ok(tab)
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, CdpError> {
        self.browser
            .conn
            .call(Some(&self.session), method, params)
            .await
    }

    /// Closes the page (best effort: the browser may be gone).
    pub async fn close(self) {
        let conn = &self.browser.conn;
        conn.unsubscribe(&self.session);
        let closing = conn.call(None, "Target.closeTarget", json!({"targetId": self.target}));
        let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
    }

    /// Loads `doc` and returns its DOM once the page has settled.
    pub async fn load(
        &mut self,
        doc: &Document<'_>,
        deadline: Instant,
    ) -> Result<Loaded, LoadError> {
        self.loads += 1;
        self.browser.loads.fetch_add(1, Ordering::Relaxed);
        // What an earlier load left behind is let go.
        while let Ok(ev) = self.events.try_recv() {
            if ev.method == "Fetch.requestPaused" {
                self.refuse(&ev.params).await;
            }
        }
        let mut load = Load::new(doc);
        let (conn, session) = (self.browser.conn.clone(), self.session.clone());
        let url = doc.url.as_str().to_string();
        let navigate = async move {
            conn.call(Some(&session), "Page.navigate", json!({ "url": url }))
                .await
        };
        tokio::pin!(navigate);
        let mut navigated = false;
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        loop {
            tokio::select! {
                r = &mut navigate, if !navigated => {
                    navigated = true;
                    if let Some(e) = r?["errorText"].as_str().filter(|e| !e.is_empty()) {
                        return Err(LoadError::Failed(format!("navigation failed: {e}")));
                    }
                }
                ev = self.events.recv() => {
                    let Some(ev) = ev else {
                        return Err(LoadError::Failed("the page went away".into()));
                    };
                    self.on_event(&mut load, ev).await?;
                }
                _ = tick.tick() => {
                    if load.settled() {
                        tracing::trace!("{}: settled", doc.url);
                        break;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return Err(LoadError::Timeout),
            }
        }
        let serialized = self.call(
            "Runtime.evaluate",
            json!({"expression": SERIALIZE, "returnByValue": true}),
        );
        let value = match tokio::time::timeout_at(deadline, serialized).await {
            Ok(v) => v?,
            Err(_) => return Err(LoadError::Timeout),
        };
        let html = value["result"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        tracing::trace!("{}: serialized, {} bytes", doc.url, html.len());
        // Unload the page, so its timers and requests stop.
        let blank = self.call("Page.navigate", json!({"url": "about:blank"}));
        let _ = tokio::time::timeout(Duration::from_secs(2), blank).await;
        Ok(Loaded {
            html,
            subrequests: load.subrequests,
        })
    }

    /// One event of the load.
    async fn on_event(&self, load: &mut Load<'_>, ev: Event) -> Result<(), LoadError> {
        let p = &ev.params;
        match ev.method.as_str() {
            "Fetch.requestPaused" => self.paused(load, p).await,
            "Network.requestWillBeSent" => {
                if let Some(id) = p["requestId"].as_str() {
                    load.inflight.insert(id.to_string());
                }
                load.active = Instant::now();
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                if let Some(id) = p["requestId"].as_str() {
                    load.inflight.remove(id);
                }
                load.active = Instant::now();
            }
            "Page.loadEventFired" => {
                tracing::trace!("{}: load", load.doc.url);
                load.loaded = true;
                load.active = Instant::now();
            }
            "Page.javascriptDialogOpening" => {
                // An alert() would hold the page forever.
                let _ = self
                    .call("Page.handleJavaScriptDialog", json!({"accept": true}))
                    .await;
            }
            "Inspector.targetCrashed" => {
                return Err(LoadError::Failed("the page crashed".into()));
            }
            _ => {}
        }
        Ok(())
    }

    /// A request waiting for a decision: the document is served from
    /// trawl's response, the rest let through or refused.
    async fn paused(&self, load: &mut Load<'_>, p: &Value) {
        let id = p["requestId"].as_str().unwrap_or_default();
        let kind = p["resourceType"].as_str().unwrap_or_default();
        let url = p["request"]["url"].as_str().unwrap_or_default();
        tracing::trace!("{}: the page asks for {url} ({kind})", load.doc.url);
        if !load.served && kind == "Document" && same_document(url, load.doc.url) {
            load.served = true;
            let doc = load.doc;
            let headers: Vec<Value> = doc
                .headers
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect();
            let fulfilled = self
                .call(
                    "Fetch.fulfillRequest",
                    json!({
                        "requestId": id,
                        "responseCode": doc.status,
                        "responseHeaders": headers,
                        "body": data_encoding::BASE64.encode(doc.body),
                    }),
                )
                .await;
            if let Err(e) = fulfilled {
                tracing::debug!("{}: the document was not handed over: {e}", doc.url);
            }
            return;
        }
        if BLOCKED.contains(&kind) || (kind == "Other" && is_favicon(url)) {
            self.refuse(p).await;
            return;
        }
        load.subrequests += 1;
        if load.subrequests > MAX_SUBREQUESTS {
            self.refuse(p).await;
        } else {
            let _ = self
                .call("Fetch.continueRequest", json!({"requestId": id}))
                .await;
        }
    }

    /// Refuses a paused request as the page's client would block it.
    async fn refuse(&self, p: &Value) {
        let id = p["requestId"].as_str().unwrap_or_default();
        let _ = self
            .call(
                "Fetch.failRequest",
                json!({"requestId": id, "errorReason": "BlockedByClient"}),
            )
            .await;
    }
}

/// The state of one load.
struct Load<'a> {
    doc: &'a Document<'a>,
    served: bool,
    loaded: bool,
    inflight: HashSet<String>,
    active: Instant,
    subrequests: u32,
}

impl<'a> Load<'a> {
    fn new(doc: &'a Document<'a>) -> Load<'a> {
        Load {
            doc,
            served: false,
            loaded: false,
            inflight: HashSet::new(),
            active: Instant::now(),
            subrequests: 0,
        }
    }

    /// `load` fired, nothing in flight, and quiet for `QUIET`.
    fn settled(&self) -> bool {
        self.loaded && self.inflight.is_empty() && self.active.elapsed() >= QUIET
    }
}

/// The icon a browser asks for by itself, for its tab.
fn is_favicon(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| u.path() == "/favicon.ico")
}

/// Whether the browser asks for the page's own document (fragment aside).
fn same_document(asked: &str, url: &Url) -> bool {
    let asked = asked.split('#').next().unwrap_or_default();
    let ours = url.as_str().split('#').next().unwrap_or_default();
    asked == ours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_recognized_whatever_its_fragment() {
        let url = Url::parse("http://a.test/app?x=1").unwrap();
        assert!(same_document("http://a.test/app?x=1", &url));
        assert!(same_document("http://a.test/app?x=1#/route", &url));
        assert!(!same_document("http://a.test/app?x=2", &url));
        assert!(is_favicon("http://a.test/favicon.ico"));
        assert!(!is_favicon("http://a.test/img/favicon.ico.png"));
    }
}
