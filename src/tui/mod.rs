//! The terminal UI (The Elm Architecture): one state, one update, a pure view.
//!
//! This file owns the terminal (the guard restores it on drop, panic and signals), the main
//! loop, and the effects: every piece of I/O runs in a task and answers with a message, so a
//! frame never waits on the network, the disk or the clipboard.

pub mod app;
pub mod form;
pub mod languages;
pub mod list;
pub mod message;
pub mod theme;
pub mod view;
pub mod widgets;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use tokio::sync::{OnceCell, mpsc};
use tokio::task::JoinHandle;

use crate::clipboard::{Clipboard, SystemClipboard};
use crate::config::Settings;
use crate::history::{NewRecord, Store};
use crate::veriff::{Client, CreateSessionRequest};

use app::{Effect, Env, State, update};
use list::Load;
use message::Msg;

/// Set by the panic hook: the terminal is already restored, the loop must stop drawing.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Runs the TUI until the user quits. Returns the last generated URL, which the caller
/// prints after the terminal is restored, so a link is never lost.
pub async fn run(settings: Settings) -> std::io::Result<Option<String>> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(std::io::Error::other(
            "the terminal UI needs a terminal on stdin and stdout; for scripts use `veriff-tui generate`",
        ));
    }
    // The data dir holds the log and the history: private to the user (0700).
    let _ = settings.ensure_data_dir();
    crate::logging::init(&settings.paths.log_file);
    tracing::info!(profile = %settings.profile_name, sandbox = settings.sandbox, "TUI starting");
    let mouse = settings.config.ui.mouse;
    let clipboard_mode = settings.config.ui.clipboard;
    let history_db = settings.paths.history_db.clone();

    let size = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let env = Env {
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        now: chrono::Utc::now(),
        tz: app::Zone::Local,
        size,
    };
    let mut state = State::new(settings, env);

    PANICKED.store(false, Ordering::SeqCst);
    let hook = PanicHookGuard::install();
    let guard = TerminalGuard::enter(mouse)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input_thread(tx.clone(), stop.clone());
    let signals = spawn_signal_task(tx.clone());

    let clipboard = SystemClipboard::new(clipboard_mode, Box::new(TerminalWriter::new(out_tx)));
    tracing::info!(method = ?clipboard.method(), "clipboard");
    let mut runtime = Runtime {
        tx: tx.clone(),
        store: Arc::new(OnceCell::new()),
        history_db,
        create_task: None,
        client: None,
        clipboard: Arc::new(Mutex::new(clipboard)),
        writes: Vec::new(),
        list_seq: Arc::new(AtomicU64::new(0)),
        page_gen: Arc::new(AtomicU64::new(0)),
    };

    let result = main_loop(
        &mut state,
        &mut terminal,
        &mut rx,
        &mut out_rx,
        &mut runtime,
    )
    .await;

    stop.store(true, Ordering::SeqCst);
    if let Some(t) = signals {
        t.abort();
    }
    if let Some(t) = runtime.create_task.take() {
        t.abort();
    }
    drop(terminal);
    drop(guard);
    drop(hook);
    // A session just created must reach the history even when the operator quits at once.
    let writes = std::mem::take(&mut runtime.writes);
    let finish = async {
        for w in writes {
            let _ = w.await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), finish)
        .await
        .is_err()
    {
        tracing::warn!("history writes did not finish within 5 s of quitting");
    }
    tracing::info!("TUI stopped");
    result.map(|()| state.last_url.clone())
}

async fn main_loop(
    state: &mut State,
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    out_rx: &mut mpsc::UnboundedReceiver<Vec<u8>>,
    runtime: &mut Runtime,
) -> std::io::Result<()> {
    let mut ticker = tokio::time::interval(Duration::from_millis(80));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut auto_refresh = auto_refresh_timer(state.settings.config.ui.refresh_interval_secs);
    let mut out_open = true;
    draw(state, terminal)?;
    // A test hook, in every build: lets the tests prove the terminal survives a panic of
    // the binary as shipped (release included).
    if std::env::var_os("VERIFF_TUI_TEST_PANIC").is_some() {
        panic!("panic requested by VERIFF_TUI_TEST_PANIC (a test hook)");
    }
    loop {
        let first = tokio::select! {
            bytes = out_rx.recv(), if out_open => {
                match bytes {
                    Some(bytes) => write_raw(terminal, &bytes),
                    None => out_open = false,
                }
                continue;
            }
            msg = rx.recv() => match msg {
                Some(m) => m,
                None => return Ok(()),
            },
            _ = ticker.tick(), if state.busy() => Msg::Tick,
            _ = tick_auto(&mut auto_refresh) => Msg::AutoRefresh,
        };
        let mut next = Some(first);
        let mut resized = false;
        // Apply everything queued, then draw once.
        while let Some(msg) = next {
            resized |= matches!(msg, Msg::Resize(..));
            for effect in update(state, msg) {
                runtime.run(effect);
            }
            next = rx.try_recv().ok();
        }
        while let Ok(bytes) = out_rx.try_recv() {
            write_raw(terminal, &bytes);
        }
        if PANICKED.load(Ordering::SeqCst) {
            return Err(std::io::Error::other(
                "an internal error stopped the TUI; details are in the log file",
            ));
        }
        if state.quit {
            return Ok(());
        }
        state.now = chrono::Utc::now();
        if resized {
            // A terminal shrunk and grown back between two reads reports the old size again,
            // yet has lost what was drawn: repaint everything rather than a diff.
            terminal.clear()?;
        }
        draw(state, terminal)?;
    }
}

/// The auto-refresh of pending decisions (`ui.refresh_interval_secs`; `None`: off). The
/// first run comes one interval after start, not at once.
fn auto_refresh_timer(secs: Option<u64>) -> Option<tokio::time::Interval> {
    let period = Duration::from_secs(secs.filter(|s| *s > 0)?);
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    // A run longer than the interval (or a suspended laptop) does not queue runs.
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Some(timer)
}

async fn tick_auto(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn draw(
    state: &State,
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
) -> std::io::Result<()> {
    terminal.draw(|f| view::draw(f, state))?;
    Ok(())
}

/// Bytes for the terminal itself (OSC 52), written between frames so they never split one.
fn write_raw(terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>, bytes: &[u8]) {
    let backend = terminal.backend_mut();
    if let Err(e) = backend.write_all(bytes).and_then(|()| backend.flush()) {
        tracing::warn!("could not write to the terminal: {e}");
    }
}

/// Hands what the clipboard writes to the main loop, one flush at a time.
struct TerminalWriter {
    buf: Vec<u8>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl TerminalWriter {
    fn new(tx: mpsc::UnboundedSender<Vec<u8>>) -> Self {
        Self {
            buf: Vec::new(),
            tx,
        }
    }
}

impl Write for TerminalWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.tx
            .send(std::mem::take(&mut self.buf))
            .map_err(|_| std::io::Error::other("the terminal is closed"))
    }
}

fn spawn_input_thread(tx: mpsc::UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("tui-input".into())
        .spawn(move || {
            // Polling with a timeout lets the thread notice the app has stopped.
            while !stop.load(Ordering::SeqCst) {
                match event::poll(Duration::from_millis(200)) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if let Some(msg) = Msg::from_event(ev)
                                && tx.send(msg).is_err()
                            {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::error!("reading the terminal failed: {e}");
                            let _ = tx.send(Msg::Quit);
                            break;
                        }
                    },
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!("polling the terminal failed: {e}");
                        let _ = tx.send(Msg::Quit);
                        break;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("could not start the input thread: {e}");
    }
}

fn spawn_signal_task(tx: mpsc::UnboundedSender<Msg>) -> Option<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut hup = signal(SignalKind::hangup()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    Some(tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = hup.recv() => tracing::info!("SIGHUP"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
        let _ = tx.send(Msg::Quit);
    }))
}

/// Puts the terminal back as it was: main screen, cooked mode, cursor, no paste or mouse
/// reporting. Safe to call more than once.
fn restore_terminal(mouse: bool) {
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

struct TerminalGuard {
    mouse: bool,
}

impl TerminalGuard {
    fn enter(mouse: bool) -> std::io::Result<Self> {
        let guard = TerminalGuard { mouse };
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal(self.mouse);
    }
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Restores the terminal before the panic message is printed, so it is readable; puts the
/// previous hook back when the TUI ends.
struct PanicHookGuard {
    previous: Arc<PanicHook>,
}

impl PanicHookGuard {
    fn install() -> Self {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore_terminal(true);
            tracing::error!("panic: {info}");
            chained(info);
        }));
        Self { previous }
    }
}

impl Drop for PanicHookGuard {
    fn drop(&mut self) {
        // Unwinding from a panic of the UI thread: set_hook would panic again (and abort);
        // the process is ending, the hook may stay.
        if std::thread::panicking() {
            return;
        }
        let previous = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

type SharedStore = Arc<Mutex<Store>>;

/// Runs effects: each in a task that sends its answer back as a message.
struct Runtime {
    tx: mpsc::UnboundedSender<Msg>,
    /// Opened on first use, in a blocking task, never on the UI thread.
    store: Arc<OnceCell<SharedStore>>,
    history_db: PathBuf,
    create_task: Option<JoinHandle<()>>,
    /// One HTTP client per profile, reused.
    client: Option<(String, Client)>,
    clipboard: Arc<Mutex<SystemClipboard>>,
    /// History writes (saves, deletes) still running: awaited before `run` returns.
    writes: Vec<JoinHandle<()>>,
    /// Sequence number of the newest Generated tokens query.
    list_seq: Arc<AtomicU64>,
    /// How many pages were asked for: only the latest is worth running.
    page_gen: Arc<AtomicU64>,
}

/// Runs `f` on the store in a blocking task.
async fn with_store<T: Send + 'static>(
    cell: Arc<OnceCell<SharedStore>>,
    path: PathBuf,
    f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
) -> Result<T, String> {
    let store = shared_store(cell, path).await?;
    crate::refresh::on_store(&store, f).await
}

/// The store, opened on first use in a blocking task (shared with [`with_store`]). A failed
/// open is not remembered: the next use tries again (the file may be unlocked).
async fn shared_store(
    cell: Arc<OnceCell<SharedStore>>,
    path: PathBuf,
) -> Result<SharedStore, String> {
    cell.get_or_try_init(|| async move {
        tokio::task::spawn_blocking(move || {
            Store::open(&path)
                .map(|s| Arc::new(Mutex::new(s)))
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("opening the history failed: {e}")))
    })
    .await
    .cloned()
}

impl Runtime {
    /// The client for `endpoint`, reused while the profile stays the same.
    fn client_for(
        &mut self,
        endpoint: &crate::veriff::Endpoint,
    ) -> Result<Client, crate::veriff::ApiError> {
        let key = format!("{}|{}", endpoint.base_url, endpoint.api_key);
        match &self.client {
            Some((k, c)) if *k == key => Ok(c.clone()),
            _ => Client::new(endpoint).inspect(|c| {
                self.client = Some((key, c.clone()));
            }),
        }
    }

    /// A test, run before and while the query runs, of whether it is still wanted: a query
    /// made stale by newer typing (a later `seq`) or, for pages, by a later page request is
    /// skipped or stopped, so a fast typist or a held PgDn never waits behind a slow query.
    fn list_marker(&mut self, seq: u64, page: bool) -> impl Fn() -> bool + Send + Clone + 'static {
        self.list_seq.fetch_max(seq, Ordering::SeqCst);
        let latest_seq = self.list_seq.clone();
        let page_gen = self.page_gen.clone();
        let my_gen = if page {
            page_gen.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            0
        };
        move || {
            latest_seq.load(Ordering::SeqCst) == seq
                && (!page || page_gen.load(Ordering::SeqCst) == my_gen)
        }
    }

    /// A list query that answers only when still wanted when its turn comes.
    fn list_task<T: Send + 'static>(
        &self,
        fresh: impl Fn() -> bool + Send + Clone + 'static,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        let cell = self.store.clone();
        let path = self.history_db.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = with_store(cell, path, move |s| s.while_wanted(fresh, f)).await;
            match result {
                Ok(Some(v)) => {
                    let _ = tx.send(answer(Ok(v)));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!("history: {e}");
                    let _ = tx.send(answer(Err(e)));
                }
            }
        });
    }

    fn store_task<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        // Reads need no waiting for: their answer only matters while the UI runs.
        drop(self.spawn_store(f, answer));
    }

    /// Like `store_task`, but the write is awaited before the TUI returns.
    fn write_task<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        self.writes.retain(|w| !w.is_finished());
        let handle = self.spawn_store(f, answer);
        self.writes.push(handle);
    }

    fn spawn_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) -> JoinHandle<()> {
        let cell = self.store.clone();
        let path = self.history_db.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = with_store(cell, path, f).await;
            if let Err(e) = &result {
                tracing::warn!("history: {e}");
            }
            let _ = tx.send(answer(result));
        })
    }

    fn run(&mut self, effect: Effect) {
        match effect {
            Effect::CreateSession {
                seq,
                endpoint,
                input,
                legacy,
            } => {
                let key = format!("{}|{}", endpoint.base_url, endpoint.api_key);
                let client = match &self.client {
                    Some((k, c)) if *k == key => Ok(c.clone()),
                    _ => Client::new(&endpoint).inspect(|c| {
                        self.client = Some((key, c.clone()));
                    }),
                };
                let tx = self.tx.clone();
                if let Some(old) = self.create_task.take() {
                    old.abort();
                }
                self.create_task = Some(tokio::spawn(async move {
                    let result = match client {
                        Ok(client) => {
                            let request = CreateSessionRequest::from_input(
                                &input,
                                legacy,
                                chrono::Utc::now(),
                            );
                            client.create_session(&request).await
                        }
                        Err(e) => Err(e),
                    };
                    match &result {
                        Ok(s) => tracing::info!(session = %s.id, "session created"),
                        Err(e) => tracing::warn!("create session failed: {e}"),
                    }
                    let _ = tx.send(Msg::Created {
                        seq,
                        result: Box::new(result),
                    });
                }));
            }
            Effect::CancelCreate => {
                if let Some(t) = self.create_task.take() {
                    t.abort();
                    tracing::info!("create session cancelled by the user");
                }
            }
            Effect::Save {
                profile,
                base_url,
                sandbox,
                input,
                session,
            } => self.write_task(
                move |s| {
                    s.insert(&NewRecord {
                        profile: &profile,
                        base_url: &base_url,
                        sandbox,
                        input: &input,
                        session: &session,
                    })
                },
                |r| Msg::Saved(Box::new(r)),
            ),
            Effect::Copy { what, text } => {
                let clipboard = self.clipboard.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let outcome = match clipboard.lock() {
                        Ok(mut c) => c.copy(&text),
                        Err(_) => crate::clipboard::CopyOutcome::Failed(
                            "the clipboard is unavailable after an earlier failure".into(),
                        ),
                    };
                    tracing::info!(?what, ?outcome, "copy");
                    let _ = tx.send(Msg::Copied { what, outcome });
                });
            }
            Effect::List(Load::Count { seq, query, cap }) => {
                let fresh = self.list_marker(seq, false);
                self.list_task(
                    fresh,
                    move |s| s.count_up_to(&query, cap),
                    move |result| Msg::Count { seq, cap, result },
                );
            }
            Effect::List(Load::Page {
                seq,
                query,
                from_end,
            }) => {
                let offset = query.offset;
                let fresh = self.list_marker(seq, true);
                self.list_task(
                    fresh,
                    move |s| {
                        if from_end {
                            s.last_page(&query)
                        } else {
                            s.page(&query)
                        }
                    },
                    move |result| Msg::Page {
                        seq,
                        offset,
                        result,
                    },
                );
            }
            Effect::Delete { id } => self.write_task(
                move |s| s.delete(id),
                move |result| Msg::Deleted { id, result },
            ),
            Effect::StatusCounts { profile } => self.store_task(
                move |s| s.status_counts(Some(&profile), chrono::Utc::now()),
                Msg::StatusCounts,
            ),
            Effect::Export { query, dir } => {
                // Named after the local time, as the operator reads the clock.
                let stamp = chrono::Local::now().naive_local();
                // A write: an export started just before quitting still lands whole.
                self.write_task(
                    move |s| Ok(crate::export::export_to_dir(s, &query, &dir, stamp)),
                    |r| Msg::Exported(r.and_then(|inner| inner)),
                );
            }
            Effect::RefreshOne {
                endpoint,
                session_id,
            } => {
                let client = self.client_for(&endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let refreshed = match (client, shared_store(cell, path).await) {
                        (Ok(client), Ok(store)) => {
                            crate::refresh::refresh_one(&client, &store, &session_id).await
                        }
                        (Err(e), _) => crate::refresh::Refreshed {
                            session_id,
                            result: Err(e),
                            store_error: None,
                            record: None,
                        },
                        // Without the history the answer can still be shown, not kept.
                        (Ok(client), Err(e)) => crate::refresh::Refreshed {
                            result: client.decision(&session_id).await,
                            session_id,
                            store_error: Some(e),
                            record: None,
                        },
                    };
                    let _ = tx.send(Msg::Refreshed(Box::new(refreshed)));
                });
                self.writes.retain(|w| !w.is_finished());
                self.writes.push(handle);
            }
            Effect::RefreshPending {
                run,
                endpoint,
                profile,
            } => {
                let client = self.client_for(&endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let api_base = endpoint.base_url.clone();
                tokio::spawn(async move {
                    let result = async {
                        let client = client.map_err(|e| e.to_string())?;
                        let store = shared_store(cell, path).await?;
                        let started = tx.clone();
                        let each = tx.clone();
                        crate::refresh::refresh_pending(
                            &client,
                            &store,
                            &profile,
                            &api_base,
                            move |total| {
                                let _ = started.send(Msg::RefreshStarted { run, total });
                            },
                            move |r, done, total| {
                                let _ = each.send(Msg::RefreshProgress {
                                    run,
                                    done,
                                    total,
                                    record: r.record.clone().map(Box::new),
                                });
                            },
                        )
                        .await
                    }
                    .await;
                    match &result {
                        Ok(s) => tracing::info!(?s, "pending decisions refreshed"),
                        Err(e) => tracing::warn!("refresh of pending decisions failed: {e}"),
                    }
                    let _ = tx.send(Msg::RefreshDone { run, result });
                });
            }
            Effect::DashboardData { profile } => self.store_task(
                move |s| {
                    let now = chrono::Utc::now();
                    Ok(app::DashboardData {
                        per_day: s.per_day(Some(&profile), app::DASHBOARD_DAYS, now)?,
                        latest: s.latest_decisions(Some(&profile), app::DASHBOARD_LATEST)?,
                    })
                },
                Msg::DashboardData,
            ),
            Effect::OpenUrl(url) => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Opened(open_url(&url)));
                });
            }
        }
    }
}

/// Opens an http(s) URL in the browser: the opener gets the URL as its one argument, no
/// shell is involved.
fn open_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("not opened: only http(s) links are opened".into());
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("not opened: could not run {opener}: {e}; copy the URL with c instead")
        })?;
    // xdg-open returns quickly; a failure (no browser configured) shows in its exit code.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!(
                    "not opened: {opener} failed ({status}); is a browser configured? Copy the URL with c instead"
                ));
            }
            Ok(None) if std::time::Instant::now() >= deadline => {
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("not opened: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clipboard::Method;

    fn runtime() -> Runtime {
        let (tx, _rx) = mpsc::unbounded_channel();
        Runtime {
            tx,
            store: Arc::new(OnceCell::new()),
            history_db: PathBuf::from("/nonexistent/history.sqlite3"),
            create_task: None,
            client: None,
            clipboard: Arc::new(Mutex::new(SystemClipboard::with_method(
                Method::Off,
                Box::new(Vec::new()),
            ))),
            writes: Vec::new(),
            list_seq: Arc::new(AtomicU64::new(0)),
            page_gen: Arc::new(AtomicU64::new(0)),
        }
    }

    #[test]
    fn only_the_newest_list_queries_are_run() {
        let mut rt = runtime();
        let count1 = rt.list_marker(1, false);
        let page1 = rt.list_marker(1, true);
        assert!(count1() && page1());
        // The selection moved on: a later page of the same query overtakes the first.
        let page1b = rt.list_marker(1, true);
        assert!(count1() && !page1() && page1b());
        // The filter changed: everything of query 1 is stale.
        let count2 = rt.list_marker(2, false);
        assert!(!count1() && !page1b() && count2());
    }

    #[test]
    fn the_opener_refuses_anything_but_http() {
        for url in ["file:///etc/passwd", "javascript:alert(1)", "--help", ""] {
            assert!(open_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn terminal_writer_hands_over_whole_flushes() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut w = TerminalWriter::new(tx);
        w.write_all(b"\x1b]52;c;").unwrap();
        w.write_all(b"aGk=\x07").unwrap();
        assert!(rx.try_recv().is_err(), "nothing before the flush");
        w.flush().unwrap();
        assert_eq!(rx.try_recv().unwrap(), b"\x1b]52;c;aGk=\x07".to_vec());
    }
}
