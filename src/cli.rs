//! Command-line definitions and the non-interactive commands.
//!
//! Exit codes: 0 success, 1 local failure (history file, I/O), 2 usage or configuration
//! error, 3 error answered by the API, 4 network error.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::{self, Overrides, Settings};
use crate::export::ExportError;
use crate::history::{NewRecord, Query, Record, Store};
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::text::sanitize;
use crate::veriff::{
    self, ApiError, Client, CreateSessionRequest, SessionInput, allows_http_callback,
};

pub const EXIT_LOCAL: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_API: i32 = 3;
pub const EXIT_NETWORK: i32 = 4;

/// Default port of `veriff-tui sandbox`, fixed so a profile can point at it.
pub const DEFAULT_SANDBOX_PORT: u16 = 8780;

#[derive(Debug, Parser)]
#[command(
    name = "veriff-tui",
    version,
    about = "Generate Veriff identity-verification session links, and keep their history",
    long_about = "Generate Veriff identity-verification session links, and keep their history.\n\n\
                  With no command, opens the terminal UI. Try it with no account: veriff-tui --sandbox"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file [env: VERIFF_TUI_CONFIG; default: <config dir>/veriff-tui/config.toml]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
    /// Directory for history and logs [env: VERIFF_TUI_DATA_DIR]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH"
    )]
    pub data_dir: Option<PathBuf>,
    /// Profile (Veriff integration) to use [env: VERIFF_PROFILE]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "NAME"
    )]
    pub profile: Option<String>,
    /// Start a local sandbox imitating Veriff and use it (no account needed)
    #[arg(long, global = true, help_heading = "Global options")]
    pub sandbox: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a verification session and print its URL
    Generate(GenerateArgs),
    /// List generated sessions, newest first
    History(HistoryArgs),
    /// Fetch the decision of a session (or of every pending one) and record it
    Decision(DecisionArgs),
    /// Run the local Veriff sandbox in the foreground
    Sandbox {
        /// Port to listen on (0 picks a free one)
        #[arg(long, default_value_t = DEFAULT_SANDBOX_PORT)]
        port: u16,
        /// Address to listen on; a LAN address (or 0.0.0.0) lets a phone open the links
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        listen: std::net::IpAddr,
        /// Base of the session URLs [default: http://ADDR:PORT]
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Show the paths used, or check the configuration
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
    /// Holds the clipboard content after the app exits (started by the app itself)
    #[command(hide = true, name = "internal-clipboard-hold")]
    InternalClipboardHold,
    /// Fills the history with fake records, for benchmarks and manual tries
    #[cfg(feature = "dev-seed")]
    #[command(hide = true, name = "dev-seed-history")]
    DevSeedHistory(DevSeedArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print every path veriff-tui uses
    Path,
    /// Validate the configuration and print the resolved settings (secrets masked)
    Check,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// First name of the person to verify
    #[arg(long, value_name = "NAME")]
    pub first_name: Option<String>,
    /// Last name of the person to verify
    #[arg(long, value_name = "NAME")]
    pub last_name: Option<String>,
    /// Flow language, ISO 639-1 (default from config: en)
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
    /// Do not request the SelfID flow
    #[arg(long)]
    pub no_selfid: bool,
    /// https URL the person is sent to after the flow (default: the profile's)
    #[arg(long, value_name = "URL")]
    pub callback: Option<String>,
    /// Your reference for this person, echoed back by Veriff (at most 1000 characters)
    #[arg(long, value_name = "TEXT")]
    pub vendor_data: Option<String>,
    /// Also copy the URL to the clipboard
    #[arg(long)]
    pub copy: bool,
    /// Print the stored record as JSON instead of the bare URL
    #[arg(long)]
    pub json: bool,
    /// Also print the URL as a QR code to scan with a phone (to stderr)
    #[arg(long)]
    pub qr: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only records whose names, session id or vendor data contain this
    #[arg(long, short, value_name = "TEXT")]
    pub search: Option<String>,
    /// How many records at most (0: every one, streamed)
    #[arg(long, short = 'n', default_value_t = 50)]
    pub limit: u64,
    /// Print as JSON
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print as CSV
    #[arg(long)]
    pub csv: bool,
    /// Move an unusable history file (damaged, or not veriff-tui's) aside under a new name,
    /// keeping it as it is, so that a new history starts
    #[arg(long, conflicts_with_all = ["search", "json", "csv"])]
    pub move_aside: bool,
}

#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// Session id (as printed by generate or history)
    #[arg(required_unless_present = "pending", conflicts_with = "pending")]
    pub session_id: Option<String>,
    /// Refresh every session of the profile that has no final decision yet
    #[arg(long)]
    pub pending: bool,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

/// A failure to report: one line of what happened, one of what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Self {
        Failure::new(EXIT_USAGE, e.to_string())
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = if e.is_usage() {
            EXIT_USAGE
        } else if e.is_network() {
            EXIT_NETWORK
        } else {
            EXIT_API
        };
        Failure::new(code, e.to_string()).hint(e.hint())
    }
}

impl From<crate::history::StoreError> for Failure {
    fn from(e: crate::history::StoreError) -> Self {
        match e {
            crate::history::StoreError::NotOurs { path } => Failure::new(
                EXIT_LOCAL,
                format!(
                    "{path} is not a veriff-tui history database (or it is damaged); it was left untouched"
                ),
            )
            .hint(MOVE_ASIDE_HINT),
            e @ crate::history::StoreError::Locked { .. } => Failure::new(EXIT_LOCAL, e.to_string())
                .hint("Close the other program using it (another veriff-tui?)."),
            e @ crate::history::StoreError::Io { .. } => Failure::new(EXIT_LOCAL, e.to_string())
                .hint("Check that path (veriff-tui config path lists every path), or use --data-dir for another directory."),
            e => Failure::new(EXIT_LOCAL, e.to_string()),
        }
    }
}

/// How to go on when the history file cannot be used.
const MOVE_ASIDE_HINT: &str = "Run `veriff-tui history --move-aside` to keep it under a new name and start a new history, or use --data-dir for a separate one.";

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
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "veriff-tui",
            &mut std::io::stdout(),
        );
        return 0;
    }
    // The TUI and the foreground sandbox serve many things at once: two workers. A one-shot
    // command awaits one request at a time, so it runs on this thread and spares starting
    // (and joining) worker threads.
    let mut builder = match cli.command {
        None | Some(Command::Sandbox { .. }) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
        Some(_) => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return report(Failure::new(EXIT_LOCAL, format!("cannot start: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(f) => report(f),
    }
}

fn report(f: Failure) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {}", sanitize(&f.message));
    if let Some(h) = f.hint {
        let _ = writeln!(err, "  hint: {}", sanitize(&h));
    }
    f.code
}

fn warn(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {}", sanitize(line));
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
            warn(w);
        }
        crate::logging::init(&settings.paths.log_file);
    }
    // Kept alive for the whole command: dropping it stops the server.
    let _sandbox = if cli.global.sandbox && !matches!(cli.command, Some(Command::Sandbox { .. })) {
        let sandbox = Sandbox::start(SandboxOptions::default())
            .await
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot start the sandbox: {e}")))?;
        settings.use_sandbox(
            sandbox.base_url(),
            sandbox.api_key(),
            sandbox.shared_secret(),
        );
        Some(sandbox)
    } else {
        None
    };
    match cli.command {
        None => run_tui(settings).await,
        Some(Command::Generate(args)) => generate(&settings, args).await,
        Some(Command::History(args)) => history(&settings, args),
        Some(Command::Decision(args)) => decision(&settings, args).await,
        Some(Command::Sandbox {
            port,
            listen,
            public_url,
        }) => sandbox(port, listen, public_url).await,
        Some(Command::Config { action }) => config_command(&settings, action),
        #[cfg(feature = "dev-seed")]
        Some(Command::DevSeedHistory(args)) => dev_seed_history(&settings, args),
        Some(Command::Completions { .. }) | Some(Command::InternalClipboardHold) => Ok(()),
    }
}

async fn run_tui(settings: Settings) -> Outcome {
    let last_url = crate::tui::run(settings)
        .await
        .map_err(|e| Failure::new(EXIT_LOCAL, format!("terminal UI failed: {e}")))?;
    if let Some(url) = last_url {
        // Printed after the terminal is restored, so the last link survives the session.
        println!("{}", sanitize(&url));
    }
    Ok(())
}

fn open_store(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open(&settings.paths.history_db)?)
}

/// True when the active profile talks to a sandbox (in-process or `veriff-tui sandbox`).
fn is_sandbox(settings: &Settings) -> bool {
    settings.sandbox
        || settings
            .profile
            .as_ref()
            .is_some_and(|p| p.api_key == crate::sandbox::SANDBOX_API_KEY)
}

async fn generate(settings: &Settings, args: GenerateArgs) -> Outcome {
    let endpoint = settings.endpoint()?;
    let profile_callback = settings
        .profile
        .as_ref()
        .and_then(|p| p.callback.clone())
        .unwrap_or_default();
    let input = SessionInput {
        first_name: args.first_name.unwrap_or_default(),
        last_name: args.last_name.unwrap_or_default(),
        lang: args
            .lang
            .unwrap_or_else(|| settings.config.form.lang.clone()),
        selfid: settings.config.form.selfid && !args.no_selfid,
        callback: args.callback.unwrap_or(profile_callback),
        vendor_data: args.vendor_data.unwrap_or_default(),
    };
    let problems = input.validate(allows_http_callback(&endpoint.base_url));
    if let Some((field, why)) = problems.first() {
        let flag = match field {
            veriff::Field::FirstName => "--first-name",
            veriff::Field::LastName => "--last-name",
            veriff::Field::Lang => "--lang",
            veriff::Field::Callback => "--callback",
            veriff::Field::VendorData => "--vendor-data",
        };
        return Err(Failure::new(EXIT_USAGE, format!("{flag} {why}")));
    }
    let client = Client::new(&endpoint)?;
    let request =
        CreateSessionRequest::from_input(&input, settings.legacy_fields(), chrono::Utc::now());
    let session = client.create_session(&request).await?;
    let url = sanitize(&session.url);

    // The session exists at Veriff now: whatever fails below, the link is printed.
    let new_record = NewRecord {
        profile: &settings.profile_name,
        base_url: &endpoint.base_url,
        sandbox: is_sandbox(settings),
        input: &input,
        session: &session,
    };
    let stored =
        open_store(settings).and_then(|store| store.insert(&new_record).map_err(Failure::from));
    let record = match stored {
        Ok(r) => Some(r),
        Err(f) => {
            warn(&format!(
                "the session was created but not saved to history: {}",
                f.message
            ));
            // Never "try again": that would create a second session.
            let hint = format!(
                "The link printed works; only its local record is missing, so keep a copy of it. {}",
                f.hint.as_deref().unwrap_or_default()
            );
            let _ = writeln!(
                std::io::stderr().lock(),
                "  hint: {}",
                sanitize(hint.trim_end())
            );
            None
        }
    };
    if args.json {
        // The same shape whether stored or not, so scripts can rely on it.
        let record = record.unwrap_or_else(|| Record::from_new(0, &new_record));
        let json = serde_json::to_string_pretty(&crate::export::ExportRow::new(
            &record,
            chrono::Utc::now(),
        ))
        .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        println!("{json}");
    } else {
        println!("{url}");
    }
    if args.qr {
        print_qr(&url);
    }
    if args.copy {
        let outcome = crate::clipboard::copy_once(settings.config.ui.clipboard, &url);
        let _ = writeln!(std::io::stderr().lock(), "{}", outcome.describe());
    }
    Ok(())
}

/// Dark on light whatever the terminal's theme, unless NO_COLOR asks for no colour.
fn print_qr(url: &str) {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    let lines = match crate::qr::lines(url) {
        Ok(lines) => lines,
        Err(e) => {
            let _ = writeln!(err, "warning: {e}");
            return;
        }
    };
    let colour = err.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for line in lines {
        let _ = if colour {
            writeln!(err, "\x1b[30;107m{line}\x1b[0m")
        } else {
            writeln!(err, "{line}")
        };
    }
}

fn history(settings: &Settings, args: HistoryArgs) -> Outcome {
    if args.move_aside {
        return move_history_aside(settings);
    }
    let store = open_store(settings)?;
    // Every profile; the limit goes to the streaming below, which pages by itself.
    let query = Query {
        search: args.search.filter(|s| !s.trim().is_empty()),
        ..Query::default()
    };
    // Streamed page by page: `-n 0` of a million records never holds them in memory.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if args.json || args.csv {
        let (csv, json): (Option<&mut dyn Write>, Option<&mut dyn Write>) = if args.json {
            (None, Some(&mut out))
        } else {
            (Some(&mut out), None)
        };
        crate::export::write_matching(&store, &query, args.limit, csv, json).map(drop)
    } else {
        write_history_table(&store, &query, args.limit, &mut out)
    };
    let written = written.and_then(|()| out.flush().map_err(ExportError::Write));
    match written {
        Ok(()) => Ok(()),
        Err(ExportError::Read(e)) => Err(e.into()),
        // The reader went away (`| head`): what it wanted was written.
        Err(ExportError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(ExportError::Write(e)) => Err(Failure::new(
            EXIT_LOCAL,
            format!("cannot write output: {e}"),
        )),
    }
}

/// `history --move-aside`: only a file that cannot be opened is moved; a usable or merely
/// locked one stays where it is.
fn move_history_aside(settings: &Settings) -> Outcome {
    let path = &settings.paths.history_db;
    let shown = sanitize(&path.display().to_string());
    if std::fs::symlink_metadata(path).is_err() {
        println!("nothing to move: there is no history file at {shown}");
        return Ok(());
    }
    match Store::open(path) {
        Ok(_) => {
            println!("nothing to move: the history at {shown} opens fine");
            return Ok(());
        }
        Err(e @ crate::history::StoreError::Locked { .. }) => return Err(e.into()),
        Err(_) => {}
    }
    let target = crate::history::move_aside(path)?;
    println!(
        "moved {shown} to {}; it is kept as it was, and a new history starts at {shown}",
        sanitize(&target.display().to_string())
    );
    Ok(())
}

fn write_history_table(
    store: &Store,
    query: &Query,
    limit: u64,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let now = chrono::Utc::now();
    let mut header = true;
    let written = crate::export::for_each_matching(store, query, limit, |r| {
        // The header only above a first row: an empty history gets a hint instead.
        if std::mem::take(&mut header) {
            writeln!(
                out,
                "{:<16}  {:<24}  {:<22}  {:<36}  URL",
                "CREATED", "NAME", "STATUS", "SESSION ID"
            )?;
        }
        let created = r
            .created_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M");
        let name = sanitize(&format!("{} {}", r.first_name, r.last_name));
        writeln!(
            out,
            "{created:<16}  {:<24}  {:<22}  {:<36}  {}",
            crate::veriff::response::truncate(name.trim(), 24),
            r.effective_status(now).label(),
            sanitize(&r.session_id),
            sanitize(&r.url)
        )
    })?;
    if written == 0 {
        match query.search.as_deref().filter(|_| query.has_search()) {
            Some(s) => writeln!(out, "No sessions match \"{}\".", sanitize(s.trim()))?,
            None => writeln!(
                out,
                "No sessions yet. Create one with: veriff-tui generate --first-name John --last-name Smith"
            )?,
        }
    }
    Ok(())
}

async fn decision(settings: &Settings, args: DecisionArgs) -> Outcome {
    let endpoint = settings.endpoint()?;
    let client = Client::new(&endpoint)?;
    let store = match open_store(settings) {
        Ok(s) => Some(s),
        // --pending reads its list from the history: nothing to do without it.
        Err(f) if args.pending => return Err(f),
        Err(f) => {
            warn(&format!(
                "history unavailable, nothing will be recorded: {}",
                f.message
            ));
            if let Some(h) = &f.hint {
                let _ = writeln!(std::io::stderr().lock(), "  hint: {}", sanitize(h));
            }
            None
        }
    };
    if args.pending {
        return refresh_pending(settings, &client, store, args.json).await;
    }
    let Some(id) = args.session_id.map(|s| s.trim().to_string()) else {
        return Err(Failure::new(EXIT_USAGE, "give a session id, or --pending"));
    };
    // A unique prefix from `history` is enough: the full id comes from the store.
    let known = store
        .as_ref()
        .and_then(|s| match s.find_by_session_id(&id) {
            Ok(found) => found,
            Err(e) => {
                warn(&format!("history lookup failed: {e}"));
                None
            }
        });
    let id = known.as_ref().map_or(id, |r| r.session_id.clone());
    let result = client.decision(&id).await.map_err(|e| {
        let not_found = matches!(e, ApiError::Http { status: 404, .. });
        let failure = Failure::from(e);
        if not_found {
            failure.hint(
                "No session with this id is known to this integration: check the id (veriff-tui history) and the profile.",
            )
        } else {
            failure
        }
    })?;
    match (&store, &known) {
        (Some(store), Some(_)) => {
            if let Err(e) = store.record_decision(&id, result.as_ref(), chrono::Utc::now()) {
                warn(&format!("decision not saved to history: {e}"));
            }
        }
        (Some(_), None) => warn("this session is not in the local history; nothing recorded"),
        (None, _) => {}
    }
    if args.json {
        let json = serde_json::to_string_pretty(&result)
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        println!("{json}");
    } else {
        println!("{}", describe_decision(result.as_ref()));
    }
    Ok(())
}

/// One line such as `approved (9001)` or `declined (9102): Physical document not used`.
pub fn describe_decision(d: Option<&veriff::Decision>) -> String {
    let Some(d) = d else {
        return "no decision yet".into();
    };
    let mut s = d.describe();
    if let Some(t) = d.decision_time.as_deref() {
        s.push_str(&format!(", decided {}", sanitize(t)));
    }
    s
}

/// Every pending session of the profile, through the same code as the TUI's `R`.
async fn refresh_pending(
    settings: &Settings,
    client: &Client,
    store: Option<Store>,
    json: bool,
) -> Outcome {
    let Some(store) = store else {
        return Err(Failure::new(
            EXIT_LOCAL,
            "--pending needs the history, which could not be opened",
        ));
    };
    let store: crate::refresh::SharedStore = std::sync::Arc::new(std::sync::Mutex::new(store));
    let mut rows = Vec::new();
    let mut network_failures = 0usize;
    let summary = crate::refresh::refresh_pending(
        client,
        &store,
        &settings.profile_name,
        client.base_url(),
        |_| {},
        |r, _, _| {
            let id = sanitize(&r.session_id);
            if let Err(e) = &r.result
                && e.is_network()
            {
                network_failures += 1;
            }
            if let Some(e) = &r.store_error {
                warn(&format!("{id}: decision not saved: {e}"));
            }
            if json {
                rows.push(serde_json::json!({
                    "session_id": id,
                    "decision": r.result.as_ref().ok(),
                    "error": r.result.as_ref().err().map(|e| e.to_string()),
                }));
            } else {
                let line = match &r.result {
                    Ok(d) => describe_decision(d.as_ref()),
                    Err(e) => format!("error: {}", sanitize(&e.to_string())),
                };
                println!("{id}  {line}");
            }
        },
    )
    .await
    .map_err(|e| Failure::new(EXIT_LOCAL, e))?;
    if json {
        let json = serde_json::to_string_pretty(&rows)
            .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot print JSON: {e}")))?;
        println!("{json}");
    }
    let skipped = match summary.skipped {
        0 => String::new(),
        n => format!(", {n} skipped (made by an earlier sandbox, gone with it)"),
    };
    let _ = writeln!(
        std::io::stderr().lock(),
        "{} pending checked: {} decided, {} without a decision yet, {} failed{skipped}",
        summary.total,
        summary.decided,
        summary.waiting,
        summary.failed
    );
    match (summary.failed, network_failures) {
        (0, _) => Ok(()),
        (f, n) if f == n => Err(Failure::new(EXIT_NETWORK, format!("{f} checks failed"))),
        (f, _) => Err(Failure::new(EXIT_API, format!("{f} checks failed"))),
    }
}

async fn sandbox(port: u16, listen: std::net::IpAddr, public_url: Option<String>) -> Outcome {
    let sandbox = Sandbox::start(SandboxOptions {
        port,
        listen: Some(listen),
        public_url,
        ..Default::default()
    })
    .await
    .map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            // A bad --public-url: nothing to do with the port.
            return Failure::new(EXIT_USAGE, format!("cannot start the sandbox: {e}"));
        }
        Failure::new(
            EXIT_LOCAL,
            format!(
                "cannot start the sandbox on {}: {e}",
                std::net::SocketAddr::new(listen, port)
            ),
        )
        .hint("Another program may use that port: try --port 0 for a free one.")
    })?;
    println!("veriff-tui sandbox: a local imitation of the Veriff API");
    println!("  base URL:      {}", sandbox.base_url());
    if sandbox.public_url() != sandbox.base_url() {
        println!("  session links: {}/v/…", sandbox.public_url());
    }
    println!("  API key:       {}", sandbox.api_key());
    println!("  shared secret: {}", sandbox.shared_secret());
    println!();
    println!("Use it from another terminal:");
    println!(
        "  export VERIFF_BASE_URL={} VERIFF_API_KEY={} VERIFF_SHARED_SECRET={}",
        sandbox.base_url(),
        sandbox.api_key(),
        sandbox.shared_secret()
    );
    println!("  veriff-tui generate --first-name John --last-name Smith");
    println!();
    println!("First names Approve, Decline and Resubmit decide at once. Ctrl+C stops it.");
    let _ = std::io::stdout().flush();
    wait_for_shutdown().await;
    Ok(())
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let hup = signal(SignalKind::hangup());
        if let (Ok(mut term), Ok(mut hup)) = (term, hup) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn config_command(settings: &Settings, action: ConfigAction) -> Outcome {
    match action {
        ConfigAction::Path => println!("{}", settings.paths_text()),
        ConfigAction::Check => println!("{}", settings.describe()),
    }
    Ok(())
}

// ---- dev-seed-history (hidden, feature dev-seed; see README, Performance) -------------

#[cfg(feature = "dev-seed")]
#[derive(Debug, Args)]
pub struct DevSeedArgs {
    /// Number of fake records to add
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// Same seed, same records (default: from the clock; a seed already used on this
    /// history repeats its session ids and is refused)
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
}

#[cfg(feature = "dev-seed")]
fn dev_seed_history(settings: &Settings, args: DevSeedArgs) -> Outcome {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let path = &settings.paths.history_db;
    let report = crate::history::seed::fill(path, args.count, seed).map_err(|e| {
        Failure::from(e).hint("use --data-dir to fill a separate history, or another --seed")
    })?;
    println!(
        "added {} fake records to {} in {:.1} s (seed {seed})",
        report.inserted,
        sanitize(&path.display().to_string()),
        report.elapsed.as_secs_f64()
    );
    Ok(())
}
