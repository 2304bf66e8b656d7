//! What the TUI remembers of how it was left, from one run to the next: whether the form's
//! "More fields" section was open, and whether the list of a shared history showed only
//! the operator's own records. Not settings (the config file holds those, and the app
//! never writes it): a small file of its own in the data dir, which losing costs nothing.
//!
//! Read once when the TUI starts; written by the runtime (`Effect::SaveUiState`), never by
//! `update`. A missing or unreadable file is the default; a failed write is logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name in the data dir.
pub const FILE: &str = "tui-state.toml";

/// Everything remembered. Unknown keys are ignored and missing ones take their default, so
/// an older or newer version's file still reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    /// The "More fields" section of the Generate form was open.
    pub more_fields: bool,
    /// The Generated tokens list of a shared history showed only the operator's records
    /// (`m`). Kept as it was on a run with a local history, where it does not apply.
    pub mine: bool,
}

/// Where the file is for a data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The state kept at `path`; the default when there is none or it cannot be read (said in
/// the log: it is not worth stopping the app for).
pub fn load(path: &Path) -> UiState {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return UiState::default(),
        Err(e) => {
            tracing::warn!(
                "{}: not read ({e}); the TUI starts as it does the first time",
                path.display()
            );
            return UiState::default();
        }
    };
    toml::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(
            "{}: not understood ({}); the TUI starts as it does the first time",
            path.display(),
            e.message()
        );
        UiState::default()
    })
}

/// Writes `state` to `path` as a whole new file moved into place, private to the user: a
/// crash or a second TUI writing at the same moment leaves one whole file, never half of
/// one.
pub fn save(path: &Path, state: &UiState) -> std::io::Result<()> {
    let text = toml::to_string(state).map_err(std::io::Error::other)?;
    let text =
        format!("# Written by veriff-tui: how the TUI was left (deleting it is harmless).\n{text}");
    // A name of this process's own: two TUIs saving at once do not share a half-written file.
    let tmp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let written = (|| {
        // A file left by a crash keeps its own mode when opened: it is made anew.
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_garbled_file_is_the_default_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        assert_eq!(load(&p), UiState::default());
        std::fs::write(&p, "more_fields = \"yes\"\n[[[").unwrap();
        assert_eq!(load(&p), UiState::default());
        std::fs::write(&p, [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(load(&p), UiState::default());
        // A newer version's key does not hide the ones this one knows.
        std::fs::write(&p, "more_fields = true\nlater = 3\n").unwrap();
        assert_eq!(
            load(&p),
            UiState {
                more_fields: true,
                mine: false
            }
        );

        let open = UiState {
            more_fields: true,
            mine: true,
        };
        save(&p, &open).unwrap();
        assert_eq!(load(&p), open);
        save(&p, &UiState::default()).unwrap();
        assert_eq!(load(&p), UiState::default());
        // Nothing is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE)]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_write_that_fails_says_so_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gone").join(FILE);
        let state = UiState {
            more_fields: true,
            mine: true,
        };
        assert!(save(&p, &state).is_err());
        assert_eq!(load(&p), UiState::default());
    }
}
