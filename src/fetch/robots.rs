//! robots.txt (RFC 9309): fetching one host's file and answering "may this
//! URL be fetched?" and "what Crawl-delay applies?".
//!
//! Parsing and matching (`Allow`/`Disallow` precedence by longest match,
//! wildcards, agent groups) are `texting_robots`'s; this module decides what
//! a response means (RFC 9309 §2.3.1): 2xx → the rules; 4xx → allow all;
//! 5xx or a network error → unavailable, which the scheduler treats as
//! "disallow all for now"; up to five redirects are followed. The file is
//! read up to 512 KiB (the RFC asks for at least 500 KiB).

use std::time::Duration;

use reqwest::header::LOCATION;
use url::Url;

use crate::error::{ErrorKind, PageError};

/// One host's robots.txt rules.
#[derive(Debug)]
pub struct Rules {
    /// `None`: everything is allowed (no file, or a 4xx).
    robot: Option<texting_robots::Robot>,
}

impl Rules {
    pub fn allow_all() -> Rules {
        Rules { robot: None }
    }

    /// Parses a robots.txt body for the User-Agent's product token.
    pub fn parse(agent_token: &str, body: &[u8]) -> Rules {
        match texting_robots::Robot::new(agent_token, body) {
            Ok(robot) => Rules { robot: Some(robot) },
            Err(e) => {
                tracing::warn!("unparsable robots.txt treated as allow-all: {e}");
                Rules::allow_all()
            }
        }
    }

    pub fn allowed(&self, url: &Url) -> bool {
        match &self.robot {
            None => true,
            Some(r) => {
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_string(),
                };
                r.allowed(&path)
            }
        }
    }

    /// The `Crawl-delay` for this agent, if the file sets one.
    pub fn crawl_delay(&self) -> Option<Duration> {
        let secs = self.robot.as_ref()?.delay?;
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f32(secs))
    }
}

/// What fetching robots.txt gave.
#[derive(Debug)]
pub enum Fetched {
    Rules(Rules),
    /// 5xx or a network error. The error is what the host's URLs are refused
    /// with while it lasts: `robots` for a 5xx, the network kind (`dns`,
    /// `connect`, `tls`, `timeout`) when the host cannot be reached at all.
    Unavailable(PageError),
}

impl Fetched {
    /// Whether trying robots.txt again soon may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Fetched::Rules(_) => false,
            Fetched::Unavailable(e) => e.kind == ErrorKind::Robots || e.is_retryable(),
        }
    }
}

fn unreachable(e: &reqwest::Error) -> Fetched {
    let err = crate::error::classify(e);
    Fetched::Unavailable(PageError::new(
        err.kind,
        format!("robots.txt: {}", err.message),
    ))
}

/// The product token of a User-Agent (`trawl/0.1 (+https://…)` → `trawl`),
/// which is what robots.txt groups are matched against (RFC 9309 §2.2.1).
pub fn product_token(user_agent: &str) -> String {
    user_agent
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The robots.txt URL of the origin of `url`.
pub fn robots_url(url: &Url) -> Url {
    let mut r = url.clone();
    r.set_path("/robots.txt");
    r.set_query(None);
    r.set_fragment(None);
    let _ = r.set_username("");
    let _ = r.set_password(None);
    r
}

const MAX_BYTES: usize = 512 * 1024;
const MAX_HOPS: usize = 5;

/// Fetches and interprets `url` (a robots.txt URL) within `timeout`;
/// `deny_private` refuses private IP literals, as for pages.
pub async fn fetch(
    client: &reqwest::Client,
    url: Url,
    agent_token: &str,
    timeout: Duration,
    deny_private: bool,
) -> Fetched {
    let inner = fetch_inner(client, url, agent_token, deny_private);
    match tokio::time::timeout(timeout, inner).await {
        Ok(f) => f,
        Err(_) => Fetched::Unavailable(PageError::new(
            ErrorKind::Timeout,
            format!("robots.txt: no answer within {timeout:?}"),
        )),
    }
}

async fn fetch_inner(
    client: &reqwest::Client,
    mut url: Url,
    agent_token: &str,
    deny_private: bool,
) -> Fetched {
    for _ in 0..=MAX_HOPS {
        if deny_private && let Some(err) = super::client::refuse_private_literal(&url) {
            return Fetched::Unavailable(err);
        }
        let mut resp = match client.get(url.clone()).send().await {
            Ok(r) => r,
            Err(e) => return unreachable(&e),
        };
        let status = resp.status();
        if status.is_redirection() {
            let next = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .filter(crate::frontier::normalize::is_http);
            match next {
                Some(next) => {
                    url = next;
                    continue;
                }
                // A redirect to nowhere usable: as if there were no file.
                None => return Fetched::Rules(Rules::allow_all()),
            }
        }
        if status.is_server_error() {
            return Fetched::Unavailable(PageError::new(
                ErrorKind::Robots,
                format!(
                    "robots.txt unavailable (HTTP {}): the host is disallowed for now",
                    status.as_u16()
                ),
            ));
        }
        if !status.is_success() {
            return Fetched::Rules(Rules::allow_all());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= MAX_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return unreachable(&e),
            }
        }
        return Fetched::Rules(Rules::parse(agent_token, &body));
    }
    // RFC 9309 §2.3.1.2: after five redirects the file may be taken as unavailable
    // in the 4xx sense, i.e. no rules.
    Fetched::Rules(Rules::allow_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(txt: &str, agent: &str, path: &str) -> bool {
        Rules::parse(agent, txt.as_bytes())
            .allowed(&Url::parse(&format!("http://a.test{path}")).unwrap())
    }

    #[test]
    fn rules_table() {
        let txt = "User-agent: trawl\nDisallow: /private\nAllow: /private/ok\nCrawl-delay: 2\n\n\
                   User-agent: *\nDisallow: /\n";
        let cases = [
            (txt, "trawl", "/", true),
            (txt, "trawl", "/private/x", false),
            (txt, "trawl", "/private/ok/page", true),
            (txt, "otherbot", "/", false),
            (txt, "otherbot", "/robots.txt", true),
            (
                "User-agent: *\nDisallow: /*.pdf$\n",
                "trawl",
                "/a.pdf",
                false,
            ),
            (
                "User-agent: *\nDisallow: /*.pdf$\n",
                "trawl",
                "/a.pdf.html",
                true,
            ),
            (
                "User-agent: *\nDisallow: /search?q=\n",
                "trawl",
                "/search?q=x",
                false,
            ),
            (
                "User-agent: *\nDisallow: /search?q=\n",
                "trawl",
                "/search",
                true,
            ),
            ("User-agent: *\nDisallow:\n", "trawl", "/anything", true),
            ("garbage \u{0} lines\n\n", "trawl", "/x", true),
        ];
        for (txt, agent, path, want) in cases {
            assert_eq!(allowed(txt, agent, path), want, "{agent} {path} in {txt:?}");
        }
        let r = Rules::parse("TRAWL", txt.as_bytes());
        assert_eq!(r.crawl_delay(), Some(Duration::from_secs(2)));
        assert_eq!(Rules::allow_all().crawl_delay(), None);
    }

    #[test]
    fn product_tokens_and_urls() {
        assert_eq!(product_token("trawl/0.1.0"), "trawl");
        assert_eq!(product_token("MyBot (+https://x)"), "MyBot");
        let u = Url::parse("https://user:pw@a.test:8443/x/y?q=1#f").unwrap();
        assert_eq!(robots_url(&u).as_str(), "https://a.test:8443/robots.txt");
    }
}
