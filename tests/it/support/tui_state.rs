//! Builders shared by the TUI tests: a State without a terminal, records, key events.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use veriff_tui::config::{Config, Paths, Profile, Settings};
use veriff_tui::history::{Page, Record, Store};
use veriff_tui::tui::app::{Effect, Env, State, update};
use veriff_tui::tui::list::Load;
use veriff_tui::tui::message::Msg;
use veriff_tui::veriff::{CreatedSession, SessionStatus};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0).unwrap()
}

pub fn paths() -> Paths {
    Paths {
        config_file: PathBuf::from("/home/op/.config/veriff-tui/config.toml"),
        data_dir: PathBuf::from("/home/op/.local/share/veriff-tui"),
        history_db: PathBuf::from("/home/op/.local/share/veriff-tui/history.sqlite3"),
        log_file: PathBuf::from("/home/op/.local/share/veriff-tui/veriff-tui.log"),
        export_dir: PathBuf::from("/home/op/.local/share/veriff-tui/exports"),
    }
}

/// Settings pointing at a loopback sandbox (as `--sandbox` makes them).
pub fn sandbox_settings() -> Settings {
    let mut s = Settings {
        config: Config::default(),
        paths: paths(),
        config_file_found: false,
        profile_name: "default".into(),
        profile: None,
        sandbox: false,
        warnings: Vec::new(),
        origin: Default::default(),
    };
    s.use_sandbox(
        "http://127.0.0.1:4010",
        veriff_tui::sandbox::SANDBOX_API_KEY,
        veriff_tui::sandbox::SANDBOX_SHARED_SECRET,
    );
    s
}

/// [`sandbox_settings`] with the `[keys]` of a config file text (checked as the loader
/// checks it).
pub fn settings_with_keys(toml: &str) -> Settings {
    let mut s = sandbox_settings();
    s.config.keys = veriff_tui::config::parse_config_text(toml, std::path::Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .keys;
    s
}

/// A live production profile.
pub fn live_settings() -> Settings {
    let mut config = Config::default();
    let profile = Profile {
        base_url: "https://stationapi.veriff.com".into(),
        api_key: "11111111-2222-3333-4444-555555555555".into(),
        shared_secret: "secret-value-1234".into(),
        integration_id: None,
        callback: Some("https://example.com/veriff/done".into()),
        live: true,
        webhook_secrets: Vec::new(),
        defaults: Default::default(),
    };
    config.profiles.insert("production".into(), profile.clone());
    Settings {
        config,
        paths: paths(),
        config_file_found: true,
        profile_name: "production".into(),
        profile: Some(profile),
        sandbox: false,
        warnings: Vec::new(),
        origin: Default::default(),
    }
}

pub fn env(w: u16, h: u16, no_color: bool) -> Env {
    Env {
        palette: if no_color {
            veriff_tui::tui::theme::Palette::Mono
        } else {
            veriff_tui::tui::theme::Palette::Extended
        },
        now: now(),
        tz: veriff_tui::tui::app::Zone::Fixed(FixedOffset::east_opt(0).unwrap()),
        size: (w, h),
    }
}

pub fn state(w: u16, h: u16) -> State {
    State::new(sandbox_settings(), env(w, h, false))
}

/// A window size keys act in: at least the minimum (below it only quitting acts, so a state
/// for a smaller window is built at this size and then [`resized`]).
pub fn usable(w: u16, h: u16) -> (u16, u16) {
    (
        w.max(veriff_tui::tui::view::MIN_WIDTH),
        h.max(veriff_tui::tui::view::MIN_HEIGHT),
    )
}

/// `s` after the terminal was resized to `w` x `h`.
pub fn resized(mut s: State, w: u16, h: u16) -> State {
    update(&mut s, Msg::Resize(w, h));
    s
}

pub fn render(state: &State) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
    t.draw(|f| veriff_tui::tui::view::draw(f, state)).unwrap();
    t
}

/// The screen as plain text lines.
pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn alt(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

pub fn type_text(state: &mut State, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(update(state, key(KeyCode::Char(c))));
    }
    effects
}

pub const URL: &str = "https://alchemy.veriff.com/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdXRoX3Rva2VuIjoiOGRlYmU4ZDAtYjBmMi00ZDVhLWE0ZTAtMWNkZDE5MmI1ODY3Iiwic2Vzc2lvbl9pZCI6IjQ3ZmQ3ZGRmLWUxMzgtNGU1ZS05NjYxLTFhZjlhYjMzMjdiNSIsImlhdCI6MTc2NDA5NTQwMCwiZXhwIjoxNzY0NzAwMjAwfQ.abc";

pub fn created() -> CreatedSession {
    CreatedSession {
        id: "47fd7ddf-e138-4e5e-9661-1af9ab3327b5".into(),
        url: URL.into(),
        host: Some("https://alchemy.veriff.com".into()),
        session_token: None,
        vendor_data: None,
        status: Some("created".into()),
        created_at: now(),
        expires_at: now() + Duration::days(7),
    }
}

pub fn record(i: i64) -> Record {
    let names = [
        ("John", "Smith"),
        ("李", "小龍"),
        ("Zoë", "Saldaña"),
        ("Ada", "Lovelace"),
    ];
    let statuses = [
        SessionStatus::Created,
        SessionStatus::Approved,
        SessionStatus::Declined,
        SessionStatus::ResubmissionRequested,
        SessionStatus::Submitted,
    ];
    let (first, last) = names[(i as usize) % names.len()];
    let created_at = now() - Duration::hours(i * 5);
    Record {
        id: 1000 - i,
        created_at,
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:4010".into(),
        sandbox: true,
        first_name: first.into(),
        last_name: last.into(),
        lang: if i % 3 == 0 {
            "en".into()
        } else {
            "pt-BR".into()
        },
        selfid: i % 2 == 0,
        callback: "https://example.com/done".into(),
        vendor_data: format!("order-{i}"),
        session_id: format!("{:08x}-e138-4e5e-9661-1af9ab3327b5", 0x47fd7000 + i),
        url: URL.into(),
        host: None,
        expires_at: created_at + Duration::days(7),
        status: statuses[(i as usize) % statuses.len()].clone(),
        decision_code: None,
        decision_reason: None,
        decision_time: None,
        checked_at: None,
        check_error: None,
        extra: Default::default(),
        made_elsewhere: false,
        operator: String::new(),
        machine: String::new(),
    }
}

/// A real history holding `record(0..total)` (record 0 the newest, so the store gives it
/// the largest id): SQLite in a temp dir, filled once per size and test (a test runs on a
/// thread of its own; the files go when it ends).
fn with_history<T>(total: i64, f: impl FnOnce(&Store) -> T) -> T {
    thread_local! {
        static HISTORIES: RefCell<HashMap<i64, (Store, tempfile::TempDir)>> =
            RefCell::new(HashMap::new());
    }
    HISTORIES.with(|h| {
        let mut histories = h.borrow_mut();
        let (store, _dir) = histories.entry(total).or_insert_with(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(&dir.path().join("history.sqlite3")).expect("open history");
            // Oldest first: insertion order is the order a search lists in.
            let records: Vec<Record> = (0..total).rev().map(record).collect();
            let n = veriff_tui::history::seed::insert_records(&store, &records)
                .expect("fill the history");
            assert_eq!(n, total as u64);
            (store, dir)
        });
        f(store)
    })
}

/// Answers the list loads an update asked for from a real history of `total` records
/// (`record(0..total)`): what `Store::page`, `Store::last_page` and `Store::count_up_to`
/// return for each query, so a filter shows the rows that match it and no others.
pub fn answer_loads(state: &mut State, effects: Vec<Effect>, total: i64) {
    answer_loads_seen(state, effects, total);
}

/// Like [`answer_loads`], and every list load asked for on the way, in order.
pub fn answer_loads_seen(state: &mut State, effects: Vec<Effect>, total: i64) -> Vec<Effect> {
    let mut seen = Vec::new();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        if matches!(
            e,
            Effect::List(Load::Count { .. }) | Effect::List(Load::Page { .. })
        ) {
            seen.push(e.clone());
        }
        let msg = match e {
            Effect::List(Load::Count { seq, query, cap }) => Msg::Count {
                seq,
                cap,
                result: with_history(total, |store| store.count_up_to(&query, cap))
                    .map_err(|e| e.to_string()),
            },
            Effect::List(Load::Page {
                seq,
                query,
                from_end,
                count,
            }) => Msg::Page {
                seq,
                offset: query.offset,
                result: with_history(total, |store| match (from_end, count) {
                    (true, _) => store.last_page(&query).map(|rows| Page {
                        rows,
                        ..Default::default()
                    }),
                    (false, Some(cap)) => store.first_page_counted(&query, cap),
                    (false, None) => store.page_counted(&query),
                })
                .map_err(|e| e.to_string()),
            },
            _ => continue,
        };
        queue.extend(update(state, msg));
    }
    seen
}

/// An inspection of `r` with every part answered, fetched at `fetched_at`: two attempts,
/// two media files, a watchlist hit.
pub fn inspection(
    r: &Record,
    fetched_at: DateTime<Utc>,
) -> veriff_tui::veriff::inspect::Inspection {
    use veriff_tui::veriff::Decision;
    use veriff_tui::veriff::inspect::{
        Attempt, Inspection, MediaItem, Part, PersonInfo, Watchlist,
    };
    let media = |n: &str, name: &str| MediaItem {
        id: format!("a1b2c3d4-{n}"),
        kind: "image".into(),
        name: Some(name.into()),
        context: Some(name.into()),
        mimetype: Some("image/png".into()),
        size: Some(48_213),
        timestamp: Some("2026-11-25T18:31:07.123Z".into()),
    };
    Inspection {
        session_id: r.session_id.clone(),
        fetched_at,
        decision: Part::Ok(Some(Decision {
            status: SessionStatus::Approved,
            code: Some(9001),
            reason: None,
            reason_code: None,
            decision_time: Some("2026-11-25T18:31:07.123Z".into()),
            vendor_data: None,
        })),
        person: Part::Ok(PersonInfo {
            first_name: Some(r.first_name.clone()),
            last_name: Some(r.last_name.clone()),
            id_code: Some("38001085718".into()),
            date_of_birth: Some("1980-01-08".into()),
            gender: Some("F".into()),
            nationality: Some("EE".into()),
            pep_sanction_matches: 0,
        }),
        attempts: Part::Ok(vec![
            Attempt {
                id: "a0000000-0000-4000-8000-000000000001".into(),
                status: Some("resubmission_requested".into()),
                created_time: Some("2026-11-25T18:20:00.000Z".into()),
            },
            Attempt {
                id: "a1b2c3d4-0000-4000-8000-000000000002".into(),
                status: Some("approved".into()),
                created_time: Some("2026-11-25T18:31:00.000Z".into()),
            },
        ]),
        media: Part::Ok(vec![
            media("front", "document-front"),
            media("face", "face"),
        ]),
        watchlist_screening: Part::Ok(Watchlist {
            match_status: Some("possible_match".into()),
            check_type: Some("initial_result".into()),
            search_name: Some(format!("{} {}", r.first_name, r.last_name)),
            search_year: Some("1980".into()),
            total_hits: Some(1),
            created_at: None,
            hits: vec!["Anna Tamm (pep, sanction)".into()],
        }),
    }
}

/// A small picture for the media viewer: a left half red, a right half white.
pub fn picture() -> veriff_tui::tui::inspector::Picture {
    let (w, h) = (8u32, 4u32);
    let mut rgb = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            rgb.extend_from_slice(if x < w / 2 {
                &[255, 0, 0]
            } else {
                &[255, 255, 255]
            });
        }
    }
    veriff_tui::tui::inspector::Picture::from_rgb(w, h, rgb).unwrap()
}
