//! `listen`: receives Veriff's webhooks into the history, in the foreground until Ctrl+C or
//! SIGTERM (which finish the requests in flight).

use super::{EXIT_LOCAL, EXIT_USAGE, Failure, Outcome, open_store, output};
use crate::config::Settings;
use crate::listen::Listener;
use crate::ops::webhook::Keys;

pub(super) async fn run(settings: &Settings, port: u16, listen: std::net::IpAddr) -> Outcome {
    let (keys, left_out) = Keys::from_settings(settings);
    for why in &left_out {
        output::warn(why);
    }
    if keys.is_empty() {
        return Err(Failure::new(
            EXIT_USAGE,
            "no profile has both an api_key and a shared_secret: no webhook could be checked, so none would be accepted",
        )
        .hint("Add shared_secret (and webhook_secrets while rotating) to the profile in the config file (see README, \"Live decisions (webhooks)\")."));
    }
    let store = crate::ops::shared(open_store(settings)?);
    let addr = std::net::SocketAddr::new(listen, port);
    let shutdown = super::shutdown::Shutdown::take();
    let listener = Listener::start(addr, store, keys.clone())
        .await
        .map_err(|e| {
            Failure::new(EXIT_LOCAL, format!("cannot listen on {addr}: {e}"))
                .hint("Another program may use that port: try --port 0 for a free one.")
        })?;
    let profiles = keys
        .profiles()
        .iter()
        .map(|p| crate::text::sanitize(p))
        .collect::<Vec<_>>()
        .join(", ");
    // The first line names the address: a script (or a test) started with --port 0 reads it.
    let text = format!(
        "veriff-tui listen: receiving Veriff webhooks on http://{}/ (any path)\n  profiles: {profiles}\n  history:  {}\nCtrl+C stops it.\n",
        listener.addr(),
        settings.history_location(),
    );
    // A closed stdout is no reason to stop receiving.
    let _ = output::write_all(text.as_bytes());
    shutdown.wait().await;
    output::note("veriff-tui listen: stopping; answering the webhooks in flight first");
    listener.stop().await;
    Ok(())
}
