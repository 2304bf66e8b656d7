//! History exports: the same columns from the CLI (`history --csv/--json`) and the TUI (`e`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::history::{Query, Record, Store, StoreError};
use crate::ops::progress::{Progress, thousands};
use crate::text::sanitize;

/// Column names of the CSV export, in order. The same columns whichever history it comes
/// from (`operator` and `machine` are empty for a local file's records), so a script reads
/// every export alike; new columns go at the end.
pub const CSV_COLUMNS: [&str; 33] = [
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
    "end_user_id",
    "id_number",
    "date_of_birth",
    "gender",
    "email",
    "phone",
    "document_number",
    "document_type",
    "document_country",
    "address",
    "consents",
    "made_elsewhere",
    "operator",
    "machine",
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
    pub end_user_id: String,
    pub id_number: String,
    pub date_of_birth: String,
    pub gender: String,
    pub email: String,
    pub phone: String,
    pub document_number: String,
    pub document_type: String,
    pub document_country: String,
    pub address: String,
    /// Comma-separated, as typed in the form.
    pub consents: String,
    /// First heard of in a webhook (`listen`): made by another program, no link kept.
    pub made_elsewhere: bool,
    /// Who made it, and on which machine: the shared history keeps both; empty for a local
    /// file's records, which are all its owner's.
    pub operator: String,
    pub machine: String,
}

impl ExportRow {
    pub fn new(r: &Record, now: chrono::DateTime<chrono::Utc>) -> Self {
        let rfc =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let e = &r.extra;
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
            end_user_id: sanitize(&e.end_user_id),
            id_number: sanitize(&e.id_number),
            date_of_birth: sanitize(&e.date_of_birth),
            gender: sanitize(&e.gender),
            email: sanitize(&e.email),
            phone: sanitize(&e.phone),
            document_number: sanitize(&e.document_number),
            document_type: sanitize(&e.document_type),
            document_country: sanitize(&e.document_country),
            address: sanitize(&e.address),
            consents: sanitize(&e.get(crate::veriff::ExtraField::Consents)),
            made_elsewhere: r.made_elsewhere,
            operator: sanitize(&r.operator),
            machine: sanitize(&r.machine),
        }
    }
}

/// Spreadsheets run a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return
/// before one) as a formula; a leading `'` keeps a hostile value such as `=HYPERLINK(…)`
/// plain text (OWASP's advice for CSV injection).
pub(crate) fn defuse(cell: &mut String) {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.insert(0, '\'');
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the history failed.
    #[error("{0}")]
    Read(StoreError),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing failed: {0}")]
    Write(#[from] std::io::Error),
    /// The operator stopped it after `done` records.
    #[error("stopped after {done} records")]
    Stopped { done: u64, total: u64 },
}

/// Records read from the store per query while exporting.
const EXPORT_BATCH: u64 = 500;

/// Calls `f` with every record matching `query` (its `offset` and `limit` are ignored),
/// newest first, at most `limit` of them (0: all). Read page by page by key: a history of
/// a million records is never held in memory, and a deep page costs what the first does.
/// Returns how many records `f` was given. `progress` learns the total (counted only when
/// someone reads the reports) and each record done; once cancelled, no further record is
/// given and the result is [`ExportError::Stopped`].
pub fn for_each_matching(
    store: &Store,
    query: &Query,
    limit: u64,
    progress: &mut Progress<'_>,
    mut f: impl FnMut(&Record) -> std::io::Result<()>,
) -> Result<u64, ExportError> {
    let total = if progress.reports() {
        // A count of a common search term takes a while: Esc stops it too.
        let cancel = progress.cancel().clone();
        let counted = store
            .while_wanted(move || !cancel.is_cancelled(), |s| s.count_up_to(query, 0))
            .map_err(ExportError::Read)?;
        let Some(n) = counted else {
            return Err(ExportError::Stopped { done: 0, total: 0 });
        };
        if limit > 0 { n.min(limit) } else { n }
    } else {
        0
    };
    progress.start(total);
    let mut page_query = Query {
        offset: 0,
        limit: EXPORT_BATCH,
        ..query.clone()
    };
    let mut given = 0u64;
    let mut cursor = None;
    loop {
        if limit > 0 {
            page_query.limit = EXPORT_BATCH.min(limit - given);
        }
        let page = store
            .page_after(&page_query, cursor)
            .map_err(ExportError::Read)?;
        for r in &page {
            if progress.is_cancelled() {
                progress.finish();
                return Err(ExportError::Stopped {
                    done: given,
                    total: progress.report().total,
                });
            }
            f(r)?;
            given += 1;
            progress.advance(1);
        }
        if (page.len() as u64) < page_query.limit || (limit > 0 && given >= limit) {
            progress.finish();
            return Ok(given);
        }
        cursor = page.last().map(Record::cursor);
    }
}

/// Writes the records matching `query` (at most `limit`, 0: all) as CSV to `csv` and as a
/// pretty-printed JSON array to `json`, either or both, in one pass over the store and
/// without holding the records. The caller flushes. Returns how many were written.
pub fn write_matching(
    store: &Store,
    query: &Query,
    limit: u64,
    progress: &mut Progress<'_>,
    csv: Option<&mut dyn Write>,
    json: Option<&mut dyn Write>,
) -> Result<u64, ExportError> {
    use serde::ser::{SerializeSeq, Serializer as _};

    let now = chrono::Utc::now();
    let mut csv = csv.map(csv::Writer::from_writer);
    let mut json = json.map(serde_json::Serializer::pretty);
    let mut seq = match json.as_mut() {
        Some(ser) => Some(ser.serialize_seq(None).map_err(std::io::Error::from)?),
        None => None,
    };
    let written = for_each_matching(store, query, limit, progress, |r| {
        let mut row = ExportRow::new(r, now);
        if let Some(seq) = seq.as_mut() {
            seq.serialize_element(&row).map_err(std::io::Error::from)?;
        }
        if let Some(w) = csv.as_mut() {
            // Every text column, whatever it holds: a server's answer fills session ids,
            // hosts, statuses and times too, and any of them could be `=HYPERLINK(…)`.
            for cell in [
                &mut row.created_at,
                &mut row.profile,
                &mut row.first_name,
                &mut row.last_name,
                &mut row.lang,
                &mut row.callback,
                &mut row.vendor_data,
                &mut row.session_id,
                &mut row.url,
                &mut row.host,
                &mut row.expires_at,
                &mut row.status,
                &mut row.decision_reason,
                &mut row.decision_time,
                &mut row.checked_at,
                &mut row.base_url,
                &mut row.end_user_id,
                &mut row.id_number,
                &mut row.date_of_birth,
                &mut row.gender,
                &mut row.email,
                &mut row.phone,
                &mut row.document_number,
                &mut row.document_type,
                &mut row.document_country,
                &mut row.address,
                &mut row.consents,
                &mut row.operator,
                &mut row.machine,
            ] {
                defuse(cell);
            }
            // serialize() writes the header from the field names; keep CSV_COLUMNS in step.
            w.serialize(row).map_err(std::io::Error::other)?;
        }
        Ok(())
    })?;
    if let Some(seq) = seq {
        seq.end().map_err(std::io::Error::from)?;
    }
    if let Some(out) = json.map(serde_json::Serializer::into_inner) {
        out.write_all(b"\n")?;
    }
    if let Some(mut w) = csv {
        if written == 0 {
            w.write_record(CSV_COLUMNS).map_err(std::io::Error::other)?;
        }
        w.flush()?;
    }
    Ok(written)
}

/// Where an export went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFiles {
    pub csv: PathBuf,
    pub json: PathBuf,
    pub records: usize,
}

/// Why an export to files kept nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirExportError {
    /// The operator stopped it; what was written is removed.
    #[error("{}", stopped(*.done, *.total))]
    Stopped { done: u64, total: u64 },
    /// It failed; what to do is in the text.
    #[error("{0}")]
    Failed(String),
}

fn stopped(done: u64, total: u64) -> String {
    if done == 0 {
        return "export stopped before any record was written; nothing kept".into();
    }
    format!(
        "export stopped after {} of {} records; nothing kept (the partial files were removed)",
        thousands(done),
        thousands(total)
    )
}

impl From<String> for DirExportError {
    fn from(s: String) -> Self {
        DirExportError::Failed(s)
    }
}

/// Exports every record matching `query` to `veriff-sessions-STAMP.csv` and `.json` in
/// `dir` (created private, 0700; the files 0600, as they hold personal data). An existing
/// file is never overwritten: a second export in the same second gets a `-2` suffix.
/// `stamp` is the local time the export is named after. What the TUI's `e` runs. Stopped
/// through `progress`, or failed, it leaves no file behind: a partial export would pass
/// for a whole one.
pub fn export_to_dir(
    store: &Store,
    query: &Query,
    dir: &Path,
    stamp: chrono::NaiveDateTime,
    progress: &mut Progress<'_>,
) -> Result<ExportedFiles, DirExportError> {
    let shown = |p: &Path| sanitize(&p.display().to_string());
    crate::config::create_private_dir(dir).map_err(|e| {
        format!(
            "nothing exported: cannot create {}: {e}; check its permissions or move the data dir (--data-dir)",
            shown(dir)
        )
    })?;
    let base = format!("veriff-sessions-{}", stamp.format("%Y%m%d-%H%M%S"));
    let mut attempt = 1;
    let (csv_path, csv_file, json_path, json_file) = loop {
        let name = if attempt == 1 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let csv_path = dir.join(format!("{name}.csv"));
        let json_path = dir.join(format!("{name}.json"));
        match (
            create_new_private(&csv_path),
            create_new_private(&json_path),
        ) {
            (Ok(c), Ok(j)) => break (csv_path, c, json_path, j),
            (c, j) => {
                // Only what this attempt created is removed; an older export stays.
                let exists = |r: &std::io::Result<std::fs::File>| matches!(r, Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists);
                if c.is_ok() {
                    let _ = std::fs::remove_file(&csv_path);
                }
                if j.is_ok() {
                    let _ = std::fs::remove_file(&json_path);
                }
                if (exists(&c) || exists(&j)) && attempt < 100 {
                    attempt += 1;
                    continue;
                }
                let err = c
                    .err()
                    .or(j.err())
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                return Err(DirExportError::Failed(format!(
                    "nothing exported: cannot create files in {}: {err}; check its permissions and free space",
                    shown(dir)
                )));
            }
        }
    };
    let mut csv_out = std::io::BufWriter::new(csv_file);
    let mut json_out = std::io::BufWriter::new(json_file);
    // Flushed here, not on drop, so a full disk is an error rather than a short file.
    let written = write_matching(
        store,
        query,
        0,
        progress,
        Some(&mut csv_out),
        Some(&mut json_out),
    )
    .and_then(|n| {
        csv_out.flush()?;
        json_out.flush()?;
        Ok(n)
    });
    match written {
        Ok(n) => Ok(ExportedFiles {
            csv: csv_path,
            json: json_path,
            records: usize::try_from(n).unwrap_or(usize::MAX),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&csv_path);
            let _ = std::fs::remove_file(&json_path);
            Err(match e {
                ExportError::Stopped { done, total } => DirExportError::Stopped { done, total },
                ExportError::Read(e) => DirExportError::Failed(format!("nothing exported: {e}")),
                ExportError::Write(e) => DirExportError::Failed(format!(
                    "nothing exported: writing to {} failed: {e}; check the free space",
                    shown(dir)
                )),
            })
        }
    }
}

fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
