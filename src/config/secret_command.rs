//! Running a secret command (`api_key_cmd`, `shared_secret_cmd`), as git's credential
//! helpers and AWS's `credential_process` are run: the argv itself, no shell; no input; an
//! environment without our own secrets; a time limit. Its stdout, trimmed, is the secret.
//! Every way it can fail is a [`Failed`] that holds nothing the command printed on stdout.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a command may take. Long enough for a person to answer an unlock window (a
/// GPG pinentry, a password manager's prompt), short enough that a command waiting for
/// input it will never get does not hold the program for good.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// More output than any secret: a command printing this much is not printing one.
const MAX_OUTPUT: usize = 64 * 1024;

/// Longest piece of the command's stderr that an error message repeats.
const MAX_STDERR_SHOWN: usize = 200;

/// Why a command gave no secret. `stderr`: the first line it wrote there, made safe to
/// show (control characters gone, anything it also printed on stdout masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed {
    /// The program does not exist (or is not on PATH).
    NotFound,
    /// The program exists but could not be started (not executable, say).
    CannotStart(String),
    /// It ended with a failure status or by a signal.
    Exited {
        status: String,
        stderr: Option<String>,
    },
    /// It was still running at the time limit, and was stopped.
    TimedOut,
    /// It succeeded and printed nothing but whitespace.
    Empty { stderr: Option<String> },
    /// It printed more than one line.
    MultipleLines,
    /// It printed bytes that are not UTF-8 text.
    NotText,
    /// It printed more than [`MAX_OUTPUT`].
    TooLong,
    /// Its output could not be read.
    Unreadable,
}

impl Failed {
    /// What happened, as the end of a sentence naming the command ("… which {words}").
    pub fn words(&self, timeout: Duration) -> String {
        let with = |s: &Option<String>| match s {
            Some(line) => format!(", saying: {line}"),
            None => String::new(),
        };
        match self {
            Failed::NotFound => {
                "could not be started: no such program was found (is it installed, and on PATH?)"
                    .into()
            }
            Failed::CannotStart(why) => format!("could not be started: {why}"),
            Failed::Exited { status, stderr } => format!("failed ({status}){}", with(stderr)),
            Failed::TimedOut => format!(
                "did not finish within {} seconds and was stopped (it gets no input: a command that asks for a passphrase must ask through an agent or a window of its own)",
                timeout.as_secs()
            ),
            Failed::Empty { stderr } => format!("printed nothing{}", with(stderr)),
            Failed::MultipleLines => {
                "printed more than one line, and the secret must be its only line".into()
            }
            Failed::NotText => "printed something that is not UTF-8 text".into(),
            Failed::TooLong => format!(
                "printed more than {} KiB, which is no secret",
                MAX_OUTPUT / 1024
            ),
            Failed::Unreadable => "printed something that could not be read".into(),
        }
    }
}

/// Runs `argv` and returns its stdout, trimmed: one line of text, not empty.
pub fn run(argv: &[String], timeout: Duration) -> Result<String, Failed> {
    let Some((program, args)) = argv.split_first() else {
        // The config refuses an empty command; this is only a second guard.
        return Err(Failed::CannotStart("the command is empty".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        // Never our terminal: a command that wants input would wait for it unseen, or
        // read what the operator types next.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // PATH, HOME, GNUPGHOME, DBUS_…: kept, `pass`, `op` and `security` need them. Our
    // VERIFF_… variables (another secret among them): taken away.
    crate::child_env::without_secrets(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Failed::NotFound,
        _ => Failed::CannotStart(crate::text::sanitize(&e.to_string())),
    })?;
    let deadline = Instant::now() + timeout;
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let status = wait_until(&mut child, deadline)?;
    // Both pipes end when the command, and whatever it started that still holds them, has
    // closed them: waited for up to the same deadline.
    let stdout = receive(&stdout, deadline)?.ok_or(Failed::Unreadable)?;
    let stdout_text = String::from_utf8_lossy(&stdout);
    let stderr_line = receive(&stderr, deadline)?.and_then(|e| first_line(&e, &stdout_text));
    if !status.success() {
        return Err(Failed::Exited {
            status: status_words(status),
            stderr: stderr_line,
        });
    }
    match secret_in(&stdout) {
        Err(Failed::Empty { .. }) => Err(Failed::Empty {
            stderr: stderr_line,
        }),
        other => other,
    }
}

/// The secret in what the command printed: its only line, trimmed.
fn secret_in(bytes: &[u8]) -> Result<String, Failed> {
    if bytes.len() > MAX_OUTPUT {
        return Err(Failed::TooLong);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(Failed::NotText);
    };
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Failed::Empty { stderr: None });
    }
    if secret.contains(['\n', '\r']) {
        return Err(Failed::MultipleLines);
    }
    Ok(secret.to_string())
}

/// Reads a pipe to its end on a thread of its own, keeping at most `MAX_OUTPUT + 1`
/// bytes (one more than a secret may have, so that too much is seen) and draining the
/// rest: a command never blocks on a full pipe that we stopped reading, and one that
/// prints without end cannot fill our memory. `None`: the pipe could not be read.
fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Option<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    let Some(mut pipe) = pipe else {
        let _ = tx.send(None);
        return rx;
    };
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let limit = u64::try_from(MAX_OUTPUT + 1).unwrap_or(u64::MAX);
        let read = (&mut pipe)
            .take(limit)
            .read_to_end(&mut kept)
            .and_then(|_| io::copy(&mut pipe, &mut io::sink()));
        // The receiver is gone when the command timed out: nothing left to tell.
        let _ = tx.send(read.ok().map(|_| kept));
    });
    rx
}

fn receive<T>(rx: &mpsc::Receiver<T>, deadline: Instant) -> Result<T, Failed> {
    let left = deadline.saturating_duration_since(Instant::now());
    rx.recv_timeout(left).map_err(|_| Failed::TimedOut)
}

/// Waits for the command to end, and stops it at the deadline. std has no wait with a
/// time limit, and a thread blocked in `wait` could not kill it: so the status is polled,
/// often at first (most commands end in milliseconds), then every 50 ms.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<ExitStatus, Failed> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failed::CannotStart(crate::text::sanitize(&e.to_string())));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            // Reaped, so that no zombie stays behind for the rest of the TUI's life.
            let _ = child.wait();
            return Err(Failed::TimedOut);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn status_words(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("ended by signal {signal}");
        }
    }
    "ended without an exit status".into()
}

/// The first line of stderr that says something, made safe to show: control characters
/// gone, cut to [`MAX_STDERR_SHOWN`] characters, and every line of stdout in it masked (a
/// command that failed may still have printed its secret, and may repeat it on stderr).
fn first_line(stderr: &[u8], stdout: &str) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut line = crate::text::sanitize(line);
    for secret in stdout.lines().map(str::trim) {
        if secret.chars().count() >= 4 && line.contains(secret) {
            line = line.replace(secret, &super::mask(secret));
        }
    }
    if line.chars().count() > MAX_STDERR_SHOWN {
        line = line.chars().take(MAX_STDERR_SHOWN).collect::<String>() + "…";
    }
    Some(line)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        ["sh", "-c", script].map(String::from).to_vec()
    }

    #[test]
    fn the_only_line_of_stdout_trimmed_is_the_secret() {
        assert_eq!(
            run(&sh("printf '  s3cret-value \\n'"), TIMEOUT).as_deref(),
            Ok("s3cret-value")
        );
        // stderr of a command that succeeds is not the secret, and not an error.
        assert_eq!(
            run(&sh("echo note >&2; echo s3cret"), TIMEOUT).as_deref(),
            Ok("s3cret")
        );
    }

    #[test]
    fn no_shell_comes_between_the_words() {
        // One argument with a space and a `$`: given as it is, not split or expanded.
        let argv = ["printf", "%s", "a b $HOME"].map(String::from).to_vec();
        assert_eq!(run(&argv, TIMEOUT).as_deref(), Ok("a b $HOME"));
    }

    #[test]
    fn each_failure_is_told_apart() {
        assert_eq!(
            run(&["no-such-program-veriff-tui".to_string()], TIMEOUT),
            Err(Failed::NotFound)
        );
        assert_eq!(
            run(&sh("echo 'gpg: decryption failed' >&2; exit 3"), TIMEOUT),
            Err(Failed::Exited {
                status: "exit status 3".into(),
                stderr: Some("gpg: decryption failed".into())
            })
        );
        assert_eq!(
            run(&sh("printf ' \\n\\t\\n'"), TIMEOUT),
            Err(Failed::Empty { stderr: None })
        );
        assert_eq!(
            run(&sh("echo no entry >&2"), TIMEOUT),
            Err(Failed::Empty {
                stderr: Some("no entry".into())
            })
        );
        assert_eq!(
            run(&sh("printf 'key\\nurl: x\\n'"), TIMEOUT),
            Err(Failed::MultipleLines)
        );
        assert_eq!(
            run(&sh("printf '\\377\\376'"), TIMEOUT),
            Err(Failed::NotText)
        );
        assert_eq!(
            run(&sh("head -c 70000 /dev/zero | tr '\\0' a"), TIMEOUT),
            Err(Failed::TooLong)
        );
        assert_eq!(
            run(&sh("kill -9 $$"), TIMEOUT),
            Err(Failed::Exited {
                status: "ended by signal 9".into(),
                stderr: None
            })
        );
    }

    #[test]
    fn a_failing_command_never_has_its_stdout_repeated() {
        let failed = run(
            &sh("echo top-secret-value; echo 'bad: top-secret-value' >&2; exit 1"),
            TIMEOUT,
        );
        let Err(Failed::Exited {
            stderr: Some(line), ..
        }) = failed
        else {
            panic!("{failed:?}");
        };
        assert_eq!(line, "bad: ••••alue");
        let words = Failed::Exited {
            status: "exit status 1".into(),
            stderr: Some(line),
        }
        .words(TIMEOUT);
        assert!(!words.contains("top-secret"), "{words}");
    }

    #[test]
    fn stderr_is_made_safe_and_short() {
        let failed = run(
            &sh(
                "printf '\\n  \\033[2Jwarn\\n' >&2; head -c 500 /dev/zero | tr '\\0' x >&2; exit 1",
            ),
            TIMEOUT,
        );
        let Err(Failed::Exited {
            stderr: Some(line), ..
        }) = failed
        else {
            panic!("{failed:?}");
        };
        assert_eq!(line, "[2Jwarn");
        let failed = run(
            &sh("head -c 500 /dev/zero | tr '\\0' x >&2; exit 1"),
            TIMEOUT,
        );
        let Err(Failed::Exited {
            stderr: Some(line), ..
        }) = failed
        else {
            panic!("{failed:?}");
        };
        assert_eq!(line.chars().count(), MAX_STDERR_SHOWN + 1);
    }

    #[test]
    fn a_command_past_its_time_is_stopped() {
        let started = Instant::now();
        // `exec`: the shell becomes sleep, so the process stopped is the one holding the
        // pipes, and the test sees the stop itself, not a pipe closing later.
        let failed = run(&sh("exec sleep 30"), Duration::from_millis(300));
        assert_eq!(failed, Err(Failed::TimedOut));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        // And one that ends but leaves something holding its output open.
        let started = Instant::now();
        let failed = run(&sh("sleep 5 & echo x"), Duration::from_millis(300));
        assert_eq!(failed, Err(Failed::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
