//! Which field group each field of a record belongs to, and the operations
//! built on that one table: projection (redaction), the groups a record holds,
//! the groups a change touches, and overlaying permitted groups of an edit onto
//! the stored record.
//!
//! The operations work on the records' JSON form, so that a withheld field is
//! absent rather than replaced by a default that would say something false
//! ("sex: unknown"). A field with no rule is unclassified: it is withheld from
//! everyone and may not be changed (fail closed); a test serialises fully
//! populated records and fails if any field is unclassified.

use std::collections::HashMap;
use std::sync::LazyLock;

use kinlink_core::{RecordKind, Vulnerability};
use serde_json::{Map, Value};

use crate::groups::{FieldGroup, FieldGroups};

/// How the fields at one path are classified.
#[derive(Clone, Copy)]
enum Rule {
    /// The whole value at this path belongs to one group.
    Group(FieldGroup),
    /// At an array's element path (`x[]`): each element is classified by its
    /// value (a vulnerability is health or a protection concern).
    ByValue(fn(&Value) -> FieldGroup),
}

/// The group of one vulnerability: health conditions are health data; the rest
/// are protection concerns. An unknown value is treated as the stricter group.
pub fn vulnerability_group(vulnerability: Vulnerability) -> FieldGroup {
    use Vulnerability::*;
    match vulnerability {
        Disability | MentalHealth | MedicalCondition | Pregnancy => FieldGroup::Health,
        GenderBasedViolence
        | Trafficking
        | ChildHeadedHousehold
        | Statelessness
        | ChildLabour
        | AssociatedWithArmedForces
        | ChildMarriage
        | InConflictWithTheLaw
        | Other => FieldGroup::ProtectionConcerns,
    }
}

fn vulnerability_value_group(value: &Value) -> FieldGroup {
    serde_json::from_value::<Vulnerability>(value.clone())
        .map(vulnerability_group)
        .unwrap_or(FieldGroup::ProtectionConcerns)
}

type Rules = HashMap<String, Rule>;

/// The identity fields shared by a case's child and a request's sought children.
fn child_identity_rules(rules: &mut Rules, prefix: &str) {
    use FieldGroup::*;
    for field in [
        "names",
        "sex",
        "date_of_birth",
        "age_estimate",
        "nationalities",
        "stateless",
        "country_of_origin",
        "place_of_origin",
        "documents",
        "ethnicity",
        "religion",
        "languages",
    ] {
        rules.insert(format!("{prefix}.{field}"), Rule::Group(Identity));
    }
    // Where the child last lived: whereabouts, like a current location.
    rules.insert(format!("{prefix}.last_address"), Rule::Group(Contact));
    rules.insert(format!("{prefix}.separation"), Rule::Group(Family));
    // Relatives' names, whereabouts and contacts are what tracing works with:
    // one group, so that no role sees a relative's phone without their name.
    rules.insert(format!("{prefix}.family"), Rule::Group(Family));
}

fn case_rules() -> Rules {
    use FieldGroup::*;
    let mut rules = Rules::new();
    child_identity_rules(&mut rules, "child");
    for (path, group) in [
        ("accompaniment", CaseStatus),
        ("current_location", Contact),
        ("care_arrangement.kind", CaseStatus),
        ("care_arrangement.since", CaseStatus),
        ("care_arrangement.place", Contact),
        ("care_arrangement.notes", ProtectionConcerns),
        ("tracing_status", CaseStatus),
        ("recorded_on", CaseStatus),
        ("notes", ProtectionConcerns),
    ] {
        rules.insert(path.to_owned(), Rule::Group(group));
    }
    rules.insert(
        "vulnerabilities[]".to_owned(),
        Rule::ByValue(vulnerability_value_group),
    );
    rules
}

fn tracing_rules() -> Rules {
    use FieldGroup::*;
    let mut rules = Rules::new();
    child_identity_rules(&mut rules, "sought_children[]");
    for (path, group) in [
        ("inquirer.names", Family),
        ("inquirer.relation", Family),
        ("inquirer.contact", Contact),
        ("inquirer.location", Contact),
        ("status", CaseStatus),
        ("recorded_on", CaseStatus),
        ("notes", ProtectionConcerns),
    ] {
        rules.insert(path.to_owned(), Rule::Group(group));
    }
    rules
}

static CASE_RULES: LazyLock<Rules> = LazyLock::new(case_rules);
static TRACING_RULES: LazyLock<Rules> = LazyLock::new(tracing_rules);

fn rules_for(kind: RecordKind) -> &'static Rules {
    match kind {
        RecordKind::ChildCase => &CASE_RULES,
        RecordKind::TracingRequest => &TRACING_RULES,
    }
}

/// What a projection keeps.
#[derive(Clone, Copy)]
struct Keep {
    groups: FieldGroups,
    unclassified: bool,
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether a value holds nothing: an object or array with nothing non-empty in it.
fn is_hollow(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().all(is_hollow),
        Value::Array(items) => items.iter().all(is_hollow),
        _ => false,
    }
}

fn project(rules: &Rules, value: &Value, path: &str, keep: Keep) -> Option<Value> {
    match rules.get(path) {
        Some(Rule::Group(group)) => return keep.groups.contains(*group).then(|| value.clone()),
        Some(Rule::ByValue(_)) | None => {}
    }
    match value {
        Value::Object(map) => {
            let projected: Map<String, Value> = map
                .iter()
                .filter_map(|(key, child)| {
                    project(rules, child, &child_path(path, key), keep).map(|v| (key.clone(), v))
                })
                .collect();
            (!projected.is_empty()).then_some(Value::Object(projected))
        }
        Value::Array(items) => {
            let element_path = format!("{path}[]");
            let projected: Vec<Value> = match rules.get(&element_path) {
                Some(Rule::ByValue(group_of)) => items
                    .iter()
                    .filter(|item| keep.groups.contains(group_of(item)))
                    .cloned()
                    .collect(),
                Some(Rule::Group(group)) => {
                    if keep.groups.contains(*group) {
                        items.clone()
                    } else {
                        Vec::new()
                    }
                }
                // Elements with fields of several groups keep their positions
                // (an element whose fields are all withheld stays as `{}`), so
                // that an edit of the redacted list lines up with the stored one.
                None => items
                    .iter()
                    .map(|item| {
                        project(rules, item, &element_path, keep).unwrap_or_else(|| Value::Object(Map::new()))
                    })
                    .collect(),
            };
            (!projected.iter().all(is_hollow)).then_some(Value::Array(projected))
        }
        scalar => keep.unclassified.then(|| scalar.clone()),
    }
}

/// The record with only the fields of `groups`; `None` when nothing is left.
/// Plain JSON, not [`crate::Releasable`]: output goes through [`crate::Grant::view`].
pub fn redact_json(kind: RecordKind, record: &Value, groups: FieldGroups) -> Option<Value> {
    let keep = Keep {
        groups,
        unclassified: false,
    };
    project(rules_for(kind), record, "", keep)
}

/// The field groups that hold a value in `record`.
pub fn groups_present(kind: RecordKind, record: &Value) -> FieldGroups {
    FieldGroup::ALL
        .into_iter()
        .filter(|g| redact_json(kind, record, FieldGroups::only(*g)).is_some())
        .collect()
}

/// The paths of values in `record` that no rule classifies (always withheld).
pub fn unclassified_paths(kind: RecordKind, record: &Value) -> Vec<String> {
    fn walk(rules: &Rules, value: &Value, path: &str, out: &mut Vec<String>) {
        if rules.contains_key(path) && !path.ends_with("[]") {
            return;
        }
        match value {
            Value::Object(map) => map
                .iter()
                .for_each(|(k, v)| walk(rules, v, &child_path(path, k), out)),
            Value::Array(items) => {
                let element_path = format!("{path}[]");
                if !rules.contains_key(&element_path) {
                    items.iter().for_each(|v| walk(rules, v, &element_path, out));
                }
            }
            _ => out.push(path.to_owned()),
        }
    }
    let mut out = Vec::new();
    walk(rules_for(kind), record, "", &mut out);
    out.sort();
    out.dedup();
    out
}

/// What a change from `before` to `after` touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// The field groups whose values differ.
    pub groups: FieldGroups,
    /// Whether a field no rule classifies differs (never permitted).
    pub unclassified: bool,
}

/// The field groups (and whether unclassified fields) differ between two versions.
pub fn changed(kind: RecordKind, before: &Value, after: &Value) -> Change {
    let rules = rules_for(kind);
    let groups = FieldGroup::ALL
        .into_iter()
        .filter(|g| {
            let keep = Keep {
                groups: FieldGroups::only(*g),
                unclassified: false,
            };
            project(rules, before, "", keep) != project(rules, after, "", keep)
        })
        .collect();
    let unclassified_only = Keep {
        groups: FieldGroups::NONE,
        unclassified: true,
    };
    let unclassified =
        project(rules, before, "", unclassified_only) != project(rules, after, "", unclassified_only);
    Change { groups, unclassified }
}

/// `base` with the fields of `groups` taken from `from`: what was stored, with
/// the permitted part of a (possibly redacted) submission laid over it. A field
/// of a group in `groups` that `from` leaves out is removed; everything else,
/// unclassified fields included, stays as in `base`.
pub(crate) fn overlay_json(kind: RecordKind, base: &Value, from: &Value, groups: FieldGroups) -> Value {
    overlay(rules_for(kind), Some(base), Some(from), "", groups).unwrap_or_else(|| Value::Object(Map::new()))
}

fn overlay(
    rules: &Rules,
    base: Option<&Value>,
    from: Option<&Value>,
    path: &str,
    groups: FieldGroups,
) -> Option<Value> {
    if let Some(Rule::Group(group)) = rules.get(path) {
        return if groups.contains(*group) {
            from.cloned()
        } else {
            base.cloned()
        };
    }
    match (base, from) {
        (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => {
            let empty = Map::new();
            let base_map = base.and_then(Value::as_object).unwrap_or(&empty);
            let from_map = from.and_then(Value::as_object).unwrap_or(&empty);
            let mut keys: Vec<&String> = base_map.keys().chain(from_map.keys()).collect();
            keys.sort();
            keys.dedup();
            let merged: Map<String, Value> = keys
                .into_iter()
                .filter_map(|key| {
                    overlay(
                        rules,
                        base_map.get(key),
                        from_map.get(key),
                        &child_path(path, key),
                        groups,
                    )
                    .map(|v| (key.clone(), v))
                })
                .collect();
            (!merged.is_empty()).then_some(Value::Object(merged))
        }
        (Some(Value::Array(_)), _) | (_, Some(Value::Array(_))) => {
            let empty = Vec::new();
            let base_items = base.and_then(Value::as_array).unwrap_or(&empty);
            let from_items = from.and_then(Value::as_array).unwrap_or(&empty);
            let element_path = format!("{path}[]");
            let merged: Vec<Value> = match rules.get(&element_path) {
                Some(Rule::ByValue(group_of)) => base_items
                    .iter()
                    .filter(|item| !groups.contains(group_of(item)))
                    .chain(from_items.iter().filter(|item| groups.contains(group_of(item))))
                    .cloned()
                    .collect(),
                Some(Rule::Group(group)) => {
                    if groups.contains(*group) {
                        from_items.clone()
                    } else {
                        base_items.clone()
                    }
                }
                None => (0..base_items.len().max(from_items.len()))
                    .filter_map(|i| {
                        overlay(rules, base_items.get(i), from_items.get(i), &element_path, groups)
                    })
                    .filter(|item| !is_hollow(item))
                    .collect(),
            };
            (!merged.is_empty()).then_some(Value::Array(merged))
        }
        // An unclassified scalar is never taken from a submission.
        _ => base.cloned(),
    }
}
