//! `config path` and `config check`.

use super::{ConfigAction, Outcome, output};
use crate::config::Settings;

pub(super) fn run(settings: &Settings, action: ConfigAction) -> Outcome {
    match action {
        ConfigAction::Path => output::line(&settings.paths_text()),
        ConfigAction::Check => output::line(&settings.describe()),
    }
}
