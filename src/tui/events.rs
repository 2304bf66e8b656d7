//! Where messages come from besides effects: the terminal's input (on its own thread, so
//! a blocked read never stalls the loop) and the signals that end the app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::crossterm::event;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::message::Msg;

pub(super) fn spawn_input_thread(tx: mpsc::UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("tui-input".into())
        .spawn(move || {
            // Polling with a timeout lets the thread notice the app has stopped.
            while !stop.load(Ordering::SeqCst) {
                match event::poll(Duration::from_millis(200)) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if let Some(msg) = Msg::from_event(ev)
                                && tx.send(msg).is_err()
                            {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::error!("reading the terminal failed: {e}");
                            let _ = tx.send(Msg::Quit);
                            break;
                        }
                    },
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!("polling the terminal failed: {e}");
                        let _ = tx.send(Msg::Quit);
                        break;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("could not start the input thread: {e}");
    }
}

pub(super) fn spawn_signal_task(tx: mpsc::UnboundedSender<Msg>) -> Option<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut hup = signal(SignalKind::hangup()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    Some(tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = hup.recv() => tracing::info!("SIGHUP"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
        let _ = tx.send(Msg::Quit);
    }))
}
