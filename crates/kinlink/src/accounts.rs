//! `kinlink init`, `kinlink user ...`, `kinlink agency ...`, `kinlink token ...`:
//! the deployment's keys and accounts, managed on the data directory directly
//! (whoever runs these can read the key files, so is an administrator).
//!
//! Passwords and tokens are printed once, on stdout, and never logged.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use kinlink_audit::{AuditEvent, EventKind, Outcome, RecordRef};
use kinlink_auth::password::{HashParams, Password, PasswordHasher, PasswordPolicy};
use kinlink_auth::token::TokenScope;
use kinlink_crypto::MasterKey;
use kinlink_crypto::keyfile::{create_encryption_key_file, create_signing_key_file};
use kinlink_policy::{AgencyType, FieldGroups, Purpose, Resource, Role};
use kinlink_store::{AccountStore, NewUser, Store, TokenRecord, UserRecord};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::cli::{AgencyCommand, InitArgs, TokenCommand, UserCommand};
use crate::config::Config;
use crate::store;

/// The environment variable that holds the master key (base64) instead of
/// the key file, e.g. from a secrets manager.
pub const MASTER_KEY_ENV: &str = "KINLINK_MASTER_KEY";

/// The deployment's key files, in `<data dir>/keys`.
pub struct KeyPaths {
    pub dir: PathBuf,
    pub master: PathBuf,
    pub signing: PathBuf,
    pub encryption: PathBuf,
}

impl KeyPaths {
    pub fn of(data_dir: &Path) -> Self {
        let dir = data_dir.join("keys");
        Self {
            master: dir.join("master.key"),
            signing: dir.join("signing-ed25519.key"),
            encryption: dir.join("encryption-x25519.key"),
            dir,
        }
    }

    pub fn exist(&self) -> bool {
        self.master.exists() || std::env::var_os(MASTER_KEY_ENV).is_some()
    }

    /// Create the three keys; refuses if any exists (a key is never overwritten).
    pub fn create(&self) -> Result<MasterKey> {
        for path in [&self.master, &self.signing, &self.encryption] {
            if path.exists() {
                bail!(
                    "{} already exists: this data directory is initialised already, and keys are never overwritten",
                    path.display()
                );
            }
        }
        store::create_private_dir(&self.dir)?;
        let master = MasterKey::create_file(&self.master).context("cannot create the master key")?;
        create_signing_key_file(&self.signing).context("cannot create the signing key")?;
        create_encryption_key_file(&self.encryption).context("cannot create the encryption key")?;
        Ok(master)
    }

    /// The master key from `KINLINK_MASTER_KEY` (base64) if set, else from
    /// the key file; `None` if there is neither.
    pub fn load_master_if_any(&self) -> Result<Option<MasterKey>> {
        if let Some(text) = std::env::var_os(MASTER_KEY_ENV) {
            let text = Zeroizing::new(
                text.into_string()
                    .map_err(|_| anyhow::anyhow!("{MASTER_KEY_ENV} is not base64 of 32 bytes"))?,
            );
            return MasterKey::from_base64(text.trim())
                .map(Some)
                .with_context(|| format!("cannot read the master key from {MASTER_KEY_ENV}"));
        }
        if !self.master.exists() {
            return Ok(None);
        }
        MasterKey::load_file(&self.master)
            .map(Some)
            .context("cannot load the master key")
    }

    /// Load the master key, or say how to create one.
    pub fn load_master(&self) -> Result<MasterKey> {
        if std::env::var_os(MASTER_KEY_ENV).is_some() {
            return self
                .load_master_if_any()?
                .ok_or_else(|| anyhow::anyhow!("{MASTER_KEY_ENV} is empty"));
        }
        if !self.master.exists() {
            bail!(
                "no keys in {}: run `kinlink init` first (or `kinlink serve --demo` for a throwaway demo)",
                self.dir.display()
            );
        }
        MasterKey::load_file(&self.master).context("cannot load the master key")
    }
}

/// A new random password: 24 characters from 144 random bits.
pub fn generate_password() -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; 18]);
    getrandom::fill(bytes.as_mut())
        .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
}

/// The password from standard input (one line), or a generated one; whether it was generated.
fn new_password(from_stdin: bool, username: &str) -> Result<(Zeroizing<String>, bool)> {
    if !from_stdin {
        return Ok((generate_password()?, true));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    PasswordPolicy::default()
        .check(&Password::new(&password), &[username])
        .context("the password from standard input is refused")?;
    Ok((password, false))
}

pub fn hash_password(password: &str) -> Result<String> {
    PasswordHasher::new(HashParams::RECOMMENDED)
        .hash(&Password::new(password))
        .context("cannot hash the password")
}

fn parse_agency_type(name: &str) -> Result<AgencyType> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        anyhow::anyhow!(
            "unknown agency type; one of: child_protection_authority, ngo, un_agency, guardianship_service, \
             judiciary, health, education, police, immigration_authority, other"
        )
    })
}

pub fn parse_role(name: &str) -> Result<Role> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        anyhow::anyhow!(
            "unknown role; one of: caseworker, supervisor, guardian, tracing_officer, bid_panel_member, \
             liaison_officer, data_protection_officer, statistician, administrator"
        )
    })
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// `kinlink init`.
pub async fn init(args: &InitArgs, config: &Config) -> Result<()> {
    let keys = KeyPaths::of(&config.data_dir);
    if keys.exist() {
        bail!(
            "{} already exists: this data directory is initialised already (keys are never overwritten)",
            keys.master.display()
        );
    }
    store::create_private_dir(&config.data_dir)?;
    let (records, accounts) = store::open_all(config).await?;
    if !accounts
        .users()
        .await
        .context("cannot read the users")?
        .is_empty()
    {
        bail!("the database already has users: it belongs to another deployment");
    }
    let username = kinlink_server::normalise_username(&args.admin);
    let (password, generated) = new_password(args.password_stdin, &username)?;
    keys.create()?;
    let kind = parse_agency_type(&args.agency_type)?;
    let agency = accounts
        .create_agency(&args.agency, kind, false)
        .await
        .context("cannot create the agency")?;
    let admin = accounts
        .create_user(&NewUser {
            username: username.clone(),
            agency_id: agency.id,
            teams: Vec::new(),
            roles: vec![Role::Administrator],
            password_hash: hash_password(&password)?,
        })
        .await
        .context("cannot create the administrator")?;
    audit_account(&records, EventKind::AccountChange, Some(admin.id)).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "initialised {}", config.data_dir.display())?;
    writeln!(
        out,
        "keys: {} (back them up; without the master key the data cannot be read)",
        keys.dir.display()
    )?;
    writeln!(out, "agency: {}", agency.name)?;
    writeln!(out, "administrator: {username}")?;
    if generated {
        writeln!(out, "password: {} (shown once)", password.as_str())?;
    }
    Ok(())
}

/// Record an account change made from the command line in the audit log:
/// the CLI's actor, for the purpose `administration`, about `user` if any.
/// Appended once the change is made (the account store and the log are
/// written in separate transactions); a failure is reported, not hidden.
async fn audit_account(store: &Arc<dyn Store>, kind: EventKind, user: Option<Uuid>) -> Result<()> {
    let actor = store::actor().with_purpose(Purpose::Administration);
    let event = AuditEvent {
        at: Utc::now(),
        kind,
        actor: actor.audit_actor(),
        record: user.map(|id| RecordRef {
            resource: Resource::UserAccount,
            id,
        }),
        field_groups: FieldGroups::NONE,
        purpose: actor.purpose(),
        outcome: Outcome::Success,
    };
    store
        .append_audit(&[event])
        .await
        .context("the change was made but cannot be written to the audit log")?;
    Ok(())
}

async fn user_named(accounts: &Arc<dyn AccountStore>, name: &str) -> Result<UserRecord> {
    accounts
        .user_by_name(&kinlink_server::normalise_username(name))
        .await
        .context("cannot read the users")?
        .ok_or_else(|| anyhow::anyhow!("no user with this user name"))
}

/// `kinlink user ...`.
pub async fn user(command: &UserCommand, config: &Config) -> Result<()> {
    let (records, accounts) = store::open_all(config).await?;
    let mut out = std::io::stdout().lock();
    match command {
        UserCommand::Add {
            username,
            agency,
            teams,
            roles,
            password_stdin,
        } => {
            let username = kinlink_server::normalise_username(username);
            if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
                bail!("a user name is one word without spaces");
            }
            let roles = roles.iter().map(|r| parse_role(r)).collect::<Result<Vec<_>>>()?;
            let agency = accounts
                .agency_by_name(agency)
                .await
                .context("cannot read the agencies")?
                .ok_or_else(|| anyhow::anyhow!("no agency with this name (see `kinlink agency list`)"))?;
            let mut team_ids = Vec::new();
            for team in teams {
                let found = accounts
                    .team_by_name(agency.id, team)
                    .await
                    .context("cannot read the teams")?;
                let team = match found {
                    Some(team) => team,
                    None => accounts
                        .create_team(agency.id, team)
                        .await
                        .context("cannot create the team")?,
                };
                team_ids.push(team.id);
            }
            let (password, generated) = new_password(*password_stdin, &username)?;
            let created = accounts
                .create_user(&NewUser {
                    username: username.clone(),
                    agency_id: agency.id,
                    teams: team_ids,
                    roles,
                    password_hash: hash_password(&password)?,
                })
                .await
                .context("cannot create the user")?;
            audit_account(&records, EventKind::AccountChange, Some(created.id)).await?;
            writeln!(out, "user: {username}")?;
            if generated {
                writeln!(out, "password: {} (shown once)", password.as_str())?;
            }
        }
        UserCommand::List => {
            let agencies = accounts.agencies().await.context("cannot read the agencies")?;
            writeln!(out, "username\tagency\troles\tsecond_factor\tdisabled")?;
            for user in accounts.users().await.context("cannot read the users")? {
                let agency = agencies
                    .iter()
                    .find(|a| a.id == user.agency_id)
                    .map_or("?", |a| a.name.as_str());
                let roles: Vec<String> = user.roles.iter().map(name_of).collect();
                let totp = user.totp.as_ref().is_some_and(|t| t.confirmed);
                writeln!(
                    out,
                    "{}\t{agency}\t{}\t{}\t{}",
                    user.username,
                    roles.join(","),
                    if totp { "yes" } else { "no" },
                    if user.disabled { "yes" } else { "no" }
                )?;
            }
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let disable = matches!(command, UserCommand::Disable { .. });
            let user = user_named(&accounts, username).await?;
            accounts
                .set_disabled(user.id, disable)
                .await
                .context("cannot change the user")?;
            audit_account(&records, EventKind::AccountChange, Some(user.id)).await?;
            writeln!(
                out,
                "{} {}",
                user.username,
                if disable {
                    "disabled (sessions ended)"
                } else {
                    "enabled"
                }
            )?;
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
            reset_totp,
        } => {
            let user = user_named(&accounts, username).await?;
            let (password, generated) = new_password(*password_stdin, &user.username)?;
            accounts
                .set_password_hash(user.id, &hash_password(&password)?)
                .await
                .context("cannot change the password")?;
            if *reset_totp {
                accounts
                    .set_totp(user.id, None)
                    .await
                    .context("cannot reset the second factor")?;
            }
            audit_account(&records, EventKind::AccountChange, Some(user.id)).await?;
            writeln!(out, "user: {} (sessions ended)", user.username)?;
            if generated {
                writeln!(out, "password: {} (shown once)", password.as_str())?;
            }
        }
        UserCommand::Roles { username, roles } => {
            let user = user_named(&accounts, username).await?;
            let roles = roles.iter().map(|r| parse_role(r)).collect::<Result<Vec<_>>>()?;
            accounts
                .set_roles(user.id, &roles)
                .await
                .context("cannot change the roles")?;
            audit_account(&records, EventKind::PermissionChange, Some(user.id)).await?;
            let names: Vec<String> = roles.iter().map(name_of).collect();
            writeln!(out, "{}: {} (sessions ended)", user.username, names.join(","))?;
        }
    }
    Ok(())
}

/// `kinlink agency ...`.
pub async fn agency(command: &AgencyCommand, config: &Config) -> Result<()> {
    let (records, accounts) = store::open_all(config).await?;
    let mut out = std::io::stdout().lock();
    match command {
        AgencyCommand::Add {
            name,
            agency_type,
            immigration_enforcement,
        } => {
            let kind = parse_agency_type(agency_type)?;
            let agency = accounts
                .create_agency(name, kind, *immigration_enforcement)
                .await
                .context("cannot create the agency")?;
            // An agency is no user account: the entry names no record. Flagging
            // one for immigration enforcement changes what its users may see.
            let kind = if *immigration_enforcement {
                EventKind::PermissionChange
            } else {
                EventKind::AccountChange
            };
            audit_account(&records, kind, None).await?;
            writeln!(out, "agency: {}", agency.name)?;
        }
        AgencyCommand::List => {
            writeln!(out, "name\ttype\timmigration_enforcement")?;
            for agency in accounts.agencies().await.context("cannot read the agencies")? {
                let enforcement =
                    agency.kind == AgencyType::ImmigrationAuthority || agency.immigration_enforcement;
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    agency.name,
                    name_of(&agency.kind),
                    if enforcement { "yes" } else { "no" }
                )?;
            }
        }
    }
    Ok(())
}

/// Issue a token for `user`; returns its text (to show once).
pub async fn issue_token(
    accounts: &Arc<dyn AccountStore>,
    user: &UserRecord,
    name: &str,
    scopes: &[TokenScope],
    expires_in_days: Option<u32>,
) -> Result<Zeroizing<String>> {
    let issued = kinlink_auth::token::issue(scopes.to_vec()).context("cannot create a token")?;
    let now = Utc::now();
    accounts
        .create_token(&TokenRecord {
            prefix: issued.stored.prefix.clone(),
            secret_hash: issued.stored.secret_hash.clone(),
            user_id: user.id,
            name: name.to_owned(),
            scopes: scopes.iter().map(ToString::to_string).collect(),
            created_at: now,
            expires_at: expires_in_days.map(|d| now + chrono::Duration::days(i64::from(d))),
            revoked_at: None,
        })
        .await
        .context("cannot store the token")?;
    Ok(issued.plaintext)
}

/// `kinlink token ...`.
pub async fn token(command: &TokenCommand, config: &Config) -> Result<()> {
    let (records, accounts) = store::open_all(config).await?;
    let mut out = std::io::stdout().lock();
    match command {
        TokenCommand::Create {
            user,
            scopes,
            name,
            expires_in_days,
        } => {
            let user = user_named(&accounts, user).await?;
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<TokenScope>())
                .collect::<Result<Vec<_>, _>>()
                .context("invalid --scope")?;
            if scopes.is_empty() {
                bail!("give at least one --scope resource:action, e.g. child_case:read");
            }
            let token = issue_token(&accounts, &user, name, &scopes, *expires_in_days).await?;
            audit_account(&records, EventKind::TokenIssued, Some(user.id)).await?;
            writeln!(
                out,
                "{} (shown once; send it as `Authorization: Bearer ...`)",
                token.as_str()
            )?;
        }
        TokenCommand::List { user } => {
            let owner = match user {
                Some(name) => Some(user_named(&accounts, name).await?.id),
                None => None,
            };
            let users = accounts.users().await.context("cannot read the users")?;
            writeln!(out, "prefix\tuser\tname\tscopes\tstate")?;
            for token in accounts.tokens(owner).await.context("cannot read the tokens")? {
                let username = users
                    .iter()
                    .find(|u| u.id == token.user_id)
                    .map_or("?", |u| u.username.as_str());
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else if token.expires_at.is_some_and(|at| at <= Utc::now()) {
                    "expired"
                } else {
                    "active"
                };
                writeln!(
                    out,
                    "{}\t{username}\t{}\t{}\t{state}",
                    token.prefix,
                    token.name,
                    token.scopes.join(",")
                )?;
            }
        }
        TokenCommand::Revoke { prefix } => {
            // Accept the whole token too: its prefix is its second part.
            let prefix = prefix
                .strip_prefix("klt_")
                .map_or(prefix.as_str(), |rest| rest.split('_').next().unwrap_or(rest));
            let owner = accounts
                .token(prefix)
                .await
                .context("cannot read the tokens")?
                .map(|t| t.user_id);
            if !accounts
                .revoke_token(prefix, Utc::now())
                .await
                .context("cannot revoke the token")?
            {
                bail!("no active token with this prefix");
            }
            audit_account(&records, EventKind::TokenRevoked, owner).await?;
            writeln!(out, "revoked {prefix}")?;
        }
    }
    Ok(())
}
