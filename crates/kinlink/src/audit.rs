//! The audit log from the command line: what the record commands append,
//! and `kinlink audit verify|checkpoint|show`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{SecondsFormat, Utc};
use kinlink_audit::{AuditEntry, AuditEvent, EventKind, Outcome, ReasonCode, RecordRef};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_policy::{Action, Denial, FieldGroups, FirewallRule, Purpose, Resource, rules};
use kinlink_store::audit::{AuditCheckError, SigningKey, checkpoint_if_due, verify_audit};
use kinlink_store::{Actor, Store, StoredCheckpoint};

use crate::cli::{AuditCommand, SigningKeyArgs};
use crate::config::Config;
use crate::store;

/// Who the command runs as and for which purpose, and the log it writes to.
/// The store audits its own writes; reads, listings, exports and refusals
/// are appended from here, before any record content is printed.
pub struct Audit {
    store: Arc<dyn Store>,
    actor: Actor,
    purpose: Purpose,
}

impl Audit {
    pub fn new(store: Arc<dyn Store>, purpose: Purpose) -> Self {
        Self {
            store,
            actor: store::actor().with_purpose(purpose),
            purpose,
        }
    }

    /// The actor the store's writes are recorded under.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Refuse, and record the refusal, when the declared purpose cannot
    /// justify `action` on `resource` (the firewall first: an immigration
    /// enforcement purpose is refused for everything).
    pub async fn permit(&self, resource: Resource, action: Action) -> Result<()> {
        let denial = if self.purpose == Purpose::ImmigrationEnforcement {
            Denial::Firewall(FirewallRule::EnforcementPurpose)
        } else if !rules::purpose_covers(self.purpose, resource, action) {
            Denial::PurposeDoesNotCover
        } else {
            return Ok(());
        };
        let reason = ReasonCode::new(denial.code()).context("a policy code is a reason code")?;
        let event = AuditEvent {
            outcome: Outcome::Denied(reason),
            record: None,
            ..self.event(event_kind(action), None)
        };
        self.store
            .append_audit(&[event])
            .await
            .context("cannot write the audit log")?;
        bail!("refused: {denial} (purpose {})", self.purpose.as_str())
    }

    /// Record that these records were read, listed or exported.
    pub async fn accessed(&self, kind: EventKind, resource: Resource, ids: &[RecordId]) -> Result<()> {
        let events: Vec<AuditEvent> = ids
            .iter()
            .map(|id| {
                self.event(
                    kind,
                    Some(RecordRef {
                        resource,
                        id: *id.as_uuid(),
                    }),
                )
            })
            .collect();
        self.store
            .append_audit(&events)
            .await
            .context("cannot write the audit log; nothing is shown")?;
        Ok(())
    }

    /// Record that released statistics were shown (no record, no field group).
    pub async fn statistics_released(&self) -> Result<()> {
        let event = AuditEvent {
            field_groups: FieldGroups::NONE,
            ..self.event(EventKind::Read, None)
        };
        self.store
            .append_audit(&[event])
            .await
            .context("cannot write the audit log; nothing is shown")?;
        Ok(())
    }

    fn event(&self, kind: EventKind, record: Option<RecordRef>) -> AuditEvent {
        AuditEvent {
            at: Utc::now(),
            kind,
            actor: self.actor.audit_actor(),
            record,
            // The CLI shows and exports whole records.
            field_groups: FieldGroups::ALL,
            purpose: Some(self.purpose),
            outcome: Outcome::Success,
        }
    }
}

fn event_kind(action: Action) -> EventKind {
    match action {
        Action::Read => EventKind::Read,
        Action::List => EventKind::List,
        Action::Create => EventKind::Create,
        Action::Update => EventKind::Update,
        Action::Export => EventKind::Export,
        Action::Share => EventKind::Share,
        Action::Erase => EventKind::Erasure,
    }
}

pub async fn run(command: AuditCommand, config: &Config, purpose: Purpose) -> Result<()> {
    let store = store::open(config).await?;
    match command {
        AuditCommand::Verify(key) => verify(store, &key, config).await,
        AuditCommand::Checkpoint { key, every } => {
            let key = load_key(&key, config)?;
            let signed = match every {
                Some(every) => checkpoint_if_due(store.as_ref(), &key, every).await,
                None => store.checkpoint(&key).await,
            }
            .map_err(AuditCheckError::from)
            .map_err(tampered)?;
            match signed {
                Some(c) => println!("checkpoint at entry {} (key {})", c.checkpoint.sequence, c.key_id),
                None if store.audit_len().await? == 0 => println!("the audit log is empty: nothing to sign"),
                None => println!("no checkpoint due"),
            }
            Ok(())
        }
        AuditCommand::Show {
            record: Some(record), ..
        } => show(store, &record, purpose).await,
        AuditCommand::Show { user: Some(user), .. } => show_user(config, &user, purpose).await,
        AuditCommand::Show { .. } => bail!("name a record (--record) or an account (--user)"),
    }
}

async fn verify(store: Arc<dyn Store>, key: &SigningKeyArgs, config: &Config) -> Result<()> {
    let key = load_key(key, config)?;
    let verified = verify_audit(store.as_ref(), &key.verifying_key())
        .await
        .map_err(tampered)?;
    println!(
        "the audit log verifies: {} entries, {} signed checkpoints{}",
        verified.entries,
        verified.checkpoints,
        if verified.unsealed > 0 {
            format!(
                ", {} entries after the last checkpoint (protected by the chain only until now)",
                verified.unsealed
            )
        } else {
            String::new()
        }
    );
    // Seal what was just verified, so a later deletion of the end is seen.
    if let Some(StoredCheckpoint { checkpoint, key_id }) = store
        .checkpoint(&key)
        .await
        .map_err(|e| tampered(AuditCheckError::from(e)))?
    {
        println!(
            "signed checkpoint at entry {} (key {key_id})",
            checkpoint.sequence
        );
    }
    Ok(())
}

fn tampered(e: AuditCheckError) -> anyhow::Error {
    match e {
        AuditCheckError::Store(e) => anyhow::Error::new(e).context("the database failed"),
        e => anyhow!("the audit log has been tampered with: {e}"),
    }
}

fn load_key(args: &SigningKeyArgs, config: &Config) -> Result<SigningKey> {
    let path: PathBuf = args
        .signing_key
        .clone()
        // The key `kinlink init` creates, which the server signs its checkpoints with.
        .unwrap_or_else(|| crate::accounts::KeyPaths::of(&config.data_dir).signing);
    kinlink_crypto::keyfile::load_signing_key_file(&path)
        .with_context(|| format!("cannot load the deployment signing key {}", path.display()))
}

/// `kinlink audit show --record ID|NUMBER`.
async fn show(store: Arc<dyn Store>, key: &str, purpose: Purpose) -> Result<()> {
    let key = key.trim();
    let records: Vec<(Resource, RecordId)> = if let Ok(id) = key.parse::<RecordId>() {
        // An id names a record of either kind.
        RecordKind::ALL
            .iter()
            .map(|kind| (kinlink_policy::resource_of(*kind), id))
            .collect()
    } else if let Ok(number) = key.parse::<RecordNumber>() {
        let found = store
            .get_by_number(number.kind(), &number)
            .await
            .context("the database failed")?
            .ok_or_else(|| anyhow!("no record with number {key}"))?;
        vec![(kinlink_policy::resource_of(number.kind()), found.meta.id)]
    } else {
        bail!("expected a record id (UUID) or a record number such as KL-2026-000123");
    };
    print_entries(store, key, &records, purpose).await
}

/// `kinlink audit show --user USERNAME`: the account's administration events.
async fn show_user(config: &Config, username: &str, purpose: Purpose) -> Result<()> {
    let (store, accounts) = store::open_all(config).await?;
    let user = accounts
        .user_by_name(&kinlink_server::normalise_username(username))
        .await
        .context("cannot read the users")?
        .ok_or_else(|| anyhow!("no user with this name"))?;
    let records = [(Resource::UserAccount, RecordId::from_uuid(user.id))];
    print_entries(store, "this account", &records, purpose).await
}

/// Print the entries about `records` (and earlier looks at them), after
/// checking and recording this look at the audit log.
async fn print_entries(
    store: Arc<dyn Store>,
    key: &str,
    records: &[(Resource, RecordId)],
    purpose: Purpose,
) -> Result<()> {
    let audit = Audit::new(store.clone(), purpose);
    audit.permit(Resource::AuditLog, Action::Read).await?;
    let id = records[0].1;
    let mut entries: Vec<AuditEntry> = Vec::new();
    // Earlier looks at this record's audit entries are shown too.
    for (resource, id) in records.iter().copied().chain([(Resource::AuditLog, id)]) {
        entries.extend(
            store
                .audit_for_record(resource, *id.as_uuid())
                .await
                .map_err(|e| tampered(AuditCheckError::from(e)))?,
        );
    }
    entries.sort_by_key(|e| e.sequence);
    // Looking at who accessed a child's record is itself an access, to the audit log.
    audit.accessed(EventKind::Read, Resource::AuditLog, &[id]).await?;
    if entries.is_empty() {
        println!("no audit entries for {key}");
        return Ok(());
    }
    println!("entry\ttime\tevent\ton\tactor\tpurpose\toutcome\tfield groups");
    for entry in &entries {
        let e = &entry.event;
        let actor = match (&e.actor.name, e.actor.user) {
            (Some(name), _) => name.to_string(),
            (None, Some(user)) => format!("user:{user}"),
            (None, None) => "-".to_owned(),
        };
        let outcome = match &e.outcome {
            Outcome::Success => "success".to_owned(),
            Outcome::Denied(code) => format!("denied:{}", code.as_str()),
            Outcome::Failed(code) => format!("failed:{}", code.as_str()),
        };
        let groups: Vec<&str> = e.field_groups.iter().map(|g| g.as_str()).collect();
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            entry.sequence,
            e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            e.kind.as_str(),
            e.record.map_or("-", |r| r.resource.as_str()),
            actor,
            e.purpose.map_or("-", |p| p.as_str()),
            outcome,
            match e.field_groups {
                FieldGroups::ALL => "all".to_owned(),
                FieldGroups::NONE => "-".to_owned(),
                _ => groups.join(","),
            }
        );
    }
    Ok(())
}
