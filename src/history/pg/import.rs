//! Records copied in whole (`history import`): a local history's records go into the
//! shared one as they are (status, decision, check error, extra fields, inspection), each
//! under the importing operator and this machine. A session already there is skipped, so
//! an import run twice, or by two operators from copies of one file, copies each once.
//! Webhook deliveries are copied the same way, each once by its body's hash.

use postgres::GenericClient;

use super::query::Params;
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

/// A record's link as columns of `sessions` and their placeholders in `params`: what was
/// sent, and who made it where. A record imported whole is written with them, and so is a
/// link made here that the server first heard of from a webhook (`outbox.rs`).
pub(super) fn link_columns(
    r: &Record,
    operator: &str,
    machine: &str,
    params: &mut Params,
) -> Vec<(&'static str, String)> {
    vec![
        ("created_at", params.add(to_ms(r.created_at))),
        ("profile", params.add(r.profile.clone())),
        ("base_url", params.add(r.base_url.clone())),
        ("sandbox", params.add(r.sandbox)),
        ("first_name", params.add(r.first_name.clone())),
        ("last_name", params.add(r.last_name.clone())),
        ("lang", params.add(r.lang.clone())),
        ("selfid", params.add(r.selfid)),
        ("callback", params.add(r.callback.clone())),
        ("vendor_data", params.add(r.vendor_data.clone())),
        ("url", params.add(r.url.clone())),
        ("host", params.add(r.host.clone())),
        ("expires_at", params.add(to_ms(r.expires_at))),
        ("extra", params.add(extra_column(&r.extra))),
        ("search_extra", params.add(r.extra.search_text())),
        ("operator", params.add(operator.to_string())),
        ("machine", params.add(machine.to_string())),
    ]
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
    let mut params = Params::default();
    let mut columns = link_columns(r, operator, machine, &mut params);
    columns.extend([
        ("session_id", params.add(r.session_id.clone())),
        ("status", params.add(r.status.as_str().to_string())),
        ("decision_code", params.add(r.decision_code)),
        ("decision_reason", params.add(r.decision_reason.clone())),
        ("decision_time", params.add(r.decision_time.clone())),
        ("decided_at", params.add(decided_at)),
        ("checked_at", params.add(r.checked_at.map(to_ms))),
        ("check_error", params.add(r.check_error.clone())),
        ("made_elsewhere", params.add(r.made_elsewhere)),
    ]);
    let (names, marks): (Vec<&str>, Vec<String>) = columns.into_iter().unzip();
    let sql = format!(
        "INSERT INTO sessions ({}) VALUES ({}) ON CONFLICT (session_id) DO NOTHING RETURNING id",
        names.join(", "),
        marks.join(", ")
    );
    let row = c.query_opt(&sql, &params.refs())?;
    row.map(|row| row.try_get(0)).transpose()
}
