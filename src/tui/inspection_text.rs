//! The inspection under a session's details as rows of text, each part in its own section
//! with its own error, wrapped as the terminal will show them (`crate::width`). The view
//! styles the rows and `layout` counts them: the details scroll to their last row, whatever
//! the inspection holds, because both use this one function.

use chrono::{DateTime, Utc};

use crate::tui::app::Zone;
use crate::tui::inspector::Inspector;
use crate::tui::layout::DETAIL_LABEL;
use crate::veriff::inspect::{Inspection, Part};
use crate::width::{self, WidthModel};

/// How a piece of a row is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The section's title line.
    Title,
    /// Where it came from and when ("fetched 18:33").
    Note,
    Label,
    Value,
    Dim,
    Error,
}

/// One screen row: pieces of text, each with how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<(Kind, String)>);

/// Rows for the inspection of `insp` in `width` columns of a terminal measuring by `model`.
/// `media_key` is the key that shows the media (`m`), for the hint under the list.
pub fn rows(
    insp: &Inspector,
    model: WidthModel,
    width: u16,
    tz: Zone,
    media_key: &str,
) -> Vec<Row> {
    let width = usize::from(width);
    let values = width.saturating_sub(DETAIL_LABEL).max(8);
    let mut out = vec![Row(Vec::new()), title(insp, model, width, tz)];
    let wrapped = |out: &mut Vec<Row>, kind: Kind, text: &str| {
        for part in width::wrap_words(model, text, width.saturating_sub(2).max(8)) {
            out.push(Row(vec![(kind, format!("  {part}"))]));
        }
    };
    if let Some(e) = &insp.fetch_error {
        let what = if insp.shown().is_some() {
            "not fetched again"
        } else {
            "not fetched"
        };
        wrapped(&mut out, Kind::Error, &format!("✖ {what}: {e}"));
    }
    if let Some(e) = &insp.not_kept {
        wrapped(
            &mut out,
            Kind::Error,
            &format!("! not kept in the history: {e}"),
        );
    }
    if let Some(e) = &insp.kept_error {
        wrapped(
            &mut out,
            Kind::Error,
            &format!("! the kept inspection could not be read: {e}"),
        );
    }
    let Some(i) = insp.shown() else {
        let text = if insp.fetching || !insp.kept_read {
            "Asking Veriff…"
        } else {
            "Nothing known yet."
        };
        wrapped(&mut out, Kind::Dim, text);
        return out;
    };
    // Values wrap under their own column, as the details' fields do.
    let section = |out: &mut Vec<Row>, label: &str, lines: Vec<(Kind, String)>| {
        let mut first = true;
        for (kind, line) in lines {
            for part in width::wrap_words(model, &line, values) {
                let label = if first { label } else { "" };
                first = false;
                out.push(Row(vec![
                    (Kind::Label, format!("  {label:<14}")),
                    (kind, part),
                ]));
            }
        }
    };
    section(&mut out, "Decision", decision(i));
    section(&mut out, "Person", person(i));
    section(&mut out, "Attempts", attempts(i, tz));
    section(&mut out, "Media", media(i, tz));
    if matches!(&i.media, Part::Ok(list) if !list.is_empty()) {
        section(
            &mut out,
            "",
            vec![(
                Kind::Dim,
                format!("{media_key}: show them one at a time (fetched only then)"),
            )],
        );
    }
    section(&mut out, "Watchlist", watchlist(i));
    out
}

fn title(insp: &Inspector, model: WidthModel, width: usize, tz: Zone) -> Row {
    let mut note = match (&insp.fresh, &insp.kept) {
        (Some(f), _) => format!(
            "fetched {}",
            f.fetched_at
                .with_timezone(&tz.offset_at(f.fetched_at))
                .format("%H:%M")
        ),
        (None, Some(k)) => format!(
            "kept from {}, offline",
            crate::tui::view::local_time(k.fetched_at, tz)
        ),
        (None, None) if insp.kept_read => "none kept".to_string(),
        (None, None) => "reading the history…".to_string(),
    };
    if insp.fetching {
        note.push_str(" · fetching…");
    }
    let head = "Inspection";
    // `view::rule` draws it between "── " and a space and a line.
    let room = width.saturating_sub(head.len() + 4);
    Row(vec![
        (Kind::Title, head.to_string()),
        (
            Kind::Note,
            width::fit(model, &format!(" · {note}"), room)
                .trim_end()
                .to_string(),
        ),
    ])
}

fn failed(e: &str) -> Vec<(Kind, String)> {
    vec![(Kind::Error, format!("✖ {e}"))]
}

fn decision(i: &Inspection) -> Vec<(Kind, String)> {
    match &i.decision {
        Part::Ok(Some(d)) => vec![(Kind::Value, d.describe())],
        Part::Ok(None) => vec![(
            Kind::Dim,
            "no decision yet (the person has not finished the flow)".into(),
        )],
        Part::Error(e) => failed(e),
    }
}

fn person(i: &Inspection) -> Vec<(Kind, String)> {
    let p = match &i.person {
        Part::Ok(p) => p,
        Part::Error(e) => return failed(e),
    };
    let name = [&p.first_name, &p.last_name]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let mut facts = vec![if name.trim().is_empty() {
        "(no name yet)".to_string()
    } else {
        name
    }];
    for (what, v) in [
        ("id", &p.id_code),
        ("born", &p.date_of_birth),
        ("gender", &p.gender),
        ("nationality", &p.nationality),
    ] {
        if let Some(v) = v {
            facts.push(format!("{what} {v}"));
        }
    }
    facts.push(format!("PEP/sanction matches: {}", p.pep_sanction_matches));
    vec![(Kind::Value, facts.join(" · "))]
}

/// Veriff's time (RFC 3339) in the zone and format of every other time; as it came when it
/// is no time.
fn when(t: Option<&str>, tz: Zone) -> String {
    match t {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| crate::tui::view::local_time(d.with_timezone(&Utc), tz))
            .unwrap_or_else(|_| t.to_string()),
        None => String::new(),
    }
}

fn attempts(i: &Inspection, tz: Zone) -> Vec<(Kind, String)> {
    match &i.attempts {
        Part::Ok(list) if list.is_empty() => vec![(Kind::Dim, "none yet".into())],
        Part::Ok(list) => list
            .iter()
            .map(|a| {
                let short: String = a.id.chars().take(8).collect();
                let parts = [
                    a.status.as_deref().unwrap_or("-").replace('_', " "),
                    when(a.created_time.as_deref(), tz),
                    short,
                ];
                (Kind::Value, join(&parts))
            })
            .collect(),
        Part::Error(e) => failed(e),
    }
}

fn media(i: &Inspection, tz: Zone) -> Vec<(Kind, String)> {
    match &i.media {
        Part::Ok(list) if list.is_empty() => vec![(Kind::Dim, "none".into())],
        Part::Ok(list) => list
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let name = m
                    .name
                    .as_deref()
                    .or(m.context.as_deref())
                    .unwrap_or("(unnamed)");
                let parts = [
                    format!("{} {name}", n + 1),
                    m.mimetype.clone().unwrap_or_else(|| m.kind.clone()),
                    m.size.map(crate::cli::human_size).unwrap_or_default(),
                    when(m.timestamp.as_deref(), tz),
                ];
                (Kind::Value, join(&parts))
            })
            .collect(),
        Part::Error(e) => failed(e),
    }
}

fn watchlist(i: &Inspection) -> Vec<(Kind, String)> {
    let w = match &i.watchlist_screening {
        Part::Ok(w) => w,
        Part::Error(e) => return failed(e),
    };
    let status = w
        .match_status
        .as_deref()
        .map(|s| s.replace('_', " "))
        .unwrap_or_else(|| "no result".into());
    let hits = w.total_hits.unwrap_or(w.hits.len() as i64);
    let mut out = vec![(
        Kind::Value,
        join(&[
            status,
            w.check_type
                .as_deref()
                .map(|c| c.replace('_', " "))
                .unwrap_or_default(),
            match hits {
                1 => "1 hit".into(),
                n => format!("{n} hits"),
            },
        ]),
    )];
    out.extend(w.hits.iter().map(|h| (Kind::Value, format!("hit: {h}"))));
    out
}

/// The non-empty parts, joined by ` · `.
fn join(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ")
}
