//! `listen`: a small HTTP server that receives Veriff's webhooks on any path and hands each
//! to [`crate::ops::webhook::receive`]. Hardened as the sandbox is (`crate::serve`): bodies
//! over 1 MiB get 413, slow clients are timed out, connections are bounded; on stop, the
//! requests in flight are answered first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::ops::SharedStore;
use crate::ops::webhook::{Keys, receive};

/// Veriff's webhooks are a few KiB; a body far beyond that is not one of them.
pub const MAX_BODY: usize = 1024 * 1024;
/// Time to send a request head (also how long an idle keep-alive connection is kept), and
/// a body once the head is in.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the kernel's queue.
const MAX_CONNECTIONS: usize = 256;

struct App {
    store: SharedStore,
    keys: Keys,
    /// Each delivery's line on stderr too (`veriff-tui listen`); inside the TUI, which
    /// owns the terminal, the log alone has them.
    echo: bool,
}

/// A running receiver; [`Listener::stop`] finishes the requests in flight.
pub struct Listener {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Binds `addr` (port 0 picks a free one) and serves until stopped; one line per
    /// delivery on stderr and in the log.
    pub async fn start(
        addr: SocketAddr,
        store: SharedStore,
        keys: Keys,
    ) -> std::io::Result<Listener> {
        Self::start_with(addr, store, keys, true).await
    }

    /// As [`Listener::start`], its lines in the log only: for a receiver inside the TUI.
    pub async fn start_quiet(
        addr: SocketAddr,
        store: SharedStore,
        keys: Keys,
    ) -> std::io::Result<Listener> {
        Self::start_with(addr, store, keys, false).await
    }

    async fn start_with(
        addr: SocketAddr,
        store: SharedStore,
        keys: Keys,
        echo: bool,
    ) -> std::io::Result<Listener> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(Arc::new(App { store, keys, echo }));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(crate::serve::serve(
            listener,
            app,
            HEAD_TIMEOUT,
            MAX_CONNECTIONS,
            Arc::new(()),
            "listen",
            rx,
        ));
        Ok(Listener {
            addr,
            stop: Some(tx),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, answers the requests in flight, returns once all are closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Any path: Veriff posts to whatever URL the integration was given.
async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    if request.method() != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed\n").into_response();
    }
    let headers = request.headers().clone();
    let body = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => {
            let status = rejection.status();
            log(
                app.echo,
                None,
                "-",
                &format!("refused ({status}): {}", rejection.body_text()),
            );
            return rejection.into_response();
        }
        Err(_) => {
            log(
                app.echo,
                None,
                "-",
                "refused (408): the body did not arrive in time",
            );
            return (
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time\n",
            )
                .into_response();
        }
    };
    match receive(&app.store, &app.keys, &headers, &body, chrono::Utc::now()).await {
        Ok(r) => {
            log(app.echo, Some(&r.session_id), &r.kind, r.outcome.as_str());
            (StatusCode::OK, "ok\n").into_response()
        }
        Err(refused) => {
            log(
                app.echo,
                refused.session_id.as_deref(),
                "-",
                &format!("refused ({}): {}", refused.status, refused.why),
            );
            let status =
                StatusCode::from_u16(refused.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // Only the status line's meaning: why a signature failed is for the log here.
            (
                status,
                format!("{}\n", status.canonical_reason().unwrap_or("refused")),
            )
                .into_response()
        }
    }
}

/// One line per delivery in the log file and, with `echo`, on stderr: time, session,
/// kind, result.
fn log(echo: bool, session: Option<&str>, kind: &str, result: &str) {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let session = crate::text::sanitize(session.unwrap_or("-"));
    let result = crate::text::sanitize(result);
    tracing::info!(%session, kind, "webhook: {result}");
    if echo {
        eprintln!("{time} {session} {kind}: {result}");
    }
}
