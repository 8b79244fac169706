//! Opening the store the configuration names, and what every write needs.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use kinlink_crypto::Keyring;
use kinlink_store::{AccountStore, Actor, PgStore, SqliteStore, Store};

use crate::accounts::KeyPaths;
use crate::config::Config;

/// Open (creating if needed) the database and run its migrations.
pub async fn open(config: &Config) -> Result<Arc<dyn Store>> {
    Ok(match open_backend(config).await? {
        Backend::Sqlite(store) => Arc::new(store),
        Backend::Postgres(store) => Arc::new(store),
    })
}

/// The record store and the account store, on the same database.
pub async fn open_all(config: &Config) -> Result<(Arc<dyn Store>, Arc<dyn AccountStore>)> {
    Ok(match open_backend(config).await? {
        Backend::Sqlite(store) => (Arc::new(store.clone()), Arc::new(store)),
        Backend::Postgres(store) => (Arc::new(store.clone()), Arc::new(store)),
    })
}

/// `kinlink migrate`: open the database, which brings its schema up to date,
/// and say which backend it is and at what schema version.
pub async fn migrate(config: &Config) -> Result<()> {
    let (backend, version) = match open_backend(config).await? {
        Backend::Sqlite(store) => (store.backend(), store.schema_version().await),
        Backend::Postgres(store) => (store.backend(), store.schema_version().await),
    };
    let version = version.context("cannot read the schema version")?;
    println!("{backend} database is up to date (schema version {version})");
    Ok(())
}

/// The store the configuration names.
pub enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// The deployment's master key, if it has one: `KINLINK_MASTER_KEY`, else
/// the key file in the data directory. Without one the database is opened
/// without encryption, which works only on a database never encrypted
/// (before `kinlink init`); an encrypted one refuses every body.
pub fn keyring(config: &Config) -> Result<Option<Keyring>> {
    let keys = KeyPaths::of(&config.data_dir);
    Ok(keys.load_master_if_any()?.map(Keyring::new))
}

/// The store with the deployment's keys (see [`keyring`]): the key is
/// checked against the database here, at start-up.
async fn with_keys<DB>(
    store: kinlink_store::SqlStore<DB>,
    config: &Config,
) -> Result<kinlink_store::SqlStore<DB>>
where
    DB: kinlink_store::Dialect,
    kinlink_store::SqlStore<DB>: WithKeyring,
{
    match keyring(config)? {
        Some(keyring) => store
            .attach(keyring)
            .await
            .context("cannot open the database with the master key"),
        None => Ok(store),
    }
}

/// [`kinlink_store::SqlStore::with_keyring`] for either backend.
pub trait WithKeyring: Sized {
    fn attach(self, keyring: Keyring) -> impl Future<Output = Result<Self, kinlink_store::StoreError>>;
}

impl WithKeyring for SqliteStore {
    fn attach(self, keyring: Keyring) -> impl Future<Output = Result<Self, kinlink_store::StoreError>> {
        self.with_keyring(keyring)
    }
}

impl WithKeyring for PgStore {
    fn attach(self, keyring: Keyring) -> impl Future<Output = Result<Self, kinlink_store::StoreError>> {
        self.with_keyring(keyring)
    }
}

pub async fn open_backend(config: &Config) -> Result<Backend> {
    let Some(url) = config.database_url.as_deref() else {
        create_private_dir(&config.data_dir)?;
        let path = config.data_dir.join(kinlink_store::DATABASE_FILE);
        let store = SqliteStore::open_with(&path, &config.sqlite_options()?)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database in the data directory {}",
                    config.data_dir.display()
                )
            })?;
        return Ok(Backend::Sqlite(with_keys(store, config).await?));
    };
    open_url(config, url).await
}

/// Open the database at `url` (`sqlite://PATH` or `postgres://...`) with the
/// configuration's pool options; the configuration's own database is not used.
pub async fn open_url(config: &Config, url: &str) -> Result<Backend> {
    // Never repeat the URL itself in a message: it may carry a password.
    let (scheme, rest) = url.split_once(':').unwrap_or(("", url));
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path.starts_with(":memory:") || path.contains('?') {
                bail!(
                    "unsupported SQLite database URL: use sqlite://PATH with the path of the database file"
                );
            }
            let path = Path::new(path);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_private_dir(parent)?;
            }
            let store = SqliteStore::open_with(path, &config.sqlite_options()?)
                .await
                .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
            Ok(Backend::Sqlite(with_keys(store, config).await?))
        }
        "postgres" | "postgresql" => {
            let store = PgStore::connect(url, config.pg_options()?).await.context(
                "cannot open the PostgreSQL database of database_url \
                 (the URL is not repeated here: it may hold a password)",
            )?;
            Ok(Backend::Postgres(with_keys(store, config).await?))
        }
        _ => bail!("unsupported database URL: expected postgres://USER@HOST/DATABASE or sqlite://PATH"),
    }
}

/// The database holds children's personal data: its directory is readable by
/// its owner only (when this creates it; an existing directory is left as is).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))
}

/// Who the CLI writes as: `cli:<login name>`.
pub fn actor() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty() && !u.chars().any(char::is_control));
    match user {
        Some(user) => Actor::new(format!("cli:{user}")),
        None => Actor::new("cli"),
    }
}

/// The date validation measures against: dates after it are refused.
pub fn today() -> NaiveDate {
    kinlink_core::latest_today(chrono::Utc::now())
}
