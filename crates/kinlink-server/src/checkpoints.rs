//! Signed audit checkpoints on a timer: every interval (default
//! [`DEFAULT_INTERVAL`]) and once more when the server stops, the server
//! signs the audit log's head with the deployment's Ed25519 key
//! (`Store::checkpoint`, which verifies the log since the last checkpoint
//! first and refuses to sign a tampered one). Entries after the last
//! checkpoint are protected by the hash chain alone: the interval bounds how
//! long that window stays open. `kinlink audit verify` checks the signatures.
//!
//! Several server processes on one database each sign on their own timer;
//! a head that is already signed is not signed again, so they add
//! checkpoints only as the log grows. Nothing is logged but sequence numbers.

use std::sync::Arc;
use std::time::Duration;

use kinlink_store::audit::SigningKey;
use kinlink_store::{Store, StoreError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often a checkpoint is signed unless configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

/// The checkpoint timer of a server process.
pub struct Checkpoints {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Checkpoints {
    /// Sign a checkpoint every `every` (in the current Tokio runtime), the
    /// first one `every` from now.
    pub fn start(store: Arc<dyn Store>, key: SigningKey, every: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let every = every.max(Duration::from_secs(1));
        let task = tokio::spawn(async move {
            let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = timer.tick() => sign(store.as_ref(), &key).await,
                    _ = &mut stopped => {
                        // One at shutdown, so that a restart leaves nothing unsealed.
                        sign(store.as_ref(), &key).await;
                        return;
                    }
                }
            }
        });
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Sign a last checkpoint and stop the timer.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

/// Sign the head now; what happened goes to the process log.
pub async fn sign(store: &dyn Store, key: &SigningKey) {
    match store.checkpoint(key).await {
        Ok(Some(signed)) => tracing::info!(sequence = signed.checkpoint.sequence, "audit checkpoint signed"),
        Ok(None) => {}
        Err(StoreError::AuditTampered(tamper)) => tracing::error!(
            error = %tamper,
            "the audit log does not verify: no checkpoint signed; run `kinlink audit verify`"
        ),
        Err(e) => tracing::warn!(error = %e, "could not sign an audit checkpoint; trying again later"),
    }
}
