//! Unit tests of the per-host queues: caps, rates, robots gates, back-off.
use super::*;
use crate::record::Source;
use crate::urls::Anchor;
use std::sync::Arc;

fn item(url: &str) -> CrawlItem {
    let u = Url::parse(url).unwrap();
    CrawlItem::new(
        u.clone(),
        Arc::from(url),
        Arc::new(Anchor::new(&u)),
        None,
        0,
    )
}

fn fresh(url: &str) -> Fresh {
    let u = Url::parse(url).unwrap();
    let source = Source {
        seed: Arc::from(url),
        anchor: Arc::new(Anchor::new(&u)),
        parent: None,
        depth: 0,
    };
    Fresh {
        url: u.as_str().into(),
        source: Arc::new(source),
        prior: None,
    }
}

fn limits(per_host: usize, rate: f64) -> impl FnOnce() -> HostLimits {
    move || HostLimits {
        per_host,
        rate,
        robots: false,
    }
}

fn page(job: Option<(HostId, Job)>) -> Option<(HostId, CrawlItem)> {
    match job? {
        (id, Job::Page(item)) => Some((id, item)),
        (_, other) => panic!("expected a page, got {other:?}"),
    }
}

#[test]
fn authority_makes_default_ports_explicit() {
    let a = |s| authority(&Url::parse(s).unwrap());
    assert_eq!(a("http://Example.com/x"), "example.com:80");
    assert_eq!(a("https://example.com./"), "example.com:443");
    assert_eq!(a("http://127.0.0.1:8080/"), "127.0.0.1:8080");
}

#[test]
fn per_host_cap_holds_and_other_hosts_proceed() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(2, 0.0));
    let b = h.id(&Url::parse("http://b.test/").unwrap(), limits(2, 0.0));
    for i in 0..5 {
        h.push_fresh(a, fresh(&format!("http://a.test/{i}")));
    }
    h.push_fresh(b, fresh("http://b.test/0"));
    let mut got = Vec::new();
    while let Some((id, _)) = page(h.next(true)) {
        got.push(id);
    }
    assert_eq!(
        got.iter().filter(|&&id| id == a).count(),
        2,
        "cap of 2 for a"
    );
    assert_eq!(got.iter().filter(|&&id| id == b).count(), 1);
    h.complete(a);
    assert_eq!(
        page(h.next(true)).map(|(id, _)| id),
        Some(a),
        "a again after a completion"
    );
    assert!(page(h.next(true)).is_none());
    assert_eq!(h.queued(), (2, 0));
}

#[test]
fn rate_limited_host_waits_on_timer_not_in_line() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(4, 2.0));
    let b = h.id(&Url::parse("http://b.test/").unwrap(), limits(4, 0.0));
    h.push_fresh(a, fresh("http://a.test/1"));
    h.push_fresh(a, fresh("http://a.test/2"));
    h.push_fresh(b, fresh("http://b.test/1"));
    h.push_fresh(b, fresh("http://b.test/2"));
    let mut got = Vec::new();
    while let Some((id, it)) = page(h.next(true)) {
        got.push((id, it.url.path().to_string()));
    }
    // a's second request must wait ~500 ms; b's both go now.
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got.iter().filter(|(id, _)| *id == b).count(), 2);
    let wake = h.next_wake().expect("a is on the timer heap");
    let wait = wake - Instant::now();
    assert!(
        wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
        "{wait:?}"
    );
    h.wake(Instant::now());
    assert!(page(h.next(true)).is_none(), "not before its slot");
    std::thread::sleep(wake - Instant::now());
    h.wake(Instant::now());
    assert_eq!(page(h.next(true)).map(|(id, _)| id), Some(a));
}

#[test]
fn resume_items_go_first_and_survive_fresh_stop() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(1, 0.0));
    h.push_fresh(a, fresh("http://a.test/fresh"));
    h.push_resume(a, item("http://a.test/hop"));
    let (_, first) = page(h.next(true)).unwrap();
    assert_eq!(first.url.path(), "/hop");
    h.complete(a);
    assert!(page(h.next(false)).is_none(), "no fresh pages once stopped");
    h.push_resume(a, item("http://a.test/retry"));
    assert_eq!(page(h.next(false)).unwrap().1.url.path(), "/retry");
}

#[test]
fn admission_cap() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(1, 0.0));
    assert!(h.admit(a, Some(2)));
    assert!(h.admit(a, Some(2)));
    assert!(!h.admit(a, Some(2)));
    assert!(h.admit(a, None));
}

fn robots_limits() -> impl FnOnce() -> HostLimits {
    || HostLimits {
        per_host: 2,
        rate: 0.0,
        robots: true,
    }
}

#[test]
fn robots_first_then_pages_and_refusals() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), robots_limits());
    h.push_fresh(a, fresh("http://a.test/ok"));
    h.push_fresh(a, fresh("http://a.test/private/x"));
    h.push_fresh(a, fresh("http://a.test/ok2"));
    let Some((_, Job::Robots(url))) = h.next(true) else {
        panic!("robots.txt must come first");
    };
    assert_eq!(url.as_str(), "http://a.test/robots.txt");
    assert!(
        h.next(true).is_none(),
        "nothing else until robots.txt is known"
    );
    let rules = Rules::parse(
        "trawl",
        b"User-agent: *\nDisallow: /private\nCrawl-delay: 3\n",
    );
    let delay = h.robots_done(a, Fetched::Rules(rules), 2, |_| Duration::ZERO);
    assert_eq!(delay, Some(Duration::from_secs(3)));
    assert_eq!(page(h.next(true)).unwrap().1.url.path(), "/ok");
    match h.next(true) {
        Some((_, Job::Refused(item, err))) => {
            assert_eq!(item.url.path(), "/private/x");
            assert_eq!(err.kind, ErrorKind::Robots);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(page(h.next(true)).unwrap().1.url.path(), "/ok2");
}

#[test]
fn unreachable_robots_is_retried_then_disallows() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), robots_limits());
    h.push_fresh(a, fresh("http://a.test/x"));
    for attempt in 1..=2 {
        assert!(
            matches!(h.next(true), Some((_, Job::Robots(_)))),
            "attempt {attempt}"
        );
        let err = PageError::new(ErrorKind::Robots, "robots.txt unavailable (HTTP 503)");
        h.robots_done(a, Fetched::Unavailable(err), 1, |_| Duration::ZERO);
    }
    match h.next(true) {
        Some((_, Job::Refused(_, err))) => {
            assert_eq!(err.kind, ErrorKind::Robots);
            assert!(err.message.contains("HTTP 503"), "{}", err.message);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A host that does not resolve is not retried, and its URLs carry the cause.
    let b = h.id(&Url::parse("http://b.test/").unwrap(), robots_limits());
    h.push_fresh(b, fresh("http://b.test/x"));
    assert!(matches!(h.next(true), Some((_, Job::Robots(_)))));
    let err = PageError::new(ErrorKind::Dns, "robots.txt: cannot resolve b.test");
    h.robots_done(b, Fetched::Unavailable(err), 2, |_| Duration::ZERO);
    match h.next(true) {
        Some((_, Job::Refused(_, err))) => assert_eq!(err.kind, ErrorKind::Dns),
        other => panic!("expected a dns refusal, got {other:?}"),
    }
}

#[test]
fn slow_down_halves_and_recovers_to_base() {
    let mut h = Hosts::default();
    let a = h.id(&Url::parse("http://a.test/").unwrap(), limits(4, 10.0));
    h.slow_down(a, None);
    assert_eq!(h.rate(a), 5.0);
    for _ in 0..100 {
        h.recover(a);
    }
    assert_eq!(h.rate(a), 10.0, "back to the configured rate, not above");
    let b = h.id(&Url::parse("http://b.test/").unwrap(), limits(4, 0.0));
    h.slow_down(b, None);
    assert_eq!(h.rate(b), 2.0, "an unlimited host drops to per_host / 2");
    for _ in 0..200 {
        h.recover(b);
    }
    assert_eq!(h.rate(b), 0.0, "and becomes unlimited again");
    h.apply_crawl_delay(b, Duration::from_secs(2));
    assert_eq!(h.rate(b), 0.5);
}

/// What a finished host keeps: the struct, its index entry and key, and no
/// queue buffers (robots rules are shared through an `Arc`, counted apart).
#[test]
fn a_finished_host_keeps_well_under_a_kilobyte() {
    let mut hosts = Hosts::default();
    let url = Url::parse("http://host-with-a-typical-name.example.org/").unwrap();
    let id = hosts.id(&url, limits(1, 0.0));
    for i in 0..10 {
        hosts.push_fresh(id, fresh(&format!("{url}{i}")));
    }
    while let Some((_, Job::Page(_))) = hosts.next(true) {
        hosts.complete(id);
    }
    let host = &hosts.hosts[id];
    assert_eq!((host.fresh.capacity(), host.resume.capacity()), (0, 0));
    let key = authority(&url).len() + 2 * std::mem::size_of::<usize>();
    let index_entry = std::mem::size_of::<(Arc<str>, HostId)>() + 1;
    let total = std::mem::size_of::<Host>() + key + index_entry;
    eprintln!("a finished host: {total} bytes");
    assert!(total <= 512, "{total} bytes per finished host");
}

/// A host with more work keeps its turn (its requests follow one another
/// on its warm connection) for `SESSION` requests, then yields.
#[test]
fn a_host_keeps_its_turn_then_yields() {
    let mut hosts = Hosts::default();
    let a = hosts.id(&Url::parse("http://a.test/").unwrap(), limits(1, 0.0));
    let b = hosts.id(&Url::parse("http://b.test/").unwrap(), limits(1, 0.0));
    for i in 0..SESSION + 5 {
        hosts.push_fresh(a, fresh(&format!("http://a.test/{i}")));
        hosts.push_fresh(b, fresh(&format!("http://b.test/{i}")));
    }
    let mut order = Vec::new();
    for _ in 0..SESSION + 1 {
        let (id, _) = page(hosts.next(true)).unwrap();
        order.push(id);
        hosts.complete(id);
    }
    assert!(
        order[..SESSION as usize].iter().all(|&id| id == a),
        "{order:?}"
    );
    assert_eq!(order[SESSION as usize], b, "after its turn, a yields to b");
}
