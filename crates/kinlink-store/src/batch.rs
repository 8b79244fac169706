//! Statements with many parameters (an import's multi-row inserts and
//! lookups), built for any sqlx database.
//!
//! sqlx's `QueryBuilder` does this, but when generic over the database a
//! query it builds does not borrow-check (the builder must stay borrowed as
//! long as the values it holds, and is dropped while still borrowed). The
//! placeholders are each backend's own, as sqlx writes them: `$n` on
//! PostgreSQL, anonymous `?` on SQLite. That matters on SQLite: it keeps
//! numbered and named parameters (`?n`, `$n`) in a list that is searched once
//! per parameter when binding, quadratic in a statement with thousands.

use sqlx::error::BoxDynError;
use sqlx::{Arguments, Database, Encode, Type};

use crate::StoreError;

/// SQL text and its arguments, built together.
pub(crate) struct Batch<'q, DB: Database> {
    sql: String,
    arguments: DB::Arguments<'q>,
    groups: usize,
    /// The first value that could not be encoded; reported by [`Batch::build`].
    error: Option<BoxDynError>,
}

impl<'q, DB: Database> Batch<'q, DB> {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            arguments: DB::Arguments::default(),
            groups: 0,
            error: None,
        }
    }

    /// Append SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Append a parameter bound to `value`.
    pub fn bind<T: 'q + Encode<'q, DB> + Type<DB>>(&mut self, value: T) -> &mut Self {
        if let Err(e) = self.arguments.add(value) {
            self.error.get_or_insert(e);
        }
        // After `add`: PostgreSQL numbers the placeholder by the count so far.
        if let Err(e) = self.arguments.format_placeholder(&mut self.sql) {
            self.error.get_or_insert(Box::new(e));
        }
        self
    }

    /// Append `(a, b, c)` with the values `values` binds, preceded by a comma
    /// unless it is the first group: a row of `VALUES`, or an `IN` list.
    pub fn group(&mut self, values: impl FnOnce(&mut Group<'_, 'q, DB>)) -> &mut Self {
        self.sql.push_str(if self.groups == 0 { "(" } else { ", (" });
        values(&mut Group {
            batch: self,
            empty: true,
        });
        self.sql.push(')');
        self.groups += 1;
        self
    }

    /// The SQL and its arguments, for `sqlx::query_with`.
    pub fn build(self) -> Result<(String, DB::Arguments<'q>), StoreError> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e).into()),
            None => Ok((self.sql, self.arguments)),
        }
    }
}

/// The values of one parenthesised group, comma-separated.
pub(crate) struct Group<'b, 'q, DB: Database> {
    batch: &'b mut Batch<'q, DB>,
    empty: bool,
}

impl<'q, DB: Database> Group<'_, 'q, DB> {
    pub fn bind<T: 'q + Encode<'q, DB> + Type<DB>>(&mut self, value: T) -> &mut Self {
        if !self.empty {
            self.batch.push(", ");
        }
        self.empty = false;
        self.batch.bind(value);
        self
    }
}
