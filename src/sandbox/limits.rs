//! How much the sandbox lets one client take: time to send a request, connections held at
//! once, sessions kept. With `--listen 0.0.0.0` anyone on the network is a client, so none of
//! these may be unbounded; the defaults are what `veriff-tui sandbox` runs with.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The sandbox's bounds. Tests shorten them; `Limits::default()` is what users get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time a client has to send a whole request head, counted from when its connection
    /// opens or its previous answer was sent. hyper runs one timer for both, so this is
    /// also how long an idle keep-alive connection is kept.
    pub head_timeout: Duration,
    /// Time a client has to send a whole request body once its head has arrived.
    pub body_timeout: Duration,
    /// Connections served at once; more wait, unaccepted, until one ends.
    pub max_connections: usize,
    /// Sessions kept (in memory and in the state file); the oldest go first.
    pub max_sessions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A request head is a few hundred bytes and a body at most 64 KiB: a real client,
            // even a phone on a poor Wi-Fi, sends either in well under a second. 10 s also as
            // the idle time is Apache's order of magnitude (5 s); clients open a new
            // connection when the one they kept was closed.
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            // Well under the usual 1024 open files, leaving room for the state file, the
            // log and the runtime; one person's tools and phone need a handful.
            max_connections: 256,
            // A week of anyone's demos is tens or hundreds of links. At the largest fields
            // the API accepts (about 10 KB a session) 1,000 sessions are about 10 MB, in
            // memory and in the state file that is rewritten on every change.
            max_sessions: 1_000,
        }
    }
}

/// Reads the whole request body before the handler runs, within `body_timeout`: a body
/// trickled a byte at a time is cut with 408 and the connection closed, instead of holding
/// a connection (and a handler) for as long as the client likes. The body limit
/// (DefaultBodyLimit, outside this layer) still applies: a bigger body gets its 413.
pub(crate) async fn read_body_in_time(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let read = Bytes::from_request(Request::from_parts(parts.clone(), body), &());
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(rejection)) => rejection.into_response(),
        Err(_elapsed) => {
            let mut response = (
                StatusCode::REQUEST_TIMEOUT,
                axum::Json(serde_json::json!({
                    "status": "fail",
                    "message": format!(
                        "The request body did not arrive within {} s.",
                        timeout.as_secs_f32()
                    ),
                })),
            )
                .into_response();
            // The rest of the body may still be on its way: this connection cannot carry
            // another request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
