-- Matching. Kept in step with migrations/postgres/0002_matches.sql.
--
-- 1. A change sequence on records. Every write transaction takes the next
--    number from change_counter and stamps it on the records it writes (an
--    import stamps all its records with one number). The matcher of every
--    server process follows the records in (change_seq, id) order, so it sees
--    writes made by other processes and by `kinlink import`. Taking the number
--    locks the counter row until commit, so numbers become visible in order: a
--    reader that sees number n has seen every number below it.
ALTER TABLE records ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
-- Records written before this migration: one batch, number 1.
UPDATE records SET change_seq = 1;
CREATE INDEX records_by_change ON records (change_seq, id);

CREATE TABLE change_counter (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO change_counter (id, last)
    VALUES (1, CASE WHEN EXISTS (SELECT 1 FROM records) THEN 1 ELSE 0 END);

-- How far the matcher has matched the changes (shared by all processes;
-- only ever moves forward). Changes after it are matched again on start.
CREATE TABLE matcher_position (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    position BIGINT NOT NULL
);
INSERT INTO matcher_position (id, position) VALUES (1, 0);

-- 2. A tracing request and a case that may be the sought child, as the
--    matcher proposed it, and where its review stands. One row per pair.
CREATE TABLE match_proposals (
    id              TEXT PRIMARY KEY NOT NULL,          -- UUIDv7
    request_id      TEXT NOT NULL REFERENCES records (id),
    case_id         TEXT NOT NULL REFERENCES records (id),
    sought_child    INTEGER NOT NULL,                   -- index in the request's sought_children
    request_version BIGINT NOT NULL,                    -- the versions the score was computed from
    case_version    BIGINT NOT NULL,
    score           REAL NOT NULL,                      -- match probability
    label           TEXT NOT NULL,                      -- 'match' | 'possible'
    sibling         BOOLEAN NOT NULL,                   -- probably a sibling of the sought child
    explanation     TEXT NOT NULL,                      -- JSON: per field, level and weight
    proposed        BOOLEAN NOT NULL,                   -- the latest matching run still proposes it
    status          TEXT NOT NULL,                      -- 'new' | 'under_review' | 'confirmed' | 'rejected'
    version         BIGINT NOT NULL,                    -- compare-and-swap on review
    reviewed_by     TEXT,
    reviewed_at     TEXT,
    reason          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (request_id, case_id)
);
CREATE INDEX match_proposals_by_case ON match_proposals (case_id);

-- Every status a match has had, with who, when and why: reviews, and the
-- matcher's own proposals and re-openings.
CREATE TABLE match_reviews (
    match_id   TEXT NOT NULL REFERENCES match_proposals (id),
    version    BIGINT NOT NULL,                         -- the match's version after the change
    status     TEXT NOT NULL,
    reason     TEXT,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (match_id, version)
);
