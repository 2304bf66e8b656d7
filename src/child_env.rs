//! The environment the programs we start get. Ours may hold secrets (`VERIFF_API_KEY`,
//! `VERIFF_SHARED_SECRET`); a child never needs them, and one (the clipboard holder) lives
//! on long after we exit, where anything reading its environment would find them.

use std::ffi::OsString;
use std::process::Command;

/// True for a variable of ours: every `VERIFF_…` (keys, secrets, profiles, paths).
fn ours(name: &OsString) -> bool {
    name.to_str().is_some_and(|n| n.starts_with("VERIFF_"))
}

/// `cmd` gets this process's environment without any `VERIFF_…` variable.
pub fn without_secrets(cmd: &mut Command) -> &mut Command {
    without_secrets_of(cmd, std::env::vars_os().map(|(k, _)| k))
}

fn without_secrets_of(cmd: &mut Command, names: impl Iterator<Item = OsString>) -> &mut Command {
    for name in names.filter(ours) {
        cmd.env_remove(name);
    }
    cmd
}

/// `cmd` gets only the variables named in `keep`, as this process has them.
pub fn only<'c>(cmd: &'c mut Command, keep: &[&str]) -> &'c mut Command {
    cmd.env_clear();
    for name in keep {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_variables_are_taken_away_and_others_kept() {
        let mut cmd = Command::new("true");
        let names = [
            "VERIFF_API_KEY",
            "VERIFF_SHARED_SECRET",
            "VERIFF_PROFILE",
            "DISPLAY",
            "TMUX",
        ]
        .map(OsString::from);
        without_secrets_of(&mut cmd, names.into_iter());
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            removed,
            ["VERIFF_API_KEY", "VERIFF_PROFILE", "VERIFF_SHARED_SECRET"]
        );
    }

    #[test]
    fn only_keeps_what_it_names() {
        let mut cmd = Command::new("true");
        only(&mut cmd, &["PATH"]);
        let set: Vec<_> = cmd
            .get_envs()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert!(set.iter().all(|k| k == "PATH"), "{set:?}");
    }
}
