-- Kept in step with migrations/sqlite/0001_records.sql: the same tables,
-- columns and indexes, with PostgreSQL's types (uuid, timestamptz).
--
-- Records of every kind share one table: the body is the record's JSON
-- (encrypted per record once encryption at rest lands), and the columns beside
-- it are the metadata the store needs to find, version and number records.
-- The body is text, not jsonb: jsonb would reorder keys and drop duplicates,
-- and an import compares the stored text with the incoming one.
CREATE TABLE records (
    id          UUID PRIMARY KEY,            -- UUIDv7: byte order is creation order
    kind        TEXT NOT NULL,               -- 'child_case' | 'tracing_request'
    number      TEXT NOT NULL UNIQUE,        -- KL-2026-000123
    external_id TEXT,                        -- the id a record had in an imported file
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX records_by_kind ON records (kind, id);
CREATE UNIQUE INDEX records_by_external_id ON records (kind, external_id) WHERE external_id IS NOT NULL;

-- Every version of every record, the current one included: history is never lost.
CREATE TABLE record_revisions (
    record_id  UUID NOT NULL REFERENCES records (id),
    version    BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- Human-readable numbers restart each year, per kind.
CREATE TABLE number_sequences (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);
