//! `history import`: a local SQLite history copied into the shared one on PostgreSQL,
//! newest first a batch at a time (memory stays flat for a million records), skipping
//! sessions already there; then the webhook deliveries `listen` kept, skipping those there
//! already (by their body's hash, as `listen` itself does), so that a webhook Veriff sends
//! again is known as the same delivery and the attempts a session had are all there.
//! Requests still in flight in the file are not copied: their process finishes them where
//! it started them.

use super::*;

/// Records read and written per transaction.
const BATCH: u64 = 2000;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Records new to the shared history.
    pub copied: u64,
    /// Records whose session it had already.
    pub skipped: u64,
    /// Webhook deliveries new to the shared history.
    pub deliveries_copied: u64,
    /// Webhook deliveries it had already.
    pub deliveries_skipped: u64,
}

impl Store {
    /// Copies every record of `source` (a local history) into this store, which must be
    /// the shared one. `progress(done, total)` after each batch.
    pub fn import_from(
        &self,
        source: &Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport, StoreError> {
        let Some(pg) = self.pg() else {
            return Err(StoreError::Sqlite(
                "import copies a local history into the shared one: set [history] url in the config (or VERIFF_TUI_HISTORY_URL) to the shared history first".into(),
            ));
        };
        if source.is_shared() {
            return Err(StoreError::Sqlite(
                "import reads a local history file (--from PATH), not a shared one".into(),
            ));
        }
        let total = source.count(&Query::default())?;
        let query = Query {
            limit: BATCH,
            ..Query::default()
        };
        let mut report = ImportReport::default();
        let mut cursor = None;
        loop {
            let page = source.page_after(&query, cursor)?;
            let Some(last) = page.last() else { break };
            cursor = Some(last.cursor());
            let mut batch = Vec::with_capacity(page.len());
            for r in page {
                let inspection = source.inspection(r.id)?.and_then(|i| {
                    serde_json::to_string(&i)
                        .ok()
                        .map(|j| (to_ms(i.fetched_at), j))
                });
                batch.push((r, inspection));
            }
            let copied = pg.import_records(&batch)?;
            report.copied += copied;
            report.skipped += batch.len() as u64 - copied;
            progress(report.copied + report.skipped, total);
        }
        let mut after: Option<String> = None;
        loop {
            let page = source.deliveries_after(after.as_deref(), BATCH)?;
            let Some(last) = page.last() else { break };
            after = Some(last.body_sha256.clone());
            let copied = pg.import_deliveries(&page)?;
            report.deliveries_copied += copied;
            report.deliveries_skipped += page.len() as u64 - copied;
        }
        Ok(report)
    }
}
