//! The one State and the one `update(state, msg) -> effects`. No I/O here: everything that
//! touches the network, the store, the clipboard or a browser is an [`Effect`] the main loop
//! runs in a task, whose answer comes back as a [`Msg`].
//!
//! `state` is the model, `update` handles messages, `keys` dispatches keys through the key
//! table to `generate`, `tokens` and `dashboard`, one file per screen.

mod batch;
mod dashboard;
mod effect;
mod generate;
mod inspect;
mod keys;
mod live;
mod state;
mod tokens;
mod update;

pub use batch::{BatchStage, BatchUi};
pub use effect::Effect;
pub use generate::PRESETS;
pub use state::*;
pub use update::update;

use update::after_store_change;

use batch::*;
use dashboard::*;
use generate::*;
use inspect::*;
use keys::*;
use live::*;
use tokens::*;

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use tui_input::InputRequest;

use crate::config::Settings;
use crate::history::{Query, Record};
use crate::keymap::{Action, Context, KeyMap};
use crate::ops::generate::{Failed, Generated, Refused, Request};
use crate::ops::progress::Report;
use crate::text::sanitize;
use crate::tui::form::{Field, Form};
use crate::tui::form_layout::FormLayout;
use crate::tui::list::{Load, TokenList};
use crate::tui::message::{CopyWhat, Msg};
use crate::tui::ui_state::UiState;
use crate::veriff::{CreatedSession, Endpoint, SessionInput, SessionStatus};
