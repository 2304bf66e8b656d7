//! A private PostgreSQL server for the tests: made with `initdb` in a temp dir the first
//! time a test asks, listening on a free loopback port and on a unix socket inside that
//! dir, shared by every test of the run, with a database of its own per test. Stopped
//! (`pg_ctl stop -m immediate`) and removed when the test binary exits. In CI `.ci/run`
//! starts that server before the tests and stops it after them (`VERIFF_TEST_PG_DIR`,
//! `VERIFF_TEST_PG_PORT`): it is used as it is.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the
//! `postgres` user that Debian's package creates (`runuser -u postgres`), in a temp dir
//! handed to that user. Without PostgreSQL installed every test that needs it fails, saying
//! how to install it; none is skipped.
//!
//! The benchmarks use it too (`benches/support`): [`KeptServer`] runs a cluster kept in a
//! directory between runs (a seeded million-record history is built once).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The superuser of the test cluster and its password (over TCP the server asks for it;
/// over the unix socket it trusts).
pub const SUPERUSER: &str = "veriff";
pub const PASSWORD: &str = "test-only-pw-4711";

const INSTALL: &str = "PostgreSQL is needed for these tests (they start a private server of their own): install it with `apt-get install postgresql` (Debian/Ubuntu; .ci/run does), or set VERIFF_TEST_PG_BINDIR to the directory holding initdb and pg_ctl";

pub struct Server {
    /// The temp dir holding the cluster, its socket and its log.
    pub dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    bindir: PathBuf,
    run_as: Option<String>,
    /// Settings of this server beyond the tests' own (`name=value`, as `-c` takes them).
    options: Vec<String>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The shared server, started on first use. Panics (the test fails) when it cannot be
/// started, with the reason and what to do.
pub fn server() -> &'static Server {
    match SERVER.get_or_init(|| given().unwrap_or_else(|| start().inspect(register_stop))) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// A fresh, empty database on the shared server.
pub struct Database {
    pub name: String,
}

impl Database {
    /// A new empty database, named uniquely within this run.
    pub fn new() -> Database {
        static N: AtomicU64 = AtomicU64::new(1);
        let s = server();
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        s.psql("postgres", &format!("CREATE DATABASE {name}"));
        Database { name }
    }

    /// Its URL over the unix socket (no password needed there).
    pub fn url(&self) -> String {
        let s = server();
        format!(
            "postgres://{SUPERUSER}@/{}?host={}&port={}",
            self.name,
            s.socket_dir.display(),
            s.port
        )
    }

    /// Its URL over TCP on loopback, where the server asks for a password; `password`
    /// goes into the URL when given.
    pub fn tcp_url(&self, password: Option<&str>) -> String {
        let s = server();
        let auth = match password {
            Some(p) => format!("{SUPERUSER}:{p}"),
            None => SUPERUSER.to_string(),
        };
        format!("postgres://{auth}@127.0.0.1:{}/{}", s.port, self.name)
    }

    /// Runs SQL in this database as the superuser (through psql); panics on failure.
    pub fn sql(&self, sql: &str) -> String {
        server().psql(&self.name, sql)
    }

    /// A store on this database.
    pub fn store(&self) -> veriff_tui::history::Store {
        veriff_tui::history::Store::open_url(&self.url())
            .unwrap_or_else(|e| panic!("opening the test database {}: {e}", self.name))
    }
}

/// Runs `sql` in the database a test URL (as [`Database::url`] makes it) names.
pub fn sql_on(url: &str, sql: &str) -> String {
    let name = url
        .split("@/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("not a test database URL: {url}"));
    server().psql(name, sql)
}

impl Default for Database {
    fn default() -> Self {
        Self::new()
    }
}

/// A server of a test's own, to stop and start again without disturbing the others;
/// stopped and removed when dropped.
pub struct PrivateServer(pub Server);

impl PrivateServer {
    pub fn start() -> PrivateServer {
        PrivateServer::start_with(&[])
    }

    /// With settings of its own (`name=value`, as `postgres -c` takes them).
    pub fn start_with(options: &[String]) -> PrivateServer {
        let started = temp_dir("veriff-pg-").and_then(|dir| {
            let socket_dir = dir.join("sock");
            start_at(dir, socket_dir, options)
        });
        PrivateServer(started.unwrap_or_else(|e| panic!("{e}")))
    }

    /// A new database on it, and its URL over the unix socket.
    pub fn database(&self, name: &str) -> String {
        self.0.psql("postgres", &format!("CREATE DATABASE {name}"));
        format!(
            "postgres://{SUPERUSER}@/{name}?host={}&port={}",
            self.0.socket_dir.display(),
            self.0.port
        )
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.0.stop();
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

impl Server {
    fn tool(&self, name: &str) -> Command {
        let program = self.bindir.join(name);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new(runuser());
                c.arg("-u").arg(user).arg("--").arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    /// Runs `sql` with psql in `db` over the unix socket; panics with psql's error.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bindir.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", db, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}. {INSTALL}"));
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stops the server at once (as a crash would); `start_again` brings it back.
    pub fn stop(&self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Starts the server (again) on its port; Err with its log when it did not come up.
    pub fn start_again(&self) -> Result<(), String> {
        pg_ctl_start(self)
    }
}

/// The directory of initdb and pg_ctl: VERIFF_TEST_PG_BINDIR, else Debian's newest
/// /usr/lib/postgresql/N/bin, else PATH.
fn find_bindir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("VERIFF_TEST_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").exists() {
            Ok(dir)
        } else {
            Err(format!(
                "VERIFF_TEST_PG_BINDIR={} has no initdb. {INSTALL}",
                dir.display()
            ))
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
        .ok_or_else(|| format!("initdb and pg_ctl were not found. {INSTALL}"))
}

/// util-linux's runuser, in sbin, which a root PATH may lack.
fn runuser() -> PathBuf {
    ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("runuser"))
}

/// The server runs as the `postgres` user (the tests run as root): files it reads must
/// be that user's.
pub fn runs_as_postgres() -> bool {
    is_root()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of `user`, from `id` (no NSS bindings needed).
fn ids_of(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").arg(flag).arg(user).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok())?
    };
    Some((id("-u")?, id("-g")?))
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port for the test PostgreSQL server: {e}"))
}

/// A temp dir the server's user can reach: as root, in /tmp whatever TMPDIR says (a TMPDIR
/// under /root is closed to that user).
pub fn temp_dir(prefix: &str) -> Result<PathBuf, String> {
    let parent = if is_root() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    Ok(tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .map_err(|e| format!("cannot make a temp dir for the test PostgreSQL server: {e}"))?
        .keep())
}

/// The server `.ci/run` started for the run, made as [`start_at`] makes one, when it did:
/// left for it to stop.
fn given() -> Option<Result<Server, String>> {
    let dir = PathBuf::from(std::env::var_os("VERIFF_TEST_PG_DIR")?);
    let port = std::env::var("VERIFF_TEST_PG_PORT").ok()?;
    let server = || -> Result<Server, String> {
        let server = Server {
            socket_dir: dir.join("sock"),
            port: port
                .parse()
                .map_err(|_| format!("VERIFF_TEST_PG_PORT={port} is not a port number"))?,
            bindir: find_bindir()?,
            run_as: is_root().then(|| "postgres".to_string()),
            dir: dir.clone(),
            options: Vec::new(),
        };
        wait_ready(&server, Instant::now() + Duration::from_secs(30)).map_err(|e| {
            format!(
                "the PostgreSQL server of VERIFF_TEST_PG_DIR={} and port {port}: {e}",
                dir.display()
            )
        })?;
        Ok(server)
    };
    Some(server())
}

fn start() -> Result<Server, String> {
    let dir = temp_dir("veriff-pg-")?;
    let socket_dir = dir.join("sock");
    start_at(dir, socket_dir, &[])
}

/// A server whose cluster is kept in a directory of its own from one run to the next:
/// made there (initdb) the first time, started again on it after. Stopped, not removed,
/// when dropped; its socket is in a temp dir of its own (a socket's path is short).
pub struct KeptServer(pub Server);

impl KeptServer {
    pub fn start(dir: &std::path::Path) -> Result<KeptServer, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let sockets = temp_dir("veriff-pg-sock-")?;
        start_at(dir.to_path_buf(), sockets.join("sock"), &[]).map(KeptServer)
    }

    /// The URL of database `name` over the unix socket.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@/{name}?host={}&port={}",
            self.0.socket_dir.display(),
            self.0.port
        )
    }
}

impl Drop for KeptServer {
    fn drop(&mut self) {
        self.0.stop();
        if let Some(sockets) = self.0.socket_dir.parent() {
            let _ = std::fs::remove_dir_all(sockets);
        }
    }
}

/// Starts a server on the cluster in `dir/data`, made there first when there is none.
fn start_at(dir: PathBuf, socket_dir: PathBuf, options: &[String]) -> Result<Server, String> {
    let bindir = find_bindir()?;
    let run_as = if is_root() {
        let (uid, gid) = ids_of("postgres").ok_or_else(|| {
            format!(
                "the tests run as root, which PostgreSQL refuses, and there is no `postgres` user to run it as. {INSTALL} (the package creates that user)"
            )
        })?;
        for d in [Some(dir.as_path()), socket_dir.parent()]
            .into_iter()
            .flatten()
        {
            std::os::unix::fs::chown(d, Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand {} to the postgres user: {e}", d.display()))?;
        }
        Some("postgres".to_string())
    } else {
        None
    };
    let server = Server {
        socket_dir,
        port: 0,
        bindir,
        run_as,
        dir,
        options: options.to_vec(),
    };
    let pwfile = server.dir.join("pw");
    std::fs::write(&pwfile, PASSWORD)
        .map_err(|e| format!("cannot write {}: {e}", pwfile.display()))?;
    // The socket dir belongs to the server's user, like the rest of its dir.
    let as_user = |program: &str| -> Command {
        match &server.run_as {
            Some(u) => {
                let mut c = Command::new(runuser());
                c.arg("-u").arg(u).arg("--").arg(program);
                c
            }
            None => Command::new(program),
        }
    };
    let made = as_user("mkdir")
        .arg("-p")
        .arg(&server.socket_dir)
        .status()
        .map_err(|e| format!("cannot make the socket dir: {e}"))?;
    if !made.success() {
        return Err(format!("cannot make {}", server.socket_dir.display()));
    }
    if server.run_as.is_some() {
        let _ = Command::new("chown").arg("postgres").arg(&pwfile).status();
    }
    if server.dir.join("data").join("PG_VERSION").exists() {
        return listen(server);
    }
    let out = server
        .tool("initdb")
        .arg("-D")
        .arg(server.dir.join("data"))
        .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"])
        .args([
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}. {INSTALL}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    listen(server)
}

/// Starts the server on a free port.
fn listen(mut server: Server) -> Result<Server, String> {
    // Another program may take the port between our probe and the server's bind: try a
    // few ports.
    let mut last = String::new();
    for _ in 0..5 {
        server.port = free_port()?;
        match pg_ctl_start(&server) {
            Ok(()) => return Ok(server),
            Err(e) => last = e,
        }
    }
    Err(format!("the test PostgreSQL server did not start: {last}"))
}

/// Starts the server. No fsync (the machine does not crash under a test; only the server
/// is stopped as a crash would, which the OS's page cache survives), but every commit is
/// written before it is answered, as in production: a test that stops the server in the
/// middle sees what an operator would.
fn pg_ctl_start(server: &Server) -> Result<(), String> {
    let log = server.dir.join("server.log");
    let mut options = format!(
        "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200",
        server.port,
        server.socket_dir.display()
    );
    for o in &server.options {
        options.push_str(&format!(" -c {o}"));
    }
    let status = server
        .tool("pg_ctl")
        .arg("-D")
        .arg(server.dir.join("data"))
        .arg("-l")
        .arg(&log)
        .arg("-o")
        .arg(options)
        .args(["-w", "-t", "60", "start"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run pg_ctl: {e}. {INSTALL}"))?;
    if status.success() {
        return wait_ready(server, Instant::now() + Duration::from_secs(30));
    }
    Err(std::fs::read_to_string(&log).unwrap_or_else(|e| format!("(no log: {e})")))
}

/// Until the socket answers (pg_ctl -w already waits; this covers a slow first connect).
fn wait_ready(server: &Server, deadline: Instant) -> Result<(), String> {
    loop {
        let ok = Command::new(server.bindir.join("pg_isready"))
            .arg("-h")
            .arg(&server.socket_dir)
            .arg("-p")
            .arg(server.port.to_string())
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the server did not answer within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the exit handler needs to stop the server and remove its files.
static STOP: OnceLock<(PathBuf, PathBuf, Option<String>)> = OnceLock::new();

extern "C" fn stop_at_exit() {
    if let Some((bindir, dir, run_as)) = STOP.get() {
        let pg_ctl = bindir.join("pg_ctl");
        let mut c = match run_as {
            Some(u) => {
                let mut c = Command::new(runuser());
                c.arg("-u").arg(u).arg("--").arg(pg_ctl);
                c
            }
            None => Command::new(pg_ctl),
        };
        let _ = c
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The test harness ends the process with `exit`, which runs `atexit` handlers: the
/// server goes with the test binary.
fn register_stop(server: &Server) {
    let _ = STOP.set((
        server.bindir.clone(),
        server.dir.clone(),
        server.run_as.clone(),
    ));
    // SAFETY: registering a plain extern "C" function with no captured state.
    unsafe {
        libc::atexit(stop_at_exit);
    }
}
