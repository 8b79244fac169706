//! Field groups: the fields of a record grouped by sensitivity.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A group of fields of the same sensitivity. Roles see and edit whole groups.
/// `ChildStatements` and `PhotosBiometrics` have no field in the records yet;
/// they exist so that the fields, when added, land in the right group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    /// Who the child is: names, sex, birth, nationality, origin, identity
    /// documents, ethnicity, religion, languages.
    Identity,
    /// How to reach a person and where they are now (or last lived).
    Contact,
    /// Family members, separation, and the inquirer of a tracing request.
    Family,
    /// Health: disability, mental health, medical conditions, pregnancy.
    Health,
    /// Protection concerns (trafficking, violence, armed forces...) and the
    /// caseworker's free-text notes, which tend to hold them.
    ProtectionConcerns,
    /// What the child said, in their own words.
    ChildStatements,
    /// Photographs and biometric data.
    PhotosBiometrics,
    /// Case administration: statuses, accompaniment, registration dates, care
    /// arrangement type. The least sensitive group.
    CaseStatus,
}

impl FieldGroup {
    /// Every group, in a fixed order.
    pub const ALL: [FieldGroup; 8] = [
        FieldGroup::Identity,
        FieldGroup::Contact,
        FieldGroup::Family,
        FieldGroup::Health,
        FieldGroup::ProtectionConcerns,
        FieldGroup::ChildStatements,
        FieldGroup::PhotosBiometrics,
        FieldGroup::CaseStatus,
    ];

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldGroup::Identity => "identity",
            FieldGroup::Contact => "contact",
            FieldGroup::Family => "family",
            FieldGroup::Health => "health",
            FieldGroup::ProtectionConcerns => "protection_concerns",
            FieldGroup::ChildStatements => "child_statements",
            FieldGroup::PhotosBiometrics => "photos_biometrics",
            FieldGroup::CaseStatus => "case_status",
        }
    }

    /// The group with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// A set of field groups. A bit set rather than a `BTreeSet` because it is
/// `Copy`, compared and combined everywhere in the policy; eight groups fit a byte.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FieldGroups(u8);

impl FieldGroups {
    /// No group.
    pub const NONE: FieldGroups = FieldGroups(0);
    /// Every group.
    pub const ALL: FieldGroups = FieldGroups::of(&FieldGroup::ALL);

    /// The set of the given groups.
    pub const fn of(groups: &[FieldGroup]) -> FieldGroups {
        let mut bits = 0;
        let mut i = 0;
        while i < groups.len() {
            bits |= groups[i].bit();
            i += 1;
        }
        FieldGroups(bits)
    }

    /// The set holding one group.
    pub const fn only(group: FieldGroup) -> FieldGroups {
        FieldGroups(group.bit())
    }

    /// Every group but these.
    pub const fn all_but(groups: &[FieldGroup]) -> FieldGroups {
        FieldGroups(FieldGroups::ALL.0 & !FieldGroups::of(groups).0)
    }

    /// Whether `group` is in the set.
    pub const fn contains(self, group: FieldGroup) -> bool {
        self.0 & group.bit() != 0
    }

    /// Whether every group of `other` is in the set.
    pub const fn is_superset(self, other: FieldGroups) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Groups in either set.
    pub const fn union(self, other: FieldGroups) -> FieldGroups {
        FieldGroups(self.0 | other.0)
    }

    /// Groups in both sets.
    pub const fn intersection(self, other: FieldGroups) -> FieldGroups {
        FieldGroups(self.0 & other.0)
    }

    /// Groups in `self` but not in `other`.
    pub const fn difference(self, other: FieldGroups) -> FieldGroups {
        FieldGroups(self.0 & !other.0)
    }

    /// Add a group.
    pub fn insert(&mut self, group: FieldGroup) {
        self.0 |= group.bit();
    }

    /// The groups, in [`FieldGroup::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = FieldGroup> {
        FieldGroup::ALL.into_iter().filter(move |g| self.contains(*g))
    }

    /// The set from its bits (for proptest strategies and storage).
    pub const fn from_bits(bits: u8) -> FieldGroups {
        FieldGroups(bits)
    }

    /// The bits of the set.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

impl FromIterator<FieldGroup> for FieldGroups {
    fn from_iter<I: IntoIterator<Item = FieldGroup>>(iter: I) -> Self {
        let mut set = FieldGroups::NONE;
        for g in iter {
            set.insert(g);
        }
        set
    }
}

impl fmt::Debug for FieldGroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for FieldGroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(FieldGroup::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

impl Serialize for FieldGroups {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldGroups {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let groups = Vec::<FieldGroup>::deserialize(deserializer)?;
        Ok(groups.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_agree_with_membership() {
        for bits_a in 0..=u8::MAX {
            let a = FieldGroups::from_bits(bits_a);
            let b = FieldGroups::of(&[FieldGroup::Health, FieldGroup::Identity]);
            for g in FieldGroup::ALL {
                assert_eq!(a.union(b).contains(g), a.contains(g) || b.contains(g));
                assert_eq!(a.intersection(b).contains(g), a.contains(g) && b.contains(g));
                assert_eq!(a.difference(b).contains(g), a.contains(g) && !b.contains(g));
            }
            assert_eq!(a.iter().collect::<FieldGroups>(), a);
        }
    }

    #[test]
    fn serialises_as_names() {
        let set = FieldGroups::of(&[FieldGroup::Contact, FieldGroup::CaseStatus]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["contact","case_status"]"#);
        assert_eq!(serde_json::from_str::<FieldGroups>(&json).unwrap(), set);
        assert_eq!(FieldGroups::all_but(&[FieldGroup::Health]).iter().count(), 7);
    }
}
