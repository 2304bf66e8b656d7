//! The binary run to completion (no terminal) and a sandbox on loopback with a temp dir for
//! the data and config of the binary under test.

use super::pty::BIN;

/// Runs the binary to completion (no terminal) and returns (exit code, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(args).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env(
        "HOME",
        std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run veriff-tui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A sandbox on loopback and a temp dir for the data and config of the binary under test.
pub struct SandboxEnv {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: veriff_tui::sandbox::Sandbox,
    pub dir: tempfile::TempDir,
    /// The shared history the CLI runs on (`on_shared_history`), instead of the data dir's
    /// file.
    pub history_url: Option<String>,
}

impl SandboxEnv {
    /// No config file: the CLI runs on defaults and the VERIFF_* variables of [`Self::vars`].
    pub fn new() -> SandboxEnv {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sandbox = rt
            .block_on(veriff_tui::sandbox::Sandbox::start(Default::default()))
            .unwrap();
        SandboxEnv {
            rt,
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            history_url: None,
        }
    }

    /// Every run of the CLI (`run`, `vars`) on the shared history at `url`
    /// (VERIFF_TUI_HISTORY_URL).
    pub fn on_shared_history(mut self, url: String) -> SandboxEnv {
        self.history_url = Some(url);
        self
    }

    /// With `text` as the config file.
    pub fn with_config(text: &str) -> SandboxEnv {
        let env = SandboxEnv::new();
        std::fs::write(env.config_path(), text).unwrap();
        env
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.path("data")
    }

    pub fn history_db(&self) -> std::path::PathBuf {
        self.data_dir().join("history.sqlite3")
    }

    pub fn config_path(&self) -> std::path::PathBuf {
        self.path("config.toml")
    }

    /// The app's log (see `veriff_tui::logging`).
    pub fn log_file(&self) -> std::path::PathBuf {
        self.data_dir().join("veriff-tui.log")
    }

    /// Environment pointing the CLI at the sandbox.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("VERIFF_BASE_URL", self.sandbox.base_url().to_string()),
            ("VERIFF_API_KEY", self.sandbox.api_key().to_string()),
            (
                "VERIFF_SHARED_SECRET",
                self.sandbox.shared_secret().to_string(),
            ),
            ("VERIFF_TUI_DATA_DIR", self.data_dir().display().to_string()),
            (
                "VERIFF_TUI_CONFIG",
                self.config_path().display().to_string(),
            ),
        ];
        if let Some(url) = &self.history_url {
            vars.push(("VERIFF_TUI_HISTORY_URL", url.clone()));
        }
        vars
    }

    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with(args, &[])
    }

    /// `extra` overrides the defaults; an empty value removes the variable.
    pub fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> (i32, String, String) {
        let vars = self.vars();
        let mut env: Vec<(&str, &str)> = vars
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        env.extend(extra.iter().filter(|(_, v)| !v.is_empty()));
        run_cli(args, &env)
    }
}

/// A loopback port that refuses connections and that nobody else can take while this
/// lives: bound (to port 0, so the system picks a free one) but never listening. A port
/// found free and released at once could be taken by another test before it is used.
pub struct RefusingPort {
    _socket: tokio::net::TcpSocket,
    pub port: u16,
}

impl RefusingPort {
    pub fn new() -> RefusingPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(([127, 0, 0, 1], 0).into())
            .expect("bind a loopback port");
        let port = socket.local_addr().expect("the bound address").port();
        RefusingPort {
            _socket: socket,
            port,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Asserts that a log written with `VERIFF_TUI_LOG=trace` holds lines below the default
/// level (info): proof that the level was applied, so a test that looks for secrets in it
/// looks at everything that can be logged.
pub fn assert_traced(log: &str) {
    for level in [" TRACE ", " DEBUG "] {
        assert!(
            log.lines().any(|l| l.contains(level)),
            "no{level}line: VERIFF_TUI_LOG=trace was not applied. The log:\n{log}"
        );
    }
}
