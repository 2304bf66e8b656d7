//! The command line: every flag and subcommand (clap).

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// Default port of `veriff-tui sandbox`, fixed so a profile can point at it.
pub const DEFAULT_SANDBOX_PORT: u16 = 8780;
/// Where `listen` receives webhooks by default: next to the sandbox's port.
pub const DEFAULT_LISTEN_PORT: u16 = 8781;

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
    Generate(Box<GenerateArgs>),
    /// List generated sessions, newest first
    History(HistoryArgs),
    /// Fetch the decision of a session (or of every pending one) and record it
    Decision(DecisionArgs),
    /// Everything Veriff knows of a session: decision, person, attempts, media, watchlist
    Inspect(InspectArgs),
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
        /// Send Veriff's webhooks (started, submitted, the decision) to this URL, e.g. a
        /// `veriff-tui listen` at http://127.0.0.1:8781/ [default: sandbox.webhook_url in
        /// the config, else none]
        #[arg(long, value_name = "URL", value_parser = crate::sandbox::parse_webhook_url)]
        webhook_url: Option<url::Url>,
    },
    /// Receive Veriff's webhooks (events and decisions) into the history, in the foreground
    Listen {
        /// Port to listen on (0 picks a free one)
        #[arg(long, default_value_t = DEFAULT_LISTEN_PORT)]
        port: u16,
        /// Address to listen on (behind a reverse proxy or tunnel, keep it on loopback)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        listen: std::net::IpAddr,
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
    /// Validate the configuration and print the resolved settings (secrets masked, each
    /// with where it came from)
    Check,
    /// Store the profile's API key or shared secret in the OS keyring, read from stdin
    /// (typed without echo on a terminal; never given on the command line). The profile
    /// reads it with `api_key = { keyring = true }` or `shared_secret = { keyring = true }`
    SetSecret(SetSecretArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("secret").required(true).args(["api_key", "shared_secret"])))]
pub struct SetSecretArgs {
    /// Store the API key (keyring account PROFILE/api_key)
    #[arg(long)]
    pub api_key: bool,
    /// Store the shared secret key (keyring account PROFILE/shared_secret)
    #[arg(long)]
    pub shared_secret: bool,
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
    #[command(flatten)]
    pub extra: ExtraArgs,
    /// Also copy the URL to the clipboard
    #[arg(long)]
    pub copy: bool,
    /// Print the stored record as JSON instead of the bare URL
    #[arg(long)]
    pub json: bool,
    /// Print the request as a curl command (exact body and signature; the key read from
    /// $VERIFF_API_KEY) instead of sending it
    #[arg(long, conflicts_with_all = ["json", "copy", "qr", "no_history"])]
    pub print_curl: bool,
    /// Also print the URL as a QR code to scan with a phone (to stderr)
    #[arg(long)]
    pub qr: bool,
    /// Create the session even though it will not be kept in the history (when the
    /// history cannot be written and the link is needed anyway)
    #[arg(long)]
    pub no_history: bool,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `generate --batch`: a session for every row of a CSV file (README, Batch).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Batch (a session for every row of a CSV file)")]
pub struct BatchArgs {
    /// CSV file (UTF-8, comma or semicolon) whose header names the fields: first_name,
    /// last_name, lang, selfid, callback, vendor_data, end_user_id, email, … Run again, it
    /// sends only the rows that have no session yet
    #[arg(long = "batch", value_name = "FILE", conflicts_with_all = [
        "first_name", "last_name", "lang", "no_selfid", "callback", "vendor_data",
        "copy", "print_curl", "qr", "no_history",
    ])]
    pub file: Option<PathBuf>,
    /// Write the rows with session_id, url, status and error added to FILE (default:
    /// stdout, unless --json)
    #[arg(long, value_name = "FILE", requires = "file")]
    pub out: Option<PathBuf>,
    /// Requests in flight at once (1-32) [default: 4]
    #[arg(long, value_name = "N", requires = "file", value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: Option<u16>,
    /// Send the valid rows even when some are invalid (those are listed and not sent)
    #[arg(long, requires = "file")]
    pub skip_invalid: bool,
    /// Send again the rows whose earlier request's outcome is unknown (check the Veriff
    /// Customer Portal first: a session may exist)
    #[arg(long, requires = "file")]
    pub resend_unknown: bool,
    /// The batch's name in the history [default: the file's name]
    #[arg(long, value_name = "NAME", requires = "file")]
    pub name: Option<String>,
}

/// What is already known about the person: the documented session fields beyond the
/// names. Each left out is not sent (a profile may give defaults).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "More fields (what you already know about the person)")]
pub struct ExtraArgs {
    /// Your id of the person (verification.endUserId), a UUID
    #[arg(long, value_name = "UUID")]
    pub end_user_id: Option<String>,
    /// National id number (person.idNumber)
    #[arg(long, value_name = "TEXT")]
    pub id_number: Option<String>,
    /// Date of birth, YYYY-MM-DD (person.dateOfBirth)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date_of_birth: Option<String>,
    /// M or F (person.gender)
    #[arg(long, value_name = "M|F")]
    pub gender: Option<String>,
    /// Email address (person.email)
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// Phone number: digits, + first allowed (person.phoneNumber)
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    /// Document number: letters and digits (document.number)
    #[arg(long, value_name = "TEXT")]
    pub document_number: Option<String>,
    /// PASSPORT, ID_CARD, DRIVERS_LICENSE or RESIDENCE_PERMIT (document.type)
    #[arg(long, value_name = "TYPE")]
    pub document_type: Option<String>,
    /// Issuing country, ISO 3166-1 alpha-2 such as EE (document.country)
    #[arg(long, value_name = "CC")]
    pub document_country: Option<String>,
    /// Full address on one line (address.fullAddress)
    #[arg(long, value_name = "TEXT")]
    pub address: Option<String>,
    /// A consent the person gave, sent as {type, approved: true}; repeat for more
    #[arg(long = "consent", value_name = "TYPE")]
    pub consents: Vec<String>,
}

impl ExtraArgs {
    /// The fields as given; the profile's defaults fill the rest in `ops::generate`.
    pub fn to_extras(&self) -> crate::veriff::Extras {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        crate::veriff::Extras {
            end_user_id: o(&self.end_user_id),
            id_number: o(&self.id_number),
            date_of_birth: o(&self.date_of_birth),
            gender: o(&self.gender),
            email: o(&self.email),
            phone: o(&self.phone),
            document_number: o(&self.document_number),
            document_type: o(&self.document_type),
            document_country: o(&self.document_country),
            address: o(&self.address),
            consents: self.consents.clone(),
        }
    }
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
    /// Only the records of this batch (`generate --batch`; its name is the file's name
    /// unless given with --name)
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
    /// How many records at most (0: every one, streamed)
    #[arg(long, short = 'n', default_value_t = 50)]
    pub limit: u64,
    /// Print as JSON
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print as CSV
    #[arg(long)]
    pub csv: bool,
    /// Only the records you made (the shared history keeps who made each; a local file's
    /// are all yours)
    #[arg(long)]
    pub mine: bool,
    /// Move an unusable history file (damaged, or not veriff-tui's) aside under a new name,
    /// keeping it as it is, so that a new history starts; from a damaged one, every record
    /// that can still be read is copied into the new history. A history that opens is
    /// checked whole first (SQLite's integrity check: seconds for a very large one)
    #[arg(long, conflicts_with_all = ["search", "json", "csv"])]
    pub move_aside: bool,
    /// With --move-aside: start the new history empty, copying nothing from the damaged file
    /// (it is kept all the same)
    #[arg(long, requires = "move_aside")]
    pub no_recover: bool,
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
}

#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Copy a local history file into the shared history on PostgreSQL ([history] url),
    /// skipping sessions already there (safe to run twice)
    Import(ImportArgs),
    /// Write the links that wait in the local file (made while the shared history could
    /// not be reached) to it now; done by itself whenever it is reached again
    Sync,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The history file to copy (default: this data dir's)
    #[arg(long, value_name = "PATH")]
    pub from: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Session id (as printed by generate or history; a unique prefix is enough)
    pub session_id: String,
    /// Print one JSON object with a key per part
    #[arg(long)]
    pub json: bool,
    /// Fetch this media file (an id from the media list) and save it to --out
    #[arg(long, value_name = "MEDIA_ID", requires = "out")]
    pub media: Option<String>,
    /// Where --media saves the file: a new file, readable by you only
    #[arg(long, value_name = "FILE", requires = "media")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// Session id (as printed by generate or history; a unique prefix is enough)
    #[arg(required_unless_present = "pending", conflicts_with = "pending")]
    pub session_id: Option<String>,
    /// Refresh every session of the profile that has no final decision yet and has not
    /// expired: all of them, however many, oldest first, 4 at a time (a progress bar on
    /// stderr when it is a terminal)
    #[arg(long)]
    pub pending: bool,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

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
