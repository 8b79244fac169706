//! Referrals to services, whatever the child's migration status.
//!
//! A referral to another agency shares the child's data, so it needs the
//! child's (or guardian's) consent or a documented legal basis; consent
//! records themselves belong to the security layer and are referenced here.
//! Immigration authorities are never a referral destination (the firewall).

use chrono::{DateTime, NaiveDate, Utc};
use kinlink_core::validation::Checker;
use serde::{Deserialize, Serialize};

use crate::forms::{OrganisationKind, check_text};
use crate::ids::{EntryId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Health,
    Education,
    LegalAid,
    Psychosocial,
    Shelter,
    GenderBasedViolence,
    NationalChildProtection,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Sent,
    Accepted,
    Declined,
    Done,
}

impl ReferralStatus {
    /// Sent → accepted or declined; accepted → done. Declined and done are final.
    pub fn can_become(self, next: ReferralStatus) -> bool {
        use ReferralStatus::*;
        matches!(
            (self, next),
            (Sent, Accepted) | (Sent, Declined) | (Accepted, Done)
        )
    }

    pub fn is_open(self) -> bool {
        matches!(self, ReferralStatus::Sent | ReferralStatus::Accepted)
    }
}

/// Why the child's data may be shared with another agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SharingBasis {
    /// A consent record kept by the security layer.
    Consent { consent_ref: String },
    /// The law or agreement that allows the transfer, e.g. a statute section.
    LegalBasis { reference: String },
}

/// Who receives the referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralRecipient {
    /// Organisation or service name (an organisation, not a person).
    pub organisation: String,
    pub kind: OrganisationKind,
    /// Whether it is another agency than the one holding the case.
    pub other_agency: bool,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    pub id: EntryId,
    pub service: ServiceKind,
    pub recipient: ReferralRecipient,
    #[serde(default)]
    pub basis: Option<SharingBasis>,
    pub status: ReferralStatus,
    pub sent_at: DateTime<Utc>,
    pub sent_by: UserId,
    /// By when the service should have responded or been delivered.
    pub due: NaiveDate,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Referral {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        checker.line(
            &format!("{path}.recipient.organisation"),
            &self.recipient.organisation,
            200,
        );
        match &self.basis {
            Some(SharingBasis::Consent { consent_ref }) => {
                checker.line(&format!("{path}.basis.consent_ref"), consent_ref, 200)
            }
            Some(SharingBasis::LegalBasis { reference }) => {
                check_text(checker, &format!("{path}.basis.reference"), reference)
            }
            None => {}
        }
        if self.due < self.sent_at.date_naive() {
            checker.fail(format!("{path}.due"), "is before the referral was sent");
        }
    }
}
