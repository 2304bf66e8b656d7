//! A batch: a list of people in (a CSV file, `batch_csv.rs`), a list of links out, never
//! twice. The CLI's `generate --batch` and the TUI's Batch screen both run this.
//!
//! 1. [`plan`]: every row is read and checked first, through the same [`Request::new`] as
//!    a single Generate (profile defaults, normalising, the same rules); a row is known by
//!    its identity, a hash of its normalised values, the batch's name and the profile.
//! 2. [`run`]: each row the history does not know to have a session goes through the same
//!    [`generate::generate`] as one link (intent before the request, the link handed over
//!    at once, the record after), with the row's identity written in the intent's
//!    transaction: a run started again after Ctrl+C, a crash or a kill sends only the rest.
//!    Up to `jobs` requests are in flight; a 429 or 5xx answer slows the whole run
//!    ([`Pace`]) and the row is sent again after a bounded backoff that honours
//!    `Retry-After`; a refusal that would not change is the row's error.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::batch_csv::{self, Column, Sheet, SheetError, SheetRow};
use super::generate::{self, Failed, Keep, Refused, Request};
use super::pace::Pace;
use super::progress::{Cancel, Progress};
use super::{SharedStore, on_store};
use crate::config::{ConfigError, Settings};
use crate::history::{BatchTag, RowState};
use crate::text::sanitize;
use crate::veriff::{ApiError, Client, Field, SessionInput};

/// Requests in flight at once unless told otherwise.
pub const DEFAULT_JOBS: usize = 4;
/// The most requests in flight at once, whatever is asked.
pub const MAX_JOBS: usize = 32;
/// A row is sent at most this many times (the first and the retries after 429 or 5xx).
pub const MAX_ATTEMPTS: u32 = 6;

/// Why a batch cannot start.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("{0}")]
    Config(ConfigError),
}

/// One row of the file, checked.
#[derive(Debug, Clone)]
pub struct PlanRow {
    /// Its index in [`Sheet::rows`].
    pub index: usize,
    pub line: u64,
    /// The request it becomes, or every problem with it.
    pub checked: Result<Box<Request>, Vec<String>>,
}

/// A batch file read and checked, not yet sent.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The batch's name in the history (the file's name unless given).
    pub name: String,
    pub sheet: Sheet,
    pub rows: Vec<PlanRow>,
}

impl Plan {
    pub fn valid(&self) -> usize {
        self.rows.iter().filter(|r| r.checked.is_ok()).count()
    }

    /// `(line, problems)` of every invalid row, in file order.
    pub fn invalid(&self) -> Vec<(u64, &[String])> {
        self.rows
            .iter()
            .filter_map(|r| match &r.checked {
                Err(p) => Some((r.line, p.as_slice())),
                Ok(_) => None,
            })
            .collect()
    }
}

/// The batch name of a file: its name without the directories.
pub fn default_name(path: &Path) -> String {
    path.file_name()
        .map(|n| sanitize(&n.to_string_lossy()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| sanitize(&path.display().to_string()))
}

/// Reads and checks the batch file at `path` under the active profile of `settings`.
pub fn plan(settings: &Settings, path: &Path, name: Option<&str>) -> Result<Plan, PlanError> {
    let sheet = batch_csv::read(path)?;
    let name = name
        .map(|n| sanitize(n.trim()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default_name(path));
    plan_sheet(settings, sheet, name)
}

/// Checks every row of `sheet` as the batch `name`.
pub fn plan_sheet(settings: &Settings, sheet: Sheet, name: String) -> Result<Plan, PlanError> {
    // A profile that cannot send is the whole batch's problem, said once.
    settings.endpoint().map_err(PlanError::Config)?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(sheet.rows.len());
    for (index, row) in sheet.rows.iter().enumerate() {
        let checked = check_row(settings, &sheet, row, &name).and_then(|request| {
            let key = request
                .batch
                .as_ref()
                .map(|t| t.row_key.clone())
                .unwrap_or_default();
            // The first row with these values is the one sent.
            match seen.get(&key) {
                Some(first) => Err(vec![format!(
                    "the same values as line {first}: one person gets one link"
                )]),
                None => {
                    seen.insert(key, row.line);
                    Ok(request)
                }
            }
        });
        rows.push(PlanRow {
            index,
            line: row.line,
            checked,
        });
    }
    Ok(Plan { name, sheet, rows })
}

fn check_row(
    settings: &Settings,
    sheet: &Sheet,
    row: &SheetRow,
    batch: &str,
) -> Result<Box<Request>, Vec<String>> {
    let mut problems = Vec::new();
    if row.cells.len() > sheet.columns.len()
        && row.cells[sheet.columns.len()..]
            .iter()
            .any(|c| !c.is_empty())
    {
        problems.push(format!(
            "{} cells, the header names {} columns",
            row.cells.len(),
            sheet.columns.len()
        ));
    }
    let cell = |c: Column| sheet.cell(row, c).to_string();
    let or = |value: String, default: String| if value.is_empty() { default } else { value };
    let selfid = match cell(Column::SelfId).to_ascii_lowercase().as_str() {
        "" => settings.config.form.selfid,
        "1" | "yes" | "y" | "true" | "x" => true,
        "0" | "no" | "n" | "false" => false,
        _ => {
            problems.push("selfid must be yes or no (or empty for the default)".into());
            false
        }
    };
    let mut extra = crate::veriff::Extras::default();
    for column in sheet.columns.iter() {
        if let Column::Extra(f) = column {
            extra.set(*f, &cell(*column));
        }
    }
    let profile_callback = settings
        .profile
        .as_ref()
        .and_then(|p| p.callback.clone())
        .unwrap_or_default();
    let input = SessionInput {
        first_name: cell(Column::FirstName),
        last_name: cell(Column::LastName),
        lang: or(cell(Column::Lang), settings.config.form.lang.clone()),
        selfid,
        callback: or(cell(Column::Callback), profile_callback),
        vendor_data: cell(Column::VendorData),
        extra,
    };
    match Request::new(settings, input) {
        Ok(mut request) => {
            if !problems.is_empty() {
                return Err(problems);
            }
            let row_key = identity(batch, &request);
            request.batch = Some(BatchTag {
                batch_id: 0,
                row_key,
                line: row.line,
                resend_unknown: false,
            });
            Ok(Box::new(request))
        }
        Err(Refused::Invalid(found)) => {
            problems.extend(
                found
                    .into_iter()
                    .map(|(field, why)| format!("{} {why}", column_of(field))),
            );
            Err(problems)
        }
        // Checked once for the whole batch in `plan_sheet`.
        Err(Refused::Config(e)) => Err(vec![e.to_string()]),
    }
}

/// The header name of a field, as the operator wrote the file.
fn column_of(field: Field) -> &'static str {
    match field {
        Field::FirstName => Column::FirstName.key(),
        Field::LastName => Column::LastName.key(),
        Field::Lang => Column::Lang.key(),
        Field::Callback => Column::Callback.key(),
        Field::VendorData => Column::VendorData.key(),
        Field::Extra(f) => f.key(),
    }
}

/// A row's identity: the SHA-256 of the batch's name, the profile and the request's values
/// as they would be sent (after the profile's defaults and normalising, so `ee` and `EE`
/// are one person). A row is found again by it however the file was re-ordered or edited
/// elsewhere.
fn identity(batch: &str, request: &Request) -> String {
    let values = serde_json::json!([batch, request.profile, request.input]);
    hex::encode(Sha256::digest(values.to_string().as_bytes()))
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A session was made now.
    Created,
    /// It had a session from an earlier run: not sent again.
    Existing,
    /// Sent (now or before) without a usable answer: a session may exist. Not sent again
    /// unless asked (`--resend-unknown`).
    Unknown,
    /// Refused by the server (or the history), no session: its error says why.
    Failed,
    /// Not sent: a value is wrong (the error says which).
    Invalid,
    /// Not sent: the run was stopped first.
    NotSent,
    /// Being sent by another run of the same batch at this moment.
    Busy,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Existing => "existing",
            Status::Unknown => "unknown",
            Status::Failed => "failed",
            Status::Invalid => "invalid",
            Status::NotSent => "not_sent",
            Status::Busy => "busy",
        }
    }

    /// The row has a session (made now or before).
    pub fn has_session(self) -> bool {
        matches!(self, Status::Created | Status::Existing)
    }
}

/// One row's outcome: the output's extra columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    /// Index in [`Sheet::rows`].
    #[serde(skip)]
    pub index: usize,
    pub line: u64,
    pub status: Status,
    pub session_id: String,
    pub url: String,
    pub error: String,
}

/// How a run is made.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once (1 to [`MAX_JOBS`]).
    pub jobs: usize,
    /// Send rows whose earlier request's outcome is unknown.
    pub resend_unknown: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub existing: usize,
    pub unknown: usize,
    pub failed: usize,
    pub invalid: usize,
    pub not_sent: usize,
    pub busy: usize,
    /// Retries after a 429 or 5xx.
    pub retries: usize,
    /// Sessions created but whose record could not be written (the link is in the output).
    pub not_saved: usize,
    /// The run stopped early: cancelled, or the history could not be written.
    pub stopped: bool,
    /// Why the whole run stopped, when it was not the operator.
    pub fatal: Option<String>,
}

impl Summary {
    fn add(&mut self, status: Status) {
        *match status {
            Status::Created => &mut self.created,
            Status::Existing => &mut self.existing,
            Status::Unknown => &mut self.unknown,
            Status::Failed => &mut self.failed,
            Status::Invalid => &mut self.invalid,
            Status::NotSent => &mut self.not_sent,
            Status::Busy => &mut self.busy,
        } += 1;
    }

    /// One line: `12 created, 3 skipped (already had a session), 1 outcome unknown, …`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} created", self.created)];
        let mut add = |n: usize, words: &str| {
            if n > 0 {
                parts.push(format!("{n} {words}"));
            }
        };
        add(
            self.existing,
            "skipped: they have a session from an earlier run",
        );
        add(self.unknown, "outcome unknown (not sent again)");
        add(self.failed, "failed");
        add(self.invalid, "invalid, not sent");
        add(self.not_sent, "not sent (stopped)");
        add(self.busy, "being sent by another run");
        add(self.retries, "retries after 429/5xx");
        parts.join(", ")
    }
}

/// Sends the rows of `plan` that have no session yet. `on_row` hears of each row once, as
/// soon as its outcome is known: a created row the moment Veriff answers, before its record
/// is completed (the link is out before anything else can fail), the rows not sent at once.
/// `progress` counts the rows sent and carries the [`Cancel`]: once cancelled, no row is
/// sent any more, the requests in flight are waited for, and the rest are `not_sent`.
/// Returns every row's outcome in file order, invalid ones too.
pub async fn run(
    plan: &Plan,
    client: &Client,
    store: &SharedStore,
    options: &Options,
    progress: &mut Progress<'_>,
    on_row: &(dyn Fn(&RowOutcome) + Send + Sync),
) -> Result<(Vec<RowOutcome>, Summary), String> {
    let name = plan.name.clone();
    let batch_id = on_store(store, move |s| s.batch_id(&name, true))
        .await?
        .ok_or("the batch could not be recorded in the history")?;
    let keys: Vec<String> = plan
        .rows
        .iter()
        .filter_map(|r| r.checked.as_ref().ok()?.batch.as_ref())
        .map(|t| t.row_key.clone())
        .collect();
    let states = on_store(store, move |s| s.batch_states(batch_id, &keys)).await?;

    let mut outcomes: Vec<RowOutcome> = Vec::with_capacity(plan.rows.len());
    let mut to_send: Vec<(At, Request)> = Vec::new();
    for row in &plan.rows {
        let request = match &row.checked {
            Err(problems) => {
                outcomes.push(outcome(row, Status::Invalid, problems.join("; ")));
                continue;
            }
            Ok(request) => request,
        };
        let mut request = (**request).clone();
        let Some(tag) = request.batch.as_mut() else {
            continue;
        };
        tag.batch_id = batch_id;
        tag.resend_unknown = options.resend_unknown;
        match states.get(&tag.row_key) {
            Some(RowState::Created(record)) => {
                let mut o = outcome(row, Status::Existing, String::new());
                if let Some(r) = record {
                    o.session_id = sanitize(&r.session_id);
                    o.url = sanitize(&r.url);
                } else {
                    o.error = "its record was deleted from the history".into();
                }
                outcomes.push(o);
            }
            Some(RowState::Unknown(record)) if !options.resend_unknown => {
                let why = record
                    .as_ref()
                    .and_then(|r| r.check_error.clone())
                    .map(|e| format!(" ({})", sanitize(&e)))
                    .unwrap_or_default();
                outcomes.push(outcome(
                    row,
                    Status::Unknown,
                    format!(
                        "sent before without a usable answer{why}: look for the session in the Veriff Customer Portal; --resend-unknown sends it again"
                    ),
                ));
            }
            Some(RowState::InFlight) => outcomes.push(outcome(
                row,
                Status::Busy,
                "another run of this batch is sending it now".into(),
            )),
            Some(RowState::Unknown(_)) | Some(RowState::New { .. }) | None => {
                to_send.push((At::of(row), request));
            }
        }
    }
    for o in &outcomes {
        on_row(o);
    }

    let mut summary = Summary::default();
    progress.start(to_send.len() as u64);
    let pace = Pace::new(options.jobs.clamp(1, MAX_JOBS));
    let cancel = progress.cancel().clone();
    let keep = Keep::History(store.clone());
    let retries = std::sync::atomic::AtomicUsize::new(0);
    let fatal: Mutex<Option<String>> = Mutex::new(None);
    let ctx = RowContext {
        client,
        store,
        keep: &keep,
        pace: &pace,
        cancel: &cancel,
        on_row,
        retries: &retries,
        fatal: &fatal,
    };
    let mut sent = futures_util::stream::iter(to_send)
        .map(|(at, request)| ctx.send(at, request))
        .buffer_unordered(options.jobs.clamp(1, MAX_JOBS));
    while let Some(o) = sent.next().await {
        progress.advance(1);
        outcomes.push(o);
    }
    drop(sent);
    progress.finish();

    outcomes.sort_by_key(|o| o.index);
    for o in &outcomes {
        summary.add(o.status);
        if o.status == Status::Created && !o.error.is_empty() {
            summary.not_saved += 1;
        }
    }
    summary.retries = retries.into_inner();
    summary.fatal = fatal.into_inner().ok().flatten();
    summary.stopped = cancel.is_cancelled() || summary.fatal.is_some();
    Ok((outcomes, summary))
}

/// Where a row is: its index in the sheet and its line (owned, so the sending futures
/// borrow nothing of the plan's rows).
#[derive(Debug, Clone, Copy)]
struct At {
    index: usize,
    line: u64,
}

impl At {
    fn of(row: &PlanRow) -> At {
        At {
            index: row.index,
            line: row.line,
        }
    }
}

fn outcome(row: &PlanRow, status: Status, error: String) -> RowOutcome {
    outcome_at(At::of(row), status, error)
}

fn outcome_at(row: At, status: Status, error: String) -> RowOutcome {
    RowOutcome {
        index: row.index,
        line: row.line,
        status,
        session_id: String::new(),
        url: String::new(),
        error,
    }
}

/// What every row's sending shares.
struct RowContext<'a> {
    client: &'a Client,
    store: &'a SharedStore,
    keep: &'a Keep,
    pace: &'a Pace,
    cancel: &'a Cancel,
    on_row: &'a (dyn Fn(&RowOutcome) + Send + Sync),
    retries: &'a std::sync::atomic::AtomicUsize,
    fatal: &'a Mutex<Option<String>>,
}

impl RowContext<'_> {
    /// Sends one row, again after a 429 or 5xx while attempts are left.
    async fn send(&self, row: At, request: Request) -> RowOutcome {
        let mut last_error: Option<String> = None;
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(slot) = self.pace.enter(self.cancel).await else {
                let why = match &last_error {
                    Some(e) => format!("stopped before it was sent again (last answer: {e})"),
                    None => "the run was stopped before it was sent".into(),
                };
                let o = outcome_at(row, Status::NotSent, why);
                (self.on_row)(&o);
                return o;
            };
            let mut shown: Option<RowOutcome> = None;
            let result = generate::generate(&request, self.client, self.keep, |session, _| {
                let mut o = outcome_at(row, Status::Created, String::new());
                o.session_id = sanitize(&session.id);
                o.url = sanitize(&session.url);
                (self.on_row)(&o);
                shown = Some(o);
            })
            .await;
            drop(slot);
            let error = match result {
                Ok(generated) => {
                    self.pace.eased();
                    let mut o =
                        shown.unwrap_or_else(|| outcome_at(row, Status::Created, String::new()));
                    if let Some(Err(e)) = generated.saved {
                        o.error = format!(
                            "created but not saved to history: {e}; keep this link, do not send the row again"
                        );
                    }
                    return o;
                }
                Err(f) => f,
            };
            let retry = attempt < MAX_ATTEMPTS && !self.cancel.is_cancelled();
            match error {
                Failed::NotCreated(e) if retry && is_throttled(&e) => {
                    last_error = Some(e.to_string());
                }
                Failed::Unknown { error: e, recorded } if retry && is_server_error(&e) => {
                    // An answer, not silence: the server failed the request. The record of
                    // this attempt goes before the row is sent again.
                    last_error = Some(e.to_string());
                    if recorded && let Some(tag) = request.batch.clone() {
                        let cleared = on_store(self.store, move |s| {
                            s.batch_row_retry(tag.batch_id, &tag.row_key)
                        })
                        .await;
                        if let Err(store) = cleared {
                            return outcome_at(
                                row,
                                Status::Unknown,
                                format!(
                                    "{e}; not sent again, as the history could not be updated: {store}"
                                ),
                            );
                        }
                    }
                }
                Failed::NotCreated(e) => {
                    let text = format!("{e}. {}", e.hint());
                    if let Some(tag) = request.batch.clone() {
                        let noted = text.clone();
                        // Only a note for the next run: the row is free to be sent anyway.
                        let _ = on_store(self.store, move |s| {
                            s.batch_row_failed(tag.batch_id, &tag.row_key, &noted)
                        })
                        .await;
                    }
                    let o = outcome_at(row, Status::Failed, sanitize(&text));
                    (self.on_row)(&o);
                    return o;
                }
                f @ Failed::Unknown { .. } => {
                    let o = outcome_at(
                        row,
                        Status::Unknown,
                        sanitize(&format!("{}. {}", f.message(), f.hint())),
                    );
                    (self.on_row)(&o);
                    return o;
                }
                Failed::HistoryUnwritable { why, .. } => {
                    let o = self.not_recorded(row, &request, why).await;
                    (self.on_row)(&o);
                    return o;
                }
            }
            self.retries
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.pace.slowed(self.client.asked_to_wait_until());
        }
        // The loop returns on every path of its last attempt.
        let o = outcome_at(
            row,
            Status::Failed,
            last_error.unwrap_or_else(|| "not sent".into()),
        );
        (self.on_row)(&o);
        o
    }

    /// The intent could not be recorded: another run took the row (the history says so), or
    /// the history cannot be written, which stops the whole run (nothing more is sent).
    async fn not_recorded(&self, row: At, request: &Request, why: String) -> RowOutcome {
        if let Some(tag) = request.batch.clone() {
            let key = tag.row_key.clone();
            let state = on_store(self.store, move |s| {
                s.batch_states(tag.batch_id, std::slice::from_ref(&tag.row_key))
            })
            .await
            .ok()
            .and_then(|mut m| m.remove(&key));
            match state {
                Some(RowState::Created(record)) => {
                    let mut o = outcome_at(row, Status::Existing, String::new());
                    if let Some(r) = record {
                        o.session_id = sanitize(&r.session_id);
                        o.url = sanitize(&r.url);
                    }
                    return o;
                }
                Some(RowState::InFlight) => {
                    return outcome_at(
                        row,
                        Status::Busy,
                        "another run of this batch is sending it now".into(),
                    );
                }
                Some(RowState::Unknown(_)) => {
                    return outcome_at(row, Status::Unknown, sanitize(&why));
                }
                Some(RowState::New { .. }) | None => {}
            }
        }
        let text = format!("nothing was sent: the history cannot be written: {why}");
        if let Ok(mut fatal) = self.fatal.lock() {
            fatal.get_or_insert_with(|| sanitize(&text));
        }
        self.cancel.cancel();
        outcome_at(row, Status::NotSent, sanitize(&text))
    }
}

/// A 429: the server asks for fewer requests; this one made nothing.
fn is_throttled(e: &ApiError) -> bool {
    status_of(e) == Some(429)
}

/// The server (or a proxy before it) answered 5xx: it failed the request.
fn is_server_error(e: &ApiError) -> bool {
    status_of(e).is_some_and(|s| (500..600).contains(&s))
}

fn status_of(e: &ApiError) -> Option<u16> {
    match e {
        ApiError::Http { status, .. }
        | ApiError::NotJson { status, .. }
        | ApiError::NotUtf8 { status }
        | ApiError::BadJson { status, .. } => Some(*status),
        _ => None,
    }
}

/// The output: the file's rows with `session_id`, `url`, `status` and `error` added, in the
/// file's delimiter (and BOM), every cell a spreadsheet would run as a formula defused.
pub fn write_csv(
    plan: &Plan,
    outcomes: &[RowOutcome],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    if plan.sheet.bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(plan.sheet.delimiter)
        .from_writer(out);
    let cell = |s: &str| {
        let mut s = sanitize(s);
        super::export::defuse(&mut s);
        s
    };
    let mut header: Vec<String> = plan.sheet.header.iter().map(|h| cell(h)).collect();
    header.extend(["session_id", "url", "status", "error"].map(String::from));
    w.write_record(&header)?;
    let width = plan.sheet.header.len();
    for o in outcomes {
        let Some(row) = plan.sheet.rows.get(o.index) else {
            continue;
        };
        let mut record: Vec<String> = (0..width)
            .map(|i| row.cells.get(i).map_or(String::new(), |c| cell(c)))
            .collect();
        record.extend([
            cell(&o.session_id),
            cell(&o.url),
            o.status.as_str().to_string(),
            cell(&o.error),
        ]);
        w.write_record(&record)?;
    }
    w.flush()
}

/// One row as a JSON object: its line, the file's cells by column name, and the outcome.
pub fn row_json(plan: &Plan, o: &RowOutcome) -> serde_json::Value {
    let mut values = serde_json::Map::new();
    if let Some(row) = plan.sheet.rows.get(o.index) {
        for (i, column) in plan.sheet.columns.iter().enumerate() {
            let v = row.cells.get(i).map_or(String::new(), |c| sanitize(c));
            values.insert(column.key().to_string(), v.into());
        }
    }
    serde_json::json!({
        "line": o.line,
        "status": o.status,
        "session_id": o.session_id,
        "url": o.url,
        "error": o.error,
        "row": values,
    })
}
