//! Passwords: Argon2id hashes in PHC string form, and the password policy.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::{RandomError, random_bytes};

/// A password as typed, normalised to NFKC (so the same password typed on two
/// keyboards that compose characters differently is the same). Zeroized on
/// drop; `Debug` does not show it.
pub struct Password(Zeroizing<String>);

impl Password {
    /// The password typed.
    pub fn new(typed: &str) -> Self {
        Password(Zeroizing::new(typed.nfkc().collect()))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Why a new password is refused. Never repeats the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    /// Shorter than the policy's minimum.
    #[error("the password must have at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// Longer than the policy's maximum.
    #[error("the password must have at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Easy to guess: a common password, a pattern, a date.
    #[error("the password is too easy to guess; a few unrelated words make a strong one")]
    TooGuessable,
    /// Contains the user's own name or user name.
    #[error("the password must not contain your name or user name")]
    ContainsUserInfo,
}

/// The password policy, after NIST SP 800-63B: a minimum length, no
/// composition rules, and a refusal of guessable passwords, estimated with
/// zxcvbn (dictionaries of common passwords, names and words, keyboard
/// patterns, dates, and the user's own names and e-mail given as inputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (12: these accounts reach children's data).
    pub min_chars: usize,
    /// Maximum length, to bound hashing work.
    pub max_chars: usize,
    /// Minimum zxcvbn score, 0 to 4 (3: "safely unguessable", about 10^10 guesses).
    pub min_score: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 256,
            min_score: 3,
        }
    }
}

impl PasswordPolicy {
    /// Check a new password. `user_inputs` are the user's own words (user
    /// name, names, e-mail), which make a password guessable.
    pub fn check(&self, password: &Password, user_inputs: &[&str]) -> Result<(), PasswordRejected> {
        let chars = password.0.chars().count();
        if chars < self.min_chars {
            return Err(PasswordRejected::TooShort { min: self.min_chars });
        }
        if chars > self.max_chars {
            return Err(PasswordRejected::TooLong { max: self.max_chars });
        }
        // zxcvbn weighs user inputs but can still score "Nadia-Osmani-1" as
        // strong; refuse any part of them of four letters or more outright.
        let lowered = password.0.to_lowercase();
        let personal = user_inputs
            .iter()
            .flat_map(|input| input.split(|c: char| !c.is_alphanumeric()))
            .filter(|part| part.chars().count() >= 4)
            .any(|part| lowered.contains(&part.to_lowercase()));
        if personal {
            return Err(PasswordRejected::ContainsUserInfo);
        }
        let score = u8::from(zxcvbn::zxcvbn(&password.0, user_inputs).score());
        if score < self.min_score {
            return Err(PasswordRejected::TooGuessable);
        }
        Ok(())
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's Argon2id configuration (m = 19 MiB, t = 2, p = 1): about 50 ms
    /// on a server core, and 19 MiB per attempt makes GPU guessing expensive.
    /// Raise them here; stored hashes record their own parameters and are
    /// upgraded on the next sign-in ([`PasswordHasher::needs_rehash`]).
    pub const RECOMMENDED: HashParams = HashParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

/// Hashing or verifying failed (not "wrong password", which is `Ok(false)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordHashError {
    /// The stored hash is not an Argon2 PHC string.
    #[error("the stored password hash is malformed")]
    Malformed,
    /// The parameters are invalid.
    #[error("invalid Argon2 parameters")]
    Parameters,
    /// Argon2 failed.
    #[error("password hashing failed")]
    Hashing,
    /// No randomness for the salt.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Hashes and verifies passwords with Argon2id.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: HashParams,
}

impl PasswordHasher {
    /// A hasher with these parameters.
    pub fn new(params: HashParams) -> Self {
        Self { params }
    }

    fn argon2(&self) -> Result<Argon2<'static>, PasswordHashError> {
        let HashParams {
            memory_kib,
            iterations,
            parallelism,
        } = self.params;
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|_| PasswordHashError::Parameters)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string to store (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`),
    /// with a fresh 128-bit salt.
    pub fn hash(&self, password: &Password) -> Result<String, PasswordHashError> {
        let salt_bytes: [u8; 16] = random_bytes()?;
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| PasswordHashError::Hashing)?;
        let hash = self
            .argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| PasswordHashError::Hashing)?;
        Ok(hash.to_string())
    }

    /// Whether `password` is the one `stored` was made from (constant time,
    /// with the parameters recorded in `stored`).
    pub fn verify(&self, stored: &str, password: &Password) -> Result<bool, PasswordHashError> {
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordHashError::Malformed)?;
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            return Err(PasswordHashError::Malformed);
        }
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(_) => Err(PasswordHashError::Malformed),
        }
    }

    /// Whether `stored` was made with other parameters than this hasher's, so
    /// that it should be replaced after a successful sign-in.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm != argon2::ARGON2ID_IDENT
            || params.m_cost() != self.params.memory_kib
            || params.t_cost() != self.params.iterations
            || params.p_cost() != self.params.parallelism
    }
}
