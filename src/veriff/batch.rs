//! Refreshing many decisions at once, politely: a bounded number in flight, each result on
//! its own so one failure never stops the rest.

use futures_util::stream::{self, Stream, StreamExt};

use super::client::Client;
use super::error::ApiError;
use super::types::Decision;

/// At most this many decision requests in flight at once.
pub const MAX_IN_FLIGHT: usize = 4;

pub type DecisionResult = (String, Result<Option<Decision>, ApiError>);

/// Fetches the decision of every id, at most `max_in_flight` at a time, yielding each result
/// as it arrives (not in input order).
pub fn decisions(
    client: &Client,
    ids: Vec<String>,
    max_in_flight: usize,
) -> impl Stream<Item = DecisionResult> + '_ {
    stream::iter(ids)
        .map(move |id| async move {
            let result = client.decision(&id).await;
            (id, result)
        })
        .buffer_unordered(max_in_flight.max(1))
}
