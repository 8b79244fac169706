-- Case management (issue 5). Kept in step with migrations/sqlite/0005_casework.sql, with PostgreSQL types.
--
-- 1. Each child case's case file (kinlink_casework::CaseFile), one row per
--    case, compare-and-swap on `version` like records. `body` is the case
--    file as JSON, written only through casework_sql::seal_body (where
--    encryption at rest applies to it, as to records.body).
CREATE TABLE case_files (
    case_id    UUID PRIMARY KEY REFERENCES records (id),
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- 2. Every command applied to a case file, append-only: the case's own trail
--    of who did what, when and for which purpose. `command` is the command
--    as applied (JSON, sealed like the body: it holds forms); `command_kind`
--    is its name alone ('submit_bia'), never a value.
CREATE TABLE case_file_events (
    case_id      UUID NOT NULL REFERENCES case_files (case_id),
    version      BIGINT NOT NULL,                  -- the case file's version after the command
    command_kind TEXT NOT NULL,
    command      TEXT NOT NULL,
    actor        TEXT NOT NULL,
    purpose      TEXT,
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- 3. Notices a command produced (detention alert, approval requested,
--    complaint routed), kept for the person they are for: they show in
--    GET /api/v1/tasks. `notice` is JSON of ids, kinds and flags only.
CREATE TABLE case_alerts (
    id         UUID PRIMARY KEY,                   -- UUIDv7
    case_id    UUID NOT NULL REFERENCES case_files (case_id),
    version    BIGINT NOT NULL,                    -- the case file's version that raised it
    recipient  TEXT NOT NULL,                      -- username
    kind       TEXT NOT NULL,                      -- 'detention_alert' | 'approval_requested' | 'complaint_routed'
    notice     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_alerts_by_recipient ON case_alerts (recipient, created_at);
