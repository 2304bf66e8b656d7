//! The "Generate general session" form as data: fields, focus, editing, validation.

use tui_input::{Input, InputRequest};

use crate::config::FormDefaults;
use crate::tui::languages;
use crate::veriff::{ExtraField, Extras, Field as CoreField, SessionInput};

/// Vendor data Veriff accepts (its error 1500 otherwise).
pub const VENDOR_DATA_MAX: usize = crate::veriff::VENDOR_DATA_MAX_CHARS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    FirstName,
    LastName,
    Language,
    SelfId,
    Callback,
    VendorData,
    /// The "More fields" row: opens and closes the section of [`Field::Extra`] fields
    /// under it.
    MoreFields,
    /// A field of the "More fields" section, on screen only while the section is open.
    Extra(ExtraField),
    Submit,
}

impl Field {
    /// Every field in form order, the section's included.
    pub const ALL: [Field; 19] = [
        Field::FirstName,
        Field::LastName,
        Field::Language,
        Field::SelfId,
        Field::Callback,
        Field::VendorData,
        Field::MoreFields,
        Field::Extra(ExtraField::EndUserId),
        Field::Extra(ExtraField::IdNumber),
        Field::Extra(ExtraField::DateOfBirth),
        Field::Extra(ExtraField::Gender),
        Field::Extra(ExtraField::Email),
        Field::Extra(ExtraField::Phone),
        Field::Extra(ExtraField::DocumentNumber),
        Field::Extra(ExtraField::DocumentType),
        Field::Extra(ExtraField::DocumentCountry),
        Field::Extra(ExtraField::Address),
        Field::Extra(ExtraField::Consents),
        Field::Submit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::FirstName => "First name",
            Field::LastName => "Last name",
            Field::Language => "Language",
            Field::SelfId => "SelfID",
            Field::Callback => "Callback URL",
            Field::VendorData => "Vendor data",
            Field::MoreFields => "More fields",
            Field::Extra(f) => f.label(),
            Field::Submit => "Generate URL",
        }
    }

    pub fn from_core(field: CoreField) -> Field {
        match field {
            CoreField::FirstName => Field::FirstName,
            CoreField::LastName => Field::LastName,
            CoreField::Lang => Field::Language,
            CoreField::Callback => Field::Callback,
            CoreField::VendorData => Field::VendorData,
            CoreField::Extra(f) => Field::Extra(f),
        }
    }

    pub fn is_text(self) -> bool {
        !matches!(self, Field::SelfId | Field::MoreFields | Field::Submit)
    }

    /// Inside the "More fields" section (hidden while it is closed).
    pub fn in_section(self) -> bool {
        matches!(self, Field::Extra(_))
    }
}

/// Where `field` is in [`ExtraField::ALL`], which is also where its input is in
/// [`Form::extras`].
fn extra_index(field: ExtraField) -> usize {
    ExtraField::ALL
        .iter()
        .position(|f| *f == field)
        .unwrap_or(0)
}

/// The language picker's own state (a dropdown under the Language field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    pub open: bool,
    pub selected: usize,
    /// The value the field had before this search began: Esc puts it back.
    pub restore: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub first_name: Input,
    pub last_name: Input,
    pub lang: Input,
    pub selfid: bool,
    pub callback: Input,
    pub vendor_data: Input,
    pub focus: Field,
    pub picker: Picker,
    /// Field errors, shown next to their field; at most one per field.
    pub errors: Vec<(Field, String)>,
    /// The callback the active profile prefilled, to follow a profile switch unless edited.
    pub callback_default: String,
    /// The Language field was just focused: like a browser's combo box, typing there starts
    /// a new search instead of appending to the code already in it (`en` + `de` is no
    /// language). Any cursor movement keeps the value for editing instead.
    pub lang_fresh: bool,
    /// The "More fields" section's inputs, in [`ExtraField::ALL`] order.
    pub extras: [Input; ExtraField::ALL.len()],
    /// The "More fields" section is open: its fields are on screen and can be focused.
    /// Remembered across runs (`tui::ui_state`).
    pub more_open: bool,
    /// The form's first row on screen when it is taller than its room (`tui::form_layout`
    /// keeps the focused field in view).
    pub scroll: u16,
}

impl Form {
    pub fn new(defaults: &FormDefaults, callback: &str) -> Self {
        let lang = if defaults.lang.trim().is_empty() {
            "en".to_string()
        } else {
            defaults.lang.trim().to_string()
        };
        Self {
            first_name: Input::default(),
            last_name: Input::default(),
            lang: Input::new(lang),
            selfid: defaults.selfid,
            callback: Input::new(callback.to_string()),
            vendor_data: Input::default(),
            focus: Field::FirstName,
            picker: Picker::default(),
            errors: Vec::new(),
            callback_default: callback.to_string(),
            lang_fresh: false,
            extras: Default::default(),
            more_open: false,
            scroll: 0,
        }
    }

    pub fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::FirstName => Some(&self.first_name),
            Field::LastName => Some(&self.last_name),
            Field::Language => Some(&self.lang),
            Field::Callback => Some(&self.callback),
            Field::VendorData => Some(&self.vendor_data),
            Field::Extra(f) => self.extras.get(extra_index(f)),
            Field::SelfId | Field::MoreFields | Field::Submit => None,
        }
    }

    pub fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::FirstName => Some(&mut self.first_name),
            Field::LastName => Some(&mut self.last_name),
            Field::Language => Some(&mut self.lang),
            Field::Callback => Some(&mut self.callback),
            Field::VendorData => Some(&mut self.vendor_data),
            Field::Extra(f) => self.extras.get_mut(extra_index(f)),
            Field::SelfId | Field::MoreFields | Field::Submit => None,
        }
    }

    /// On screen, so it can have the focus: the section's fields only while it is open.
    pub fn visible(&self, field: Field) -> bool {
        self.more_open || !field.in_section()
    }

    /// The fields on screen, in form order.
    pub fn visible_fields(&self) -> impl Iterator<Item = Field> + '_ {
        Field::ALL.into_iter().filter(|f| self.visible(*f))
    }

    /// The field after `field` on screen, round to the first.
    pub fn next_field(&self, field: Field) -> Field {
        let shown: Vec<Field> = self.visible_fields().collect();
        let at = shown.iter().position(|f| *f == field).unwrap_or(0);
        shown.get((at + 1) % shown.len()).copied().unwrap_or(field)
    }

    /// The field before `field` on screen, round to the last.
    pub fn prev_field(&self, field: Field) -> Field {
        let shown: Vec<Field> = self.visible_fields().collect();
        let at = shown.iter().position(|f| *f == field).unwrap_or(0);
        shown
            .get((at + shown.len() - 1) % shown.len())
            .copied()
            .unwrap_or(field)
    }

    /// Opens or closes the "More fields" section. Focus inside a section that closes goes
    /// to its row: a key never acts on a field that is not on screen.
    pub fn set_more_open(&mut self, open: bool) {
        self.more_open = open;
        if !open && self.focus.in_section() {
            self.focus = Field::MoreFields;
        }
    }

    /// The section's values as the core takes them (consents split at commas).
    fn extra_values(&self, trim: bool) -> Extras {
        let mut extra = Extras::default();
        for (f, input) in ExtraField::ALL.into_iter().zip(&self.extras) {
            let v = input.value();
            extra.set(f, if trim { v.trim() } else { v });
        }
        extra
    }

    /// The filled fields of the section, for its row while it is closed: what will be sent
    /// though it is not on screen.
    pub fn filled_extras(&self) -> Vec<ExtraField> {
        ExtraField::ALL
            .into_iter()
            .zip(&self.extras)
            .filter(|(_, i)| !i.value().trim().is_empty())
            .map(|(f, _)| f)
            .collect()
    }

    /// Applies an edit to the focused field; true when its value changed.
    pub fn edit(&mut self, req: InputRequest) -> bool {
        let focus = self.focus;
        if focus == Field::Language {
            self.before_lang_edit(!is_cursor_move(&req));
        }
        let changed = self
            .input_mut(focus)
            .and_then(|i| i.handle(req))
            .is_some_and(|c| c.value);
        if changed {
            self.after_edit(focus);
        }
        changed
    }

    /// Inserts pasted text at the cursor as one edit, made safe by [`crate::text::from_paste`]: a
    /// paste never acts as Enter and no escape sequence reaches the screen.
    pub fn paste(&mut self, text: &str) -> bool {
        let focus = self.focus;
        let clean = crate::text::from_paste(text);
        if clean.is_empty() || self.input(focus).is_none() {
            return false;
        }
        if focus == Field::Language {
            self.before_lang_edit(true);
        }
        let Some(input) = self.input_mut(focus) else {
            return false;
        };
        let value = input.value();
        let cursor = input.cursor();
        let byte = value
            .char_indices()
            .nth(cursor)
            .map_or(value.len(), |(i, _)| i);
        let mut next = String::with_capacity(value.len() + clean.len());
        next.push_str(&value[..byte]);
        next.push_str(&clean);
        next.push_str(&value[byte..]);
        *input = Input::new(next).with_cursor(cursor + clean.chars().count());
        self.after_edit(focus);
        true
    }

    /// Before an edit of the Language field: remembers the value to restore on Esc, and
    /// empties the field when it was just focused and the edit changes text.
    fn before_lang_edit(&mut self, changes_text: bool) {
        if !self.picker.open && self.picker.restore.is_none() {
            self.picker.restore = Some(self.lang.value().to_string());
        }
        if std::mem::take(&mut self.lang_fresh) && changes_text {
            self.lang = Input::default();
        }
    }

    /// Focus arrives in `field`: the Language field starts a new search on the next key; a
    /// field of the closed section opens it (an error there is shown, never hidden).
    pub fn focus_on(&mut self, field: Field) {
        self.lang_fresh = field == Field::Language && self.focus != field;
        if field.in_section() {
            self.more_open = true;
        }
        self.focus = field;
    }

    /// Esc in the picker: closes it and puts back the value the field had before the search.
    pub fn cancel_picker(&mut self) {
        if let Some(before) = self.picker.restore.take() {
            self.lang = Input::new(before);
            self.errors.retain(|(f, _)| *f != Field::Language);
        }
        self.picker.open = false;
    }

    fn after_edit(&mut self, field: Field) {
        if field == Field::Language {
            self.picker.open = true;
            self.picker.selected = 0;
        }
        // An error disappears as soon as the field is fixed, without waiting for a submit.
        if self.error(field).is_some() {
            self.errors.retain(|(f, _)| *f != field);
        }
    }

    pub fn error(&self, field: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| e.as_str())
    }

    /// The error shown under `field`: its own; under the closed section's row, the first
    /// of the fields it hides, named (`Email: must be…`), so none is out of sight.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        if field == Field::MoreFields && !self.more_open {
            return self
                .errors
                .iter()
                .find(|(f, _)| f.in_section())
                .map(|(f, e)| format!("{}: {e}", f.label()));
        }
        self.error(field).map(str::to_string)
    }

    /// Re-checks one field (when focus leaves it), keeping the others' errors.
    pub fn check_field(&mut self, field: Field, allow_http: bool) {
        self.errors.retain(|(f, _)| *f != field);
        if let Some(e) = self.validate_field(field, allow_http) {
            self.errors.push((field, e));
        }
    }

    /// Checks every field; true when the form may be sent.
    pub fn validate(&mut self, allow_http: bool) -> bool {
        let mut errors: Vec<(Field, String)> = Vec::new();
        for (f, e) in self.raw_input().validate(allow_http) {
            let f = Field::from_core(f);
            // One message per field: the first is the one to fix first.
            if !errors.iter().any(|(g, _)| *g == f) {
                errors.push((f, e));
            }
        }
        self.errors = errors;
        self.errors.is_empty()
    }

    /// The core's validation (shared with the CLI) for one field.
    fn validate_field(&self, field: Field, allow_http: bool) -> Option<String> {
        self.raw_input()
            .validate(allow_http)
            .into_iter()
            .find(|(f, _)| Field::from_core(*f) == field)
            .map(|(_, e)| e)
    }

    /// The values exactly as typed (validation sees what the operator sees).
    fn raw_input(&self) -> SessionInput {
        SessionInput {
            first_name: self.first_name.value().to_string(),
            last_name: self.last_name.value().to_string(),
            lang: self.lang.value().to_string(),
            selfid: self.selfid,
            callback: self.callback.value().to_string(),
            vendor_data: self.vendor_data.value().to_string(),
            extra: self.extra_values(false),
        }
    }

    /// The first field holding an error, in form order.
    pub fn first_invalid(&self) -> Option<Field> {
        Field::ALL.into_iter().find(|f| self.error(*f).is_some())
    }

    pub fn to_input(&self) -> SessionInput {
        SessionInput {
            first_name: self.first_name.value().trim().to_string(),
            last_name: self.last_name.value().trim().to_string(),
            lang: self.lang.value().trim().to_string(),
            selfid: self.selfid,
            callback: self.callback.value().trim().to_string(),
            vendor_data: self.vendor_data.value().to_string(),
            extra: self.extra_values(true),
        }
    }

    /// Follows a profile switch: the new profile's callback replaces the old one unless the
    /// operator typed their own.
    pub fn set_callback_default(&mut self, callback: &str) {
        if self.callback.value() == self.callback_default {
            self.callback = Input::new(callback.to_string());
            self.errors.retain(|(f, _)| *f != Field::Callback);
        }
        self.callback_default = callback.to_string();
    }

    /// Whether the form holds something typed or chosen: it differs from a fresh form with
    /// these defaults (and the active profile's callback).
    pub fn changed_from(&self, defaults: &FormDefaults) -> bool {
        !self.same_values(&Form::new(defaults, &self.callback_default))
    }

    /// Whether both forms hold the same values (wherever their cursors and focus are).
    pub fn same_values(&self, other: &Form) -> bool {
        self.raw_input() == other.raw_input()
    }

    /// Puts `values` in the form (a re-send), focus on the first field, no errors left over.
    /// Values for the "More fields" section open it: what will be sent is on screen.
    pub fn fill(&mut self, values: &SessionInput) {
        let input = |v: &str| {
            // A value from the store could hold anything; the fields only ever hold what
            // could have been typed.
            let v: String = v.chars().filter(|c| !c.is_control()).collect();
            Input::new(v)
        };
        self.first_name = input(&values.first_name);
        self.last_name = input(&values.last_name);
        self.lang = input(&values.lang);
        self.selfid = values.selfid;
        self.callback = input(&values.callback);
        self.vendor_data = input(&values.vendor_data);
        for (f, slot) in ExtraField::ALL.into_iter().zip(&mut self.extras) {
            *slot = input(&values.extra.get(f));
        }
        if !values.extra.is_empty() {
            self.more_open = true;
        }
        self.focus = Field::FirstName;
        self.picker = Picker::default();
        self.errors.clear();
    }

    /// Languages the picker offers for what is typed.
    pub fn picker_matches(&self) -> Vec<&'static languages::Language> {
        languages::search(self.lang.value())
    }

    /// Takes the highlighted language from the picker.
    pub fn pick_language(&mut self) {
        let matches = self.picker_matches();
        if let Some(l) = matches.get(self.picker.selected.min(matches.len().saturating_sub(1))) {
            self.lang = Input::new(l.code.to_string());
            self.errors.retain(|(f, _)| *f != Field::Language);
        }
        self.picker = Picker::default();
    }
}

/// True for an edit that only moves the cursor.
fn is_cursor_move(req: &InputRequest) -> bool {
    use InputRequest::*;
    matches!(
        req,
        SetCursor(_)
            | GoToPrevChar
            | GoToNextChar
            | GoToPrevWord
            | GoToNextWord
            | GoToStart
            | GoToEnd
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::new(&FormDefaults::default(), "")
    }

    #[test]
    fn vendor_data_limit_and_controls() {
        let mut f = form();
        f.vendor_data = Input::new("x".repeat(1000));
        assert!(f.validate(false));
        f.vendor_data = Input::new("x".repeat(1001));
        assert!(!f.validate(false));
        assert!(f.error(Field::VendorData).unwrap().contains("1001"));
        f.vendor_data = Input::new("x".into());
        f.callback = Input::new("http://example.com".into());
        assert!(!f.validate(true));
        f.callback = Input::new("http://127.0.0.1:9/cb".into());
        assert!(f.validate(true));
        assert!(!f.validate(false));
        f.callback = Input::default();
        f.vendor_data = Input::default();
        f.first_name = Input::new("a\u{1b}b".into());
        assert!(!f.validate(false));
        assert_eq!(f.first_invalid(), Some(Field::FirstName));
    }

    #[test]
    fn paste_inserts_at_cursor_without_newlines() {
        let mut f = form();
        f.first_name = Input::new("Zoë".into()).with_cursor(1);
        // A line break joins as a space; an escape sequence goes whole, a tab is a space.
        assert!(f.paste("李\r\n小"));
        assert_eq!(f.first_name.value(), "Z李 小oë");
        assert_eq!(f.first_name.cursor(), 4);
        assert!(f.paste("\x1b[2J\ta"));
        assert_eq!(f.first_name.value(), "Z李 小 aoë");
    }

    #[test]
    fn the_section_holds_every_extra_field_in_order_and_a_fill_round_trips() {
        let section: Vec<ExtraField> = Field::ALL
            .iter()
            .filter_map(|f| match f {
                Field::Extra(e) => Some(*e),
                _ => None,
            })
            .collect();
        assert_eq!(section, ExtraField::ALL.to_vec());
        let mut f = form();
        assert_eq!(f.next_field(Field::VendorData), Field::MoreFields);
        assert_eq!(f.next_field(Field::MoreFields), Field::Submit);
        assert_eq!(f.prev_field(Field::FirstName), Field::Submit);
        let values = SessionInput {
            extra: Extras {
                email: "anna@example.com".into(),
                consents: vec!["ine".into(), "bipa".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        f.fill(&values);
        assert!(f.more_open, "a fill with extras opens the section");
        assert_eq!(f.to_input().extra, values.extra);
        assert_eq!(
            f.next_field(Field::MoreFields),
            Field::Extra(ExtraField::EndUserId)
        );
        // Closed with the focus inside: the focus goes to the section's row.
        f.focus = Field::Extra(ExtraField::Email);
        f.set_more_open(false);
        assert_eq!(f.focus, Field::MoreFields);
        assert_eq!(
            f.filled_extras(),
            vec![ExtraField::Email, ExtraField::Consents]
        );
    }

    #[test]
    fn picker_picks_and_profile_callback_follows_unless_edited() {
        let mut f = form();
        f.focus = Field::Language;
        f.edit(InputRequest::DeleteLine);
        for c in "germ".chars() {
            f.edit(InputRequest::InsertChar(c));
        }
        assert!(f.picker.open);
        f.pick_language();
        assert_eq!(f.lang.value(), "de");
        f.set_callback_default("https://a.example");
        assert_eq!(f.callback.value(), "https://a.example");
        f.callback = Input::new("https://mine.example".into());
        f.set_callback_default("https://b.example");
        assert_eq!(f.callback.value(), "https://mine.example");
    }
}
