//! Ctrl+C, SIGTERM and SIGHUP for the commands that serve until stopped (`sandbox`,
//! `listen`). The signals are taken when [`Shutdown::take`] is called, before the address is
//! printed: a signal sent the moment a script reads that line stops the server gracefully,
//! never by the default action that would cut off the requests in flight.

pub(super) struct Shutdown {
    #[cfg(unix)]
    signals: Option<[tokio::signal::unix::Signal; 3]>,
}

impl Shutdown {
    pub(super) fn take() -> Shutdown {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = (|| {
                Ok::<_, std::io::Error>([
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::hangup())?,
                ])
            })();
            if let Err(e) = &signals {
                tracing::warn!("cannot take SIGTERM and SIGHUP ({e}): only Ctrl+C stops it");
            }
            Shutdown {
                signals: signals.ok(),
            }
        }
        #[cfg(not(unix))]
        Shutdown {}
    }

    /// Returns when one of the signals comes.
    pub(super) async fn wait(self) {
        #[cfg(unix)]
        if let Some([mut int, mut term, mut hup]) = self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
