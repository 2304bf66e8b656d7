//! The read endpoints beyond the decision: person, attempts, media (and the files), and
//! watchlist screening, answered as Veriff shapes them and consistent with what was chosen
//! on the flow page: an approved session has a person and a document, a declined one its
//! reason, each decision adds an attempt. Signed over the session (or media) id like the
//! decision endpoint.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Outcome;
use super::server::{check_api_key, check_signature, fail};
use super::state::{Session, Shared};

/// A made-up identity document, the same for every decided sandbox session.
const DOCUMENT_PNG: &[u8] = include_bytes!("../../assets/sandbox-document.png");

fn ms(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Checks the key and the signature over `id`, then answers with the session or 404.
fn with_session(
    shared: &Shared,
    headers: &HeaderMap,
    id: &str,
    answer: impl FnOnce(&Session) -> Response,
) -> Response {
    if let Err(fail) =
        check_api_key(headers).and_then(|()| check_signature(headers, id.as_bytes(), true, 1818))
    {
        return fail.into_response();
    }
    let store = shared.store();
    match store.get(id) {
        Some(session) => answer(session),
        None => fail(
            StatusCode::NOT_FOUND,
            1104,
            "Session not found: no session with this id was created in this sandbox.",
        ),
    }
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn approved(s: &Session) -> bool {
    s.decision
        .as_ref()
        .is_some_and(|d| d.outcome == Outcome::Approved)
}

pub(crate) async fn person(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_session(&shared, &headers, &id, |s| {
        // What Veriff read from the document: only an approved session has it all.
        let known = approved(s);
        let e = &s.extra;
        let pick = |v: &str, made_up: &str| -> Value {
            match (known, v.is_empty()) {
                (false, _) => Value::Null,
                (true, false) => json!(v),
                (true, true) => json!(made_up),
            }
        };
        ok(json!({
            "status": "success",
            "person": {
                "id": s.id,
                "firstName": s.first_name,
                "lastName": s.last_name,
                "idCode": pick(&e.id_number, "38001085718"),
                "dateOfBirth": pick(&e.date_of_birth, "1980-01-08"),
                "gender": pick(&e.gender, "F"),
                "nationality": pick(&e.document_country, "EE"),
                "pepSanctionMatches": [],
            }
        }))
    })
}

pub(crate) async fn attempts(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_session(&shared, &headers, &id, |s| {
        let list: Vec<Value> = s
            .attempts
            .iter()
            .map(|a| {
                json!({
                    "id": a.attempt_id,
                    "status": a.outcome.status(),
                    "createdTime": ms(a.time),
                })
            })
            .collect();
        ok(json!({"status": "success", "verifications": list}))
    })
}

/// The media of each attempt: a document front and a face, named as Veriff names them.
fn media_of(s: &Session) -> Vec<Value> {
    s.attempts
        .iter()
        .flat_map(|a| {
            ["document-front", "face"].map(|name| {
                json!({
                    "id": format!("{}-{name}", a.attempt_id),
                    "name": name,
                    "context": name,
                    "mimetype": "image/png",
                    "size": DOCUMENT_PNG.len(),
                    "timestamp": ms(a.time),
                    "sessionId": s.id,
                    "url": format!("/v1/media/{}-{name}", a.attempt_id),
                })
            })
        })
        .collect()
}

pub(crate) async fn media_list(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_session(&shared, &headers, &id, |s| {
        ok(json!({"status": "success", "images": media_of(s), "videos": []}))
    })
}

pub(crate) async fn media_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(fail) =
        check_api_key(&headers).and_then(|()| check_signature(&headers, id.as_bytes(), true, 1818))
    {
        return fail.into_response();
    }
    let known = shared.store().attempt_ids().any(|attempt| {
        id.strip_prefix(attempt.as_str())
            .is_some_and(|rest| rest == "-document-front" || rest == "-face")
    });
    if !known {
        return fail(
            StatusCode::NOT_FOUND,
            1104,
            "Media not found: no media with this id in this sandbox.",
        );
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "image/png")],
        DOCUMENT_PNG,
    )
        .into_response()
}

pub(crate) async fn watchlist(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !shared.watchlist_screening() {
        // As an integration without the product answers: for this part alone.
        return fail(
            StatusCode::FORBIDDEN,
            1104,
            "Watchlist screening is not enabled for this integration.",
        );
    }
    with_session(&shared, &headers, &id, |s| {
        let Some(d) = &s.decision else {
            return ok(json!({"status": "success", "data": {
                "attemptId": null, "vendorData": s.vendor_data, "checkType": null,
                "matchStatus": null, "searchTerm": null, "totalHits": 0, "hits": [],
            }}));
        };
        let name = [s.first_name.as_deref(), s.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let year = s.extra.date_of_birth.get(..4).unwrap_or("1980").to_string();
        ok(json!({"status": "success", "data": {
            "attemptId": d.attempt_id,
            "vendorData": s.vendor_data,
            "checkType": "initial_result",
            "matchStatus": "no_match",
            "searchTerm": {"name": name, "year": year},
            "totalHits": 0,
            "createdAt": ms(d.time),
            "hits": [],
        }}))
    })
}
