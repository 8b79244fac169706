//! Opening the store the configuration names, and what every write needs.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use kinlink_store::{Actor, SqliteStore, Store};

use crate::config::Config;

/// Open (creating if needed) the database and run its migrations.
pub async fn open(config: &Config) -> Result<Arc<dyn Store>> {
    let store = match config.database_url.as_deref() {
        None => {
            create_private_dir(&config.data_dir)?;
            SqliteStore::open(&config.data_dir).await.with_context(|| {
                format!(
                    "cannot open the database in the data directory {}",
                    config.data_dir.display()
                )
            })?
        }
        Some(url) => {
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
                    SqliteStore::open_file(path)
                        .await
                        .with_context(|| format!("cannot open the SQLite database {}", path.display()))?
                }
                "postgres" | "postgresql" => bail!(
                    "PostgreSQL support is not built yet: leave database_url unset to use the \
                     embedded SQLite database in the data directory, or give sqlite://PATH"
                ),
                _ => bail!(
                    "unsupported database URL: expected sqlite://PATH (PostgreSQL support is not built yet)"
                ),
            }
        }
    };
    Ok(Arc::new(store))
}

/// The database holds children's personal data: its directory is readable by
/// its owner only (when this creates it; an existing directory is left as is).
fn create_private_dir(dir: &Path) -> Result<()> {
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
