//! What every stored record type has in common.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ids::RecordKind;
use crate::validation::Checker;

/// A record type the store keeps with history and versions.
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: RecordKind;

    /// Report every invalid field to `checker` and fill derived fields
    /// (Gregorian spans, normalised codes). Called by [`crate::Validated::new`].
    fn check(&mut self, checker: &mut Checker);
}
