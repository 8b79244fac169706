//! kinlink's authentication building blocks, as pure functions: the server
//! (phase 2) stores what they return and passes in the clock.
//!
//! - [`password`]: Argon2id hashing (parameters documented there) and a
//!   password policy (length and a zxcvbn strength estimate, no composition rules).
//! - [`totp`]: RFC 6238 second factor, ±1 step, a step never accepted twice.
//! - [`token`]: API tokens: random, shown once, stored as a SHA-256 hash with
//!   a public prefix to find them and scopes limiting them.
//! - [`session`]: session ids (256 random bits, stored hashed), expiry, and
//!   CSRF tokens bound to the session.
//! - [`throttle`]: sign-in throttling and temporary lockout, per account and
//!   per source, with exponential backoff; a pure state machine.

pub mod password;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| RandomError)?;
    Ok(bytes)
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
