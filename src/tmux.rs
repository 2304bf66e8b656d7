//! The tmux server the app runs inside (when `$TMUX` is set): its version, and its paste
//! buffer, which is the one clipboard inside tmux that can be both written and read back.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a tmux command may take before it is given up: a server that hangs must not
/// hold a copy (and the status it reports) for ever.
const DEADLINE: Duration = Duration::from_secs(3);

/// Inside tmux (`TMUX` set). `env` looks up environment variables (injectable for tests).
pub fn inside(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("TMUX").is_some_and(|v| !v.is_empty())
}

/// A tmux version as (major, minor); builds from git (`master`, `next-3.5`) count as newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32);

impl Version {
    /// `load-buffer -w` (hand the buffer on to the outer terminal's clipboard) came in 3.2.
    pub fn has_load_buffer_w(self) -> bool {
        self >= Version(3, 2)
    }

    /// tmux passes OSC 8 hyperlinks on to the outer terminal since 3.4.
    pub fn passes_hyperlinks(self) -> bool {
        self >= Version(3, 4)
    }

    /// From `tmux -V` (`tmux 3.3a`, `tmux next-3.5`, `tmux master`) or `TERM_PROGRAM_VERSION`
    /// (`3.3a`).
    pub fn parse(text: &str) -> Option<Version> {
        let word = text.trim().strip_prefix("tmux").unwrap_or(text).trim();
        if word == "master" {
            return Some(Version(u32::MAX, 0));
        }
        let word = word.strip_prefix("next-").unwrap_or(word);
        let mut parts = word.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor: String = parts
            .next()
            .unwrap_or("0")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some(Version(major, minor.parse().unwrap_or(0)))
    }
}

/// The version of the tmux we are inside: `TERM_PROGRAM_VERSION` when tmux set it (3.2 and
/// later do), else `tmux -V` once. `None` outside tmux or when it cannot be told.
pub fn version(env: &dyn Fn(&str) -> Option<String>) -> Option<Version> {
    if !inside(env) {
        return None;
    }
    if env("TERM_PROGRAM").as_deref() == Some("tmux")
        && let Some(v) = env("TERM_PROGRAM_VERSION").and_then(|v| Version::parse(&v))
    {
        return Some(v);
    }
    static ASKED: OnceLock<Option<Version>> = OnceLock::new();
    *ASKED.get_or_init(|| {
        let out = run(&["-V"], None).ok()?;
        Version::parse(&String::from_utf8_lossy(&out))
    })
}

/// What tmux was asked to do with a buffer beyond keeping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassOn {
    /// `load-buffer -w` with `set-clipboard` on or external: tmux sends it to the outer
    /// terminal as OSC 52. Whether the terminal took it, only the terminal knows.
    Asked,
    /// `set-clipboard off`: tmux keeps it to itself.
    SetClipboardOff,
    /// A tmux older than 3.2 has no `load-buffer -w`.
    Unable,
}

/// Puts `text` in a new tmux paste buffer (the one `prefix ]` pastes), asking tmux to pass it
/// on to the outer terminal's clipboard where it can, and reads the buffer back. The text
/// goes on stdin, never in arguments. `Ok` only when the buffer read back is `text`.
pub fn load_buffer(text: &str, version: Option<Version>) -> Result<PassOn, String> {
    let with_w = version.is_some_and(Version::has_load_buffer_w);
    let args: &[&str] = if with_w {
        &["load-buffer", "-w", "-"]
    } else {
        &["load-buffer", "-"]
    };
    run(args, Some(text.as_bytes())).map_err(|e| format!("tmux load-buffer: {e}"))?;
    let back = run(&["show-buffer"], None).map_err(|e| format!("tmux show-buffer: {e}"))?;
    if back != text.as_bytes() {
        return Err("tmux's buffer does not hold the text after load-buffer".into());
    }
    if !with_w {
        return Ok(PassOn::Unable);
    }
    let setting = run(&["show-options", "-gv", "set-clipboard"], None)
        .map(|o| String::from_utf8_lossy(&o).trim().to_string())
        .unwrap_or_default();
    Ok(if setting == "off" {
        PassOn::SetClipboardOff
    } else {
        PassOn::Asked
    })
}

/// Runs `tmux args…` with `input` on stdin (if any); its stdout when it exits 0 within the
/// deadline, else what went wrong.
fn run(args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut tmux = Command::new("tmux");
    let mut child = crate::child_env::without_secrets(&mut tmux)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start tmux: {e}"))?;
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        stdin
            .write_all(input)
            .map_err(|e| format!("could not hand the text to tmux: {e}"))?;
        // Dropped here: tmux reads to the end of its stdin.
    }
    // Read in threads, so a large answer cannot fill the pipe and stall the child.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no answer within {} s; is the tmux server busy?",
                    DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        let why = crate::text::sanitize(String::from_utf8_lossy(&err).trim());
        Err(if why.is_empty() {
            format!("tmux exited with {status}")
        } else {
            why
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_tmux_writes_them() {
        assert_eq!(Version::parse("tmux 3.3a"), Some(Version(3, 3)));
        assert_eq!(Version::parse("tmux 3.2"), Some(Version(3, 2)));
        assert_eq!(Version::parse("3.4"), Some(Version(3, 4)));
        assert_eq!(Version::parse("tmux next-3.6"), Some(Version(3, 6)));
        assert_eq!(Version::parse("tmux 2.9a"), Some(Version(2, 9)));
        assert!(Version::parse("tmux master").unwrap().passes_hyperlinks());
        assert_eq!(Version::parse("not tmux"), None);
        assert!(!Version(3, 1).has_load_buffer_w());
        assert!(Version(3, 2).has_load_buffer_w());
        assert!(!Version(3, 3).passes_hyperlinks());
        assert!(Version(3, 4).passes_hyperlinks());
        assert!(Version(4, 0).passes_hyperlinks());
    }

    #[test]
    fn the_version_comes_from_the_environment_when_tmux_set_it() {
        let env = |k: &str| match k {
            "TMUX" => Some("/tmp/tmux-1/default,1,0".to_string()),
            "TERM_PROGRAM" => Some("tmux".to_string()),
            "TERM_PROGRAM_VERSION" => Some("3.4".to_string()),
            _ => None,
        };
        assert_eq!(version(&env), Some(Version(3, 4)));
        assert_eq!(version(&|_: &str| None), None, "outside tmux");
    }
}
