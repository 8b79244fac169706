//! Being told at once that another process wrote (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! Every write transaction takes a change number ([`crate::sql`]'s
//! `next_change`); on PostgreSQL it also runs `NOTIFY kinlink_changes`, which
//! the server delivers to every listening session when (and only if) the
//! transaction commits. A [`ChangeListener`] is such a session: the matching
//! service of each server process waits on it, so that a write made through
//! another process is matched at once rather than at its next poll. The
//! notification carries nothing (no id, no payload): it only says "read the
//! change feed". Notifications sent while a listener is reconnecting are lost,
//! which is why the feed is still polled as a fallback.
//!
//! SQLite has no such mechanism; its store has no listener.

use sqlx::postgres::{PgListener, PgPool};

use crate::StoreError;

/// The channel every write notifies.
pub(crate) const CHANNEL: &str = "kinlink_changes";

/// Waits for writes committed by any process on the same PostgreSQL database.
pub struct ChangeListener {
    pool: PgPool,
    listener: Option<PgListener>,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener")
            .field("connected", &self.listener.is_some())
            .finish()
    }
}

impl ChangeListener {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool, listener: None }
    }

    /// Connect (its own connection, outside the pool's limit) and listen, if
    /// not yet done. Done by [`ChangeListener::wait`]; call it first to know
    /// that notifications from now on will be received.
    pub async fn connect(&mut self) -> Result<(), StoreError> {
        if self.listener.is_none() {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(CHANNEL).await?;
            self.listener = Some(listener);
        }
        Ok(())
    }

    /// Wait until some transaction that wrote has committed. An error means
    /// the connection was lost and could not be made again; the next call
    /// connects again.
    pub async fn wait(&mut self) -> Result<(), StoreError> {
        self.connect().await?;
        let Some(listener) = self.listener.as_mut() else {
            return Ok(());
        };
        // `try_recv` reports a lost connection as `None` (and reconnects on
        // the next call); notifications in between are lost, and the caller
        // should read the feed anyway.
        match listener.try_recv().await {
            Ok(_) => Ok(()),
            Err(e) => {
                self.listener = None;
                Err(e.into())
            }
        }
    }
}
