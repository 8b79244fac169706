-- Kept in step with migrations/sqlite/0004_audit.sql: the same tables,
-- columns and indexes, with PostgreSQL's types (uuid, timestamptz).
--
-- The audit log: one row per event (every write of personal data, and the
-- reads and security events the server and CLI append), hash-chained by
-- kinlink-audit. Never a personal value: records by id, reasons as codes.
-- Appended in the same transaction as the write it records, under
-- `LOCK TABLE audit_entries IN EXCLUSIVE MODE` so that writers on several
-- servers extend one chain, never fork it.
CREATE TABLE audit_entries (
    sequence        BIGINT PRIMARY KEY,          -- from 0, without gaps
    at              TIMESTAMPTZ NOT NULL,
    kind            TEXT NOT NULL,               -- EventKind: 'create', 'read', 'sign_in'...
    actor_user      UUID,                        -- account id
    actor_agency    UUID,                        -- agency id
    actor_via       TEXT,                        -- 'session' | 'api_token'
    actor_name      TEXT,                        -- 'cli:amina' where there is no account id
    record_resource TEXT,                        -- 'child_case', 'tracing_request', 'user_account'...
    record_id       UUID,                        -- the record concerned
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
    sequence  BIGINT PRIMARY KEY,
    hash      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    signature TEXT NOT NULL,                     -- hex Ed25519 signature
    key_id    TEXT NOT NULL                      -- kinlink_audit::key_id of the signing key
);

-- Append-only in practice: nothing in kinlink updates or deletes these rows,
-- and these triggers refuse it to anyone else. The table's owner or a
-- superuser can still disable them (ALTER TABLE ... DISABLE TRIGGER, or
-- session_replication_role): what they change then is found by
-- `kinlink audit verify` through the hash chain and the signed checkpoints.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
