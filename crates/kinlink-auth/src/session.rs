//! Sessions and CSRF tokens. A session id is 256 random bits, sent in an
//! HttpOnly, SameSite cookie and stored only as its SHA-256, so a copy of the
//! database holds no usable session. The CSRF token of a session is an HMAC
//! of the session's stored hash under a server key: forms carry it, a request
//! from another site cannot know it, and it is worthless for any other session.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{RandomError, random_bytes, sha256};

/// The stored form of a session id: its SHA-256, hex.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SessionHash(pub String);

impl SessionHash {
    /// The hash of a cookie's session id.
    pub fn of(cookie_value: &str) -> Self {
        SessionHash(hex::encode(sha256(cookie_value.as_bytes())))
    }
}

/// A new session: the cookie value (secret) and what to store.
pub struct NewSession {
    /// The value of the session cookie.
    pub cookie_value: Zeroizing<String>,
    /// What to store and look sessions up by.
    pub hash: SessionHash,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// Start a session.
pub fn new_session() -> Result<NewSession, RandomError> {
    let id = Zeroizing::new(random_bytes::<32>()?);
    let cookie_value = Zeroizing::new(URL_SAFE_NO_PAD.encode(id.as_slice()));
    let hash = SessionHash::of(&cookie_value);
    Ok(NewSession { cookie_value, hash })
}

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (30 minutes: a shared computer in a reception centre).
    pub idle: Duration,
    /// A session ends this long after sign-in whatever happens (12 hours: one working day).
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    /// Whether a session created at `created` and last used at `last_seen` is still valid at `now`.
    pub fn is_valid(&self, created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now >= created && now - created < self.absolute && now - last_seen < self.idle
    }
}

/// The server key for CSRF tokens (derive it from the master key with a label of its own).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    /// The key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self, session: &SessionHash) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(b"kinlink csrf v1\0");
        mac.update(session.0.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The CSRF token of `session`, to put in its forms.
    pub fn token(&self, session: &SessionHash) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(session))
    }

    /// Whether `presented` is `session`'s CSRF token (constant time).
    pub fn verify(&self, session: &SessionHash, presented: &str) -> bool {
        let expected = self.token(session);
        bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}
