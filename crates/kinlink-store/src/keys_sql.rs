//! Keys in the database, for both backends: opening a store with the master
//! key (checked against the key id the database was encrypted with; plaintext
//! bodies sealed on the way), rotating the master key (every wrapped key
//! re-wrapped in one transaction), and erasing a record by destroying its
//! data key (crypto-shredding). Migration `0006_encryption.sql`.

use chrono::{DateTime, Utc};
use kinlink_audit::{AuditEvent, EventKind, Outcome, RecordRef};
use kinlink_core::{RecordId, RecordKind};
use kinlink_crypto::{KeyId, Keyring, MasterKey, WrappedKey};
use kinlink_policy::{FieldGroups, resource_of};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Pool, Row, Type};
use uuid::Uuid;

use crate::codec::{BodyCodec, SEALED_PREFIX};
use crate::sql::{Dialect, SqlStore, SqlValue, now};
use crate::{Actor, StoreError};

/// What `kinlink keys rotate` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The new master key's id.
    pub new_key: KeyId,
    /// The retired master key's id.
    pub old_key: KeyId,
    /// Record data keys re-wrapped.
    pub data_keys: u64,
    /// TOTP secrets' data keys re-wrapped.
    pub totp_keys: u64,
}

/// That a record was erased: when, by whom, under which rule. Never what it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    pub record_id: RecordId,
    pub erased_at: DateTime<Utc>,
    pub erased_by: String,
    pub rule: String,
}

/// The names a rule may have: lower-case letters, digits and `_` (no free text).
pub fn valid_rule_name(rule: &str) -> bool {
    !rule.is_empty()
        && rule.len() <= 64
        && rule
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl<DB> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    /// The codec of a store just opened without keys: plaintext on a
    /// database that has never been encrypted, locked on one that has.
    pub(crate) async fn initial_codec(pool: &Pool<DB>) -> Result<BodyCodec, StoreError> {
        let row = sqlx::query("SELECT key_id FROM key_check WHERE id = 1")
            .fetch_optional(pool)
            .await?;
        Ok(if row.is_some() {
            BodyCodec::locked()
        } else {
            BodyCodec::plaintext()
        })
    }

    /// This store with the deployment's master key(s): bodies are sealed from
    /// now on. The first time, the key's id is recorded and every plaintext
    /// body (records from before encryption) is sealed, in one transaction;
    /// afterwards, a key other than the recorded one (or a retired one loaded
    /// with it) is refused here, at start-up: [`StoreError::WrongMasterKey`].
    pub async fn with_keyring(mut self, keyring: Keyring) -> Result<Self, StoreError> {
        let loaded = keyring.current().id();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT key_id FROM key_check WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        match row {
            None => {
                sqlx::query("INSERT INTO key_check (id, key_id, changed_at) VALUES (1, $1, $2)")
                    .bind(loaded.to_string())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
            }
            Some(row) => {
                let stored: String = row.try_get("key_id")?;
                let known = KeyId::try_from(stored.clone())
                    .ok()
                    .is_some_and(|id| keyring.get(id).is_some());
                if !known {
                    return Err(StoreError::WrongMasterKey {
                        stored,
                        loaded: loaded.to_string(),
                    });
                }
            }
        }
        let codec = BodyCodec::with_keys(keyring);
        let sealed = Self::seal_plaintext(&codec, &mut tx, None).await?;
        tx.commit().await?;
        self.codec = codec;
        if sealed > 0 {
            tracing::info!(
                records = sealed,
                "sealed the plaintext bodies of records written before encryption"
            );
            // The plaintext is still in the file's free pages (SQLite) or in
            // dead row versions (PostgreSQL) until they are rewritten.
            let scrub: &[&str] = if DB::LABEL == "SQLite" {
                &["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
            } else {
                &["VACUUM FULL records", "VACUUM FULL record_revisions"]
            };
            for statement in scrub {
                sqlx::query(statement).execute(&self.pool).await?;
            }
        }
        Ok(self)
    }

    /// Seal every plaintext body (current and revisions) with its record's
    /// data key, created if needed (of one record, or of all); returns how
    /// many records had one.
    async fn seal_plaintext(
        codec: &BodyCodec,
        conn: &mut DB::Connection,
        only: Option<RecordId>,
    ) -> Result<u64, StoreError> {
        let pattern = format!("{SEALED_PREFIX}%");
        let rows = match only {
            None => {
                sqlx::query(
                    "SELECT record_id, version, body FROM record_revisions WHERE body NOT LIKE $1 \
                     ORDER BY record_id, version",
                )
                .bind(pattern.as_str())
                .fetch_all(&mut *conn)
                .await?
            }
            Some(id) => {
                sqlx::query(
                    "SELECT record_id, version, body FROM record_revisions \
                     WHERE record_id = $2 AND body NOT LIKE $1 ORDER BY record_id, version",
                )
                .bind(pattern.as_str())
                .bind(DB::id_to_db(id))
                .fetch_all(&mut *conn)
                .await?
            }
        };
        let mut records = 0;
        let mut current: Option<(Uuid, Option<kinlink_crypto::DataKey>)> = None;
        for row in &rows {
            let id = DB::id_from_db(row.try_get("record_id")?)?;
            let owner = *id.as_uuid();
            let version: i64 = row.try_get("version")?;
            let body: String = row.try_get("body")?;
            if current.as_ref().is_none_or(|(o, _)| *o != owner) {
                let key = Self::data_key(codec, conn, owner).await?;
                current = Some((owner, key));
                records += 1;
            }
            let key = current.as_ref().and_then(|(_, k)| k.as_ref());
            let sealed = codec.seal(key, owner, version, &body)?;
            sqlx::query("UPDATE record_revisions SET body = $1 WHERE record_id = $2 AND version = $3")
                .bind(sealed.as_str())
                .bind(DB::id_to_db(id))
                .bind(version)
                .execute(&mut *conn)
                .await?;
            // The current body is the last revision's: the same sealed text.
            sqlx::query("UPDATE records SET body = $1 WHERE id = $2 AND version = $3 AND body NOT LIKE $4")
                .bind(sealed.as_str())
                .bind(DB::id_to_db(id))
                .bind(version)
                .bind(pattern.as_str())
                .execute(&mut *conn)
                .await?;
        }
        Ok(records)
    }

    /// Erase a record: destroy its data key, so that its body and every
    /// revision can never be read again (here, in a copy, or in a backup
    /// whose master key is destroyed too), and record that it was erased,
    /// under which `rule` (a name such as `closed_cases` or `dpo`), by whom
    /// and when; the audit gets an erasure entry in the same transaction.
    /// The record's row stays (its id, number and dates) so that a read
    /// answers "erased", not "not found". Erasing twice is
    /// [`StoreError::Erased`].
    pub async fn erase_record(
        &self,
        kind: RecordKind,
        id: RecordId,
        actor: &Actor,
        rule: &str,
    ) -> Result<(), StoreError> {
        if !valid_rule_name(rule) {
            return Err(StoreError::Crypto(
                "an erasure rule is a name of lower-case letters, digits and _",
            ));
        }
        if !self.codec.is_encrypting() {
            // Without a data key to destroy, erasure would be a soft delete.
            return Err(StoreError::Locked);
        }
        let at = now();
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 AS found FROM records WHERE id = $1 AND kind = $2")
            .bind(DB::id_to_db(id))
            .bind(kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { kind });
        }
        let erased = sqlx::query("SELECT 1 AS erased FROM erasures WHERE record_id = $1")
            .bind(DB::id_to_db(id))
            .fetch_optional(&mut *tx)
            .await?;
        if erased.is_some() {
            return Err(StoreError::Erased { id: id.to_string() });
        }
        // A body written before encryption has no key to destroy: seal it
        // first (the store seals them on open, so this is a safeguard).
        Self::seal_plaintext(&self.codec, &mut tx, Some(id)).await?;
        sqlx::query("DELETE FROM record_keys WHERE record_id = $1")
            .bind(DB::id_to_db(id))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO erasures (record_id, erased_at, erased_by, rule) VALUES ($1, $2, $3, $4)")
            .bind(DB::id_to_db(id))
            .bind(at)
            .bind(actor.as_str())
            .bind(rule)
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent {
            at,
            kind: EventKind::Erasure,
            actor: actor.audit_actor(),
            record: Some(RecordRef {
                resource: resource_of(kind),
                id: *id.as_uuid(),
            }),
            field_groups: FieldGroups::ALL,
            purpose: actor.purpose(),
            outcome: Outcome::Success,
        };
        Self::append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// That a record was erased, if it was.
    pub async fn erasure_of(&self, id: RecordId) -> Result<Option<Erasure>, StoreError> {
        let row = sqlx::query("SELECT erased_at, erased_by, rule FROM erasures WHERE record_id = $1")
            .bind(DB::id_to_db(id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Erasure {
                record_id: id,
                erased_at: row.try_get("erased_at")?,
                erased_by: row.try_get("erased_by")?,
                rule: row.try_get("rule")?,
            })
        })
        .transpose()
    }
}

// Rotation also re-wraps the TOTP secrets' keys (bytes in `users`).
impl<DB> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DB::Id>: Encode<'q, DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    i32: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    /// Rotate the master key: every record's data key and every TOTP
    /// secret's data key is re-wrapped with `new`, and the database's key id
    /// changed, in one transaction (audited as a key rotation, no secret in
    /// it). The bodies are not touched: their data keys do not change. After
    /// the commit the old key is needed no more; until then nothing changed.
    pub async fn rotate_master_key(&self, new: MasterKey, actor: &Actor) -> Result<Rotation, StoreError> {
        let old = self.codec.keyring().ok_or(StoreError::Locked)?;
        let old_key = old.current().id();
        let new_key = new.id();
        let mut retired = vec![old.current().clone()];
        retired.extend(old.retired().iter().cloned());
        let rotated = BodyCodec::with_keys(Keyring::with_retired(new, retired));
        let mut tx = self.begin_write().await?;
        // First: writers that create data keys wait for the rotation (and
        // then see the new key id); this store must hold the current key.
        Self::check_current_key(&self.codec, &mut tx).await?;
        let rows = sqlx::query("SELECT record_id, wrapped FROM record_keys")
            .fetch_all(&mut *tx)
            .await?;
        let mut data_keys = 0;
        for row in &rows {
            let db_id: DB::Id = row.try_get("record_id")?;
            let owner = DB::uuid_from_db(db_id)?;
            let wrapped: String = row.try_get("wrapped")?;
            let (key_id, wrapped) = rotated.rewrap(owner, &wrapped)?;
            sqlx::query("UPDATE record_keys SET key_id = $1, wrapped = $2 WHERE record_id = $3")
                .bind(key_id)
                .bind(wrapped)
                .bind(DB::uuid_to_db(owner))
                .execute(&mut *tx)
                .await?;
            data_keys += 1;
        }
        let keyring = rotated.keyring().ok_or(StoreError::Locked)?;
        let users = sqlx::query("SELECT id, totp_wrapped_key FROM users WHERE totp_wrapped_key IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
        let mut totp_keys = 0;
        for row in &users {
            let db_id: DB::Id = row.try_get("id")?;
            let user = DB::uuid_from_db(db_id)?;
            let bytes: Vec<u8> = row.try_get("totp_wrapped_key")?;
            let unreadable = || StoreError::Undecryptable {
                id: user.to_string(),
                what: "second-factor key (wrong master key)",
            };
            let wrapped = WrappedKey::from_bytes(&bytes).map_err(|_| unreadable())?;
            let rewrapped = keyring.rewrap(&wrapped, &user).map_err(|_| unreadable())?;
            sqlx::query("UPDATE users SET totp_wrapped_key = $1 WHERE id = $2")
                .bind(rewrapped.to_bytes())
                .bind(DB::uuid_to_db(user))
                .execute(&mut *tx)
                .await?;
            totp_keys += 1;
        }
        let at = now();
        sqlx::query("UPDATE key_check SET key_id = $1, changed_at = $2 WHERE id = 1")
            .bind(new_key.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        let event = AuditEvent {
            at,
            kind: EventKind::KeyRotation,
            actor: actor.audit_actor(),
            record: None,
            field_groups: FieldGroups::NONE,
            purpose: actor.purpose(),
            outcome: Outcome::Success,
        };
        Self::append_events(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(Rotation {
            new_key,
            old_key,
            data_keys,
            totp_keys,
        })
    }
}
