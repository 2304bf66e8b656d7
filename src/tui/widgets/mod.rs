//! Reusable pieces: the text field, the language picker, the status badge.

pub mod language_picker;
pub mod status_badge;
pub mod text_field;
