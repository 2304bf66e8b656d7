//! Reading the history: pages (by offset, by key, from the end), counts, searches through
//! the trigram and short-substring indexes, single records, pending ones.

use super::*;

impl Store {
    /// Newest first (by creation time; a search by insertion order, which is the same
    /// unless rows were imported out of order). `limit` 0 means no limit. Search terms
    /// (split at white space) must each occur in a name, the session id or the vendor data,
    /// ignoring case. Terms of 3+ characters use the trigram index; a search of only
    /// shorter terms the index of 1-2 character substrings; a short term beside a long one
    /// filters the rows the trigram index yields (ASCII-only case folding there).
    pub fn page(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        self.page_where(query, None, Some(query.offset), false)
    }

    /// A page as [`Store::page`] gives it, and how many records match in all when finding
    /// the page told (see [`Page::total`]).
    pub fn page_counted(&self, query: &Query) -> Result<Page, StoreError> {
        let offset = Some(query.offset);
        let (rows, total) = match self.pg() {
            Some(pg) => {
                let found = pg.page_where_counted(query, None, offset, false);
                pg.or_waiting(query, found, |pg| {
                    pg.waiting_page(query, None, offset, false)
                        .map(|rows| (rows, None))
                })?
            }
            None => (self.page_where(query, None, offset, false)?, None),
        };
        let len = rows.len() as u64;
        // A page shorter than asked for ends the list (an empty one past the end says
        // only that the end is before it).
        let ended = query.limit > 0 && len < query.limit && (len > 0 || query.offset == 0);
        let total = total.or(ended.then(|| query.offset + len));
        Ok(Page {
            rows,
            total,
            counted: None,
        })
    }

    /// The page after `cursor` (the last record of the previous page; `None` for the first
    /// page); `query.offset` is ignored. Stays fast however deep the page.
    pub fn page_after(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
    ) -> Result<Vec<Record>, StoreError> {
        self.page_where(query, cursor, None, false)
    }

    /// The oldest `query.limit` records matching (`query.offset` ignored), newest first:
    /// the end of the list, read from its end instead of walking past every record
    /// before it as an offset does (a list's End on a search of 600k matches).
    pub fn last_page(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let mut rows = self.page_where(query, None, None, true)?;
        rows.reverse();
        Ok(rows)
    }

    fn page_where(
        &self,
        query: &Query,
        cursor: Option<Cursor>,
        offset: Option<u64>,
        oldest_first: bool,
    ) -> Result<Vec<Record>, StoreError> {
        if let Some(pg) = self.pg() {
            let found = pg.page_where(query, cursor, offset, oldest_first);
            return pg.or_waiting(query, found, |pg| {
                pg.waiting_page(query, cursor, offset, oldest_first)
            });
        }
        let mut f = self.filter(query)?;
        if let Some(c) = cursor {
            if let Some(idx) = f.index {
                // On the index's own rowid, so the search starts there instead of
                // skipping every newer match.
                f.clauses.push(format!("{idx}.rowid < ?"));
                f.params.push(Value::Integer(c.id));
            } else {
                f.clauses.push("(s.created_at, s.id) < (?, ?)".into());
                f.params.push(Value::Integer(c.created_at_ms));
                f.params.push(Value::Integer(c.id));
            }
        }
        // A search walks its index backwards from the newest row and stops at the limit,
        // however common the term; sorting the matches by created_at instead would sort
        // every match first. Rows are inserted as they are generated, so the id order is
        // the creation order.
        let dir = if oldest_first { "ASC" } else { "DESC" };
        let order = match f.index {
            Some(idx) => format!("{idx}.rowid {dir}"),
            None => format!("s.created_at {dir}, s.id {dir}"),
        };
        let sql = format!(
            "SELECT {} FROM {} {} ORDER BY {order} LIMIT ? OFFSET ?",
            qualified_columns(),
            f.tables_sql(),
            f.where_sql()
        );
        f.params.push(Value::Integer(sql_limit(query.limit)));
        f.params.push(Value::Integer(
            offset.map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX)),
        ));
        self.records(&sql, f.params)
    }

    /// What one keystroke in a filter box needs: the first page (`query.limit` rows,
    /// `query.offset` ignored) and the match count up to `cap` (as [`Store::count_up_to`]).
    pub fn first_page_and_count(
        &self,
        query: &Query,
        cap: u64,
    ) -> Result<(Vec<Record>, u64), StoreError> {
        let page = self.first_page_counted(query, cap)?;
        let n = match (page.total, page.counted) {
            (Some(n), _) => up_to(n, cap),
            (None, Some((_, n))) => n,
            (None, None) => self.count_up_to(query, cap)?,
        };
        Ok((page.rows, n))
    }

    /// The first page (`query.offset` ignored) with its total, or else its matches counted
    /// up to `cap` ([`Page::counted`]). A page that told the total already (not full, or
    /// found by reading every match) is the whole answer: such a term is searched once,
    /// not twice. On the shared history one walk along the newest records finds the page
    /// and counts to `cap`, where a page and a count would walk its first part twice.
    pub fn first_page_counted(&self, query: &Query, cap: u64) -> Result<Page, StoreError> {
        let first = Query {
            offset: 0,
            ..query.clone()
        };
        if let Some(pg) = self.pg() {
            let walked = pg.walk_first_page(&first, cap);
            let walked =
                pg.or_waiting(&first, walked, |pg| pg.waiting_first_page(&first).map(Some))?;
            if let Some(page) = walked {
                return Ok(page);
            }
        }
        // Apart: the page, and a count when the page did not tell it.
        let mut page = self.page_counted(&first)?;
        if page.total.is_none() {
            page.counted = Some((cap, self.count_up_to(&first, cap)?));
        }
        Ok(page)
    }

    /// How many records match the query. Without a search it is the tally the triggers
    /// keep per profile, so a million records count as fast as ten.
    pub fn count(&self, query: &Query) -> Result<u64, StoreError> {
        if let Some(pg) = self.pg() {
            let found = pg.count(query);
            return pg.or_waiting(query, found, |pg| pg.waiting_matches(query, 0));
        }
        if !query.has_search() && query.batch.is_none() {
            return self.tally(query.profile.as_deref());
        }
        let f = self.filter(query)?;
        let sql = format!(
            "SELECT COUNT(*) FROM {} {}",
            f.count_tables_sql(),
            f.where_sql()
        );
        self.count_sql(&sql, f.params)
    }

    /// Like [`Store::count`] but stops at `cap` (`cap` means "cap or more"): cheap for a
    /// match count shown while typing, however common the term.
    pub fn count_up_to(&self, query: &Query, cap: u64) -> Result<u64, StoreError> {
        if let Some(pg) = self.pg() {
            let found = pg.count_up_to(query, cap);
            return pg.or_waiting(query, found, |pg| pg.waiting_matches(query, cap));
        }
        if !query.has_search() && query.batch.is_none() {
            let n = self.tally(query.profile.as_deref())?;
            return Ok(up_to(n, cap));
        }
        let mut f = self.filter(query)?;
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} {} LIMIT ?)",
            f.count_tables_sql(),
            f.where_sql()
        );
        f.params.push(Value::Integer(sql_limit(cap)));
        self.count_sql(&sql, f.params)
    }

    /// Records of a profile (or of all), from `status_counts`.
    fn tally(&self, profile: Option<&str>) -> Result<u64, StoreError> {
        match profile {
            Some(p) => self.count_sql(
                "SELECT COALESCE(SUM(n), 0) FROM status_counts WHERE profile = ?",
                vec![Value::Text(p.to_string())],
            ),
            None => self.count_sql("SELECT COALESCE(SUM(n), 0) FROM status_counts", Vec::new()),
        }
    }

    /// Runs `f` unless `wanted()` is false, and stops it as soon as `wanted()` turns false
    /// (checked every few thousand SQLite steps): a search made stale by newer typing gives
    /// the store back at once instead of finishing. `Ok(None)` when it was not wanted.
    pub fn while_wanted<T>(
        &self,
        wanted: impl Fn() -> bool + Send + Clone + 'static,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if !wanted() {
            return Ok(None);
        }
        if self.pg.is_some() {
            // No progress handler on a server: a stale query runs to its end and is
            // dropped (a server's search of one page takes milliseconds).
            return match f(self) {
                Err(_) if !wanted() => Ok(None),
                r => r.map(Some),
            };
        }
        let check = wanted.clone();
        self.conn
            .progress_handler(PROGRESS_STEPS, Some(move || !check()));
        let result = f(self);
        self.conn.progress_handler(0, None::<fn() -> bool>);
        match result {
            // Interrupted (or failed on the way) after it stopped mattering: nobody reads it.
            Err(_) if !wanted() => Ok(None),
            r => r.map(Some),
        }
    }

    /// The query's filter: a search of long terms runs by their rarest trigrams when that
    /// is faster than the phrase query (see `rare`).
    fn filter(&self, query: &Query) -> Result<Filter, StoreError> {
        let terms = search_terms(query).len();
        let chars = query.search.as_deref().map_or(0, |s| s.chars().count());
        if terms > super::MAX_SEARCH_TERMS || chars > super::MAX_SEARCH_CHARS {
            return Err(StoreError::SearchTooLarge { terms, chars });
        }
        let (long, short): (Vec<&str>, Vec<&str>) = search_terms(query)
            .into_iter()
            .partition(|t| t.chars().count() >= TRIGRAM);
        let plan = if long.is_empty() {
            None
        } else {
            // Every candidate row is read anyway for a profile or a 1-2 character term.
            let rows_read = query.profile.is_some() || !short.is_empty();
            let mut stats = self.trigrams.borrow_mut();
            rare::plan(&self.conn, &mut stats, &long, rows_read).map_err(|e| self.err(e))?
        };
        Ok(Filter::from_query(query, plan))
    }

    fn count_sql(&self, sql: &str, params: Vec<Value>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut st| st.query_row(params_from_iter(params), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        Ok(n.max(0) as u64)
    }

    pub fn get(&self, id: i64) -> Result<Option<Record>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.get(id);
        }
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = ?");
        Ok(self.records(&sql, vec![Value::Integer(id)])?.pop())
    }

    /// The record of a session id, or of the one id that starts with `session_id`; `None`
    /// when no id or several do ([`Store::match_session_id`] tells which).
    pub fn find_by_session_id(&self, session_id: &str) -> Result<Option<Record>, StoreError> {
        Ok(match self.match_session_id(session_id)? {
            IdMatch::One(r) => Some(*r),
            IdMatch::None | IdMatch::Many { .. } => None,
        })
    }

    /// What `id`, a whole session id or the start of one, finds in the history: exactly the
    /// record of that id, else the records whose id starts with it. Any prefix is looked
    /// up here (one character is enough when it is unique); none is sent to Veriff as if
    /// it were an id.
    pub fn match_session_id(&self, id: &str) -> Result<IdMatch, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.match_session_id(id);
        }
        if id.is_empty() {
            return Ok(IdMatch::None);
        }
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE session_id = ?");
        if let Some(r) = self.records(&sql, vec![Value::Text(id.to_string())])?.pop() {
            return Ok(IdMatch::One(Box::new(r)));
        }
        // A range on the unique index: every id starting with the prefix sorts between it
        // and the prefix followed by the largest character.
        let range = || {
            vec![
                Value::Text(id.to_string()),
                Value::Text(format!("{id}{}", char::MAX)),
            ]
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM sessions WHERE session_id >= ? AND session_id < ? \
             ORDER BY session_id LIMIT {}",
            IdMatch::SHOWN + 1
        );
        let mut found = self.records(&sql, range())?;
        Ok(match found.len() {
            0 => IdMatch::None,
            1 => IdMatch::One(Box::new(found.remove(0))),
            _ => {
                let count = self.count_sql(
                    "SELECT count(*) FROM sessions WHERE session_id >= ? AND session_id < ?",
                    range(),
                )?;
                found.truncate(IdMatch::SHOWN);
                IdMatch::Many {
                    count,
                    first: found.into_iter().map(|r| r.session_id).collect(),
                }
            }
        })
    }

    /// Records whose decision may still change (not final, not past expiry), oldest first.
    pub fn pending(&self, profile: Option<&str>, limit: u64) -> Result<Vec<Record>, StoreError> {
        self.pending_after(profile, None, limit)
    }

    /// Like [`Store::pending`], from the record after `after` on: every pending record is
    /// read a page at a time, however many there are.
    pub fn pending_after(
        &self,
        profile: Option<&str>,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.pending_after(profile, after, limit);
        }
        let mut params = vec![Value::Integer(to_ms(Utc::now()))];
        let mut sql = format!(
            "SELECT {COLUMNS} FROM sessions INDEXED BY sessions_pending \
             WHERE expires_at > ? AND status NOT IN ({})",
            final_statuses_sql()
        );
        if let Some(p) = profile {
            sql.push_str(" AND profile = ?");
            params.push(Value::Text(p.to_string()));
        }
        if let Some(c) = after {
            sql.push_str(" AND (created_at, id) > (?, ?)");
            params.push(Value::Integer(c.created_at_ms));
            params.push(Value::Integer(c.id));
        }
        sql.push_str(" ORDER BY created_at, id LIMIT ?");
        params.push(Value::Integer(sql_limit(limit)));
        self.records(&sql, params)
    }
}

/// The FROM and WHERE clauses of a history query and their parameters. `sessions` is `s`;
/// a search is driven by an index walked newest first: the trigram index `sessions_fts`,
/// or for terms of 1-2 characters alone the short-substring index `sessions_grams`.
struct Filter {
    index: Option<&'static str>,
    clauses: Vec<String>,
    params: Vec<Value>,
}

fn search_terms(query: &Query) -> Vec<&str> {
    query
        .search
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

impl Filter {
    fn from_query(query: &Query, plan: Option<rare::Plan>) -> Self {
        let mut f = Self {
            index: None,
            clauses: Vec::new(),
            params: Vec::new(),
        };
        let (long, short): (Vec<&str>, Vec<&str>) = search_terms(query)
            .into_iter()
            .partition(|t| t.chars().count() >= TRIGRAM);
        let mut checked = Vec::new();
        if let Some(plan) = plan {
            // Candidates by a few trigrams, checked for the whole terms below.
            f.index = Some("sessions_fts");
            f.clauses.push("sessions_fts MATCH ?".into());
            f.params.push(Value::Text(plan.matches));
            checked = plan.terms;
        } else if !long.is_empty() {
            // Each term a quoted phrase: its trigrams in a row, i.e. a substring; the
            // phrases are ANDed. NULs go: the tokenizer skips them, but the query parser
            // would end the string there.
            let phrase: Vec<String> = long
                .iter()
                .map(|t| format!("\"{}\"", t.replace('\0', "").replace('"', "\"\"")))
                .collect();
            f.index = Some("sessions_fts");
            f.clauses.push("sessions_fts MATCH ?".into());
            f.params.push(Value::Text(phrase.join(" ")));
        } else if !short.is_empty() {
            let words: Vec<String> = short.iter().map(|t| grams::term(t)).collect();
            f.index = Some("sessions_grams");
            f.clauses.push("sessions_grams MATCH ?".into());
            f.params.push(Value::Text(words.join(" ")));
        }
        if let Some(p) = &query.profile {
            f.clauses.push("s.profile = ?".into());
            f.params.push(Value::Text(p.clone()));
        }
        if let Some(b) = &query.batch {
            // A batch's rows point at their records (see `batches.rs`).
            f.clauses.push(
                "s.id IN (SELECT r.record_id FROM batch_rows r JOIN batches b ON b.id = r.batch_id \
                 WHERE b.name = ? AND r.record_id IS NOT NULL)"
                    .into(),
            );
            f.params.push(Value::Text(b.clone()));
        }
        if !long.is_empty() {
            // Beside a long term, a short one only filters the few rows the trigram
            // index yields.
            for t in short {
                let pattern = format!("%{}%", escape_like(t));
                f.clauses.push(
                    "(s.first_name LIKE ? ESCAPE '\\' OR s.last_name LIKE ? ESCAPE '\\' \
                     OR s.session_id LIKE ? ESCAPE '\\' OR s.vendor_data LIKE ? ESCAPE '\\' \
                     OR s.search_extra LIKE ? ESCAPE '\\')"
                        .into(),
                );
                for _ in 0..5 {
                    f.params.push(Value::Text(pattern.clone()));
                }
            }
        }
        if !checked.is_empty() {
            // After the profile check, which is cheaper and drops the other profiles.
            let marks = vec!["?"; checked.len()].join(", ");
            f.clauses.push(format!(
                "{}(s.first_name, s.last_name, s.session_id, s.vendor_data, s.search_extra, {marks})",
                rare::FUNCTION
            ));
            f.params.extend(checked.into_iter().map(Value::Text));
        }
        f
    }

    fn tables_sql(&self) -> String {
        match self.index {
            Some(idx) => format!("{idx} JOIN sessions s ON s.id = {idx}.rowid"),
            None => "sessions s".into(),
        }
    }

    /// For counting: a search alone needs no row of `sessions` (each index holds exactly
    /// the stored rows), so it counts index entries without looking each row up.
    fn count_tables_sql(&self) -> String {
        match self.index {
            Some(idx) if self.clauses.len() == 1 => idx.to_string(),
            _ => self.tables_sql(),
        }
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

pub(super) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a session id or the start of one finds in the history ([`Store::match_session_id`]).
#[derive(Debug, Clone, PartialEq)]
pub enum IdMatch {
    /// That id, or the only one starting with it.
    One(Box<Record>),
    /// No id starts with it.
    None,
    /// `count` ids start with it; `first` holds the first few in id order.
    Many { count: u64, first: Vec<String> },
}

impl IdMatch {
    /// How many of the ids of an ambiguous prefix are named.
    pub const SHOWN: usize = 3;
}
