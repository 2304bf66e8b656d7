//! The accept loop of our HTTP servers (the sandbox, `listen`): axum::serve without its two
//! gaps. It sets no timeout for a request head (a client sending nothing, or a byte a
//! second, keeps its connection forever) and accepts every connection it can (until the
//! process runs out of file descriptors and real requests cannot get in). Here each
//! connection has `head_timeout` to send a request head (also how long an idle keep-alive
//! connection is kept), and at most `max_connections` are served at once. On stop, the
//! requests in progress are answered first.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

/// Told of each connection as it opens and closes (the sandbox counts them for its tests).
pub(crate) trait Tracker: Send + Sync + 'static {
    fn opened(&self) {}
    fn closed(&self) {}
}

impl Tracker for () {}

/// Closes what [`Tracker::opened`] opened, however the connection ends.
struct Open<T: Tracker>(Arc<T>);

impl<T: Tracker> Drop for Open<T> {
    fn drop(&mut self) {
        self.0.closed();
    }
}

/// Serves `app` on `listener` until `stop` fires (or its sender is dropped), then lets the
/// connections finish their requests in progress and returns once all are closed. `who`
/// names the server in the log.
pub(crate) async fn serve<T: Tracker>(
    listener: TcpListener,
    app: Router,
    head_timeout: Duration,
    max_connections: usize,
    tracker: Arc<T>,
    who: &'static str,
    mut stop: oneshot::Receiver<()>,
) {
    let max = u32::try_from(max_connections).unwrap_or(u32::MAX).max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    // Tells the connections to finish: true once the server stops.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    loop {
        // A free slot is waited for before accepting, not after: connections beyond the
        // bound wait in the kernel's listen queue, costing this process no file descriptor,
        // and are served in turn as connections end (an idle one within head_timeout).
        // Accepting and closing them instead would fail every real request made while the
        // slots are held, which is what a flood of idle connections wants.
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                // The semaphore is never closed; were it, nothing more could be served.
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors (EMFILE) and the like: accepting again at
                        // once would fail again at once, so give connections time to end.
                        tracing::warn!("{who}: cannot accept a connection: {e}");
                        tokio::select! {
                            _ = &mut stop => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                    continue;
                }
            },
        };
        tokio::spawn(serve_connection(
            stream,
            app.clone(),
            head_timeout,
            slot,
            tracker.clone(),
            who,
            stopping_rx.clone(),
        ));
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    // Every connection holds a slot until it ends: all slots free means all closed.
    let _ = slots.acquire_many(max).await;
}

/// One connection, HTTP/1.1 with keep-alive, until the client or a timeout ends it, or the
/// server stops (then the request in progress, if any, is answered first).
async fn serve_connection<T: Tracker>(
    stream: TcpStream,
    app: Router,
    head_timeout: Duration,
    _slot: OwnedSemaphorePermit,
    tracker: Arc<T>,
    who: &'static str,
    mut stopping: watch::Receiver<bool>,
) {
    tracker.opened();
    let _open = Open(tracker);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    tokio::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stopped(&mut stopping) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = served {
        // A client that hung up or was too slow: its business, not the server's.
        tracing::debug!("{who} connection ended: {e}");
    }
}

/// Returns once the server stops (or is gone, which means the same).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stopping| *stopping).await;
}

/// Errors of one connection that was already gone when accepted: nothing to wait for.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
