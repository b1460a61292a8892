//! Tests that take both cores for a while (a headless browser, a DOM of
//! hundreds of thousands of nodes) and tests that measure time (`--rate`
//! as the server sees it) do not run at once: on a 2-core CI machine a
//! browser starting beside a rate test delays its requests by tens of
//! milliseconds. Each such test holds `exclusive()` for its run; the many
//! light tests run beside them as before.

use tokio::sync::{Mutex, MutexGuard};

static CPU: Mutex<()> = Mutex::const_new(());

/// Waits until no other such test runs; held until dropped.
pub async fn exclusive() -> MutexGuard<'static, ()> {
    CPU.lock().await
}
