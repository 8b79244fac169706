-- Encryption at rest, key rotation and erasure. Kept in step with
-- migrations/postgres/0006_encryption.sql.
--
-- Record bodies (records.body, record_revisions.body) are sealed with the
-- record's own data key (XChaCha20-Poly1305; associated data: the record id
-- and the version) and stored as 'kl1:' followed by base64. The data key is
-- stored only wrapped by the master key, which never enters the database.
-- Existing plaintext bodies are sealed when the store is first opened with a
-- master key.

-- One wrapped data key per record (or per other sealed row, e.g. a case
-- file: any UUID that owns a sealed body). Deleting the row erases the
-- record: its body and every revision become unreadable (crypto-shredding).
CREATE TABLE record_keys (
    record_id TEXT PRIMARY KEY NOT NULL,   -- the owner of the key (a record id)
    key_id    TEXT NOT NULL,               -- hex id of the master key that wrapped it
    wrapped   TEXT NOT NULL                -- base64 of kinlink_crypto::WrappedKey
);
CREATE INDEX record_keys_by_master ON record_keys (key_id);

-- The id of the master key the database's data keys are wrapped with, written
-- on the first open with a key and changed by `kinlink keys rotate`: opening
-- with another key is refused at start-up instead of failing on every read.
-- Holds a key id (an HKDF output), never a key.
CREATE TABLE key_check (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    key_id     TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

-- Records erased (by a retention rule or by a data protection officer):
-- that they were erased, by whom, when and why; never what they held.
CREATE TABLE erasures (
    record_id TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    erased_at TEXT NOT NULL,
    erased_by TEXT NOT NULL,
    rule      TEXT NOT NULL                -- a retention rule's name, or 'dpo'
);
