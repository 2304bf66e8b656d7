//! Refreshing decisions into the history: one record (`r` in the TUI) or every pending one
//! of a profile (`R`, auto-refresh). The network part runs on the async runtime; every store
//! access runs in a blocking task, so a caller on a UI thread never waits on SQLite.
//!
//! The TUI and the tests call exactly these functions, so what the tests prove is what the
//! operator gets.

use chrono::Utc;
use futures_util::StreamExt;

use crate::config::Settings;
use crate::history::Record;
use crate::ops::progress::{Progress, thousands};
use crate::ops::{SharedStore, on_store};
use crate::veriff::{
    ApiError, Client, Decision, Endpoint, SessionStatus, batch, normalize_base_url,
};

/// Pending records read from the history at a time: a run covers all of them, however
/// many, oldest first, without holding more than their session ids.
const PENDING_PAGE: u64 = 1_000;

/// What one refresh did.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub session_id: String,
    /// Veriff's answer: a decision, `None` for "no decision yet", or why it failed.
    pub result: Result<Option<Decision>, ApiError>,
    /// Why the answer (or the error) could not be written to the history, if it could not.
    pub store_error: Option<String>,
    /// The record as stored afterwards (`None` when it is not in the history).
    pub record: Option<Record>,
}

/// Totals of a run over many records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    /// A decision arrived (final or not, e.g. resubmission requested).
    pub decided: usize,
    /// Veriff has no decision yet.
    pub waiting: usize,
    /// The request failed; the error is on the record.
    pub failed: usize,
    /// Answers that could not be written to the history.
    pub not_saved: usize,
    /// Sandbox sessions made by another sandbox than the one in use (another port, an
    /// earlier `--sandbox` run): only the sandbox that made a session knows it, so they
    /// were not asked about. That sandbox may still be running, or not.
    pub skipped: usize,
    /// The operator stopped the run before all `total` were asked about.
    pub stopped: bool,
}

impl Summary {
    pub fn add(&mut self, r: &Refreshed) {
        match &r.result {
            Ok(Some(_)) => self.decided += 1,
            Ok(None) => self.waiting += 1,
            Err(_) => self.failed += 1,
        }
        if r.store_error.is_some() {
            self.not_saved += 1;
        }
    }

    /// How many were asked about (all of `total` unless stopped).
    pub fn done(&self) -> usize {
        self.decided + self.waiting + self.failed
    }

    /// One line for a status bar or stderr.
    pub fn describe(&self) -> String {
        let skipped = match self.skipped {
            0 => String::new(),
            n => format!("; {}", skipped_words(n)),
        };
        if self.total == 0 {
            return format!(
                "nothing to refresh: every session has a final decision or has expired{skipped}"
            );
        }
        let mut s = if self.stopped {
            format!(
                "stopped: refreshed {} of {}: {} decided, {} without a decision yet",
                thousands(self.done() as u64),
                thousands(self.total as u64),
                self.decided,
                self.waiting
            )
        } else {
            format!(
                "refreshed {}: {} decided, {} without a decision yet",
                self.total, self.decided, self.waiting
            )
        };
        if self.failed > 0 {
            s.push_str(&format!(
                ", {} failed (marked ! on their rows; Enter shows why)",
                self.failed
            ));
        }
        if self.not_saved > 0 {
            s.push_str(&format!(
                ", {} not saved to the history (see the log)",
                self.not_saved
            ));
        }
        s.push_str(&skipped);
        s
    }
}

/// `N skipped (…)`: records of other sandboxes, not asked about.
pub fn skipped_words(n: usize) -> String {
    format!(
        "{n} skipped (made by another sandbox, not the one in use: only the sandbox that made a session knows it, while it runs)"
    )
}

/// Session ids of the profile's records whose decision may still change, all of them,
/// oldest first. Records past their expiry are not among them: they show as expired
/// without asking Veriff.
pub async fn pending_ids(store: &SharedStore, profile: &str) -> Result<Vec<String>, String> {
    let (ids, _) = pending_split(store, profile, |_| true).await?;
    Ok(ids)
}

/// The session ids of every pending record of `profile` that `wanted` keeps, and how many
/// it did not, read a page at a time.
async fn pending_split(
    store: &SharedStore,
    profile: &str,
    wanted: impl Fn(&Record) -> bool + Send + 'static,
) -> Result<(Vec<String>, usize), String> {
    let profile = profile.to_string();
    on_store(store, move |s| {
        let (mut ids, mut left_out, mut after) = (Vec::new(), 0, None);
        loop {
            let page = s.pending_after(Some(&profile), after, PENDING_PAGE)?;
            after = page.last().map(Record::cursor);
            let full = page.len() as u64 == PENDING_PAGE;
            for r in page {
                if wanted(&r) {
                    ids.push(r.session_id);
                } else {
                    left_out += 1;
                }
            }
            if !full {
                return Ok((ids, left_out));
            }
        }
    })
    .await
}

/// Why a record is not asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Past its expiry without a decision: it shows as expired without asking.
    Expired,
    /// The request's outcome is unknown: there is no session id to ask about.
    OutcomeUnknown,
    /// Made by another sandbox than the one in use (`in_use`, `None` when this run uses
    /// none): only the sandbox at `made_by` knows it, and only while it runs.
    OtherSandbox {
        made_by: String,
        in_use: Option<String>,
    },
    /// The profile it was made under cannot be used (no longer configured, no key).
    Profile(String),
}

impl Skip {
    /// One line about the record called `name`.
    pub fn describe(&self, name: &str) -> String {
        format!("{name}: {}", self.reason())
    }

    /// Why nothing was asked, without naming the record (it is the one on screen).
    pub fn reason(&self) -> String {
        match self {
            Skip::Expired => "the link expired without a decision; nothing to ask Veriff".into(),
            Skip::OutcomeUnknown => "the outcome of its request is unknown, so there is no session id to ask about; look for it in the Veriff Customer Portal".into(),
            Skip::OtherSandbox { made_by, in_use } => {
                let made_by = crate::text::sanitize(made_by);
                let here = match in_use {
                    Some(u) => format!("not the one in use ({})", crate::text::sanitize(u)),
                    None => "and no sandbox is in use here".to_string(),
                };
                format!(
                    "made by another sandbox ({made_by}), {here}; only that sandbox knows the session, and only while it runs (a --sandbox one stops with its command or app), so nothing was asked here"
                )
            }
            Skip::Profile(why) => why.clone(),
        }
    }

    /// True when nothing is wrong, only nothing to do.
    pub fn is_benign(&self) -> bool {
        !matches!(self, Skip::Profile(_))
    }
}

/// The endpoint a record is refreshed through: always the profile it was made under
/// (its base URL, key and secret), whichever profile is active.
pub fn endpoint_for(
    settings: &Settings,
    record: &Record,
    now: chrono::DateTime<Utc>,
) -> Result<Endpoint, Skip> {
    if record.status == SessionStatus::Unknown {
        return Err(Skip::OutcomeUnknown);
    }
    if !record.status.is_final() && record.effective_status(now) == SessionStatus::Expired {
        return Err(Skip::Expired);
    }
    profile_endpoint(settings, record)
}

/// The endpoint of the profile `record` was made under, whatever its status (an inspection
/// of an expired session still finds its person and media).
pub fn profile_endpoint(settings: &Settings, record: &Record) -> Result<Endpoint, Skip> {
    let endpoint = match settings.endpoint_of(&record.profile) {
        Ok(e) => e,
        // The in-process sandbox's profile exists only while it runs.
        Err(_)
            if record.sandbox
                && record.profile == crate::config::SANDBOX_PROFILE
                && !settings.config.profiles.contains_key(&record.profile) =>
        {
            return Err(Skip::OtherSandbox {
                made_by: record.base_url.clone(),
                in_use: None,
            });
        }
        Err(e) => return Err(Skip::Profile(e.to_string())),
    };
    if !askable(record, &endpoint.base_url) {
        return Err(Skip::OtherSandbox {
            made_by: record.base_url.clone(),
            in_use: Some(endpoint.base_url),
        });
    }
    Ok(endpoint)
}

/// Whether a record can be asked about at `api_base`: a sandbox session lives only in the
/// sandbox that made it, so one made by another sandbox address is not.
pub fn askable(record: &Record, api_base: &str) -> bool {
    if !record.sandbox {
        return true;
    }
    let norm = |u: &str| normalize_base_url(u).unwrap_or_else(|_| u.trim().to_string());
    norm(&record.base_url) == norm(api_base)
}

/// Writes one answer to the history and reads the record back.
pub async fn save(
    store: &SharedStore,
    session_id: String,
    result: Result<Option<Decision>, ApiError>,
) -> Refreshed {
    let id = session_id.clone();
    let answer = result.clone();
    let saved = on_store(store, move |s| {
        match &answer {
            Ok(d) => s.record_decision(&id, d.as_ref(), Utc::now())?,
            Err(e) => s.record_check_error(&id, &e.to_string())?,
        }
        s.find_by_session_id(&id)
    })
    .await;
    let (store_error, record) = match saved {
        Ok(record) => (None, record),
        Err(e) => {
            tracing::warn!(session = %session_id, "decision not saved: {e}");
            (Some(e), None)
        }
    };
    Refreshed {
        session_id,
        result,
        store_error,
        record,
    }
}

/// Fetches and stores the decision of one session.
pub async fn refresh_one(client: &Client, store: &SharedStore, session_id: &str) -> Refreshed {
    let result = client.decision(session_id).await;
    if let Err(e) = &result {
        tracing::warn!(session = %session_id, "decision check failed: {e}");
    }
    save(store, session_id.to_string(), result).await
}

/// Fetches and stores the decisions of `ids`, at most `max_in_flight` requests at once.
/// Each result is stored on its own record and handed to `each`; `progress` counts them.
/// A failure never stops the rest; a cancel through `progress` does, at once: requests in
/// flight are dropped unanswered, and the summary says how many were done.
pub async fn refresh_many(
    client: &Client,
    store: &SharedStore,
    ids: Vec<String>,
    max_in_flight: usize,
    progress: &mut Progress<'_>,
    mut each: impl FnMut(&Refreshed),
) -> Summary {
    let mut summary = Summary {
        total: ids.len(),
        ..Summary::default()
    };
    progress.start(ids.len() as u64);
    let cancel = progress.cancel().clone();
    let mut results = batch::decisions(client, ids, max_in_flight);
    loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            next = results.next() => next,
        };
        let Some((id, result)) = next else {
            break;
        };
        if let Err(e) = &result {
            tracing::warn!(session = %id, "decision check failed: {e}");
        }
        let refreshed = save(store, id, result).await;
        summary.add(&refreshed);
        each(&refreshed);
        progress.advance(1);
    }
    summary.stopped = summary.done() < summary.total && cancel.is_cancelled();
    progress.finish();
    summary
}

/// Refreshes every pending record of `profile` (what `R` does) that `api_base` can answer
/// for (see [`askable`]), at most [`batch::MAX_IN_FLIGHT`] requests at once. `progress`
/// learns how many there are first, then counts them, and can stop the run.
pub async fn refresh_pending(
    client: &Client,
    store: &SharedStore,
    profile: &str,
    api_base: &str,
    progress: &mut Progress<'_>,
    each: impl FnMut(&Refreshed),
) -> Result<Summary, String> {
    let api_base_owned = api_base.to_string();
    let (ids, skipped) =
        pending_split(store, profile, move |r| askable(r, &api_base_owned)).await?;
    let mut summary = refresh_many(client, store, ids, batch::MAX_IN_FLIGHT, progress, each).await;
    summary.skipped = skipped;
    Ok(summary)
}
