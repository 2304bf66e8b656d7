//! `config path`, `config check` (which fails, exit 2, when the active profile cannot
//! send: no profile, no api_key, or a secret that its command or the keyring did not
//! give) and `config set-secret` (its own file).

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
        ConfigAction::SetSecret(args) => super::set_secret::run(settings, &args),
    }
}
