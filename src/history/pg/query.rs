//! Reading the shared history, as `query.rs` reads SQLite: pages (by offset, by key, from
//! the end), counts, searches, single records, pending ones. A search term matches where
//! it is a substring of a name, the session id, the vendor data or an identifier, ignoring
//! case as ILIKE does (inside `search_folded`, the fields folded by the server); `search`
//! chooses whether a search walks the newest records or asks an index.

use chrono::Utc;
use postgres::types::ToSql;

use super::search::{Access, Key, Need, Scope};
use super::*;
use crate::history::{
    Cursor, IdMatch, MAX_SEARCH_CHARS, MAX_SEARCH_TERMS, Page, Query, final_statuses_sql,
    query::escape_like, to_ms,
};

/// Parameters of a statement built as text, in `$n` order.
#[derive(Default)]
pub(super) struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    /// Adds `v`; returns its placeholder (`$3`).
    pub(super) fn add(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }

    pub(super) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// What a query asks for, checked: its terms (as typed, without NULs), and the records
/// it is about.
struct Filter {
    terms: Vec<String>,
    profile: Option<String>,
    /// This operator's name, when only their records are wanted.
    operator: Option<String>,
    /// Only the records of this batch (`generate --batch`, by its name).
    batch: Option<String>,
}

/// The filter of `query`; `operator`: this run's, for `query.mine`.
fn filter(query: &Query, operator: &str) -> Result<Filter, StoreError> {
    let text = query.search.as_deref().unwrap_or("");
    let terms: Vec<String> = text
        .split_whitespace()
        // PostgreSQL text holds no NUL; SQLite's tokenizer skips them too.
        .map(|t| t.replace('\0', ""))
        .filter(|t| !t.is_empty())
        .collect();
    let chars = text.chars().count();
    if terms.len() > MAX_SEARCH_TERMS || chars > MAX_SEARCH_CHARS {
        return Err(StoreError::SearchTooLarge {
            terms: terms.len(),
            chars,
        });
    }
    Ok(Filter {
        terms,
        profile: query.profile.clone(),
        operator: query.mine.then(|| operator.to_string()),
        batch: query.batch.clone(),
    })
}

impl Filter {
    /// The conditions on the records of `alias`: profile, operator, and each term inside
    /// the folded text, folded by the server as it folded the text (ILIKE's rule).
    fn clauses(&self, alias: &str, params: &mut Params) -> Vec<String> {
        let mut clauses = Vec::new();
        if let Some(profile) = &self.profile {
            clauses.push(format!("{alias}.profile = {}", params.add(profile.clone())));
        }
        if let Some(operator) = &self.operator {
            clauses.push(format!(
                "{alias}.operator = {}",
                params.add(operator.clone())
            ));
        }
        if let Some(b) = &self.batch {
            // A batch's rows point at their records (see `batches.rs`).
            clauses.push(format!(
                "{alias}.id IN (SELECT r.record_id FROM batch_rows r JOIN batches b \
                 ON b.id = r.batch_id WHERE b.name = {} AND r.record_id IS NOT NULL)",
                params.add(b.clone())
            ));
        }
        for t in &self.terms {
            // Byte for byte ("C"): the same answer as the database's own collation, which
            // is deterministic, without its locale looked up on each of thousands of rows
            // a walk checks (5 % of a walk's time).
            clauses.push(format!(
                "strpos({alias}.search_folded COLLATE \"C\", lower({})) > 0",
                params.add(t.clone())
            ));
        }
        clauses
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            profile: self.profile.as_deref(),
            operator: self.operator.as_deref(),
        }
    }
}

/// `WHERE` and the clauses, or nothing.
fn where_sql(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// The records a search reads, as `c`: every one (walked along a creation index, whose
/// entries hold what the clauses check), or the candidates of the index keys. The
/// candidates come from a subquery that the planner cannot merge (`OFFSET 0`), so the
/// keys are its only way in; they carry where each row is (`ctid`: the candidates are
/// read from the table anyway), so a page's records are fetched again from there rather
/// than looked up by id.
fn source(access: &Access, params: &mut Params) -> String {
    let Access::Keys(keys) = access else {
        return "sessions c".into();
    };
    let keys: Vec<String> = keys
        .iter()
        .map(|k| match k {
            Key::Trigram(t) => format!(
                "k.search_folded LIKE lower({}) ESCAPE '\\'",
                params.add(format!("%{}%", escape_like(t)))
            ),
            Key::Gram(g) => format!(
                "short_grams(k.search_folded) @> ARRAY[lower({})]",
                params.add(g.clone())
            ),
        })
        .collect();
    format!(
        "(SELECT k.ctid, k.id, k.created_at, k.profile, k.operator, k.search_folded \
         FROM sessions k WHERE {} OFFSET 0) c",
        keys.join(" AND ")
    )
}

/// How many columns [`qualified`] names (the page's total comes after them).
fn qualified_count() -> usize {
    crate::history::COLUMNS.split(',').count() + 2
}

fn qualified() -> String {
    format!(
        "{}, s.operator, s.machine",
        crate::history::qualified_columns()
    )
}

impl PgStore {
    /// Rows of `sql` as records.
    pub(super) fn records(&self, sql: &str, params: Params) -> Result<Vec<Record>, StoreError> {
        self.query(sql, &params)?
            .iter()
            .map(|r| row_to_record(r).map_err(|e| self.err(e)))
            .collect()
    }

    fn count_sql(&self, sql: &str, params: Params) -> Result<u64, StoreError> {
        let rows = self.query(sql, &params)?;
        let n: i64 = match rows.first() {
            Some(row) => row.try_get(0).map_err(|e| self.err(e))?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }

    /// How a search of `f` is best run for `need` (see `search`), from the sample of the
    /// newest records, taken first when there is none yet (or only a very old one).
    fn access(&self, f: &Filter, need: Need) -> Result<Access, StoreError> {
        if self.sample.borrow().is_unfit() {
            self.take_sample()?;
        }
        Ok(self.sample.borrow_mut().plan(&f.terms, f.scope(), need))
    }

    fn take_sample(&self) -> Result<(), StoreError> {
        let sample = self.run(search::Sample::take)?;
        *self.sample.borrow_mut() = sample;
        Ok(())
    }

    /// Takes the search's sample again when it is due: called between keystrokes (the
    /// TUI's look at the history), so that the keystroke after it plans on a fresh one
    /// without waiting for it. A failure is left to the next search to meet.
    pub(crate) fn sample_if_due(&self) {
        if self.sample.borrow().is_due()
            && let Err(e) = self.take_sample()
        {
            tracing::debug!("the search's sample of the shared history was not taken: {e}");
        }
    }

    pub(crate) fn page_where(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Result<Vec<Record>, StoreError> {
        self.page_where_counted(query, cursor, offset, oldest_first)
            .map(|(rows, _)| rows)
    }

    /// A page, and how many records match in all when the search read every match to
    /// find it (asking the indexes: the candidates are sorted to find the newest) and so
    /// counted them on the way; `None` when it walked (and stopped once the page was full).
    pub(crate) fn page_where_counted(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Result<(Vec<Record>, Option<u64>), StoreError> {
        let f = filter(query, &self.operator)?;
        // Newest first by creation time, a search too: records imported from a local
        // history (`history import`) come in newest first, so their row ids are no
        // creation order here, as they are in a file.
        let dir = if oldest_first { "ASC" } else { "DESC" };
        let offset = offset.unwrap_or(0);
        let mut params = Params::default();
        let cursor_clause = |alias: &str, params: &mut Params| {
            cursor.map(|c| {
                let (a, b) = (params.add(c.created_at_ms), params.add(c.id));
                format!("({alias}.created_at, {alias}.id) < ({a}, {b})")
            })
        };
        if f.terms.is_empty() {
            let mut clauses = f.clauses("s", &mut params);
            clauses.extend(cursor_clause("s", &mut params));
            let limit = params.add(pg_limit(query.limit));
            let off = params.add(i64::try_from(offset).unwrap_or(i64::MAX));
            let sql = format!(
                "SELECT {} FROM sessions s {} ORDER BY s.created_at {dir}, s.id {dir} \
                 LIMIT {limit} OFFSET {off}",
                qualified(),
                where_sql(&clauses)
            );
            return Ok((self.records(&sql, params)?, None));
        }
        let need = if query.limit == 0 {
            0
        } else {
            offset.saturating_add(query.limit)
        };
        let access = self.access(&f, Need::Rows(need))?;
        // The page's ids first, from what the search reads; then their whole records.
        // Candidates of the indexes are all read and sorted anyway: counting them on the
        // way spares the list a second search for its count.
        let counted = matches!(access, Access::Keys(_)) && cursor.is_none();
        let from = source(&access, &mut params);
        let mut clauses = f.clauses("c", &mut params);
        clauses.extend(cursor_clause("c", &mut params));
        let limit = params.add(pg_limit(query.limit));
        let off = params.add(i64::try_from(offset).unwrap_or(i64::MAX));
        let total = if counted {
            "count(*) OVER ()"
        } else {
            "NULL::bigint"
        };
        // Where each record of the page is: a candidate's place in the table (read in the
        // same statement, so the same row version), else its id. Walked ids come from an
        // index alone; asking for their place would read the table for every entry.
        let (at, on) = match access {
            Access::Keys(_) => ("c.ctid AS at", "s.ctid = p.at"),
            Access::Walk => ("c.id AS at", "s.id = p.at"),
        };
        // The join keeps the page's order (a nested loop over it): nothing sorted again.
        let sql = format!(
            "SELECT {}, p.total FROM (SELECT {at}, c.created_at, c.id, {total} AS total \
             FROM {from} {} ORDER BY c.created_at {dir}, c.id {dir} LIMIT {limit} OFFSET {off}) p \
             JOIN sessions s ON {on} ORDER BY p.created_at {dir}, p.id {dir}",
            qualified(),
            where_sql(&clauses)
        );
        self.records_and_number(&sql, params)
    }

    /// Rows of `sql` as records, and the number its rows hold after the record's columns
    /// (the same on each: a count), when there is a row and the number is not NULL.
    fn records_and_number(
        &self,
        sql: &str,
        params: Params,
    ) -> Result<(Vec<Record>, Option<u64>), StoreError> {
        let at = qualified_count();
        let rows = self.query(sql, &params)?;
        let mut number = None;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            records.push(row_to_record(row).map_err(|e| self.err(e))?);
            let n: Option<i64> = row.try_get(at).map_err(|e| self.err(e))?;
            number = n.map(|n| n.max(0) as u64);
        }
        Ok((records, number))
    }

    /// The first page and its matches counted to `cap` from one walk (the page's records
    /// are the first of those counted), when that costs less than finding them apart
    /// (see [`Store::first_page_counted`]); `None` when not.
    pub(crate) fn walk_first_page(
        &self,
        query: &Query,
        cap: u64,
    ) -> Result<Option<Page>, StoreError> {
        let f = filter(query, &self.operator)?;
        let walks = !f.terms.is_empty() && query.limit > 0 && cap > query.limit && {
            if self.sample.borrow().is_unfit() {
                self.take_sample()?;
            }
            self.sample
                .borrow_mut()
                .one_walk(&f.terms, f.scope(), query.limit, cap)
        };
        if !walks {
            return Ok(None);
        }
        self.walk_page_and_count(&f, query.limit, cap).map(Some)
    }

    /// The newest `limit` records of `f` and how many match up to `cap`, from one walk
    /// along the creation index (as `count_up_to` walks).
    fn walk_page_and_count(&self, f: &Filter, limit: u64, cap: u64) -> Result<Page, StoreError> {
        let mut params = Params::default();
        let clauses = f.clauses("c", &mut params);
        let cap_param = params.add(pg_limit(cap));
        let limit_param = params.add(pg_limit(limit));
        let sql = format!(
            "WITH m AS MATERIALIZED (SELECT c.id, c.created_at FROM sessions c {} \
             ORDER BY c.created_at DESC, c.id DESC LIMIT {cap_param}) \
             SELECT {}, (SELECT count(*) FROM m) FROM (SELECT id, created_at FROM m \
             ORDER BY created_at DESC, id DESC LIMIT {limit_param}) p \
             JOIN sessions s ON s.id = p.id ORDER BY p.created_at DESC, p.id DESC",
            where_sql(&clauses),
            qualified()
        );
        let (rows, n) = self.records_and_number(&sql, params)?;
        // No row: nothing matched. Fewer than the cap: every match was counted.
        let n = n.unwrap_or(0);
        Ok(if n < cap {
            Page {
                rows,
                total: Some(n),
                counted: None,
            }
        } else {
            Page {
                rows,
                total: None,
                counted: Some((cap, n)),
            }
        })
    }

    pub(crate) fn count(&self, query: &Query) -> Result<u64, StoreError> {
        self.count_up_to(query, 0)
    }

    pub(crate) fn count_up_to(&self, query: &Query, cap: u64) -> Result<u64, StoreError> {
        if !query.has_search() && query.batch.is_none() && !query.mine {
            let n = self.tally(query.profile.as_deref())?;
            return Ok(crate::history::up_to(n, cap));
        }
        let f = filter(query, &self.operator)?;
        let mut params = Params::default();
        let (from, order) = if f.terms.is_empty() {
            ("sessions c".to_string(), "")
        } else {
            match self.access(&f, Need::Count(cap))? {
                // Along the creation index, whose entries hold what is checked.
                Access::Walk => (
                    "sessions c".to_string(),
                    "ORDER BY c.created_at DESC, c.id DESC",
                ),
                keys => (source(&keys, &mut params), ""),
            }
        };
        let clauses = f.clauses("c", &mut params);
        let limit = params.add(pg_limit(cap));
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {from} {} {order} LIMIT {limit}) t",
            where_sql(&clauses)
        );
        self.count_sql(&sql, params)
    }

    /// Records of a profile (or of all), from `status_counts`.
    fn tally(&self, profile: Option<&str>) -> Result<u64, StoreError> {
        let mut params = Params::default();
        let sql = match profile {
            Some(p) => format!(
                "SELECT COALESCE(SUM(n), 0)::bigint FROM status_counts WHERE profile = {}",
                params.add(p.to_string())
            ),
            None => "SELECT COALESCE(SUM(n), 0)::bigint FROM status_counts".to_string(),
        };
        self.count_sql(&sql, params)
    }

    pub(crate) fn get(&self, id: i64) -> Result<Option<Record>, StoreError> {
        if id < 0 {
            return self.get_waiting(id);
        }
        let mut params = Params::default();
        let sql = format!(
            "SELECT {} FROM sessions WHERE id = {}",
            columns(),
            params.add(id)
        );
        Ok(self.records(&sql, params)?.pop())
    }

    pub(crate) fn match_session_id(&self, id: &str) -> Result<IdMatch, StoreError> {
        if id.is_empty() || id.contains('\0') {
            return Ok(IdMatch::None);
        }
        let mut params = Params::default();
        let sql = format!(
            "SELECT {} FROM sessions WHERE session_id = {}",
            columns(),
            params.add(id.to_string())
        );
        if let Some(r) = self.records(&sql, params)?.pop() {
            return Ok(IdMatch::One(Box::new(r)));
        }
        let pattern = format!("{}%", escape_like(id));
        let mut params = Params::default();
        let sql = format!(
            "SELECT {} FROM sessions WHERE session_id LIKE {} ESCAPE '\\' \
             ORDER BY session_id COLLATE \"C\" LIMIT {}",
            columns(),
            params.add(pattern.clone()),
            IdMatch::SHOWN + 1
        );
        let mut found = self.records(&sql, params)?;
        Ok(match found.len() {
            0 => IdMatch::None,
            1 => IdMatch::One(Box::new(found.remove(0))),
            _ => {
                let mut params = Params::default();
                let sql = format!(
                    "SELECT count(*) FROM sessions WHERE session_id LIKE {} ESCAPE '\\'",
                    params.add(pattern)
                );
                let count = self.count_sql(&sql, params)?;
                found.truncate(IdMatch::SHOWN);
                IdMatch::Many {
                    count,
                    first: found.into_iter().map(|r| r.session_id).collect(),
                }
            }
        })
    }

    pub(crate) fn pending_after(
        &self,
        profile: Option<&str>,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {} FROM sessions WHERE expires_at > {} AND status NOT IN ({})",
            columns(),
            params.add(to_ms(Utc::now())),
            final_statuses_sql()
        );
        if let Some(p) = profile {
            sql.push_str(&format!(" AND profile = {}", params.add(p.to_string())));
        }
        if let Some(c) = after {
            let (a, b) = (params.add(c.created_at_ms), params.add(c.id));
            sql.push_str(&format!(" AND (created_at, id) > ({a}, {b})"));
        }
        sql.push_str(&format!(
            " ORDER BY created_at, id LIMIT {}",
            params.add(pg_limit(limit))
        ));
        self.records(&sql, params)
    }
}
