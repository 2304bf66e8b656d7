//! Request and response shapes of the Veriff API, and the form input they come from.
//!
//! Requests are typed structs whose optional fields are left out, never sent as null.
//! Responses are parsed leniently: Veriff adds fields and older answers differ.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::extras::{
    AddressRequest, ConsentRequest, DOCUMENT_TYPES, DocumentRequest, ExtraField, Extras,
    PersonExtras,
};

/// What an operator asks for: the "Generate general session" form, as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInput {
    pub first_name: String,
    pub last_name: String,
    /// ISO 639-1 code, optionally with a region (`pt-BR`). Empty = not sent.
    pub lang: String,
    pub selfid: bool,
    /// Empty = not sent (Veriff then uses the integration's default).
    pub callback: String,
    /// Empty = not sent.
    pub vendor_data: String,
    /// The other documented fields ("More fields"); each empty one is not sent.
    #[serde(default)]
    pub extra: Extras,
}

/// Which legacy body fields (in the seed, no longer in the current schema) are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyFields {
    pub lang: bool,
    pub features: bool,
    pub timestamp: bool,
}

impl Default for LegacyFields {
    fn default() -> Self {
        Self {
            lang: true,
            features: true,
            timestamp: true,
        }
    }
}

/// Body of `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSessionRequest {
    pub verification: VerificationRequest,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consents: Option<Vec<ConsentRequest>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(flatten)]
    pub extra: PersonExtras,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl CreateSessionRequest {
    /// Builds the body the seed describes, leaving out empty fields and the legacy fields
    /// the configuration turned off. `now` is passed in so the body is reproducible in tests.
    pub fn from_input(input: &SessionInput, legacy: LegacyFields, now: DateTime<Utc>) -> Self {
        let first_name = non_empty(&input.first_name);
        let last_name = non_empty(&input.last_name);
        let person_extra = input.extra.person();
        let person = (first_name.is_some() || last_name.is_some() || !person_extra.is_empty())
            .then_some(Person {
                first_name,
                last_name,
                extra: person_extra,
            });
        let lang = if legacy.lang {
            non_empty(&input.lang).map(|l| l.to_ascii_lowercase())
        } else {
            None
        };
        let features = (legacy.features && input.selfid).then(|| vec!["selfid".to_string()]);
        let timestamp = legacy
            .timestamp
            .then(|| now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        Self {
            verification: VerificationRequest {
                callback: non_empty(&input.callback),
                person,
                document: input.extra.document(),
                address: input.extra.address_request(),
                vendor_data: (!input.vendor_data.is_empty()).then(|| input.vendor_data.clone()),
                end_user_id: non_empty(&input.extra.end_user_id),
                consents: input.extra.consent_requests(),
                lang,
                features,
                timestamp,
            },
        }
    }
}

/// A session Veriff created: what the operator needs and what history keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSession {
    pub id: String,
    pub url: String,
    /// Host of the end-user flow (`host`, older `baseUrl`), not the API host.
    pub host: Option<String>,
    pub session_token: Option<String>,
    pub vendor_data: Option<String>,
    pub status: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `exp` of the session token when present, else created + 7 days.
    pub expires_at: DateTime<Utc>,
}

/// A decision from `GET /v1/sessions/{id}/decision`; `None` from the client means
/// "no decision yet".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub status: SessionStatus,
    pub code: Option<i64>,
    pub reason: Option<String>,
    pub reason_code: Option<i64>,
    pub decision_time: Option<String>,
    pub vendor_data: Option<String>,
}

impl Decision {
    /// Words for people: `approved (9001)`, `declined (9102): Suspected document tampering`.
    /// Sanitised: the status and reason come from the network.
    pub fn describe(&self) -> String {
        let mut s = crate::text::sanitize(&self.status.label());
        if let Some(code) = self.code {
            s.push_str(&format!(" ({code})"));
        }
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.trim().is_empty()) {
            s.push_str(&format!(": {}", crate::text::sanitize(reason)));
        }
        s
    }
}

/// Status of a session as Veriff names it. Logic keys on the string, not the code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SessionStatus {
    #[default]
    Created,
    Started,
    Submitted,
    Approved,
    Declined,
    ResubmissionRequested,
    Review,
    Expired,
    Abandoned,
    /// Ours, not Veriff's: the request to create the session was sent (or about to be) and
    /// no usable answer came (killed, timed out, connection lost). A session may exist.
    Unknown,
    /// A status this build does not know; kept verbatim (sanitised before display).
    Other(String),
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 9] = [
        SessionStatus::Created,
        SessionStatus::Started,
        SessionStatus::Submitted,
        SessionStatus::Approved,
        SessionStatus::Declined,
        SessionStatus::ResubmissionRequested,
        SessionStatus::Review,
        SessionStatus::Expired,
        SessionStatus::Abandoned,
    ];

    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "created" => Self::Created,
            "started" => Self::Started,
            "submitted" => Self::Submitted,
            "approved" => Self::Approved,
            "declined" => Self::Declined,
            "resubmission_requested" | "resubmission" => Self::ResubmissionRequested,
            "review" => Self::Review,
            "expired" => Self::Expired,
            "abandoned" => Self::Abandoned,
            "unknown" => Self::Unknown,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Started => "started",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::ResubmissionRequested => "resubmission_requested",
            Self::Review => "review",
            Self::Expired => "expired",
            Self::Abandoned => "abandoned",
            Self::Unknown => "unknown",
            Self::Other(s) => s,
        }
    }

    /// Words for people ("resubmission requested").
    pub fn label(&self) -> String {
        match self {
            Self::Unknown => "outcome unknown".into(),
            s => s.as_str().replace('_', " "),
        }
    }

    /// The label for a table column (at most 12 columns for every known status), with
    /// the same meaning: "resubmission", not a cut "resubmissio…".
    pub fn short_label(&self) -> String {
        match self {
            Self::ResubmissionRequested => "resubmission".into(),
            Self::Unknown => "unknown".into(),
            s => s.label(),
        }
    }

    /// What an operator should do about a record in this status, where it needs saying.
    pub fn advice(&self) -> Option<&'static str> {
        matches!(self, Self::Unknown).then_some(
            "the request was sent but no answer came: look for the session in the Veriff Customer Portal before generating again",
        )
    }

    /// A final decision: asking Veriff again will not change it. An unknown outcome is
    /// final too: there is no session id to ask about, and it never turns into "expired".
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Approved | Self::Declined | Self::Expired | Self::Abandoned | Self::Unknown
        )
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SessionStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SessionStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn body_matches_the_seed_and_leaves_out_empty_fields() {
        let input = SessionInput {
            first_name: "John".into(),
            last_name: "Smith".into(),
            lang: "EN".into(),
            selfid: true,
            callback: "https://this.is.your.redirect.url".into(),
            vendor_data: String::new(),
            extra: Extras::default(),
        };
        let now = Utc.with_ymd_and_hms(2016, 5, 19, 8, 30, 25).unwrap()
            + chrono::Duration::milliseconds(597);
        let body = CreateSessionRequest::from_input(&input, LegacyFields::default(), now);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"verification":{"callback":"https://this.is.your.redirect.url","person":{"firstName":"John","lastName":"Smith"},"lang":"en","features":["selfid"],"timestamp":"2016-05-19T08:30:25.597Z"}}"#
        );
        let off = LegacyFields {
            lang: false,
            features: false,
            timestamp: false,
        };
        let bare = CreateSessionRequest::from_input(&SessionInput::default(), off, now);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"verification":{}}"#
        );
    }

    #[test]
    fn every_extra_field_goes_where_the_api_wants_it_and_empty_ones_not_at_all() {
        let input = SessionInput {
            first_name: "Anna".into(),
            extra: Extras {
                end_user_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
                id_number: "38001085718".into(),
                date_of_birth: "1980-01-08".into(),
                gender: "F".into(),
                email: "anna@example.com".into(),
                phone: "+37255551234".into(),
                document_number: "AB1234567".into(),
                document_type: "PASSPORT".into(),
                document_country: "EE".into(),
                address: "Narva mnt 5, Tallinn".into(),
                consents: vec!["ine".into(), "bipa".into()],
            },
            ..Default::default()
        };
        let off = LegacyFields {
            lang: false,
            features: false,
            timestamp: false,
        };
        let body = CreateSessionRequest::from_input(&input, off, Utc::now());
        let got: serde_json::Value = serde_json::to_value(&body).unwrap();
        let want = serde_json::json!({"verification": {
            "person": {"firstName": "Anna", "idNumber": "38001085718",
                "phoneNumber": "+37255551234", "gender": "F", "dateOfBirth": "1980-01-08",
                "email": "anna@example.com"},
            "document": {"number": "AB1234567", "type": "PASSPORT", "country": "EE"},
            "address": {"fullAddress": "Narva mnt 5, Tallinn"},
            "endUserId": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "consents": [{"type": "ine", "approved": true}, {"type": "bipa", "approved": true}],
        }});
        assert_eq!(got, want);
        // One field alone: its object and nothing else; never a null.
        let only = SessionInput {
            extra: Extras {
                document_country: "EE".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let text = serde_json::to_string(&CreateSessionRequest::from_input(&only, off, Utc::now()))
            .unwrap();
        assert_eq!(text, r#"{"verification":{"document":{"country":"EE"}}}"#);
    }

    #[test]
    fn status_round_trips() {
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.as_str()), s);
        }
        assert_eq!(
            SessionStatus::parse("weird"),
            SessionStatus::Other("weird".into())
        );
    }
}

/// A form field, for validation messages shown next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    FirstName,
    LastName,
    Lang,
    Callback,
    VendorData,
    Extra(ExtraField),
}

/// Veriff's limit on vendorData (errors 1500/1501 past it).
pub const VENDOR_DATA_MAX_CHARS: usize = 1000;

/// True for `en`, `pt-BR`, `zh-Hant`: ISO 639-1, optionally with a region or script.
pub fn is_valid_lang(code: &str) -> bool {
    let mut parts = code.split('-');
    let base_ok = parts
        .next()
        .is_some_and(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_alphabetic()));
    let rest: Vec<&str> = parts.collect();
    base_ok
        && rest.len() <= 1
        && rest
            .iter()
            .all(|r| (2..=4).contains(&r.len()) && r.bytes().all(|c| c.is_ascii_alphanumeric()))
}

impl SessionInput {
    /// Checks the form before anything is sent; an invalid form is never sent.
    /// `allow_http_callback`: plain http callbacks to a loopback host (sandbox demos only;
    /// Veriff itself answers 1302).
    pub fn validate(&self, allow_http_callback: bool) -> Vec<(Field, String)> {
        let mut errors = Vec::new();
        for (field, value) in [
            (Field::FirstName, &self.first_name),
            (Field::LastName, &self.last_name),
            (Field::Lang, &self.lang),
            (Field::Callback, &self.callback),
            (Field::VendorData, &self.vendor_data),
        ] {
            // Control characters, and the bidirectional and invisible ones that make a name
            // read as something it is not (`evil\u{202E}txt.exe`): refused, not stored.
            if value.chars().any(crate::text::is_unsafe) {
                errors.push((
                    field,
                    "must not contain control, bidirectional or invisible characters".to_string(),
                ));
            }
        }
        let lang = self.lang.trim();
        if !lang.is_empty() && !is_valid_lang(lang) {
            errors.push((
                Field::Lang,
                "use a two-letter ISO 639-1 code such as en, or en-GB".to_string(),
            ));
        }
        let callback = self.callback.trim();
        if !callback.is_empty() {
            let userinfo = url::Url::parse(callback).is_ok_and(|u| has_userinfo(&u));
            let ok =
                is_https_url(callback) || allow_http_callback && allows_http_callback(callback);
            if userinfo {
                errors.push((
                    Field::Callback,
                    "must not contain a user name or password (user@host)".to_string(),
                ));
            } else if !ok {
                let why = if allow_http_callback {
                    "must be an https:// URL (http:// only to 127.0.0.1 or localhost)"
                } else {
                    "must be an https:// URL (Veriff rejects others with 1302)"
                };
                errors.push((Field::Callback, why.to_string()));
            }
        }
        let n = self.vendor_data.chars().count();
        if n > VENDOR_DATA_MAX_CHARS {
            errors.push((
                Field::VendorData,
                format!("at most {VENDOR_DATA_MAX_CHARS} characters (now {n})"),
            ));
        }
        let today = Utc::now().date_naive();
        errors.extend(
            self.extra
                .normalised()
                .validate(today)
                .into_iter()
                .map(|(f, why)| (Field::Extra(f), why)),
        );
        errors
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    fn input() -> SessionInput {
        SessionInput {
            first_name: "Zoë".into(),
            last_name: "李".into(),
            lang: "en".into(),
            selfid: true,
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_plain_form() {
        assert!(input().validate(false).is_empty());
    }

    #[test]
    fn names_each_bad_field() {
        let mut i = input();
        i.callback = "http://example.com/back".into();
        i.vendor_data = "x".repeat(1001);
        i.first_name = "a\x1b[2J".into();
        i.lang = "english".into();
        let fields: Vec<Field> = i.validate(false).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                Field::FirstName,
                Field::Lang,
                Field::Callback,
                Field::VendorData
            ]
        );
    }

    #[test]
    fn http_callback_only_to_loopback_and_only_when_allowed() {
        let mut i = input();
        i.callback = "http://127.0.0.1:8080/done".into();
        assert!(i.validate(true).is_empty());
        assert_eq!(i.validate(false).len(), 1);
        i.callback = "http://evil.example/127.0.0.1".into();
        assert_eq!(i.validate(true).len(), 1);
        i.callback = "http://127.0.0.1.evil.example/".into();
        assert_eq!(i.validate(true).len(), 1);
        i.callback = "https://".into();
        assert_eq!(i.validate(false).len(), 1);
    }

    #[test]
    fn a_user_name_in_a_callback_is_never_taken_for_its_host() {
        let mut i = input();
        for tricky in [
            "http://127.0.0.1:80@evil.example/steal",
            "http://localhost:x@evil.example/",
            "http://[::1]:1@evil.example/",
            "https://user:pass@example.com/done",
            "http://127.0.0.1@evil.example/",
        ] {
            i.callback = tricky.into();
            assert_eq!(i.validate(true).len(), 1, "{tricky}");
            assert!(!allows_http_callback(tricky), "{tricky}");
        }
        for fine in [
            "http://127.0.0.1:8080/done",
            "http://localhost/done",
            "http://[::1]:9/x",
            "https://example.com/done",
        ] {
            i.callback = fine.into();
            assert!(i.validate(true).is_empty(), "{fine}");
        }
    }

    #[test]
    fn bidirectional_and_invisible_characters_are_refused_in_every_field() {
        let mut i = input();
        for bad in [
            "evil\u{202E}txt",
            "a\u{200B}b",
            "x\u{2066}y\u{2069}",
            "\u{FEFF}Anna",
        ] {
            i.first_name = bad.into();
            assert_eq!(i.validate(false).len(), 1, "{bad:?}");
        }
        // Joiners are part of Indic, Persian and emoji spelling.
        for good in ["क्षत्रिय", "می\u{200C}خواهم", "👨\u{200D}👩\u{200D}👧"]
        {
            i.first_name = good.into();
            assert!(i.validate(false).is_empty(), "{good:?}");
        }
    }

    #[test]
    fn lang_codes() {
        for ok in ["en", "pt-BR", "zh-Hant", "ET"] {
            assert!(is_valid_lang(ok), "{ok}");
        }
        for bad in ["", "eng", "e1", "en-", "en-GB-x", "en_GB"] {
            assert!(!is_valid_lang(bad), "{bad}");
        }
    }
}

/// Plain http callbacks are allowed only when the API itself is on a loopback host (a
/// sandbox): the flow then never leaves this machine. Parsed as a URL, never split by
/// hand: `http://127.0.0.1:80@evil.example/` has the host evil.example, and a URL with a
/// user name or password is refused whatever its host.
pub fn allows_http_callback(base_url: &str) -> bool {
    let Ok(url) = url::Url::parse(base_url.trim()) else {
        return false;
    };
    url.scheme() == "http" && !has_userinfo(&url) && url.host().is_some_and(is_loopback)
}

/// An https:// URL with a host and no user name or password.
pub fn is_https_url(text: &str) -> bool {
    url::Url::parse(text.trim())
        .is_ok_and(|u| u.scheme() == "https" && u.host().is_some() && !has_userinfo(&u))
}

fn has_userinfo(url: &url::Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

fn is_loopback(host: url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}
