//! What Veriff knows of a session beyond its decision: the person, the attempts, the media
//! list and the watchlist screening (`GET /v1/sessions/{id}/person`, `/attempts`, `/media`,
//! `/watchlist-screening`). Read leniently (Veriff adds fields), every string made safe
//! and bounded where it enters, so what is stored and shown is plain text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::response::{Scrub, fail_from, int_field, json_body, object, says_fail, string_field};
use super::types::Decision;

/// Bounds for stored strings: names and ids are short, anything longer is not Veriff's.
const SHORT: usize = 256;
/// Most items of one list kept (attempts, media, hits): a session has a handful.
const MAX_ITEMS: usize = 200;

/// One part of an inspection: what came, or why it did not. Parts load on their own; an
/// integration without watchlist screening gets an error for that part alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part<T> {
    Ok(T),
    Error(String),
}

impl<T> Part<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Part::Ok(t) => Some(t),
            Part::Error(_) => None,
        }
    }

    fn error_mut(&mut self) -> Option<&mut String> {
        match self {
            Part::Ok(_) => None,
            Part::Error(e) => Some(e),
        }
    }

    /// The part from a request's result, the error in the words people read.
    pub fn from_result(result: Result<T, ApiError>) -> Part<T> {
        match result {
            Ok(t) => Part::Ok(t),
            Err(e) => Part::Error(e.to_string()),
        }
    }
}

/// Everything fetched about one session, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub session_id: String,
    pub fetched_at: DateTime<Utc>,
    /// `None` inside: no decision yet.
    pub decision: Part<Option<Decision>>,
    pub person: Part<PersonInfo>,
    pub attempts: Part<Vec<Attempt>>,
    pub media: Part<Vec<MediaItem>>,
    pub watchlist_screening: Part<Watchlist>,
}

impl Inspection {
    /// Every string made safe: one read back from a history file may hold anything.
    pub fn make_safe(&mut self) {
        use crate::text::make_safe as safe;
        let opt = |o: &mut Option<String>| {
            if let Some(s) = o.as_mut() {
                safe(s);
            }
        };
        safe(&mut self.session_id);
        if let Part::Ok(Some(d)) = &mut self.decision {
            opt(&mut d.reason);
            opt(&mut d.decision_time);
            opt(&mut d.vendor_data);
        }
        if let Part::Ok(p) = &mut self.person {
            for f in [
                &mut p.first_name,
                &mut p.last_name,
                &mut p.id_code,
                &mut p.date_of_birth,
                &mut p.gender,
                &mut p.nationality,
            ] {
                opt(f);
            }
        }
        if let Part::Ok(list) = &mut self.attempts {
            for a in list {
                safe(&mut a.id);
                opt(&mut a.status);
                opt(&mut a.created_time);
            }
        }
        if let Part::Ok(list) = &mut self.media {
            list.retain(|m| is_plain_id(&m.id));
            for m in list {
                safe(&mut m.kind);
                for f in [
                    &mut m.name,
                    &mut m.context,
                    &mut m.mimetype,
                    &mut m.timestamp,
                ] {
                    opt(f);
                }
            }
        }
        if let Part::Ok(w) = &mut self.watchlist_screening {
            for f in [
                &mut w.match_status,
                &mut w.check_type,
                &mut w.search_name,
                &mut w.search_year,
                &mut w.created_at,
            ] {
                opt(f);
            }
            w.hits.iter_mut().for_each(safe);
        }
        for e in [
            self.decision.error_mut(),
            self.person.error_mut(),
            self.attempts.error_mut(),
            self.media.error_mut(),
            self.watchlist_screening.error_mut(),
        ]
        .into_iter()
        .flatten()
        {
            safe(e);
        }
    }
}

/// `GET /v1/sessions/{id}/person`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInfo {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub id_code: Option<String>,
    pub date_of_birth: Option<String>,
    pub gender: Option<String>,
    pub nationality: Option<String>,
    /// How many PEP or sanction matches Veriff lists for the person.
    pub pep_sanction_matches: usize,
}

/// One attempt of `GET /v1/sessions/{id}/attempts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub id: String,
    pub status: Option<String>,
    pub created_time: Option<String>,
}

/// One item of `GET /v1/sessions/{id}/media`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaItem {
    pub id: String,
    /// `image` or `video`: which list it came in.
    pub kind: String,
    pub name: Option<String>,
    pub context: Option<String>,
    pub mimetype: Option<String>,
    pub size: Option<u64>,
    pub timestamp: Option<String>,
}

/// `GET /v1/sessions/{id}/watchlist-screening`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchlist {
    /// `possible_match` or `no_match`.
    pub match_status: Option<String>,
    /// `initial_result` or `updated_result`.
    pub check_type: Option<String>,
    pub search_name: Option<String>,
    pub search_year: Option<String>,
    pub total_hits: Option<i64>,
    pub created_at: Option<String>,
    /// What each hit matched, one line each.
    pub hits: Vec<String>,
}

/// The checked success object of a read endpoint.
fn success(status: u16, body: &[u8], scrub: &Scrub) -> Result<Map<String, Value>, ApiError> {
    let obj = object(status, json_body(status, body, scrub)?)?;
    if says_fail(&obj) {
        return Err(fail_from(status, &obj, scrub));
    }
    Ok(obj)
}

fn missing(status: u16, what: &str) -> ApiError {
    ApiError::BadJson {
        status,
        detail: format!("the answer has no {what}"),
    }
}

pub fn parse_person(status: u16, body: &[u8], scrub: &Scrub) -> Result<PersonInfo, ApiError> {
    let obj = success(status, body, scrub)?;
    let p = obj
        .get("person")
        .and_then(Value::as_object)
        .ok_or_else(|| missing(status, "person object"))?;
    let s = |key: &str| string_field(p, key, scrub, SHORT);
    Ok(PersonInfo {
        first_name: s("firstName"),
        last_name: s("lastName"),
        id_code: s("idCode").or_else(|| s("idNumber")),
        date_of_birth: s("dateOfBirth"),
        gender: s("gender"),
        nationality: s("nationality"),
        pep_sanction_matches: p
            .get("pepSanctionMatches")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    })
}

pub fn parse_attempts(status: u16, body: &[u8], scrub: &Scrub) -> Result<Vec<Attempt>, ApiError> {
    let obj = success(status, body, scrub)?;
    let list = obj
        .get("verifications")
        .and_then(Value::as_array)
        .ok_or_else(|| missing(status, "verifications list"))?;
    Ok(list
        .iter()
        .filter_map(Value::as_object)
        .take(MAX_ITEMS)
        .filter_map(|a| {
            Some(Attempt {
                id: string_field(a, "id", scrub, SHORT)?,
                status: string_field(a, "status", scrub, 64),
                created_time: string_field(a, "createdTime", scrub, 64),
            })
        })
        .collect())
}

pub fn parse_media(status: u16, body: &[u8], scrub: &Scrub) -> Result<Vec<MediaItem>, ApiError> {
    let obj = success(status, body, scrub)?;
    let mut items = Vec::new();
    for (key, kind) in [("images", "image"), ("videos", "video")] {
        let Some(list) = obj.get(key).and_then(Value::as_array) else {
            continue;
        };
        for m in list.iter().filter_map(Value::as_object) {
            // The id names the file to fetch: one path segment of a plain id, or nothing.
            let Some(id) = string_field(m, "id", scrub, SHORT).filter(|id| is_plain_id(id)) else {
                continue;
            };
            items.push(MediaItem {
                id,
                kind: kind.to_string(),
                name: string_field(m, "name", scrub, SHORT),
                context: string_field(m, "context", scrub, SHORT),
                mimetype: string_field(m, "mimetype", scrub, 100),
                size: int_field(m, "size").and_then(|n| u64::try_from(n).ok()),
                timestamp: string_field(m, "timestamp", scrub, 64),
            });
            if items.len() >= MAX_ITEMS {
                return Ok(items);
            }
        }
    }
    Ok(items)
}

pub fn parse_watchlist(status: u16, body: &[u8], scrub: &Scrub) -> Result<Watchlist, ApiError> {
    let obj = success(status, body, scrub)?;
    let d = obj
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| missing(status, "data object"))?;
    let s = |key: &str| string_field(d, key, scrub, SHORT);
    let term = d.get("searchTerm").and_then(Value::as_object);
    let hits = d
        .get("hits")
        .and_then(Value::as_array)
        .map(|hits| {
            hits.iter()
                .take(MAX_ITEMS)
                .map(|h| describe_hit(h, scrub))
                .collect()
        })
        .unwrap_or_default();
    Ok(Watchlist {
        match_status: s("matchStatus"),
        check_type: s("checkType"),
        search_name: term.and_then(|t| string_field(t, "name", scrub, SHORT)),
        search_year: term.and_then(|t| {
            string_field(t, "year", scrub, 8)
                .or_else(|| int_field(t, "year").map(|y| y.to_string()))
        }),
        total_hits: int_field(d, "totalHits"),
        created_at: s("createdAt"),
        hits,
    })
}

/// A hit in one line: its matched name and what lists it is on, whatever shape it has.
fn describe_hit(hit: &Value, scrub: &Scrub) -> String {
    let Some(h) = hit.as_object() else {
        return scrub.clean(&hit.to_string(), SHORT);
    };
    let name = string_field(h, "matchedName", scrub, SHORT)
        .or_else(|| string_field(h, "name", scrub, SHORT))
        .unwrap_or_else(|| "(no name)".into());
    let types: Vec<String> = h
        .get("matchTypes")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(|s| scrub.clean(s, 40))
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        name
    } else {
        format!("{name} ({})", types.join(", "))
    }
}

/// Media and session ids are UUIDs; anything else could walk the URL's path.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Scrub<'static> {
        Scrub::default()
    }

    #[test]
    fn parts_read_leniently_and_safely() {
        let person = br#"{"status":"success","person":{"id":"x","firstName":"Anna\u001b[2J","lastName":"Tamm","idCode":"38001085718","dateOfBirth":"1980-01-08","gender":"F","nationality":"EE","pepSanctionMatches":[{},{}],"new":1}}"#;
        let p = parse_person(200, person, &none()).unwrap();
        assert_eq!(p.first_name.as_deref(), Some("Anna[2J"));
        assert_eq!(p.pep_sanction_matches, 2);

        let attempts = br#"{"status":"success","verifications":[{"id":"a1","status":"resubmission_requested","createdTime":"2026-11-30T06:00:00.000Z"},{"status":"x"},{"id":"a2","status":"approved"}]}"#;
        let a = parse_attempts(200, attempts, &none()).unwrap();
        assert_eq!(a.len(), 2, "an attempt without an id is no attempt");

        let media = br#"{"status":"success","images":[{"id":"m-1","name":"document-front","mimetype":"image/png","size":1234},{"id":"../../v1/sessions","name":"x"}],"videos":[{"id":"v1","name":"selfid_video","size":"99"}]}"#;
        let m = parse_media(200, media, &none()).unwrap();
        assert_eq!(m.len(), 2, "a path in a media id is refused: {m:?}");
        assert_eq!(m[0].kind, "image");
        assert_eq!(m[1].size, Some(99));

        let watch = br#"{"status":"success","data":{"matchStatus":"possible_match","checkType":"initial_result","searchTerm":{"name":"Anna Tamm","year":1980},"totalHits":1,"hits":[{"matchedName":"Anna Tamm","matchTypes":["pep","sanction"]}]}}"#;
        let w = parse_watchlist(200, watch, &none()).unwrap();
        assert_eq!(w.search_year.as_deref(), Some("1980"));
        assert_eq!(w.hits, vec!["Anna Tamm (pep, sanction)"]);

        let fail = br#"{"status":"fail","code":1818,"message":"Signature mismatch"}"#;
        assert!(parse_watchlist(200, fail, &none()).is_err());
    }
}
