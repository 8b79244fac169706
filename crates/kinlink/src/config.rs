//! Configuration: built-in defaults < config file (TOML) < `KINLINK_*`
//! environment < the flags actually given.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;

/// Read from the current directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "kinlink.toml";

/// Keys read from the environment, as `KINLINK_DATA_DIR` and so on. Listed so
/// that an unrelated `KINLINK_*` variable (such as `KINLINK_CONFIG`, read by
/// the flag itself) is not taken for a setting.
const KEYS: [&str; 3] = ["data_dir", "listen", "database_url"];

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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./kinlink-data"),
            listen: "127.0.0.1:8080".to_owned(),
            database_url: None,
            totp_required_roles: None,
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
        Ok(config)
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
