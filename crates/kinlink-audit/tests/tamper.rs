//! Every kind of tampering is detected and located.

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use kinlink_audit::{
    Actor, ActorName, AuditChain, AuditEntry, AuditEvent, Checkpoint, EntryHash, EventKind, Outcome,
    ReasonCode, RecordRef, Tamper, key_id, verify, verify_since, verify_unsigned,
};
use kinlink_policy::{FieldGroup, FieldGroups, Purpose, Resource, Via};
use proptest::prelude::*;
use uuid::Uuid;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_760_000_000, 123_456_789).unwrap()
}

fn event(i: u64) -> AuditEvent {
    let kinds = [
        EventKind::Read,
        EventKind::Update,
        EventKind::SignIn,
        EventKind::Export,
    ];
    AuditEvent {
        at: start() + Duration::seconds(i as i64),
        kind: kinds[(i % 4) as usize],
        actor: Actor {
            user: Some(Uuid::from_u128(1000 + u128::from(i % 3))),
            agency: Some(Uuid::from_u128(7)),
            via: Some(Via::Session),
            name: i.is_multiple_of(3).then(|| ActorName::lossy("cli:tester")),
        },
        record: (i % 4 != 2).then(|| RecordRef {
            resource: Resource::ChildCase,
            id: Uuid::from_u128(u128::from(i)),
        }),
        field_groups: FieldGroups::of(&[FieldGroup::Identity, FieldGroup::Family]),
        purpose: (i % 4 != 2).then_some(Purpose::CaseManagement),
        outcome: if i % 5 == 4 {
            Outcome::Denied(ReasonCode::new("out_of_scope").unwrap())
        } else {
            Outcome::Success
        },
    }
}

/// A log of `n` entries with a checkpoint signed after every 10th.
fn log(n: u64) -> (Vec<AuditEntry>, Vec<Checkpoint>) {
    let mut chain = AuditChain::new();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    for i in 0..n {
        let entry = chain.append(event(i));
        if i % 10 == 9 {
            checkpoints.push(Checkpoint::sign(&entry, entry.event.at, &key(1)));
        }
        entries.push(entry);
    }
    (entries, checkpoints)
}

fn check(entries: &[AuditEntry], checkpoints: &[Checkpoint]) -> Result<kinlink_audit::Verified, Tamper> {
    verify(entries, checkpoints, &key(1).verifying_key())
}

/// Recompute hashes and links from `from` on, as someone with database access could.
fn rechain(entries: &mut [AuditEntry], from: usize) {
    for i in from..entries.len() {
        if i > 0 {
            entries[i].previous = entries[i - 1].hash;
        }
        entries[i].hash = entries[i].compute_hash();
    }
}

#[test]
fn an_untouched_log_verifies() {
    let (entries, checkpoints) = log(25);
    let verified = check(&entries, &checkpoints).unwrap();
    assert_eq!(
        (verified.entries, verified.checkpoints, verified.unsealed),
        (25, 2, 5)
    );
    assert_eq!(entries[0].previous, EntryHash::GENESIS);
    assert_eq!(check(&[], &[]).unwrap().entries, 0);
}

#[test]
fn an_edited_entry_is_found() {
    let (mut entries, checkpoints) = log(25);
    entries[5].event.purpose = Some(Purpose::Tracing);
    assert_eq!(check(&entries, &checkpoints), Err(Tamper::Edited { sequence: 5 }));
}

#[test]
fn an_edited_entry_with_its_hash_recomputed_breaks_the_next_link() {
    let (mut entries, checkpoints) = log(25);
    entries[5].event.actor.user = Some(Uuid::from_u128(9999));
    entries[5].hash = entries[5].compute_hash();
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::BrokenLink { sequence: 6 })
    );
}

#[test]
fn a_rewritten_chain_fails_its_signed_checkpoint() {
    let (mut entries, checkpoints) = log(25);
    entries[5].event.outcome = Outcome::Success;
    entries[5].event.kind = EventKind::List;
    rechain(&mut entries, 5);
    assert_eq!(
        check(&entries, &[]).map(|v| v.entries),
        Ok(25),
        "the chain alone cannot see it"
    );
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Rewritten { sequence: 9 })
    );
}

#[test]
fn deleted_entries_are_found() {
    let (mut entries, checkpoints) = log(25);
    entries.remove(7);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Deleted { first: 7, last: 7 })
    );
    let (mut entries, checkpoints) = log(25);
    entries.drain(12..15);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Deleted { first: 12, last: 14 })
    );
    let (mut entries, checkpoints) = log(25);
    entries.remove(0);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Deleted { first: 0, last: 0 })
    );
}

#[test]
fn a_deleted_end_is_found_up_to_the_last_checkpoint() {
    let (mut entries, checkpoints) = log(25);
    entries.truncate(15);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Truncated { sequence: 19 })
    );
    // After the last checkpoint only the chain protects the end: the verifier
    // says how many entries are unsealed rather than pretending.
    let (mut entries, checkpoints) = log(25);
    entries.truncate(22);
    assert_eq!(check(&entries, &checkpoints).unwrap().unsealed, 2);
}

#[test]
fn an_inserted_entry_is_found() {
    let (mut entries, checkpoints) = log(25);
    // A forged entry correctly linked to entry 7, claiming number 8.
    let mut chain = AuditChain::after(&entries[7]);
    let forged = chain.append(event(100));
    assert_eq!(forged.sequence, 8);
    entries.insert(8, forged);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Inserted { sequence: 8 })
    );
}

#[test]
fn an_inserted_and_renumbered_entry_is_found() {
    let (mut entries, checkpoints) = log(25);
    let mut chain = AuditChain::after(&entries[7]);
    entries.insert(8, chain.append(event(100)));
    for entry in &mut entries[9..] {
        entry.sequence += 1;
    }
    assert_eq!(check(&entries, &checkpoints), Err(Tamper::Edited { sequence: 9 }));
    rechain(&mut entries, 9);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Rewritten { sequence: 9 })
    );
}

#[test]
fn reordered_entries_are_found() {
    let (mut entries, checkpoints) = log(25);
    entries.swap(4, 5);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Reordered { sequence: 4 })
    );
    let (mut entries, checkpoints) = log(25);
    let moved = entries.remove(3);
    entries.insert(10, moved);
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::Reordered { sequence: 3 })
    );
}

#[test]
fn a_forged_or_altered_checkpoint_is_found() {
    let (entries, mut checkpoints) = log(25);
    checkpoints[1] = Checkpoint::sign(&entries[19], entries[19].event.at, &key(2));
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::ForgedCheckpoint { sequence: 19 })
    );
    let (entries, mut checkpoints) = log(25);
    checkpoints[0].hash = entries[8].hash;
    assert_eq!(
        check(&entries, &checkpoints),
        Err(Tamper::ForgedCheckpoint { sequence: 9 })
    );
}

/// Without the key, everything but who signed the checkpoints is checked.
#[test]
fn without_the_key_everything_but_the_signatures_is_checked() {
    let (entries, checkpoints) = log(25);
    let verified = verify_unsigned(&entries, &checkpoints).expect("an untouched log verifies");
    assert_eq!(
        (verified.entries, verified.checkpoints, verified.unsealed),
        (25, 2, 5)
    );
    let (mut edited, _) = log(25);
    edited[5].event.kind = EventKind::List;
    assert_eq!(
        verify_unsigned(&edited, &checkpoints),
        Err(Tamper::Edited { sequence: 5 })
    );
    rechain(&mut edited, 5);
    assert_eq!(
        verify_unsigned(&edited, &checkpoints),
        Err(Tamper::Rewritten { sequence: 9 })
    );
    let mut truncated = entries.clone();
    truncated.truncate(15);
    assert_eq!(
        verify_unsigned(&truncated, &checkpoints),
        Err(Tamper::Truncated { sequence: 19 })
    );
    // A checkpoint signed by another key is not seen without the key: verify sees it.
    let mut forged = checkpoints.clone();
    forged[1] = Checkpoint::sign(&entries[19], entries[19].event.at, &key(2));
    assert!(verify_unsigned(&entries, &forged).is_ok());
    assert_eq!(
        check(&entries, &forged),
        Err(Tamper::ForgedCheckpoint { sequence: 19 })
    );
}

#[test]
fn entries_and_checkpoints_survive_storage_as_json() {
    let (entries, checkpoints) = log(12);
    let stored = serde_json::to_string(&entries).unwrap();
    let stored_checkpoints = serde_json::to_string(&checkpoints).unwrap();
    let entries: Vec<AuditEntry> = serde_json::from_str(&stored).unwrap();
    let checkpoints: Vec<Checkpoint> = serde_json::from_str(&stored_checkpoints).unwrap();
    check(&entries, &checkpoints).unwrap();
    // The sub-microsecond part of the time is dropped when appended, so the
    // stored time is exactly the hashed time.
    assert_eq!(entries[0].event.at.timestamp_subsec_nanos() % 1000, 0);
}

#[test]
fn reason_codes_cannot_hold_free_text() {
    assert!(ReasonCode::new("firewall_enforcement_agency").is_ok());
    for bad in ["", "Amina Yusuf", "out of scope", "a-b", &"x".repeat(65)] {
        assert!(ReasonCode::new(bad).is_err(), "{bad}");
    }
    let json = r#"{"sequence":0,"previous":"00","hash":"00","at":"2025-01-01T00:00:00Z","kind":"read","actor":{},"field_groups":[],"outcome":"denied","reason":"Amina Yusuf"}"#;
    assert!(serde_json::from_str::<AuditEntry>(json).is_err());
}

/// Each part of an event, changed in turn.
fn mutate(event: &mut AuditEvent, field: u8) {
    match field % 10 {
        0 => event.at += Duration::microseconds(1),
        1 => event.kind = EventKind::Erasure,
        2 => event.actor.user = Some(Uuid::from_u128(424242)),
        3 => event.actor.agency = None,
        4 => event.actor.via = Some(Via::ApiToken),
        5 => {
            event.record = Some(RecordRef {
                resource: Resource::TracingRequest,
                id: Uuid::from_u128(5),
            })
        }
        6 => event.field_groups.insert(FieldGroup::Health),
        7 => event.purpose = Some(Purpose::DataProtectionReview),
        8 => event.actor.name = Some(ActorName::lossy("cli:someone_else")),
        _ => event.outcome = Outcome::Failed(ReasonCode::new("conflict").unwrap()),
    }
}

proptest! {
    #[test]
    fn any_change_to_any_field_of_any_entry_is_found(n in 1u64..40, at in any::<prop::sample::Index>(), field in any::<u8>()) {
        let (mut entries, checkpoints) = log(n);
        let i = at.index(entries.len());
        let before = entries[i].event.clone();
        mutate(&mut entries[i].event, field);
        prop_assume!(entries[i].event != before);
        prop_assert_eq!(check(&entries, &checkpoints), Err(Tamper::Edited { sequence: i as u64 }));
    }
}

#[test]
fn actor_names_cannot_hold_free_text() {
    assert!(ActorName::new("cli:amina.y@field-office_2").is_ok());
    for bad in ["", "Amina Yusuf", "cli:amina\n", "名前", &"x".repeat(65)] {
        assert!(ActorName::new(bad).is_err(), "{bad:?}");
    }
    assert_eq!(ActorName::lossy("cli:José Ali").as_str(), "cli:Jos__Ali");
    assert_eq!(ActorName::lossy("").as_str(), "_");
    assert_eq!(ActorName::lossy(&"y".repeat(100)).as_str().len(), 64);
}

#[test]
fn event_kinds_round_trip_by_name() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(EventKind::from_name("delete_everything"), None);
}

#[test]
fn key_ids_tell_keys_apart() {
    let a = key_id(&key(1).verifying_key());
    assert_eq!(a.len(), 16);
    assert_eq!(a, key_id(&key(1).verifying_key()));
    assert_ne!(a, key_id(&key(2).verifying_key()));
}

#[test]
fn the_log_since_a_checkpoint_verifies_and_its_tampering_is_found() {
    let (entries, checkpoints) = log(35);
    let last = checkpoints.last().expect("a checkpoint").clone();
    assert_eq!(last.sequence, 29);
    let since = &entries[29..];
    let verified = verify_since(&last, since, &key(1).verifying_key()).expect("verifies");
    assert_eq!((verified.entries, verified.unsealed), (6, 5));

    let mut edited = since.to_vec();
    edited[3].event.purpose = Some(Purpose::Tracing);
    assert_eq!(
        verify_since(&last, &edited, &key(1).verifying_key()),
        Err(Tamper::Edited { sequence: 32 })
    );
    let mut rewritten = since.to_vec();
    rewritten[0].event.kind = EventKind::Erasure;
    rechain(&mut rewritten, 0);
    assert_eq!(
        verify_since(&last, &rewritten, &key(1).verifying_key()),
        Err(Tamper::Rewritten { sequence: 29 })
    );
    assert_eq!(
        verify_since(&last, &since[1..], &key(1).verifying_key()),
        Err(Tamper::Truncated { sequence: 29 })
    );
    let mut gap = since.to_vec();
    gap.remove(2);
    assert_eq!(
        verify_since(&last, &gap, &key(1).verifying_key()),
        Err(Tamper::Deleted { first: 31, last: 31 })
    );
    assert_eq!(
        verify_since(&last, since, &key(2).verifying_key()),
        Err(Tamper::ForgedCheckpoint { sequence: 29 })
    );
}
