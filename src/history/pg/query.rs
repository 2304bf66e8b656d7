//! Reading the shared history, as `query.rs` reads SQLite: pages (by offset, by key, from
//! the end), counts, searches, single records, pending ones. A search term matches where
//! it is a substring of a name, the session id, the vendor data or an identifier, ignoring
//! case (ILIKE, answered by the pg_trgm index on `search_text`).

use chrono::Utc;
use postgres::types::ToSql;

use super::*;
use crate::history::{
    Cursor, IdMatch, MAX_SEARCH_CHARS, MAX_SEARCH_TERMS, Query, final_statuses_sql,
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

/// A query's WHERE clauses and parameters.
struct Filter {
    clauses: Vec<String>,
    params: Params,
}

impl Filter {
    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
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
    let mut f = Filter {
        clauses: Vec::new(),
        params: Params::default(),
    };
    for t in terms {
        let p = f.params.add(format!("%{}%", escape_like(&t)));
        f.clauses
            .push(format!("s.search_text ILIKE {p} ESCAPE '\\'"));
    }
    if let Some(profile) = &query.profile {
        let p = f.params.add(profile.clone());
        f.clauses.push(format!("s.profile = {p}"));
    }
    if let Some(b) = &query.batch {
        // A batch's rows point at their records (see `batches.rs`).
        let p = f.params.add(b.clone());
        f.clauses.push(format!(
            "s.id IN (SELECT r.record_id FROM batch_rows r JOIN batches b ON b.id = r.batch_id \
             WHERE b.name = {p} AND r.record_id IS NOT NULL)"
        ));
    }
    if query.mine {
        let p = f.params.add(operator.to_string());
        f.clauses.push(format!("s.operator = {p}"));
    }
    Ok(f)
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
        self.run(|c| {
            c.query(sql, &params.refs())?
                .iter()
                .map(row_to_record)
                .collect()
        })
    }

    fn count_sql(&self, sql: &str, params: Params) -> Result<u64, StoreError> {
        let n: i64 = self.run(|c| c.query_one(sql, &params.refs())?.try_get(0))?;
        Ok(n.max(0) as u64)
    }

    pub(crate) fn page_where(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Result<Vec<Record>, StoreError> {
        let mut f = filter(query, &self.operator)?;
        // Newest first by creation time, a search too: records imported from a local
        // history (`history import`) come in newest first, so their row ids are no
        // creation order here, as they are in a file. The planner walks the creation
        // index for a common term and sorts the few matches of a rare one.
        if let Some(c) = cursor {
            let (a, b) = (f.params.add(c.created_at_ms), f.params.add(c.id));
            f.clauses.push(format!("(s.created_at, s.id) < ({a}, {b})"));
        }
        let dir = if oldest_first { "ASC" } else { "DESC" };
        let order = format!("s.created_at {dir}, s.id {dir}");
        let limit = f.params.add(pg_limit(query.limit));
        let off = f
            .params
            .add(offset.map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {} FROM sessions s {} ORDER BY {order} LIMIT {limit} OFFSET {off}",
            qualified(),
            f.where_sql()
        );
        self.records(&sql, f.params)
    }

    pub(crate) fn count(&self, query: &Query) -> Result<u64, StoreError> {
        if !query.has_search() && query.batch.is_none() && !query.mine {
            return self.tally(query.profile.as_deref());
        }
        let f = filter(query, &self.operator)?;
        let sql = format!("SELECT count(*) FROM sessions s {}", f.where_sql());
        self.count_sql(&sql, f.params)
    }

    pub(crate) fn count_up_to(&self, query: &Query, cap: u64) -> Result<u64, StoreError> {
        if !query.has_search() && query.batch.is_none() && !query.mine {
            let n = self.tally(query.profile.as_deref())?;
            return Ok(if cap > 0 { n.min(cap) } else { n });
        }
        let mut f = filter(query, &self.operator)?;
        let limit = f.params.add(pg_limit(cap));
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM sessions s {} LIMIT {limit}) t",
            f.where_sql()
        );
        self.count_sql(&sql, f.params)
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
