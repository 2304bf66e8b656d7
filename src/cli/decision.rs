//! `decision`: one session's decision, or every pending one's, through the same
//! `ops::refresh` as the TUI's `r` and `R`. A record is asked about through the profile it
//! was made under.

use super::bar::Bar;
use super::{DecisionArgs, EXIT_API, EXIT_LOCAL, EXIT_NETWORK, EXIT_USAGE, Failure, Outcome};
use super::{open_store, output};
use crate::config::Settings;
use crate::history::{IdMatch, Record};
use crate::ops::refresh::{self, Refreshed};
use crate::ops::{SharedStore, on_store};
use crate::text::sanitize;
use crate::veriff::{self, ApiError, Client};

pub(super) async fn run(settings: &Settings, args: DecisionArgs) -> Outcome {
    let store = match open_store(settings) {
        // --pending is there to record what it fetches: on a history that cannot be
        // written, nothing is asked. (One decision is still shown, not recorded, as when
        // the history cannot be opened at all.)
        Ok(s) if args.pending && s.is_read_only() => {
            let e = crate::history::StoreError::ReadOnly {
                path: s.path().to_string(),
            };
            return Err(Failure::new(
                EXIT_LOCAL,
                format!("nothing was asked: --pending records the decisions it fetches, and {e}"),
            )
            .hint(super::failure::READ_ONLY_HINT));
        }
        Ok(s) => Some(crate::ops::shared(s)),
        // --pending reads its list from the history: nothing to do without it.
        Err(f) if args.pending => return Err(f),
        Err(f) => {
            output::warn(&format!(
                "history unavailable, nothing will be recorded: {}",
                f.message
            ));
            if let Some(h) = &f.hint {
                output::note(&format!("  hint: {}", sanitize(h)));
            }
            None
        }
    };
    if args.pending {
        let client = Client::new(&settings.endpoint()?)?;
        return refresh_pending(settings, &client, store, args.json).await;
    }
    let Some(id) = args
        .session_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    else {
        return Err(Failure::new(EXIT_USAGE, "give a session id, or --pending"));
    };
    let known = match &store {
        Some(store) => lookup(store, &id).await?,
        None => None,
    };
    if known.is_none() && !is_whole_id(&id) {
        // A prefix names a record only through the history; sent to Veriff it would be
        // asked about as an id and answered 404.
        return Err(Failure::new(
            EXIT_USAGE,
            format!(
                "cannot find the record whose session id starts with {}: the history cannot be read, and only a whole session id can be asked of Veriff",
                sanitize(&id)
            ),
        )
        .hint("Give the whole id (36 characters, as generate printed it), or fix the history as the warning above says."));
    }
    let refreshed = match (&store, known) {
        (Some(store), Some(record)) => {
            let endpoint = match refresh::endpoint_for(settings, &record, chrono::Utc::now()) {
                Ok(e) => e,
                Err(skip) => {
                    let name = sanitize(&record.session_id);
                    if !skip.is_benign() {
                        return Err(Failure::new(EXIT_USAGE, skip.describe(&name)));
                    }
                    // Nothing to ask: the stored status is the answer.
                    output::note(&skip.describe(&name));
                    let status = record.effective_status(chrono::Utc::now()).label();
                    return output::line(&if args.json {
                        serde_json::json!({ "status": status, "asked": false }).to_string()
                    } else {
                        status
                    });
                }
            };
            let client = Client::new(&endpoint)?;
            refresh::refresh_one(&client, store, &record.session_id).await
        }
        _ => {
            // Not in the history: only the active profile can be asked, and nothing is kept.
            let client = Client::new(&settings.endpoint()?)?;
            let result = client.decision(&id).await;
            if store.is_some() {
                output::warn("this session is not in the local history; nothing recorded");
            }
            Refreshed {
                session_id: id,
                result,
                store_error: None,
                record: None,
            }
        }
    };
    if let Some(e) = &refreshed.store_error {
        output::warn(&format!("decision not saved to history: {e}"));
    }
    let decision = refreshed.result.map_err(|e| {
        let not_found = matches!(e, ApiError::Http { status: 404, .. });
        let failure = Failure::from(e);
        if not_found {
            failure.hint(
                "No session with this id is known to this integration: check the id (veriff-tui history) and the profile.",
            )
        } else {
            failure
        }
    })?;
    if args.json {
        let json = serde_json::to_string_pretty(&decision)
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        output::line(&json)
    } else {
        output::line(&describe_decision(decision.as_ref()))
    }
}

/// The record `id` names: the whole id, or a prefix that only one record's id starts with.
/// `None` for a whole id the history does not hold (Veriff may still know it); a prefix that
/// finds no record, or several, is an error saying so.
pub(super) async fn lookup(store: &SharedStore, id: &str) -> Result<Option<Record>, Failure> {
    let wanted = id.to_string();
    let found = match on_store(store, move |s| s.match_session_id(&wanted)).await {
        Ok(found) => found,
        Err(e) if is_whole_id(id) => {
            output::warn(&format!("history lookup failed: {e}"));
            return Ok(None);
        }
        Err(e) => {
            return Err(Failure::new(
                EXIT_LOCAL,
                format!("cannot look \"{}\" up in the history: {e}", sanitize(id)),
            )
            .hint("Give the whole id (36 characters, as generate printed it)."));
        }
    };
    let shown = sanitize(id);
    match found {
        IdMatch::One(record) => Ok(Some(*record)),
        IdMatch::None if is_whole_id(id) => Ok(None),
        IdMatch::None => Err(Failure::new(
            EXIT_USAGE,
            format!("no record in the history has a session id starting with {shown}"),
        )
        .hint(format!(
            "`veriff-tui history --search {shown}` lists the records whose names, id or vendor data hold it; `veriff-tui config path` shows which history this is."
        ))),
        IdMatch::Many { count, first } => {
            let more = if count > first.len() as u64 { ", …" } else { "" };
            let ids: Vec<String> = first.iter().map(|i| sanitize(i)).collect();
            Err(Failure::new(
                EXIT_USAGE,
                format!(
                    "{shown} matches {count} records: {}{more}",
                    ids.join(", ")
                ),
            )
            .hint("Give more characters of the id, enough for one record."))
        }
    }
}

/// A whole session id as Veriff gives them (a UUID): one not in the history can still be
/// asked of the active profile.
pub(super) fn is_whole_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::parse_str(id).is_ok()
}

/// One line such as `approved (9001)` or `declined (9102): Physical document not used`.
pub fn describe_decision(d: Option<&veriff::Decision>) -> String {
    let Some(d) = d else {
        return "no decision yet".into();
    };
    let mut s = d.describe();
    if let Some(t) = d.decision_time.as_deref() {
        // In the zone and format of every other time shown (`history`, the TUI).
        let shown = chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| sanitize(t));
        s.push_str(&format!(", decided {shown}"));
    }
    s
}

/// Every pending session of the profile, through the same code as the TUI's `R`.
async fn refresh_pending(
    settings: &Settings,
    client: &Client,
    store: Option<SharedStore>,
    json: bool,
) -> Outcome {
    let Some(store) = store else {
        return Err(Failure::new(
            EXIT_LOCAL,
            "--pending needs the history, which could not be opened",
        ));
    };
    let mut rows = Vec::new();
    let mut network_failures = 0usize;
    let mut written: Result<(), Failure> = Ok(());
    let bar = Bar::on_stderr(true);
    let mut progress = bar.progress("refreshing");
    let summary = refresh::refresh_pending(
        client,
        &store,
        &settings.profile_name,
        client.base_url(),
        &mut progress,
        |r| {
            let id = sanitize(&r.session_id);
            if let Err(e) = &r.result
                && e.is_network()
            {
                network_failures += 1;
            }
            if let Some(e) = &r.store_error {
                bar.suspend(|| output::warn(&format!("{id}: decision not saved: {e}")));
            }
            if json {
                rows.push(serde_json::json!({
                    "session_id": id,
                    "decision": r.result.as_ref().ok(),
                    "error": r.result.as_ref().err().map(|e| e.to_string()),
                }));
            } else {
                let line = match &r.result {
                    Ok(d) => describe_decision(d.as_ref()),
                    Err(e) => format!("error: {}", sanitize(&e.to_string())),
                };
                if written.is_ok() {
                    written = bar.suspend(|| output::line(&format!("{id}  {line}")));
                }
            }
        },
    )
    .await;
    bar.clear();
    let summary = summary.map_err(|e| Failure::new(EXIT_LOCAL, e))?;
    if json {
        let json = serde_json::to_string_pretty(&rows)
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        output::line(&json)?;
    }
    written?;
    let skipped = match summary.skipped {
        0 => String::new(),
        n => format!(", {}", refresh::skipped_words(n)),
    };
    output::note(&format!(
        "{} pending checked: {} decided, {} without a decision yet, {} failed{skipped}",
        summary.total, summary.decided, summary.waiting, summary.failed
    ));
    match (summary.failed, network_failures) {
        (0, _) => Ok(()),
        (f, n) if f == n => Err(Failure::new(EXIT_NETWORK, format!("{f} checks failed"))),
        (f, _) => Err(Failure::new(EXIT_API, format!("{f} checks failed"))),
    }
}
