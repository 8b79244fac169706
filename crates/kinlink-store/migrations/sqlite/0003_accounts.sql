-- Accounts: agencies, teams, users, sessions and API tokens; and who a record
-- belongs to, for the policy's scope checks. Kept in step with
-- migrations/postgres/0003_accounts.sql.
--
-- No secret is stored in the clear: passwords are Argon2id hashes, session
-- ids and token secrets SHA-256 hashes, and TOTP secrets are sealed with a
-- data key of their own that the master key (outside the database) wraps.

CREATE TABLE agencies (
    id                      TEXT PRIMARY KEY NOT NULL,   -- UUIDv7
    name                    TEXT NOT NULL UNIQUE,
    kind                    TEXT NOT NULL,               -- kinlink_policy::AgencyType, snake_case
    immigration_enforcement BOOLEAN NOT NULL,            -- flagged by the administrator: widens the firewall
    created_at              TEXT NOT NULL
);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY NOT NULL,
    agency_id  TEXT NOT NULL REFERENCES agencies (id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, name)
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY NOT NULL,
    username           TEXT NOT NULL UNIQUE,          -- normalised: lower case, trimmed
    agency_id          TEXT NOT NULL REFERENCES agencies (id),
    password_hash      TEXT NOT NULL,                 -- Argon2id PHC string
    totp_wrapped_key   BLOB,                          -- the TOTP secret's data key, wrapped by the master key
    totp_sealed_secret BLOB,                          -- the TOTP secret, sealed with that data key
    totp_confirmed     BOOLEAN NOT NULL,              -- enrolment confirmed with a code
    totp_last_step     BIGINT,                        -- last accepted step: a code is never accepted twice
    disabled           BOOLEAN NOT NULL,
    failed_sign_ins    BIGINT NOT NULL,               -- since the last success
    locked_until       TEXT,                          -- temporary lockout, shared by every server process
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE user_teams (
    user_id TEXT NOT NULL REFERENCES users (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (user_id, team_id)
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL,                            -- kinlink_policy::Role, snake_case
    PRIMARY KEY (user_id, role)
);

-- In the database, not in memory: several server processes share them.
CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY NOT NULL,          -- SHA-256 of the cookie's session id
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,                      -- idle expiry counts from here
    expires_at   TEXT NOT NULL,                      -- absolute expiry
    totp_pending BOOLEAN NOT NULL                    -- signed in with a password only, must enrol a second factor
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    prefix       TEXT PRIMARY KEY NOT NULL,          -- public part: finds the token, names it in lists
    secret_hash  TEXT NOT NULL,                      -- SHA-256 of the secret part
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,                      -- space-separated resource:action
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- Who a record belongs to: the user who created it and their agency and team
-- at the time. Records written before accounts existed, or by the CLI
-- without an owner, have none and are reached only by deployment-wide roles.
ALTER TABLE records ADD COLUMN owner_user TEXT;
ALTER TABLE records ADD COLUMN owner_agency TEXT;
ALTER TABLE records ADD COLUMN owner_team TEXT;
CREATE INDEX records_by_owner_agency ON records (kind, owner_agency, id);
