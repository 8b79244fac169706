//! API tokens for machine clients: `klt_<prefix>_<secret>`. The prefix (48
//! random bits, hex) is public: it finds the stored token and identifies it in
//! lists and the audit. The secret (256 random bits) is shown once and stored
//! only as its SHA-256: a fast hash is enough for a secret with that much
//! entropy (Argon2 exists for passwords people choose).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinlink_policy::{Action, Resource};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{RandomError, random_bytes, sha256};

const TAG: &str = "klt";

/// What a token may be used for: one action on one resource. The user's roles
/// still apply; a scope only narrows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TokenScope {
    /// The resource.
    pub resource: Resource,
    /// The action.
    pub action: Action,
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource.as_str(), self.action.as_str())
    }
}

/// A scope that is not `resource:action`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a token scope is resource:action, e.g. child_case:read")]
pub struct InvalidScope;

impl std::str::FromStr for TokenScope {
    type Err = InvalidScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (resource, action) = s.split_once(':').ok_or(InvalidScope)?;
        Ok(TokenScope {
            resource: Resource::from_name(resource).ok_or(InvalidScope)?,
            action: Action::from_name(action).ok_or(InvalidScope)?,
        })
    }
}

impl From<TokenScope> for String {
    fn from(scope: TokenScope) -> String {
        scope.to_string()
    }
}

impl TryFrom<String> for TokenScope {
    type Error = InvalidScope;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// What is stored for a token: its prefix, the hash of its secret, its scopes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// Public identifier (12 hex characters).
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// What it may be used for.
    pub scopes: Vec<TokenScope>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("prefix", &self.prefix)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// A newly issued token: the text to show once, and what to store.
pub struct IssuedToken {
    /// The whole token, to show to the user once and never again.
    pub plaintext: Zeroizing<String>,
    /// What to store.
    pub stored: StoredToken,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

/// Issue a token with `scopes`.
pub fn issue(scopes: Vec<TokenScope>) -> Result<IssuedToken, RandomError> {
    let prefix = hex::encode(random_bytes::<6>()?);
    let secret = Zeroizing::new(random_bytes::<32>()?);
    let encoded = Zeroizing::new(URL_SAFE_NO_PAD.encode(secret.as_slice()));
    let plaintext = Zeroizing::new(format!("{TAG}_{prefix}_{}", encoded.as_str()));
    let secret_hash = hex::encode(sha256(encoded.as_bytes()));
    Ok(IssuedToken {
        plaintext,
        stored: StoredToken {
            prefix,
            secret_hash,
            scopes,
        },
    })
}

/// A token as presented in a request, split into its parts.
pub struct PresentedToken<'a> {
    /// The public prefix: look the stored token up by it.
    pub prefix: &'a str,
    secret: &'a str,
}

impl fmt::Debug for PresentedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedToken")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A presented token is not in the token format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a kinlink API token")]
pub struct MalformedToken;

/// Split a presented token (e.g. from `Authorization: Bearer ...`).
pub fn parse(presented: &str) -> Result<PresentedToken<'_>, MalformedToken> {
    let rest = presented
        .strip_prefix(TAG)
        .and_then(|r| r.strip_prefix('_'))
        .ok_or(MalformedToken)?;
    let (prefix, secret) = rest.split_once('_').ok_or(MalformedToken)?;
    let prefix_ok = prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43 && URL_SAFE_NO_PAD.decode(secret).is_ok();
    if prefix_ok && secret_ok {
        Ok(PresentedToken { prefix, secret })
    } else {
        Err(MalformedToken)
    }
}

impl StoredToken {
    /// Whether `presented` is this token (constant-time on the hash).
    pub fn matches(&self, presented: &PresentedToken<'_>) -> bool {
        let hash = hex::encode(sha256(presented.secret.as_bytes()));
        presented.prefix == self.prefix && bool::from(hash.as_bytes().ct_eq(self.secret_hash.as_bytes()))
    }

    /// Whether the token's scopes allow `action` on `resource`.
    pub fn allows(&self, resource: Resource, action: Action) -> bool {
        self.scopes.contains(&TokenScope { resource, action })
    }
}
