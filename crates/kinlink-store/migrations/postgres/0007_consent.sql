-- Consent and legal basis. Kept in step with migrations/sqlite/0007_consent.sql, with PostgreSQL types.
--
-- One row per consent or legal basis of a record (a child's case or a
-- tracing request), for one purpose. A consent says who gave it (a role,
-- never a name), when, in which language, and with which interpreter (an
-- identifier); a legal basis says why the child's best interests justify
-- acting without consent, who decided and who approved. Rows are never
-- deleted: withdrawal sets withdrawn_at and withdrawn_by, and takes effect at
-- once (the record's change_seq is bumped in the same transaction, so every
-- server's matcher sees it on the change feed).
CREATE TABLE consents (
    id           UUID PRIMARY KEY,               -- UUIDv7
    record_id    UUID NOT NULL REFERENCES records (id),
    record_kind  TEXT NOT NULL,                  -- 'child_case' | 'tracing_request'
    purpose      TEXT NOT NULL,                  -- 'tracing' | 'sharing_with_agencies' | 'sharing_with_countries' | 'services'
    basis        TEXT NOT NULL,                  -- 'consent' | 'legal_basis'
    given_by     TEXT,                           -- consent: 'child' | 'parent' | 'guardian' | 'caregiver'
    language     TEXT,                           -- consent: ISO 639-1
    interpreter  TEXT,                           -- consent: an interpreter's identifier, if any
    reason       TEXT,                           -- legal basis: why
    decided_by   TEXT,                           -- legal basis: 'best_interests_panel' | 'court' | ...
    approved_by  TEXT,                           -- legal basis: the approving account
    given_at     TIMESTAMPTZ NOT NULL,                -- when consent was given or the basis decided
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,                         -- NULL while it holds
    withdrawn_by TEXT
);
CREATE INDEX consents_by_record ON consents (record_id, purpose);
