//! Configuration: built-in defaults < config file (TOML) < `KINLINK_*`
//! environment < the flags actually given.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kinlink_store::{PgOptions, SqliteOptions};
use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;

/// Read from the current directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "kinlink.toml";

/// Keys read from the environment, as `KINLINK_DATA_DIR` and so on. Listed so
/// that an unrelated `KINLINK_*` variable (such as `KINLINK_CONFIG`, read by
/// the flag itself) is not taken for a setting.
const KEYS: [&str; 11] = [
    "data_dir",
    "listen",
    "database_url",
    "db_max_connections",
    "db_statement_timeout",
    "db_acquire_timeout",
    "sqlite_busy_timeout",
    "tls_cert",
    "tls_key",
    "audit_checkpoint_interval",
    "stats_threshold",
];

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key in the file would otherwise be ignored without a word.
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the embedded SQLite database lives.
    pub data_dir: PathBuf,
    /// Address the server listens on.
    pub listen: String,
    /// `postgres://USER@HOST/DATABASE` or `sqlite://PATH`; overrides `data_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Roles that must sign in with a second factor (TOTP). Default: every
    /// role that sees personal data (all but statistician and administrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_required_roles: Option<Vec<kinlink_policy::Role>>,
    /// Connections each process's pool opens at most; unset: 10 on
    /// PostgreSQL, 8 on SQLite. A number, also as text (from the environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "number_or_text")]
    pub db_max_connections: Option<u32>,
    /// PostgreSQL: longest one statement may run before the server cancels
    /// it (`500ms`, `30s`, `2m`; `off` keeps the server's own setting).
    pub db_statement_timeout: String,
    /// PostgreSQL: longest to wait for a connection (to the server, or from
    /// a busy pool) before a request fails with 503.
    pub db_acquire_timeout: String,
    /// SQLite: longest a write waits for another writer before failing.
    pub sqlite_busy_timeout: String,
    /// Case management deadlines and limits, as a `[casework]` table in the
    /// file: `guardian_delay_hours` (24), `max_guardian_caseload` (25),
    /// `bia_due_days` (30), `follow_up_visit_days` ([14, 90, 180]),
    /// `approval_overdue_hours` (72).
    #[serde(default)]
    pub casework: kinlink_server::CaseworkConfig,
    /// `serve`: the PEM certificate chain for built-in TLS (with `tls_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// `serve`: the PEM private key for built-in TLS (with `tls_cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// `serve`: how often the server signs an audit checkpoint (`10m`, `1h`, `30s`).
    #[serde(default = "default_checkpoint_interval")]
    pub audit_checkpoint_interval: String,
    /// How long records are kept once closed (`kinlink retention run`).
    #[serde(default)]
    pub retention: Retention,
    /// Statistics: counts below this are suppressed, with the cells that
    /// would reveal them (at least 3; unset: 5). Callers cannot lower it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "number_or_text")]
    pub stats_threshold: Option<u32>,
}

fn default_checkpoint_interval() -> String {
    format_duration(kinlink_server::checkpoints::DEFAULT_INTERVAL)
}

/// Retention rules by record state: a record in a closed state whose last
/// change is older than the rule's years is erased by `kinlink retention
/// run` (crypto-shredding). `0` turns a rule off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Child cases whose tracing status is closed, reunified or not
    /// required: years after their last change. Default 10 (long enough for
    /// a child reunified as a baby to be heard again as an adolescent).
    pub closed_cases_years: u32,
    /// Tracing requests closed, reunified or not required: years after
    /// their last change. Default 5.
    pub closed_requests_years: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            closed_cases_years: 10,
            closed_requests_years: 5,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let pg = PgOptions::default();
        let sqlite = SqliteOptions::default();
        Self {
            data_dir: PathBuf::from("./kinlink-data"),
            listen: "127.0.0.1:8080".to_owned(),
            database_url: None,
            totp_required_roles: None,
            db_max_connections: None,
            db_statement_timeout: pg.statement_timeout.map_or("off".to_owned(), format_duration),
            db_acquire_timeout: format_duration(pg.acquire_timeout),
            sqlite_busy_timeout: format_duration(sqlite.busy_timeout),
            casework: kinlink_server::CaseworkConfig::default(),
            tls_cert: None,
            tls_key: None,
            audit_checkpoint_interval: default_checkpoint_interval(),
            retention: Retention::default(),
            stats_threshold: None,
        }
    }
}

/// The flags that were given; absent ones do not override anything.
#[derive(Serialize)]
struct Flags<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<&'a Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_max_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_statement_timeout: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_acquire_timeout: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sqlite_busy_timeout: Option<&'a str>,
}

impl Config {
    /// Load the configuration; `listen` is the `serve --listen` flag, if any.
    pub fn load(global: &GlobalArgs, listen: Option<&str>) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = match &global.config {
            Some(path) => {
                if !path.is_file() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                Some(path.as_path())
            }
            None => Some(Path::new(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
        };
        if let Some(path) = file {
            // `file_exact`: `file` would also search the parent directories.
            figment = figment.merge(Toml::file_exact(path));
        }
        let flags = Flags {
            data_dir: global.data_dir.as_deref(),
            database_url: global.database_url.as_deref(),
            listen,
            db_max_connections: global.db_max_connections,
            db_statement_timeout: global.db_statement_timeout.as_deref(),
            db_acquire_timeout: global.db_acquire_timeout.as_deref(),
            sqlite_busy_timeout: global.sqlite_busy_timeout.as_deref(),
        };
        // Taken as text: `Env` alone would read `KINLINK_DATA_DIR=2026` as a
        // number and then refuse it as a path. Every setting is text.
        let env: BTreeMap<String, String> = Env::prefixed("KINLINK_")
            .only(&KEYS)
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), value))
            .collect();
        let mut config: Config = figment
            .merge(Serialized::defaults(env))
            .merge(Serialized::defaults(flags))
            .extract()
            .context("invalid configuration")?;
        // An empty URL (`KINLINK_DATABASE_URL=`) means "not set".
        if config
            .database_url
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            config.database_url = None;
        }
        // Checked now, so that a typo fails every command, not only those that open the database.
        config.pg_options()?;
        config.sqlite_options()?;
        config.checkpoint_interval()?;
        config.disclosure_policy()?;
        Ok(config)
    }

    /// The statistics' disclosure control: `stats_threshold`, or the default.
    pub fn disclosure_policy(&self) -> Result<kinlink_stats::DisclosurePolicy> {
        let threshold = self
            .stats_threshold
            .map_or(kinlink_stats::DEFAULT_THRESHOLD, u64::from);
        kinlink_stats::DisclosurePolicy::new(threshold).context("invalid setting stats_threshold")
    }

    /// How to use a PostgreSQL server.
    pub fn pg_options(&self) -> Result<PgOptions> {
        let defaults = PgOptions::default();
        Ok(PgOptions {
            max_connections: self.max_connections()?.unwrap_or(defaults.max_connections),
            statement_timeout: match self.db_statement_timeout.trim() {
                "off" => None,
                text => Some(parse_duration("db_statement_timeout", text)?),
            },
            acquire_timeout: parse_duration("db_acquire_timeout", &self.db_acquire_timeout)?,
        })
    }

    /// How to use an SQLite file.
    pub fn sqlite_options(&self) -> Result<SqliteOptions> {
        let defaults = SqliteOptions::default();
        Ok(SqliteOptions {
            max_connections: self.max_connections()?.unwrap_or(defaults.max_connections),
            busy_timeout: parse_duration("sqlite_busy_timeout", &self.sqlite_busy_timeout)?,
        })
    }

    /// How often `serve` signs an audit checkpoint.
    pub fn checkpoint_interval(&self) -> Result<Duration> {
        let every = parse_duration("audit_checkpoint_interval", &self.audit_checkpoint_interval)?;
        if every < Duration::from_secs(1) {
            bail!("invalid configuration: audit_checkpoint_interval must be at least 1s");
        }
        Ok(every)
    }

    fn max_connections(&self) -> Result<Option<u32>> {
        match self.db_max_connections {
            Some(0) => bail!("invalid configuration: db_max_connections must be at least 1"),
            n => Ok(n),
        }
    }

    /// The configuration as TOML, with any password in the database URL masked.
    pub fn to_toml(&self) -> Result<String> {
        let shown = Config {
            database_url: self.database_url.as_deref().map(mask_password),
            ..self.clone()
        };
        toml::to_string(&shown).context("cannot print the configuration as TOML")
    }
}

/// A whole number, given as a number (in the file) or as text (from the environment).
fn number_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Number(u32),
        Text(String),
    }
    match Option::<Given>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Given::Number(n)) => Ok(Some(n)),
        Some(Given::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a whole number")),
    }
}

/// `250ms`, `30s`, `2m` or `1h`: a whole number and a unit.
pub(crate) fn parse_duration(key: &str, text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let millis_per_unit = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if millis_per_unit > 0 && n > 0 => Ok(Duration::from_millis(n.saturating_mul(millis_per_unit))),
        _ => bail!(
            "invalid configuration: {key} must be a duration such as 500ms, 30s or 2m{}",
            if key == "db_statement_timeout" {
                ", or off"
            } else {
                ""
            }
        ),
    }
}

/// The shortest of `parse_duration`'s forms.
fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1_000) {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`, and
/// likewise a `password=` parameter (`postgres://host/db?password=secret`).
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:****@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let path = match path.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=****"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => path.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit_and_print_back() {
        assert_eq!(
            parse_duration("k", "250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_duration("k", " 30s ").ok(), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("k", "2m").ok(), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("k", "1h").ok(), Some(Duration::from_secs(3600)));
        for bad in ["", "30", "0s", "s", "-1s", "1.5s", "3 days", "off"] {
            assert!(parse_duration("k", bad).is_err(), "{bad:?}");
        }
        for text in ["250ms", "30s", "2m", "1500ms"] {
            let parsed = parse_duration("k", text).expect("valid");
            assert_eq!(format_duration(parsed), text);
        }
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://kl:s3cr@t@db.example/kinlink"),
            "postgres://kl:****@db.example/kinlink"
        );
        assert_eq!(mask_password("postgres://db/kinlink"), "postgres://db/kinlink");
        assert_eq!(
            mask_password("sqlite:///var/lib/kl.db"),
            "sqlite:///var/lib/kl.db"
        );
        assert_eq!(mask_password("sqlite:kl.db"), "sqlite:kl.db");
        assert_eq!(
            mask_password("postgres://kl@db.example/kinlink?sslmode=require&password=s3cr%40t"),
            "postgres://kl@db.example/kinlink?sslmode=require&password=****"
        );
    }
}
