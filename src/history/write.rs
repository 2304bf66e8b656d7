//! Every write to the history: a new record, an intent and its completion, decisions,
//! check errors, deletions.

use super::*;

impl Store {
    pub fn insert(&self, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.insert(new);
        }
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let id = self.insert_in(&tx, new)?;
        self.index_and_commit(tx, id, new)
    }

    /// Inserts `new` in the caller's transaction; returns its row id.
    pub(super) fn insert_in(
        &self,
        tx: &Transaction<'_>,
        new: &NewRecord<'_>,
    ) -> Result<i64, StoreError> {
        let s = new.session;
        let i = new.input;
        let inserted = tx.execute(
            "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
             lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status, \
             extra, search_extra) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                to_ms(s.created_at),
                new.profile,
                new.base_url,
                new.sandbox,
                i.first_name,
                i.last_name,
                i.lang,
                i.selfid,
                i.callback,
                i.vendor_data,
                s.id,
                s.url,
                s.host,
                to_ms(s.expires_at),
                initial_status(s).as_str(),
                extra_column(&i.extra),
                i.extra.search_text(),
            ],
        );
        if let Err(e) = inserted {
            if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                return Err(StoreError::Sqlite(format!(
                    "session {} is already in the history",
                    crate::text::sanitize(&s.id)
                )));
            }
            return Err(self.err(e));
        }
        Ok(tx.last_insert_rowid())
    }

    /// Adds the short-substring words of the record `id` (stored as `new`) and commits.
    pub(super) fn index_and_commit(
        &self,
        tx: Transaction<'_>,
        id: i64,
        new: &NewRecord<'_>,
    ) -> Result<Record, StoreError> {
        let (i, s) = (new.input, new.session);
        index_words(
            &tx,
            id,
            [
                &i.first_name,
                &i.last_name,
                &s.id,
                &i.vendor_data,
                &i.extra.search_text(),
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Record::from_new(id, new))
    }

    /// Records that a session is about to be requested, before the request leaves. The
    /// intent ends with [`Store::complete_intent`] (the answer), [`Store::forget_intent`]
    /// (no session was created) or [`Store::give_up_intent`] (the outcome is unknown).
    /// Killed in between, it is given up by the next process that opens the history.
    pub fn record_intent(
        &self,
        new: &NewIntent<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_intent(new, now);
        }
        self.writable()?;
        insert_intent(&self.conn, new, now).map_err(|e| self.err(e))
    }

    /// The intent `id` was answered with a session: its record is stored and the intent
    /// removed, in one transaction.
    pub fn complete_intent(&self, id: i64, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.complete_intent(id, new);
        }
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let row = self.insert_in(&tx, new)?;
        batches::carry_batch_tag(&tx, id, row, true).map_err(|e| self.err(e))?;
        outbox::carry(&tx, id, row).map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM intents WHERE id = ?", [id])
            .map_err(|e| self.err(e))?;
        self.index_and_commit(tx, row, new)
    }

    /// Removes the intent `id`: the request provably created nothing (Veriff refused it, or
    /// it never left).
    pub fn forget_intent(&self, id: i64) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.forget_intent(id);
        }
        self.writable()?;
        self.conn
            .execute("DELETE FROM intents WHERE id = ?", [id])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The intent `id` got no usable answer: it becomes a record whose outcome is unknown,
    /// with `why`, listed and counted like any other. Its session id is a local placeholder
    /// (`INTENT_PREFIX` + a UUID): Veriff never named the session. `None` when the intent
    /// is gone already.
    pub fn give_up_intent(&self, id: i64, why: &str) -> Result<Option<Record>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.give_up_intent(id, why);
        }
        self.writable()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let intent = tx
            .query_row(
                "SELECT created_at, profile, base_url, sandbox, first_name, last_name, lang, \
                 selfid, callback, vendor_data, extra FROM intents WHERE id = ?",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        SessionInput {
                            first_name: r.get(4)?,
                            last_name: r.get(5)?,
                            lang: r.get(6)?,
                            selfid: r.get(7)?,
                            callback: r.get(8)?,
                            vendor_data: r.get(9)?,
                            extra: extra_from_column(&r.get::<_, String>(10)?),
                        },
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((created_ms, profile, base_url, sandbox, input)) = intent else {
            return Ok(None);
        };
        let created = from_ms(created_ms);
        let placeholder = CreatedSession {
            id: format!("{INTENT_PREFIX}{}", uuid::Uuid::new_v4()),
            url: String::new(),
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some(SessionStatus::Unknown.as_str().to_string()),
            created_at: created,
            expires_at: created
                + chrono::Duration::days(crate::veriff::token::SESSION_LIFETIME_DAYS),
        };
        let new = NewRecord {
            profile: &profile,
            base_url: &base_url,
            sandbox,
            input: &input,
            session: &placeholder,
        };
        let row = self.insert_in(&tx, &new)?;
        let why: String = why.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        tx.execute(
            "UPDATE sessions SET check_error = ?1 WHERE id = ?2",
            params![why, row],
        )
        .map_err(|e| self.err(e))?;
        batches::carry_batch_tag(&tx, id, row, false).map_err(|e| self.err(e))?;
        outbox::carry(&tx, id, row).map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM intents WHERE id = ?", [id])
            .map_err(|e| self.err(e))?;
        let mut record = self.index_and_commit(tx, row, &new)?;
        record.check_error = Some(why);
        Ok(Some(record))
    }

    /// Gives up the intents whose process ended without an answer (killed, crashed). One
    /// that may still be answered (its process lives) is left alone.
    pub fn give_up_orphaned_intents(&self) -> Result<usize, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.give_up_orphaned_intents();
        }
        self.writable()?;
        let intents: Vec<(i64, u32, i64)> = {
            let mut st = self
                .conn
                .prepare_cached("SELECT id, pid, created_at FROM intents")
                .map_err(|e| self.err(e))?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(|rows| rows.collect())
                .map_err(|e| self.err(e))?
        };
        let now = Utc::now();
        let mut given_up = 0;
        for (id, pid, created_ms) in intents {
            if !sender_may_live(pid, from_ms(created_ms), now) {
                self.give_up_intent(
                    id,
                    "the program sending this request ended before an answer came",
                )?;
                given_up += 1;
            }
        }
        Ok(given_up)
    }

    /// Stores a fetched decision (`None`: no decision yet, only `checked_at` moves).
    /// A session that is not in the history is left alone.
    pub fn record_decision(
        &self,
        session_id: &str,
        decision: Option<&Decision>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_decision(session_id, decision, checked_at);
        }
        self.writable()?;
        let checked = to_ms(checked_at);
        let result = match decision {
            None => self.conn.execute(
                "UPDATE sessions SET checked_at = ?1, check_error = NULL WHERE session_id = ?2",
                params![checked, session_id],
            ),
            Some(d) => {
                let decided = !matches!(
                    d.status,
                    SessionStatus::Created | SessionStatus::Started | SessionStatus::Submitted
                );
                let decided_at = decided.then(|| {
                    d.decision_time
                        .as_deref()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map_or(checked, |t| to_ms(t.with_timezone(&Utc)))
                });
                self.conn.execute(
                    "UPDATE sessions SET status = ?1, decision_code = ?2, decision_reason = ?3, \
                     decision_time = ?4, decided_at = ?5, checked_at = ?6, check_error = NULL \
                     WHERE session_id = ?7",
                    params![
                        d.status.as_str(),
                        d.code,
                        d.reason,
                        d.decision_time,
                        decided_at,
                        checked,
                        session_id
                    ],
                )
            }
        };
        result.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Notes a failed refresh on the record, so the row can show it.
    pub fn record_check_error(&self, session_id: &str, error: &str) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_check_error(session_id, error);
        }
        self.writable()?;
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        self.conn
            .execute(
                "UPDATE sessions SET check_error = ?1 WHERE session_id = ?2",
                params![error, session_id],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Deletes the local record (never the session at Veriff). True when a row went.
    pub fn delete(&self, id: i64) -> Result<bool, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.delete(id);
        }
        self.writable()?;
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?", [id])
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }
}

/// Inserts the intent `new` (in the caller's transaction, or alone); returns its id.
pub(super) fn insert_intent(
    conn: &Connection,
    new: &NewIntent<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let i = new.input;
    conn.prepare_cached(
        "INSERT INTO intents (created_at, pid, profile, base_url, sandbox, first_name, \
         last_name, lang, selfid, callback, vendor_data, extra) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        to_ms(now),
        std::process::id(),
        new.profile,
        new.base_url,
        new.sandbox,
        i.first_name,
        i.last_name,
        i.lang,
        i.selfid,
        i.callback,
        i.vendor_data,
        extra_column(&i.extra),
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Adds a record's short-substring words (see `grams`), in the caller's transaction.
pub(super) fn index_words(conn: &Connection, id: i64, fields: [&str; 5]) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sessions_grams (rowid, words) VALUES (?, ?)")?
        .execute(params![id, grams::words(&fields)])?;
    Ok(())
}

/// Whether the process `pid` that sent an intent at `sent` may still be waiting for its
/// answer. Where processes are listed in /proc (Linux), it is asked; elsewhere an intent
/// older than any request timeout is taken as orphaned.
pub(super) fn sender_may_live(pid: u32, sent: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = std::path::Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    now - sent < chrono::Duration::minutes(30)
}
