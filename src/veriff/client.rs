//! The HTTP client for Veriff's API. One `reqwest::Client` per process, reused.

use std::time::Duration;

use super::error::ApiError;
use super::types::{CreateSessionRequest, CreatedSession, Decision};

/// Where and as whom to call: one profile's connection settings, resolved.
#[derive(Clone)]
pub struct Endpoint {
    /// As configured; normalised by [`normalize_base_url`] inside the client.
    pub base_url: String,
    pub api_key: String,
    pub shared_secret: Option<String>,
    /// Sent as `vrf-integration-id` when set (flexible API keys).
    pub integration_id: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line, even through Debug.
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("shared_secret", &self.shared_secret.as_ref().map(|_| "***"))
            .field("integration_id", &self.integration_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Turns what a user typed as base URL into `scheme://host[:port][/prefix]` without `/v1`
/// and without a trailing `/`. Errors say what is wrong in plain words.
pub fn normalize_base_url(raw: &str) -> Result<String, String> {
    let _ = raw;
    Err("not implemented yet".into())
}

#[derive(Clone)]
pub struct Client {
    _private: (),
}

impl Client {
    pub fn new(endpoint: &Endpoint) -> Result<Self, ApiError> {
        let _ = endpoint;
        Err(ApiError::Config("not implemented yet".into()))
    }

    /// `POST {base}/v1/sessions`. Never retried: a retry could create a duplicate session.
    pub async fn create_session(
        &self,
        request: &CreateSessionRequest,
    ) -> Result<CreatedSession, ApiError> {
        let _ = request;
        Err(ApiError::Config("not implemented yet".into()))
    }

    /// `GET {base}/v1/sessions/{id}/decision`. `Ok(None)`: no decision yet.
    pub async fn decision(&self, session_id: &str) -> Result<Option<Decision>, ApiError> {
        let _ = session_id;
        Err(ApiError::Config("not implemented yet".into()))
    }
}
