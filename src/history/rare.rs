//! Searches driven by a term's rarest trigrams. FTS5 checks a phrase by walking the
//! position lists of every trigram in it: `cust-55073818` made it walk `cus`, `ust` and
//! `st-` (each in 40 % of rows) for one match, 20-30 ms at a million rows, and two common
//! words (`anna smith`) cost it four times what their rowids alone do. Here the index is
//! asked only whether a row holds a few well-chosen trigrams of each term (no positions),
//! and the candidates it yields are checked for the whole terms by [`FUNCTION`], with the
//! index's own case folding (`fold`): the same rows as the phrase query, exactly.
//!
//! Which trigrams are rare is sampled once per trigram in the newest [`WINDOW`] rows and
//! kept in [`Stats`] across keystrokes; the samples are retaken after [`STALE`] rows came
//! or went. They only steer the plan: whatever they say, the answer is exact.

use std::collections::HashMap;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

use super::fold;

/// The SQL function that checks a candidate row: `(first_name, last_name, session_id,
/// vendor_data, search_extra, term, ...)` is 1 when every (folded) term is inside one of the fields.
pub(super) const FUNCTION: &str = "veriff_has_terms";
const FIELDS: usize = 5;

/// The newest rows a trigram's frequency is sampled in.
const WINDOW: i64 = 5000;
/// A sample stops counting here (10 % of the window): beyond, a trigram is common anyway.
const PROBE_CAP: i64 = 500;
/// A trigram in at most 1 in 50 (2 %) of the sampled rows is rare: asking the index for
/// several of them costs little (their lists are short), and each one more cuts the
/// candidates. Of common ones only the rarest is asked for: a common word's trigrams come
/// together (`ann`, `nna`), so a second one halves the index's speed and removes no
/// candidate.
const RARE_ONE_IN: i64 = 50;
/// Rare trigrams asked for per term: four of an id's digit trigrams leave one or two
/// candidates in a million rows.
const MAX_PER_TERM: usize = 4;
/// Rows inserted or deleted at the top of the history after which the samples are retaken.
const STALE: i64 = 1000;

/// Sampled trigram frequencies, by folded trigram, and the newest row id when sampled.
#[derive(Debug, Default)]
pub(super) struct Stats {
    top: i64,
    counts: HashMap<String, u32>,
}

/// How to run a search of 3+ character terms by their trigrams.
#[derive(Debug)]
pub(super) struct Plan {
    /// The FTS5 query for the candidates: the chosen trigrams, ANDed.
    pub matches: String,
    /// The folded terms the candidates are checked for with [`FUNCTION`] (terms of one
    /// trigram need no check: the index answers them exactly).
    pub terms: Vec<String>,
}

/// One trigram of a term: as typed (for the FTS5 query, which folds it as it folds the
/// phrase) and folded (the key of its frequency).
struct Trigram {
    typed: String,
    folded: String,
}

/// A plan, or `None` when the phrase query is as good: every term is a single trigram
/// (the index answers it exactly), or `rows_read` is false (nothing else needs the rows,
/// so the phrase count never looks one up) and no term has a rare trigram, or a term has
/// fewer than three characters the index keeps.
pub(super) fn plan(
    conn: &Connection,
    stats: &mut Stats,
    long: &[&str],
    rows_read: bool,
) -> rusqlite::Result<Option<Plan>> {
    let mut terms: Vec<(String, Vec<Trigram>)> = Vec::with_capacity(long.len());
    for term in long {
        let chars: Vec<char> = term.chars().filter(|&c| c != '\0').collect();
        if chars.len() < 3 {
            return Ok(None);
        }
        let mut trigrams: Vec<Trigram> = Vec::with_capacity(chars.len() - 2);
        for w in chars.windows(3) {
            let typed: String = w.iter().collect();
            let folded = fold::fold(&typed);
            if !trigrams.iter().any(|t| t.folded == folded) {
                trigrams.push(Trigram { typed, folded });
            }
        }
        terms.push((fold::fold(term), trigrams));
    }
    if terms.iter().all(|(_, t)| t.len() == 1) {
        return Ok(None);
    }

    refresh(conn, stats)?;
    // About the rows in the window (fewer when some were deleted).
    let sampled = stats.top.clamp(1, WINDOW);
    let mut chosen: Vec<String> = Vec::new();
    let mut checked = Vec::new();
    let mut any_rare = false;
    for (folded, trigrams) in terms {
        let mut counted = Vec::with_capacity(trigrams.len());
        for t in trigrams {
            counted.push((frequency(conn, stats, &t)?, t));
        }
        // Ties keep the term's order, so the plan (and the statement cache) is stable.
        counted.sort_by_key(|(n, _)| *n);
        let several = counted.len() > 1;
        let rare = counted
            .iter()
            .filter(|(n, _)| i64::from(*n) * RARE_ONE_IN <= sampled)
            .count();
        any_rare |= several && rare > 0;
        let take = rare.clamp(1, MAX_PER_TERM);
        for (_, t) in counted.into_iter().take(take) {
            let q = quote(&t.typed);
            if !chosen.contains(&q) {
                chosen.push(q);
            }
        }
        if several {
            checked.push(folded);
        }
    }
    if !rows_read && !any_rare {
        return Ok(None);
    }
    Ok(Some(Plan {
        matches: chosen.join(" AND "),
        terms: checked,
    }))
}

/// Forgets the samples once the newest rows have moved on.
fn refresh(conn: &Connection, stats: &mut Stats) -> rusqlite::Result<()> {
    let top: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM sessions")?
        .query_row([], |r| r.get(0))?;
    if (top - stats.top).abs() > STALE {
        stats.counts.clear();
    }
    if stats.counts.is_empty() {
        stats.top = top;
    }
    Ok(())
}

/// How many of the sampled rows hold `t` (up to [`PROBE_CAP`]).
fn frequency(conn: &Connection, stats: &mut Stats, t: &Trigram) -> rusqlite::Result<u32> {
    if let Some(&n) = stats.counts.get(&t.folded) {
        return Ok(n);
    }
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM sessions_fts \
             WHERE sessions_fts MATCH ? AND rowid > ? LIMIT ?)",
        )?
        .query_row(
            params![quote(&t.typed), stats.top - WINDOW, PROBE_CAP],
            |r| r.get(0),
        )?;
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    stats.counts.insert(t.folded.clone(), n);
    Ok(n)
}

/// Makes [`FUNCTION`] available on `conn`.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        FUNCTION,
        -1,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_DIRECTONLY,
        has_terms,
    )
}

fn has_terms(ctx: &Context<'_>) -> rusqlite::Result<bool> {
    if ctx.len() < FIELDS {
        return Err(rusqlite::Error::UserFunctionError(
            format!("{FUNCTION} takes the {FIELDS} searched fields, then the terms").into(),
        ));
    }
    let fields: [std::borrow::Cow<'_, str>; FIELDS] = std::array::from_fn(|i| text(ctx, i));
    Ok((FIELDS..ctx.len()).all(|i| {
        let term = text(ctx, i);
        fields.iter().any(|f| fold::contains(f, &term))
    }))
}

/// An argument as text (SQLite reads invalid UTF-8 leniently too; NULL is empty).
fn text<'a>(ctx: &'a Context<'_>, i: usize) -> std::borrow::Cow<'a, str> {
    match ctx.get_raw(i) {
        ValueRef::Text(b) => String::from_utf8_lossy(b),
        _ => std::borrow::Cow::Borrowed(""),
    }
}

/// An FTS5 string: the text exactly, whatever characters it holds.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::super::{Query, Store};
    use super::*;

    /// A store of `n` rows, every one named Smith, with vendor data `cust-` and a number.
    fn smiths(n: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("h.sqlite3")).unwrap();
        let mut st = store
            .conn
            .prepare(
                "INSERT INTO sessions (created_at, profile, base_url, first_name, last_name, \
                 lang, selfid, callback, vendor_data, session_id, url, expires_at, status) \
                 VALUES (?1, 'p', 'b', 'Anna', 'Smith', 'en', 1, '', ?2, ?3, 'u', ?1, 'created')",
            )
            .unwrap();
        for i in 0..n {
            st.execute(params![
                i,
                format!("cust-{:08}", i * 7919),
                format!("sid-{i}")
            ])
            .unwrap();
        }
        drop(st);
        (dir, store)
    }

    fn planned(store: &Store, text: &str, profile: Option<&str>) -> Option<(String, Vec<String>)> {
        let q = Query {
            search: Some(text.into()),
            profile: profile.map(str::to_string),
            ..Query::default()
        };
        let long: Vec<&str> = text
            .split_whitespace()
            .filter(|t| t.chars().count() >= 3)
            .collect();
        let mut stats = store.trigrams.borrow_mut();
        let p = plan(&store.conn, &mut stats, &long, q.profile.is_some()).unwrap();
        p.map(|p| (p.matches, p.terms))
    }

    #[test]
    fn rare_trigrams_drive_the_search_and_common_ones_only_with_a_profile() {
        let (_dir, store) = smiths(1000);
        // A term of one trigram: the index answers it exactly.
        assert!(planned(&store, "smi", None).is_none());
        assert!(planned(&store, "smi", Some("p")).is_none());
        // Only common trigrams: the phrase count needs no row, unless the rows are read
        // for their profile anyway; then one trigram (the rarest) is enough.
        assert!(planned(&store, "smith", None).is_none());
        let (matches, terms) = planned(&store, "SMITH", Some("p")).unwrap();
        assert_eq!(matches.matches(" AND ").count(), 0, "{matches}");
        assert_eq!(terms, ["smith"]);
        // An id: its rare digit trigrams (four at most), never the common `cus`.
        let (matches, terms) = planned(&store, "Cust-00007919", None).unwrap();
        assert_eq!(matches.matches(" AND ").count(), 3, "{matches}");
        assert!(!matches.to_lowercase().contains("cus"), "{matches}");
        assert_eq!(terms, ["cust-00007919"]);
        // Two terms: one checked (two trigrams or more), each with its trigrams asked.
        let (matches, terms) = planned(&store, "smi 0007919", Some("p")).unwrap();
        assert!(matches.contains("\"smi\""), "{matches}");
        assert_eq!(terms, ["0007919"]);
    }

    #[test]
    fn samples_are_kept_and_retaken_after_many_new_rows() {
        let (_dir, store) = smiths(10);
        planned(&store, "smith", None);
        let kept = store.trigrams.borrow().counts.len();
        assert_eq!(kept, 3);
        planned(&store, "smith", None);
        assert_eq!(store.trigrams.borrow().counts.len(), kept);
        store
            .conn
            .execute(
                "INSERT INTO sessions (id, created_at, profile, base_url, first_name, last_name, \
                 lang, selfid, callback, vendor_data, session_id, url, expires_at, status) \
                 VALUES (5000, 0, 'p', 'b', 'Zed', 'Zed', 'en', 1, '', '', 's', 'u', 0, 'created')",
                [],
            )
            .unwrap();
        planned(&store, "zed zedz", None);
        let s = store.trigrams.borrow();
        assert_eq!(s.top, 5000);
        assert!(!s.counts.contains_key("smi"), "{:?}", s.counts);
    }

    #[test]
    fn the_check_function_needs_every_term_in_one_field() {
        let (_dir, store) = smiths(0);
        let check = |sql: &str| -> bool { store.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert!(check(&format!(
            "SELECT {FUNCTION}('Anna', 'SMITH', '', '', '', 'anna', 'smith')"
        )));
        assert!(!check(&format!(
            "SELECT {FUNCTION}('Anna', 'Smyth', '', '', '', 'anna', 'smith')"
        )));
        // Across two fields is not inside either.
        assert!(!check(&format!(
            "SELECT {FUNCTION}('Anna', 'Smith', '', '', '', 'nasm')"
        )));
        assert!(check(&format!(
            "SELECT {FUNCTION}('x', 'y', 'z', 'ΣΊΣΥΦΟΣ', '', 'σίσυφοσ')"
        )));
        assert!(
            store
                .conn
                .query_row(&format!("SELECT {FUNCTION}('a')"), [], |r| r
                    .get::<_, bool>(0))
                .is_err()
        );
    }

    #[test]
    fn quote_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
