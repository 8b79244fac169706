-- Records of every kind share one table: the body is the record's JSON
-- (encrypted per record once encryption at rest lands), and the columns beside
-- it are the metadata the store needs to find, version and number records.
CREATE TABLE records (
    id          TEXT PRIMARY KEY NOT NULL,   -- UUIDv7, lower-case hyphenated: sorts by creation time
    kind        TEXT NOT NULL,               -- 'child_case' | 'tracing_request'
    number      TEXT NOT NULL UNIQUE,        -- KL-2026-000123
    external_id TEXT,                        -- the id a record had in an imported file
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX records_by_kind ON records (kind, id);
CREATE UNIQUE INDEX records_by_external_id ON records (kind, external_id) WHERE external_id IS NOT NULL;

-- Every version of every record, the current one included: history is never lost.
CREATE TABLE record_revisions (
    record_id  TEXT NOT NULL REFERENCES records (id),
    version    BIGINT NOT NULL,
    changed_at TEXT NOT NULL,
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
