//! What an operator may already know about the person (the session fields beyond the
//! names): their rules, and where each goes in the body of `POST /v1/sessions`.
//!
//! Every field is text as typed; an empty one is left out of the body, never sent as null
//! or "". Values are normalised where Veriff wants one spelling (`PASSPORT`, `EE`, `M`) so
//! that what is stored is what was sent.

use serde::{Deserialize, Serialize};

/// The documented session fields beyond names, language, SelfID, callback and vendor data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extras {
    /// `verification.endUserId`: the operator's own id of the person, a UUID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub end_user_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id_number: String,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub date_of_birth: String,
    /// `M` or `F`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gender: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document_number: String,
    /// One of [`DOCUMENT_TYPES`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document_type: String,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document_country: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Consent types, each sent as `{"type": ..., "approved": true}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<String>,
}

/// The document types Veriff documents for `verification.document.type`.
pub const DOCUMENT_TYPES: [&str; 4] =
    ["PASSPORT", "ID_CARD", "DRIVERS_LICENSE", "RESIDENCE_PERMIT"];

/// One extra field: its name on the command line, in the form, in config and in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtraField {
    EndUserId,
    IdNumber,
    DateOfBirth,
    Gender,
    Email,
    Phone,
    DocumentNumber,
    DocumentType,
    DocumentCountry,
    Address,
    Consents,
}

/// The longest free-text value accepted (an address, an id number): well above any real
/// one, and what keeps a stored record small.
pub const MAX_EXTRA_CHARS: usize = 255;

impl ExtraField {
    pub const ALL: [ExtraField; 11] = [
        ExtraField::EndUserId,
        ExtraField::IdNumber,
        ExtraField::DateOfBirth,
        ExtraField::Gender,
        ExtraField::Email,
        ExtraField::Phone,
        ExtraField::DocumentNumber,
        ExtraField::DocumentType,
        ExtraField::DocumentCountry,
        ExtraField::Address,
        ExtraField::Consents,
    ];

    /// The label people read (form, details): at most 14 columns, the details' label column.
    pub fn label(self) -> &'static str {
        match self {
            ExtraField::EndUserId => "End-user ID",
            ExtraField::IdNumber => "ID number",
            ExtraField::DateOfBirth => "Date of birth",
            ExtraField::Gender => "Gender",
            ExtraField::Email => "Email",
            ExtraField::Phone => "Phone",
            ExtraField::DocumentNumber => "Document no.",
            ExtraField::DocumentType => "Document type",
            ExtraField::DocumentCountry => "Doc. country",
            ExtraField::Address => "Address",
            ExtraField::Consents => "Consents",
        }
    }

    /// The key in config, JSON and CSV (`end_user_id`); the flag is the same with dashes.
    pub fn key(self) -> &'static str {
        match self {
            ExtraField::EndUserId => "end_user_id",
            ExtraField::IdNumber => "id_number",
            ExtraField::DateOfBirth => "date_of_birth",
            ExtraField::Gender => "gender",
            ExtraField::Email => "email",
            ExtraField::Phone => "phone",
            ExtraField::DocumentNumber => "document_number",
            ExtraField::DocumentType => "document_type",
            ExtraField::DocumentCountry => "document_country",
            ExtraField::Address => "address",
            ExtraField::Consents => "consents",
        }
    }

    /// What a valid value looks like, for hints and placeholders.
    pub fn hint(self) -> &'static str {
        match self {
            ExtraField::EndUserId => "a UUID",
            ExtraField::IdNumber => "as on the document",
            ExtraField::DateOfBirth => "YYYY-MM-DD",
            ExtraField::Gender => "M or F",
            ExtraField::Email => "name@example.com",
            ExtraField::Phone => "+3725551234",
            ExtraField::DocumentNumber => "letters and digits",
            ExtraField::DocumentType => "PASSPORT, ID_CARD, DRIVERS_LICENSE, RESIDENCE_PERMIT",
            ExtraField::DocumentCountry => "two letters, e.g. EE",
            ExtraField::Address => "one line",
            ExtraField::Consents => "types, comma-separated",
        }
    }
}

impl Extras {
    /// The value of `field` as text (consents comma-separated).
    pub fn get(&self, field: ExtraField) -> String {
        match field {
            ExtraField::Consents => self.consents.join(", "),
            f => self.text(f).cloned().unwrap_or_default(),
        }
    }

    /// Sets `field` from text as typed (consents split at commas).
    pub fn set(&mut self, field: ExtraField, value: &str) {
        match field {
            ExtraField::Consents => {
                self.consents = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
            }
            f => {
                if let Some(slot) = self.text_mut(f) {
                    *slot = value.to_string();
                }
            }
        }
    }

    fn text(&self, field: ExtraField) -> Option<&String> {
        Some(match field {
            ExtraField::EndUserId => &self.end_user_id,
            ExtraField::IdNumber => &self.id_number,
            ExtraField::DateOfBirth => &self.date_of_birth,
            ExtraField::Gender => &self.gender,
            ExtraField::Email => &self.email,
            ExtraField::Phone => &self.phone,
            ExtraField::DocumentNumber => &self.document_number,
            ExtraField::DocumentType => &self.document_type,
            ExtraField::DocumentCountry => &self.document_country,
            ExtraField::Address => &self.address,
            ExtraField::Consents => return None,
        })
    }

    fn text_mut(&mut self, field: ExtraField) -> Option<&mut String> {
        Some(match field {
            ExtraField::EndUserId => &mut self.end_user_id,
            ExtraField::IdNumber => &mut self.id_number,
            ExtraField::DateOfBirth => &mut self.date_of_birth,
            ExtraField::Gender => &mut self.gender,
            ExtraField::Email => &mut self.email,
            ExtraField::Phone => &mut self.phone,
            ExtraField::DocumentNumber => &mut self.document_number,
            ExtraField::DocumentType => &mut self.document_type,
            ExtraField::DocumentCountry => &mut self.document_country,
            ExtraField::Address => &mut self.address,
            ExtraField::Consents => return None,
        })
    }

    /// True when nothing is filled in.
    pub fn is_empty(&self) -> bool {
        *self == Extras::default()
    }

    /// The filled-in fields with their values, in form order.
    pub fn filled(&self) -> Vec<(ExtraField, String)> {
        ExtraField::ALL
            .iter()
            .map(|f| (*f, self.get(*f)))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// Each field as Veriff wants it spelled (trimmed, `passport` → `PASSPORT`, `ee` → `EE`,
    /// `female` → `F`, a phone without its spaces and dashes). Applied before validating
    /// and sending, so the stored value is the sent one.
    pub fn normalised(&self) -> Extras {
        let mut e = self.clone();
        for f in ExtraField::ALL {
            if let Some(v) = e.text_mut(f) {
                *v = v.trim().to_string();
            }
        }
        e.document_type = e
            .document_type
            .to_ascii_uppercase()
            .replace([' ', '-'], "_");
        e.document_country = e.document_country.to_ascii_uppercase();
        e.gender = match e.gender.to_ascii_uppercase().as_str() {
            "MALE" => "M".into(),
            "FEMALE" => "F".into(),
            other => other.to_string(),
        };
        e.end_user_id = e.end_user_id.to_ascii_lowercase();
        e.phone
            .retain(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'));
        e.consents = e
            .consents
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        e
    }

    /// Every problem of every field, as `(field, why)`: the same words in the form, on
    /// the command line and from the sandbox. Checks the values as given: call it on
    /// [`Extras::normalised`].
    pub fn validate(&self, today: chrono::NaiveDate) -> Vec<(ExtraField, String)> {
        let mut errors = Vec::new();
        for f in ExtraField::ALL {
            let value = self.get(f);
            if value.chars().any(crate::text::is_unsafe) {
                errors.push((
                    f,
                    "must not contain control, bidirectional or invisible characters".into(),
                ));
            } else if value.chars().count() > MAX_EXTRA_CHARS {
                errors.push((f, format!("at most {MAX_EXTRA_CHARS} characters")));
            } else if !value.is_empty()
                && let Err(why) = check(f, self, today)
            {
                errors.push((f, why));
            }
        }
        errors
    }
}

fn check(field: ExtraField, e: &Extras, today: chrono::NaiveDate) -> Result<(), String> {
    match field {
        ExtraField::EndUserId => {
            if e.end_user_id.len() == 36 && uuid::Uuid::try_parse(&e.end_user_id).is_ok() {
                Ok(())
            } else {
                Err("must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)".into())
            }
        }
        ExtraField::DateOfBirth => check_date_of_birth(&e.date_of_birth, today),
        ExtraField::Gender => match e.gender.as_str() {
            "M" | "F" => Ok(()),
            _ => Err("must be M or F".into()),
        },
        ExtraField::Email => {
            if email_address::EmailAddress::is_valid(&e.email)
                && e.email.contains('.')
                && !e.email.contains(char::is_whitespace)
            {
                Ok(())
            } else {
                Err("must be an email address (name@example.com)".into())
            }
        }
        ExtraField::Phone => {
            let digits = e.phone.strip_prefix('+').unwrap_or(&e.phone);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                if (4..=15).contains(&digits.len()) {
                    Ok(())
                } else {
                    Err("must have 4 to 15 digits".into())
                }
            } else {
                Err("must be digits, with + first if you like (+3725551234)".into())
            }
        }
        ExtraField::DocumentNumber => {
            if e.document_number.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Ok(())
            } else {
                Err("must be letters A-Z and digits only".into())
            }
        }
        ExtraField::DocumentType => {
            if DOCUMENT_TYPES.contains(&e.document_type.as_str()) {
                Ok(())
            } else {
                Err(format!("must be one of {}", DOCUMENT_TYPES.join(", ")))
            }
        }
        ExtraField::DocumentCountry => {
            if e.document_country.len() == 2
                && celes::Country::from_alpha2(&e.document_country).is_ok()
            {
                Ok(())
            } else {
                Err("must be an ISO 3166-1 country code of two letters (EE, DE, US)".into())
            }
        }
        ExtraField::Consents => {
            let bad = e.consents.iter().find(|c| {
                c.len() > 64
                    || !c
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
            match bad {
                Some(c) => Err(format!(
                    "each consent is a type name of letters, digits, - and _ (not {:?})",
                    crate::text::sanitize(c)
                )),
                None => Ok(()),
            }
        }
        ExtraField::IdNumber | ExtraField::Address => Ok(()),
    }
}

fn check_date_of_birth(text: &str, today: chrono::NaiveDate) -> Result<(), String> {
    let date = (text.len() == 10)
        .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| "must be a real date as YYYY-MM-DD (1990-04-23)".to_string())?;
    if date >= today {
        return Err("must be a date in the past".into());
    }
    if date < chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err("must be after 1900".into());
    }
    Ok(())
}

/// `verification.person` fields beyond the names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonExtras {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl PersonExtras {
    pub fn is_empty(&self) -> bool {
        *self == PersonExtras::default()
    }
}

/// `verification.document`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `verification.address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressRequest {
    pub full_address: String,
}

/// One of `verification.consents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    #[serde(rename = "type")]
    pub kind: String,
    pub approved: bool,
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Extras {
    /// The person fields of the body (names are added by the caller).
    pub fn person(&self) -> PersonExtras {
        PersonExtras {
            id_number: some(&self.id_number),
            phone_number: some(&self.phone),
            gender: some(&self.gender),
            date_of_birth: some(&self.date_of_birth),
            email: some(&self.email),
        }
    }

    pub fn document(&self) -> Option<DocumentRequest> {
        let d = DocumentRequest {
            number: some(&self.document_number),
            kind: some(&self.document_type),
            country: some(&self.document_country),
        };
        (d != DocumentRequest::default()).then_some(d)
    }

    pub fn address_request(&self) -> Option<AddressRequest> {
        some(&self.address).map(|full_address| AddressRequest { full_address })
    }

    pub fn consent_requests(&self) -> Option<Vec<ConsentRequest>> {
        (!self.consents.is_empty()).then(|| {
            self.consents
                .iter()
                .map(|c| ConsentRequest {
                    kind: c.clone(),
                    approved: true,
                })
                .collect()
        })
    }

    /// The values a search finds a record by (the person's identifiers), one per line so
    /// that no search term (which never holds a line break) spans two.
    pub fn search_text(&self) -> String {
        [&self.id_number, &self.email, &self.end_user_id]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Fills every empty field from `defaults` (a profile's), keeping what was typed.
    pub fn or(&self, defaults: &Extras) -> Extras {
        let mut e = self.clone();
        for f in ExtraField::ALL {
            if e.get(f).is_empty() {
                e.set(f, &defaults.get(f));
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn full() -> Extras {
        Extras {
            end_user_id: "3F2504E0-4F89-11D3-9A0C-0305E82C3301".into(),
            id_number: " 38001085718 ".into(),
            date_of_birth: "1980-01-08".into(),
            gender: "female".into(),
            email: "anna@example.com".into(),
            phone: "+372 5555-1234".into(),
            document_number: "AB1234567".into(),
            document_type: "passport".into(),
            document_country: "ee".into(),
            address: "Narva mnt 5, Tallinn".into(),
            consents: vec!["ine".into(), " bipa ".into()],
        }
    }

    #[test]
    fn a_full_set_is_normalised_and_valid() {
        let e = full().normalised();
        assert_eq!(e.validate(today()), vec![]);
        assert_eq!(e.gender, "F");
        assert_eq!(e.document_type, "PASSPORT");
        assert_eq!(e.document_country, "EE");
        assert_eq!(e.phone, "+37255551234");
        assert_eq!(e.id_number, "38001085718");
        assert_eq!(e.end_user_id, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
        assert_eq!(e.consents, vec!["ine", "bipa"]);
    }

    #[test]
    fn each_bad_value_is_named() {
        let bad = Extras {
            end_user_id: "user-42".into(),
            date_of_birth: "2026-02-30".into(),
            gender: "X".into(),
            email: "anna@".into(),
            phone: "+37 2abc".into(),
            document_number: "AB-123".into(),
            document_type: "VISA".into(),
            document_country: "XX".into(),
            consents: vec!["a b".into()],
            id_number: "1\u{202e}2".into(),
            address: "a".repeat(300),
        }
        .normalised();
        let fields: Vec<ExtraField> = bad.validate(today()).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ExtraField::ALL.to_vec());
    }

    #[test]
    fn dates_must_be_real_and_past() {
        let mut e = Extras::default();
        for (d, ok) in [
            ("1990-04-23", true),
            ("2000-02-29", true),
            ("2001-02-29", false),
            ("2026-11-30", false),
            ("2030-01-01", false),
            ("1990-4-23", false),
            ("23.04.1990", false),
            ("1899-12-31", false),
        ] {
            e.date_of_birth = d.into();
            assert_eq!(e.validate(today()).is_empty(), ok, "{d}");
        }
    }

    #[test]
    fn profile_defaults_fill_only_empty_fields() {
        let typed = Extras {
            email: "typed@example.com".into(),
            ..Default::default()
        };
        let defaults = Extras {
            email: "default@example.com".into(),
            document_country: "EE".into(),
            consents: vec!["ine".into()],
            ..Default::default()
        };
        let e = typed.or(&defaults);
        assert_eq!(e.email, "typed@example.com");
        assert_eq!(e.document_country, "EE");
        assert_eq!(e.consents, vec!["ine"]);
    }
}
