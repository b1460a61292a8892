//! Redirects, hop by hop: the decision the engine takes when a response is a
//! 3xx with a `Location` — end the record (a loop, too many hops, a
//! non-http(s) target, a target out of scope or already seen) or queue the
//! next hop at its own host, where the host gate, robots.txt and the rate
//! apply to it like to any request.

use std::sync::Arc;

use url::Url;

use super::Engine;
use crate::error::{ErrorKind, PageError};
use crate::fetch::transport::Transport;
use crate::options::Mode;
use crate::record::{CrawlItem, Source};
use crate::state::{Admission, Store};
use crate::urls::{Anchor, normalize};

impl<S: Store, T: Transport> Engine<S, T> {
    /// Decides the next hop of a redirect (SPEC error kinds and dedupe rules).
    pub(super) async fn redirect(&mut self, mut item: CrawlItem, status: u16, location: &str) {
        let settings = self.settings.clone();
        let end = |item: &CrawlItem, target: &str, error: Option<PageError>| {
            let mut r = item.record(Some(status), &settings.blank);
            r.final_url = target.to_string();
            r.error = error;
            r
        };
        let mut target = match item.current.join(location.trim()) {
            Ok(t) => t,
            Err(e) => {
                let err = PageError::new(
                    ErrorKind::InvalidUrl,
                    format!("unparsable Location {location:?}: {e}"),
                );
                let r = end(&item, item.current.as_str(), Some(err));
                return self.emit(item, r, None, None).await;
            }
        };
        target.set_fragment(None);
        if !normalize::is_http(&target) {
            let err = PageError::new(
                ErrorKind::RedirectScheme,
                format!("redirect to a non-http(s) URL: {target}"),
            );
            let r = end(&item, target.as_str(), Some(err));
            return self.emit(item, r, None, None).await;
        }
        let key = normalize::key(&target);
        if normalize::key(&item.current) == key
            || item.hops.iter().any(|h| normalize::key(h) == key)
        {
            let err = PageError::new(
                ErrorKind::RedirectLimit,
                format!("redirect loop back to {target}"),
            );
            let r = end(&item, target.as_str(), Some(err));
            return self.emit(item, r, None, None).await;
        }
        if item.hops.len() as u32 >= self.settings.max_redirects {
            let err = PageError::new(
                ErrorKind::RedirectLimit,
                format!(
                    "more than --max-redirects {} hops",
                    self.settings.max_redirects
                ),
            );
            let r = end(&item, target.as_str(), Some(err));
            return self.emit(item, r, None, None).await;
        }
        let crawling = self.settings.mode == Mode::Crawl;
        if crawling && item.depth > 0 && !self.frontier.in_scope(&item, &target) {
            let r = end(&item, target.as_str(), None);
            return self.emit(item, r, None, None).await;
        }
        if !self.claim(&item, &target).await {
            // Already fetched or queued elsewhere in the crawl: not fetched again.
            let r = end(&item, target.as_str(), None);
            return self.emit(item, r, None, None).await;
        }
        if crawling && item.depth == 0 {
            // A seed that redirects (http → https, a bare domain → www) is
            // crawled in the scope of where it landed.
            item.anchor = Arc::new(Anchor::new(&target));
        }
        let previous = std::mem::replace(&mut item.current, target);
        item.hops.push(previous);
        item.attempts = 0;
        let host = self.frontier.host_id(&item.current);
        self.frontier.hosts.push_resume(host, item);
    }

    /// Marks a redirect target seen; `false` if the crawl had it already
    /// (the store has the last word: a memory cache may have forgotten).
    async fn claim(&mut self, item: &CrawlItem, target: &Url) -> bool {
        let admission = Admission {
            key: normalize::key(target),
            url: target.as_str().into(),
            source: Arc::new(Source {
                seed: item.seed.clone(),
                anchor: item.anchor.clone(),
                parent: item.parent.clone(),
                depth: item.depth,
            }),
        };
        match self.backlog.claim(admission).await {
            Ok(new) => new,
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }
}
