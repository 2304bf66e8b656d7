//! The shared history's schema on PostgreSQL and its migrations.
//!
//! Numbered on their own, apart from SQLite's `user_version` (`schema.rs` beside `pg/`):
//! V1 here holds what SQLite's V1..V7 built, written as PostgreSQL wants it, plus who made
//! each record and where; V2 is SQLite's V8 (the change log), V3 the search at a million records, V4 SQLite's V9
//! (batches). A later
//! SQLite migration is carried over by appending its PostgreSQL form to [`MIGRATIONS`]. `schema_version` holds the number
//! applied; every migration runs in one transaction under an advisory lock (`open.rs`), so
//! two operators starting at the same moment migrate once.
//!
//! Times are unix milliseconds in BIGINT, as in SQLite: the same cursors, day buckets and
//! row mapping serve both stores.

/// The advisory lock key all migrations take ("VTUI" as in SQLite's application_id).
pub(super) const MIGRATION_LOCK: i64 = 0x5654_5549;

/// The oldest server this supports: 13 has everything used here (generated columns,
/// `EXECUTE FUNCTION`, pg_trgm as a trusted extension a database owner may create) and is
/// the oldest release still common in hosted offers.
pub(super) const MIN_SERVER_VERSION: i32 = 130_000;

pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

pub(super) fn latest() -> i32 {
    MIGRATIONS.len() as i32
}

/// Substring search: `search_text` joins the searched fields with spaces (a search term
/// never holds one, so no term matches across two fields) and its pg_trgm GIN index
/// answers `ILIKE '%term%'` for any term length. `status_counts` is kept by a trigger so
/// counting a million records reads a handful of rows, as in SQLite.
const V1: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE sessions (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      BIGINT  NOT NULL,
    profile         TEXT    NOT NULL,
    base_url        TEXT    NOT NULL,
    sandbox         BOOLEAN NOT NULL DEFAULT false,
    first_name      TEXT    NOT NULL,
    last_name       TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    selfid          BOOLEAN NOT NULL,
    callback        TEXT    NOT NULL,
    vendor_data     TEXT    NOT NULL,
    session_id      TEXT    NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    host            TEXT,
    expires_at      BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    decision_code   BIGINT,
    decision_reason TEXT,
    decision_time   TEXT,
    decided_at      BIGINT,
    checked_at      BIGINT,
    check_error     TEXT,
    extra           TEXT    NOT NULL DEFAULT '',
    search_extra    TEXT    NOT NULL DEFAULT '',
    made_elsewhere  BOOLEAN NOT NULL DEFAULT false,
    -- Who made the record and on which machine (empty for one made elsewhere).
    operator        TEXT    NOT NULL DEFAULT '',
    machine         TEXT    NOT NULL DEFAULT '',
    search_text     TEXT    GENERATED ALWAYS AS (
        first_name || ' ' || last_name || ' ' || session_id || ' ' || vendor_data || ' ' || search_extra
    ) STORED
);

CREATE INDEX sessions_created ON sessions (created_at, id);
CREATE INDEX sessions_profile_created ON sessions (profile, created_at, id);
CREATE INDEX sessions_pending ON sessions (expires_at, status);
CREATE INDEX sessions_decided ON sessions (decided_at, id) WHERE decided_at IS NOT NULL;
CREATE INDEX sessions_profile_decided ON sessions (profile, decided_at, id)
    WHERE decided_at IS NOT NULL;
-- A session id prefix (`decision 3f2`) as a LIKE 'prefix%' range, whatever the collation.
CREATE INDEX sessions_session_prefix ON sessions (session_id text_pattern_ops);
CREATE INDEX sessions_search ON sessions USING gin (search_text gin_trgm_ops);
CREATE INDEX sessions_operator ON sessions (operator, created_at, id);

CREATE TABLE status_counts (
    profile TEXT   NOT NULL,
    status  TEXT   NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (profile, status)
);

CREATE FUNCTION status_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE status_counts SET n = n - 1 WHERE profile = OLD.profile AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO status_counts (profile, status, n) VALUES (NEW.profile, NEW.status, 1)
        ON CONFLICT (profile, status) DO UPDATE SET n = status_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER status_counts_insert_delete AFTER INSERT OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION status_counts_track();
CREATE TRIGGER status_counts_update AFTER UPDATE OF profile, status ON sessions
    FOR EACH ROW
    WHEN (OLD.profile IS DISTINCT FROM NEW.profile OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION status_counts_track();

-- Requests on their way to Veriff. `machine` and `pid` name the sender: only the machine
-- that sent one can tell whether its process still lives.
CREATE TABLE intents (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  BIGINT  NOT NULL,
    machine     TEXT    NOT NULL,
    pid         BIGINT  NOT NULL,
    operator    TEXT    NOT NULL,
    profile     TEXT    NOT NULL,
    base_url    TEXT    NOT NULL,
    sandbox     BOOLEAN NOT NULL,
    first_name  TEXT    NOT NULL,
    last_name   TEXT    NOT NULL,
    lang        TEXT    NOT NULL,
    selfid      BOOLEAN NOT NULL,
    callback    TEXT    NOT NULL,
    vendor_data TEXT    NOT NULL,
    extra       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX intents_machine ON intents (machine);

CREATE TABLE inspections (
    record_id   BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    fetched_at  BIGINT NOT NULL,
    json        TEXT   NOT NULL
);

CREATE TABLE deliveries (
    body_sha256 TEXT   PRIMARY KEY,
    received_at BIGINT NOT NULL,
    session_id  TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    attempt_id  TEXT,
    result      TEXT   NOT NULL
);
CREATE INDEX deliveries_session ON deliveries (session_id, received_at);
"#;

/// SQLite's V8 (`history::changes`): which records changed, for open TUIs to follow what
/// other processes wrote. PostgreSQL has no `data_version`, so each entry names the
/// connection (backend) that wrote it and a reader skips its own. Pruned in steps of a
/// thousand, as in SQLite.
const V2: &str = r#"
CREATE TABLE changes (
    seq           BIGSERIAL PRIMARY KEY,
    record_id     BIGINT  NOT NULL,
    status_before TEXT,
    status_after  TEXT,
    writer        INTEGER NOT NULL DEFAULT pg_backend_pid()
);

CREATE FUNCTION changes_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO changes (record_id, status_after) VALUES (NEW.id, NEW.status)
        RETURNING seq INTO s;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO changes (record_id, status_before, status_after)
        VALUES (NEW.id, OLD.status, NEW.status) RETURNING seq INTO s;
    ELSE
        INSERT INTO changes (record_id, status_before) VALUES (OLD.id, OLD.status)
        RETURNING seq INTO s;
    END IF;
    IF s % 1000 = 0 THEN
        DELETE FROM changes WHERE seq <= s - 10000;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER changes_track AFTER INSERT OR UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION changes_track();
"#;

/// Search at a million records within a frame (`search.rs` chooses how each one runs):
///
/// - `search_folded` replaces `search_text`: the same fields, folded to lower case once when
///   written, so a row is checked with `strpos` on it instead of ILIKE folding it again
///   (three times the cost per row); the trigram index moves to it.
/// - `short_grams` (every 1- and 2-character substring of the folded text) and its GIN
///   index answer what trigrams cannot: a rare term of one or two characters (`qz`, a CJK
///   surname) found without reading every row.
/// - The creation-ordered indexes carry the folded text and the operator, so walking the
///   newest records and checking each reads the index alone, not the table: a quarter of
///   the cost per row. That needs the table's pages marked all-visible by vacuum, which
///   autovacuum is asked to do after 1 % of the rows changed rather than 20 %.
const V3: &str = r#"
ALTER TABLE sessions DROP COLUMN search_text;
ALTER TABLE sessions ADD COLUMN search_folded TEXT GENERATED ALWAYS AS (
    lower(first_name || ' ' || last_name || ' ' || session_id || ' ' || vendor_data || ' ' || search_extra)
) STORED;
CREATE INDEX sessions_search ON sessions USING gin (search_folded gin_trgm_ops);

-- Pairs at both offsets (regexp_replace cuts the text into pairs), then the characters:
-- duplicates and pairs across a field's space are harmless (GIN keeps each key once, and a
-- term holds no space). About 30 µs a row, a tenth of a set-returning version; its cost
-- says so to the planner, which otherwise reads the table and calls it on every row
-- rather than ask the index.
CREATE FUNCTION short_grams(t TEXT) RETURNS TEXT[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
    SELECT array_remove(
        string_to_array(t, NULL)
        || string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
        || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01'),
        '')
$$;
CREATE INDEX sessions_short ON sessions USING gin (short_grams(search_folded));

DROP INDEX sessions_created;
CREATE INDEX sessions_created ON sessions (created_at, id) INCLUDE (search_folded, operator);
DROP INDEX sessions_profile_created;
CREATE INDEX sessions_profile_created ON sessions (profile, created_at, id)
    INCLUDE (search_folded, operator);

ALTER TABLE sessions SET (
    autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_scale_factor = 0.01
);
"#;

/// SQLite's V9 (`history::batches`, here `pg/batches.rs`): each row of a batch by its
/// identity, with the request on its way and then the record it became, written in the
/// intent's transaction. Two runs of one batch at once take turns on a row through its
/// lock (`SELECT … FOR UPDATE` on the primary key, see `record_batch_intent`). The foreign
/// keys do what SQLite's triggers do: an intent that ends without a record frees its row,
/// and a record deleted by hand leaves the row its outcome (never sent twice).
const V4: &str = r#"
CREATE TABLE batches (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE batch_rows (
    batch_id    BIGINT NOT NULL REFERENCES batches (id),
    row_key     TEXT   NOT NULL,
    -- The row's line in the file when it was last sent (files get edited: for messages only).
    line        BIGINT NOT NULL,
    intent_id   BIGINT REFERENCES intents (id) ON DELETE SET NULL,
    record_id   BIGINT REFERENCES sessions (id) ON DELETE SET NULL,
    -- NULL: no answer yet, or none that made a session; 'created'; 'unknown'.
    outcome     TEXT,
    error       TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (batch_id, row_key)
);
-- Also what the foreign keys' ON DELETE looks rows up by.
CREATE INDEX batch_rows_intent ON batch_rows (intent_id) WHERE intent_id IS NOT NULL;
CREATE INDEX batch_rows_record ON batch_rows (record_id, batch_id) WHERE record_id IS NOT NULL;
"#;

/// The search's inverted indexes keep a short pending list. GIN keeps new entries in a
/// pending list, merged into the index when the list reaches its limit (4 MB by default)
/// or at a vacuum, and every search through the index reads that whole list first:
/// thousands of records a busy team wrote since, read on every keystroke that asks the
/// index. At 256 kB (about 200 records) a search reads 0.1 ms more at most; writing a
/// record costs 1.2 ms instead of 0.3 (2.4 without a pending list, which would make a
/// large `history import` eight times slower).
const V5: &str = r#"
ALTER INDEX sessions_search SET (gin_pending_list_limit = 256);
ALTER INDEX sessions_short SET (gin_pending_list_limit = 256);
SELECT gin_clean_pending_list('sessions_search'::regclass);
SELECT gin_clean_pending_list('sessions_short'::regclass);
"#;

/// The Dashboard's live statuses of one profile (its links not yet decided nor expired)
/// from an index of their own: `sessions_pending` has no profile, so each of a busy
/// profile's unexpired links was read from the table to see whose it is (15 ms at 1M
/// records, 4 from this index alone).
const V6: &str = r#"
CREATE INDEX IF NOT EXISTS sessions_profile_pending ON sessions (profile, expires_at) INCLUDE (status);
"#;
