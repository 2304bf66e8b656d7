//! History exports: the same columns from the CLI (`history --csv/--json`) and the TUI (`e`).

use std::io::Write;

use serde::Serialize;

use crate::history::Record;
use crate::text::sanitize;

/// Column names of the CSV export, in order.
pub const CSV_COLUMNS: [&str; 19] = [
    "created_at",
    "profile",
    "sandbox",
    "first_name",
    "last_name",
    "lang",
    "selfid",
    "callback",
    "vendor_data",
    "session_id",
    "url",
    "host",
    "expires_at",
    "status",
    "decision_code",
    "decision_reason",
    "decision_time",
    "checked_at",
    "base_url",
];

/// A record as exported: strings sanitised, times RFC 3339 UTC. No secret is ever in a record.
#[derive(Debug, Serialize)]
pub struct ExportRow {
    pub created_at: String,
    pub profile: String,
    pub sandbox: bool,
    pub first_name: String,
    pub last_name: String,
    pub lang: String,
    pub selfid: bool,
    pub callback: String,
    pub vendor_data: String,
    pub session_id: String,
    pub url: String,
    pub host: String,
    pub expires_at: String,
    pub status: String,
    pub decision_code: Option<i64>,
    pub decision_reason: String,
    pub decision_time: String,
    pub checked_at: String,
    pub base_url: String,
}

impl ExportRow {
    pub fn new(r: &Record, now: chrono::DateTime<chrono::Utc>) -> Self {
        let rfc =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Self {
            created_at: rfc(r.created_at),
            profile: sanitize(&r.profile),
            sandbox: r.sandbox,
            first_name: sanitize(&r.first_name),
            last_name: sanitize(&r.last_name),
            lang: sanitize(&r.lang),
            selfid: r.selfid,
            callback: sanitize(&r.callback),
            vendor_data: sanitize(&r.vendor_data),
            session_id: sanitize(&r.session_id),
            url: sanitize(&r.url),
            host: r.host.as_deref().map(sanitize).unwrap_or_default(),
            expires_at: rfc(r.expires_at),
            status: r.effective_status(now).to_string(),
            decision_code: r.decision_code,
            decision_reason: r
                .decision_reason
                .as_deref()
                .map(sanitize)
                .unwrap_or_default(),
            decision_time: r.decision_time.as_deref().map(sanitize).unwrap_or_default(),
            checked_at: r.checked_at.map(rfc).unwrap_or_default(),
            base_url: sanitize(&r.base_url),
        }
    }
}

/// Spreadsheets run a cell starting with `=`, `+`, `-` or `@` as a formula; a leading `'`
/// keeps a hostile name such as `=HYPERLINK(…)` plain text.
fn defuse(cell: &mut String) {
    if cell.starts_with(['=', '+', '-', '@']) {
        cell.insert(0, '\'');
    }
}

pub fn write_csv<W: Write>(records: &[Record], out: W) -> std::io::Result<()> {
    let now = chrono::Utc::now();
    let mut w = csv::Writer::from_writer(out);
    // serialize() writes the header from the field names; keep CSV_COLUMNS in step.
    for r in records {
        let mut row = ExportRow::new(r, now);
        for cell in [
            &mut row.profile,
            &mut row.first_name,
            &mut row.last_name,
            &mut row.callback,
            &mut row.vendor_data,
            &mut row.decision_reason,
        ] {
            defuse(cell);
        }
        w.serialize(row).map_err(std::io::Error::other)?;
    }
    if records.is_empty() {
        w.write_record(CSV_COLUMNS).map_err(std::io::Error::other)?;
    }
    w.flush()
}

pub fn write_json<W: Write>(records: &[Record], mut out: W) -> std::io::Result<()> {
    let now = chrono::Utc::now();
    let rows: Vec<ExportRow> = records.iter().map(|r| ExportRow::new(r, now)).collect();
    serde_json::to_writer_pretty(&mut out, &rows).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
