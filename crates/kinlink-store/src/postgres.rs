//! PostgreSQL, for deployments with more than one server or more data than a
//! file should hold. The queries are shared with SQLite in [`crate::sql`];
//! this is how to connect and what PostgreSQL does differently.
//!
//! Errors never repeat the connection URL: it may carry a password.

use std::str::FromStr;
use std::time::Duration;

use kinlink_core::RecordId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Postgres};
use uuid::Uuid;

use crate::StoreError;
use crate::sql::{Dialect, SqlStore};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store on a PostgreSQL database.
pub type PgStore = SqlStore<Postgres>;

/// How [`PgStore::connect`] uses the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections the pool opens at most.
    pub max_connections: u32,
    /// Longest a single statement may run before the server cancels it
    /// (`statement_timeout`, set for each connection); `None` keeps the
    /// server's setting. Statements are small, even in an import (which is
    /// chunked), so one that runs this long is stuck, not busy.
    pub statement_timeout: Option<Duration>,
    /// Longest to wait for a connection: to the server when connecting, and
    /// from the pool when all connections are busy.
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            statement_timeout: Some(Duration::from_secs(30)),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl Dialect for Postgres {
    /// A native `uuid`: 16 bytes, compared in byte order, which for UUIDv7
    /// is creation order.
    type Id = Uuid;
    const LABEL: &'static str = "PostgreSQL";
    /// Concurrent writers are kept apart by row locks (compare-and-swap
    /// updates, the number upsert), not by a database lock.
    const BEGIN_WRITE: &'static str = "BEGIN";

    /// Without fresh statistics the planner takes a table just filled by an
    /// import for small, and may plan the next import's lookups (hundreds of
    /// external ids at a time) as full scans: 100,000 unchanged rows took 7 s
    /// instead of 1 s. Autovacuum would analyze the table, but only later.
    const ANALYZE_AFTER_IMPORT: Option<&'static str> = Some("ANALYZE records");

    /// Writers run side by side until they append to the audit log: this
    /// lock (held to the commit) makes them take turns for the append only,
    /// across every server and process. EXCLUSIVE mode still lets readers in.
    const LOCK_AUDIT_CHAIN: Option<&'static str> = Some("LOCK TABLE audit_entries IN EXCLUSIVE MODE");

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    /// Delivered at commit to every process listening (their matchers); a
    /// transaction's repeated notifications are delivered once.
    const NOTIFY_CHANGE: Option<&'static str> = Some("NOTIFY kinlink_changes");

    fn id_to_db(id: RecordId) -> Uuid {
        *id.as_uuid()
    }

    fn id_from_db(id: Uuid) -> Result<RecordId, StoreError> {
        Ok(RecordId::from_uuid(id))
    }

    fn change_listener(pool: &sqlx::PgPool) -> Option<crate::ChangeListener> {
        Some(crate::ChangeListener::new(pool.clone()))
    }
}

impl SqlStore<Postgres> {
    /// Connect to the database at `url` (`postgres://user:password@host:port/database`)
    /// and bring its schema up to date.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        // sqlx's parse errors describe the fault, not the URL.
        let mut connect = PgConnectOptions::from_str(url)?;
        if connect.get_application_name().is_none() {
            // Names kinlink's sessions in pg_stat_activity.
            connect = connect.application_name("kinlink");
        }
        // Migrate on one connection made directly rather than through the
        // pool: the pool retries a refused connection until its timeout and
        // then reports only that it timed out, hiding why. This connection
        // has no statement timeout: a migration may rightly take longer.
        let mut conn = tokio::time::timeout(options.acquire_timeout, connect.connect())
            .await
            .map_err(|_| {
                sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out connecting to the PostgreSQL server",
                ))
            })??;
        // sqlx takes an advisory lock: two processes starting at once migrate once.
        MIGRATIONS.run(&mut conn).await?;
        conn.close().await?;
        if let Some(timeout) = options.statement_timeout {
            // A startup parameter: no extra round trip per connection.
            connect = connect.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect);
        let codec = Self::initial_codec(&pool).await?;
        Ok(Self { pool, codec })
    }
}
