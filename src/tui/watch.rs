//! The history, watched: a task that looks a few times a second whether another process
//! (`listen`, a second TUI, a CLI `decision`) changed it, and tells `update` what changed as
//! [`Msg::HistoryChanged`]. An idle look is one pragma on the TUI's own connection (see
//! `history::changes`), so watching costs nothing worth measuring however big the history.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OnceCell, mpsc};
use tokio::task::JoinHandle;

use super::message::Msg;
use super::runtime::shared_store;
use crate::history::Watch;
use crate::ops::SharedStore;

/// How often to look: well within the second the operator waits at most.
const EVERY: Duration = Duration::from_millis(250);
/// How long after a failed open of the history the watch tries again.
const OPEN_RETRY: Duration = Duration::from_secs(5);

/// Starts watching; the task ends when the TUI stops listening (or is aborted).
pub(super) fn spawn(
    cell: Arc<OnceCell<SharedStore>>,
    path: crate::history::Location,
    tx: mpsc::UnboundedSender<Msg>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(EVERY);
        // A look held up (the store busy with a long export) is not followed by a burst.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watch: Option<Watch> = None;
        let mut last_error: Option<String> = None;
        loop {
            ticker.tick().await;
            if tx.is_closed() {
                return;
            }
            let store = match shared_store(cell.clone(), path.clone()).await {
                Ok(s) => s,
                // The TUI says why the history cannot be opened where it is used. A damaged
                // or locked file is not opened again four times a second: the next try
                // waits a while (a look that never started has missed nothing).
                Err(_) => {
                    tokio::time::sleep(OPEN_RETRY).await;
                    continue;
                }
            };
            let looked = crate::ops::on_store(&store, move |s| match watch {
                None => s.watch().map(|w| (w, None)),
                Some(mut w) => s.changes_after(&mut w).map(|c| (w, c)),
            })
            .await;
            match looked {
                Ok((w, mut changes)) => {
                    watch = Some(w);
                    // Watching anew after a failed look: what changed in between cannot
                    // be named, so whatever shows records reloads.
                    if last_error.take().is_some() && changes.is_none() {
                        changes = Some(crate::history::Changes {
                            overflow: true,
                            ..Default::default()
                        });
                    }
                    if let Some(changes) = changes
                        && tx.send(Msg::HistoryChanged(Box::new(changes))).is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    // Said once in the log, not four times a second. The failed look took
                    // the watch with it: the next one starts anew.
                    watch = None;
                    if last_error.as_deref() != Some(e.as_str()) {
                        tracing::warn!("watching the history for changes failed: {e}");
                        last_error = Some(e);
                    }
                }
            }
        }
    })
}
