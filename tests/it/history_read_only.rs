//! A history that cannot be written, read by the real binary: on a read-only mount, or
//! with its file and directory read-only to the user running it. Listing, searching and
//! exporting work and leave every file as it was; `generate` and `decision --pending` send
//! nothing and say why.
//!
//! Made real whatever the machine: permissions do not stop root, so as root the binary runs
//! as an unprivileged user (`setpriv`), or on a read-only bind mount in a mount namespace of
//! its own (`unshare`); not as root, plain permissions do. Each way is first shown to stop a
//! write; a machine where none does fails the test, saying so, rather than passing it.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::BIN;

const EXIT_LOCAL: i32 = 1;
/// The unprivileged user the binary runs as when the tests run as root.
const NOBODY: u32 = 65534;

/// How the binary under test is kept from writing the data dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// A read-only bind mount over the data dir, in a mount namespace of the binary's own
    /// (`unshare`): the history on a read-only mount.
    Mount,
    /// The file and its directory read-only to the user running the binary (an
    /// unprivileged one via `setpriv` when the tests run as root).
    Permissions,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `unshare`'s flags that give a mount namespace here: as root `-m` is enough; otherwise a
/// user namespace too (`-r`), which some kernels refuse to unprivileged users.
fn unshare_flags() -> &'static [&'static str] {
    if is_root() { &["-m"] } else { &["-rm"] }
}

/// The command that runs `program args` in `way` over `data`.
fn wrapped(way: Way, data: &Path, program: &str, args: &[&str]) -> Command {
    match way {
        Way::Mount => {
            let mut cmd = Command::new("unshare");
            cmd.args(unshare_flags())
                .args(["sh", "-c", r#"mount --bind -o ro "$0" "$0" && exec "$@""#])
                .arg(data)
                .arg(program)
                .args(args);
            cmd
        }
        Way::Permissions if is_root() => {
            let mut cmd = Command::new("setpriv");
            cmd.args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
                program,
            ])
            .args(args);
            cmd
        }
        Way::Permissions => {
            let mut cmd = Command::new(program);
            cmd.args(args);
            cmd
        }
    }
}

/// A data dir made read-only one way, undone when dropped (so the temp dir can go).
struct ReadOnly<'a> {
    way: Way,
    env: &'a support::SandboxEnv,
}

impl<'a> ReadOnly<'a> {
    /// The data dir of `env` made read-only `way`, proven by a write that fails; `Err` says
    /// why this machine cannot do it.
    fn new(env: &'a support::SandboxEnv, way: Way) -> Result<Self, String> {
        let view = ReadOnly { way, env };
        if way == Way::Permissions {
            view.lock(true)?;
        }
        let probe = env.data_dir().join("write-probe");
        let script = r#"touch "$0/write-probe" 2>/dev/null && exit 3; exit 0"#;
        // `sh -c SCRIPT DATA`: the script's $0 is the data dir.
        let out = wrapped(way, &env.data_dir(), "sh", &["-c", script])
            .arg(env.data_dir())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .map_err(|e| format!("{way:?}: cannot start the wrapper: {e}"))?;
        if probe.exists() || out.status.code() != Some(0) {
            let _ = std::fs::remove_file(&probe);
            return Err(format!(
                "{way:?}: a write was not stopped, or the wrapper failed (exit {:?}): {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(view)
    }

    /// Read-only (or back to writable) by permissions: the data dir 0500 and its files
    /// 0400, owned by the user the binary runs as.
    fn lock(&self, read_only: bool) -> Result<(), String> {
        let data = self.env.data_dir();
        if read_only && is_root() {
            // The whole temp dir, so the unprivileged user reaches the data dir in it.
            chown_all(self.env.dir.path(), NOBODY)?;
        }
        let (dir_mode, file_mode) = if read_only {
            (0o500, 0o400)
        } else {
            (0o700, 0o600)
        };
        let set = |p: &Path, mode: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("chmod {}: {e}", p.display()))
        };
        if !read_only {
            set(&data, dir_mode)?;
        }
        for entry in std::fs::read_dir(&data).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            set(&path, file_mode)?;
        }
        if read_only {
            set(&data, dir_mode)?;
        }
        Ok(())
    }

    /// The binary, with the env's variables, in this read-only view: (exit code, stdout,
    /// stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = wrapped(self.way, &self.env.data_dir(), BIN, args);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.env.dir.path());
        for (k, v) in self.env.vars() {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run veriff-tui");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        if self.way == Way::Permissions {
            let _ = self.lock(false);
        }
    }
}

fn chown_all(path: &Path, uid: u32) -> Result<(), String> {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid))
        .map_err(|e| format!("chown {}: {e}", path.display()))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| e.to_string())? {
            chown_all(&entry.map_err(|e| e.to_string())?.path(), uid)?;
        }
    }
    Ok(())
}

/// Every way this machine can make the data dir read-only (`wanted` of them), at least
/// one: none fails the test with the reasons.
fn ways(env: &support::SandboxEnv, wanted: &[Way]) -> Vec<Way> {
    let mut found = Vec::new();
    let mut why = Vec::new();
    for &way in wanted {
        match ReadOnly::new(env, way) {
            Ok(_) => found.push(way),
            Err(e) => why.push(e),
        }
    }
    for e in &why {
        eprintln!("read-only test: this way is not available here: {e}");
    }
    assert!(
        !found.is_empty(),
        "no way to make a history read-only on this machine, so the defence cannot be tested: {}. Run the tests as a non-root user, or as root with setpriv (util-linux) or unshare available.",
        why.join("; ")
    );
    found
}

/// Files of the data dir and their bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

fn generate(env: &support::SandboxEnv, first: &str, last: &str) {
    let (code, _, err) = env.run(&["generate", "--first-name", first, "--last-name", last]);
    assert_eq!(code, 0, "{err}");
}

/// Listed, searched and exported exactly as when it was writable; nothing written, nothing
/// sent. Before, on a read-only mount `history` failed with "unable to open database file",
/// and with a read-only file "attempt to write a readonly database".
#[test]
fn a_read_only_history_is_listed_searched_and_exported_and_nothing_is_sent() {
    let env = support::SandboxEnv::new();
    generate(&env, "Ann", "Smith");
    generate(&env, "Bea", "Jones");
    generate(&env, "Cy", "Brown");
    let writable: Vec<(i32, String, String)> = [
        &["history", "-n", "0"][..],
        &["history", "--json", "-n", "0"],
        &["history", "--csv", "-n", "0"],
        &["history", "--search", "Bea"],
    ]
    .iter()
    .map(|args| env.run(args))
    .collect();
    assert!(writable.iter().all(|(code, ..)| *code == 0), "{writable:?}");

    for way in ways(&env, &[Way::Mount, Way::Permissions]) {
        let view = ReadOnly::new(&env, way).unwrap();
        let before = snapshot(&env.data_dir());

        for (args, (_, expected, _)) in [
            &["history", "-n", "0"][..],
            &["history", "--json", "-n", "0"],
            &["history", "--csv", "-n", "0"],
            &["history", "--search", "Bea"],
        ]
        .iter()
        .zip(&writable)
        {
            let (code, out, err) = view.run(args);
            assert_eq!(code, 0, "{way:?} {args:?}: {err}");
            assert_eq!(&out, expected, "{way:?} {args:?}");
        }
        let (_, found, _) = view.run(&["history", "--search", "Bea"]);
        assert!(found.contains("Bea") && !found.contains("Ann"), "{found}");

        // What must write sends nothing, and says why.
        env.sandbox.reset_counters();
        let (code, out, err) = view.run(&["generate", "--first-name", "Dee"]);
        assert_eq!(code, EXIT_LOCAL, "{way:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.starts_with("error: nothing was sent") && err.contains("is read-only"),
            "{way:?}: {err}"
        );
        let (code, _, err) = view.run(&["decision", "--pending"]);
        assert_eq!(code, EXIT_LOCAL, "{way:?}: {err}");
        assert!(
            err.contains("nothing was asked") && err.contains("is read-only"),
            "{way:?}: {err}"
        );
        assert_eq!(
            env.sandbox.create_requests(),
            0,
            "{way:?}: a session was requested"
        );
        assert_eq!(
            env.sandbox.decision_requests(),
            0,
            "{way:?}: a decision was asked"
        );

        assert_eq!(
            snapshot(&env.data_dir()),
            before,
            "{way:?}: a file of the data dir changed, appeared or vanished"
        );
        drop(view);
    }
    // Writable again: it works as before, nothing in the way.
    generate(&env, "Eve", "Stone");
    let (_, out, _) = env.run(&["history", "--json", "-n", "0"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 4);
}

/// A read-only file in a directory that can be written: read without a -wal or -shm left
/// behind (SQLite would make them as read-only as the file, in the way once it is writable
/// again), and usable again as soon as its owner makes it writable.
#[test]
fn a_read_only_file_in_a_writable_directory_leaves_nothing_behind() {
    let env = support::SandboxEnv::new();
    generate(&env, "Ann", "Smith");
    ways(&env, &[Way::Permissions]);
    let db = env.history_db();
    if is_root() {
        chown_all(env.dir.path(), NOBODY).unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = snapshot(&env.data_dir());
    let view = ReadOnly {
        way: Way::Permissions,
        env: &env,
    };
    // Not `ReadOnly::new`: that would make the directory read-only too.
    let (code, out, err) = view.run(&["history"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Ann Smith"), "{out}");
    env.sandbox.reset_counters();
    let (code, _, err) = view.run(&["generate", "--first-name", "Bea"]);
    assert_eq!(code, EXIT_LOCAL, "{err}");
    assert!(err.contains("is read-only"), "{err}");
    assert_eq!(env.sandbox.create_requests(), 0);
    let after = snapshot(&env.data_dir());
    let names = |s: &[(PathBuf, Vec<u8>)]| -> Vec<PathBuf> {
        s.iter()
            .map(|(p, _)| p.clone())
            .filter(|p| !p.ends_with("veriff-tui.log"))
            .collect()
    };
    assert_eq!(names(&after), names(&before), "no -wal or -shm left behind");
    assert_eq!(std::fs::read(&db).unwrap(), before[0].1);

    // Its owner makes it writable: generating works at once.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out, err) = view.run(&["generate", "--first-name", "Bea"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(env.sandbox.base_url()), "{out}");
}

/// Records another program has written to the -wal and not yet to the file are read too:
/// the read-only history is never shown older than it is.
#[test]
fn a_read_only_history_shows_what_is_still_in_its_wal() {
    let env = support::SandboxEnv::new();
    generate(&env, "Ann", "Smith");
    let available = ways(&env, &[Way::Mount, Way::Permissions]);
    // A writer that keeps the history open, with a record only in its -wal.
    let writer = rusqlite::Connection::open(env.history_db()).unwrap();
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             UPDATE sessions SET first_name = 'Annabel' WHERE first_name = 'Ann';",
        )
        .unwrap();
    let wal = PathBuf::from(format!("{}-wal", env.history_db().display()));
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the change is in the -wal"
    );
    for way in available {
        let view = ReadOnly::new(&env, way).unwrap();
        let (code, out, err) = view.run(&["history", "--search", "Annabel"]);
        assert_eq!(code, 0, "{way:?}: {err}");
        assert!(out.contains("Annabel Smith"), "{way:?}: {out}");
        drop(view);
    }
    drop(writer);
}
