//! Whether the terminal shows OSC 8 hyperlinks, told from its environment: terminals that
//! support them say who they are there. Elsewhere URLs stay plain text (the escape would be
//! ignored by most terminals, but not all, and not inside an older tmux, which drops it).

use crate::tmux;

/// `VERIFF_TUI_HYPERLINKS=1` or `0` overrides what the environment suggests.
pub const OVERRIDE: &str = "VERIFF_TUI_HYPERLINKS";

/// True when URLs should be drawn as hyperlinks. `env` looks up environment variables;
/// `tmux` is the version of the tmux we are inside, if any.
pub fn supported(env: &dyn Fn(&str) -> Option<String>, tmux: Option<tmux::Version>) -> bool {
    if let Some(v) = env(OVERRIDE) {
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "on" | "yes" | "true" => return true,
            "0" | "off" | "no" | "false" => return false,
            _ => {}
        }
    }
    // tmux 3.4 and later pass links on to a terminal that shows them (tmux knows which do);
    // older ones drop them. The variables below would describe the terminal tmux was
    // started from, not necessarily the one attached now.
    if tmux::inside(env) {
        return tmux.is_some_and(tmux::Version::passes_hyperlinks);
    }
    let is = |k: &str, want: &str| env(k).is_some_and(|v| v == want);
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let term = env("TERM").unwrap_or_default();
    // GNU screen drops them.
    if term.starts_with("screen") && set("STY") {
        return false;
    }
    // VTE (GNOME Terminal, Tilix, …) since 0.50.
    let vte = env("VTE_VERSION")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|v| v >= 5000);
    vte || set("KITTY_WINDOW_ID")
        || term == "xterm-kitty"
        || is("TERM_PROGRAM", "WezTerm")
        || is("TERM_PROGRAM", "iTerm.app")
        || is("TERM_PROGRAM", "ghostty")
        || term == "xterm-ghostty"
        || set("WT_SESSION")
        || term.starts_with("foot")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let vars = vars.to_vec();
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn terminals_that_show_links_are_known_by_their_environment() {
        let yes: &[&[(&str, &str)]] = &[
            &[("VTE_VERSION", "7600")],
            &[("KITTY_WINDOW_ID", "1")],
            &[("TERM", "xterm-kitty")],
            &[("TERM_PROGRAM", "WezTerm")],
            &[("TERM_PROGRAM", "iTerm.app")],
            &[("TERM_PROGRAM", "ghostty")],
            &[("WT_SESSION", "abc")],
            &[("TERM", "foot")],
            &[("TERM", "xterm-256color"), (OVERRIDE, "1")],
        ];
        for vars in yes {
            assert!(supported(&env(vars), None), "{vars:?}");
        }
        let no: &[&[(&str, &str)]] = &[
            &[("TERM", "xterm-256color")],
            &[("TERM", "linux")],
            &[("VTE_VERSION", "4803")],
            &[
                ("TERM", "screen"),
                ("STY", "1.pts"),
                ("VTE_VERSION", "7600"),
            ],
            &[("VTE_VERSION", "7600"), (OVERRIDE, "0")],
        ];
        for vars in no {
            assert!(!supported(&env(vars), None), "{vars:?}");
        }
    }

    #[test]
    fn inside_tmux_the_tmux_version_decides() {
        let vars = env(&[("TMUX", "/tmp/t,1,0"), ("VTE_VERSION", "7600")]);
        assert!(!supported(&vars, Some(tmux::Version(3, 3))));
        assert!(!supported(&vars, None));
        assert!(supported(&vars, Some(tmux::Version(3, 4))));
        let forced = env(&[("TMUX", "/tmp/t,1,0"), (OVERRIDE, "on")]);
        assert!(supported(&forced, Some(tmux::Version(3, 0))));
    }
}
