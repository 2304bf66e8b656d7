//! `--sandbox`: the sandbox run inside this process, and for the TUI a receiver of its
//! webhooks, so a decision chosen on the flow page reaches the history by itself.
//!
//! Only the TUI gets the receiver: it is the one front end that lives while someone opens
//! a link and chooses. A command with `--sandbox` ends (and its sandbox with it) before
//! anyone could, so a receiver there would only cost a port and a second open history.

use std::net::{Ipv4Addr, SocketAddr};

use super::{EXIT_LOCAL, Failure};
use crate::config::{SANDBOX_PROFILE, Settings};
use crate::history::Store;
use crate::listen::Listener;
use crate::ops::webhook::{Integration, Keys};
use crate::sandbox::{
    SANDBOX_API_KEY, SANDBOX_SHARED_SECRET, Sandbox, SandboxOptions, WebhookTarget,
};

/// What `--sandbox` runs; it stops when [`InProcess::stop`] is awaited, or when dropped.
pub(super) struct InProcess {
    sandbox: Sandbox,
    /// The receiver being started (TUI only); `None` once it failed to.
    receiver: Option<tokio::task::JoinHandle<Option<Listener>>>,
}

/// Starts the sandbox and points `settings` at it; `webhooks` also starts a receiver of its
/// webhooks writing to the history of `settings`.
pub(super) async fn start(settings: &mut Settings, webhooks: bool) -> Result<InProcess, Failure> {
    let sandbox = Sandbox::start(SandboxOptions::default())
        .await
        .map_err(|e| Failure::new(EXIT_LOCAL, format!("cannot start the sandbox: {e}")))?;
    settings.use_sandbox(
        sandbox.base_url(),
        sandbox.api_key(),
        sandbox.shared_secret(),
    );
    if webhooks {
        // The TUI sets it up too, later: this one's lines would be lost before that.
        crate::logging::init(&settings.paths.log_file);
    }
    // In the background: opening the history (an integrity check of a small one) must not
    // hold up the TUI's first frame, and nobody can choose a decision that early anyway.
    let receiver = webhooks.then(|| {
        tokio::spawn(receive(
            settings.history_location(),
            sandbox.base_url().to_string(),
            sandbox.webhook_target(),
        ))
    });
    Ok(InProcess { sandbox, receiver })
}

impl InProcess {
    /// Stops the sandbox (and its webhook sender), then the receiver, which answers what
    /// is in flight first.
    pub(super) async fn stop(self) {
        self.sandbox.shutdown().await;
        if let Some(receiver) = self.receiver
            && let Ok(Some(listener)) = receiver.await
        {
            listener.stop().await;
        }
    }
}

/// A `listen` on a free loopback port taking the sandbox's webhooks (its key, its secret)
/// into the history at `history` (the file, or the shared one), and the sandbox's webhooks pointed at it. What stands in
/// the way is logged, never fatal: the app works as before, `r` still fetches a decision.
async fn receive(
    history: crate::history::Location,
    sandbox_url: String,
    target: WebhookTarget,
) -> Option<Listener> {
    let opened = tokio::task::spawn_blocking(move || Store::open_at(&history)).await;
    let store = match opened {
        Ok(Ok(store)) => store,
        Ok(Err(e)) => {
            tracing::warn!("sandbox webhooks not received: the history cannot be opened: {e}");
            return None;
        }
        Err(e) => {
            tracing::warn!("sandbox webhooks not received: opening the history failed: {e}");
            return None;
        }
    };
    let mut keys = Keys::default();
    keys.insert(
        SANDBOX_API_KEY,
        Integration::new(
            SANDBOX_PROFILE,
            &sandbox_url,
            true,
            vec![SANDBOX_SHARED_SECRET.to_string()],
        ),
    );
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let listener = match Listener::start_quiet(addr, crate::ops::shared(store), keys).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("sandbox webhooks not received: cannot listen on {addr}: {e}");
            return None;
        }
    };
    match url::Url::parse(&format!("http://{}/", listener.addr())) {
        Ok(url) => {
            tracing::info!("sandbox webhooks go to {url}");
            target.set(Some(url));
            Some(listener)
        }
        Err(e) => {
            tracing::warn!("sandbox webhooks not received: {e}");
            listener.stop().await;
            None
        }
    }
}
