//! The body codec: the one place where record bodies are sealed on the way
//! into the database and opened on the way out.
//!
//! Every path that writes or reads a body (`insert`, `update`, `import`,
//! `get`, `list`, `history`, the matcher's change feed, a match review's
//! record updates) goes through [`BodyCodec`], so a new path cannot store a
//! plaintext body by forgetting a call: the SQL helpers of `sql.rs` take the
//! plaintext and the codec together. Other sealed rows (a case file) call
//! the same functions ([`SqlStore::seal_body`](crate::SqlStore::seal_body),
//! [`SqlStore::open_body`](crate::SqlStore::open_body)).
//!
//! Storage form of a sealed body: `kl1:` then the base64 of
//! [`kinlink_crypto::Sealed`] (XChaCha20-Poly1305 with the record's data key;
//! associated data: the record id and `v<version>`, so a body cannot be moved
//! to another record, or to another version of the same record, unnoticed).
//! A body without the prefix is plaintext JSON: written before encryption
//! (sealed on the first open with a master key) or by a store opened without
//! keys on a database that has never had any (tests).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use kinlink_crypto::{BlindIndexKey, DataKey, KeyId, Keyring, Sealed, WrappedKey};
use uuid::Uuid;

use crate::StoreError;

/// The prefix of a sealed body.
pub const SEALED_PREFIX: &str = "kl1:";

/// Whether a stored body is sealed (rather than plaintext JSON).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

enum Mode {
    /// No key, and the database has never been opened with one: bodies are
    /// stored as plaintext JSON (tests, and databases from before 0006).
    Plaintext,
    /// No key, but the database is encrypted: every body read or write is
    /// refused with [`StoreError::Locked`] (accounts and the audit log still work).
    Locked,
    /// Bodies are sealed.
    Keys { keyring: Keyring, blind: BlindIndexKey },
}

/// Seals and opens bodies; cheap to clone.
#[derive(Clone)]
pub struct BodyCodec {
    mode: Arc<Mode>,
}

impl std::fmt::Debug for BodyCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &*self.mode {
            Mode::Plaintext => "plaintext",
            Mode::Locked => "locked",
            Mode::Keys { .. } => "encrypting",
        };
        f.debug_struct("BodyCodec").field("mode", &mode).finish()
    }
}

fn context(version: i64) -> Vec<u8> {
    format!("v{version}").into_bytes()
}

impl BodyCodec {
    pub(crate) fn plaintext() -> Self {
        Self {
            mode: Arc::new(Mode::Plaintext),
        }
    }

    pub(crate) fn locked() -> Self {
        Self {
            mode: Arc::new(Mode::Locked),
        }
    }

    pub(crate) fn with_keys(keyring: Keyring) -> Self {
        let blind = BlindIndexKey::derive(keyring.current());
        Self {
            mode: Arc::new(Mode::Keys { keyring, blind }),
        }
    }

    /// Whether bodies are sealed on write.
    pub fn is_encrypting(&self) -> bool {
        matches!(&*self.mode, Mode::Keys { .. })
    }

    pub(crate) fn keyring(&self) -> Option<&Keyring> {
        match &*self.mode {
            Mode::Keys { keyring, .. } => Some(keyring),
            _ => None,
        }
    }

    /// The keyed blind index of a value in `field` (hex), for equality
    /// lookups without the plaintext; `None` without keys.
    pub fn blind_index(&self, field: &str, value: &str) -> Option<String> {
        match &*self.mode {
            Mode::Keys { blind, .. } => Some(blind.index(field, value).to_string()),
            _ => None,
        }
    }

    /// The id of the master key new wraps are made with.
    pub fn current_key_id(&self) -> Option<KeyId> {
        self.keyring().map(|k| k.current().id())
    }

    /// A new data key for `owner`, and its wrapped storage form (`key id`,
    /// base64). `None` in plaintext mode.
    pub fn new_key(&self, owner: Uuid) -> Result<Option<(DataKey, String, String)>, StoreError> {
        match &*self.mode {
            Mode::Plaintext => Ok(None),
            Mode::Locked => Err(StoreError::Locked),
            Mode::Keys { keyring, .. } => {
                let key =
                    DataKey::generate().map_err(|_| StoreError::Crypto("could not generate a data key"))?;
                let wrapped = keyring
                    .wrap(&key, &owner)
                    .map_err(|_| StoreError::Crypto("could not wrap a data key"))?;
                Ok(Some((
                    key,
                    wrapped.key_id().to_string(),
                    BASE64.encode(wrapped.to_bytes()),
                )))
            }
        }
    }

    /// Unwrap `owner`'s stored data key.
    pub fn unwrap_key(&self, owner: Uuid, wrapped: &str) -> Result<DataKey, StoreError> {
        let keyring = match &*self.mode {
            Mode::Keys { keyring, .. } => keyring,
            _ => return Err(StoreError::Locked),
        };
        let wrapped = decode_wrapped(owner, wrapped)?;
        keyring
            .unwrap(&wrapped, &owner)
            .map_err(|_| StoreError::Undecryptable {
                id: owner.to_string(),
                what: "data key (wrong master key, or a key of another record)",
            })
    }

    /// Re-wrap `owner`'s stored data key with the current master key (key
    /// rotation); the data key, and so the sealed bodies, stay as they are.
    pub(crate) fn rewrap(&self, owner: Uuid, wrapped: &str) -> Result<(String, String), StoreError> {
        let keyring = self.keyring().ok_or(StoreError::Locked)?;
        let rewrapped = keyring
            .rewrap(&decode_wrapped(owner, wrapped)?, &owner)
            .map_err(|_| StoreError::Undecryptable {
                id: owner.to_string(),
                what: "data key (wrong master key, or a key of another record)",
            })?;
        Ok((
            rewrapped.key_id().to_string(),
            BASE64.encode(rewrapped.to_bytes()),
        ))
    }

    /// The storage form of `plaintext`, version `version` of `owner`: sealed
    /// with `key`, or plaintext when the store has no keys (then `key` is `None`).
    pub fn seal(
        &self,
        key: Option<&DataKey>,
        owner: Uuid,
        version: i64,
        plaintext: &str,
    ) -> Result<String, StoreError> {
        match (&*self.mode, key) {
            (Mode::Plaintext, _) => Ok(plaintext.to_owned()),
            (Mode::Locked, _) => Err(StoreError::Locked),
            (Mode::Keys { .. }, None) => Err(StoreError::Crypto("a body to seal has no data key")),
            (Mode::Keys { .. }, Some(key)) => {
                let sealed = key
                    .seal(&owner, &context(version), plaintext.as_bytes())
                    .map_err(|_| StoreError::Crypto("could not seal a body"))?;
                let bytes = sealed.to_bytes();
                let mut out = String::with_capacity(SEALED_PREFIX.len() + bytes.len() * 4 / 3 + 4);
                out.push_str(SEALED_PREFIX);
                BASE64.encode_string(bytes, &mut out);
                Ok(out)
            }
        }
    }

    /// The plaintext of a stored body of `owner` at `version`. `key` is the
    /// owner's data key if it has one; a sealed body without one was erased.
    pub fn open(
        &self,
        key: Option<&DataKey>,
        owner: Uuid,
        version: i64,
        stored: String,
    ) -> Result<String, StoreError> {
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored);
        };
        if !matches!(&*self.mode, Mode::Keys { .. }) {
            return Err(StoreError::Locked);
        }
        let Some(key) = key else {
            return Err(StoreError::Erased {
                id: owner.to_string(),
            });
        };
        let undecryptable = || StoreError::Undecryptable {
            id: owner.to_string(),
            what: "body (sealed for another record or version, or altered)",
        };
        let bytes = BASE64.decode(encoded).map_err(|_| undecryptable())?;
        let sealed = Sealed::from_bytes(&bytes).map_err(|_| undecryptable())?;
        let plain = key
            .open(&owner, &context(version), &sealed)
            .map_err(|_| undecryptable())?;
        String::from_utf8(plain.to_vec()).map_err(|_| undecryptable())
    }

    /// [`BodyCodec::open`] with the owner's wrapped key as stored (`None`: no key row).
    pub fn open_stored(
        &self,
        wrapped: Option<&str>,
        owner: Uuid,
        version: i64,
        stored: String,
    ) -> Result<String, StoreError> {
        if !is_sealed(&stored) {
            return Ok(stored);
        }
        let key = wrapped.map(|w| self.unwrap_key(owner, w)).transpose()?;
        self.open(key.as_ref(), owner, version, stored)
    }
}

fn decode_wrapped(owner: Uuid, wrapped: &str) -> Result<WrappedKey, StoreError> {
    BASE64
        .decode(wrapped)
        .ok()
        .and_then(|bytes| WrappedKey::from_bytes(&bytes).ok())
        .ok_or_else(|| StoreError::Corrupt {
            id: owner.to_string(),
            reason: "malformed wrapped data key".to_owned(),
        })
}
