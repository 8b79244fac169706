//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, what every authenticator app speaks). Written on `hmac` + `sha1`
//! rather than a TOTP crate because replay prevention needs the matching step,
//! which is the one thing the crates hide; the algorithm is RFC 4226's
//! dynamic truncation and is tested against the RFC's own vectors.

use std::fmt;

use hmac::{Hmac, Mac};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{RandomError, random_bytes};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one (clock drift, typing time).
pub const WINDOW: u64 = 1;

/// A user's TOTP secret: 160 random bits (RFC 4226's recommendation).
/// Stored encrypted like personal data; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TotpSecret([u8; 20]);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// Not six digits.
    #[error("a code is six digits")]
    Malformed,
    /// Not the code of the current step or the one either side.
    #[error("the code is wrong or expired")]
    Wrong,
    /// The code's step was already used: refused so that a code seen over a
    /// shoulder or in a log cannot be used again.
    #[error("this code was already used; wait for the next one")]
    Replayed,
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(random_bytes()?))
    }

    /// The secret from its stored bytes.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    /// The bytes, for storing (encrypted).
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The secret in base32, as typed into an authenticator app by hand.
    pub fn to_base32(&self) -> String {
        base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &self.0)
    }

    /// The `otpauth://` URI an authenticator app reads from a QR code.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = utf8_percent_encode(issuer, NON_ALPHANUMERIC);
        let account = utf8_percent_encode(account, NON_ALPHANUMERIC);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32()
        )
    }

    /// The code of `step` (RFC 4226 HOTP with the step as counter).
    pub fn code_at_step(&self, step: u64) -> u32 {
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let truncated = u32::from_be_bytes([
            digest[offset],
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]) & 0x7fff_ffff;
        truncated % 10u32.pow(DIGITS)
    }

    /// Check `code` at `unix_time`. `last_used_step` is the step of the last
    /// code accepted for this user; only a later step is accepted. Returns the
    /// step accepted, which the caller stores as the new `last_used_step`.
    pub fn verify(&self, code: &str, unix_time: u64, last_used_step: Option<u64>) -> Result<u64, TotpError> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::Malformed);
        }
        let now = unix_time / STEP_SECONDS;
        let mut matched = None;
        // Check every step of the window, not stopping early, so the time
        // taken does not tell which step matched.
        for step in now.saturating_sub(WINDOW)..=now + WINDOW {
            let expected = format!("{:0width$}", self.code_at_step(step), width = DIGITS as usize);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpError::Wrong)?;
        if last_used_step.is_some_and(|last| step <= last) {
            return Err(TotpError::Replayed);
        }
        Ok(step)
    }
}
