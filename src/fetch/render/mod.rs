//! Rendering pages that need JavaScript (`--render auto|always`): a stage
//! between the transport and the page stage, for HTML pages only.
//!
//! The document is fetched by the HTTP transport like any page — through
//! the host's gate, robots.txt, retries, conditional requests, the body
//! caps — so the record's status and headers, the store and the WARC
//! `response` are the response as received. This stage then hands the bytes
//! to headless Chromium (`tab`: the browser asks for the document and gets
//! exactly these bytes) and gives the page stage the DOM the scripts built,
//! from which title, links, `--select` fields and content are read as from
//! any page.
//!
//! Owns the pool: one browser (`browser`), up to `--render-concurrency`
//! pages loading at once, each page (tab) reused for `TAB_LOADS` loads, the
//! browser restarted after `BROWSER_LOADS` or when it is gone; and, for
//! `auto`, what each host has shown (`Hosts`): a host whose pages are never
//! shells, or whose renders never show more, stops being looked at.

mod browser;
mod cdp;
mod tab;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::config::Settings;
use crate::error::{ErrorKind, PageError};
use crate::extract::{self, DomLimits, Look};
use crate::options::RenderMode;
use browser::Browser;
pub use browser::{abandon, locate};
pub use tab::MAX_SUBREQUESTS;
use tab::{Document, LoadError, Tab};

/// Loads per page before it is closed and a fresh one opened.
const TAB_LOADS: u32 = 50;
/// Loads per browser before it is restarted (memory that a long-lived
/// browser keeps is given back).
const BROWSER_LOADS: u64 = 1_000;
/// Pages of a host looked at, none a shell, before its pages are no longer
/// looked at (`auto`).
const STATIC_AFTER: u32 = 20;
/// Renders of a host, none showing more, before its pages are no longer
/// rendered (`auto`).
const FUTILE_AFTER: u32 = 3;

/// A rendered page.
#[derive(Debug)]
pub struct Rendered {
    /// The DOM after the scripts ran, serialized (UTF-8).
    pub html: String,
    /// Sub-requests the page asked for (scripts, XHR, …; not images,
    /// media, fonts or stylesheets, which are refused).
    pub subrequests: u32,
}

/// What one host has shown `auto`.
#[derive(Debug, Default, Clone, Copy)]
struct HostWay {
    looked: u32,
    shells: u32,
    renders: u32,
    gains: u32,
}

impl HostWay {
    /// Whether its next page is worth a look.
    fn worth_a_look(&self) -> bool {
        let all_static = self.looked >= STATIC_AFTER && self.shells == 0;
        let futile = self.renders >= FUTILE_AFTER && self.gains == 0;
        !all_static && !futile
    }
}

/// The browser and its pages.
#[derive(Default)]
struct Pool {
    browser: Option<Arc<Browser>>,
    idle: Vec<Tab>,
}

/// The rendering stage.
pub struct Renderer {
    mode: RenderMode,
    path: PathBuf,
    user_agent: String,
    timeout: Duration,
    max_body: u64,
    slots: Semaphore,
    pool: tokio::sync::Mutex<Pool>,
    hosts: Mutex<HashMap<String, HostWay>>,
}

impl Renderer {
    /// Finds the browser, so a missing one stops the run before it begins,
    /// and with `always` starts it (a broken one stops the run too); with
    /// `auto` it starts at the first page that needs it, so a crawl of
    /// static pages never starts it. `None` for `--render never`.
    pub async fn start(settings: &Settings) -> Result<Option<Arc<Renderer>>, String> {
        if settings.render == RenderMode::Never {
            return Ok(None);
        }
        let path = locate(settings.browser.as_deref())?;
        let browser = match settings.render {
            RenderMode::Always => Some(Arc::new(Browser::launch(&path).await?)),
            _ => None,
        };
        let renderer = Renderer {
            mode: settings.render,
            path,
            user_agent: settings.user_agent.clone(),
            timeout: settings.timeout,
            max_body: settings.max_body,
            slots: Semaphore::new(settings.render_concurrency.max(1)),
            pool: tokio::sync::Mutex::new(Pool {
                browser,
                idle: Vec::new(),
            }),
            hosts: Mutex::new(HashMap::new()),
        };
        Ok(Some(Arc::new(renderer)))
    }

    /// Renders the page at `url` (a 2xx HTML response, `body` content-
    /// decoded) when the mode says so: `Ok(None)` when it is not rendered.
    /// `deadline` is the page's `--timeout`; the wait for a free browser
    /// page does not count against it.
    pub async fn render(
        &self,
        url: &Url,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        mut deadline: Instant,
    ) -> Result<Option<Rendered>, PageError> {
        let host = url.host_str().unwrap_or_default().to_string();
        let before = if self.mode == RenderMode::Auto {
            if !self.host_way(&host).worth_a_look() {
                return Ok(None);
            }
            let look = if extract::surely_static(body) {
                Look::default()
            } else {
                let content_type = headers
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                look(body, content_type).await
            };
            self.note(&host, |w| {
                w.looked += 1;
                w.shells += u32::from(look.is_shell());
            });
            if !look.is_shell() {
                return Ok(None);
            }
            Some(look)
        } else {
            None
        };
        let waited = Instant::now();
        // The semaphore is never closed, so acquire cannot fail.
        let _slot = self.slots.acquire().await;
        deadline += waited.elapsed();
        let doc = Document {
            url,
            status,
            headers: browser_headers(headers),
            body,
        };
        let rendered = self.load(&doc, deadline).await?;
        if rendered.html.len() as u64 > self.max_body {
            return Err(PageError::new(
                ErrorKind::TooLarge,
                format!(
                    "the DOM the browser built ({} bytes) is over --max-body {}",
                    rendered.html.len(),
                    self.max_body
                ),
            ));
        }
        if let Some(before) = before {
            let after = look(rendered.html.as_bytes(), Some("text/html; charset=utf-8")).await;
            self.note(&host, |w| {
                w.renders += 1;
                w.gains += u32::from(before.gained(&after));
            });
        }
        Ok(Some(rendered))
    }

    /// One load in a page of the pool.
    /// Every step is bounded by `deadline`, a browser that stops answering
    /// (its pipe still open) included.
    async fn load(&self, doc: &Document<'_>, deadline: Instant) -> Result<Rendered, PageError> {
        let mut tab = match tokio::time::timeout_at(deadline, self.tab()).await {
            Ok(tab) => tab?,
            Err(_) => {
                return Err(PageError::new(
                    ErrorKind::Render,
                    format!(
                        "the browser did not open a page within --timeout {:?}",
                        self.timeout
                    ),
                ));
            }
        };
        let loaded = tokio::time::timeout_at(deadline, tab.load(doc, deadline))
            .await
            .unwrap_or(Err(LoadError::Timeout));
        match loaded {
            Ok(loaded) => {
                self.give_back(tab).await;
                Ok(Rendered {
                    html: loaded.html,
                    subrequests: loaded.subrequests,
                })
            }
            Err(e) => {
                // A page that failed is not reused.
                tokio::spawn(tab.close());
                Err(match e {
                    LoadError::Timeout => {
                        let mut err = PageError::new(
                            ErrorKind::Timeout,
                            format!(
                                "the page did not settle in the browser within --timeout {:?}",
                                self.timeout
                            ),
                        );
                        // A page that never settles will not settle next time.
                        err.permanent = true;
                        err
                    }
                    LoadError::Failed(why) => PageError::new(
                        ErrorKind::Render,
                        format!("the browser could not render the page: {why}"),
                    ),
                })
            }
        }
    }

    /// An idle page of the current browser, or a new one; the browser is
    /// started again first when it is gone or has loaded enough.
    async fn tab(&self) -> Result<Tab, PageError> {
        let failed = |why: String| {
            PageError::new(
                ErrorKind::Render,
                format!("the browser could not open a page: {why}"),
            )
        };
        let mut pool = self.pool.lock().await;
        let worn =
            |b: &Arc<Browser>| !b.is_alive() || b.loads.load(Ordering::Relaxed) >= BROWSER_LOADS;
        if pool.browser.as_ref().is_none_or(worn) {
            pool.idle.clear();
            if let Some(old) = pool.browser.take() {
                if !old.is_alive() {
                    tracing::warn!(
                        "the browser {} is gone; starting it again",
                        self.path.display()
                    );
                }
                tokio::spawn(retire(old));
            }
            let fresh = Browser::launch(&self.path).await.map_err(failed)?;
            pool.browser = Some(Arc::new(fresh));
        }
        if let Some(tab) = pool.idle.pop() {
            return Ok(tab);
        }
        let browser = pool
            .browser
            .clone()
            .ok_or_else(|| failed("no browser".into()))?;
        drop(pool);
        Tab::open(browser, &self.user_agent)
            .await
            .map_err(|e| failed(e.to_string()))
    }

    /// A page after a good load: back to the pool, or closed when it has
    /// loaded enough or its browser is no longer the current one.
    async fn give_back(&self, tab: Tab) {
        let mut pool = self.pool.lock().await;
        let current = pool
            .browser
            .as_ref()
            .is_some_and(|b| Arc::ptr_eq(b, &tab.browser));
        if current && tab.loads < TAB_LOADS {
            pool.idle.push(tab);
        } else {
            drop(pool);
            tokio::spawn(tab.close());
        }
    }

    /// Ends the browser; every exit of a run with a renderer comes here.
    pub async fn shutdown(&self) {
        let mut pool = self.pool.lock().await;
        pool.idle.clear();
        if let Some(browser) = pool.browser.take() {
            browser.close().await;
        }
    }

    fn host_way(&self, host: &str) -> HostWay {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.get(host).copied().unwrap_or_default()
    }

    fn note(&self, host: &str, f: impl FnOnce(&mut HostWay)) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        f(hosts.entry(host.to_string()).or_default());
    }
}

/// Ends a browser the pool no longer uses, once the loads still running in
/// it are over (each holds a reference), or after a minute.
async fn retire(browser: Arc<Browser>) {
    let until = Instant::now() + Duration::from_secs(60);
    while Arc::strong_count(&browser) > 1 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.close().await;
}

/// The response headers the browser gets with the document: as received,
/// less those that describe the coding and framing trawl has undone.
fn browser_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "content-encoding" | "content-length" | "transfer-encoding" | "connection"
            )
        })
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// How a page of `content_type` looks (`extract::shell`), on the blocking
/// pool; a page whose DOM cannot be built is taken for a page that is not
/// a shell.
async fn look(body: &[u8], content_type: Option<&str>) -> Look {
    let content_type = content_type.map(str::to_string);
    let body = body.to_vec();
    tokio::task::spawn_blocking(move || {
        let text = super::charset::decode(&body, content_type.as_deref(), true);
        extract::look(&text, DomLimits::default()).unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_stops_being_looked_at_when_it_never_needs_the_browser() {
        let mut way = HostWay::default();
        for _ in 0..STATIC_AFTER - 1 {
            way.looked += 1;
        }
        assert!(way.worth_a_look());
        way.looked += 1;
        assert!(!way.worth_a_look(), "{STATIC_AFTER} pages, none a shell");

        let mut spa = HostWay {
            looked: 100,
            shells: 40,
            renders: 40,
            gains: 39,
        };
        assert!(spa.worth_a_look(), "renders that show more keep it going");
        spa = HostWay {
            looked: 5,
            shells: FUTILE_AFTER,
            renders: FUTILE_AFTER,
            gains: 0,
        };
        assert!(
            !spa.worth_a_look(),
            "{FUTILE_AFTER} renders that showed nothing more"
        );
    }

    #[test]
    fn the_browser_gets_the_headers_that_still_describe_the_body() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("content-type", "text/html; charset=iso-8859-1"),
            ("content-encoding", "gzip"),
            ("content-length", "120"),
            ("transfer-encoding", "chunked"),
            ("set-cookie", "a=1"),
        ] {
            h.append(
                reqwest::header::HeaderName::from_static(n),
                reqwest::header::HeaderValue::from_static(v),
            );
        }
        let names: Vec<String> = browser_headers(&h).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["content-type", "set-cookie"]);
    }
}
