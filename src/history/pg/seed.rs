//! The fake history (`history::seed`, feature dev-seed) written into the shared history:
//! the records a file gets from the same seed, each made by one of a few fake operators on
//! their machine, sent with one COPY.
//!
//! A million rows go in within a minute or two instead of the better part of an hour: in
//! one transaction the table's triggers are off and its secondary indexes are dropped,
//! the rows copied, the indexes built again from their own definitions (whatever migration
//! made them) and the status counts added up once; then the table is vacuumed and
//! analysed, as an aged database would be. The table is locked meanwhile, so this is for a
//! database of one's own (a benchmark's, a try), never a team's.

use std::io::Write;

use super::*;
use crate::history::seed::{Rng, Row, SeedOptions, each_row};

/// Who made the fake records, and where, with their shares: a team whose members make
/// very different numbers of links (`history --mine`, the TUI's `m`).
const OPERATORS: &[((&str, &str), u32)] = &[
    (("Anna Tamm", "anna-laptop"), 40),
    (("Boris Berg", "boris-desk"), 25),
    (("Carla Ruiz", "carla-mac"), 20),
    (("Dmitri Volkov", "ops-box"), 10),
    (("Eve Ito", "eve-laptop"), 5),
];

/// The columns the COPY fills, in the order each line holds them.
const COPIED: &str = "created_at, profile, base_url, sandbox, first_name, last_name, lang, \
    selfid, callback, vendor_data, session_id, url, host, expires_at, status, decision_code, \
    decision_reason, decision_time, decided_at, checked_at, check_error, operator, machine";

impl PgStore {
    /// Adds the fake records of `opts`; the number added.
    pub(crate) fn fill(&self, opts: &SeedOptions) -> Result<u64, StoreError> {
        let outcome = self.run(|c| {
            let mut tx = c.transaction()?;
            // Index builds sort in memory rather than in many small runs on disk.
            tx.batch_execute(
                "SET LOCAL maintenance_work_mem = '512MB'; \
                 LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE",
            )?;
            let before: i64 = tx
                .query_one("SELECT COALESCE(MAX(id), 0) FROM sessions", &[])?
                .try_get(0)?;
            // Every index but those of constraints (the primary key, the unique session
            // id, which also finds a seed used twice).
            let indexes: Vec<(String, String)> = tx
                .query(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
                     FROM pg_index i WHERE i.indrelid = 'sessions'::regclass \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, postgres::Error>>()?;
            for (name, _) in &indexes {
                tx.batch_execute(&format!("DROP INDEX {name}"))?;
            }
            tx.batch_execute("ALTER TABLE sessions DISABLE TRIGGER USER")?;
            let mut copy = tx.copy_in(&format!("COPY sessions ({COPIED}) FROM STDIN"))?;
            let mut who = Rng(opts.seed ^ 0x0fe7_a70e);
            let mut line = String::with_capacity(512);
            let mut added = 0u64;
            let written = each_row(opts, |row| {
                let &(operator, machine) = who.weighted(OPERATORS);
                line.clear();
                copy_line(&mut line, &row, operator, machine);
                added += 1;
                copy.write_all(line.as_bytes())
            });
            // A failed write is the connection's: `finish` says what the server said.
            match (copy.finish(), written) {
                (Err(e), _) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => {
                    return Ok(Err(format!(
                        "seed {} was already used here: its records are there; pick another seed",
                        opts.seed
                    )));
                }
                (Err(e), _) => return Err(e),
                (Ok(_), Err(e)) => {
                    return Ok(Err(format!("the records could not be sent: {e}")));
                }
                (Ok(_), Ok(())) => {}
            }
            tx.batch_execute("ALTER TABLE sessions ENABLE TRIGGER USER")?;
            for (_, definition) in &indexes {
                tx.batch_execute(definition)?;
            }
            // What the trigger would have counted, row by row.
            tx.execute(
                "INSERT INTO status_counts (profile, status, n) \
                 SELECT profile, status, count(*) FROM sessions WHERE id > $1 GROUP BY 1, 2 \
                 ON CONFLICT (profile, status) DO UPDATE SET n = status_counts.n + EXCLUDED.n",
                &[&before],
            )?;
            tx.commit()?;
            Ok(Ok(added))
        });
        let added = match outcome {
            Ok(Ok(n)) => n,
            Ok(Err(detail)) => return Err(self.shared(detail)),
            Err(e) => return Err(e),
        };
        // Visibility and statistics as an aged table has them (autovacuum would, later):
        // the planner weighs the indexes as it will in use.
        self.run(|c| c.batch_execute("VACUUM (ANALYZE) sessions"))?;
        Ok(added)
    }
}

/// One line of COPY's text format: tab-separated, `\N` for NULL.
fn copy_line(out: &mut String, r: &Row, operator: &str, machine: &str) {
    use std::fmt::Write as _;
    let text = |out: &mut String, v: &str| {
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    };
    let opt_text = |out: &mut String, v: Option<&str>| match v {
        Some(v) => text(out, v),
        None => out.push_str("\\N"),
    };
    let opt_int = |out: &mut String, v: Option<i64>| match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("\\N"),
    };
    let bool = |b: bool| if b { "t" } else { "f" };
    let _ = write!(out, "{}\t", r.created_at);
    text(out, &r.profile);
    out.push('\t');
    text(out, &r.base_url);
    let _ = write!(out, "\t{}\t", bool(r.sandbox));
    text(out, &r.first_name);
    out.push('\t');
    text(out, &r.last_name);
    out.push('\t');
    text(out, &r.lang);
    let _ = write!(out, "\t{}\t", bool(r.selfid));
    text(out, &r.callback);
    out.push('\t');
    text(out, &r.vendor_data);
    out.push('\t');
    text(out, &r.session_id);
    out.push('\t');
    text(out, &r.url);
    out.push('\t');
    opt_text(out, r.host.as_deref());
    let _ = write!(out, "\t{}\t", r.expires_at);
    text(out, &r.status);
    out.push('\t');
    opt_int(out, r.decision_code);
    out.push('\t');
    opt_text(out, r.decision_reason.as_deref());
    out.push('\t');
    opt_text(out, r.decision_time.as_deref());
    out.push('\t');
    opt_int(out, r.decided_at);
    out.push('\t');
    opt_int(out, r.checked_at);
    out.push('\t');
    opt_text(out, r.check_error.as_deref());
    out.push('\t');
    text(out, operator);
    out.push('\t');
    text(out, machine);
    out.push('\n');
}
