//! Records copied in whole (`history import`): a local history's records go into the
//! shared one as they are (status, decision, check error, extra fields, inspection), each
//! under the importing operator and this machine. A session already there is skipped, so
//! an import run twice, or by two operators from copies of one file, copies each once.
//! Webhook deliveries are copied the same way, each once by its body's hash.

use postgres::GenericClient;

use super::*;
use crate::history::webhooks::Delivery;
use crate::history::{extra_column, to_ms};
use crate::veriff::SessionStatus;

impl PgStore {
    /// Inserts `records` (with their kept inspection JSON, if any) in one transaction;
    /// returns how many were new (the rest were there already).
    pub(crate) fn import_records(
        &self,
        records: &[(Record, Option<(i64, String)>)],
    ) -> Result<u64, StoreError> {
        let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
        self.run(|c| {
            let mut tx = c.transaction()?;
            let mut copied = 0;
            for (r, inspection) in records {
                let Some(id) = insert_whole(&mut tx, r, operator, machine)? else {
                    continue;
                };
                copied += 1;
                if let Some((fetched_at, json)) = inspection {
                    tx.execute(
                        "INSERT INTO inspections (record_id, fetched_at, json) VALUES ($1, $2, $3)",
                        &[&id, fetched_at, json],
                    )?;
                }
            }
            tx.commit()?;
            Ok(copied)
        })
    }

    /// Inserts `deliveries` in one transaction; returns how many were new (the rest were
    /// there already).
    pub(crate) fn import_deliveries(&self, deliveries: &[Delivery]) -> Result<u64, StoreError> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            let mut copied = 0;
            for d in deliveries {
                copied += tx.execute(
                    "INSERT INTO deliveries (body_sha256, received_at, session_id, kind, \
                     attempt_id, result) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (body_sha256) DO NOTHING",
                    &[
                        &d.body_sha256,
                        &d.received_at_ms,
                        &d.session_id,
                        &d.kind,
                        &d.attempt_id,
                        &d.result,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(copied)
        })
    }
}

/// One record with every field it holds; `None` when its session is there already.
pub(super) fn insert_whole(
    c: &mut impl GenericClient,
    r: &Record,
    operator: &str,
    machine: &str,
) -> Result<Option<i64>, postgres::Error> {
    // `decided_at` is not in a record: the decision time, else when it was checked, as
    // `record_decision` sets it; none while undecided.
    let undecided = matches!(
        r.status,
        SessionStatus::Created
            | SessionStatus::Started
            | SessionStatus::Submitted
            | SessionStatus::Unknown
    );
    let decided_at = (!undecided)
        .then(|| {
            r.decision_time
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| to_ms(t.with_timezone(&chrono::Utc)))
                .or(r.checked_at.map(to_ms))
        })
        .flatten();
    let row = c.query_opt(
        "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
         lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status, \
         decision_code, decision_reason, decision_time, decided_at, checked_at, check_error, \
         extra, search_extra, made_elsewhere, operator, machine) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $24, $25, $26) \
         ON CONFLICT (session_id) DO NOTHING RETURNING id",
        &[
            &to_ms(r.created_at),
            &r.profile,
            &r.base_url,
            &r.sandbox,
            &r.first_name,
            &r.last_name,
            &r.lang,
            &r.selfid,
            &r.callback,
            &r.vendor_data,
            &r.session_id,
            &r.url,
            &r.host,
            &to_ms(r.expires_at),
            &r.status.as_str(),
            &r.decision_code,
            &r.decision_reason,
            &r.decision_time,
            &decided_at,
            &r.checked_at.map(to_ms),
            &r.check_error,
            &extra_column(&r.extra),
            &r.extra.search_text(),
            &r.made_elsewhere,
            &operator,
            &machine,
        ],
    )?;
    row.map(|row| row.try_get(0)).transpose()
}
