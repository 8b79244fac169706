-- Kept in step with migrations/postgres/0004_audit.sql.
--
-- The audit log: one row per event (every write of personal data, and the
-- reads and security events the server and CLI append), hash-chained by
-- kinlink-audit. Never a personal value: records by id, reasons as codes.
-- Appended in the same transaction as the write it records; the chain's
-- integrity does not rest on these triggers (anyone who can write the file
-- can drop them) but on the hashes and the signed checkpoints.
CREATE TABLE audit_entries (
    sequence        BIGINT PRIMARY KEY NOT NULL, -- from 0, without gaps
    at              TEXT NOT NULL,               -- RFC 3339, microseconds
    kind            TEXT NOT NULL,               -- EventKind: 'create', 'read', 'sign_in'...
    actor_user      TEXT,                        -- account id (UUID)
    actor_agency    TEXT,                        -- agency id (UUID)
    actor_via       TEXT,                        -- 'session' | 'api_token'
    actor_name      TEXT,                        -- 'cli:amina' where there is no account id
    record_resource TEXT,                        -- 'child_case', 'tracing_request', 'user_account'...
    record_id       TEXT,                        -- UUID of the record concerned
    field_groups    INTEGER NOT NULL,            -- FieldGroups bits: which groups were read or written
    purpose         TEXT,                        -- Purpose: 'case_management'...
    outcome         TEXT NOT NULL,               -- 'success' | 'denied' | 'failed'
    reason          TEXT,                        -- ReasonCode when denied or failed
    previous_hash   TEXT NOT NULL,               -- hex SHA-256 of the entry before (zeros for the first)
    hash            TEXT NOT NULL                -- hex SHA-256 of this entry's canonical encoding
);
CREATE INDEX audit_entries_by_record ON audit_entries (record_id, sequence) WHERE record_id IS NOT NULL;

-- Signed statements "the log up to `sequence` ends in `hash`", made with the
-- deployment's Ed25519 key, which never enters the database.
CREATE TABLE audit_checkpoints (
    sequence  BIGINT PRIMARY KEY NOT NULL,
    hash      TEXT NOT NULL,
    at        TEXT NOT NULL,
    signature TEXT NOT NULL,                     -- hex Ed25519 signature
    key_id    TEXT NOT NULL                      -- kinlink_audit::key_id of the signing key
);

-- Append-only in practice: nothing in kinlink updates or deletes these rows.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
