//! Searches driven by a term's rarest trigrams. A long term made of common trigrams
//! (`cust-55073818`: `cus`, `ust`, `st-` are in 40 % of rows) made FTS5 walk huge posting
//! lists to check the phrase; instead the index is asked only for the term's rarest
//! trigrams, and the full substring is checked on those few candidate rows here.
//!
//! Frequencies are probed live, in the newest [`WINDOW`] rows only and capped at
//! [`PROBE_CAP`] (a fraction of a millisecond even for a trigram in every row), so no table
//! of frequencies has to be kept in step with the index.

use rusqlite::{Connection, params};

use super::grams;

/// The newest rows a trigram's frequency is sampled in.
const WINDOW: i64 = 5000;
/// Probes stop counting here (10 % of the window): beyond, a trigram is common anyway.
const PROBE_CAP: i64 = 500;
/// A term is searched by its rare trigrams when one is in under 2 % of the sampled rows
/// (a digit trigram of an id is in about 1 %); above that the phrase search fills a page
/// and a capped count sooner than checking the candidates row by row.
const RARE: i64 = 100;
/// Trigrams per term the candidates must hold: two rare ones cut the candidates to a
/// handful; more only cost probes.
const PER_TERM: usize = 2;

/// How to run a search of 3+ character terms by rare trigrams.
pub(super) struct Plan {
    /// The FTS5 query for the candidates: the chosen trigrams, ANDed.
    pub matches: String,
    /// The terms, folded, each of which a candidate must contain in one field.
    pub terms: Vec<String>,
}

/// A plan, or `None` when the usual phrase search is as good: every term is a single
/// trigram, or all of them are common (the phrase search then fills a page quickly), or a
/// term folds to a different length (the trigrams here might then differ from the index's).
pub(super) fn plan(conn: &Connection, long: &[&str]) -> rusqlite::Result<Option<Plan>> {
    let mut chosen: Vec<String> = Vec::new();
    let mut terms = Vec::with_capacity(long.len());
    let mut rarest = i64::MAX;
    let newest: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM sessions")?
        .query_row([], |r| r.get(0))?;
    let mut probe = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM sessions_fts \
         WHERE sessions_fts MATCH ? AND rowid > ? LIMIT ?)",
    )?;
    for term in long {
        let folded = grams::fold(term);
        if folded.chars().count() != term.chars().count() {
            return Ok(None);
        }
        let chars: Vec<char> = folded.chars().collect();
        let mut trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
        trigrams.sort_unstable();
        trigrams.dedup();
        if trigrams.len() == 1 {
            chosen.append(&mut trigrams);
        } else {
            let mut counted = Vec::with_capacity(trigrams.len());
            for t in trigrams {
                let n: i64 = probe
                    .query_row(params![quote(&t), newest - WINDOW, PROBE_CAP], |r| r.get(0))?;
                counted.push((n, t));
            }
            counted.sort_unstable();
            rarest = rarest.min(counted.first().map_or(i64::MAX, |c| c.0));
            chosen.extend(counted.into_iter().take(PER_TERM).map(|(_, t)| t));
        }
        terms.push(folded);
    }
    if rarest >= RARE {
        return Ok(None);
    }
    chosen.sort_unstable();
    chosen.dedup();
    let matches: Vec<String> = chosen.iter().map(|t| quote(t)).collect();
    Ok(Some(Plan {
        matches: matches.join(" AND "),
        terms,
    }))
}

/// Whether every term occurs in one of the fields, ignoring case as the index does.
pub(super) fn verify(terms: &[String], fields: [&str; 4]) -> bool {
    let folded = fields.map(grams::fold);
    terms
        .iter()
        .all(|t| folded.iter().any(|f| f.contains(t.as_str())))
}

/// An FTS5 string: the text exactly, whatever characters it holds.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_needs_every_term_inside_one_field() {
        let terms = vec!["anna".to_string(), "smith".to_string()];
        assert!(verify(&terms, ["Anna", "SMITH", "x", "y"]));
        assert!(!verify(&terms, ["Anna", "Smyth", "x", "y"]));
        // Across two fields is not a substring of either.
        let one = vec!["nasm".to_string()];
        assert!(!verify(&one, ["Anna", "Smith", "x", "y"]));
    }

    #[test]
    fn quote_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
