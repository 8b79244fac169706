//! Tracing requests: a relative looking for a child.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::child::{ChildIdentity, Contact, MAX_SOUGHT_CHILDREN, Place, Relation, TracingStatus};
use crate::ids::RecordKind;
use crate::names::PersonName;
use crate::record::Record;
use crate::validation::Checker;

/// The person asking for the search.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Inquirer {
    pub names: PersonName,
    /// The inquirer's relation to the sought children.
    pub relation: Relation,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub location: Option<Place>,
}

/// A request from a relative to find one or more children.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TracingRequest {
    pub inquirer: Inquirer,
    /// The children sought, described as far as the inquirer knows them.
    pub sought_children: Vec<ChildIdentity>,
    #[serde(default)]
    pub status: TracingStatus,
    /// The date of the inquiry (Gregorian).
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl Record for TracingRequest {
    const KIND: RecordKind = RecordKind::TracingRequest;

    fn check(&mut self, checker: &mut Checker) {
        if self.inquirer.names.is_empty() {
            checker.fail("inquirer.names", "the inquirer needs at least one name");
        }
        checker.person_name("inquirer.names", &self.inquirer.names);
        if let Some(c) = &self.inquirer.contact {
            c.check(checker, "inquirer.contact");
        }
        if let Some(l) = &mut self.inquirer.location {
            l.check(checker, "inquirer.location");
        }
        if self.sought_children.is_empty() {
            checker.fail("sought_children", "name at least one sought child");
        } else if self.sought_children.len() > MAX_SOUGHT_CHILDREN {
            checker.fail(
                "sought_children",
                format!("at most {MAX_SOUGHT_CHILDREN} children per request"),
            );
        }
        for (i, child) in self.sought_children.iter_mut().enumerate() {
            child.check(checker, &format!("sought_children[{i}]"));
        }
        if let Some(d) = self.recorded_on {
            checker.not_in_future("recorded_on", d);
        }
        if let Some(n) = &self.notes {
            checker.text("notes", n);
        }
    }
}
