//! Every write to the history: a new record, an intent and its completion, decisions,
//! check errors, deletions.

use super::*;

impl Store {
    pub fn insert(&self, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        let s = new.session;
        let i = new.input;
        let created_at = to_ms(s.created_at);
        let expires_at = to_ms(s.expires_at);
        let status = initial_status(s);
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let inserted = tx.execute(
            "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
             lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                created_at,
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
                expires_at,
                status.as_str(),
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
        let id = tx.last_insert_rowid();
        self.index_and_commit(tx, id, new)
    }

    /// Adds the short-substring words of the record `id` (stored as `new`) and commits.
    fn index_and_commit(
        &self,
        tx: Transaction<'_>,
        id: i64,
        new: &NewRecord<'_>,
    ) -> Result<Record, StoreError> {
        let (i, s) = (new.input, new.session);
        index_words(
            &tx,
            id,
            [&i.first_name, &i.last_name, &s.id, &i.vendor_data],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Record::from_new(id, new))
    }

    /// Records that a session is about to be requested, before the request leaves: a row
    /// whose outcome is unknown until [`Store::complete_intent`] or
    /// [`Store::forget_intent`]. Killed in between, it stays, saying so. Its session id is
    /// a local placeholder (`INTENT_PREFIX` + a UUID): Veriff has not named the session yet.
    pub fn record_intent(
        &self,
        new: &NewIntent<'_>,
        now: DateTime<Utc>,
    ) -> Result<Record, StoreError> {
        let placeholder = CreatedSession {
            id: format!("{INTENT_PREFIX}{}", uuid::Uuid::new_v4()),
            url: String::new(),
            host: None,
            session_token: None,
            vendor_data: None,
            status: Some(SessionStatus::Unknown.as_str().to_string()),
            created_at: now,
            expires_at: now + chrono::Duration::days(crate::veriff::token::SESSION_LIFETIME_DAYS),
        };
        self.insert(&NewRecord {
            profile: new.profile,
            base_url: new.base_url,
            sandbox: new.sandbox,
            input: new.input,
            session: &placeholder,
        })
    }

    /// Turns the intent `id` into the record of the session Veriff created. When the row is
    /// gone (deleted meanwhile), the record is stored anew: a created session is never
    /// dropped.
    pub fn complete_intent(&self, id: i64, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        let s = new.session;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let updated = tx
            .execute(
                "UPDATE sessions SET session_id = ?1, url = ?2, host = ?3, created_at = ?4, \
                 expires_at = ?5, status = ?6, check_error = NULL WHERE id = ?7 AND status = ?8",
                params![
                    s.id,
                    s.url,
                    s.host,
                    to_ms(s.created_at),
                    to_ms(s.expires_at),
                    initial_status(s).as_str(),
                    id,
                    SessionStatus::Unknown.as_str(),
                ],
            )
            .map_err(|e| self.err(e))?;
        if updated == 0 {
            drop(tx);
            return self.insert(new);
        }
        // The short-substring words hold the session id: made again from the new one.
        tx.execute("DELETE FROM sessions_grams WHERE rowid = ?", [id])
            .map_err(|e| self.err(e))?;
        self.index_and_commit(tx, id, new)
    }

    /// Removes the intent `id` when the request provably created nothing (Veriff refused
    /// it, or it never left). A row that is no longer an intent is left alone.
    pub fn forget_intent(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM sessions WHERE id = ? AND status = ?",
                params![id, SessionStatus::Unknown.as_str()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Notes on the intent `id` why its outcome is unknown (shown with the record).
    pub fn note_intent_error(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        self.conn
            .execute(
                "UPDATE sessions SET check_error = ?1 WHERE id = ?2 AND status = ?3",
                params![error, id, SessionStatus::Unknown.as_str()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Stores a fetched decision (`None`: no decision yet, only `checked_at` moves).
    /// A session that is not in the history is left alone.
    pub fn record_decision(
        &self,
        session_id: &str,
        decision: Option<&Decision>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?", [id])
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }
}

/// Adds a record's short-substring words (see `grams`), in the caller's transaction.
pub(super) fn index_words(conn: &Connection, id: i64, fields: [&str; 4]) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sessions_grams (rowid, words) VALUES (?, ?)")?
        .execute(params![id, grams::words(&fields)])?;
    Ok(())
}
