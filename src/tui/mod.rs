//! The terminal UI (The Elm Architecture): one state, one update, a pure view.
//!
//! This file holds `run` and the main loop: messages in, `update`, effects out to the
//! runtime, one frame drawn. The terminal guard is in `terminal`, the sources of messages in
//! `events`, the effects' work in `runtime`: every piece of I/O runs in a task and answers
//! with a message, so a frame never waits on the network, the disk or the clipboard.

pub mod app;
mod backend;
mod events;
pub mod form;
pub mod form_layout;
pub mod glyphs;
pub mod graphics;
pub mod help_text;
pub mod hyperlinks;
pub mod inspection_text;
pub mod inspector;
pub mod languages;
pub mod layout;
pub mod list;
pub mod message;
mod opener;
mod runtime;
mod terminal;
pub mod theme;
pub mod ui_state;
pub mod view;
mod watch;
pub mod widgets;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ratatui::Terminal;
use tokio::sync::{OnceCell, mpsc};

use crate::clipboard::SystemClipboard;
use crate::config::Settings;

use app::{Env, State, update};
use backend::NoQueryBackend;
use events::{spawn_input_thread, spawn_signal_task};
use message::Msg;
use runtime::Runtime;
use terminal::{PANICKED, PanicHookGuard, TerminalGuard, TerminalWriter};

/// The last link generated in the app, which the caller prints after the terminal is
/// restored, so a link is never lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastLink {
    pub url: String,
    /// The API base of the sandbox that made it; `None` when Veriff made it.
    pub sandbox: Option<String>,
}

/// Runs the TUI until the user quits. Returns the last generated link.
pub async fn run(settings: Settings) -> std::io::Result<Option<LastLink>> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(std::io::Error::other(
            "the terminal UI needs a terminal on stdin and stdout; for scripts use `veriff-tui generate`",
        ));
    }
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") {
        // A dumb terminal cannot move the cursor: a screen drawn there is garbage.
        return Err(std::io::Error::other(
            "TERM=dumb cannot draw screens: run it in a terminal emulator (TERM=xterm-256color or the like), or use the command line (`veriff-tui generate --help`)",
        ));
    }
    // The data dir holds the log and the history: private to the user (0700).
    let _ = settings.ensure_data_dir();
    crate::logging::init(&settings.paths.log_file);
    tracing::info!(profile = %settings.profile_name, sandbox = settings.sandbox, "TUI starting");
    let mouse = settings.config.ui.mouse;
    let text_width = settings.config.ui.text_width;
    let clipboard_mode = settings.config.ui.clipboard;
    let history_db = settings.history_location();
    let ui_state_file = ui_state::path(&settings.paths.data_dir);

    let size = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let env = Env {
        palette: theme::Palette::detect(&|k| std::env::var(k).ok()),
        now: chrono::Utc::now(),
        tz: app::Zone::Local,
        size,
    };
    let mut state = State::new(settings, env);
    let vars = |k: &str| std::env::var(k).ok();
    state.hyperlinks = hyperlinks::supported(&vars, crate::tmux::version(&vars));
    state.width = terminal::width_model(text_width, |k| std::env::var(k).ok());
    // How the last run was left: read once here, before the first frame.
    state.restore(ui_state::load(&ui_state_file));
    // The window's size in pixels is an ioctl, not a query the input thread could see.
    let window = ratatui::crossterm::terminal::window_size()
        .ok()
        .map(|w| (w.columns, w.rows, w.width, w.height));
    state.graphics = graphics::detect(&vars, window);
    tracing::info!(graphics = ?state.graphics, "pictures");
    tracing::info!(model = ?state.width, "text width");

    PANICKED.store(false, Ordering::SeqCst);
    let hook = PanicHookGuard::install();
    let guard = TerminalGuard::enter(mouse, state.width)?;
    let mut terminal = Terminal::new(NoQueryBackend::new(std::io::stdout()))?;
    terminal.clear()?;

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input_thread(tx.clone(), stop.clone());
    let signals = spawn_signal_task(tx.clone());

    let clipboard = SystemClipboard::new(
        clipboard_mode,
        Box::new(TerminalWriter::new(out_tx.clone())),
    );
    tracing::info!(method = ?clipboard.method(), tmux = clipboard.in_tmux(), hyperlinks = state.hyperlinks, "clipboard");
    let mut runtime = Runtime {
        tx: tx.clone(),
        store: Arc::new(OnceCell::new()),
        history_db,
        client: None,
        clipboard: Arc::new(Mutex::new(clipboard)),
        writes: Vec::new(),
        screen: out_tx.clone(),
        mouse,
        list_seq: Arc::new(AtomicU64::new(0)),
        page_gen: Arc::new(AtomicU64::new(0)),
        jobs: Vec::new(),
        ui_state_file,
        ui_state_saves: (0, Arc::new(Mutex::new(0))),
    };
    let watcher = watch::spawn(
        runtime.store.clone(),
        runtime.history_db.clone(),
        tx.clone(),
    );

    let result = main_loop(
        &mut state,
        &mut terminal,
        &mut rx,
        &mut out_rx,
        &mut runtime,
    )
    .await;

    watcher.abort();
    stop.store(true, Ordering::SeqCst);
    if let Some(t) = signals {
        t.abort();
    }
    drop(terminal);
    drop(guard);
    drop(hook);
    // A session just created must reach the history even when the operator quits at once.
    let mut writes = std::mem::take(&mut runtime.writes);
    let finish = async {
        for w in &mut writes {
            let _ = w.await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), finish)
        .await
        .is_err()
    {
        // A long export or refresh is stopped rather than cut off by the exit: the export
        // removes its partial files.
        runtime.stop_jobs();
        let stopped = async {
            for w in writes.iter_mut().filter(|w| !w.is_finished()) {
                let _ = w.await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(2), stopped)
            .await
            .is_err()
        {
            tracing::warn!("history writes did not finish within 7 s of quitting");
        }
    }
    tracing::info!("TUI stopped");
    result.map(|()| {
        state.last_url.clone().map(|url| LastLink {
            url,
            sandbox: state.last_url_sandbox.clone(),
        })
    })
}

async fn main_loop(
    state: &mut State,
    terminal: &mut Terminal<NoQueryBackend<std::io::Stdout>>,
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
        let mut repaint = false;
        // Apply everything queued, then draw once.
        while let Some(msg) = next {
            repaint |= matches!(msg, Msg::Resize(..));
            for effect in update(state, msg) {
                // Back from the normal screen: what was drawn before is to be drawn again.
                repaint |= matches!(effect, app::Effect::BackFromUrlLine);
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
        // The URL is on the normal screen (`u`): nothing is drawn over it.
        if state.url_line.is_some() {
            continue;
        }
        if repaint {
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
    terminal: &mut Terminal<NoQueryBackend<std::io::Stdout>>,
) -> std::io::Result<()> {
    terminal.draw(|f| view::draw(f, state))?;
    Ok(())
}

/// Bytes for the terminal itself (OSC 52), written between frames so they never split one.
fn write_raw(terminal: &mut Terminal<NoQueryBackend<std::io::Stdout>>, bytes: &[u8]) {
    let backend = terminal.backend_mut();
    if let Err(e) = backend.write_all(bytes).and_then(|()| backend.flush()) {
        tracing::warn!("could not write to the terminal: {e}");
    }
}
