//! The session fields beyond names, vendor data and callback, checked as Veriff checks them:
//! the same rules the client applies before sending (`veriff::Extras::validate`), so a value
//! the app would refuse is refused here too, with Veriff's code for it. A `null` is refused:
//! the client leaves an empty field out, and a test that proves it needs a server that
//! notices.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::veriff::{ExtraField, Extras};

/// Veriff's codes: an invalid parameter, and an invalid ISO 8601 date.
const INVALID: u32 = 1104;
const BAD_DATE: u32 = 1203;

/// Where each field sits in the body: (object, key) under `verification`.
const PLACES: [(ExtraField, Option<&str>, &str); 10] = [
    (ExtraField::EndUserId, None, "endUserId"),
    (ExtraField::IdNumber, Some("person"), "idNumber"),
    (ExtraField::DateOfBirth, Some("person"), "dateOfBirth"),
    (ExtraField::Gender, Some("person"), "gender"),
    (ExtraField::Email, Some("person"), "email"),
    (ExtraField::Phone, Some("person"), "phoneNumber"),
    (ExtraField::DocumentNumber, Some("document"), "number"),
    (ExtraField::DocumentType, Some("document"), "type"),
    (ExtraField::DocumentCountry, Some("document"), "country"),
    (ExtraField::Address, Some("address"), "fullAddress"),
];

/// The extra fields of `verification`, or (code, message) for the first bad one.
pub(crate) fn extras(v: &Map<String, Value>, now: DateTime<Utc>) -> Result<Extras, (u32, String)> {
    let mut extras = Extras::default();
    for (field, object, key) in PLACES {
        let path = match object {
            Some(o) => format!("{o}.{key}"),
            None => key.to_string(),
        };
        let holder = match object {
            None => Some(v),
            Some(o) => match v.get(o) {
                None => None,
                Some(Value::Object(m)) => Some(m),
                Some(_) => return Err(invalid(&format!("{o} must be an object"))),
            },
        };
        match holder.and_then(|h| h.get(key)) {
            None => {}
            Some(Value::String(s)) => extras.set(field, s),
            Some(Value::Null) => return Err(invalid(&format!("{path} is null"))),
            Some(_) => return Err(invalid(&format!("{path} must be a string"))),
        }
    }
    match v.get("consents") {
        None => {}
        Some(Value::Array(list)) => {
            for c in list {
                let kind = c.get("type").and_then(Value::as_str);
                let approved = c.get("approved").and_then(Value::as_bool);
                match (kind, approved) {
                    (Some(k), Some(_)) => extras.consents.push(k.to_string()),
                    _ => {
                        return Err(invalid(
                            "each of consents must be {\"type\": string, \"approved\": boolean}",
                        ));
                    }
                }
            }
        }
        Some(_) => return Err(invalid("consents must be a list")),
    }
    // Veriff accepts the long spellings of gender too.
    let mut checked = extras.clone();
    checked.gender = match checked.gender.as_str() {
        "MALE" => "M".into(),
        "FEMALE" => "F".into(),
        g => g.to_string(),
    };
    if let Some((field, why)) = checked.validate(now.date_naive()).into_iter().next() {
        let code = if field == ExtraField::DateOfBirth {
            BAD_DATE
        } else {
            INVALID
        };
        let (_, object, key) = PLACES
            .iter()
            .find(|(f, _, _)| *f == field)
            .copied()
            .unwrap_or((field, None, "consents"));
        let path = object.map_or(key.to_string(), |o| format!("{o}.{key}"));
        return Err((
            code,
            format!("Request includes invalid parameters: {path} {why}."),
        ));
    }
    Ok(extras)
}

fn invalid(what: &str) -> (u32, String) {
    (
        INVALID,
        format!("Request includes invalid parameters: {what}."),
    )
}
