//! `--scope`: which discovered links a crawl follows, relative to the seed
//! they descend from (its `Anchor`).
//!
//! `host`: same host name; `domain`: same registrable domain by the public
//! suffix list (`psl` crate), falling back to the host for IP addresses and
//! bare suffixes; `prefix`: same host and port, path under the seed's
//! directory (its path up to the last `/`), either scheme; `any`: everything.
//! Pure: the frontier asks, nothing here keeps state.

use url::Url;

use crate::options::Scope;

/// The parts of a seed that scope checks compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    url: Url,
    host: String,
    domain: String,
    /// `host[:port]/dir/` without the scheme.
    prefix: String,
}

impl Anchor {
    pub fn new(seed: &Url) -> Anchor {
        let host = host_of(seed);
        Anchor {
            url: seed.clone(),
            domain: registrable_domain(&host),
            prefix: dir_prefix(seed),
            host,
        }
    }

    /// The URL this anchor was made from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn allows(&self, scope: Scope, url: &Url) -> bool {
        match scope {
            Scope::Any => true,
            Scope::Host => host_of(url) == self.host,
            Scope::Domain => registrable_domain(&host_of(url)) == self.domain,
            Scope::Prefix => authority_and_path(url).starts_with(&self.prefix),
        }
    }
}

fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    host.strip_suffix('.').unwrap_or(host).to_string()
}

/// The registrable domain (eTLD+1), or the host itself when it has none.
fn registrable_domain(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host.to_string();
    }
    psl::domain_str(host).unwrap_or(host).to_string()
}

fn authority_and_path(url: &Url) -> String {
    let mut s = host_of(url);
    if let Some(port) = url.port() {
        s.push(':');
        s.push_str(&port.to_string());
    }
    s.push_str(url.path());
    s
}

fn dir_prefix(seed: &Url) -> String {
    let full = authority_and_path(seed);
    let host_len = full.len() - seed.path().len();
    match full[host_len..].rfind('/') {
        Some(i) => full[..host_len + i + 1].to_string(),
        None => format!("{full}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(scope: Scope, seed: &str, link: &str) -> bool {
        let seed = Url::parse(seed).unwrap();
        Anchor::new(&seed).allows(scope, &Url::parse(link).unwrap())
    }

    #[test]
    fn scope_table() {
        use Scope::*;
        let cases = [
            (
                Host,
                "http://www.example.com/",
                "http://www.example.com/a",
                true,
            ),
            (
                Host,
                "http://www.example.com/",
                "https://www.example.com:8443/a",
                true,
            ),
            (
                Host,
                "http://www.example.com/",
                "http://blog.example.com/a",
                false,
            ),
            (
                Host,
                "http://www.example.com./",
                "http://www.example.com/a",
                true,
            ),
            (
                Domain,
                "http://www.example.com/",
                "http://blog.example.com/a",
                true,
            ),
            (
                Domain,
                "http://www.example.co.uk/",
                "http://shop.example.co.uk/",
                true,
            ),
            (
                Domain,
                "http://www.example.co.uk/",
                "http://other.co.uk/",
                false,
            ),
            (Domain, "http://a.github.io/", "http://b.github.io/", false),
            (
                Domain,
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:9090/",
                true,
            ),
            (Domain, "http://127.0.0.1/", "http://127.0.0.2/", false),
            (
                Prefix,
                "http://example.com/docs/index.html",
                "http://example.com/docs/a/b",
                true,
            ),
            (
                Prefix,
                "https://example.com/docs/",
                "http://example.com/docs/x",
                true,
            ),
            (
                Prefix,
                "http://example.com/docs/index.html",
                "http://example.com/docsx",
                false,
            ),
            (
                Prefix,
                "http://example.com/docs/index.html",
                "http://example.com/",
                false,
            ),
            (
                Prefix,
                "http://example.com:81/docs/",
                "http://example.com/docs/a",
                false,
            ),
            (
                Prefix,
                "http://example.com/docs",
                "http://example.com/about",
                true,
            ),
            (Any, "http://example.com/", "http://anything.org/", true),
        ];
        for (scope, seed, link, want) in cases {
            assert_eq!(
                allows(scope, seed, link),
                want,
                "{scope:?} {seed} -> {link}"
            );
        }
    }
}
