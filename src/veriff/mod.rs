//! The Veriff API: request and response types, signing, the HTTP client, error
//! explanations and session-token decoding. Knows nothing of terminals.

pub mod batch;
pub mod client;
pub mod error;
pub mod extras;
pub mod inspect;
pub mod response;
pub mod sign;
pub mod token;
pub mod types;

pub use client::{Client, Endpoint, MediaFile, normalize_base_url};
pub use error::ApiError;
pub use types::*;
