//! Webhooks into the history (`listen`): a delivery is looked up by its body's hash, the
//! session's record is found (or made, when the history never had it), updated when the
//! caller's rule says the webhook is newer, and the delivery noted, all in one transaction
//! that is committed before the caller answers Veriff.

use super::*;

/// One verified webhook, ready to be written.
#[derive(Debug, Clone)]
pub struct WebhookWrite<'a> {
    /// SHA-256 of the exact body (lowercase hex): the same bytes again are the same delivery.
    pub body_sha256: &'a str,
    pub session_id: &'a str,
    /// "event" or "decision", as kept in `deliveries`.
    pub kind: &'a str,
    pub attempt_id: Option<&'a str>,
    /// What the webhook says of the session, in the form refresh stores a decision in: an
    /// event is a status (started, submitted) with its code and nothing else.
    pub decision: &'a Decision,
    pub received_at: DateTime<Utc>,
    /// For a session the history does not have: the record it becomes.
    pub elsewhere: Elsewhere<'a>,
}

/// A delivery as kept in `deliveries`, copied whole by `history import`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub body_sha256: String,
    pub received_at_ms: i64,
    pub session_id: String,
    pub kind: String,
    pub attempt_id: Option<String>,
    pub result: String,
}

/// What is known of a session first heard of in a webhook.
#[derive(Debug, Clone)]
pub struct Elsewhere<'a> {
    /// The profile whose API key the webhook came with.
    pub profile: &'a str,
    pub base_url: &'a str,
    pub sandbox: bool,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub vendor_data: &'a str,
}

/// What writing a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The record now says what the webhook said. `new_record`: it was made for it.
    Applied { new_record: bool },
    /// The record already held a newer state; the delivery is noted, nothing else changed.
    Stale,
    /// This very delivery was written before: nothing changed.
    Duplicate,
}

impl WebhookOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookOutcome::Applied { new_record: true } => "applied (new record)",
            WebhookOutcome::Applied { new_record: false } => "applied",
            WebhookOutcome::Stale => "older than the record, kept as is",
            WebhookOutcome::Duplicate => "already received, nothing changed",
        }
    }
}

impl Store {
    /// Writes one webhook. `newer(current)` says whether it should replace what the record
    /// holds (`None`: the record was just made for it); the rule is the caller's
    /// (`ops::webhook`), the atomicity the store's: no other writer slips in between the
    /// read and the write. The status fields are written by [`Store::record_decision`], as
    /// a refresh writes them.
    pub fn record_webhook(
        &self,
        w: &WebhookWrite<'_>,
        newer: impl FnOnce(Option<&Record>) -> bool + Send,
    ) -> Result<WebhookOutcome, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_webhook(w, newer);
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let seen = tx
            .query_row(
                "SELECT 1 FROM deliveries WHERE body_sha256 = ?",
                [w.body_sha256],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if seen.is_some() {
            return Ok(WebhookOutcome::Duplicate);
        }
        let current = self
            .records(
                &format!("SELECT {COLUMNS} FROM sessions WHERE session_id = ?"),
                vec![Value::Text(w.session_id.to_string())],
            )?
            .into_iter()
            .next();
        let new_record = current.is_none();
        if new_record {
            self.insert_elsewhere(&tx, w)?;
        }
        let apply = newer(current.as_ref());
        if apply {
            self.record_decision(w.session_id, Some(w.decision), w.received_at)?;
        }
        let result = if apply { "applied" } else { "stale" };
        tx.execute(
            "INSERT INTO deliveries (body_sha256, received_at, session_id, kind, attempt_id, \
             result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                w.body_sha256,
                to_ms(w.received_at),
                w.session_id,
                w.kind,
                w.attempt_id,
                result
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(if apply {
            WebhookOutcome::Applied { new_record }
        } else {
            WebhookOutcome::Stale
        })
    }

    /// The attempt ids the webhooks of a session named, oldest first (each once).
    pub fn webhook_attempts(&self, session_id: &str) -> Result<Vec<String>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.webhook_attempts(session_id);
        }
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut st = self.conn.prepare_cached(
                "SELECT attempt_id FROM deliveries WHERE session_id = ? AND attempt_id IS NOT NULL \
                 GROUP BY attempt_id ORDER BY MIN(received_at)",
            )?;
            let rows = st.query_map([session_id], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Up to `limit` deliveries after the one whose body hash is `after` (`None`: from the
    /// first), in the order of their hashes: a whole file's, page by page (`import`).
    /// Made safe as records are: the file may have been written by anything.
    pub(crate) fn deliveries_after(
        &self,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let run = || -> rusqlite::Result<Vec<Delivery>> {
            let mut st = self.conn.prepare_cached(
                "SELECT body_sha256, received_at, session_id, kind, attempt_id, result \
                 FROM deliveries WHERE body_sha256 > ? ORDER BY body_sha256 LIMIT ?",
            )?;
            let rows = st.query_map(params![after.unwrap_or(""), sql_limit(limit)], |r| {
                Ok(Delivery {
                    body_sha256: crate::text::sanitize(&r.get::<_, String>(0)?),
                    received_at_ms: r.get(1)?,
                    session_id: crate::text::sanitize(&r.get::<_, String>(2)?),
                    kind: crate::text::sanitize(&r.get::<_, String>(3)?),
                    attempt_id: r
                        .get::<_, Option<String>>(4)?
                        .map(|a| crate::text::sanitize(&a)),
                    result: crate::text::sanitize(&r.get::<_, String>(5)?),
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// The record of a session the history did not have, made from the webhook.
    fn insert_elsewhere(
        &self,
        tx: &Transaction<'_>,
        w: &WebhookWrite<'_>,
    ) -> Result<(), StoreError> {
        let e = &w.elsewhere;
        let (input, session) = elsewhere_parts(w);
        let new = NewRecord {
            profile: e.profile,
            base_url: e.base_url,
            sandbox: e.sandbox,
            input: &input,
            session: &session,
        };
        let id = self.insert_in(tx, &new)?;
        tx.execute("UPDATE sessions SET made_elsewhere = 1 WHERE id = ?", [id])
            .map_err(|e| self.err(e))?;
        write::index_words(
            tx,
            id,
            [
                &input.first_name,
                &input.last_name,
                &session.id,
                &input.vendor_data,
                "",
            ],
        )
        .map_err(|e| self.err(e))
    }
}

/// What a record first heard of in a webhook holds: the names and vendor data the webhook
/// gave, and no link (Veriff handed it to whoever made the session, not to us). Both
/// stores make it from this.
pub(crate) fn elsewhere_parts(w: &WebhookWrite<'_>) -> (SessionInput, CreatedSession) {
    let e = &w.elsewhere;
    let input = SessionInput {
        first_name: e.first_name.to_string(),
        last_name: e.last_name.to_string(),
        lang: String::new(),
        selfid: false,
        callback: String::new(),
        vendor_data: e.vendor_data.to_string(),
        extra: Extras::default(),
    };
    let session = CreatedSession {
        id: w.session_id.to_string(),
        url: String::new(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: Some(SessionStatus::Created.as_str().to_string()),
        created_at: w.received_at,
        expires_at: w.received_at
            + chrono::Duration::days(crate::veriff::token::SESSION_LIFETIME_DAYS),
    };
    (input, session)
}
