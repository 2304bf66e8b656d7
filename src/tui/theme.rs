//! Colours and emphasis in one place, in what the terminal can show: with NO_COLOR or a
//! terminal without colours (TERM=vt100, xterm-mono) every style drops its colour and keeps
//! only modifiers, so focus and selection stay visible through reverse and bold; a terminal
//! of 8 or 16 colours gets no 256-colour escapes.

use ratatui::style::{Color, Modifier, Style};

use crate::veriff::SessionStatus;

/// The colours a terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// None: NO_COLOR, or a terminal without colours.
    Mono,
    /// The 8/16 ANSI colours.
    Basic,
    /// 256 colours or more.
    Extended,
}

impl Palette {
    /// What the terminal described by the environment can show: NO_COLOR first
    /// (no-color.org), then COLORTERM, then the terminfo entry of TERM (its `colors`), and
    /// where that entry is not installed, what the name says.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Palette {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        if set("NO_COLOR").is_some() {
            return Palette::Mono;
        }
        let term = set("TERM").unwrap_or_default();
        if matches!(set("COLORTERM").as_deref(), Some("truecolor" | "24bit")) && term != "dumb" {
            return Palette::Extended;
        }
        let colors = terminfo::Database::from_name(&term)
            .ok()
            .and_then(|db| db.get::<terminfo::capability::MaxColors>().map(|c| c.0));
        match colors {
            Some(n) if n >= 256 => Palette::Extended,
            Some(n) if n >= 8 => Palette::Basic,
            Some(_) => Palette::Mono,
            None if term.is_empty() => Palette::Basic,
            None => Palette::from_name(&term),
        }
    }

    /// A guess from the terminal's name alone, for when terminfo has no entry for it.
    fn from_name(term: &str) -> Palette {
        let mono = term == "dumb"
            || term.ends_with("-mono")
            || term.ends_with("-m")
            || term.starts_with("vt")
            || term == "ansi-m";
        if mono {
            Palette::Mono
        } else if term.contains("256") || term.contains("direct") || term.ends_with("kitty") {
            Palette::Extended
        } else {
            Palette::Basic
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub no_color: bool,
    /// 256-colour shades may be used.
    extended: bool,
}

impl Theme {
    pub fn new(palette: Palette) -> Self {
        Self {
            no_color: palette == Palette::Mono,
            extended: palette == Palette::Extended,
        }
    }

    fn color(&self, style: Style, fg: Color) -> Style {
        if self.no_color { style } else { style.fg(fg) }
    }

    pub fn base(&self) -> Style {
        Style::new()
    }

    pub fn accent(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn title(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }

    pub fn key(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Yellow)
    }

    /// The focused form label or control.
    pub fn focus(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        }
    }

    /// The area of a text input (visible even when empty).
    pub fn input(&self, focused: bool) -> Style {
        if self.no_color {
            if focused {
                Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
            } else {
                Style::new().add_modifier(Modifier::UNDERLINED)
            }
        } else if !self.extended {
            if focused {
                Style::new().bg(Color::Blue).fg(Color::White)
            } else {
                Style::new().add_modifier(Modifier::UNDERLINED)
            }
        } else if focused {
            Style::new().bg(Color::Indexed(237)).fg(Color::White)
        } else {
            Style::new().bg(Color::Indexed(235))
        }
    }

    /// The selected row of a list or table.
    pub fn selected(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            let bg = if self.extended {
                Color::Indexed(24)
            } else {
                Color::Blue
            };
            Style::new()
                .bg(bg)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn button(&self, focused: bool) -> Style {
        if focused {
            if self.no_color {
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::new()
                    .bg(Color::Cyan)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD)
            }
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn error(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Red)
    }

    pub fn warning(&self) -> Style {
        self.color(Style::new(), Color::Yellow)
    }

    pub fn success(&self) -> Style {
        self.color(Style::new().add_modifier(Modifier::BOLD), Color::Green)
    }

    /// The LIVE marker: a production integration.
    pub fn live(&self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn status(&self, status: &SessionStatus) -> Style {
        let fg = match status {
            SessionStatus::Created => Color::Gray,
            SessionStatus::Started => Color::Blue,
            SessionStatus::Submitted => Color::Cyan,
            SessionStatus::Approved => Color::Green,
            SessionStatus::Declined => Color::Red,
            SessionStatus::ResubmissionRequested => Color::Yellow,
            SessionStatus::Review => Color::Magenta,
            SessionStatus::Expired | SessionStatus::Abandoned => Color::DarkGray,
            SessionStatus::Unknown => Color::LightRed,
            SessionStatus::Other(_) => Color::Gray,
        };
        let style = if status.is_final() {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        self.color(style, fg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn palette(vars: &[(&str, &str)]) -> Palette {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Palette::detect(&move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn follows_the_terminals_colours() {
        assert_eq!(palette(&[("TERM", "dumb")]), Palette::Mono);
        assert_eq!(palette(&[("TERM", "vt100")]), Palette::Mono);
        assert_eq!(palette(&[("TERM", "xterm-mono")]), Palette::Mono);
        assert_eq!(palette(&[("TERM", "xterm")]), Palette::Basic);
        assert_eq!(palette(&[("TERM", "xterm-256color")]), Palette::Extended);
        assert_eq!(
            palette(&[("TERM", "no-such-term-256color")]),
            Palette::Extended
        );
        assert_eq!(
            palette(&[("TERM", "xterm"), ("COLORTERM", "truecolor")]),
            Palette::Extended
        );
        assert_eq!(
            palette(&[("TERM", "xterm-256color"), ("NO_COLOR", "1")]),
            Palette::Mono
        );
    }

    #[test]
    fn only_extended_terminals_get_256_colour_shades() {
        let uses_indexed = |t: Theme| {
            [t.input(true), t.input(false), t.selected()]
                .iter()
                .any(|s| matches!(s.bg, Some(Color::Indexed(_))))
        };
        assert!(uses_indexed(Theme::new(Palette::Extended)));
        assert!(!uses_indexed(Theme::new(Palette::Basic)));
        let mono = Theme::new(Palette::Mono);
        assert!(
            [mono.input(true), mono.selected(), mono.error(), mono.dim()]
                .iter()
                .all(|s| s.fg.is_none() && s.bg.is_none())
        );
    }
}
