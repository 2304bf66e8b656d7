//! The command line: parses, loads the settings, and hands each command to its file. The
//! commands gather input, call the operations in `ops`, and print what they return.
//!
//! Exit codes: 0 success, 1 local failure (history file, I/O), 2 usage or configuration
//! error, 3 error answered by the API, 4 network error.

mod args;
mod bar;
mod batch;
mod config_cmd;
mod decision;
#[cfg(feature = "dev-seed")]
mod dev_seed;
mod failure;
mod generate;
mod history;
mod import;
mod in_process;
mod inspect;
mod listen;
mod move_aside;
mod output;
mod sandbox;
mod set_secret;
mod shutdown;
mod sync;

use clap::{CommandFactory, Parser};

pub use args::*;
pub use decision::describe_decision;
// The TUI's details list media sizes as `inspect` prints them.
pub use failure::{EXIT_API, EXIT_LOCAL, EXIT_NETWORK, EXIT_USAGE, Failure};
pub use inspect::human_size;

use crate::config::{self, Overrides, Settings};
use crate::history::Store;
use crate::text::sanitize;

type Outcome = Result<(), Failure>;

/// Parses the command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that print to stdout and exit 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    if matches!(cli.command, Some(Command::InternalClipboardHold)) {
        return crate::clipboard::hold_from_stdin();
    }
    if let Some(Command::Completions { shell }) = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "veriff-tui", &mut script);
        return match output::write_all(&script) {
            Ok(()) => 0,
            Err(f) => failure::report(f),
        };
    }
    // The TUI and the foreground sandbox serve many things at once: two workers. A one-shot
    // command awaits one request at a time, so it runs on this thread and spares starting
    // (and joining) worker threads.
    let mut builder = match cli.command {
        None | Some(Command::Sandbox { .. }) | Some(Command::Listen { .. }) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
        Some(_) => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return failure::report(Failure::new(EXIT_LOCAL, format!("cannot start: {e}")));
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(f) => failure::report(f),
    }
}

async fn run(cli: Cli) -> Outcome {
    let overrides = Overrides {
        config_file: cli.global.config.clone(),
        data_dir: cli.global.data_dir.clone(),
        profile: cli.global.profile.clone(),
    };
    let mut settings = config::load(&overrides)?;
    let interactive = cli.command.is_none();
    if !interactive {
        // The TUI shows these itself; elsewhere stderr is the place.
        for w in &settings.warnings {
            output::warn(w);
        }
        crate::logging::init(&settings.paths.log_file);
    }
    // Kept for the whole command; stopped when it ends (dropped on an early return).
    let in_process = if cli.global.sandbox && !matches!(cli.command, Some(Command::Sandbox { .. }))
    {
        Some(in_process::start(&mut settings, interactive).await?)
    } else {
        None
    };
    let outcome = run_command(cli.command, settings).await;
    if let Some(in_process) = in_process {
        in_process.stop().await;
    }
    outcome
}

async fn run_command(command: Option<Command>, settings: Settings) -> Outcome {
    match command {
        None => run_tui(settings).await,
        Some(Command::Generate(args)) => generate::run(&settings, *args).await,
        Some(Command::History(args)) => history::run(&settings, args),
        Some(Command::Decision(args)) => decision::run(&settings, args).await,
        Some(Command::Inspect(args)) => inspect::run(&settings, args).await,
        Some(Command::Sandbox {
            port,
            listen,
            public_url,
            webhook_url,
        }) => sandbox::run(&settings, port, listen, public_url, webhook_url).await,
        Some(Command::Listen { port, listen }) => listen::run(&settings, port, listen).await,
        Some(Command::Config { action }) => config_cmd::run(&settings, action),
        #[cfg(feature = "dev-seed")]
        Some(Command::DevSeedHistory(args)) => dev_seed::run(&settings, args),
        Some(Command::Completions { .. }) | Some(Command::InternalClipboardHold) => Ok(()),
    }
}

async fn run_tui(mut settings: Settings) -> Outcome {
    // The profile's secret commands run, and the keyring is read, before the TUI takes the
    // terminal: an unlock window or agent prompt meets a terminal in its normal state, and
    // no screen freezes on them later. Blocking here holds up nothing: the one task that
    // may run already is the in-process sandbox, whose profile has nothing to fetch. A
    // failure is the TUI's first warning, and every request made with the profile
    // repeats it.
    if let Err(e) = settings.fetch_secrets() {
        settings.warnings.insert(0, e.to_string());
    }
    let in_process = in_process_sandbox(&settings);
    let last = crate::tui::run(settings)
        .await
        .map_err(|e| Failure::new(EXIT_LOCAL, format!("terminal UI failed: {e}")))?;
    if let Some(last) = last {
        // Printed after the terminal is restored, so the last link survives the session.
        output::line(&sanitize(&last.url))?;
        if let Some(made_by) = &last.sandbox {
            output::note(&sandbox::link_note(
                made_by,
                in_process.as_deref(),
                "the app",
            ));
        }
    }
    Ok(())
}

/// The API base of the sandbox this process runs (`--sandbox`), which stops with it.
fn in_process_sandbox(settings: &Settings) -> Option<String> {
    settings
        .origin
        .sandbox_profile
        .as_ref()
        .map(|p| p.base_url.clone())
}

fn open_store(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_at(&settings.history_location())?)
}
