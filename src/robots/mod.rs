//! robots.txt (RFC 9309) as rules: "may this URL be fetched?" and "what
//! Crawl-delay applies?", and what a robots.txt request ended in
//! (`Fetched`). Fetching the file is `fetch::robots`'s; the per-host
//! queues hold the rules and ask them. Pure: no I/O.
//!
//! A file is parsed once per host (`parse`: lines as the reference parser
//! reads them) into the rules of the groups that apply to trawl's product
//! token, each path normalized (`pattern`); every URL is then matched
//! against those alone. The decisions agree with Google's reference parser
//! on its public test suite (`google_cases`, run by the tests below), except
//! where it departs from RFC 9309, which the tests say case by case:
//!
//! - the groups whose `User-agent` names the product token (the value up to
//!   its first character that is not a letter, `_` or `-`, compared without
//!   case) apply, and only they; if none does, the `*` groups apply; a
//!   group is its `User-agent` lines and the rules after them, whatever
//!   other lines (`Sitemap`, unknown keys) stand between;
//! - among their `Allow` and `Disallow` rules the longest pattern that
//!   matches wins, and `Allow` wins a tie (§2.2.2); an empty pattern matches
//!   nothing;
//! - `Allow: /dir/index.html` (or `.htm`) also allows `/dir/` itself;
//! - `Crawl-delay` (not in the RFC, honoured by many crawlers) is read from
//!   the same groups, and `Sitemap` lines are kept for whoever wants them.

mod parse;
mod pattern;

#[cfg(test)]
mod google_cases;

use std::time::Duration;

use url::Url;

use crate::error::{ErrorKind, PageError};
use parse::Line;
use pattern::Pattern;

/// One rule of a group that applies.
#[derive(Debug, Clone)]
struct Rule {
    allow: bool,
    pattern: Pattern,
}

/// The rules of one kind of group: those naming the product token, or `*`.
#[derive(Debug, Default)]
struct Group {
    rules: Vec<Rule>,
    crawl_delay: Option<f64>,
}

impl Group {
    /// The longest matching allow and disallow patterns (`None`: no match).
    fn best(&self, path: &[u8]) -> (Option<usize>, Option<usize>) {
        let (mut allow, mut disallow) = (None, None);
        for rule in &self.rules {
            let best = if rule.allow {
                &mut allow
            } else {
                &mut disallow
            };
            if best.is_none_or(|b| rule.pattern.len() > b) && rule.pattern.matches(path) {
                *best = Some(rule.pattern.len());
            }
        }
        (allow, disallow)
    }
}

/// One host's robots.txt rules, for one product token.
#[derive(Debug, Default)]
pub struct Rules {
    /// The groups that name the product token, merged.
    specific: Group,
    /// A group named the product token: the `*` groups do not apply.
    has_specific: bool,
    /// The `*` groups, merged.
    global: Group,
    sitemaps: Vec<String>,
}

/// A `User-agent` line's value up to its first character other than a
/// letter, `_` or `-` (`FooBot/2.1` → `FooBot`): what is compared, without
/// case, with the product token.
fn agent_name(value: &[u8]) -> &[u8] {
    let n = value
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-'))
        .count();
    &value[..n]
}

impl Rules {
    pub fn allow_all() -> Rules {
        Rules::default()
    }

    /// Parses a robots.txt body for the User-Agent's product token.
    pub fn parse(agent_token: &str, body: &[u8]) -> Rules {
        let me = agent_token.as_bytes();
        let mut rules = Rules::default();
        // Within the current group: does it name `*`, the product token;
        // has a rule ended its `User-agent` lines? (Other lines, `Sitemap`
        // and unknown keys, neither end nor start a group: RFC 9309 §2.1's
        // grammar has no place for them.)
        let (mut global, mut specific, mut ended) = (false, false, false);
        for line in parse::lines(body) {
            match line {
                Line::UserAgent(value) => {
                    if ended {
                        (global, specific, ended) = (false, false, false);
                    }
                    if value.first() == Some(&b'*')
                        && value.get(1).is_none_or(|b| b.is_ascii_whitespace())
                    {
                        global = true;
                    } else {
                        let name = agent_name(value);
                        if !me.is_empty() && name.eq_ignore_ascii_case(me) {
                            specific = true;
                            rules.has_specific = true;
                        }
                    }
                }
                Line::Allow(value) | Line::Disallow(value) => {
                    ended = true;
                    let allow = matches!(line, Line::Allow(_));
                    let group = match (specific, global) {
                        (true, _) => &mut rules.specific,
                        (false, true) => &mut rules.global,
                        (false, false) => continue,
                    };
                    add_rule(group, allow, value);
                }
                Line::CrawlDelay(value) => {
                    let group = match (specific, global) {
                        (true, _) => &mut rules.specific,
                        (false, true) => &mut rules.global,
                        (false, false) => continue,
                    };
                    let delay = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.parse::<f64>().ok());
                    if group.crawl_delay.is_none() {
                        group.crawl_delay = delay.filter(|d| d.is_finite() && *d >= 0.0);
                    }
                }
                Line::Sitemap(value) => {
                    rules
                        .sitemaps
                        .push(String::from_utf8_lossy(value).into_owned());
                }
                Line::Other => {}
            }
        }
        rules
    }

    pub fn allowed(&self, url: &Url) -> bool {
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        self.allowed_path(&pattern::normalize(path.as_bytes()))
    }

    /// The decision for a normalized path.
    fn allowed_path(&self, path: &[u8]) -> bool {
        let decide = |(allow, disallow): (Option<usize>, Option<usize>)| match (allow, disallow) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(d)) => a >= d,
        };
        if self.has_specific {
            decide(self.specific.best(path))
        } else {
            decide(self.global.best(path))
        }
    }

    /// The `Crawl-delay` for this agent, if the file sets one.
    pub fn crawl_delay(&self) -> Option<Duration> {
        let group = if self.has_specific {
            &self.specific
        } else {
            &self.global
        };
        let secs = group.crawl_delay?;
        (secs > 0.0).then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
    }

    /// The `Sitemap` URLs the file lists, as written.
    pub fn sitemaps(&self) -> &[String] {
        &self.sitemaps
    }
}

/// Adds a rule (an empty pattern matches nothing and is dropped);
/// `Allow: /dir/index.html` also allows `/dir/` exactly.
fn add_rule(group: &mut Group, allow: bool, value: &[u8]) {
    let pattern = Pattern::new(value);
    if pattern.is_empty() {
        return;
    }
    if allow {
        let text = pattern.as_bytes();
        if let Some(slash) = text.iter().rposition(|&b| b == b'/')
            && text[slash..].starts_with(b"/index.htm")
        {
            let mut dir = text[..=slash].to_vec();
            dir.push(b'$');
            group.rules.push(Rule {
                allow: true,
                pattern: Pattern::normalized(dir),
            });
        }
    }
    group.rules.push(Rule { allow, pattern });
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

/// Whether `token` is a product token robots.txt groups can name:
/// letters, `_` and `-` only (RFC 9309 §2.2.1). Another one (`bot2`) is
/// matched by `*` groups alone.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty() && agent_name(token.as_bytes()).len() == token.len()
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
            // No exception for /robots.txt itself (RFC 9309 has none; trawl
            // fetches it whatever the rules say).
            (txt, "otherbot", "/robots.txt", false),
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

    /// Cases of Google's suite where trawl follows RFC 9309 instead, with
    /// why. Each is checked to decide the other way.
    const DEPARTURES: &[(&str, &str)] = &[
        (
            "ID_Encoding/utf8 rule, raw utf8 url",
            "the suite hands the matcher `/foo/bar/ツ` unencoded and expects no match; RFC 9309 \
             §2.2.2 compares both sides percent-encoded, and trawl's URLs always are (the URL \
             standard's parser encodes them), so `Allow: /foo/bar/ツ` allows it",
        ),
        (
            "ID_Encoding/encoded rule, raw utf8 url",
            "as above, with the rule written `/foo/bar/%E3%83%84`",
        ),
        (
            "ID_Encoding/encoded unreserved rule, plain url",
            "RFC 9309 §2.2.2's table matches `/foo/bar/%62%61%7A` as `/foo/bar/baz`: escapes \
             of unreserved characters are decoded before comparison; the reference compares \
             the bytes as written and calls relying on it illegal",
        ),
    ];

    /// The path and query the reference would match: trawl's URLs always
    /// parse; the suite's empty URL stands for `/`, as there.
    fn path_of(url: &str) -> Vec<u8> {
        let path = match Url::parse(url) {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            Err(_) => "/".to_string(),
        };
        pattern::normalize(path.as_bytes())
    }

    fn google_case(
        name: &str,
        robots: &[u8],
        agent: &str,
        url: &str,
        allowed: bool,
    ) -> Option<String> {
        let got = Rules::parse(agent, robots).allowed_path(&path_of(url));
        let departs = DEPARTURES.iter().any(|(n, _)| *n == name);
        (got != (allowed != departs)).then(|| {
            format!(
                "{name}: {agent} on {url}: trawl says {got}, expected {} (departure: {departs})",
                allowed != departs
            )
        })
    }

    #[test]
    fn agrees_with_the_reference_parser_on_its_test_suite() {
        let mut failed: Vec<String> = google_cases::CASES
            .iter()
            .filter_map(|c| google_case(c.name, c.robots.as_bytes(), c.agent, c.url, c.allowed))
            .collect();
        for (name, robots, agent, url, allowed) in google_cases::generated_cases() {
            failed.extend(google_case(&name, robots.as_bytes(), agent, &url, allowed));
        }
        assert!(
            failed.is_empty(),
            "{} of the reference cases fail:\n{}",
            failed.len(),
            failed.join("\n")
        );
        for (name, _) in DEPARTURES {
            assert!(
                google_cases::CASES.iter().any(|c| c.name == *name),
                "departure {name:?} names no case"
            );
        }
    }

    #[test]
    fn agrees_with_the_reference_helpers() {
        for (input, want) in google_cases::ESCAPE_PATTERN {
            assert_eq!(
                pattern::normalize(input.as_bytes()),
                want.as_bytes(),
                "{input:?}"
            );
        }
        for (agent, want) in google_cases::VALID_USER_AGENT {
            assert_eq!(valid_token(agent), *want, "{agent:?}");
        }
        // Of the suite's URL cases, the absolute URLs trawl can meet; the
        // others (scheme-less, relative, empty) are not URLs it fetches.
        for (url, want) in google_cases::PATH_PARAMS_QUERY
            .iter()
            .filter(|(u, _)| u.starts_with("http"))
        {
            assert_eq!(path_of(url), want.as_bytes(), "{url:?}");
        }
    }

    /// The reference suite's `ID_NonStandardLineExample_Sitemap`: a
    /// `Sitemap` line anywhere is read, and ends no group.
    #[test]
    fn sitemap_lines_are_kept() {
        let body = "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\n";
        let loc = "http://foo.bar/sitemap.xml";
        for txt in [
            format!("{body}Sitemap: {loc}\n"),
            format!("Sitemap: {loc}\n{body}"),
        ] {
            assert_eq!(Rules::parse("foo", txt.as_bytes()).sitemaps(), [loc]);
        }
    }

    #[test]
    fn product_tokens_and_urls() {
        assert_eq!(product_token("trawl/0.1.0"), "trawl");
        assert_eq!(product_token("MyBot (+https://x)"), "MyBot");
        let u = Url::parse("https://user:pw@a.test:8443/x/y?q=1#f").unwrap();
        assert_eq!(robots_url(&u).as_str(), "https://a.test:8443/robots.txt");
    }
}
