//! The words of the policy: agencies, roles, resources, actions, scopes and purposes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);
    };
}

id_type!(
    /// A user account (a person working for an agency).
    UserId
);
id_type!(
    /// An agency taking part in the deployment.
    AgencyId
);
id_type!(
    /// A team inside an agency (e.g. one reception centre's caseworkers).
    TeamId
);

/// What kind of organisation an agency is. The firewall turns on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyType {
    /// A statutory child protection authority.
    ChildProtectionAuthority,
    /// A non-governmental organisation.
    Ngo,
    /// A United Nations agency.
    UnAgency,
    /// A guardianship service appointing guardians for unaccompanied children.
    GuardianshipService,
    /// A court or other judicial body.
    Judiciary,
    /// A health service.
    Health,
    /// A school or education authority.
    Education,
    /// Police (not immigration enforcement unless the agency says so).
    Police,
    /// An immigration or border authority: on the enforcement side of the firewall.
    ImmigrationAuthority,
    /// Anything else.
    Other,
}

impl AgencyType {
    /// Every agency type, for exhaustive tests.
    pub const ALL: [AgencyType; 10] = [
        AgencyType::ChildProtectionAuthority,
        AgencyType::Ngo,
        AgencyType::UnAgency,
        AgencyType::GuardianshipService,
        AgencyType::Judiciary,
        AgencyType::Health,
        AgencyType::Education,
        AgencyType::Police,
        AgencyType::ImmigrationAuthority,
        AgencyType::Other,
    ];
}

/// An agency as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Its identifier.
    pub id: AgencyId,
    /// Its type.
    pub kind: AgencyType,
    /// Set by the administrator for an agency of another type that takes part
    /// in immigration enforcement (a border police unit, say). It can only
    /// widen the firewall, never narrow it: an immigration authority is on the
    /// enforcement side whatever this says.
    #[serde(default)]
    pub immigration_enforcement: bool,
}

impl Agency {
    /// Whether this agency is on the enforcement side of the firewall.
    pub fn is_immigration_enforcement(&self) -> bool {
        self.kind == AgencyType::ImmigrationAuthority || self.immigration_enforcement
    }
}

/// A role held by a user. A user may hold several; what they may do is the
/// union of what each role allows for the purpose they declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Registers children and manages their cases.
    Caseworker,
    /// Oversees a team's caseworkers and cases.
    Supervisor,
    /// A guardian or legal representative appointed for a child.
    Guardian,
    /// Searches for families and proposes matches.
    TracingOfficer,
    /// Sits on a best-interests determination panel.
    BidPanelMember,
    /// Handles cross-border cooperation with other agencies and countries.
    LiaisonOfficer,
    /// Reviews processing of personal data, answers access requests, erases.
    DataProtectionOfficer,
    /// Produces anonymised statistics.
    Statistician,
    /// Manages accounts and agencies; sees no child's data.
    Administrator,
}

impl Role {
    /// Every role, for exhaustive tests and documentation.
    pub const ALL: [Role; 9] = [
        Role::Caseworker,
        Role::Supervisor,
        Role::Guardian,
        Role::TracingOfficer,
        Role::BidPanelMember,
        Role::LiaisonOfficer,
        Role::DataProtectionOfficer,
        Role::Statistician,
        Role::Administrator,
    ];
}

/// What is being accessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A registered child's case.
    ChildCase,
    /// A relative's tracing request.
    TracingRequest,
    /// A proposed link between a tracing request and a case.
    MatchProposal,
    /// Consent records and legal bases.
    Consent,
    /// The audit log (who did what to which record; no personal values).
    AuditLog,
    /// Anonymised aggregate statistics: the only resource beyond the firewall.
    Statistics,
    /// User accounts, their roles and API tokens.
    UserAccount,
}

impl Resource {
    /// Every resource, for exhaustive tests.
    pub const ALL: [Resource; 7] = [
        Resource::ChildCase,
        Resource::TracingRequest,
        Resource::MatchProposal,
        Resource::Consent,
        Resource::AuditLog,
        Resource::Statistics,
        Resource::UserAccount,
    ];

    /// Whether this resource holds personal data of children or their families.
    pub const fn holds_personal_data(self) -> bool {
        matches!(
            self,
            Resource::ChildCase | Resource::TracingRequest | Resource::MatchProposal | Resource::Consent
        )
    }

    /// Stable name (as in the API and token scopes).
    pub const fn as_str(self) -> &'static str {
        match self {
            Resource::ChildCase => "child_case",
            Resource::TracingRequest => "tracing_request",
            Resource::MatchProposal => "match_proposal",
            Resource::Consent => "consent",
            Resource::AuditLog => "audit_log",
            Resource::Statistics => "statistics",
            Resource::UserAccount => "user_account",
        }
    }

    /// The resource with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What is being done to the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read one record.
    Read,
    /// List or search records.
    List,
    /// Create a record.
    Create,
    /// Change a record.
    Update,
    /// Export records in bulk (a file leaves the system).
    Export,
    /// Share with another agency or country, or refer to a service.
    Share,
    /// Erase (crypto-shred) a record.
    Erase,
}

impl Action {
    /// Every action, for exhaustive tests.
    pub const ALL: [Action; 7] = [
        Action::Read,
        Action::List,
        Action::Create,
        Action::Update,
        Action::Export,
        Action::Share,
        Action::Erase,
    ];

    /// Whether the action hands record content to the principal (so it needs redaction).
    pub const fn discloses(self) -> bool {
        matches!(self, Action::Read | Action::List | Action::Export | Action::Share)
    }

    /// Stable name (as in token scopes).
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::List => "list",
            Action::Create => "create",
            Action::Update => "update",
            Action::Export => "export",
            Action::Share => "share",
            Action::Erase => "erase",
        }
    }

    /// The action with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// How far a permission reaches, from narrowest to widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Records the user owns or is assigned to.
    Own,
    /// Records of the user's teams.
    Team,
    /// Records of the user's agency.
    Agency,
    /// Every record in the deployment.
    Deployment,
}

/// Why personal data is being processed. Every operation declares one; roles
/// allow only some, and each purpose limits the field groups it may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Managing the child's case.
    CaseManagement,
    /// Family tracing and reunification.
    Tracing,
    /// Best-interests assessment or determination.
    BestInterestsProcedure,
    /// Referring the child to a service (health, education, legal aid...).
    ServiceReferral,
    /// Producing anonymised statistics.
    Statistics,
    /// Reviewing the audit log.
    Audit,
    /// A data protection review: access requests, complaints, erasure.
    DataProtectionReview,
    /// Managing accounts and agencies. Not in the list: account
    /// management touches no child's data but still needs a declared purpose.
    Administration,
    /// Immigration enforcement. Exists so that a request can say so and be
    /// refused: no role allows it and the firewall refuses it first.
    ImmigrationEnforcement,
}

impl Purpose {
    /// Every purpose, for exhaustive tests.
    pub const ALL: [Purpose; 9] = [
        Purpose::CaseManagement,
        Purpose::Tracing,
        Purpose::BestInterestsProcedure,
        Purpose::ServiceReferral,
        Purpose::Statistics,
        Purpose::Audit,
        Purpose::DataProtectionReview,
        Purpose::Administration,
        Purpose::ImmigrationEnforcement,
    ];

    /// Stable name (as in the audit log and the API).
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::CaseManagement => "case_management",
            Purpose::Tracing => "tracing",
            Purpose::BestInterestsProcedure => "best_interests_procedure",
            Purpose::ServiceReferral => "service_referral",
            Purpose::Statistics => "statistics",
            Purpose::Audit => "audit",
            Purpose::DataProtectionReview => "data_protection_review",
            Purpose::Administration => "administration",
            Purpose::ImmigrationEnforcement => "immigration_enforcement",
        }
    }
}

/// How the principal authenticated (for the audit; the policy treats both alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A signed-in user's session.
    Session,
    /// A machine client's API token, issued to a user.
    ApiToken,
}

impl Via {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Via::Session => "session",
            Via::ApiToken => "api_token",
        }
    }
}

/// Who is asking: a user (or a token issued to one) of an agency, with roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user, or the user the token was issued to.
    pub user: UserId,
    /// The user's agency.
    pub agency: Agency,
    /// The teams the user belongs to.
    pub teams: Vec<TeamId>,
    /// The user's roles.
    pub roles: Vec<Role>,
    /// How they authenticated.
    pub via: Via,
}

/// Who a record belongs to, for scope checks. Built by the store from the
/// record's metadata, never from its personal content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordContext {
    /// The agency responsible for the record.
    pub agency: AgencyId,
    /// The team responsible, if any.
    pub team: Option<TeamId>,
    /// The user who created or owns the record.
    pub owner: Option<UserId>,
    /// Users assigned to the record (a guardian, a caseworker taking over).
    pub assigned: Vec<UserId>,
}

impl RecordContext {
    /// The narrowest scope that reaches this record from `principal`.
    pub fn scope_for(&self, principal: &Principal) -> Scope {
        if self.owner == Some(principal.user) || self.assigned.contains(&principal.user) {
            Scope::Own
        } else if self.team.is_some_and(|t| principal.teams.contains(&t))
            && self.agency == principal.agency.id
        {
            Scope::Team
        } else if self.agency == principal.agency.id {
            Scope::Agency
        } else {
            Scope::Deployment
        }
    }
}
