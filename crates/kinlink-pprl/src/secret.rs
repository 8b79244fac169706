//! The agreement secret and the keys derived from it.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::PprlError;
use crate::features::Feature;

/// Shortest agreement secret accepted (256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Domain separation of every key this crate derives (version 1 of the encoding).
const CONTEXT: &[u8] = b"kinlink-pprl/v1";

/// The secret two nodes share under a data-sharing agreement (exchanged
/// with the agreement, never sent with an encoding). Wiped on drop; not
/// shown by `Debug`.
pub struct AgreementSecret(Zeroizing<Vec<u8>>);

impl AgreementSecret {
    /// Wraps secret bytes (at least [`MIN_SECRET_BYTES`], uniformly random).
    pub fn new(bytes: &[u8]) -> Result<AgreementSecret, PprlError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(PprlError::SecretTooShort {
                got: bytes.len(),
                min: MIN_SECRET_BYTES,
            });
        }
        Ok(AgreementSecret(Zeroizing::new(bytes.to_vec())))
    }
}

impl std::fmt::Debug for AgreementSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgreementSecret(..)")
    }
}

/// The keys of one agreement: one HMAC-SHA256 key per [`Feature`], one for
/// the hardening noise. Derived with HKDF-SHA256 (RFC 5869): the agreement
/// id is the salt, so two agreements sharing a secret by mistake still get
/// unrelated keys; the info string names the key's use.
///
/// The per-feature HMACs are kept keyed (inner and outer pads already
/// hashed): encoding a token clones one and hashes only the token.
#[derive(Clone)]
pub struct LinkageKey {
    features: Vec<Hmac<Sha256>>,
    noise: Hmac<Sha256>,
}

impl std::fmt::Debug for LinkageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkageKey(..)")
    }
}

impl LinkageKey {
    /// Derives the keys of agreement `agreement_id` (any stable id both
    /// nodes know, e.g. the agreement's UUID as text).
    pub fn derive(secret: &AgreementSecret, agreement_id: &str) -> Result<LinkageKey, PprlError> {
        if agreement_id.is_empty() {
            return Err(PprlError::EmptyAgreementId);
        }
        let hk = Hkdf::<Sha256>::new(Some(agreement_id.as_bytes()), &secret.0);
        let key = |label: &str| -> Hmac<Sha256> {
            let mut okm = [0u8; 32];
            let info = [CONTEXT, b"/", label.as_bytes()].concat();
            // 32 bytes is far below HKDF-SHA256's limit of 255 * 32.
            hk.expand(&info, &mut okm)
                .expect("32 bytes is a valid HKDF output length");
            let mac = <Hmac<Sha256> as Mac>::new_from_slice(&okm).expect("HMAC accepts any key length");
            okm.zeroize();
            mac
        };
        Ok(LinkageKey {
            features: Feature::ALL.iter().map(|f| key(f.label())).collect(),
            noise: key("noise"),
        })
    }

    /// The keyed HMAC of a feature (to be cloned per token).
    pub(crate) fn feature(&self, feature: Feature) -> &Hmac<Sha256> {
        &self.features[feature as usize]
    }

    /// The keyed HMAC of the hardening noise.
    pub(crate) fn noise(&self) -> &Hmac<Sha256> {
        &self.noise
    }
}
