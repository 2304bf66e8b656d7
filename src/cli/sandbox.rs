//! `sandbox`: the local imitation of Veriff in the foreground, until Ctrl+C.

use super::{EXIT_LOCAL, EXIT_USAGE, Failure, Outcome, output};
use crate::config::Settings;
use crate::sandbox::{Sandbox, SandboxOptions, WebhookNotes};
use crate::text::sanitize;

pub(super) async fn run(
    settings: &Settings,
    port: u16,
    listen: std::net::IpAddr,
    public_url: Option<String>,
    webhook_url: Option<url::Url>,
) -> Outcome {
    // The flag wins over the config; the config's value was checked when it was loaded.
    let webhook_url = match (webhook_url, &settings.config.sandbox.webhook_url) {
        (Some(url), _) => Some(url),
        (None, Some(text)) => Some(
            crate::sandbox::parse_webhook_url(text)
                .map_err(|why| Failure::new(EXIT_USAGE, format!("sandbox.webhook_url: {why}")))?,
        ),
        (None, None) => None,
    };
    // Kept per port, so a restart on the same port (the links hold it) serves them again;
    // a port picked at random is never the same twice, so its sessions are not kept.
    let state_file =
        (port != 0).then(|| settings.paths.data_dir.join(format!("sandbox-{port}.json")));
    if state_file.is_some() {
        settings.ensure_data_dir().map_err(|e| {
            Failure::new(
                EXIT_LOCAL,
                format!(
                    "cannot create the data directory {}: {e}",
                    sanitize(&settings.paths.data_dir.display().to_string())
                ),
            )
            .hint("Point --data-dir at a directory you can write to.")
        })?;
    }
    let shutdown = super::shutdown::Shutdown::take();
    let sandbox = Sandbox::start(SandboxOptions {
        port,
        listen: Some(listen),
        public_url,
        state_file: state_file.clone(),
        webhook_url: webhook_url.clone(),
        // One line per failed try and per delivery given up, timed as `listen`'s lines.
        webhook_notes: WebhookNotes::to(|line| {
            let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            eprintln!("{time} {line}");
        }),
        ..Default::default()
    })
    .await
    .map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            // A bad --public-url: nothing to do with the port.
            return Failure::new(EXIT_USAGE, format!("cannot start the sandbox: {e}"));
        }
        if e.kind() == std::io::ErrorKind::InvalidData {
            // A damaged state file: the message names it and what to do.
            return Failure::new(EXIT_LOCAL, format!("cannot start the sandbox: {e}"));
        }
        Failure::new(
            EXIT_LOCAL,
            format!(
                "cannot start the sandbox on {}: {e}",
                std::net::SocketAddr::new(listen, port)
            ),
        )
        .hint("Another program may use that port: try --port 0 for a free one.")
    })?;
    let mut text = String::new();
    let mut say = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    say("veriff-tui sandbox: a local imitation of the Veriff API".into());
    say(format!("  base URL:      {}", sandbox.base_url()));
    if sandbox.public_url() != sandbox.base_url() {
        say(format!("  session links: {}/v/…", sandbox.public_url()));
    }
    say(format!("  API key:       {}", sandbox.api_key()));
    say(format!("  shared secret: {}", sandbox.shared_secret()));
    match &webhook_url {
        Some(url) => say(format!(
            "  webhooks:      {} (started, submitted, the decision; signed with the secret above)",
            crate::sandbox::shown_webhook_url(url)
        )),
        None => say("  webhooks:      none (--webhook-url URL sends them)".into()),
    }
    match &state_file {
        Some(file) => say(format!(
            "  sessions kept: {} (started again on port {port}, it serves their links again)",
            sanitize(&file.display().to_string())
        )),
        None => say("  sessions kept: in memory only (port 0): its links stop with it".into()),
    }
    say(String::new());
    say("Use it from another terminal:".into());
    say(format!(
        "  export VERIFF_BASE_URL={} VERIFF_API_KEY={} VERIFF_SHARED_SECRET={}",
        sandbox.base_url(),
        sandbox.api_key(),
        sandbox.shared_secret()
    ));
    say("  veriff-tui generate --first-name John --last-name Smith".into());
    say(String::new());
    say("First names Approve, Decline and Resubmit decide at once. Ctrl+C stops it.".into());
    // A closed stdout is no reason to stop serving.
    let _ = output::write_all(text.as_bytes());
    shutdown.wait().await;
    Ok(())
}

/// What a sandbox link is worth once the command or app that printed it has ended: `made_by`
/// is the API base of the sandbox that made it, `in_process` the one this process ran
/// (`--sandbox`), which stops with it; `process` names the process ("this command").
pub(super) fn link_note(made_by: &str, in_process: Option<&str>, process: &str) -> String {
    if in_process == Some(made_by) {
        format!(
            "note: this link was made by the sandbox inside {process} (--sandbox), which stops when {process} ends: after that the link no longer opens. For links that keep working, run `veriff-tui sandbox` in another terminal and point a profile at it (see README, \"The command line\")."
        )
    } else {
        format!(
            "note: a sandbox link: it opens only while the sandbox at {} runs.",
            sanitize(made_by)
        )
    }
}
