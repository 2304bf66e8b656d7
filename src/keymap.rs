//! The one key table. Every action of the TUI is declared once in [`ENTRIES`]: its name in
//! the config file, its default keys, the contexts where it acts, and what it does. Dispatch
//! (`app::on_key`), the help overlay and the footer hints all read the bound keys from a
//! [`KeyMap`] built from this table and the `[keys]` table of the config file, so a key is
//! never described differently than it acts.
//!
//! Keys that edit text inside a field (←/→, Backspace, Ctrl+W…) are tui-input's; they are
//! listed once, in [`TEXT_EDITING`], for the help and for dispatch: while typing in a field,
//! single characters and those keys edit the text, and no binding acts on them there.
//!
//! It is data, not terminal code: the config loader checks `[keys]` against it, and the TUI
//! (`tui::app::context` says what is on screen) dispatches through it.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One key, possibly with modifiers, as the config file writes it (`Ctrl+S`, `F5`, `j`).
///
/// Characters are stored as typed: `Q` is Shift+q, and `Q` and `q` are different keys. With
/// Ctrl or Alt a letter is stored lowercase (terminals do not tell Ctrl+S from Ctrl+Shift+S).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const CTRL_ALT: KeyModifiers = KeyModifiers::CONTROL.union(KeyModifiers::ALT);
/// Modifiers other than Shift: with one of these a character is not text.
const COMMAND_MODS: KeyModifiers = KeyModifiers::CONTROL
    .union(KeyModifiers::ALT)
    .union(KeyModifiers::SUPER)
    .union(KeyModifiers::HYPER)
    .union(KeyModifiers::META);

/// Named keys, with the names the config file accepts (compared case-insensitively); the
/// first is the one shown.
const NAMED: &[(KeyCode, &[&str])] = &[
    (KeyCode::Enter, &["Enter", "Return"]),
    (KeyCode::Esc, &["Esc", "Escape"]),
    (KeyCode::Tab, &["Tab"]),
    (KeyCode::BackTab, &["BackTab"]),
    (KeyCode::Up, &["Up"]),
    (KeyCode::Down, &["Down"]),
    (KeyCode::Left, &["Left"]),
    (KeyCode::Right, &["Right"]),
    (KeyCode::Home, &["Home"]),
    (KeyCode::End, &["End"]),
    (KeyCode::PageUp, &["PageUp", "PgUp"]),
    (KeyCode::PageDown, &["PageDown", "PgDn"]),
    (KeyCode::Char(' '), &["Space"]),
    (KeyCode::Backspace, &["Backspace"]),
    (KeyCode::Delete, &["Delete", "Del"]),
    (KeyCode::Insert, &["Insert", "Ins"]),
];

impl KeyCombo {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        Self { code, mods }
    }

    /// The key a terminal event stands for, in the same form as a parsed one.
    pub fn from_event(event: &KeyEvent) -> Self {
        let mut mods = event.modifiers;
        let code = match event.code {
            KeyCode::Char(c) => {
                let shift = mods.contains(KeyModifiers::SHIFT);
                mods.remove(KeyModifiers::SHIFT);
                if mods.intersects(CTRL_ALT) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else if shift && c.is_ascii_lowercase() {
                    // Some terminals report Shift+a as `a` with Shift rather than `A`.
                    KeyCode::Char(c.to_ascii_uppercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Self { code, mods }
    }

    /// A character typed without Ctrl or Alt (Shift is part of the character).
    pub fn is_plain_char(self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.mods.intersects(COMMAND_MODS)
    }

    /// How the key is shown on screen: as [`Display`](fmt::Display), with arrows as ↑ ↓ ← →
    /// and PgUp / PgDn.
    pub fn label(self) -> String {
        let name = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            _ => return self.to_string(),
        };
        format!("{}{name}", mod_prefix(self.mods))
    }
}

fn mod_prefix(mods: KeyModifiers) -> String {
    let mut out = String::new();
    for (m, name) in [
        (KeyModifiers::CONTROL, "Ctrl+"),
        (KeyModifiers::ALT, "Alt+"),
        (KeyModifiers::SHIFT, "Shift+"),
        (KeyModifiers::SUPER, "Super+"),
        (KeyModifiers::HYPER, "Hyper+"),
        (KeyModifiers::META, "Meta+"),
    ] {
        if mods.contains(m) {
            out.push_str(name);
        }
    }
    out
}

/// The name the config file uses: `Ctrl+S`, `Alt+1`, `F5`, `Shift+Tab`, `PageDown`, `q`, `Q`.
/// It parses back to the same key.
impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mod_prefix(self.mods))?;
        match self.code {
            KeyCode::BackTab => f.write_str("Shift+Tab"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Char(c) if self.mods.intersects(CTRL_ALT) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            code => match NAMED.iter().find(|(k, _)| *k == code) {
                Some((_, names)) => f.write_str(names[0]),
                None => match code {
                    KeyCode::Char(c) => write!(f, "{c}"),
                    other => write!(f, "{other:?}"),
                },
            },
        }
    }
}

impl FromStr for KeyCombo {
    type Err = String;

    /// `Ctrl+`, `Alt+` and `Shift+` modifiers (any case), then a key name (any case: Enter,
    /// Esc, Tab, BackTab, Up, Down, Left, Right, Home, End, PageUp, PageDown, Space,
    /// Backspace, Delete, Insert, F1-F12) or a single character (as typed: `Q` is not `q`).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("it is empty".into());
        }
        let (mods_part, key_part) = if t == "+" {
            ("", "+")
        } else if let Some(p) = t.strip_suffix("++") {
            (p, "+")
        } else {
            t.rsplit_once('+').unwrap_or(("", t))
        };
        let mut mods = KeyModifiers::NONE;
        if !mods_part.is_empty() {
            for m in mods_part.split('+') {
                mods |= match m.trim().to_ascii_lowercase().as_str() {
                    "ctrl" | "control" => KeyModifiers::CONTROL,
                    "alt" | "meta" | "option" => KeyModifiers::ALT,
                    "shift" => KeyModifiers::SHIFT,
                    "" => return Err("it has an empty modifier (\"++\")".into()),
                    _ => {
                        return Err(format!(
                            "\"{}\" is not a modifier (the modifiers are Ctrl+, Alt+ and Shift+)",
                            m.trim()
                        ));
                    }
                };
            }
        }
        let key = key_part.trim();
        let mut chars = key.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(format!("there is no key after \"{mods_part}+\"")),
            (Some(c), None) if c.is_control() => {
                return Err("a control character is not a key name".into());
            }
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(key)?,
        };
        let code = match code {
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Char(c) => {
                let mut c = c;
                if mods.contains(KeyModifiers::SHIFT) {
                    if c == ' ' || !c.is_alphabetic() {
                        return Err(format!(
                            "write the character Shift makes instead (\"!\" rather than Shift+1); \"{key}\" with Shift is not a key name"
                        ));
                    }
                    mods.remove(KeyModifiers::SHIFT);
                    c = c.to_uppercase().next().unwrap_or(c);
                }
                if mods.intersects(CTRL_ALT) {
                    c = c.to_ascii_lowercase();
                }
                KeyCode::Char(c)
            }
            other => other,
        };
        Ok(Self { code, mods })
    }
}

fn named_key(name: &str) -> Result<KeyCode, String> {
    let lower = name.to_ascii_lowercase();
    for (code, names) in NAMED {
        if names.iter().any(|n| n.eq_ignore_ascii_case(&lower)) {
            return Ok(*code);
        }
    }
    if let Some(n) = lower.strip_prefix('f')
        && let Ok(n) = n.parse::<u8>()
        && (1..=12).contains(&n)
    {
        return Ok(KeyCode::F(n));
    }
    Err(format!(
        "\"{name}\" is not a key name (use a single character, F1-F12, or one of: {})",
        NAMED
            .iter()
            .map(|(_, n)| n[0])
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Where a key is pressed: what is on screen and has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// A text field of the Generate form.
    Field,
    /// The Generate form's language list, open under the Language field.
    Picker,
    /// The Generate form off the text fields (SelfID, the More fields row, the Generate URL
    /// button).
    Control,
    /// The Generated tokens list.
    List,
    /// One session's details.
    Detail,
    /// Typing the filter of the Generated tokens list.
    Filter,
    Dashboard,
    /// The help overlay.
    Help,
    /// The full-screen QR code.
    Qr,
    /// A yes/no question on screen.
    Confirm,
    /// A window below the minimum size: only "window too small" is shown.
    TooSmall,
    /// A session's media file, drawn over its details.
    Media,
    /// Typing the name of the file a media file is saved to.
    SavePath,
    /// Typing the path of a batch file (`b` on Generated tokens).
    BatchPath,
}

impl Context {
    pub const ALL: [Context; 14] = [
        Context::Field,
        Context::Picker,
        Context::Control,
        Context::List,
        Context::Detail,
        Context::Filter,
        Context::Dashboard,
        Context::Help,
        Context::Qr,
        Context::Confirm,
        Context::TooSmall,
        Context::Media,
        Context::SavePath,
        Context::BatchPath,
    ];

    /// Keys go to a text field: characters and text-editing keys are text here.
    pub fn typing(self) -> bool {
        matches!(
            self,
            Context::Field
                | Context::Picker
                | Context::Filter
                | Context::SavePath
                | Context::BatchPath
        )
    }

    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Context::Field => "the Generate form's text fields",
            Context::Picker => "the language list",
            Context::Control => "the Generate form off the text fields",
            Context::List => "the Generated tokens list",
            Context::Detail => "a session's details",
            Context::Filter => "the filter field",
            Context::Dashboard => "the Dashboard",
            Context::Help => "the help",
            Context::Qr => "the QR code view",
            Context::Confirm => "a yes/no question",
            Context::TooSmall => "a window too small",
            Context::Media => "the media viewer",
            Context::SavePath => "the file name of a media file to save",
            Context::BatchPath => "the path of a batch file",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contexts(u16);

impl Contexts {
    pub const fn of(list: &[Context]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        Self(bits)
    }

    const fn and(self, other: Contexts) -> Self {
        Self(self.0 | other.0)
    }

    pub fn has(self, c: Context) -> bool {
        self.0 & c.bit() != 0
    }
}

/// The groups of the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Everywhere,
    Moving,
    Generate,
    Sessions,
    Questions,
    Overlays,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Everywhere,
        Section::Moving,
        Section::Generate,
        Section::Sessions,
        Section::Questions,
        Section::Overlays,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Everywhere => "Everywhere",
            Section::Moving => "Moving (lists, the help, the Generate form)",
            Section::Generate => "Generate",
            Section::Sessions => {
                "Sessions (Generated tokens, Dashboard; on Generate the URL just made)"
            }
            Section::Questions => "Questions on screen",
            Section::Overlays => "Help and QR code",
        }
    }

    /// A line the help shows under the section's keys.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Section::Generate => Some(
                "Veriff test-integration behaviour: first name Approve/Decline/Resubmit forces that decision (the sandbox does the same)",
            ),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    ScreenGenerate,
    ScreenTokens,
    ScreenDashboard,
    Profile,
    Help,
    Quit,
    ForceQuit,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    First,
    Last,
    NextField,
    PrevField,
    Select,
    Back,
    Generate,
    Toggle,
    MoreFields,
    PresetApprove,
    PresetDecline,
    PresetResubmit,
    Details,
    Filter,
    Mine,
    CopyUrl,
    CopyId,
    Open,
    Qr,
    UrlLine,
    Refresh,
    RefreshAll,
    Resend,
    Export,
    Batch,
    Delete,
    CopyCurl,
    Media,
    SaveMedia,
    Yes,
    No,
    Close,
}

/// One action as declared: its config name, default keys, where it acts, what it does.
#[derive(Debug)]
pub struct Entry {
    pub action: Action,
    /// Its name under `[keys]` in the config file.
    pub name: &'static str,
    /// Its keys unless the config file says otherwise.
    pub keys: &'static [&'static str],
    pub contexts: Contexts,
    pub section: Section,
    /// What it does, for the help.
    pub about: &'static str,
}

use Context as C;

const FORM: Contexts = Contexts::of(&[C::Field, C::Picker, C::Control]);
const MAIN: Contexts = FORM.and(Contexts::of(&[
    C::List,
    C::Detail,
    C::Filter,
    C::Dashboard,
    C::Media,
    C::SavePath,
    C::BatchPath,
]));
/// Where the screen and profile switches act: any screen, over the help or a question.
const SWITCH: Contexts = MAIN.and(Contexts::of(&[C::Help, C::Confirm]));
const EVERYWHERE: Contexts = SWITCH.and(Contexts::of(&[C::Qr, C::TooSmall]));

/// The table. In [`Action`] order (a test checks it).
pub const ENTRIES: &[Entry] = &[
    Entry {
        action: Action::ScreenGenerate,
        name: "screen_generate",
        keys: &["Alt+1", "F1"],
        contexts: SWITCH,
        section: Section::Everywhere,
        about: "the Generate screen",
    },
    Entry {
        action: Action::ScreenTokens,
        name: "screen_tokens",
        keys: &["Alt+2", "F2"],
        contexts: SWITCH,
        section: Section::Everywhere,
        about: "the Generated tokens screen",
    },
    Entry {
        action: Action::ScreenDashboard,
        name: "screen_dashboard",
        keys: &["Alt+3", "F3"],
        contexts: SWITCH,
        section: Section::Everywhere,
        about: "the Dashboard",
    },
    Entry {
        action: Action::Profile,
        name: "profile",
        keys: &["Ctrl+P"],
        contexts: SWITCH,
        section: Section::Everywhere,
        about: "switch to the next profile",
    },
    Entry {
        action: Action::Help,
        name: "help",
        keys: &["?", "Ctrl+G"],
        contexts: MAIN.and(Contexts::of(&[C::Help])),
        section: Section::Everywhere,
        about: "this help (again: close it)",
    },
    Entry {
        action: Action::Quit,
        name: "quit",
        keys: &["q"],
        contexts: MAIN.and(Contexts::of(&[C::TooSmall])),
        section: Section::Everywhere,
        about: "quit",
    },
    Entry {
        action: Action::ForceQuit,
        name: "force_quit",
        keys: &["Ctrl+C"],
        contexts: EVERYWHERE,
        section: Section::Everywhere,
        about: "quit, from anywhere (cannot be rebound)",
    },
    Entry {
        action: Action::Up,
        name: "up",
        keys: &["Up", "k"],
        contexts: Contexts::of(&[
            C::List,
            C::Dashboard,
            C::Help,
            C::Picker,
            C::Field,
            C::Control,
            C::Detail,
            C::Media,
        ]),
        section: Section::Moving,
        about: "up: the previous row, line, language or field (details: scroll; media: the previous file)",
    },
    Entry {
        action: Action::Down,
        name: "down",
        keys: &["Down", "j"],
        contexts: Contexts::of(&[
            C::List,
            C::Dashboard,
            C::Help,
            C::Picker,
            C::Field,
            C::Control,
            C::Filter,
            C::Detail,
            C::Media,
        ]),
        section: Section::Moving,
        about: "down: the next row, line, language or field (from the filter: to the list; media: the next file)",
    },
    Entry {
        action: Action::PageUp,
        name: "page_up",
        keys: &["PageUp"],
        contexts: Contexts::of(&[C::List, C::Help, C::Picker, C::Detail]),
        section: Section::Moving,
        about: "a page up",
    },
    Entry {
        action: Action::PageDown,
        name: "page_down",
        keys: &["PageDown"],
        contexts: Contexts::of(&[C::List, C::Help, C::Picker, C::Detail]),
        section: Section::Moving,
        about: "a page down",
    },
    Entry {
        action: Action::HalfPageUp,
        name: "half_page_up",
        keys: &["Ctrl+U"],
        contexts: Contexts::of(&[C::List]),
        section: Section::Moving,
        about: "half a page up (the Generated tokens list)",
    },
    Entry {
        action: Action::HalfPageDown,
        name: "half_page_down",
        keys: &["Ctrl+D"],
        contexts: Contexts::of(&[C::List]),
        section: Section::Moving,
        about: "half a page down (the Generated tokens list)",
    },
    Entry {
        action: Action::First,
        name: "first",
        keys: &["Home"],
        contexts: Contexts::of(&[C::List, C::Help, C::Detail]),
        section: Section::Moving,
        about: "the first row or line",
    },
    Entry {
        action: Action::Last,
        name: "last",
        keys: &["End", "G"],
        contexts: Contexts::of(&[C::List, C::Help, C::Detail]),
        section: Section::Moving,
        about: "the last row or line",
    },
    Entry {
        action: Action::NextField,
        name: "next_field",
        keys: &["Tab"],
        contexts: Contexts::of(&[C::Field, C::Picker, C::Control, C::Filter]),
        section: Section::Moving,
        about: "the next field (from the language list: take the highlighted language; from the filter: to the list)",
    },
    Entry {
        action: Action::PrevField,
        name: "prev_field",
        keys: &["Shift+Tab"],
        contexts: FORM,
        section: Section::Moving,
        about: "the previous field",
    },
    Entry {
        action: Action::Select,
        name: "select",
        keys: &["Enter"],
        contexts: Contexts::of(&[
            C::Field,
            C::Picker,
            C::Control,
            C::Filter,
            C::SavePath,
            C::BatchPath,
        ]),
        section: Section::Moving,
        about: "in the form: the next field, open the language list or pick from it, tick SelfID, show or hide More fields, generate on the button; in the filter: keep it and go to the list",
    },
    Entry {
        action: Action::Back,
        name: "back",
        keys: &["Esc"],
        contexts: EVERYWHERE.minus(Contexts::of(&[C::TooSmall])),
        section: Section::Moving,
        about: "back: close the language list, the help, the QR code or the media file, leave the details, clear the filter, answer no, stop waiting for the request in flight (it still lands in the history), stop the export or refresh of all on the status line, clear the message",
    },
    Entry {
        action: Action::Generate,
        name: "generate",
        keys: &["Ctrl+S"],
        contexts: FORM,
        section: Section::Generate,
        about: "generate the session URL, from any field",
    },
    Entry {
        action: Action::Toggle,
        name: "toggle",
        keys: &["Space"],
        contexts: Contexts::of(&[C::Control]),
        section: Section::Generate,
        about: "on SelfID: tick or untick it; on More fields: show or hide them; on Generate URL: generate",
    },
    Entry {
        action: Action::MoreFields,
        name: "more_fields",
        keys: &["Alt+M"],
        contexts: FORM,
        section: Section::Generate,
        about: "show More fields (end-user id, email, document…) and go to the first, from any field; again: hide them",
    },
    Entry {
        action: Action::PresetApprove,
        name: "preset_approve",
        keys: &["F5"],
        contexts: FORM,
        section: Section::Generate,
        about: "first name Approve",
    },
    Entry {
        action: Action::PresetDecline,
        name: "preset_decline",
        keys: &["F6"],
        contexts: FORM,
        section: Section::Generate,
        about: "first name Decline",
    },
    Entry {
        action: Action::PresetResubmit,
        name: "preset_resubmit",
        keys: &["F7"],
        contexts: FORM,
        section: Section::Generate,
        about: "first name Resubmit",
    },
    Entry {
        action: Action::Details,
        name: "details",
        keys: &["Enter"],
        contexts: Contexts::of(&[C::List, C::Dashboard]),
        section: Section::Sessions,
        about: "the session's details",
    },
    Entry {
        action: Action::Filter,
        name: "filter",
        keys: &["/"],
        contexts: Contexts::of(&[C::List]),
        section: Section::Sessions,
        about: "filter the list by name, session id or vendor data; batch:NAME shows a batch",
    },
    Entry {
        action: Action::Mine,
        name: "mine",
        keys: &["m"],
        contexts: Contexts::of(&[C::List]),
        section: Section::Sessions,
        about: "on a shared history: only the records you made, or everyone's again (kept for the next start)",
    },
    Entry {
        action: Action::CopyUrl,
        name: "copy_url",
        keys: &["c", "y"],
        contexts: Contexts::of(&[C::Control, C::List, C::Detail]),
        section: Section::Sessions,
        about: "copy the URL",
    },
    Entry {
        action: Action::CopyId,
        name: "copy_id",
        keys: &["i"],
        contexts: Contexts::of(&[C::List, C::Detail]),
        section: Section::Sessions,
        about: "copy the session id",
    },
    Entry {
        action: Action::Open,
        name: "open",
        keys: &["o"],
        contexts: Contexts::of(&[C::Control, C::List, C::Detail]),
        section: Section::Sessions,
        about: "open the URL in the browser",
    },
    Entry {
        action: Action::Qr,
        name: "qr",
        keys: &["Q", "Alt+Q"],
        contexts: Contexts::of(&[C::Field, C::Picker, C::Control, C::List, C::Detail, C::Qr]),
        section: Section::Sessions,
        about: "the URL as a full-screen QR code (again: close it)",
    },
    Entry {
        action: Action::UrlLine,
        name: "url_line",
        keys: &["u", "Alt+U"],
        contexts: Contexts::of(&[C::Field, C::Picker, C::Control, C::List, C::Detail]),
        section: Section::Sessions,
        about: "the URL on one line of the normal screen, to select with the mouse (any key comes back)",
    },
    Entry {
        action: Action::Refresh,
        name: "refresh",
        keys: &["r"],
        contexts: Contexts::of(&[C::List, C::Detail, C::Dashboard]),
        section: Section::Sessions,
        about: "ask Veriff for this session's decision (an expired link is not asked about)",
    },
    Entry {
        action: Action::RefreshAll,
        name: "refresh_all",
        keys: &["R"],
        contexts: Contexts::of(&[C::List, C::Detail, C::Dashboard]),
        section: Section::Sessions,
        about: "ask Veriff about every session without a final decision, 4 at a time",
    },
    Entry {
        action: Action::Resend,
        name: "resend",
        keys: &["g"],
        contexts: Contexts::of(&[C::List, C::Detail]),
        section: Section::Sessions,
        about: "re-send: the Generate form filled with this session's values (asks before replacing typed text)",
    },
    Entry {
        action: Action::Export,
        name: "export",
        keys: &["e"],
        contexts: Contexts::of(&[C::List, C::Detail]),
        section: Section::Sessions,
        about: "export the list (filter applied) to CSV and JSON files",
    },
    Entry {
        action: Action::Batch,
        name: "batch",
        keys: &["b"],
        contexts: Contexts::of(&[C::List]),
        section: Section::Sessions,
        about: "batch: a link for every row of a CSV file (its path asked, its rows checked and shown before anything is sent); the list then shows that batch",
    },
    Entry {
        action: Action::Delete,
        name: "delete",
        keys: &["d"],
        contexts: Contexts::of(&[C::List, C::Detail]),
        section: Section::Sessions,
        about: "delete the local record (asks first; the session at Veriff stays)",
    },
    Entry {
        action: Action::CopyCurl,
        name: "copy_curl",
        keys: &["C"],
        contexts: Contexts::of(&[C::List, C::Detail]),
        section: Section::Sessions,
        about: "copy a curl command that makes this session's request again (the API key is read from $VERIFF_API_KEY, never copied)",
    },
    Entry {
        action: Action::Media,
        name: "media",
        keys: &["m"],
        contexts: Contexts::of(&[C::Detail]),
        section: Section::Sessions,
        about: "details: show the session's media files one at a time (each fetched only when shown, kept in memory only until closed)",
    },
    Entry {
        action: Action::SaveMedia,
        name: "save_media",
        keys: &["s"],
        contexts: Contexts::of(&[C::Media]),
        section: Section::Sessions,
        about: "media: save the file shown to a file you name (Enter saves it there, Esc cancels; readable by you only, never over an existing file)",
    },
    Entry {
        action: Action::Yes,
        name: "yes",
        keys: &["y", "Y"],
        contexts: Contexts::of(&[C::Confirm]),
        section: Section::Questions,
        about: "answer yes to the question on screen",
    },
    Entry {
        action: Action::No,
        name: "no",
        keys: &["n", "N"],
        contexts: Contexts::of(&[C::Confirm]),
        section: Section::Questions,
        about: "answer no",
    },
    Entry {
        action: Action::Close,
        name: "close",
        keys: &["q", "Enter"],
        contexts: Contexts::of(&[C::Help, C::Qr]),
        section: Section::Overlays,
        about: "close the help or the QR code",
    },
];

impl Contexts {
    const fn minus(self, other: Contexts) -> Self {
        Self(self.0 & !other.0)
    }
}

/// Keys that edit the text of a field (tui-input's, and the Alt variants some terminals
/// send). While typing in a field these and single characters are text; nothing else uses
/// them there.
pub const TEXT_EDITING: &[(&[&str], &str)] = &[
    (
        &["Left", "Right", "Ctrl+B", "Ctrl+F"],
        "a character left / right",
    ),
    (
        &[
            "Ctrl+Left",
            "Ctrl+Right",
            "Alt+Left",
            "Alt+Right",
            "Alt+B",
            "Alt+F",
        ],
        "a word left / right",
    ),
    (
        &["Home", "End", "Ctrl+A", "Ctrl+E"],
        "the start / end of the field",
    ),
    (
        &["Backspace", "Ctrl+H", "Delete"],
        "delete the character before / after the cursor",
    ),
    (
        &["Ctrl+W", "Alt+Backspace", "Ctrl+Delete", "Alt+Delete"],
        "delete the word before / after the cursor",
    ),
    (
        &["Ctrl+U", "Ctrl+K"],
        "delete the whole field / up to its end",
    ),
    (&["Ctrl+Y"], "put back what was deleted last"),
];

impl Action {
    pub fn entry(self) -> &'static Entry {
        &ENTRIES[self as usize]
    }

    /// Its name under `[keys]` in the config file.
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    pub fn applies(self, ctx: Context) -> bool {
        self.entry().contexts.has(ctx)
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ENTRIES.iter().find(|e| e.name == name).map(|e| e.action)
    }

    /// Actions whose keys the config file may not change.
    pub fn fixed(self) -> bool {
        self == Action::ForceQuit
    }
}

/// One entry of `[keys]`: a key or a list of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyList {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key in quotes (\"F5\") or a list of keys ([\"j\", \"Down\"])")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyList, E> {
                Ok(KeyList::One(v.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<Spanned<String>>()? {
                    keys.push(k);
                }
                Ok(KeyList::Many(keys))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for KeyList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            KeyList::One(k) => s.serialize_str(k),
            KeyList::Many(keys) => {
                let mut seq = s.serialize_seq(Some(keys.len()))?;
                for k in keys {
                    seq.serialize_element(k.get_ref())?;
                }
                seq.end()
            }
        }
    }
}

/// The `[keys]` table of the config file as written: action name to key(s), with where each
/// stands in the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeysConfig(pub BTreeMap<Spanned<String>, Spanned<KeyList>>);

impl KeysConfig {
    /// `name = keys` lines, in file order, as `veriff-tui config check` shows them.
    pub fn lines(&self) -> Vec<String> {
        let mut entries: Vec<_> = self.0.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(name, keys)| {
                let keys = match keys.get_ref() {
                    KeyList::One(k) => k.clone(),
                    KeyList::Many(ks) => ks
                        .iter()
                        .map(|k| k.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                format!("{} = {keys}", name.get_ref())
            })
            .collect()
    }
}

/// Why `[keys]` cannot be used, and where in the file (a byte range, when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// The keys bound to every action, from the table's defaults and the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bound: Vec<Vec<KeyCombo>>,
    text: Vec<KeyCombo>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bound = ENTRIES
            .iter()
            .map(|e| e.keys.iter().filter_map(|k| k.parse().ok()).collect())
            .collect();
        let text = TEXT_EDITING
            .iter()
            .flat_map(|(keys, _)| keys.iter().filter_map(|k| k.parse().ok()))
            .collect();
        Self { bound, text }
    }
}

impl KeyMap {
    /// The defaults with the config file's `[keys]` applied: an entry replaces the keys of
    /// its action. An unknown action, a key that is not a key name, Ctrl+C, or two actions
    /// with one key where both act, are errors.
    pub fn from_config(config: &KeysConfig) -> Result<Self, KeyError> {
        let mut map = Self::default();
        // Where each action's keys were set in the file, key by key.
        let mut spans: Vec<Vec<Option<Range<usize>>>> =
            map.bound.iter().map(|k| vec![None; k.len()]).collect();
        let mut entries: Vec<_> = config.0.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (name, list) in entries {
            let Some(action) = Action::from_name(name.get_ref()) else {
                return Err(KeyError {
                    span: Some(name.span()),
                    message: format!(
                        "\"{}\" is not an action; the actions are: {}",
                        crate::text::sanitize(name.get_ref()),
                        ENTRIES
                            .iter()
                            .map(|e| e.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            if action.fixed() {
                return Err(KeyError {
                    span: Some(name.span()),
                    message: "force_quit is Ctrl+C, which always quits; it cannot be rebound"
                        .into(),
                });
            }
            let written: Vec<(&str, Range<usize>)> = match list.get_ref() {
                KeyList::One(k) => vec![(k.as_str(), list.span())],
                KeyList::Many(ks) => ks
                    .iter()
                    .map(|k| (k.get_ref().as_str(), k.span()))
                    .collect(),
            };
            let mut keys = Vec::new();
            let mut key_spans = Vec::new();
            for (text, span) in written {
                let key: KeyCombo = text.parse().map_err(|why| KeyError {
                    span: Some(span.clone()),
                    message: format!(
                        "\"{}\" is not a key for {}: {why}",
                        crate::text::sanitize(text),
                        action.name()
                    ),
                })?;
                if !keys.contains(&key) {
                    keys.push(key);
                    key_spans.push(Some(span));
                }
            }
            map.bound[action as usize] = keys;
            spans[action as usize] = key_spans;
        }
        map.check_clashes(&spans)?;
        Ok(map)
    }

    fn check_clashes(&self, spans: &[Vec<Option<Range<usize>>>]) -> Result<(), KeyError> {
        let mut found: Option<(Option<Range<usize>>, String)> = None;
        for ctx in Context::ALL {
            let acting: Vec<&Entry> = ENTRIES.iter().filter(|e| e.contexts.has(ctx)).collect();
            for (i, a) in acting.iter().enumerate() {
                for b in &acting[i + 1..] {
                    for (ka, key) in self.keys(a.action).iter().enumerate() {
                        let Some(kb) = self.keys(b.action).iter().position(|k| k == key) else {
                            continue;
                        };
                        let span_a = spans[a.action as usize].get(ka).cloned().flatten();
                        let span_b = spans[b.action as usize].get(kb).cloned().flatten();
                        // Point at what the file wrote, the later of the two when both.
                        let (span, mine, theirs) = match (&span_a, &span_b) {
                            (Some(sa), Some(sb)) if sa.start > sb.start => (span_a, a, b),
                            (_, Some(_)) => (span_b, b, a),
                            _ => (span_a, a, b),
                        };
                        let message = if theirs.action.fixed() {
                            format!("{key} always quits; bind {} to another key", mine.name)
                        } else {
                            format!(
                                "{key} is bound to both {} and {} in {}: choose another key for {}",
                                mine.name,
                                theirs.name,
                                ctx.describe(),
                                mine.name
                            )
                        };
                        // The earliest in the file, so fixing them goes top to bottom.
                        let earlier = match (&found, &span) {
                            (None, _) => true,
                            (Some((Some(old), _)), Some(new)) => new.start < old.start,
                            (Some((None, _)), Some(_)) => true,
                            _ => false,
                        };
                        if earlier {
                            found = Some((span, message));
                        }
                    }
                }
            }
        }
        match found {
            Some((span, message)) => Err(KeyError { span, message }),
            None => Ok(()),
        }
    }

    /// The keys bound to `action`, in the order written.
    pub fn keys(&self, action: Action) -> &[KeyCombo] {
        self.bound
            .get(action as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A key that edits text while typing in a field.
    pub fn edits_text(&self, key: KeyCombo) -> bool {
        match key.code {
            KeyCode::Char(_) if !key.mods.intersects(COMMAND_MODS) => true,
            // AltGr arrives as Ctrl+Alt and types its character.
            KeyCode::Char(_) if key.mods == CTRL_ALT => true,
            _ => self.text.contains(&key),
        }
    }

    /// Whether `key` acts in `ctx` (rather than typing, or nothing).
    fn acts(&self, ctx: Context, key: KeyCombo) -> bool {
        !(ctx.typing() && self.edits_text(key))
    }

    /// The action a key press stands for where it is pressed; `None` when nothing is bound
    /// to it there, or when it types.
    pub fn action(&self, ctx: Context, event: &KeyEvent) -> Option<Action> {
        let key = KeyCombo::from_event(event);
        if !self.acts(ctx, key) {
            return None;
        }
        ENTRIES
            .iter()
            .find(|e| e.contexts.has(ctx) && self.keys(e.action).contains(&key))
            .map(|e| e.action)
    }

    /// The first key of `action` that acts in `ctx`.
    pub fn key_in(&self, action: Action, ctx: Context) -> Option<KeyCombo> {
        if !action.applies(ctx) {
            return None;
        }
        self.keys(action)
            .iter()
            .copied()
            .find(|k| self.acts(ctx, *k))
    }

    /// The first key of `action`, as shown on screen (`(no key)` when it has none).
    pub fn label(&self, action: Action) -> String {
        match self.keys(action).first() {
            Some(k) => k.label(),
            None => format!("(no key for {})", action.name()),
        }
    }

    /// The first key of `action` that acts in `ctx`, as shown on screen.
    pub fn label_in(&self, action: Action, ctx: Context) -> Option<String> {
        self.key_in(action, ctx).map(KeyCombo::label)
    }

    /// Every key of `action`, as shown on screen, space-separated.
    pub fn labels(&self, action: Action) -> String {
        self.keys(action)
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The `[keys]` lines of config.example.toml: every action that can be rebound, commented
/// out, with its default keys (a test checks the example holds them).
pub fn example_lines() -> Vec<String> {
    ENTRIES
        .iter()
        .filter(|e| !e.action.fixed())
        .map(|e| {
            let keys = e
                .keys
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let keys = if e.keys.len() == 1 {
                keys
            } else {
                format!("[{keys}]")
            };
            format!("# {} = {keys}", e.name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KeyCombo {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn key_names_parse_in_any_case_and_characters_as_typed() {
        assert_eq!(
            k("Ctrl+S"),
            KeyCombo::new(KeyCode::Char('s'), KeyModifiers::CONTROL)
        );
        assert_eq!(k("ctrl+s"), k("CTRL+S"));
        assert_eq!(k("control+S"), k("Ctrl+s"));
        assert_eq!(
            k("alt+1"),
            KeyCombo::new(KeyCode::Char('1'), KeyModifiers::ALT)
        );
        assert_eq!(k("f5"), KeyCombo::new(KeyCode::F(5), KeyModifiers::NONE));
        assert_eq!(k("F12"), KeyCombo::new(KeyCode::F(12), KeyModifiers::NONE));
        assert_eq!(
            k("ENTER"),
            KeyCombo::new(KeyCode::Enter, KeyModifiers::NONE)
        );
        assert_eq!(k("escape"), k("Esc"));
        assert_eq!(k("pgdn"), k("PageDown"));
        assert_eq!(
            k("space"),
            KeyCombo::new(KeyCode::Char(' '), KeyModifiers::NONE)
        );
        assert_eq!(
            k("Shift+Tab"),
            KeyCombo::new(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(k("backtab"), k("shift+tab"));
        assert_eq!(
            k("Shift+Up"),
            KeyCombo::new(KeyCode::Up, KeyModifiers::SHIFT)
        );
        assert_eq!(
            k("Ctrl+Delete"),
            KeyCombo::new(KeyCode::Delete, KeyModifiers::CONTROL)
        );
        // A character is the character: q and Q differ, Shift+q is Q.
        assert_ne!(k("q"), k("Q"));
        assert_eq!(k("Shift+q"), k("Q"));
        assert_eq!(
            k("?"),
            KeyCombo::new(KeyCode::Char('?'), KeyModifiers::NONE)
        );
        assert_eq!(
            k("+"),
            KeyCombo::new(KeyCode::Char('+'), KeyModifiers::NONE)
        );
        assert_eq!(
            k("Ctrl++"),
            KeyCombo::new(KeyCode::Char('+'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            k(" Alt + Q "),
            KeyCombo::new(KeyCode::Char('q'), KeyModifiers::ALT)
        );
        assert_eq!(
            k("é"),
            KeyCombo::new(KeyCode::Char('é'), KeyModifiers::NONE)
        );
    }

    #[test]
    fn bad_key_names_say_why() {
        for (bad, why) in [
            ("", "empty"),
            ("Hyperr+x", "not a modifier"),
            ("Ctrl+", "no key after"),
            ("F13", "not a key name"),
            ("F0", "not a key name"),
            ("Enterr", "not a key name"),
            ("jj", "not a key name"),
            ("Shift+1", "write the character"),
            ("Ctrl++x", "empty modifier"),
            ("\u{7}", "control character"),
        ] {
            let err = bad.parse::<KeyCombo>().unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn display_is_the_config_name_and_parses_back() {
        for (written, shown) in [
            ("ctrl+s", "Ctrl+S"),
            ("alt+q", "Alt+Q"),
            ("Alt+Shift+q", "Alt+Q"),
            ("f5", "F5"),
            ("enter", "Enter"),
            ("esc", "Esc"),
            ("backtab", "Shift+Tab"),
            ("pgup", "PageUp"),
            ("space", "Space"),
            ("shift+down", "Shift+Down"),
            ("ctrl+left", "Ctrl+Left"),
            ("Q", "Q"),
            ("q", "q"),
            ("Ctrl++", "Ctrl++"),
            ("/", "/"),
        ] {
            let key = k(written);
            assert_eq!(key.to_string(), shown, "{written}");
            assert_eq!(k(shown), key, "{shown} parses back");
        }
        assert_eq!(k("Down").label(), "↓");
        assert_eq!(k("Ctrl+Left").label(), "Ctrl+←");
        assert_eq!(k("PageDown").label(), "PgDn");
        assert_eq!(k("Ctrl+S").label(), "Ctrl+S");
    }

    #[test]
    fn events_match_their_keys() {
        let map = KeyMap::default();
        let shift = KeyModifiers::SHIFT;
        // Terminals report Shift+q as Q with Shift, some as q with Shift.
        for e in [
            ev(KeyCode::Char('Q'), shift),
            ev(KeyCode::Char('Q'), KeyModifiers::NONE),
            ev(KeyCode::Char('q'), shift),
        ] {
            assert_eq!(map.action(Context::List, &e), Some(Action::Qr), "{e:?}");
        }
        let alt_q = ev(KeyCode::Char('Q'), KeyModifiers::ALT | shift);
        assert_eq!(map.action(Context::Field, &alt_q), Some(Action::Qr));
        assert_eq!(
            map.action(Context::List, &ev(KeyCode::BackTab, shift)),
            None,
            "Shift+Tab does nothing in the list"
        );
        assert_eq!(
            map.action(Context::Field, &ev(KeyCode::BackTab, shift)),
            Some(Action::PrevField)
        );
        let ctrl_s = ev(KeyCode::Char('S'), KeyModifiers::CONTROL | shift);
        assert_eq!(map.action(Context::Field, &ctrl_s), Some(Action::Generate));
    }

    #[test]
    fn typing_keys_type_in_fields_and_act_elsewhere() {
        let map = KeyMap::default();
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::Field, &q), None);
        assert_eq!(map.action(Context::Filter, &q), None);
        assert_eq!(map.action(Context::List, &q), Some(Action::Quit));
        assert_eq!(map.action(Context::Help, &q), Some(Action::Close));
        assert_eq!(map.action(Context::TooSmall, &q), Some(Action::Quit));
        let ctrl_g = ev(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Field, &ctrl_g), Some(Action::Help));
        assert_eq!(map.key_in(Action::Help, Context::Field), Some(k("Ctrl+G")));
        assert_eq!(map.key_in(Action::Help, Context::List), Some(k("?")));
        assert_eq!(map.key_in(Action::Quit, Context::Field), None);
        // Nothing but quitting acts in a window too small.
        for e in [
            ev(KeyCode::Char('s'), KeyModifiers::CONTROL),
            ev(KeyCode::Enter, KeyModifiers::NONE),
            ev(KeyCode::Char('2'), KeyModifiers::ALT),
            ev(KeyCode::Esc, KeyModifiers::NONE),
        ] {
            assert_eq!(map.action(Context::TooSmall, &e), None, "{e:?}");
        }
        let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for ctx in Context::ALL {
            assert_eq!(map.action(ctx, &ctrl_c), Some(Action::ForceQuit), "{ctx:?}");
        }
    }

    #[test]
    fn the_table_is_in_action_order_and_its_defaults_parse_without_clashes() {
        for (i, e) in ENTRIES.iter().enumerate() {
            assert_eq!(e.action as usize, i, "{}", e.name);
            for key in e.keys {
                assert!(key.parse::<KeyCombo>().is_ok(), "{}: {key}", e.name);
            }
            assert_eq!(Action::from_name(e.name), Some(e.action));
        }
        assert_eq!(ENTRIES.len(), Action::Close as usize + 1);
        for (keys, _) in TEXT_EDITING {
            for key in *keys {
                assert!(key.parse::<KeyCombo>().is_ok(), "{key}");
            }
        }
        let spans: Vec<_> = ENTRIES.iter().map(|_| Vec::new()).collect();
        assert_eq!(KeyMap::default().check_clashes(&spans), Ok(()));
        assert_eq!(
            KeyMap::from_config(&KeysConfig::default()),
            Ok(KeyMap::default())
        );
    }

    #[test]
    fn the_example_config_and_the_readme_list_every_action() {
        let example = include_str!("../config.example.toml");
        for line in example_lines() {
            assert!(
                example
                    .lines()
                    .any(|l| l == line || l.starts_with(&format!("{line} "))),
                "config.example.toml lacks {line}"
            );
        }
        let readme = include_str!("../README.md");
        let keys = readme
            .split("\n## Keys")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        for e in ENTRIES {
            assert!(
                keys.contains(&format!("`{}`", e.name)),
                "README's Keys lack {}",
                e.name
            );
        }
    }

    fn from_toml(text: &str) -> Result<KeyMap, KeyError> {
        #[derive(Deserialize)]
        struct File {
            keys: KeysConfig,
        }
        let file: File = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        KeyMap::from_config(&file.keys)
    }

    #[test]
    fn config_entries_replace_an_actions_keys() {
        let map =
            from_toml("[keys]\nrefresh = \"F5\"\ndown = [\"j\", \"Down\", \"Ctrl+n\"]\n").unwrap();
        assert_eq!(map.keys(Action::Refresh), [k("F5")]);
        assert_eq!(map.keys(Action::Down), [k("j"), k("Down"), k("Ctrl+N")]);
        assert_eq!(map.keys(Action::Up), KeyMap::default().keys(Action::Up));
        let r = ev(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::List, &r), None);
        assert_eq!(
            map.action(Context::List, &ev(KeyCode::F(5), KeyModifiers::NONE)),
            Some(Action::Refresh)
        );
        // F5 is still the Approve preset on the form: another context.
        assert_eq!(
            map.action(Context::Field, &ev(KeyCode::F(5), KeyModifiers::NONE)),
            Some(Action::PresetApprove)
        );
        let empty = from_toml("[keys]\nexport = []\n").unwrap();
        assert!(empty.keys(Action::Export).is_empty());
    }

    #[test]
    fn config_errors_point_at_the_entry() {
        // (config text, what the error points at, words it says)
        let cases = [
            (
                "[keys]\nrefresh = \"F5\"\nrefrsh = \"x\"\n",
                "refrsh",
                "\"refrsh\" is not an action",
            ),
            (
                "[keys]\ndown = [\"j\", \"Ctrl+Foo\"]\n",
                "\"Ctrl+Foo\"",
                "\"Foo\" is not a key name",
            ),
            (
                "[keys]\nrefresh = \"d\"\n",
                "\"d\"",
                "d is bound to both refresh and delete",
            ),
        ];
        for (text, at, words) in cases {
            let e = from_toml(text).unwrap_err();
            assert_eq!(e.span.map(|s| &text[s]), Some(at), "{text}");
            assert!(e.message.contains(words), "{}", e.message);
        }

        // Both written: the later one is pointed at.
        let text = "[keys]\nexport = \"x\"\nresend = [\"g\", \"x\"]\n";
        let e = from_toml(text).unwrap_err();
        let span = e.span.clone().unwrap();
        assert_eq!(&text[span.clone()], "\"x\"");
        assert!(span.start > text.find("resend").unwrap(), "{e:?}");

        let text = "[keys]\nhelp = \"Ctrl+C\"\n";
        let e = from_toml(text).unwrap_err();
        assert!(e.message.contains("Ctrl+C always quits"), "{}", e.message);
        let e = from_toml("[keys]\nforce_quit = \"x\"\n").unwrap_err();
        assert!(e.message.contains("cannot be rebound"), "{}", e.message);

        // Different contexts do not clash.
        assert!(from_toml("[keys]\nyes = \"q\"\nclose = \"x\"\n").is_ok());
    }
}
