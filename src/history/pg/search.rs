//! How a search of the shared history runs. Two ways, each fast where the other is slow:
//!
//! - **Walk**: the newest records in order along the creation index (whose entries hold
//!   the folded text, schema V3) and each checked, until the page is full. A common term
//!   (`s`, `smith`) fills a page within a few hundred entries; a rare one reads them all.
//! - **Keys**: an inverted index asked for the records holding a few of each term's rarest
//!   parts (trigrams from `sessions_search`, or for a term of one or two characters the
//!   term itself from `sessions_short`), each candidate checked and the matches sorted. A
//!   rare term (`zqxjv`, a session id, `cust-55073818`) has a handful of candidates; a
//!   common one has hundreds of thousands.
//!
//! PostgreSQL's planner picks between such plans by its statistics, which do not see how
//! common a substring is, and it asks the index for every trigram of a term, so
//! `cust-55073818` made it walk the lists of `cus` and `ust` (each in 40 % of the rows).
//! Here the choice is made from a [`Sample`] of the newest records, kept across keystrokes:
//! how many of them match, and which parts of each term are rare. The sample only steers;
//! either way every term is checked whole on every row, so the answer is exact.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The newest records sampled.
const WINDOW: i64 = 5000;
/// The sample is taken again after this long (records came and went meanwhile), between
/// keystrokes: by the open TUI's look at the history (`changes_after`), a few times a
/// second, so no keystroke waits for it.
const FRESH: Duration = Duration::from_secs(120);
/// A sample this old is taken again before it steers a search: nothing has looked at the
/// history in between (a long-running command, not the TUI).
const TOO_OLD: Duration = Duration::from_secs(600);
/// A part in at most 1 in 50 (2 %) of the sampled records is rare: several of them cost the
/// index little and each one more cuts the candidates. Of common parts only the rarest is
/// asked for (a common word's trigrams come together: a second one removes no candidate).
const RARE_ONE_IN: usize = 50;
/// Rare trigrams asked for per term: four of an id's leave one or two candidates in a
/// million records.
const MAX_PER_TERM: usize = 4;
/// What one candidate of the index costs (a table row read and checked) in steps of the
/// walk (an index entry checked): measured at 1M records 6-17 µs (the candidates' pages
/// are all over the table, many outside PostgreSQL's own cache) against 0.26-0.5 µs.
/// Between the two: at 10 counting `sm` fetched candidates for 28 ms that a walk counts
/// in 13; at 30 `anna smith` walked 10 ms for a page its 1048 candidates give in 7.
const CANDIDATE_COST: f64 = 20.0;
/// What each candidate costs before any is read: the index's answer is a bitmap of every
/// candidate, built whole however few are then read (a count stops at its cap, the bitmap
/// does not): measured at 1M records 0.28-0.39 µs a candidate (27,561 for `ith` in 7.7
/// ms, 10,768 for `佐藤` in 4.2), in the same steps. Without it a count of `smith` to 250
/// asked the index for its 27k candidates (10-14 ms) where a walk counts them in 4.
const BITMAP_COST: f64 = 0.9;
/// What a second statement costs beside the work it does (its round trips and planning,
/// the page's records read apart from the count's walk): about 1.3 ms, in the same steps.
const STATEMENT_COST: f64 = 3000.0;
/// Walking an index without the text, each record read from the table (an operator's own
/// index), in the same steps.
const TABLE_ROW_COST: f64 = 2.5;

/// The newest records' folded text and whose they are, and the number of records then.
#[derive(Debug, Default)]
pub(super) struct Sample {
    taken: Option<Instant>,
    rows: Vec<Row>,
    total: u64,
    /// How many sampled records hold each folded part asked about so far.
    counts: HashMap<String, usize>,
    /// The last search's tally: a keystroke plans its page and its count from the same
    /// one (going over the sample costs 0.5-1 ms a time).
    tallied: Option<(TallyOf, Tally)>,
}

/// What a tally is of: the terms and the scope.
type TallyOf = (Vec<String>, Option<String>, Option<String>);

/// How many sampled records are in the scope (its profile, its operator), match, and hold
/// every key.
#[derive(Debug, Clone, Copy)]
struct Tally {
    in_profile: usize,
    in_operator: usize,
    matching: usize,
    holding_keys: usize,
}

#[derive(Debug)]
struct Row {
    text: String,
    profile: String,
    operator: String,
}

/// What a search costs walking and asking the indexes (for `key_list`), in steps of the
/// walk (an index entry checked).
struct Costs {
    walk: f64,
    keys: f64,
    key_list: Vec<Key>,
}

/// What a query needs of the matches: the first `n` in order (0: all), or how many there
/// are up to `n` (0: all).
#[derive(Debug, Clone, Copy)]
pub(super) enum Need {
    Rows(u64),
    Count(u64),
}

/// Which records a search is about (besides its terms).
#[derive(Debug, Clone, Copy)]
pub(super) struct Scope<'a> {
    pub profile: Option<&'a str>,
    pub operator: Option<&'a str>,
}

/// How to run a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Access {
    Walk,
    /// The candidates: the records holding every key.
    Keys(Vec<Key>),
}

/// A part of a term asked of an index, as typed (the server folds it as it folded the
/// text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    /// Three letters or digits, for the trigram index.
    Trigram(String),
    /// One or two characters, for the short-substring index.
    Gram(String),
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

impl Sample {
    /// Whether it is time to take it again, between keystrokes.
    pub(super) fn is_due(&self) -> bool {
        self.taken.is_none_or(|t| t.elapsed() > FRESH)
    }

    /// Whether it must be taken (again) before it steers a search.
    pub(super) fn is_unfit(&self) -> bool {
        self.taken.is_none_or(|t| t.elapsed() > TOO_OLD)
    }

    /// The newest records, and how many there are in all.
    pub(super) fn take(c: &mut postgres::Client) -> Result<Sample, postgres::Error> {
        let rows = c
            .query(
                "SELECT search_folded, profile, operator FROM sessions \
                 ORDER BY created_at DESC, id DESC LIMIT $1",
                &[&WINDOW],
            )?
            .iter()
            .map(|r| {
                Ok(Row {
                    text: r.try_get(0)?,
                    profile: r.try_get(1)?,
                    operator: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, postgres::Error>>()?;
        let total: i64 = c
            .query_one("SELECT COALESCE(SUM(n), 0)::bigint FROM status_counts", &[])?
            .try_get(0)?;
        Ok(Sample {
            taken: Some(Instant::now()),
            rows,
            total: total.max(0) as u64,
            counts: HashMap::new(),
            tallied: None,
        })
    }

    /// How a search of `terms` (as typed, none empty) within `scope` is best run for `need`.
    pub(super) fn plan(&mut self, terms: &[String], scope: Scope<'_>, need: Need) -> Access {
        match self.costs(terms, scope, need) {
            Some(c) if c.keys < c.walk => Access::Keys(c.key_list),
            _ => Access::Walk,
        }
    }

    /// Whether a first page of `limit` records and a count to `cap` are best found by one
    /// walk (to the cap: the page is its first part) than apart, each its own way (a page
    /// asked of the indexes counts every match itself, and needs no count after it).
    pub(super) fn one_walk(
        &mut self,
        terms: &[String],
        scope: Scope<'_>,
        limit: u64,
        cap: u64,
    ) -> bool {
        let (Some(count), Some(page)) = (
            self.costs(terms, scope, Need::Count(cap)),
            self.costs(terms, scope, Need::Rows(limit)),
        ) else {
            return true;
        };
        let apart = if page.keys < page.walk {
            page.keys
        } else {
            page.walk + count.walk.min(count.keys) + STATEMENT_COST
        };
        count.walk <= apart
    }

    /// What each way costs, in steps of the walk; `None` when there is no choice to make
    /// (an empty history, or nothing to ask an index for: any way is quick).
    fn costs(&mut self, terms: &[String], scope: Scope<'_>, need: Need) -> Option<Costs> {
        let keys: Vec<Key> = terms.iter().flat_map(|t| self.keys(t)).collect();
        let sampled = self.rows.len();
        if sampled == 0 || keys.is_empty() {
            return None;
        }
        let Tally {
            in_profile,
            in_operator,
            matching,
            holding_keys,
        } = self.tally(terms, scope, &keys);
        // None seen is taken as half of one: rare, not impossible.
        let half = |n: usize| (n as f64).max(0.5);
        let total = self.total.max(sampled as u64) as f64;
        let estimate = |n: usize| total * half(n) / sampled as f64;
        // The entries a walk reads along an index whose records are `rows_in` of the sample.
        let walk = |rows_in: usize| {
            let rows = estimate(rows_in);
            let share = half(matching) / half(rows_in).max(1.0);
            match need {
                Need::Rows(0) | Need::Count(0) => rows,
                Need::Rows(n) | Need::Count(n) => (n as f64 / share).min(rows),
            }
        };
        // Along the creation index of the profile (or of all), which holds the text; one
        // operator's records also have an index of their own, without the text.
        let mut walked = walk(in_profile);
        if scope.operator.is_some() {
            walked = walked.min(walk(in_operator) * TABLE_ROW_COST);
        }
        let candidates = estimate(holding_keys);
        let fetched = match need {
            Need::Rows(_) | Need::Count(0) => candidates,
            // The candidates are read until `n` matched.
            Need::Count(n) => (n as f64 * candidates / estimate(matching)).min(candidates),
        };
        Some(Costs {
            walk: walked,
            keys: candidates * BITMAP_COST + fetched * CANDIDATE_COST,
            key_list: keys,
        })
    }

    /// The sampled records of `scope`, those matching `terms`, and those holding `keys`
    /// (the terms' keys), counted once for a search however many plans ask.
    fn tally(&mut self, terms: &[String], scope: Scope<'_>, keys: &[Key]) -> Tally {
        let of: TallyOf = (
            terms.to_vec(),
            scope.profile.map(str::to_string),
            scope.operator.map(str::to_string),
        );
        if let Some((last, tally)) = &self.tallied
            && *last == of
        {
            return *tally;
        }
        let folded: Vec<String> = terms.iter().map(|t| fold(t)).collect();
        let folded_keys: Vec<String> = keys
            .iter()
            .map(|k| match k {
                Key::Trigram(t) | Key::Gram(t) => fold(t),
            })
            .collect();
        let mut tally = Tally {
            in_profile: 0,
            in_operator: 0,
            matching: 0,
            holding_keys: 0,
        };
        for r in &self.rows {
            if folded_keys.iter().all(|k| r.text.contains(k.as_str())) {
                tally.holding_keys += 1;
            }
            let profile = scope.profile.is_none_or(|p| r.profile == p);
            let operator = scope.operator.is_none_or(|o| r.operator == o);
            tally.in_profile += usize::from(profile);
            tally.in_operator += usize::from(operator);
            if profile && operator && folded.iter().all(|t| r.text.contains(t.as_str())) {
                tally.matching += 1;
            }
        }
        self.tallied = Some((of, tally));
        tally
    }

    /// The keys of one term: its rarest trigrams of letters and digits (the trigram index
    /// keeps no others), else its rarest pair, or a short term itself.
    fn keys(&mut self, term: &str) -> Vec<Key> {
        let chars: Vec<char> = term.chars().collect();
        if chars.len() <= 2 {
            return vec![Key::Gram(term.to_string())];
        }
        let mut trigrams: Vec<String> = chars
            .windows(3)
            .filter(|w| w.iter().all(|c| c.is_alphanumeric()))
            .map(|w| w.iter().collect())
            .collect();
        trigrams.dedup();
        if trigrams.is_empty() {
            let pairs: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
            return self.rarest(pairs, 1).into_iter().map(Key::Gram).collect();
        }
        self.rarest(trigrams, MAX_PER_TERM)
            .into_iter()
            .map(Key::Trigram)
            .collect()
    }

    /// Of `parts`, the rare ones (at most `most`), or the rarest when none is.
    fn rarest(&mut self, parts: Vec<String>, most: usize) -> Vec<String> {
        let mut counted: Vec<(usize, String)> = parts
            .into_iter()
            .map(|p| (self.count(&fold(&p)), p))
            .collect();
        // Ties keep the term's order: the same plan, keystroke after keystroke.
        counted.sort_by_key(|(n, _)| *n);
        let sampled = self.rows.len();
        let rare = counted
            .iter()
            .filter(|(n, _)| n * RARE_ONE_IN <= sampled)
            .count();
        let mut chosen: Vec<String> = Vec::new();
        for (_, p) in counted.into_iter().take(rare.clamp(1, most)) {
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        chosen
    }

    /// Sampled records holding `folded`.
    fn count(&mut self, folded: &str) -> usize {
        if let Some(&n) = self.counts.get(folded) {
            return n;
        }
        let n = self.rows.iter().filter(|r| r.text.contains(folded)).count();
        self.counts.insert(folded.to_string(), n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(texts: &[(&str, &str)], total: u64) -> Sample {
        Sample {
            taken: Some(Instant::now()),
            rows: texts
                .iter()
                .map(|(t, p)| Row {
                    text: t.to_string(),
                    profile: p.to_string(),
                    operator: "anna".into(),
                })
                .collect(),
            total,
            counts: HashMap::new(),
            tallied: None,
        }
    }

    fn all() -> Scope<'static> {
        Scope {
            profile: None,
            operator: None,
        }
    }

    /// 5000 records: every one holds "s", one in ten "smith", one "cust-55073818".
    fn history() -> Sample {
        let texts: Vec<String> = (0..5000)
            .map(|i| match i {
                7 => "ada lovelace 3f2a cust-55073818".to_string(),
                i if i % 10 == 0 => format!("john smith {i:08x}"),
                i => format!("sara jones {i:08x} cust-{:08}", i * 7919),
            })
            .collect();
        let rows: Vec<(&str, &str)> = texts.iter().map(|t| (t.as_str(), "production")).collect();
        sample(&rows, 1_000_000)
    }

    #[test]
    fn common_terms_walk_and_rare_ones_ask_the_index_for_their_rarest_parts() {
        let mut s = history();
        let terms = |t: &[&str]| t.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(s.plan(&terms(&["s"]), all(), Need::Rows(100)), Access::Walk);
        assert_eq!(
            s.plan(&terms(&["Smith"]), all(), Need::Rows(100)),
            Access::Walk
        );
        // Counting a common term to 1000 still walks: its matches come thick and fast.
        assert_eq!(
            s.plan(&terms(&["s"]), all(), Need::Count(1000)),
            Access::Walk
        );
        // "cus" and "ust" are in nine records in ten: only the id's trigrams are asked.
        match s.plan(&terms(&["cust-55073818"]), all(), Need::Rows(100)) {
            Access::Keys(keys) => {
                assert!(keys.len() <= MAX_PER_TERM, "{keys:?}");
                for k in &keys {
                    let Key::Trigram(t) = k else {
                        panic!("{keys:?}")
                    };
                    assert!(t.chars().all(|c| c.is_ascii_digit()), "{keys:?}");
                }
            }
            Access::Walk => panic!("a rare id walked"),
        }
        // A short rare term: itself, from the short-substring index.
        assert_eq!(
            s.plan(&terms(&["qz"]), all(), Need::Rows(100)),
            Access::Keys(vec![Key::Gram("qz".into())])
        );
        // Punctuation alone has no trigram the index keeps: its rarest pair.
        assert_eq!(
            s.plan(&terms(&["-.-"]), all(), Need::Rows(100)),
            Access::Keys(vec![Key::Gram("-.".into())])
        );
    }

    #[test]
    fn a_term_in_a_few_percent_of_the_records_is_counted_by_walking() {
        // 3 %: its parts are about as common as itself, so the index's bitmap holds 30k
        // candidates at 1M, built whole before a count to 250 could stop.
        let texts: Vec<String> = (0..5000)
            .map(|i| match i % 100 {
                0..3 => format!("john smith {i:08x}"),
                _ => format!("sara jones {i:08x}"),
            })
            .collect();
        let rows: Vec<(&str, &str)> = texts.iter().map(|t| (t.as_str(), "production")).collect();
        let mut s = sample(&rows, 1_000_000);
        let smith = vec!["smith".to_string()];
        assert_eq!(s.plan(&smith, all(), Need::Count(250)), Access::Walk);
        assert_eq!(s.plan(&smith, all(), Need::Rows(100)), Access::Walk);
        // Counted whole, every match is read either way: the index's are fewer.
        assert!(matches!(
            s.plan(&smith, all(), Need::Count(0)),
            Access::Keys(_)
        ));
    }

    #[test]
    fn a_page_and_its_count_are_walked_for_at_once_unless_the_indexes_find_the_page() {
        let terms = |t: &str| vec![t.to_string()];
        let mut s = history();
        let cap = crate::history::FIRST_COUNT_CAP_SHARED;
        assert!(s.one_walk(&terms("s"), all(), 66, cap));
        assert!(s.one_walk(&terms("smith"), all(), 66, cap));
        // A rare id: the indexes find its page, and count its matches with it.
        assert!(!s.one_walk(&terms("cust-55073818"), all(), 66, cap));
        // A short term in 1 % of the records, a profile of 62 % (the bench's `佐藤`): its
        // index could count it (10k candidates), but the page walks, and one walk to the
        // cap costs less than both.
        let texts: Vec<(String, &str)> = (0..5000)
            .map(|i| {
                let text = match i % 92 {
                    0 => format!("佐藤 花子 {i:08x}"),
                    _ => format!("sara jones {i:08x}"),
                };
                (text, if i % 50 < 31 { "production" } else { "eu-test" })
            })
            .collect();
        let rows: Vec<(&str, &str)> = texts.iter().map(|(t, p)| (t.as_str(), *p)).collect();
        let mut s = sample(&rows, 1_000_000);
        let production = Scope {
            profile: Some("production"),
            operator: None,
        };
        assert!(s.one_walk(&terms("佐藤"), production, 66, cap));
    }

    #[test]
    fn a_scope_that_is_rare_in_the_sample_is_walked_or_its_matches_asked_for() {
        let mut rows: Vec<(&str, &str)> = vec![("sara jones", "production"); 4990];
        rows.extend(vec![("sara smith", "eu-test"); 10]);
        let mut s = sample(&rows, 1_000_000);
        let terms = vec!["smith".to_string()];
        let eu = Scope {
            profile: Some("eu-test"),
            operator: None,
        };
        assert_eq!(s.plan(&terms, eu, Need::Rows(100)), Access::Walk);
        // None in production: the whole profile would be walked for nothing.
        let production = Scope {
            profile: Some("production"),
            operator: None,
        };
        assert!(matches!(
            s.plan(&terms, production, Need::Rows(100)),
            Access::Keys(_)
        ));
        // An operator with no record in the sample has few: their own index is short.
        let boris = Scope {
            profile: None,
            operator: Some("boris"),
        };
        assert_eq!(s.plan(&terms, boris, Need::Rows(100)), Access::Walk);
    }

    #[test]
    fn an_empty_sample_walks_and_a_new_one_is_taken_before_it_steers() {
        let mut s = Sample::default();
        assert!(s.is_unfit() && s.is_due());
        assert_eq!(
            s.plan(&["qz".to_string()], all(), Need::Rows(100)),
            Access::Walk
        );
        assert!(!history().is_unfit() && !history().is_due());
    }
}
