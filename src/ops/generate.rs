//! Generate: create a verification session and keep its link, in an order that never
//! loses one.
//!
//! 1. The history is written first, with an intent: if it cannot be written, nothing is
//!    sent (unless the caller chose [`Keep::NotKept`]).
//! 2. The request goes to Veriff.
//! 3. On an answer, the caller is handed the URL to make visible (stdout flushed, or the
//!    screen) before anything else happens.
//! 4. Then the intent becomes the record of the session. A request that provably created
//!    nothing (Veriff refused it, or it never left) removes its intent; any other failure
//!    turns it into a record whose outcome is unknown, and so does the next process to open
//!    the history after this one was killed.

use chrono::Utc;

use crate::config::{ConfigError, Settings};
use crate::history::{BatchTag, NewIntent, NewRecord, Record};
use crate::ops::{SharedStore, on_store};
use crate::veriff::{
    ApiError, Client, CreateSessionRequest, CreatedSession, Endpoint, Field, LegacyFields,
    SessionInput,
};

/// A pause between showing the URL and completing the record, for the test that kills
/// `generate` in that window. Only the test suite sets it.
pub const PAUSE_AFTER_URL_ENV: &str = "VERIFF_TUI_TEST_PAUSE_AFTER_URL_MS";

/// A request to create a session, complete from the moment it is made: nothing is read
/// back from a form or the settings when the answer comes.
#[derive(Debug, Clone)]
pub struct Request {
    pub profile: String,
    pub endpoint: Endpoint,
    /// Made against a sandbox: its record is marked so.
    pub sandbox: bool,
    pub input: SessionInput,
    pub legacy: LegacyFields,
    /// A row of a batch (`generate --batch`): its intent is recorded with the row, and a
    /// row that has a session (or is on its way from another run) is refused, not sent.
    pub batch: Option<BatchTag>,
}

/// Why a request could not even be made.
#[derive(Debug)]
pub enum Refused {
    /// No profile to send to, or it lacks its API key.
    Config(ConfigError),
    /// Values Veriff would refuse, by field, in form order.
    Invalid(Vec<(Field, String)>),
}

impl Request {
    /// The request for `input` under the active profile of `settings`, with every rule
    /// checked once here: the profile and its key, the field values, whether an http://
    /// callback is allowed, and whether the record is a sandbox one.
    pub fn new(settings: &Settings, mut input: SessionInput) -> Result<Request, Refused> {
        let endpoint = settings.endpoint().map_err(Refused::Config)?;
        // Spelled as Veriff wants (`PASSPORT`, `EE`) before it is checked, sent and stored:
        // the record says what was sent.
        if let Some(p) = &settings.profile {
            input.extra = input.extra.or(&p.defaults);
        }
        input.extra = input.extra.normalised();
        let problems = input.validate(settings.allows_http_callback());
        if !problems.is_empty() {
            return Err(Refused::Invalid(problems));
        }
        Ok(Request {
            profile: settings.profile_name.clone(),
            endpoint,
            sandbox: settings.is_sandbox(),
            input,
            legacy: settings.legacy_fields(),
            batch: None,
        })
    }

    fn record_of<'a>(&'a self, session: &'a CreatedSession) -> NewRecord<'a> {
        NewRecord {
            profile: &self.profile,
            base_url: &self.endpoint.base_url,
            sandbox: self.sandbox,
            input: &self.input,
            session,
        }
    }

    /// The record as it is (or would be) stored with row id `id`.
    pub fn record(&self, id: i64, session: &CreatedSession) -> Record {
        Record::from_new(id, &self.record_of(session))
    }
}

/// Where the link is kept.
#[derive(Debug, Clone)]
pub enum Keep {
    History(SharedStore),
    /// The operator chose to create a session that is not kept (`--no-history`, or a
    /// confirmation in the TUI when the history cannot be written).
    NotKept,
}

/// How a generate ended without a link.
#[derive(Debug, Clone)]
pub enum Failed {
    /// Nothing was sent: the history cannot be written (`shared`: the shared history on
    /// PostgreSQL, not a file).
    HistoryUnwritable { why: String, shared: bool },
    /// No session was created: Veriff refused the request, or it never left.
    NotCreated(ApiError),
    /// The request was sent and no usable answer came: a session may exist. `recorded`:
    /// the history keeps a record saying so.
    Unknown { error: ApiError, recorded: bool },
}

impl Failed {
    /// What went wrong, without the verdict ("outcome unknown", "not created") that a
    /// screen shows as its title.
    pub fn detail(&self) -> String {
        match self {
            Failed::HistoryUnwritable { why, .. } => {
                format!("the history cannot be written: {why}")
            }
            Failed::NotCreated(e) | Failed::Unknown { error: e, .. } => e.to_string(),
        }
    }

    /// One line for a status bar or stderr.
    pub fn message(&self) -> String {
        match self {
            Failed::HistoryUnwritable { why, .. } => {
                format!("nothing was sent: the history cannot be written: {why}")
            }
            Failed::NotCreated(e) => format!("the session was not created: {e}"),
            Failed::Unknown { error, .. } => format!("outcome unknown: {error}"),
        }
    }

    /// What to do next.
    pub fn hint(&self) -> String {
        match self {
            Failed::HistoryUnwritable { shared: true, .. } => "The shared history's server refused it: the message says why (a wrong password: fix the URL, the environment or ~/.pgpass; a database made by a newer veriff-tui: update this one). `veriff-tui history` shows the same. Or create a session whose link is not kept.".into(),
            Failed::HistoryUnwritable { shared: false, .. } => "If it is locked, close the program holding it; if it is read-only, make it and its directory writable (or use --data-dir); if the file is unusable, `veriff-tui history --move-aside` keeps it aside and starts a new history with what can still be read. Or create a session whose link is not kept.".into(),
            Failed::NotCreated(e) => e.hint(),
            Failed::Unknown { error, recorded } => {
                let kept = if *recorded {
                    " (the history keeps it as \"outcome unknown\")"
                } else {
                    ""
                };
                // The API's own hint up to its first full stop: what to fix. Its words on
                // whether a session exists are said here once, plainly.
                let fix = error.hint();
                let fix = fix.split_inclusive(". ").next().unwrap_or_default().trim_end();
                format!(
                    "The request was sent, so the session may exist{kept}: look for it in the Veriff Customer Portal before generating again. {fix}"
                )
            }
        }
    }
}

/// A created session.
#[derive(Debug, Clone)]
pub struct Generated {
    pub session: CreatedSession,
    /// The record as stored, or why it could not be; `None` when not kept.
    pub saved: Option<Result<Record, String>>,
}

/// Creates the session of `request` through `client` (made from `request.endpoint`).
/// `shown` is called with the session, and the record it becomes (when kept), the moment
/// Veriff answers: it must make the URL visible before it returns, because the record is
/// completed only after it.
pub async fn generate(
    request: &Request,
    client: &Client,
    keep: &Keep,
    shown: impl FnOnce(&CreatedSession, Option<&Record>),
) -> Result<Generated, Failed> {
    let intent = match keep {
        Keep::History(store) => {
            let owned = request.clone();
            let (shared, recorded) = on_store(store, move |s| {
                let intent = NewIntent {
                    profile: &owned.profile,
                    base_url: &owned.endpoint.base_url,
                    sandbox: owned.sandbox,
                    input: &owned.input,
                };
                let recorded = match &owned.batch {
                    Some(tag) => s.record_batch_intent(&intent, tag, Utc::now()),
                    None => s.record_intent(&intent, Utc::now()),
                };
                Ok((s.is_shared(), recorded.map_err(|e| e.to_string())))
            })
            .await
            .map_err(|why| Failed::HistoryUnwritable { why, shared: false })?;
            let recorded = recorded.map_err(|why| Failed::HistoryUnwritable { why, shared })?;
            Some((store, recorded))
        }
        Keep::NotKept => None,
    };
    let body = CreateSessionRequest::from_input(&request.input, request.legacy, Utc::now());
    let session = match client.create_session(&body).await {
        Ok(session) => session,
        Err(error) => return Err(settle_failure(intent, error).await),
    };
    tracing::info!(session = %session.id, profile = %request.profile, "session created");
    let preview = intent.map(|(_, id)| request.record(id, &session));
    shown(&session, preview.as_ref());
    if let Some(ms) = std::env::var(PAUSE_AFTER_URL_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let saved = match intent {
        Some((store, id)) => {
            let owned = request.clone();
            let created = session.clone();
            let completed = on_store(store, move |s| {
                s.complete_intent(id, &owned.record_of(&created))
            })
            .await;
            if let Err(e) = &completed {
                tracing::warn!(session = %session.id, "created but not saved to history: {e}");
            }
            Some(completed)
        }
        None => None,
    };
    Ok(Generated { session, saved })
}

/// Removes the intent of a request that provably created nothing; notes the error on one
/// whose outcome is unknown.
async fn settle_failure(intent: Option<(&SharedStore, i64)>, error: ApiError) -> Failed {
    tracing::warn!("create session failed: {error}");
    if error.proves_not_created() {
        if let Some((store, id)) = intent
            && let Err(e) = on_store(store, move |s| s.forget_intent(id)).await
        {
            tracing::warn!("the record of a request that created nothing stays: {e}");
        }
        return Failed::NotCreated(error);
    }
    if let Some((store, id)) = intent {
        let why = error.to_string();
        if let Err(e) = on_store(store, move |s| s.give_up_intent(id, &why)).await {
            // Left as an intent: the next process to open the history records it.
            tracing::warn!("could not record the unknown outcome yet: {e}");
        }
    }
    Failed::Unknown {
        error,
        recorded: intent.is_some(),
    }
}
