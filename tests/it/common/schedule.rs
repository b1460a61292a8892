//! Whether the requests a server saw keep a rate's schedule, allowing for
//! the noise in what the server sees.
//!
//! A request is stamped when the server's handler gets to it, after
//! trawl's fetch task ran and wrote it; on a loaded 2-core CI machine
//! either can come a few milliseconds late (this VM's threads wake up to
//! 10 ms late now and then), and a request that opened its connection is
//! stamped only after the server accepted the connection and read it.
//! Noise only ever delays a request, never brings one forward, so gaps are
//! not checked one by one (a request stamped late shortens the gap after
//! it, though trawl released both on time): each request is checked against
//! the schedule of the [`WINDOW`] before it instead. Request i must arrive
//! no earlier than (i − j)/R − [`TOLERANCE`] after *some* request j of
//! those: a late request does not count against the next, while two
//! requests released back to back (what `--rate` forbids) put the second a
//! whole period ahead of every request before it.

use super::LoggedRequest;

/// How many requests before a request set the schedule it is checked
/// against.
const WINDOW: usize = 50;

/// How far ahead of that schedule a request may arrive: trawl's 1 ms, and
/// 1 ms for the least delayed of the window being later than this one.
const TOLERANCE: f64 = 0.002;

/// A request that opened its connection is stamped only after the server
/// accepted the connection and read it: it sets the schedule up to this
/// much late.
const NEW_CONNECTION_DELAY: f64 = 0.030;

fn opened_connection(requests: &[LoggedRequest], i: usize) -> bool {
    let peer = requests[i].peer;
    peer.is_none() || !requests[..i].iter().any(|r| r.peer == peer)
}

/// `Err` naming the first request that came ahead of the schedule of one
/// request every `period` seconds, with the arrivals around it.
pub fn on_schedule(requests: &[LoggedRequest], period: f64) -> Result<(), String> {
    let Some(first) = requests.first() else {
        return Ok(());
    };
    let secs = |r: &LoggedRequest| r.arrived.duration_since(first.arrived).as_secs_f64();
    // How late each request arrived against a schedule of one every period
    // from the first; a reference set by a new connection counts early.
    let late: Vec<f64> = (0..requests.len())
        .map(|i| secs(&requests[i]) - i as f64 * period)
        .collect();
    let reference = |j: usize| {
        late[j]
            - if opened_connection(requests, j) {
                NEW_CONNECTION_DELAY
            } else {
                0.0
            }
    };
    for i in 1..requests.len() {
        let from = i.saturating_sub(WINDOW);
        let (j, base) = (from..i)
            .map(|j| (j, reference(j)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        if late[i] < base - TOLERANCE {
            return Err(format!(
                "request {i} ({}) arrived {:.2} ms ahead of the schedule of request {j} \
                 ({} periods after it but only {:.2} ms); arrivals around it, ms from the \
                 first: {:?}",
                requests[i].path,
                1000.0 * (base - late[i]),
                i - j,
                1000.0 * (secs(&requests[i]) - secs(&requests[j])),
                requests[i.saturating_sub(5)..(i + 3).min(requests.len())]
                    .iter()
                    .map(|r| (1000.0 * secs(r)).round())
                    .collect::<Vec<_>>()
            ));
        }
    }
    Ok(())
}
