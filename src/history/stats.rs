//! The dashboard's figures: counts by status, links per day, latest decisions.

use super::*;

impl Store {
    /// Count per status for the dashboard; sessions past expiry without a final decision
    /// count as expired. Every known status is listed (zeros included, in
    /// `SessionStatus::ALL` order), then unknown ones that occur.
    pub fn status_counts(
        &self,
        profile: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        if let Some(pg) = self.pg() {
            let (totals, live) = pg.status_rows(profile, now)?;
            return Ok(fold_status_counts(totals, live));
        }
        let profile_sql = if profile.is_some() {
            " AND profile = ?"
        } else {
            ""
        };
        let mut totals_params = Vec::new();
        let mut live_params = vec![Value::Integer(to_ms(now))];
        if let Some(p) = profile {
            totals_params.push(Value::Text(p.to_string()));
            live_params.push(Value::Text(p.to_string()));
        }
        let totals = self.status_rows(
            &format!(
                "SELECT status, SUM(n) FROM status_counts WHERE 1 = 1{profile_sql} GROUP BY status"
            ),
            totals_params,
        )?;
        // Only sessions that have not expired yet: a small range of the expiry index.
        let live = self.status_rows(
            &format!(
                "SELECT status, COUNT(*) FROM sessions INDEXED BY sessions_pending \
                 WHERE expires_at > ? AND status NOT IN ({}){profile_sql} GROUP BY status",
                final_statuses_sql()
            ),
            live_params,
        )?;
        Ok(fold_status_counts(totals, live))
    }
}

/// Per status: the stored totals, with sessions past expiry (not live) counted as expired.
fn fold_status_counts(
    totals: Vec<(SessionStatus, u64)>,
    live: Vec<(SessionStatus, u64)>,
) -> Vec<(SessionStatus, u64)> {
    let mut counts: BTreeMap<SessionStatus, u64> = BTreeMap::new();
    let mut expired = 0u64;
    for (status, total) in totals {
        if status.is_final() {
            *counts.entry(status).or_default() += total;
        } else {
            let alive = live
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n)
                .min(total);
            expired += total - alive;
            *counts.entry(status).or_default() += alive;
        }
    }
    *counts.entry(SessionStatus::Expired).or_default() += expired;
    let mut out: Vec<(SessionStatus, u64)> = SessionStatus::ALL
        .iter()
        .map(|s| (s.clone(), counts.remove(s).unwrap_or(0)))
        .collect();
    out.extend(counts.into_iter().filter(|(_, n)| *n > 0));
    out
}

impl Store {
    fn status_rows(
        &self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let run = || -> rusqlite::Result<Vec<(SessionStatus, u64)>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map(params_from_iter(params), |r| {
                let s: String = r.get(0)?;
                let n: i64 = r.get(1)?;
                Ok((SessionStatus::parse(&s), n.max(0) as u64))
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Links generated per UTC day over the last `days` days, oldest first.
    pub fn per_day(
        &self,
        profile: Option<&str>,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<(chrono::NaiveDate, u64)>, StoreError> {
        if days == 0 {
            return Ok(Vec::new());
        }
        let today = now.timestamp_millis().div_euclid(DAY_MS);
        let first = today - i64::from(days) + 1;
        if let Some(pg) = self.pg() {
            let by_day = pg.per_day(profile, first, today)?;
            return Ok(days_of(first, today, &by_day));
        }
        let mut params = vec![
            Value::Integer(first * DAY_MS),
            Value::Integer((today + 1) * DAY_MS),
        ];
        // One range count per day on the creation index: counting in index order needs no
        // sort, where GROUP BY created_at / 86400000 sorted every row of the month.
        let profile_sql = if let Some(p) = profile {
            params.push(Value::Text(p.to_string()));
            " AND profile = ?3"
        } else {
            ""
        };
        let sql = format!(
            "WITH RECURSIVE days(d) AS (SELECT ?1 / 86400000 UNION ALL SELECT d + 1 FROM days \
             WHERE d + 1 < ?2 / 86400000) \
             SELECT d, (SELECT COUNT(*) FROM sessions WHERE created_at >= d * 86400000 \
             AND created_at < (d + 1) * 86400000{profile_sql}) FROM days"
        );
        let run = || -> rusqlite::Result<BTreeMap<i64, u64>> {
            let mut st = self.conn.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(params), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            rows.collect()
        };
        let by_day = run().map_err(|e| self.err(e))?;
        Ok(days_of(first, today, &by_day))
    }

    /// Latest decided sessions, newest decision first.
    pub fn latest_decisions(
        &self,
        profile: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.latest_decisions(profile, limit);
        }
        let mut params = Vec::new();
        let mut sql = format!("SELECT {COLUMNS} FROM sessions WHERE decided_at IS NOT NULL");
        if let Some(p) = profile {
            sql.push_str(" AND profile = ?");
            params.push(Value::Text(p.to_string()));
        }
        sql.push_str(" ORDER BY decided_at DESC, id DESC LIMIT ?");
        params.push(Value::Integer(sql_limit(limit)));
        self.records(&sql, params)
    }
}

/// Every day from `first` to `last` (UTC day numbers) with its count, 0 when none.
fn days_of(first: i64, last: i64, by_day: &BTreeMap<i64, u64>) -> Vec<(chrono::NaiveDate, u64)> {
    (first..=last)
        .filter_map(|d| {
            let date = DateTime::from_timestamp_millis(d * DAY_MS)?.date_naive();
            Some((date, by_day.get(&d).copied().unwrap_or(0)))
        })
        .collect()
}
