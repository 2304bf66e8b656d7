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
use crate::ops::{SharedStore, on_store};
use crate::veriff::{
    ApiError, Client, Decision, Endpoint, SessionStatus, batch, normalize_base_url,
};

/// Most pending records refreshed in one run; the oldest come first.
pub const MAX_PENDING: u64 = 10_000;

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
        let mut s = format!(
            "refreshed {}: {} decided, {} without a decision yet",
            self.total, self.decided, self.waiting
        );
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

/// Session ids of the profile's records whose decision may still change. Records past
/// their expiry are not among them: they show as expired without asking Veriff.
pub async fn pending_ids(store: &SharedStore, profile: &str) -> Result<Vec<String>, String> {
    let profile = profile.to_string();
    let records = on_store(store, move |s| s.pending(Some(&profile), MAX_PENDING)).await?;
    Ok(records.into_iter().map(|r| r.session_id).collect())
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
        match self {
            Skip::Expired => {
                format!("{name}: the link expired without a decision; nothing to ask Veriff")
            }
            Skip::OutcomeUnknown => format!(
                "{name}: the outcome of its request is unknown, so there is no session id to ask about; look for it in the Veriff Customer Portal"
            ),
            Skip::OtherSandbox { made_by, in_use } => {
                let made_by = crate::text::sanitize(made_by);
                let here = match in_use {
                    Some(u) => format!("not the one in use ({})", crate::text::sanitize(u)),
                    None => "and no sandbox is in use here".to_string(),
                };
                format!(
                    "{name}: made by another sandbox ({made_by}), {here}; only that sandbox knows the session, and only while it runs (a --sandbox one stops with its command or app), so nothing was asked here"
                )
            }
            Skip::Profile(why) => format!("{name}: {why}"),
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
async fn save(
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
/// Each result is stored on its own record and handed to `each` with how many are done; a
/// failure never stops the rest.
pub async fn refresh_many(
    client: &Client,
    store: &SharedStore,
    ids: Vec<String>,
    max_in_flight: usize,
    mut each: impl FnMut(&Refreshed, usize, usize),
) -> Summary {
    let mut summary = Summary {
        total: ids.len(),
        ..Summary::default()
    };
    let mut done = 0;
    let mut results = batch::decisions(client, ids, max_in_flight);
    while let Some((id, result)) = results.next().await {
        if let Err(e) = &result {
            tracing::warn!(session = %id, "decision check failed: {e}");
        }
        let refreshed = save(store, id, result).await;
        done += 1;
        summary.add(&refreshed);
        each(&refreshed, done, summary.total);
    }
    summary
}

/// Refreshes every pending record of `profile` (what `R` does) that `api_base` can answer
/// for (see [`askable`]), at most [`batch::MAX_IN_FLIGHT`] requests at once. `started`
/// learns how many there are first.
pub async fn refresh_pending(
    client: &Client,
    store: &SharedStore,
    profile: &str,
    api_base: &str,
    started: impl FnOnce(usize),
    each: impl FnMut(&Refreshed, usize, usize),
) -> Result<Summary, String> {
    let owned = profile.to_string();
    let records = on_store(store, move |s| s.pending(Some(&owned), MAX_PENDING)).await?;
    let (askable, skipped): (Vec<Record>, Vec<Record>) =
        records.into_iter().partition(|r| askable(r, api_base));
    let ids: Vec<String> = askable.into_iter().map(|r| r.session_id).collect();
    started(ids.len());
    let mut summary = refresh_many(client, store, ids, batch::MAX_IN_FLIGHT, each).await;
    summary.skipped = skipped.len();
    Ok(summary)
}
