//! `kinlink keys rotate`, `kinlink retention run [--dry-run]` and `kinlink
//! record erase ID --reason CODE`: the master key's rotation and erasure by
//! crypto-shredding. Nothing here prints a record's content or a key.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Months, Utc};
use kinlink_audit::{AuditEvent, EventKind, Outcome};
use kinlink_core::{RecordId, RecordKind, RecordNumber};
use kinlink_crypto::MasterKey;
use kinlink_policy::{FieldGroups, Purpose};
use kinlink_store::{Actor, Store, StoreError, valid_rule_name};

use crate::accounts::{KeyPaths, MASTER_KEY_ENV};
use crate::cli::{KeysCommand, RecordAdminCommand, RetentionCommand};
use crate::config::{Config, Retention};
use crate::store::{self, Backend};

/// Erase one record on whichever backend.
async fn erase(
    backend: &Backend,
    kind: RecordKind,
    id: RecordId,
    actor: &Actor,
    rule: &str,
) -> Result<(), StoreError> {
    match backend {
        Backend::Sqlite(store) => store.erase_record(kind, id, actor, rule).await,
        Backend::Postgres(store) => store.erase_record(kind, id, actor, rule).await,
    }
}

fn as_store(backend: &Backend) -> Arc<dyn Store> {
    match backend {
        Backend::Sqlite(store) => Arc::new(store.clone()),
        Backend::Postgres(store) => Arc::new(store.clone()),
    }
}

fn encrypting(backend: &Backend) -> bool {
    match backend {
        Backend::Sqlite(store) => store.codec().is_encrypting(),
        Backend::Postgres(store) => store.codec().is_encrypting(),
    }
}

pub async fn run(command: KeysCommand, config: &Config) -> Result<()> {
    match command {
        KeysCommand::Rotate => rotate(config).await,
    }
}

/// New key written beside the old one first (`master.key.new`), the
/// database re-wrapped in one transaction, then the files swapped: a crash
/// at any point leaves either nothing changed or the new key on disk.
async fn rotate(config: &Config) -> Result<()> {
    if std::env::var_os(MASTER_KEY_ENV).is_some() {
        bail!(
            "the master key comes from {MASTER_KEY_ENV}: rotation writes key files; \
             unset it and put the key in the data directory's key file to rotate"
        );
    }
    let keys = KeyPaths::of(&config.data_dir);
    keys.load_master()?;
    let backend = store::open_backend(config).await?;
    let staged = keys.dir.join("master.key.new");
    if staged.exists() {
        bail!(
            "{} exists: an earlier rotation did not finish. If the database says its key is that one, \
             move master.key to keys/retired/ and rename master.key.new to master.key; otherwise delete it",
            staged.display()
        );
    }
    let new = MasterKey::create_file(&staged).context("cannot create the new master key")?;
    let actor = store::actor().with_purpose(Purpose::Administration);
    let rotation = match &backend {
        Backend::Sqlite(store) => store.rotate_master_key(new, &actor).await,
        Backend::Postgres(store) => store.rotate_master_key(new, &actor).await,
    };
    let rotation = match rotation {
        Ok(rotation) => rotation,
        Err(e) => {
            // Nothing was committed: the staged key is of no use.
            let _ = std::fs::remove_file(&staged);
            return Err(e).context("the rotation failed; nothing was changed");
        }
    };
    let retired_dir = keys.dir.join("retired");
    store::create_private_dir(&retired_dir)?;
    let retired = retired_dir.join(format!("master-{}.key", rotation.old_key));
    std::fs::rename(&keys.master, &retired)
        .with_context(|| format!("the database uses the new key now, but moving the old key to {} failed: move it by hand and rename master.key.new to master.key", retired.display()))?;
    std::fs::rename(&staged, &keys.master).with_context(|| {
        "the database uses the new key now: rename keys/master.key.new to master.key".to_owned()
    })?;
    println!(
        "rotated the master key: {} -> {}; {} data keys and {} second-factor keys re-wrapped",
        rotation.old_key, rotation.new_key, rotation.data_keys, rotation.totp_keys
    );
    println!(
        "the old key is in {}: keep it only as long as backups made before now, then delete it \
         (records erased before now become unreadable in those backups too)",
        retired.display()
    );
    Ok(())
}

/// A retention rule: its name, the record kind, and when a record is due.
struct Rule {
    name: &'static str,
    kind: RecordKind,
    years: u32,
}

fn rules(retention: &Retention) -> Vec<Rule> {
    vec![
        Rule {
            name: "closed_cases",
            kind: RecordKind::ChildCase,
            years: retention.closed_cases_years,
        },
        Rule {
            name: "closed_requests",
            kind: RecordKind::TracingRequest,
            years: retention.closed_requests_years,
        },
    ]
}

/// Whether a record's state is closed, read from its body without parsing
/// the whole record (a case's `tracing_status`, a request's `status`).
fn is_closed(kind: RecordKind, body: &str) -> bool {
    let field = match kind {
        RecordKind::ChildCase => "tracing_status",
        RecordKind::TracingRequest => "status",
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    matches!(
        value.get(field).and_then(|v| v.as_str()),
        Some("closed" | "reunified" | "not_required")
    )
}

/// The ids of the records `rule` makes due at `now`.
async fn due(store: &dyn Store, rule: &Rule, now: DateTime<Utc>) -> Result<Vec<RecordId>> {
    if rule.years == 0 {
        return Ok(Vec::new());
    }
    let cutoff = now
        .checked_sub_months(Months::new(rule.years.saturating_mul(12)))
        .ok_or_else(|| anyhow!("retention of {} years reaches before the calendar", rule.years))?;
    let mut due = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(rule.kind, after, 500)
            .await
            .context("cannot read the records")?;
        let Some(last) = page.last() else { break };
        after = Some(last.meta.id);
        for record in &page {
            if record.meta.updated_at < cutoff && is_closed(rule.kind, &record.body) {
                due.push(record.meta.id);
            }
        }
    }
    Ok(due)
}

pub async fn retention(command: RetentionCommand, config: &Config) -> Result<()> {
    let RetentionCommand::Run { dry_run } = command;
    let backend = store::open_backend(config).await?;
    if !dry_run && !encrypting(&backend) {
        bail!("erasure destroys data keys: this database has none (run `kinlink init` to create the keys)");
    }
    let store = as_store(&backend);
    let actor = store::actor().with_purpose(Purpose::DataProtectionReview);
    let now = Utc::now();
    let mut report = BTreeMap::new();
    for rule in rules(&config.retention) {
        let ids = due(store.as_ref(), &rule, now).await?;
        let mut erased = 0u64;
        if !dry_run {
            for id in &ids {
                match erase(&backend, rule.kind, *id, &actor, rule.name).await {
                    Ok(()) => erased += 1,
                    // Erased meanwhile (another run): nothing to do.
                    Err(StoreError::Erased { .. }) => {}
                    Err(e) => return Err(e).with_context(|| format!("cannot erase record {id}")),
                }
            }
        }
        report.insert(rule.name, (rule.years, ids.len(), erased));
    }
    let event = AuditEvent {
        at: now,
        kind: EventKind::RetentionRun,
        actor: actor.audit_actor(),
        record: None,
        field_groups: FieldGroups::NONE,
        purpose: actor.purpose(),
        outcome: Outcome::Success,
    };
    store
        .append_audit(&[event])
        .await
        .context("cannot write the audit log")?;
    println!(
        "{}",
        if dry_run {
            "retention dry run: nothing erased"
        } else {
            "retention run"
        }
    );
    println!("{:<18} {:>6} {:>6} {:>7}", "rule", "years", "due", "erased");
    for (name, (years, due, erased)) in report {
        println!("{name:<18} {years:>6} {due:>6} {erased:>7}");
    }
    Ok(())
}

pub async fn record(command: RecordAdminCommand, config: &Config) -> Result<()> {
    let RecordAdminCommand::Erase { id, reason } = command;
    if !valid_rule_name(&reason) {
        bail!("--reason is a code of lower-case letters, digits and _ (at most 64), e.g. dpo_request");
    }
    let backend = store::open_backend(config).await?;
    let store = as_store(&backend);
    let key = id.trim();
    let (kind, id) = if let Ok(id) = key.parse::<RecordId>() {
        let mut found = None;
        for kind in RecordKind::ALL {
            match store.get(kind, id).await {
                Ok(Some(_)) | Err(StoreError::Erased { .. }) => found = Some(kind),
                Ok(None) => {}
                Err(e) => return Err(e).context("the database failed"),
            }
        }
        (found.ok_or_else(|| anyhow!("no record with id {key}"))?, id)
    } else if let Ok(number) = key.parse::<RecordNumber>() {
        let found = match store.get_by_number(number.kind(), &number).await {
            Ok(found) => found.map(|r| r.meta.id),
            Err(StoreError::Erased { id }) => id.parse().ok(),
            Err(e) => return Err(e).context("the database failed"),
        };
        (
            number.kind(),
            found.ok_or_else(|| anyhow!("no record with number {key}"))?,
        )
    } else {
        bail!("expected a record id (UUID) or a record number such as KL-2026-000123");
    };
    let actor = store::actor().with_purpose(Purpose::DataProtectionReview);
    match erase(&backend, kind, id, &actor, &reason).await {
        Ok(()) => {
            println!(
                "erased {} {id}: its data key is destroyed; the audit log records the erasure",
                kind.as_str()
            );
            Ok(())
        }
        Err(StoreError::Erased { .. }) => bail!("record {id} was erased already"),
        Err(StoreError::Locked) => {
            bail!(
                "erasure destroys data keys: this database has none (run `kinlink init` to create the keys)"
            )
        }
        Err(e) => Err(e).context("cannot erase the record"),
    }
}
