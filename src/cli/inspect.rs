//! `inspect`: everything Veriff knows of one session, through the same `ops::inspect` as
//! the TUI's details; `--media ID --out FILE` saves one media file.

use super::decision::{is_whole_id, lookup};
use super::{EXIT_LOCAL, EXIT_USAGE, Failure, InspectArgs, Outcome};
use super::{open_store, output};
use crate::config::Settings;
use crate::ops::{inspect, refresh};
use crate::text::sanitize;
use crate::veriff::inspect::{Inspection, Part};
use crate::veriff::{Client, SessionStatus};

pub(super) async fn run(settings: &Settings, args: InspectArgs) -> Outcome {
    let id = args.session_id.trim().to_string();
    if id.is_empty() {
        return Err(Failure::new(EXIT_USAGE, "give a session id"));
    }
    let store = match open_store(settings) {
        Ok(s) => Some(crate::ops::shared(s)),
        Err(f) if is_whole_id(&id) => {
            output::warn(&format!(
                "history unavailable, nothing will be kept: {}",
                f.message
            ));
            None
        }
        Err(f) => return Err(f),
    };
    let record = match &store {
        Some(store) => lookup(store, &id).await?,
        None => None,
    };
    let client = match &record {
        Some(r) => {
            if r.status == SessionStatus::Unknown {
                return Err(Failure::new(
                    EXIT_USAGE,
                    "this record's outcome is unknown: Veriff never named its session, so there is nothing to inspect",
                )
                .hint("Look for the session in the Veriff Customer Portal."));
            }
            let endpoint = refresh::profile_endpoint(settings, r).map_err(|skip| {
                Failure::new(EXIT_USAGE, skip.describe(&sanitize(&r.session_id)))
            })?;
            Client::new(&endpoint)?
        }
        None => Client::new(&settings.endpoint()?)?,
    };
    let session_id = record.as_ref().map_or(id.clone(), |r| r.session_id.clone());

    if let (Some(media_id), Some(out)) = (&args.media, &args.out) {
        let file = inspect::media(&client, media_id).await?;
        inspect::save_media(out, &file).map_err(|e| {
            let exists = e.kind() == std::io::ErrorKind::AlreadyExists;
            let f = Failure::new(
                EXIT_LOCAL,
                format!("cannot save the media file to {}: {e}", out.display()),
            );
            if exists {
                f.hint("It is never written over: name a new file.")
            } else {
                f
            }
        })?;
        output::note(&format!(
            "saved {} bytes to {} (readable by you only)",
            file.bytes.len(),
            out.display()
        ));
        return Ok(());
    }

    let inspection = match (&store, &record) {
        (Some(store), Some(r)) => match inspect::inspect(&client, store, r).await {
            Ok(i) => i,
            Err((i, e)) => {
                output::warn(&format!("the inspection was not kept in the history: {e}"));
                i
            }
        },
        _ => {
            if store.is_some() {
                output::warn("this session is not in the local history; nothing kept");
            }
            inspect::fetch(&client, &session_id).await
        }
    };
    if args.json {
        let json = serde_json::to_string_pretty(&inspection)
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        output::line(&json)?;
    } else {
        output::line(&describe(&inspection))?;
    }
    every_part_failed(&inspection)
}

/// Exit 0 when any part came; when none did, the decision's error (usually the same for
/// all: a wrong id, key or network) is the command's.
fn every_part_failed(i: &Inspection) -> Outcome {
    let failed = matches!(i.decision, Part::Error(_))
        && matches!(i.person, Part::Error(_))
        && matches!(i.attempts, Part::Error(_))
        && matches!(i.media, Part::Error(_))
        && matches!(i.watchlist_screening, Part::Error(_));
    match (&i.decision, failed) {
        (Part::Error(e), true) => Err(Failure::new(
            super::EXIT_API,
            format!("nothing could be fetched: {e}"),
        )),
        _ => Ok(()),
    }
}

/// The inspection as the lines people read: a part a line or a few, its error in its place.
pub fn describe(i: &Inspection) -> String {
    let mut out = vec![format!(
        "Session      {}  (fetched {})",
        i.session_id,
        i.fetched_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
    )];
    let mut part = |label: &str, lines: Vec<String>| {
        for (n, line) in lines.into_iter().enumerate() {
            let label = if n == 0 { label } else { "" };
            out.push(format!("{label:<13}{line}"));
        }
    };
    part(
        "Decision",
        vec![match &i.decision {
            Part::Ok(d) => super::decision::describe_decision(d.as_ref()),
            Part::Error(e) => format!("error: {e}"),
        }],
    );
    part(
        "Person",
        match &i.person {
            Part::Ok(p) => {
                let name = [&p.first_name, &p.last_name]
                    .iter()
                    .filter_map(|s| s.as_deref())
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut facts = vec![if name.is_empty() {
                    "(no name yet)".to_string()
                } else {
                    name
                }];
                let labelled = [
                    ("id", &p.id_code),
                    ("born", &p.date_of_birth),
                    ("gender", &p.gender),
                    ("nationality", &p.nationality),
                ];
                for (what, v) in labelled {
                    if let Some(v) = v {
                        facts.push(format!("{what} {v}"));
                    }
                }
                facts.push(format!("PEP/sanction matches: {}", p.pep_sanction_matches));
                vec![facts.join(" · ")]
            }
            Part::Error(e) => vec![format!("error: {e}")],
        },
    );
    part(
        "Attempts",
        match &i.attempts {
            Part::Ok(list) if list.is_empty() => vec!["none yet".into()],
            Part::Ok(list) => list
                .iter()
                .map(|a| {
                    format!(
                        "{}  {}  {}",
                        a.id,
                        a.status.as_deref().unwrap_or("-"),
                        a.created_time.as_deref().unwrap_or("")
                    )
                    .trim_end()
                    .to_string()
                })
                .collect(),
            Part::Error(e) => vec![format!("error: {e}")],
        },
    );
    part(
        "Media",
        match &i.media {
            Part::Ok(list) if list.is_empty() => vec!["none".into()],
            Part::Ok(list) => list
                .iter()
                .map(|m| {
                    let size = m.size.map(human_size).unwrap_or_default();
                    format!(
                        "{}  {} {}  {}  {}",
                        m.id,
                        m.kind,
                        m.name.as_deref().unwrap_or("(unnamed)"),
                        m.mimetype.as_deref().unwrap_or(""),
                        size
                    )
                    .trim_end()
                    .to_string()
                })
                .collect(),
            Part::Error(e) => vec![format!("error: {e}")],
        },
    );
    part(
        "Watchlist",
        match &i.watchlist_screening {
            Part::Ok(w) => {
                let mut lines = vec![format!(
                    "{} ({}) · {} hits",
                    w.match_status.as_deref().unwrap_or("no result"),
                    w.check_type.as_deref().unwrap_or("-"),
                    w.total_hits.unwrap_or(w.hits.len() as i64)
                )];
                lines.extend(w.hits.iter().map(|h| format!("hit: {h}")));
                lines
            }
            Part::Error(e) => vec![format!("error: {e}")],
        },
    );
    out.join("\n")
}

/// `1.2 MB`, `340 KB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} B"),
    }
}
