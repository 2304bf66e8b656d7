//! Every write to the shared history, as `write.rs` does it in SQLite: a new record, an
//! intent and its completion, decisions, check errors, deletions. Each record says who
//! made it and on which machine.

use chrono::{DateTime, Utc};
use postgres::GenericClient;

use super::*;
use crate::history::{
    INTENT_PREFIX, MAX_CHECK_ERROR_CHARS, NewIntent, NewRecord, extra_column, from_ms,
    initial_status, to_ms,
};
use crate::veriff::{CreatedSession, Decision, SessionInput, SessionStatus};

/// What a failed insert was: the session already there, or anything else.
pub(super) enum InsertError {
    Duplicate,
    Db(postgres::Error),
}

impl From<postgres::Error> for InsertError {
    fn from(e: postgres::Error) -> Self {
        InsertError::Db(e)
    }
}

impl PgStore {
    pub(crate) fn insert(&self, new: &NewRecord<'_>) -> Result<Record, StoreError> {
        let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
        let id = self.run(|c| Ok(insert_in(c, new, operator, machine, false)))?;
        let id = self.inserted(id, new)?;
        Ok(self.made_here(Record::from_new(id, new)))
    }

    /// `record` as written by this process: under its operator, on this machine.
    fn made_here(&self, mut record: Record) -> Record {
        record.operator = self.operator.clone();
        record.machine = self.machine.clone();
        record
    }

    /// The row id of an insert, or its failure in words.
    pub(super) fn inserted(
        &self,
        result: Result<i64, InsertError>,
        new: &NewRecord<'_>,
    ) -> Result<i64, StoreError> {
        match result {
            Ok(id) => Ok(id),
            Err(InsertError::Duplicate) => Err(self.shared(format!(
                "session {} is already in the history",
                crate::text::sanitize(&new.session.id)
            ))),
            Err(InsertError::Db(e)) => Err(self.err(e)),
        }
    }

    pub(super) fn record_intent_on_server(
        &self,
        new: &NewIntent<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
        self.run(|c| insert_intent(c, new, now, operator, machine))
    }

    pub(super) fn complete_intent_on_server(
        &self,
        id: i64,
        new: &NewRecord<'_>,
    ) -> Result<Record, StoreError> {
        let (operator, machine) = (self.operator.as_str(), self.machine.as_str());
        let row = self.run(|c| {
            let mut tx = c.transaction()?;
            let row = insert_in(&mut tx, new, operator, machine, false);
            if let Ok(record) = row {
                super::batches::carry_batch_tag(&mut tx, id, record, true)?;
                tx.execute("DELETE FROM intents WHERE id = $1", &[&id])?;
                tx.commit()?;
            }
            Ok(row)
        })?;
        let row = self.inserted(row, new)?;
        Ok(self.made_here(Record::from_new(row, new)))
    }

    pub(super) fn forget_intent_on_server(&self, id: i64) -> Result<(), StoreError> {
        self.run(|c| {
            c.execute("DELETE FROM intents WHERE id = $1", &[&id])
                .map(drop)
        })
    }

    pub(super) fn give_up_intent_on_server(
        &self,
        id: i64,
        why: &str,
    ) -> Result<Option<Record>, StoreError> {
        let why: String = why.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        let placeholder_id = format!("{INTENT_PREFIX}{}", uuid::Uuid::new_v4());
        let outcome = self.run(|c| {
            let mut tx = c.transaction()?;
            let Some(r) = tx.query_opt(
                "SELECT created_at, profile, base_url, sandbox, first_name, last_name, lang, \
                 selfid, callback, vendor_data, extra, operator, machine FROM intents \
                 WHERE id = $1 FOR UPDATE",
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let created = from_ms(r.try_get(0)?);
            let profile: String = r.try_get(1)?;
            let base_url: String = r.try_get(2)?;
            let input = SessionInput {
                first_name: r.try_get(4)?,
                last_name: r.try_get(5)?,
                lang: r.try_get(6)?,
                selfid: r.try_get(7)?,
                callback: r.try_get(8)?,
                vendor_data: r.try_get(9)?,
                extra: crate::history::extra_from_column(&r.try_get::<_, String>(10)?),
            };
            let (operator, machine): (String, String) = (r.try_get(11)?, r.try_get(12)?);
            let placeholder = CreatedSession {
                id: placeholder_id.clone(),
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
                sandbox: r.try_get(3)?,
                input: &input,
                session: &placeholder,
            };
            let row = match insert_in(&mut tx, &new, &operator, &machine, false) {
                Ok(row) => row,
                Err(InsertError::Db(e)) => return Err(e),
                // A fresh UUID is never there already.
                Err(InsertError::Duplicate) => return Ok(None),
            };
            tx.execute(
                "UPDATE sessions SET check_error = $1 WHERE id = $2",
                &[&why, &row],
            )?;
            super::batches::carry_batch_tag(&mut tx, id, row, false)?;
            tx.execute("DELETE FROM intents WHERE id = $1", &[&id])?;
            tx.commit()?;
            let mut record = Record::from_new(row, &new);
            record.check_error = Some(why.clone());
            record.operator = operator;
            record.machine = machine;
            Ok(Some(record))
        })?;
        Ok(outcome.map(|mut r| {
            super::super::make_record_safe(&mut r);
            r
        }))
    }

    /// Gives up this machine's intents whose process ended without an answer. Another
    /// machine's are left to it: from here there is no telling whether their sender lives.
    pub(crate) fn give_up_orphaned_intents(&self) -> Result<usize, StoreError> {
        let machine = self.machine.clone();
        let intents: Vec<(i64, i64, i64)> = self.run(|c| {
            c.query(
                "SELECT id, pid, created_at FROM intents WHERE machine = $1",
                &[&machine],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
        })?;
        // Answered, but the server went away before the answer was written: the outbox
        // completes (or forgets) them.
        let waiting = self.remote_intents_waiting();
        let now = Utc::now();
        let mut given_up = 0;
        for (id, pid, created_ms) in intents {
            let pid = u32::try_from(pid).unwrap_or(0);
            if !waiting.contains(&id)
                && !crate::history::write::sender_may_live(pid, from_ms(created_ms), now)
            {
                self.give_up_intent_on_server(
                    id,
                    "the program sending this request ended before an answer came",
                )?;
                given_up += 1;
            }
        }
        Ok(given_up)
    }

    pub(crate) fn record_decision(
        &self,
        session_id: &str,
        decision: Option<&Decision>,
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(|c| update_decision(c, session_id, decision, checked_at))
    }

    pub(crate) fn record_check_error(
        &self,
        session_id: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_CHECK_ERROR_CHARS).collect();
        self.run(|c| {
            c.execute(
                "UPDATE sessions SET check_error = $1 WHERE session_id = $2",
                &[&error, &session_id],
            )
            .map(drop)
        })
    }

    pub(crate) fn delete(&self, id: i64) -> Result<bool, StoreError> {
        if id < 0 {
            return self.delete_waiting(id);
        }
        self.run(|c| {
            c.execute("DELETE FROM sessions WHERE id = $1", &[&id])
                .map(|n| n > 0)
        })
    }
}

/// Records an intent (in the caller's transaction, or alone); returns its id.
pub(super) fn insert_intent(
    c: &mut impl GenericClient,
    new: &NewIntent<'_>,
    now: DateTime<Utc>,
    operator: &str,
    machine: &str,
) -> Result<i64, postgres::Error> {
    let i = new.input;
    let pid = i64::from(std::process::id());
    c.query_one(
        "INSERT INTO intents (created_at, machine, pid, operator, profile, base_url, \
         sandbox, first_name, last_name, lang, selfid, callback, vendor_data, extra) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        &[
            &to_ms(now),
            &machine,
            &pid,
            &operator,
            &new.profile,
            &new.base_url,
            &new.sandbox,
            &i.first_name,
            &i.last_name,
            &i.lang,
            &i.selfid,
            &i.callback,
            &i.vendor_data,
            &extra_column(&i.extra),
        ],
    )?
    .try_get(0)
}

/// Inserts `new` (in the caller's transaction, or alone); returns its row id.
pub(super) fn insert_in(
    c: &mut impl GenericClient,
    new: &NewRecord<'_>,
    operator: &str,
    machine: &str,
    made_elsewhere: bool,
) -> Result<i64, InsertError> {
    let s = new.session;
    let i = new.input;
    let row = c.query_opt(
        "INSERT INTO sessions (created_at, profile, base_url, sandbox, first_name, last_name, \
         lang, selfid, callback, vendor_data, session_id, url, host, expires_at, status, \
         extra, search_extra, made_elsewhere, operator, machine) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20) \
         ON CONFLICT (session_id) DO NOTHING RETURNING id",
        &[
            &to_ms(s.created_at),
            &new.profile,
            &new.base_url,
            &new.sandbox,
            &i.first_name,
            &i.last_name,
            &i.lang,
            &i.selfid,
            &i.callback,
            &i.vendor_data,
            &s.id,
            &s.url,
            &s.host,
            &to_ms(s.expires_at),
            &initial_status(s).as_str(),
            &extra_column(&i.extra),
            &i.extra.search_text(),
            &made_elsewhere,
            &operator,
            &machine,
        ],
    )?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        // ON CONFLICT DO NOTHING returns no row: the session was there already.
        None => Err(InsertError::Duplicate),
    }
}

/// The decision fields as `record_decision` writes them (also inside a webhook's
/// transaction).
pub(super) fn update_decision(
    c: &mut impl GenericClient,
    session_id: &str,
    decision: Option<&Decision>,
    checked_at: DateTime<Utc>,
) -> Result<(), postgres::Error> {
    let checked = to_ms(checked_at);
    match decision {
        None => c.execute(
            "UPDATE sessions SET checked_at = $1, check_error = NULL WHERE session_id = $2",
            &[&checked, &session_id],
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
            c.execute(
                "UPDATE sessions SET status = $1, decision_code = $2, decision_reason = $3, \
                 decision_time = $4, decided_at = $5, checked_at = $6, check_error = NULL \
                 WHERE session_id = $7",
                &[
                    &d.status.as_str(),
                    &d.code,
                    &d.reason,
                    &d.decision_time,
                    &decided_at,
                    &checked,
                    &session_id,
                ],
            )
        }
    }
    .map(drop)
}
