//! The TUI at scale, measured on the release binary in a 120x40 pseudo-terminal that answers
//! cursor-position and device-attribute queries the way a terminal does:
//!
//! - start to first complete frame, with 0, 100k and 1M records. Two "complete" frames:
//!   *form*: the Generate screen shows its "Generate URL" button (the screen the app opens
//!   on); *tokens*: Alt+2 is typed as soon as the form is up, and the clock stops when the
//!   Generated tokens table shows the newest record's row (or, with 0 records, its "No
//!   sessions yet" line). Median and p90 over `VERIFF_BENCH_RUNS` runs (default 20);
//! - peak RSS (VmHWM) at the first frame, and at 1M after paging down 50 times, End and a
//!   typed filter;
//! - one filter keystroke in the running app at 100k and 1M: from the last character typed
//!   to the term's first row on screen, and to its match count in the title (p50/p99);
//! - first, the same start-up figures for ATAC and slumber when `VERIFF_BENCH_ATAC` /
//!   `VERIFF_BENCH_SLUMBER` name their binaries (first frame: ATAC's "Collections" pane;
//!   slumber's own example collection from `slumber new`, its first recipe shown): ours is
//!   judged against the faster one's median and ATAC's peak RSS from this very run;
//! - one frame drawn by the library (ratatui TestBackend, 120x40) of each screen, filled
//!   from a real 100k store: median and p99.

#[path = "support/mod.rs"]
mod support;
// The pseudo-terminal harness of the tests, not a copy of it.
#[path = "../tests/it/support/pty.rs"]
mod pty;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pty::Tui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use veriff_tui::config::{Config, Paths, Settings};
use veriff_tui::history::{Query, Store};
use veriff_tui::tui::app::{DashboardData, Effect, Env, State, Zone, update};
use veriff_tui::tui::list::Load;
use veriff_tui::tui::message::Msg;

const COLS: u16 = 120;
const ROWS: u16 = 40;
const DEADLINE: Duration = Duration::from_secs(30);
const FRAME_TARGET: Duration = Duration::from_millis(2);

/// A program in the 120x40 pseudo-terminal of the tests' harness, `want` watched from its
/// first byte of output: the time is taken when the frame arrives, not at a poll.
fn spawn(
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    want: impl Fn(&str) -> bool + Send + 'static,
) -> Tui {
    let mut tui = Tui::spawn_watching(bin, args, env, (COLS, ROWS), want);
    tui.deadline = DEADLINE;
    tui
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A data dir holding a copy of the fixture (the app opens it read-write, with WAL).
fn data_dir(n: u64, root: &Path) -> PathBuf {
    let dir = root.join(format!("data-{n}"));
    std::fs::create_dir_all(&dir).expect("data dir");
    if n > 0 {
        std::fs::copy(support::fixture(n), dir.join("history.sqlite3")).expect("copy fixture");
    }
    dir
}

fn env_for(dir: &Path) -> Vec<(String, String)> {
    // One profile configured (`support::profile`): the table shows its records.
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.{}]\nbase_url = \"http://127.0.0.1:9\"\napi_key = \"{}\"\nshared_secret = \"{}\"\n",
            support::profile(),
            veriff_tui::sandbox::SANDBOX_API_KEY,
            veriff_tui::sandbox::SANDBOX_SHARED_SECRET
        ),
    )
    .expect("write the config");
    vec![
        ("HOME".into(), dir.display().to_string()),
        ("VERIFF_TUI_CONFIG".into(), config.display().to_string()),
    ]
}

fn newest_short_id(n: u64) -> Option<String> {
    if n == 0 {
        return None;
    }
    // A blank search filters nothing: the unfiltered list's first row.
    first_match(n, "")
}

/// The app started on a copy of the fixture, and when its Generate form was complete.
fn open_app(bin: &Path, dir: &Path) -> (Tui, Instant) {
    let env = env_for(dir);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir_s = dir.display().to_string();
    let tui = spawn(bin, &["--data-dir", &dir_s], &env, |s| {
        s.contains("Generate URL")
    });
    let shown = tui.wait_watched("the Generate form");
    (tui, shown)
}

struct StartRun {
    form: Duration,
    tokens: Duration,
    hwm_form_kib: u64,
}

fn start_run(bin: &Path, dir: &Path, row: Option<&str>) -> StartRun {
    let (tui, form_shown) = open_app(bin, dir);
    let form = form_shown - tui.started;
    let hwm_form_kib = tui.hwm_kib();
    let row = row.map(str::to_string);
    tui.watch(move |s| match &row {
        Some(id) => s.contains(id.as_str()),
        None => s.contains("No sessions yet"),
    });
    tui.send(b"\x1b2");
    let tokens = tui.wait_watched("the tokens list") - tui.started;
    StartRun {
        form,
        tokens,
        hwm_form_kib,
    }
}

/// 1M: page down, End, a filter; the peak RSS before quitting.
fn scroll_and_filter_hwm(bin: &Path, dir: &Path, row: &str) -> u64 {
    let (tui, _) = open_app(bin, dir);
    let row = row.to_string();
    tui.watch(move |s| s.contains(row.as_str()));
    tui.send(b"\x1b2");
    tui.wait_watched("the tokens list");
    for _ in 0..50 {
        tui.send(b"\x1b[6~");
        std::thread::sleep(Duration::from_millis(10));
    }
    tui.send(b"\x1b[F");
    std::thread::sleep(Duration::from_millis(500));
    tui.send(b"/");
    for c in "smith".chars() {
        tui.send(c.to_string().as_bytes());
        std::thread::sleep(Duration::from_millis(30));
    }
    tui.watch(|s| s.to_lowercase().matches("smith").count() >= 3);
    tui.wait_watched("rows matching the filter");
    std::thread::sleep(Duration::from_millis(300));
    tui.hwm_kib()
}

/// The first row the table shows for `term` (its short session id), or `None` when
/// nothing matches.
fn first_match(n: u64, term: &str) -> Option<String> {
    let store = Store::open(&support::fixture(n)).expect("open the fixture");
    let page = store
        .page(&Query {
            search: Some(term.to_string()),
            limit: 1,
            profile: Some(support::profile().into()),
            ..Query::default()
        })
        .expect("first match");
    page.first().map(|r| r.session_id[..8].to_string())
}

/// Terms typed into the filter box of the running app; the last character is the timed
/// keystroke.
const FILTER_TERMS: &[&str] = &["smith", "anna smith", "cust-55073818", "佐藤", "zqxjv"];

/// One filter keystroke in the running app, as the operator sees it: the term but its last
/// character is typed and its rows awaited; then the clock runs from the last character to
/// the screen showing the term's first row (or "Nothing matches"), and on to the match
/// count in the title. Esc clears the filter between runs.
fn filter_keystrokes(bin: &Path, dir: &Path, n: u64, newest: &str, runs: usize) {
    let (tui, _) = open_app(bin, dir);
    let newest = newest.to_string();
    let list_shown = move |s: &str| {
        s.contains(newest.as_str()) && !s.lines().nth(1).unwrap_or("").contains("/ ")
    };
    tui.watch(list_shown.clone());
    tui.send(b"\x1b2");
    tui.wait_watched("the tokens list");
    for term in FILTER_TERMS {
        let (head, last) =
            term.split_at(term.len() - term.chars().last().map_or(0, char::len_utf8));
        let shows = |text: &str, row: Option<String>| {
            let title = format!("/ {text}");
            move |s: &str| {
                let first_line = s.lines().nth(1).unwrap_or("");
                first_line.contains(title.as_str())
                    && match &row {
                        Some(id) => s.contains(id.as_str()),
                        None => s.contains("Nothing matches"),
                    }
            }
        };
        let head_shown = shows(head, first_match(n, head));
        let term_shown = shows(term, first_match(n, term));
        let counted = {
            let title = format!("/ {term}");
            move |s: &str| {
                let first_line = s.lines().nth(1).unwrap_or("");
                first_line.contains(title.as_str())
                    && first_line.contains("record")
                    && !first_line.contains("counting")
            }
        };
        let mut rows = Vec::new();
        let mut counts = Vec::new();
        for _ in 0..runs + 2 {
            tui.watch(head_shown.clone());
            tui.send(format!("/{head}").as_bytes());
            tui.wait_watched("the rows of all but the last character");
            tui.watch(term_shown.clone());
            let sent = Instant::now();
            tui.send(last.as_bytes());
            rows.push(tui.wait_watched("the rows of the term") - sent);
            tui.watch(counted.clone());
            counts.push(tui.wait_watched("the match count") - sent);
            tui.watch(list_shown.clone());
            tui.send(b"\x1b");
            tui.wait_watched("the unfiltered list");
        }
        // The first two were warm-up.
        let mut rows = rows.split_off(2);
        let mut counts = counts.split_off(2);
        rows.sort_unstable();
        counts.sort_unstable();
        let (r50, r99) = (
            support::percentile(&rows, 50.0),
            support::percentile(&rows, 99.0),
        );
        let (c50, c99) = (
            support::percentile(&counts, 50.0),
            support::percentile(&counts, 99.0),
        );
        let size = support::label(n);
        println!(
            "app filter {size:>4} {term:<14} rows p50 {} p99 {}  count p50 {} p99 {}",
            support::ms(r50),
            support::ms(r99),
            support::ms(c50),
            support::ms(c99)
        );
        support::summary(
            &format!("app: filter keystroke to rows on screen, {size}, `{term}` (p50 / p99)"),
            &format!("{} / {}", support::ms(r50), support::ms(r99)),
            "p99 < 16 ms",
            Some(r99 < Duration::from_millis(16)),
        );
        support::summary(
            &format!("app: ... to the match count in the title, {size}, `{term}`"),
            &format!("{} / {}", support::ms(c50), support::ms(c99)),
            "(count follows the rows)",
            None,
        );
    }
}

/// A peer's first frame: its main screen drawn (`want`), in a home of its own.
fn peer_run(bin: &Path, home: &Path, args: &[&str], want: fn(&str) -> bool) -> (Duration, u64) {
    let h = home.display().to_string();
    let env = [
        ("HOME", h.as_str()),
        ("XDG_CONFIG_HOME", h.as_str()),
        ("XDG_DATA_HOME", h.as_str()),
    ];
    let tui = spawn(bin, args, &env, want);
    let t = tui.wait_watched("the first frame") - tui.started;
    (t, tui.hwm_kib())
}

/// What a peer needs to open on its main screen: slumber wants a collection file (its
/// own example, from `slumber new`); ATAC starts empty.
fn peer_setup(name: &str, bin: &Path, home: &Path) -> (Vec<String>, fn(&str) -> bool) {
    if name == "slumber" {
        let made = Command::new(bin)
            .arg("new")
            .current_dir(home)
            .env("HOME", home)
            .status()
            .expect("slumber new");
        assert!(made.success(), "slumber new failed");
        let file = home.join("slumber.yml").display().to_string();
        (vec!["-f".into(), file], |s| {
            s.contains("Example GET") && s.contains("my-host/get")
        })
    } else {
        (Vec::new(), |s| {
            s.contains("ATAC") && s.contains("Collections")
        })
    }
}

/// What ours is held against: the fastest peer's median start and ATAC's peak RSS, both
/// measured now on the machine as loaded as for ours; the figures for a peer whose
/// binary is not named.
struct Reference {
    start: Duration,
    start_by: String,
    rss_kib: u64,
    rss_by: String,
}

fn peers(root: &Path, runs: usize) -> Reference {
    let mut r = Reference {
        start: Duration::from_millis(13),
        start_by: "ATAC/slumber, earlier run".into(),
        rss_kib: 14_000_000 / 1024,
        rss_by: "ATAC, earlier run".into(),
    };
    let mut first = true;
    for (name, var) in [
        ("ATAC", "VERIFF_BENCH_ATAC"),
        ("slumber", "VERIFF_BENCH_SLUMBER"),
    ] {
        let Some(peer) = std::env::var_os(var).map(PathBuf::from) else {
            println!("{name}: not measured ({var} unset)");
            continue;
        };
        let home = root.join(name);
        std::fs::create_dir_all(&home).expect("peer home");
        let (args, want) = peer_setup(name, &peer, &home);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for _ in 0..2 {
            peer_run(&peer, &home, &args, want);
        }
        let mut t = Vec::new();
        let mut hwm = 0;
        for _ in 0..runs {
            let (d, h) = peer_run(&peer, &home, &args, want);
            t.push(d);
            hwm = hwm.max(h);
        }
        let (p50, p90) = med(&mut t);
        println!(
            "first frame {name}: median {} p90 {}  peak RSS {}",
            support::ms(p50),
            support::ms(p90),
            mib(hwm)
        );
        support::summary(
            &format!("{name}: start to first frame (peer)"),
            &format!("{} / {}", support::ms(p50), mib(hwm)),
            "(reference)",
            None,
        );
        if first || p50 < r.start {
            r.start = p50;
            r.start_by = format!("{name}, this run");
        }
        first = false;
        if name == "ATAC" {
            r.rss_kib = hwm;
            r.rss_by = "ATAC, this run".into();
        }
    }
    r
}

fn med(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort_unstable();
    (support::percentile(v, 50.0), support::percentile(v, 90.0))
}

fn main() {
    if !support::as_benchmark() {
        return;
    }
    let bin = support::binary();
    let runs: usize = std::env::var("VERIFF_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let root = tempfile::tempdir().expect("temp dir");
    let sizes = support::sizes(&[0, 100_000, 1_000_000]);
    // Peers first: each figure of ours below is judged against them.
    let reference = peers(root.path(), runs);
    let start_target = format!(
        "<= {} ({})",
        support::ms(reference.start),
        reference.start_by
    );
    let rss_target = format!("<= {} ({})", mib(reference.rss_kib), reference.rss_by);

    for &n in &sizes {
        let dir = data_dir(n, root.path());
        let row = newest_short_id(n);
        // Warm-up: binary and database in the page cache, WAL files created.
        for _ in 0..2 {
            start_run(&bin, &dir, row.as_deref());
        }
        let mut form = Vec::new();
        let mut tokens = Vec::new();
        let mut hwm = 0;
        for _ in 0..runs {
            let r = start_run(&bin, &dir, row.as_deref());
            form.push(r.form);
            tokens.push(r.tokens);
            hwm = hwm.max(r.hwm_form_kib);
        }
        let size = support::label(n);
        let (f50, f90) = med(&mut form);
        let (t50, t90) = med(&mut tokens);
        println!(
            "first frame {size:>4}  form median {} p90 {}  tokens median {} p90 {}  peak RSS at form {}",
            support::ms(f50),
            support::ms(f90),
            support::ms(t50),
            support::ms(t90),
            mib(hwm)
        );
        support::summary(
            &format!("start to Generate form, {size} records (median, {runs} runs)"),
            &support::ms(f50),
            &start_target,
            Some(f50 <= reference.start),
        );
        support::summary(
            &format!("start to tokens list with rows (Alt+2), {size} records"),
            &support::ms(t50),
            &start_target,
            Some(t50 <= reference.start),
        );
        support::summary(
            &format!("peak RSS at first frame, {size} records"),
            &mib(hwm),
            &rss_target,
            Some(hwm <= reference.rss_kib),
        );
        if let Some(row) = &row
            && std::env::var_os("VERIFF_BENCH_NO_APP_FILTER").is_none()
        {
            filter_keystrokes(&bin, &dir, n, row, runs);
        }
        if n == 1_000_000
            && let Some(row) = &row
        {
            let hwm = scroll_and_filter_hwm(&bin, &dir, row);
            println!(
                "peak RSS 1M after 50 PgDn, End, filter \"smith\": {}",
                mib(hwm)
            );
            support::summary(
                "peak RSS at 1M after scrolling and filtering",
                &mib(hwm),
                "< 40 MB",
                Some(hwm * 1024 < 40_000_000),
            );
        }
    }

    frames();
}

fn settings() -> Settings {
    let dir = PathBuf::from("/nonexistent/veriff-tui-bench");
    let mut s = Settings {
        config: Config::default(),
        paths: Paths {
            config_file: dir.join("config.toml"),
            data_dir: dir.clone(),
            history_db: dir.join("history.sqlite3"),
            log_file: dir.join("veriff-tui.log"),
            export_dir: dir.join("exports"),
        },
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
    s.profile_name = support::profile().into();
    s
}

/// Answers the store effects an update asked for from the real store.
fn answer(state: &mut State, store: &Store, effects: Vec<Effect>) {
    let now = support::fixture_end();
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        let msg = match e {
            Effect::List(Load::Count { seq, query, cap }) => Msg::Count {
                seq,
                cap,
                result: store.count_up_to(&query, cap).map_err(|e| e.to_string()),
            },
            Effect::List(Load::Page {
                seq,
                query,
                from_end,
                count,
            }) => Msg::Page {
                seq,
                offset: query.offset,
                result: match (from_end, count) {
                    (true, _) => store
                        .last_page(&query)
                        .map(|rows| veriff_tui::history::Page {
                            rows,
                            ..Default::default()
                        }),
                    (false, Some(cap)) => store.first_page_counted(&query, cap),
                    (false, None) => store.page_counted(&query),
                }
                .map_err(|e| e.to_string()),
            },
            Effect::StatusCounts { .. } => {
                Msg::StatusCounts(store.status_counts(None, now).map_err(|e| e.to_string()))
            }
            Effect::DashboardData { .. } => Msg::DashboardData(
                store
                    .per_day(None, veriff_tui::tui::app::DASHBOARD_DAYS, now)
                    .and_then(|per_day| {
                        Ok(DashboardData {
                            per_day,
                            latest: store
                                .latest_decisions(None, veriff_tui::tui::app::DASHBOARD_LATEST)?,
                        })
                    })
                    .map_err(|e| e.to_string()),
            ),
            _ => continue,
        };
        queue.extend(update(state, msg));
    }
}

fn frames() {
    let n = 100_000;
    let store = Store::open(&support::fixture(n)).expect("open the fixture");
    let env = Env {
        palette: veriff_tui::tui::theme::Palette::Extended,
        now: support::fixture_end(),
        tz: Zone::Local,
        size: (COLS, ROWS),
    };
    let mut state = State::new(settings(), env);
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).expect("test terminal");
    let alt = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
    for (name, key) in [
        ("Generate", '1'),
        ("Generated tokens", '2'),
        ("Dashboard", '3'),
    ] {
        let effects = update(&mut state, alt(key));
        answer(&mut state, &store, effects);
        let runs = support::sample(2000, Duration::from_secs(3), || {
            // Steady state: the whole view is rendered and diffed against the last frame.
            terminal
                .draw(|f| veriff_tui::tui::view::draw(f, &state))
                .expect("draw");
        });
        let p50 = support::percentile(&runs, 50.0);
        let p99 = support::percentile(&runs, 99.0);
        println!(
            "frame {name:<17} 100k  p50 {:>9}  p99 {:>9}  ({} runs)",
            support::ms(p50),
            support::ms(p99),
            runs.len()
        );
        support::summary(
            &format!("one frame, {name} screen, 100k (120x40)"),
            &format!("p50 {} / p99 {}", support::ms(p50), support::ms(p99)),
            "< 2 ms",
            Some(p99 < FRAME_TARGET),
        );
    }
}
