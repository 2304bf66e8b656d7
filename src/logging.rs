//! The log, set up once for the TUI and the CLI commands alike.
//!
//! Lines go to `veriff-tui.log` in the data dir (created 0700, the file 0600), never to the
//! screen or stderr: the TUI owns the terminal, and a command's stdout and stderr are its
//! output. The level comes from `VERIFF_TUI_LOG` (a tracing filter: `debug`, `trace`,
//! `veriff_tui=debug,hyper=info`; default, or unreadable, `info`). The file is opened at
//! the first line written, so a command that logs nothing creates nothing; if it cannot be
//! opened (the data dir is not writable), lines are dropped and everything else works.
//! Secrets never reach it: the client logs hosts, session ids and statuses, not headers.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The environment variable holding the level (a tracing filter).
pub const LEVEL_VAR: &str = "VERIFF_TUI_LOG";

/// The log targets of the keyring's libraries (see [`init`]).
const KEYRING_TARGETS: [&str; 5] = [
    "zbus",
    "zvariant",
    "secret_service",
    "keyring_core",
    "zbus_secret_service_keyring_store",
];

/// Installs the logger writing to `log_file`. A second call (or a subscriber installed
/// before) changes nothing.
pub fn init(log_file: &Path) {
    let mut filter = EnvFilter::try_from_env(LEVEL_VAR).unwrap_or_else(|_| EnvFilter::new("info"));
    // The keyring's libraries carry secrets (D-Bus messages, credential entries): their
    // debug and trace lines describe them, so they stay at info whatever level is asked.
    for quiet in KEYRING_TARGETS {
        if let Ok(directive) = format!("{quiet}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(LogFile {
            path: log_file.to_path_buf(),
            file: OnceLock::new(),
        })
        .try_init();
}

/// The log file, opened (and its directory made) when the first line is written.
struct LogFile {
    path: PathBuf,
    /// `None` once opening failed: lines are dropped from then on.
    file: OnceLock<Option<Mutex<File>>>,
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(
            self.file
                .get_or_init(|| open(&self.path).ok().map(Mutex::new))
                .as_ref(),
        )
    }
}

/// One line's writer: the file, or nowhere.
struct LogWriter<'a>(Option<&'a Mutex<File>>);

impl Write for LogWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.map(|f| f.lock()) {
            Some(Ok(mut file)) => file.write(buf),
            // No file (or a writer panicked holding it): the line is dropped.
            _ => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.map(|f| f.lock()) {
            Some(Ok(mut file)) => file.flush(),
            _ => Ok(()),
        }
    }
}

/// Opens `path` for appending, readable by the owner only, making its directory private
/// if it is missing.
fn open(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        crate::config::create_private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // A file made by an older version (or by hand) may be wider open.
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}
