//! The sandbox: a local imitation of the Veriff API and of the end-user flow, on 127.0.0.1.
//!
//! The same server serves `veriff-tui sandbox`, `--sandbox` on any command, demos without an
//! account, and the test suite: what we test is what users run.

/// The sandbox's own API key (a UUID, as Veriff's are). Fixed, so a profile can point at a
/// `veriff-tui sandbox` started in another terminal.
pub const SANDBOX_API_KEY: &str = "00000000-5a4d-4b0c-8000-5a4db0c5a4db";
/// The sandbox's shared secret. Not a secret at all: it only guards a local imitation.
pub const SANDBOX_SHARED_SECRET: &str = "sandbox-shared-secret-0000";

/// How to run a sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// 0 picks a free port.
    pub port: u16,
}

/// A running sandbox; it stops when dropped.
pub struct Sandbox {
    base_url: String,
}

impl Sandbox {
    pub async fn start(options: SandboxOptions) -> std::io::Result<Self> {
        let _ = options;
        Err(std::io::Error::other("not implemented yet"))
    }

    /// `http://127.0.0.1:PORT` (no `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn api_key(&self) -> &str {
        SANDBOX_API_KEY
    }

    pub fn shared_secret(&self) -> &str {
        SANDBOX_SHARED_SECRET
    }
}
