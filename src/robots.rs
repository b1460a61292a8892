//! robots.txt (RFC 9309) as rules: "may this URL be fetched?" and "what
//! Crawl-delay applies?", and what a robots.txt request ended in
//! (`Fetched`). Fetching the file is `fetch::robots`'s; the per-host
//! queues hold the rules and ask them.
//!
//! Parsing and matching (`Allow`/`Disallow` precedence by longest match,
//! wildcards, agent groups) are `texting_robots`'s. Pure: no I/O.

use std::time::Duration;

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
