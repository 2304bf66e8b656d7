//! `config path` and `config check` (which fails, exit 2, when the active profile cannot
//! send: no profile, or no api_key).

use super::{ConfigAction, Failure, Outcome, output};
use crate::config::Settings;

pub(super) fn run(settings: &Settings, action: ConfigAction) -> Outcome {
    match action {
        ConfigAction::Path => output::line(&settings.paths_text()),
        ConfigAction::Check => {
            output::line(&settings.describe())?;
            // A check that passes a profile which cannot send would only defer the error
            // to the first generate: the same words, now, and a failing exit code.
            settings.endpoint().map(|_| ()).map_err(Failure::from)
        }
    }
}
