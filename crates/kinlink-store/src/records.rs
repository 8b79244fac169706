//! The typed view over a [`Store`]: one record type at a time.

use std::marker::PhantomData;
use std::sync::Arc;

use kinlink_core::{Record, RecordId, RecordNumber, Validated};

use crate::types::{Actor, RawRecord, RawRevision, Revision, StoredRecord, Visibility};
use crate::{Store, StoreError};

/// One item of an import: the id the record has in the source file, and the record.
#[derive(Clone, Debug)]
pub struct ImportItem {
    pub external_id: String,
    pub body: String,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Typed access to the records of type `T`.
pub struct Records<T> {
    store: Arc<dyn Store>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Records<T> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: Record> Records<T> {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            _type: PhantomData,
        }
    }

    pub async fn create(&self, record: Validated<T>, actor: &Actor) -> Result<StoredRecord<T>, StoreError> {
        let body = serde_json::to_string(record.as_ref())?;
        let meta = self.store.insert(T::KIND, &body, actor, None).await?;
        Ok(StoredRecord {
            meta,
            record: record.into_inner(),
        })
    }

    pub async fn update(
        &self,
        id: RecordId,
        expected_version: i64,
        record: Validated<T>,
        actor: &Actor,
    ) -> Result<StoredRecord<T>, StoreError> {
        let body = serde_json::to_string(record.as_ref())?;
        let meta = self
            .store
            .update(T::KIND, id, expected_version, &body, actor)
            .await?;
        Ok(StoredRecord {
            meta,
            record: record.into_inner(),
        })
    }

    pub async fn get(&self, id: RecordId) -> Result<Option<StoredRecord<T>>, StoreError> {
        self.store.get(T::KIND, id).await?.map(decode).transpose()
    }

    pub async fn get_by_number(&self, number: &RecordNumber) -> Result<Option<StoredRecord<T>>, StoreError> {
        if number.kind() != T::KIND {
            return Ok(None);
        }
        self.store
            .get_by_number(T::KIND, number)
            .await?
            .map(decode)
            .transpose()
    }

    pub async fn list(
        &self,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<StoredRecord<T>>, StoreError> {
        self.store
            .list(T::KIND, after, limit)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// [`Records::list`] limited to what `visibility` reaches (`None`: everything).
    pub async fn list_visible(
        &self,
        after: Option<RecordId>,
        limit: u32,
        visibility: Option<&Visibility>,
    ) -> Result<Vec<StoredRecord<T>>, StoreError> {
        self.store
            .list_visible(T::KIND, after, limit, visibility)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    pub async fn count(&self) -> Result<u64, StoreError> {
        self.store.count(T::KIND).await
    }

    pub async fn history(&self, id: RecordId) -> Result<Vec<Revision<T>>, StoreError> {
        self.store
            .history(T::KIND, id)
            .await?
            .into_iter()
            .map(|r| decode_revision(id, r))
            .collect()
    }

    /// Import validated records keyed by their id in the source file, all in
    /// one transaction.
    pub async fn import(
        &self,
        records: &[(String, Validated<T>)],
        actor: &Actor,
    ) -> Result<ImportOutcome, StoreError> {
        self.import_with_progress(records, actor, &|_| {}).await
    }

    /// [`Records::import`], telling `progress` how many records are done.
    pub async fn import_with_progress(
        &self,
        records: &[(String, Validated<T>)],
        actor: &Actor,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome, StoreError> {
        let items = records
            .iter()
            .map(|(external_id, record)| {
                Ok(ImportItem {
                    external_id: external_id.clone(),
                    body: serde_json::to_string(record.as_ref())?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.store.import(T::KIND, &items, actor, progress).await
    }
}

fn decode<T: Record>(raw: RawRecord) -> Result<StoredRecord<T>, StoreError> {
    let record = serde_json::from_str(&raw.body).map_err(|e| corrupt(raw.meta.id, &e))?;
    Ok(StoredRecord {
        meta: raw.meta,
        record,
    })
}

fn decode_revision<T: Record>(id: RecordId, raw: RawRevision) -> Result<Revision<T>, StoreError> {
    let record = serde_json::from_str(&raw.body).map_err(|e| corrupt(id, &e))?;
    Ok(Revision {
        version: raw.version,
        changed_at: raw.changed_at,
        changed_by: raw.changed_by,
        record,
    })
}

/// serde_json's messages for data errors can quote values: keep only the
/// position, which is enough to find the fault and carries no personal data.
fn corrupt(id: RecordId, e: &serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        id: id.to_string(),
        reason: format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
    }
}
