//! The dashboard's figures from the shared history, as `stats.rs` counts them in SQLite:
//! stored statuses from `status_counts`, the live ones from the expiry index.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::query::Params;
use super::*;
use crate::history::{DAY_MS, final_statuses_sql, to_ms};
use crate::veriff::SessionStatus;

/// Records per status.
type Counts = Vec<(SessionStatus, u64)>;

impl PgStore {
    /// (stored totals per status, live ones per status): `Store::status_counts` folds them.
    pub(crate) fn status_rows(
        &self,
        profile: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(Counts, Counts), StoreError> {
        let mut p1 = Params::default();
        let totals_sql = match profile {
            Some(p) => format!(
                "SELECT status, SUM(n)::bigint FROM status_counts WHERE profile = {} GROUP BY status",
                p1.add(p.to_string())
            ),
            None => "SELECT status, SUM(n)::bigint FROM status_counts GROUP BY status".into(),
        };
        let mut p2 = Params::default();
        let mut live_sql = format!(
            "SELECT status, count(*) FROM sessions WHERE expires_at > {} AND status NOT IN ({})",
            p2.add(to_ms(now)),
            final_statuses_sql()
        );
        if let Some(p) = profile {
            live_sql.push_str(&format!(" AND profile = {}", p2.add(p.to_string())));
        }
        live_sql.push_str(" GROUP BY status");
        let read = |rows: Vec<postgres::Row>| -> Result<Counts, postgres::Error> {
            rows.iter()
                .map(|r| {
                    let s: String = r.try_get(0)?;
                    let n: i64 = r.try_get(1)?;
                    Ok((
                        SessionStatus::parse(&crate::text::sanitize(&s)),
                        n.max(0) as u64,
                    ))
                })
                .collect()
        };
        self.run(|c| {
            let totals = read(c.query(&totals_sql, &p1.refs())?)?;
            let live = read(c.query(&live_sql, &p2.refs())?)?;
            Ok((totals, live))
        })
    }

    /// Links per UTC day number (`created_at / DAY_MS`) from day `first` to `last`.
    pub(crate) fn per_day(
        &self,
        profile: Option<&str>,
        first: i64,
        last: i64,
    ) -> Result<BTreeMap<i64, u64>, StoreError> {
        let mut params = Params::default();
        let (a, b) = (params.add(first), params.add(last));
        let profile_sql = match profile {
            Some(p) => format!(" AND profile = {}", params.add(p.to_string())),
            None => String::new(),
        };
        // One range count per day on the creation index, as in SQLite.
        let sql = format!(
            "SELECT d, (SELECT count(*) FROM sessions WHERE created_at >= d * {DAY_MS} \
             AND created_at < (d + 1) * {DAY_MS}{profile_sql}) FROM generate_series({a}::bigint, {b}::bigint) d"
        );
        self.run(|c| {
            c.query(&sql, &params.refs())?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get::<_, i64>(0)?,
                        r.try_get::<_, i64>(1)?.max(0) as u64,
                    ))
                })
                .collect()
        })
    }

    pub(crate) fn latest_decisions(
        &self,
        profile: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        let mut params = Params::default();
        let mut sql = format!(
            "SELECT {} FROM sessions WHERE decided_at IS NOT NULL",
            columns()
        );
        if let Some(p) = profile {
            sql.push_str(&format!(" AND profile = {}", params.add(p.to_string())));
        }
        sql.push_str(&format!(
            " ORDER BY decided_at DESC, id DESC LIMIT {}",
            params.add(pg_limit(limit))
        ));
        self.records(&sql, params)
    }
}
