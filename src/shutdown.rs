//! Signals: the first SIGINT or SIGTERM cancels the run's token (the engine
//! stops scheduling and drains); the second exits with 130 at once, after
//! taking the output lock so no half-written line is left behind, and
//! killing the browser `--render` started.

use tokio_util::sync::CancellationToken;

use crate::output::OutputLock;

/// Installs the handlers; returns at once.
pub fn install(token: CancellationToken, output: OutputLock) {
    tokio::spawn(async move {
        if !next_signal().await {
            return;
        }
        tracing::warn!("stopping: finishing requests in flight (signal again to quit now)");
        token.cancel();
        if next_signal().await {
            let _guard = output.lock().unwrap_or_else(|p| p.into_inner());
            crate::fetch::render::abandon();
            std::process::exit(130);
        }
    });
}

/// Waits for SIGINT or SIGTERM; `false` if the handlers cannot be installed.
async fn next_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return false;
        };
        tokio::select! {
            _ = int.recv() => true,
            _ = term.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
