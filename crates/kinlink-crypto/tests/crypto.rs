//! Envelope encryption, rotation, blind indexes, crypto-shredding and key files.

use std::os::unix::fs::PermissionsExt;

use kinlink_crypto::keyfile::{
    KeyKind, create_encryption_key_file, create_signing_key_file, load_encryption_key_file,
    load_signing_key_file, write_key_file,
};
use kinlink_crypto::{
    BlindIndexKey, CryptoError, DataKey, KeyFileError, Keyring, MasterKey, Sealed, WrappedKey,
};
use proptest::prelude::*;
use uuid::Uuid;
use x25519_dalek::PublicKey;

/// A synthetic child's record body.
const BODY: &[u8] = br#"{"child":{"names":{"given":{"original":"Zainab-Synthetic-Qaderi"}}}}"#;

fn record(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_sealed_record_opens_with_its_key_and_does_not_contain_the_plaintext() {
    let key = DataKey::generate().unwrap();
    let sealed = key.seal(&record(1), b"body", BODY).unwrap();
    let stored = sealed.to_bytes();
    assert!(!contains(&stored, b"Zainab-Synthetic-Qaderi"));
    assert!(!contains(&stored, BODY));
    let opened = key
        .open(&record(1), b"body", &Sealed::from_bytes(&stored).unwrap())
        .unwrap();
    assert_eq!(opened.as_slice(), BODY);
    // A fresh nonce each time: the same body never seals to the same bytes.
    assert_ne!(key.seal(&record(1), b"body", BODY).unwrap().to_bytes(), stored);
}

#[test]
fn a_sealed_record_is_bound_to_its_record_id_and_context() {
    let key = DataKey::generate().unwrap();
    let sealed = key.seal(&record(1), b"revision:1", BODY).unwrap();
    assert!(matches!(
        key.open(&record(2), b"revision:1", &sealed),
        Err(CryptoError::Decryption)
    ));
    assert!(matches!(
        key.open(&record(1), b"revision:2", &sealed),
        Err(CryptoError::Decryption)
    ));
    let other = DataKey::generate().unwrap();
    assert!(matches!(
        other.open(&record(1), b"revision:1", &sealed),
        Err(CryptoError::Decryption)
    ));
}

#[test]
fn data_keys_are_wrapped_for_one_record_under_one_master_key() {
    let master = MasterKey::generate().unwrap();
    let data_key = DataKey::generate().unwrap();
    let sealed = data_key.seal(&record(1), b"body", BODY).unwrap();
    let wrapped = master.wrap(&data_key, &record(1)).unwrap();
    assert_eq!(wrapped.key_id(), master.id());
    let stored = WrappedKey::from_bytes(&wrapped.to_bytes()).unwrap();
    let unwrapped = master.unwrap(&stored, &record(1)).unwrap();
    assert_eq!(
        unwrapped.open(&record(1), b"body", &sealed).unwrap().as_slice(),
        BODY
    );
    // A wrapped key copied to another record does not unwrap there.
    assert!(matches!(
        master.unwrap(&stored, &record(2)),
        Err(CryptoError::Decryption)
    ));
    let other_master = MasterKey::generate().unwrap();
    assert!(matches!(
        other_master.unwrap(&stored, &record(1)),
        Err(CryptoError::UnknownKeyId(_))
    ));
}

#[test]
fn rotation_rewraps_data_keys_and_leaves_records_readable() {
    let old = MasterKey::generate().unwrap();
    let old_id = old.id();
    let records: Vec<(Uuid, Sealed, WrappedKey)> = (1..=5)
        .map(|n| {
            let data_key = DataKey::generate().unwrap();
            let sealed = data_key.seal(&record(n), b"body", BODY).unwrap();
            (record(n), sealed, old.wrap(&data_key, &record(n)).unwrap())
        })
        .collect();
    let new = MasterKey::generate().unwrap();
    let new_id = new.id();
    assert_ne!(old_id, new_id);
    let rotating = Keyring::with_retired(new.clone(), vec![old]);
    let rewrapped: Vec<WrappedKey> = records
        .iter()
        .map(|(id, _, wrapped)| {
            assert!(rotating.needs_rewrap(wrapped));
            let rewrapped = rotating.rewrap(wrapped, id).unwrap();
            assert!(!rotating.needs_rewrap(&rewrapped));
            rewrapped
        })
        .collect();
    // Once every wrap is re-made, the old key can go.
    let after = Keyring::new(new);
    for ((id, sealed, old_wrap), new_wrap) in records.iter().zip(&rewrapped) {
        assert_eq!(new_wrap.key_id(), new_id);
        let data_key = after.unwrap(new_wrap, id).unwrap();
        assert_eq!(data_key.open(id, b"body", sealed).unwrap().as_slice(), BODY);
        assert!(matches!(after.unwrap(old_wrap, id), Err(CryptoError::UnknownKeyId(k)) if k == old_id));
    }
}

#[test]
fn destroying_the_wrapped_key_makes_the_record_unreadable() {
    let master = MasterKey::generate().unwrap();
    let keyring = Keyring::new(master);
    let erased = DataKey::generate().unwrap();
    let sealed = erased.seal(&record(1), b"body", BODY).unwrap().to_bytes();
    let wrapped = keyring.wrap(&erased, &record(1)).unwrap();
    drop((erased, wrapped)); // crypto-shredding: the only copies of the key are gone
    // What is left (the ciphertext, the master key, other records' keys) opens nothing.
    let neighbour = DataKey::generate().unwrap();
    let neighbour_wrap = keyring.wrap(&neighbour, &record(2)).unwrap();
    let unwrapped = keyring.unwrap(&neighbour_wrap, &record(2)).unwrap();
    let sealed = Sealed::from_bytes(&sealed).unwrap();
    assert!(matches!(
        unwrapped.open(&record(1), b"body", &sealed),
        Err(CryptoError::Decryption)
    ));
    assert!(matches!(
        keyring.unwrap(&neighbour_wrap, &record(1)),
        Err(CryptoError::Decryption)
    ));
}

#[test]
fn blind_indexes_match_equal_values_only_under_the_same_key_and_field() {
    let master = MasterKey::generate().unwrap();
    let key = BlindIndexKey::derive(&master);
    let a = key.index("child.names.family", "qaderi");
    assert_eq!(
        a,
        BlindIndexKey::derive(&master).index("child.names.family", "qaderi")
    );
    assert_ne!(a, key.index("child.names.family", "qadiri"));
    assert_ne!(a, key.index("inquirer.names.family", "qaderi"));
    // Field/value boundaries cannot be shifted to forge a collision.
    assert_ne!(key.index("ab", "c"), key.index("a", "bc"));
    let other = BlindIndexKey::derive(&MasterKey::generate().unwrap());
    assert_ne!(a, other.index("child.names.family", "qaderi"));
    assert!(!a.to_string().contains("qaderi"));
}

#[test]
fn secrets_are_not_printed() {
    let bytes = [0xAB; 32];
    let master = MasterKey::from_bytes(bytes);
    let debug = format!(
        "{master:?} {:?} {:?}",
        DataKey::generate().unwrap(),
        BlindIndexKey::derive(&master)
    );
    assert!(!debug.to_lowercase().contains("abab"), "{debug}");
    assert!(!debug.contains(master.to_base64().as_str()), "{debug}");
    assert!(debug.contains(&master.id().to_string()));
}

#[test]
fn malformed_storage_forms_are_refused() {
    assert!(matches!(Sealed::from_bytes(&[]), Err(CryptoError::Malformed(_))));
    assert!(matches!(
        Sealed::from_bytes(&[9; 60]),
        Err(CryptoError::Malformed(_))
    ));
    assert!(matches!(
        WrappedKey::from_bytes(&[1; 10]),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn key_files_are_created_private_and_loaded_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let created = MasterKey::create_file(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(MasterKey::load_file(&path).unwrap().id(), created.id());
    assert!(matches!(
        MasterKey::create_file(&path),
        Err(KeyFileError::Exists(_))
    ));
    // Still the first key: nothing was overwritten.
    assert_eq!(MasterKey::load_file(&path).unwrap().id(), created.id());
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    MasterKey::create_file(&path).unwrap();
    for mode in [0o640, 0o604, 0o660, 0o644, 0o700 | 0o001] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        assert!(
            matches!(MasterKey::load_file(&path), Err(KeyFileError::TooOpen { mode: m, .. }) if m == mode),
            "{mode:o}"
        );
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    MasterKey::load_file(&path).unwrap();
}

#[test]
fn a_key_file_of_another_kind_or_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let signing = dir.path().join("signing.key");
    create_signing_key_file(&signing).unwrap();
    assert!(matches!(
        MasterKey::load_file(&signing),
        Err(KeyFileError::WrongContent { .. })
    ));
    let short = dir.path().join("short.key");
    write_key_file(&short, KeyKind::Master, &[7; 32]).unwrap();
    let text = std::fs::read_to_string(&short).unwrap().replace('=', "");
    std::fs::remove_file(&short).unwrap();
    std::fs::write(&short, &text[..text.len() - 10]).unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(
        MasterKey::load_file(&short),
        Err(KeyFileError::WrongContent { .. })
    ));
    assert!(matches!(
        MasterKey::load_file(dir.path()),
        Err(KeyFileError::NotAFile(_) | KeyFileError::Io { .. })
    ));
}

#[test]
fn the_master_key_can_come_from_an_environment_variable_value() {
    let master = MasterKey::generate().unwrap();
    let text = master.to_base64();
    assert_eq!(
        MasterKey::from_base64(&format!("{}\n", text.as_str()))
            .unwrap()
            .id(),
        master.id()
    );
    assert!(matches!(
        MasterKey::from_base64("not a key"),
        Err(KeyFileError::BadEncoding)
    ));
    assert!(matches!(
        MasterKey::from_base64("AAAA"),
        Err(KeyFileError::BadEncoding)
    ));
}

#[test]
fn deployment_signing_and_encryption_keys_round_trip_through_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let signing_path = dir.path().join("signing.key");
    let signing = create_signing_key_file(&signing_path).unwrap();
    assert_eq!(
        load_signing_key_file(&signing_path).unwrap().verifying_key(),
        signing.verifying_key()
    );
    let encryption_path = dir.path().join("encryption.key");
    let encryption = create_encryption_key_file(&encryption_path).unwrap();
    let loaded = load_encryption_key_file(&encryption_path).unwrap();
    assert_eq!(PublicKey::from(&loaded), PublicKey::from(&encryption));
    assert!(matches!(
        load_signing_key_file(&encryption_path),
        Err(KeyFileError::WrongContent { .. })
    ));
}

proptest! {
    #[test]
    fn any_plaintext_round_trips_and_any_altered_byte_is_refused(
        plaintext in proptest::collection::vec(any::<u8>(), 0..512),
        context in proptest::collection::vec(any::<u8>(), 0..16),
        flip in any::<prop::sample::Index>(),
    ) {
        let key = DataKey::generate().unwrap();
        let stored = key.seal(&record(9), &context, &plaintext).unwrap().to_bytes();
        let opened = key.open(&record(9), &context, &Sealed::from_bytes(&stored).unwrap()).unwrap();
        prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        let mut altered = stored.clone();
        let i = flip.index(altered.len());
        altered[i] ^= 0x01;
        let result = Sealed::from_bytes(&altered).and_then(|s| key.open(&record(9), &context, &s));
        prop_assert!(result.is_err());
    }
}
