//! The history schema and its migrations.
//!
//! `PRAGMA user_version` is the number of migrations applied; each runs once, in order, in
//! the same transaction that bumps the version. Times are unix milliseconds (UTC): compact,
//! and ordered and bucketed by day with plain integer arithmetic.

/// `PRAGMA application_id` of our files ("VTUI"): how a file is recognised as ours before
/// anything is written to it.
pub(super) const APPLICATION_ID: i32 = 0x5654_5549;

pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10];

pub(super) fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

const V1: &str = r#"
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    profile         TEXT    NOT NULL,
    base_url        TEXT    NOT NULL,
    sandbox         INTEGER NOT NULL DEFAULT 0,
    first_name      TEXT    NOT NULL,
    last_name       TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    selfid          INTEGER NOT NULL,
    callback        TEXT    NOT NULL,
    vendor_data     TEXT    NOT NULL,
    session_id      TEXT    NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    host            TEXT,
    expires_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    decision_code   INTEGER,
    decision_reason TEXT,
    decision_time   TEXT,
    -- When the current decision was made (decision_time, else when we learnt it); NULL while
    -- undecided. Orders "latest decisions" without parsing text.
    decided_at      INTEGER,
    checked_at      INTEGER,
    check_error     TEXT
);

-- Newest-first paging (the rowid rides along, so ORDER BY created_at, id needs no sort).
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_profile_created ON sessions (profile, created_at);
-- Pending and dashboard queries only look at sessions that have not expired yet: a short
-- range at the end of this index, with the status at hand.
CREATE INDEX sessions_pending ON sessions (expires_at, status);
CREATE INDEX sessions_decided ON sessions (decided_at) WHERE decided_at IS NOT NULL;

-- Substring search that stays fast at a million rows: trigrams of the searchable columns,
-- kept in step with `sessions` by the triggers below.
CREATE VIRTUAL TABLE sessions_fts USING fts5 (
    first_name, last_name, session_id, vendor_data,
    content = 'sessions', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data)
    VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data);
END;

CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data);
END;

CREATE TRIGGER sessions_fts_update
AFTER UPDATE OF first_name, last_name, session_id, vendor_data ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data);
    INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data)
    VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data);
END;

-- Rows per (profile, stored status), so dashboard counts never scan the whole table.
CREATE TABLE status_counts (
    profile TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (profile, status)
) WITHOUT ROWID;

CREATE TRIGGER status_counts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO status_counts (profile, status, n) VALUES (new.profile, new.status, 1)
    ON CONFLICT (profile, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER status_counts_delete AFTER DELETE ON sessions BEGIN
    UPDATE status_counts SET n = n - 1 WHERE profile = old.profile AND status = old.status;
END;

CREATE TRIGGER status_counts_update AFTER UPDATE OF profile, status ON sessions
WHEN old.profile IS NOT new.profile OR old.status IS NOT new.status BEGIN
    UPDATE status_counts SET n = n - 1 WHERE profile = old.profile AND status = old.status;
    INSERT INTO status_counts (profile, status, n) VALUES (new.profile, new.status, 1)
    ON CONFLICT (profile, status) DO UPDATE SET n = n + 1;
END;
"#;

/// Search terms of 1-2 characters through an index too (see `grams.rs`): the words are made
/// in Rust on insert (and for existing rows right after this migration), deleted with the
/// row here. Only the names, session id and vendor data are searched, and those are never
/// updated in place.
const V2: &str = r#"
CREATE VIRTUAL TABLE sessions_grams USING fts5 (
    words, content = '', contentless_delete = 1, tokenize = 'ascii', detail = 'none'
);

CREATE TRIGGER sessions_grams_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM sessions_grams WHERE rowid = old.id;
END;
"#;

/// The dashboard's latest decisions of one profile: without it, SQLite took the profile's
/// creation index and sorted every record of the profile by decision time (0.7 s for 620k).
const V3: &str = r#"
CREATE INDEX sessions_profile_decided ON sessions (profile, decided_at)
WHERE decided_at IS NOT NULL;
"#;

/// Requests on their way to Veriff (see `Store::record_intent`): written before a request
/// leaves, removed when it is answered. Apart from `sessions` so that an intent costs one
/// small row, not a second pass through both search indexes; one whose process ended
/// without an answer becomes a `sessions` record with the status "unknown".
const V4: &str = r#"
CREATE TABLE intents (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    -- The process sending it: while it lives, the intent is still being answered.
    pid         INTEGER NOT NULL,
    profile     TEXT    NOT NULL,
    base_url    TEXT    NOT NULL,
    sandbox     INTEGER NOT NULL,
    first_name  TEXT    NOT NULL,
    last_name   TEXT    NOT NULL,
    lang        TEXT    NOT NULL,
    selfid      INTEGER NOT NULL,
    callback    TEXT    NOT NULL,
    vendor_data TEXT    NOT NULL
);
"#;

/// The session fields beyond the names (`veriff::Extras`, as JSON; '' when none), and the
/// person's identifiers among them (id number, email, end-user id; one per line) in the
/// trigram index. FTS5 cannot add a column, so the index is made anew: about 40 s at a
/// million records, once (`Store::open` says so first when the history is that big).
const V5: &str = r#"
ALTER TABLE sessions ADD COLUMN extra TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN search_extra TEXT NOT NULL DEFAULT '';
ALTER TABLE intents ADD COLUMN extra TEXT NOT NULL DEFAULT '';

DROP TRIGGER sessions_fts_insert;
DROP TRIGGER sessions_fts_delete;
DROP TRIGGER sessions_fts_update;
DROP TABLE sessions_fts;

CREATE VIRTUAL TABLE sessions_fts USING fts5 (
    first_name, last_name, session_id, vendor_data, search_extra,
    content = 'sessions', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO sessions_fts (sessions_fts) VALUES ('rebuild');

CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data, search_extra)
    VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data, new.search_extra);
END;

CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data, search_extra)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data, old.search_extra);
END;

CREATE TRIGGER sessions_fts_update
AFTER UPDATE OF first_name, last_name, session_id, vendor_data, search_extra ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data, search_extra)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data, old.search_extra);
    INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data, search_extra)
    VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data, new.search_extra);
END;
"#;

/// What `inspect` fetched of a session (person, attempts, media list, watchlist screening;
/// `veriff::inspect::Inspection` as JSON), the newest only, so that details open offline.
/// Never the media files themselves: those live in memory unless the operator saves one.
const V6: &str = r#"
CREATE TABLE inspections (
    record_id   INTEGER PRIMARY KEY,
    fetched_at  INTEGER NOT NULL,
    json        TEXT    NOT NULL
);

CREATE TRIGGER inspections_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM inspections WHERE record_id = old.id;
END;
"#;

/// Webhooks received by `listen` (`Store::record_webhook`): one row per distinct delivery,
/// keyed by the SHA-256 of its exact body, so that Veriff's retries (the same bytes again)
/// change nothing the second time. The attempt a webhook names is kept here too. Records
/// first heard of in a webhook are marked `made_elsewhere`.
const V7: &str = r#"
CREATE TABLE deliveries (
    body_sha256 TEXT    PRIMARY KEY,
    received_at INTEGER NOT NULL,
    session_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    attempt_id  TEXT,
    -- What the delivery did to the record: "applied", "stale" (older than what it holds).
    result      TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_session ON deliveries (session_id, received_at);

ALTER TABLE sessions ADD COLUMN made_elsewhere INTEGER NOT NULL DEFAULT 0;
"#;

/// Which records changed, in the order they changed, so that an open TUI shows what another
/// process (`listen`, a second TUI, a CLI `decision`) wrote without reloading whole tables
/// (`Store::changes_after`). Only the newest few thousand entries are kept: a reader further
/// behind than that is told so and reloads what it shows.
const V8: &str = r#"
CREATE TABLE changes (
    seq           INTEGER PRIMARY KEY,
    record_id     INTEGER NOT NULL,
    -- The status before and after the write (NULL before: a new record; NULL after: deleted),
    -- so a reader tells a decision from a write that changed no status (a check's time).
    status_before TEXT,
    status_after  TEXT
);

CREATE TRIGGER changes_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO changes (record_id, status_after) VALUES (new.id, new.status);
END;
CREATE TRIGGER changes_update AFTER UPDATE ON sessions BEGIN
    INSERT INTO changes (record_id, status_before, status_after)
    VALUES (new.id, old.status, new.status);
END;
CREATE TRIGGER changes_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO changes (record_id, status_before) VALUES (old.id, old.status);
END;
-- Pruned in steps of a thousand: one range delete on the key now and then, not one per
-- write. The newest entry always stays, so `seq` never goes back.
CREATE TRIGGER changes_prune AFTER INSERT ON changes WHEN new.seq % 1000 = 0 BEGIN
    DELETE FROM changes WHERE seq <= new.seq - 10000;
END;
"#;

/// Batches (`generate --batch`, see `batches.rs`): each row of a batch file, by its identity
/// (a hash of its normalised values, the batch name and the profile), with the request on
/// its way (`intent_id`) and then the record it became (`record_id`). The row is written in
/// the same transaction as its intent, before the request leaves, so a run started again
/// knows every row that may have a session. Self-contained: it only adds tables, indexes
/// and triggers.
const V9: &str = r#"
CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE batch_rows (
    batch_id    INTEGER NOT NULL REFERENCES batches (id),
    row_key     TEXT    NOT NULL,
    -- The row's line in the file when it was last sent (files get edited: for messages only).
    line        INTEGER NOT NULL,
    intent_id   INTEGER,
    record_id   INTEGER,
    -- NULL: no answer yet, or none that made a session; 'created'; 'unknown'.
    outcome     TEXT,
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (batch_id, row_key)
) WITHOUT ROWID;
CREATE INDEX batch_rows_intent ON batch_rows (intent_id) WHERE intent_id IS NOT NULL;
CREATE INDEX batch_rows_record ON batch_rows (record_id, batch_id) WHERE record_id IS NOT NULL;

-- An intent ends without a record (no session was made): the row is free to be sent again.
-- (An intent that becomes a record hands it over first, see `Store::carry_batch_tag`.)
CREATE TRIGGER batch_rows_intent_gone AFTER DELETE ON intents BEGIN
    UPDATE batch_rows SET intent_id = NULL WHERE intent_id = old.id;
END;

-- A record deleted by hand: the row keeps its outcome (a session was made, or may have
-- been), so it is still never sent twice; only the link to the record goes.
CREATE TRIGGER batch_rows_record_gone AFTER DELETE ON sessions BEGIN
    UPDATE batch_rows SET record_id = NULL WHERE record_id = old.id;
END;
"#;

/// The shared history's outbox (see `outbox.rs`): with `[history] url` set, this file keeps
/// what could not reach the server (it was down, or went away in the middle of a
/// generate) until it is back. A row is a request on its way (`intent_id`), then the
/// record it became (`record_id`, written to the server when it can be); `remote_intent`
/// is the server's intent the record completes (or, alone, one to forget there).
/// Self-contained: it only adds a table and triggers.
const V10: &str = r#"
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    intent_id     INTEGER UNIQUE,
    record_id     INTEGER UNIQUE,
    remote_intent INTEGER,
    queued_at     INTEGER NOT NULL
);

-- An intent that ends without a record (no session was made) has nothing to send. (One
-- that becomes a record hands its row over first, see `outbox::carry`.)
CREATE TRIGGER outbox_intent_gone AFTER DELETE ON intents BEGIN
    DELETE FROM outbox WHERE intent_id = old.id;
END;
-- A waiting record deleted by hand is not sent.
CREATE TRIGGER outbox_record_gone AFTER DELETE ON sessions BEGIN
    DELETE FROM outbox WHERE record_id = old.id;
END;
"#;
