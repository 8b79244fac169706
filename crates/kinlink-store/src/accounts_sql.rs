//! [`AccountStore`] on the SQL backends: the same queries on both, as for records.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use kinlink_policy::{AgencyType, Role};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::StoreError;
use crate::accounts::{
    AccountStore, AgencyRecord, NewUser, SessionRecord, StoredTotp, TeamRecord, TokenRecord, UserRecord,
};
use crate::sql::{Dialect, SqlStore, SqlValue};

const USER_COLUMNS: &str = "id, username, agency_id, password_hash, totp_wrapped_key, totp_sealed_secret, \
                            totp_confirmed, totp_last_step, disabled, failed_sign_ins, locked_until, created_at";
const TOKEN_COLUMNS: &str = "prefix, secret_hash, user_id, name, scopes, created_at, expires_at, revoked_at";
const SESSION_COLUMNS: &str = "hash, user_id, created_at, last_seen_at, expires_at, totp_pending";

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The stable snake_case name of a policy word (a role, an agency type).
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

fn parse_name<T: DeserializeOwned>(name: String, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name)).map_err(|_| StoreError::Corrupt {
        id: what.to_owned(),
        reason: "unknown name stored".to_owned(),
    })
}

/// A unique constraint failed: `what` with this name exists.
fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate { what },
        _ => StoreError::Database(e),
    }
}

fn found<T>(affected: u64, value: T, what: &'static str) -> Result<T, StoreError> {
    if affected == 0 {
        Err(StoreError::NoSuch { what })
    } else {
        Ok(value)
    }
}

impl<DB> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    Option<Vec<u8>>: SqlValue<DB>,
    Option<DateTime<Utc>>: SqlValue<DB>,
    Option<i64>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    fn agency_from_row(row: &DB::Row) -> Result<AgencyRecord, StoreError> {
        Ok(AgencyRecord {
            id: DB::uuid_from_db(row.try_get("id")?)?,
            name: row.try_get("name")?,
            kind: parse_name::<AgencyType>(row.try_get("kind")?, "agency")?,
            immigration_enforcement: row.try_get("immigration_enforcement")?,
            created_at: row.try_get("created_at")?,
        })
    }

    fn team_from_row(row: &DB::Row) -> Result<TeamRecord, StoreError> {
        Ok(TeamRecord {
            id: DB::uuid_from_db(row.try_get("id")?)?,
            agency_id: DB::uuid_from_db(row.try_get("agency_id")?)?,
            name: row.try_get("name")?,
        })
    }

    fn token_from_row(row: &DB::Row) -> Result<TokenRecord, StoreError> {
        let scopes: String = row.try_get("scopes")?;
        Ok(TokenRecord {
            prefix: row.try_get("prefix")?,
            secret_hash: row.try_get("secret_hash")?,
            user_id: DB::uuid_from_db(row.try_get("user_id")?)?,
            name: row.try_get("name")?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }

    fn session_from_row(row: &DB::Row) -> Result<SessionRecord, StoreError> {
        Ok(SessionRecord {
            hash: row.try_get("hash")?,
            user_id: DB::uuid_from_db(row.try_get("user_id")?)?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
            totp_pending: row.try_get("totp_pending")?,
        })
    }

    /// A user with their teams and roles (two more small queries).
    async fn user_from_row(&self, row: &DB::Row) -> Result<UserRecord, StoreError> {
        let id_db: DB::Id = row.try_get("id")?;
        let id = DB::uuid_from_db(id_db)?;
        let teams = sqlx::query("SELECT team_id FROM user_teams WHERE user_id = $1 ORDER BY team_id")
            .bind(DB::uuid_to_db(id))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| DB::uuid_from_db(r.try_get("team_id")?))
            .collect::<Result<Vec<_>, _>>()?;
        let mut roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1")
            .bind(DB::uuid_to_db(id))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| parse_name::<Role>(r.try_get("role")?, "user role"))
            .collect::<Result<Vec<_>, _>>()?;
        roles.sort();
        let wrapped_key: Option<Vec<u8>> = row.try_get("totp_wrapped_key")?;
        let sealed_secret: Option<Vec<u8>> = row.try_get("totp_sealed_secret")?;
        let totp = match (wrapped_key, sealed_secret) {
            (Some(wrapped_key), Some(sealed_secret)) => Some(StoredTotp {
                wrapped_key,
                sealed_secret,
                confirmed: row.try_get("totp_confirmed")?,
                last_step: row.try_get("totp_last_step")?,
            }),
            _ => None,
        };
        Ok(UserRecord {
            id,
            username: row.try_get("username")?,
            agency_id: DB::uuid_from_db(row.try_get("agency_id")?)?,
            teams,
            roles,
            password_hash: row.try_get("password_hash")?,
            totp,
            disabled: row.try_get("disabled")?,
            failed_sign_ins: row.try_get("failed_sign_ins")?,
            locked_until: row.try_get("locked_until")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Run an UPDATE of one user; how many rows it changed. sqlx has no
    /// generic `rows_affected`, so statements that need it say `RETURNING 1`.
    async fn execute_user_update(&self, sql: &str, id: Uuid) -> Result<u64, StoreError> {
        Ok(sqlx::query(&format!("{sql} RETURNING 1 AS changed"))
            .bind(DB::uuid_to_db(id))
            .fetch_all(&self.pool)
            .await?
            .len() as u64)
    }
}

#[async_trait]
impl<DB> AccountStore for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    String: SqlValue<DB>,
    i64: SqlValue<DB>,
    bool: SqlValue<DB>,
    Vec<u8>: SqlValue<DB>,
    DateTime<Utc>: SqlValue<DB>,
    Option<DB::Id>: SqlValue<DB>,
    Option<Vec<u8>>: SqlValue<DB>,
    Option<DateTime<Utc>>: SqlValue<DB>,
    Option<i64>: SqlValue<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    async fn create_agency(
        &self,
        name: &str,
        kind: AgencyType,
        immigration_enforcement: bool,
    ) -> Result<AgencyRecord, StoreError> {
        let agency = AgencyRecord {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            kind,
            immigration_enforcement,
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO agencies (id, name, kind, immigration_enforcement, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(DB::uuid_to_db(agency.id))
        .bind(name)
        .bind(name_of(&kind))
        .bind(immigration_enforcement)
        .bind(agency.created_at)
        .execute(&self.pool)
        .await
        .map_err(unique("an agency"))?;
        Ok(agency)
    }

    async fn agency(&self, id: Uuid) -> Result<Option<AgencyRecord>, StoreError> {
        sqlx::query("SELECT * FROM agencies WHERE id = $1")
            .bind(DB::uuid_to_db(id))
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::agency_from_row)
            .transpose()
    }

    async fn agency_by_name(&self, name: &str) -> Result<Option<AgencyRecord>, StoreError> {
        sqlx::query("SELECT * FROM agencies WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::agency_from_row)
            .transpose()
    }

    async fn agencies(&self) -> Result<Vec<AgencyRecord>, StoreError> {
        sqlx::query("SELECT * FROM agencies ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::agency_from_row)
            .collect()
    }

    async fn create_team(&self, agency_id: Uuid, name: &str) -> Result<TeamRecord, StoreError> {
        let team = TeamRecord {
            id: Uuid::now_v7(),
            agency_id,
            name: name.to_owned(),
        };
        sqlx::query("INSERT INTO teams (id, agency_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(DB::uuid_to_db(team.id))
            .bind(DB::uuid_to_db(agency_id))
            .bind(name)
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(unique("a team"))?;
        Ok(team)
    }

    async fn team_by_name(&self, agency_id: Uuid, name: &str) -> Result<Option<TeamRecord>, StoreError> {
        sqlx::query("SELECT id, agency_id, name FROM teams WHERE agency_id = $1 AND name = $2")
            .bind(DB::uuid_to_db(agency_id))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::team_from_row)
            .transpose()
    }

    async fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        sqlx::query("SELECT id, agency_id, name FROM teams ORDER BY agency_id, name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::team_from_row)
            .collect()
    }

    async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError> {
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query(
            "INSERT INTO users (id, username, agency_id, password_hash, totp_confirmed, disabled, \
             failed_sign_ins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, 0, $6, $6)",
        )
        .bind(DB::uuid_to_db(id))
        .bind(user.username.as_str())
        .bind(DB::uuid_to_db(user.agency_id))
        .bind(user.password_hash.as_str())
        .bind(false)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(unique("a user"))?;
        for team in &user.teams {
            sqlx::query("INSERT INTO user_teams (user_id, team_id) VALUES ($1, $2)")
                .bind(DB::uuid_to_db(id))
                .bind(DB::uuid_to_db(*team))
                .execute(&mut *tx)
                .await?;
        }
        let mut roles = user.roles.clone();
        roles.sort();
        roles.dedup();
        for role in &roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(DB::uuid_to_db(id))
                .bind(name_of(role))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let mut teams = user.teams.clone();
        teams.sort();
        Ok(UserRecord {
            id,
            username: user.username.clone(),
            agency_id: user.agency_id,
            teams,
            roles,
            password_hash: user.password_hash.clone(),
            totp: None,
            disabled: false,
            failed_sign_ins: 0,
            locked_until: None,
            created_at: at,
        })
    }

    async fn user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(DB::uuid_to_db(id))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.user_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.user_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"))
            .fetch_all(&self.pool)
            .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(self.user_from_row(row).await?);
        }
        Ok(users)
    }

    async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let affected = sqlx::query(
            "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 RETURNING 1 AS changed",
        )
        .bind(disabled)
        .bind(now())
        .bind(DB::uuid_to_db(id))
        .fetch_all(&mut *tx)
        .await?
        .len() as u64;
        found(affected, (), "user")?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(DB::uuid_to_db(id))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let affected = sqlx::query(
            "UPDATE users SET password_hash = $1, failed_sign_ins = 0, locked_until = NULL, updated_at = $2 \
             WHERE id = $3 RETURNING 1 AS changed",
        )
        .bind(hash)
        .bind(now())
        .bind(DB::uuid_to_db(id))
        .fetch_all(&mut *tx)
        .await?
        .len() as u64;
        found(affected, (), "user")?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(DB::uuid_to_db(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_roles(&self, id: Uuid, roles: &[Role]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let affected = sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2 RETURNING 1 AS changed")
            .bind(now())
            .bind(DB::uuid_to_db(id))
            .fetch_all(&mut *tx)
            .await?
            .len() as u64;
        found(affected, (), "user")?;
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(DB::uuid_to_db(id))
            .execute(&mut *tx)
            .await?;
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        for role in &roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(DB::uuid_to_db(id))
                .bind(name_of(role))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(DB::uuid_to_db(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_totp(&self, id: Uuid, totp: Option<&StoredTotp>) -> Result<(), StoreError> {
        let affected = sqlx::query(
            "UPDATE users SET totp_wrapped_key = $1, totp_sealed_secret = $2, totp_confirmed = $3, \
             totp_last_step = NULL, updated_at = $4 WHERE id = $5 RETURNING 1 AS changed",
        )
        .bind(totp.map(|t| t.wrapped_key.clone()))
        .bind(totp.map(|t| t.sealed_secret.clone()))
        .bind(totp.is_some_and(|t| t.confirmed))
        .bind(now())
        .bind(DB::uuid_to_db(id))
        .fetch_all(&self.pool)
        .await?
        .len() as u64;
        found(affected, (), "user")
    }

    async fn confirm_totp(&self, id: Uuid) -> Result<(), StoreError> {
        let affected = self
            .execute_user_update(
                "UPDATE users SET totp_confirmed = TRUE WHERE id = $1 AND totp_sealed_secret IS NOT NULL",
                id,
            )
            .await?;
        found(affected, (), "user")
    }

    async fn use_totp_step(&self, id: Uuid, step: i64) -> Result<bool, StoreError> {
        let affected = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1) \
             RETURNING 1 AS changed",
        )
        .bind(step)
        .bind(DB::uuid_to_db(id))
        .fetch_all(&self.pool)
        .await?
        .len() as u64;
        Ok(affected == 1)
    }

    async fn record_sign_in_failure(
        &self,
        id: Uuid,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let affected = sqlx::query(
            "UPDATE users SET failed_sign_ins = failed_sign_ins + 1, \
             locked_until = COALESCE($1, locked_until) WHERE id = $2 RETURNING 1 AS changed",
        )
        .bind(locked_until)
        .bind(DB::uuid_to_db(id))
        .fetch_all(&self.pool)
        .await?
        .len() as u64;
        found(affected, (), "user")
    }

    async fn record_sign_in_success(&self, id: Uuid) -> Result<(), StoreError> {
        let affected = self
            .execute_user_update(
                "UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1",
                id,
            )
            .await?;
        found(affected, (), "user")
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(session.hash.as_str())
        .bind(DB::uuid_to_db(session.user_id))
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .bind(session.totp_pending)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE hash = $1"))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::session_from_row)
            .transpose()
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE hash = $2 AND last_seen_at < $1")
            .bind(at)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn complete_session(&self, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET totp_pending = $1 WHERE hash = $2")
            .bind(false)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1")
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2 RETURNING 1 AS changed",
        )
        .bind(now)
        .bind(idle_before)
        .fetch_all(&self.pool)
        .await?
        .len() as u64)
    }

    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(token.prefix.as_str())
        .bind(token.secret_hash.as_str())
        .bind(DB::uuid_to_db(token.user_id))
        .bind(token.name.as_str())
        .bind(token.scopes.join(" "))
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(unique("a token"))?;
        Ok(())
    }

    async fn token(&self, prefix: &str) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE prefix = $1"
        ))
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(Self::token_from_row)
        .transpose()
    }

    async fn tokens(&self, user: Option<Uuid>) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = match user {
            Some(user) => sqlx::query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, prefix"
            ))
            .bind(DB::uuid_to_db(user))
            .fetch_all(&self.pool)
            .await?,
            None => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, prefix"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(Self::token_from_row).collect()
    }

    async fn revoke_token(&self, prefix: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let affected = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL RETURNING 1 AS changed")
            .bind(at)
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?
            .len() as u64;
        Ok(affected == 1)
    }
}
