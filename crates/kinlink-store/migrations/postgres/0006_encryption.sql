-- Kept in step with migrations/sqlite/0006_encryption.sql: the same tables,
-- columns and indexes, with PostgreSQL's types (uuid, timestamptz).
--
-- Record bodies are sealed with the record's own data key and stored as
-- 'kl1:' followed by base64; data keys are stored only wrapped by the master
-- key, which never enters the database.

-- One wrapped data key per record (or other sealed row). Deleting the row
-- erases the record (crypto-shredding).
CREATE TABLE record_keys (
    record_id UUID PRIMARY KEY,
    key_id    TEXT NOT NULL,
    wrapped   TEXT NOT NULL
);
CREATE INDEX record_keys_by_master ON record_keys (key_id);

-- The id of the master key the data keys are wrapped with (never a key).
CREATE TABLE key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_id     TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);

-- Records erased: that, by whom, when and why; never what they held.
CREATE TABLE erasures (
    record_id UUID PRIMARY KEY REFERENCES records (id),
    erased_at TIMESTAMPTZ NOT NULL,
    erased_by TEXT NOT NULL,
    rule      TEXT NOT NULL
);
