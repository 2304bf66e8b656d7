//! Webhooks (`listen`) and inspections into the shared history, as `webhooks.rs` and
//! `inspections.rs` keep them in SQLite. Several `listen`s may share one server: the
//! webhooks of one session are taken one at a time (an advisory lock on its id, held to
//! the end of the transaction), so the read, the rule and the write stay one step.

use super::query::Params;
use super::write::{InsertError, insert_in, update_decision};
use super::*;
use crate::history::{NewRecord, WebhookOutcome, WebhookWrite, to_ms};

impl PgStore {
    pub(crate) fn record_webhook(
        &self,
        w: &WebhookWrite<'_>,
        newer: impl FnOnce(Option<&Record>) -> bool + Send,
    ) -> Result<WebhookOutcome, StoreError> {
        let e = &w.elsewhere;
        let (input, session) = crate::history::webhooks::elsewhere_parts(w);
        let new = NewRecord {
            profile: e.profile,
            base_url: e.base_url,
            sandbox: e.sandbox,
            input: &input,
            session: &session,
        };
        let select = format!("SELECT {} FROM sessions WHERE session_id = $1", columns());
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&w.session_id],
            )?;
            let seen = tx.query_opt(
                "SELECT 1 FROM deliveries WHERE body_sha256 = $1",
                &[&w.body_sha256],
            )?;
            if seen.is_some() {
                return Ok(WebhookOutcome::Duplicate);
            }
            let current = match tx.query_opt(&select, &[&w.session_id])? {
                Some(row) => Some(row_to_record(&row)?),
                None => None,
            };
            let new_record = current.is_none();
            if new_record {
                match insert_in(&mut tx, &new, "", "", true) {
                    Ok(_) => {}
                    Err(InsertError::Db(e)) => return Err(e),
                    // Held off by the lock above: the row cannot have come in between.
                    Err(InsertError::Duplicate) => {}
                }
            }
            let apply = newer(current.as_ref());
            if apply {
                update_decision(&mut tx, w.session_id, Some(w.decision), w.received_at)?;
            }
            let result = if apply { "applied" } else { "stale" };
            tx.execute(
                "INSERT INTO deliveries (body_sha256, received_at, session_id, kind, attempt_id, \
                 result) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &w.body_sha256,
                    &to_ms(w.received_at),
                    &w.session_id,
                    &w.kind,
                    &w.attempt_id,
                    &result,
                ],
            )?;
            tx.commit()?;
            Ok(if apply {
                WebhookOutcome::Applied { new_record }
            } else {
                WebhookOutcome::Stale
            })
        })
    }

    pub(crate) fn webhook_attempts(&self, session_id: &str) -> Result<Vec<String>, StoreError> {
        self.run(|c| {
            c.query(
                "SELECT attempt_id FROM deliveries WHERE session_id = $1 AND attempt_id IS NOT NULL \
                 GROUP BY attempt_id ORDER BY MIN(received_at)",
                &[&session_id],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect()
        })
    }

    pub(crate) fn save_inspection(
        &self,
        record_id: i64,
        fetched_at_ms: i64,
        json: &str,
    ) -> Result<(), StoreError> {
        self.run(|c| {
            c.execute(
                "INSERT INTO inspections (record_id, fetched_at, json) VALUES ($1, $2, $3) \
                 ON CONFLICT (record_id) DO UPDATE SET fetched_at = $2, json = $3",
                &[&record_id, &fetched_at_ms, &json],
            )
            .map(drop)
        })
    }

    pub(crate) fn inspection_json(&self, record_id: i64) -> Result<Option<String>, StoreError> {
        let mut params = Params::default();
        let sql = format!(
            "SELECT json FROM inspections WHERE record_id = {}",
            params.add(record_id)
        );
        self.run(|c| {
            c.query_opt(&sql, &params.refs())?
                .map(|r| r.try_get(0))
                .transpose()
        })
    }
}
