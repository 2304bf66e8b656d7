//! Reusable pieces: the text field, the language picker, the status badge, the QR code.

pub mod hyperlink;
pub mod language_picker;
pub mod qr;
pub mod status_badge;
pub mod text_field;
