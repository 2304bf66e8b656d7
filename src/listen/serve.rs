//! The receiver's accept loop, as the sandbox's (`sandbox::serve`, which also counts
//! connections for its tests): axum::serve sets no request-head timeout and accepts every
//! connection it can, so here each connection has `head_timeout` to send a request head and
//! at most `max_connections` are served at once. On stop, requests in flight are answered.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    head_timeout: Duration,
    max_connections: usize,
    mut stop: oneshot::Receiver<()>,
) {
    let max = u32::try_from(max_connections).unwrap_or(u32::MAX).max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stopping_tx, stopping_rx) = watch::channel(false);
    loop {
        // A slot before accepting: connections beyond the bound wait in the kernel's queue.
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: trying again at once fails again.
                    tracing::warn!("listen: cannot accept a connection: {e}");
                    tokio::select! {
                        _ = &mut stop => break,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            stream,
            app.clone(),
            head_timeout,
            slot,
            stopping_rx.clone(),
        ));
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    // Every connection holds a slot until it ends: all slots free means all closed.
    let _ = slots.acquire_many(max).await;
}

async fn connection(
    stream: TcpStream,
    app: Router,
    head_timeout: Duration,
    _slot: OwnedSemaphorePermit,
    mut stopping: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = stopped(&mut stopping) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = served {
        tracing::debug!("listen connection ended: {e}");
    }
}

/// Returns once the receiver stops (or is gone, which means the same).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}
