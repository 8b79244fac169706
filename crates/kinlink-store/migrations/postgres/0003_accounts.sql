-- Accounts: agencies, teams, users, sessions and API tokens; and who a record
-- belongs to, for the policy's scope checks. Kept in step with
-- migrations/sqlite/0003_accounts.sql (PostgreSQL types: uuid, timestamptz, bytea).
--
-- No secret is stored in the clear: passwords are Argon2id hashes, session
-- ids and token secrets SHA-256 hashes, and TOTP secrets are sealed with a
-- data key of their own that the master key (outside the database) wraps.

CREATE TABLE agencies (
    id                      UUID PRIMARY KEY,                   -- UUIDv7
    name                    TEXT NOT NULL UNIQUE,
    kind                    TEXT NOT NULL,               -- kinlink_policy::AgencyType, snake_case
    immigration_enforcement BOOLEAN NOT NULL,            -- flagged by the administrator: widens the firewall
    created_at              TIMESTAMPTZ NOT NULL
);

CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    agency_id  UUID NOT NULL REFERENCES agencies (id),
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (agency_id, name)
);

CREATE TABLE users (
    id                 UUID PRIMARY KEY,
    username           TEXT NOT NULL UNIQUE,          -- normalised: lower case, trimmed
    agency_id          UUID NOT NULL REFERENCES agencies (id),
    password_hash      TEXT NOT NULL,                 -- Argon2id PHC string
    totp_wrapped_key   BYTEA,                          -- the TOTP secret's data key, wrapped by the master key
    totp_sealed_secret BYTEA,                          -- the TOTP secret, sealed with that data key
    totp_confirmed     BOOLEAN NOT NULL,              -- enrolment confirmed with a code
    totp_last_step     BIGINT,                        -- last accepted step: a code is never accepted twice
    disabled           BOOLEAN NOT NULL,
    failed_sign_ins    BIGINT NOT NULL,               -- since the last success
    locked_until       TIMESTAMPTZ,                          -- temporary lockout, shared by every server process
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_teams (
    user_id UUID NOT NULL REFERENCES users (id),
    team_id UUID NOT NULL REFERENCES teams (id),
    PRIMARY KEY (user_id, team_id)
);

CREATE TABLE user_roles (
    user_id UUID NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL,                            -- kinlink_policy::Role, snake_case
    PRIMARY KEY (user_id, role)
);

-- In the database, not in memory: several server processes share them.
CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY NOT NULL,          -- SHA-256 of the cookie's session id
    user_id      UUID NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,                      -- idle expiry counts from here
    expires_at   TIMESTAMPTZ NOT NULL,                      -- absolute expiry
    totp_pending BOOLEAN NOT NULL                    -- signed in with a password only, must enrol a second factor
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    prefix       TEXT PRIMARY KEY NOT NULL,          -- public part: finds the token, names it in lists
    secret_hash  TEXT NOT NULL,                      -- SHA-256 of the secret part
    user_id      UUID NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,                      -- space-separated resource:action
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- Who a record belongs to: the user who created it and their agency and team
-- at the time. Records written before accounts existed, or by the CLI
-- without an owner, have none and are reached only by deployment-wide roles.
ALTER TABLE records ADD COLUMN owner_user UUID;
ALTER TABLE records ADD COLUMN owner_agency UUID;
ALTER TABLE records ADD COLUMN owner_team UUID;
CREATE INDEX records_by_owner_agency ON records (kind, owner_agency, id);
