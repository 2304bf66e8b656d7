//! Drawing: a pure function of the state. One file per screen; this one lays out the header,
//! the status line and the footer, and the overlays shared by every screen.

pub mod batch;
pub mod dashboard;
pub mod generate;
pub mod help;
pub mod inspection;
pub mod media;
pub mod qr;
pub mod tokens;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::tui::app::context;
use crate::tui::app::{Level, Screen, State, Zone};
use crate::tui::glyphs;
use crate::tui::theme::Theme;

pub use crate::tui::layout::{MIN_HEIGHT, MIN_WIDTH, centered};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(state: &State) -> &'static str {
    SPINNER[state.spinner % SPINNER.len()]
}

pub fn draw(frame: &mut Frame, state: &State) {
    // Text is handed to ratatui cell by cell as the terminal will draw it (tui::glyphs).
    glyphs::begin(state.width);
    draw_frame(frame, state);
    glyphs::settle(frame.buffer_mut());
}

fn draw_frame(frame: &mut Frame, state: &State) {
    let area = frame.area();
    let theme = Theme::new(state.palette);
    // The QR code gets the whole window, whatever its size: it says itself when too small.
    if let Some(url) = &state.qr {
        qr::draw(frame, area, url, &state.keys, theme, state.hyperlinks);
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Only quitting acts here (and resizing): say with which keys.
        let quit: Vec<String> = [Action::Quit, Action::ForceQuit]
            .iter()
            .filter_map(|a| state.keys.label_in(*a, Context::TooSmall))
            .collect();
        let text = vec![
            Line::from(format!("window too small: need {MIN_WIDTH}x{MIN_HEIGHT}")),
            Line::from(format!(
                "(now {}x{}; {} quits)",
                area.width,
                area.height,
                quit.join(" or ")
            )),
        ];
        let y = area.height.saturating_sub(2) / 2;
        let rect = Rect::new(area.x, area.y + y, area.width, area.height.min(2));
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .style(theme.warning()),
            rect,
        );
        return;
    }
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, state, theme);
    match state.screen {
        Screen::Generate => generate::draw(frame, body, state, theme),
        Screen::Tokens => tokens::draw(frame, body, state, theme),
        Screen::Dashboard => dashboard::draw(frame, body, state, theme),
    }
    draw_status(frame, status, state, theme);
    draw_footer(frame, footer, state, theme);
    if let Some(scroll) = state.help {
        help::draw(frame, area, state, scroll, theme);
    }
    if state.hyperlinks {
        crate::tui::widgets::hyperlink::settle(frame.buffer_mut());
    }
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let profile = glyphs::shown(&sanitize(&state.settings.profile_name));
    let right = |compact: bool| -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        if !compact {
            spans.push(Span::styled("profile ", theme.dim()));
        }
        spans.push(Span::styled(profile.clone(), theme.accent()));
        if state.profile_live() {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(" LIVE ", theme.live()));
        } else if state.settings.sandbox && !compact {
            // The in-process sandbox runs on this machine; say so without repeating its name.
            let note = if state.settings.profile_name == "sandbox" {
                " (local)"
            } else {
                " (sandbox)"
            };
            spans.push(Span::styled(note, theme.dim()));
        } else if state.settings.profile.is_none() {
            spans.push(Span::styled(" (not configured)", theme.warning()));
        }
        spans.push(Span::raw(" "));
        spans
    };
    // 0: full names, 1: "Tokens", 2: abbreviations.
    let tabs = |short: u8, app: bool| -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        if app {
            spans.push(Span::styled(" veriff-tui ", theme.title()));
        }
        for (i, screen) in Screen::ALL.iter().enumerate() {
            let name = match (short, screen) {
                (0, _) => screen.title(),
                (_, Screen::Tokens) => "Tokens",
                (1, _) => screen.title(),
                (_, Screen::Generate) => "Gen",
                (_, Screen::Dashboard) => "Dash",
            };
            let label = format!(" {} {} ", i + 1, name);
            let style = if *screen == state.screen {
                theme.selected()
            } else {
                theme.dim()
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(label, style));
        }
        spans
    };
    let width = |spans: &[Span]| spans.iter().map(|s| s.content.width()).sum::<usize>();
    // The widest layout that fits; the profile (and LIVE) always stays.
    let candidates = [
        (0, true, false),
        (1, true, false),
        (1, true, true),
        (2, true, true),
        (2, false, true),
    ];
    let (mut left, mut right_spans) = (tabs(2, false), right(true));
    for (short, app, compact) in candidates {
        let (l, r) = (tabs(short, app), right(compact));
        if width(&l) + width(&r) <= usize::from(area.width) {
            (left, right_spans) = (l, r);
            break;
        }
    }
    let right_width = width(&right_spans);
    let [l, r] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::try_from(right_width).unwrap_or(u16::MAX)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(
        Paragraph::new(Line::from(right_spans)).alignment(Alignment::Right),
        r,
    );
}

fn draw_status(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let line = if state.in_flight.is_some() {
        Line::from(vec![
            Span::styled(format!(" {} ", spinner(state)), theme.accent()),
            Span::raw("creating the session… "),
            Span::styled(state.keys.label(Action::Back), theme.key()),
            Span::styled(" stops waiting", theme.dim()),
        ])
    } else if let Some(run) = state.refresh.as_ref().filter(|r| !r.quiet) {
        let text = match run.progress {
            Some(p) => p.describe("refreshing"),
            None => "finding the sessions without a final decision…".into(),
        };
        job_line(state, theme, text, run.stopping)
    } else if let Some(export) = &state.export {
        let text = match export.progress {
            Some(p) => p.describe("exporting"),
            None => "counting the records to export…".into(),
        };
        job_line(state, theme, text, export.stopping)
    } else if let Some(crate::tui::app::BatchStage::Running {
        name,
        progress,
        stopping,
        ..
    }) = state.batch.as_ref().map(|b| &b.stage)
    {
        let text = match progress {
            Some(p) => p.describe(&format!("sending {}", sanitize(name))),
            None => format!("reading what the history knows of {}…", sanitize(name)),
        };
        job_line(state, theme, text, *stopping)
    } else if let Some(s) = &state.status {
        let (mark, style) = match s.level {
            Level::Info => ("•", theme.base()),
            Level::Success => ("✔", theme.success()),
            Level::Warning => ("!", theme.warning()),
            Level::Error => ("✖", theme.error()),
        };
        Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            // One row: a long message ends at a word, with an ellipsis, never mid-word.
            Span::styled(
                fit_words(
                    &sanitize(&s.text),
                    usize::from(area.width).saturating_sub(3),
                ),
                style,
            ),
        ])
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A long job's progress, and the key that stops it (or that it is stopping).
fn job_line(state: &State, theme: Theme, text: String, stopping: bool) -> Line<'static> {
    let mut spans = vec![
        Span::styled(format!(" {} ", spinner(state)), theme.accent()),
        Span::raw(text),
    ];
    if stopping {
        spans.push(Span::styled(" · stopping…", theme.dim()));
    } else {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(state.keys.label(Action::Back), theme.key()));
        spans.push(Span::styled(" stops", theme.dim()));
    }
    Line::from(spans)
}

/// The footer's reminders for what is on screen, most useful first: each the key bound to
/// an action (from the key table, as the config file may have rebound it) and a word for
/// what it does here. An action with no key acting here is left out.
pub fn hints(state: &State) -> Vec<(String, &'static str)> {
    use crate::keymap::Action as A;
    use crate::tui::form::Field;
    let ctx = context(state);
    let keys = &state.keys;
    let mut h: Vec<(String, &'static str)> = Vec::new();
    let add = |h: &mut Vec<(String, &'static str)>, actions: &[A], what: &'static str| {
        let labels: Vec<String> = actions
            .iter()
            .filter_map(|a| keys.label_in(*a, ctx))
            .collect();
        if labels.len() != actions.len() {
            return;
        }
        // ↑↓ together; r/R, F5/F6/F7 apart.
        let glyphs = labels
            .iter()
            .all(|l| l.chars().count() == 1 && !l.chars().all(char::is_alphanumeric));
        let joined = labels.join(if glyphs { "" } else { "/" });
        h.push((joined, what));
    };
    // Quit: its own key where it acts, else Ctrl+C (while typing, q is a letter).
    let quit = if keys.key_in(A::Quit, ctx).is_some() {
        A::Quit
    } else {
        A::ForceQuit
    };
    // On a shared history: what the key shows next.
    let mine_hint = |h: &mut Vec<(String, &'static str)>| {
        if state.tokens.shared {
            let next = if state.tokens.only_mine() {
                "everyone's"
            } else {
                "mine"
            };
            add(h, &[A::Mine], next);
        }
    };
    let url = state.shown_url().is_some();
    let linked = state.current_record().is_none_or(|r| r.has_link());
    // Esc stops the long job on the status line, where it has nothing else to close.
    if matches!(
        ctx,
        Context::List | Context::Dashboard | Context::Field | Context::Control
    ) {
        match state.shown_job() {
            Some(crate::tui::app::Job::Export(_)) => add(&mut h, &[A::Back], "stop export"),
            Some(crate::tui::app::Job::Refresh(_)) => add(&mut h, &[A::Back], "stop refresh"),
            Some(crate::tui::app::Job::Batch(_)) => add(&mut h, &[A::Back], "stop batch"),
            None => {}
        }
    }
    match ctx {
        Context::TooSmall => {}
        Context::Help => {
            add(&mut h, &[A::Up, A::Down], "scroll");
            add(&mut h, &[A::Back], "close help");
        }
        Context::Qr => add(&mut h, &[A::Back], "close"),
        Context::Media => {
            add(&mut h, &[A::Back], "close");
            if state
                .inspector
                .as_ref()
                .is_some_and(|i| i.media().len() > 1)
            {
                add(&mut h, &[A::Up, A::Down], "choose");
            }
            add(&mut h, &[A::SaveMedia], "save");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
        }
        Context::SavePath => {
            // The prompt itself says what to type: the room goes to the keys.
            add(&mut h, &[A::Select], "save");
            add(&mut h, &[A::Back], "cancel");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
        }
        Context::BatchPath => {
            add(&mut h, &[A::Select], "check the file");
            add(&mut h, &[A::Back], "cancel");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
        }
        Context::Confirm => {
            let (yes, no) =
                if state.screen == crate::tui::app::Screen::Tokens && state.batch.is_some() {
                    ("send the valid rows", "cancel")
                } else if state.confirm_unkept.is_some() {
                    ("send, not kept", "send nothing")
                } else if state.tokens.confirm_delete.is_some() {
                    ("delete", "keep")
                } else {
                    ("replace", "keep")
                };
            add(&mut h, &[A::Yes], yes);
            add(&mut h, &[A::No], no);
        }
        Context::Field | Context::Picker | Context::Control => {
            if state.in_flight.is_some() && ctx != Context::Picker {
                add(&mut h, &[A::Back], "stop waiting");
            }
            match state.form.focus {
                Field::Language if ctx == Context::Picker => {
                    add(&mut h, &[A::Up, A::Down], "choose");
                    add(&mut h, &[A::Select], "pick");
                    add(&mut h, &[A::Back], "close list");
                }
                Field::Language => {
                    h.push(("type".into(), "search"));
                    add(&mut h, &[A::Select], "list");
                }
                Field::SelfId => add(&mut h, &[A::Toggle], "toggle"),
                Field::MoreFields if state.form.more_open => {
                    add(&mut h, &[A::Select], "hide fields")
                }
                Field::MoreFields => add(&mut h, &[A::Select], "show fields"),
                Field::Submit => add(&mut h, &[A::Select], "generate"),
                _ => {}
            }
            add(&mut h, &[A::NextField], "next");
            add(&mut h, &[A::Generate], "generate");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            if url {
                add(&mut h, &[A::CopyUrl], "copy URL");
                add(&mut h, &[A::Open], "open");
                add(&mut h, &[A::Qr], "QR code");
                add(&mut h, &[A::UrlLine], "one-line URL");
            }
            add(&mut h, &[A::ScreenTokens], "tokens");
            add(&mut h, &[A::Profile], "profile");
            // Veriff test-integration behaviour: these first names force that decision.
            add(
                &mut h,
                &[A::PresetApprove, A::PresetDecline, A::PresetResubmit],
                "Approve/Decline/Resubmit",
            );
            add(&mut h, &[A::MoreFields], "more fields");
        }
        Context::Filter => {
            h.push(("type".into(), "filter"));
            add(&mut h, &[A::Select], "keep filter");
            add(&mut h, &[A::Back], "clear");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
        }
        // A record whose outcome is unknown has no URL or id to act on.
        Context::Detail if !linked => {
            add(&mut h, &[A::Back], "back");
            if detail_scrolls(state) {
                add(&mut h, &[A::Up, A::Down], "scroll");
            }
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            add(&mut h, &[A::Resend], "re-send");
            add(&mut h, &[A::CopyCurl], "copy curl");
            add(&mut h, &[A::Delete], "delete");
        }
        Context::Detail => {
            add(&mut h, &[A::Back], "back");
            if detail_scrolls(state) {
                add(&mut h, &[A::Up, A::Down], "scroll");
            }
            if state
                .inspector
                .as_ref()
                .is_some_and(|i| !i.media().is_empty())
            {
                add(&mut h, &[A::Media], "media");
            }
            add(&mut h, &[A::Refresh], "refresh");
            add(&mut h, &[A::CopyUrl], "copy URL");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            add(&mut h, &[A::CopyId], "copy id");
            add(&mut h, &[A::Open], "open");
            add(&mut h, &[A::Qr], "QR code");
            add(&mut h, &[A::UrlLine], "one-line URL");
            add(&mut h, &[A::Resend], "re-send");
            add(&mut h, &[A::CopyCurl], "copy curl");
            add(&mut h, &[A::Delete], "delete");
        }
        Context::List if !linked => {
            add(&mut h, &[A::Up, A::Down], "move");
            add(&mut h, &[A::Details], "details");
            add(&mut h, &[A::Filter], "filter");
            mine_hint(&mut h);
            add(&mut h, &[A::RefreshAll], "refresh all");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            add(&mut h, &[A::Resend], "re-send");
            add(&mut h, &[A::Export], "export");
            add(&mut h, &[A::Delete], "delete");
        }
        Context::List => {
            add(&mut h, &[A::Up, A::Down], "move");
            add(&mut h, &[A::Details], "details");
            add(&mut h, &[A::Filter], "filter");
            mine_hint(&mut h);
            add(&mut h, &[A::CopyUrl], "copy URL");
            add(&mut h, &[A::Open], "open");
            add(&mut h, &[A::Refresh, A::RefreshAll], "refresh");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            add(&mut h, &[A::Resend], "re-send");
            add(&mut h, &[A::Export], "export");
            add(&mut h, &[A::Qr], "QR code");
            add(&mut h, &[A::UrlLine], "one-line URL");
            add(&mut h, &[A::Delete], "delete");
            add(&mut h, &[A::CopyId], "copy id");
            add(&mut h, &[A::CopyCurl], "copy curl");
        }
        Context::Dashboard => {
            add(&mut h, &[A::Up, A::Down], "move");
            add(&mut h, &[A::Details], "details");
            add(&mut h, &[A::RefreshAll], "refresh all");
            add(&mut h, &[A::Help], "help");
            add(&mut h, &[quit], "quit");
            add(&mut h, &[A::ScreenGenerate], "generate");
            add(&mut h, &[A::ScreenTokens], "tokens");
            add(&mut h, &[A::Profile], "profile");
        }
    }
    h
}

/// The details on screen are longer than the window.
fn detail_scrolls(state: &State) -> bool {
    crate::tui::layout::detail_max_scroll(state) > 0
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let hints = hints(state);
    let cost = |(key, what): &(String, &str)| key.width() + what.width() + 3;
    // How to get help and how to quit are on every screen, whatever else has to give way.
    let essential = |what: &str| what == "help" || what == "quit";
    let mut left = usize::from(area.width).saturating_sub(1);
    left = left.saturating_sub(
        hints
            .iter()
            .filter(|h| essential(h.1))
            .map(cost)
            .sum::<usize>(),
    );
    let mut shown = Vec::new();
    let mut full = false;
    for h in &hints {
        if essential(h.1) {
            shown.push(h);
        } else if !full && cost(h) <= left {
            left -= cost(h);
            shown.push(h);
        } else {
            // Hints are in order of use: one that does not fit ends the optional ones.
            full = true;
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in shown {
        spans.push(Span::styled(key.clone(), theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `2026-11-25 18:33` in the zone shown.
pub fn local_time(t: DateTime<Utc>, tz: Zone) -> String {
    t.with_timezone(&tz.offset_at(t))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `11-25 18:33`, for narrow tables.
pub fn short_time(t: DateTime<Utc>, tz: Zone) -> String {
    t.with_timezone(&tz.offset_at(t))
        .format("%m-%d %H:%M")
        .to_string()
}

/// `s` cut to `width` terminal columns (with `…` when cut) and padded to exactly `width`,
/// ready to hand to ratatui (`glyphs::shown`).
pub fn fit(s: &str, width: usize) -> String {
    glyphs::shown(&crate::width::fit(glyphs::model(), s, width))
}

/// `s` cut to `width` display columns at a word boundary, with `…` when cut; not padded.
/// A first word wider than `width` is cut inside it (there is no other way to show it).
pub fn fit_words(s: &str, width: usize) -> String {
    let s = glyphs::shown(s);
    let s = s.as_str();
    if s.width() <= width {
        return s.to_string();
    }
    let body = s.trim_start_matches(' ');
    let indent = &s[..s.len() - body.len()];
    if !indent.is_empty() {
        return format!(
            "{indent}{}",
            fit_words(body, width.saturating_sub(indent.len()))
        );
    }
    let mut out = String::new();
    for word in s.split(' ') {
        let sep = usize::from(!out.is_empty());
        if out.width() + sep + word.width() + 1 > width {
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    let out = out.trim_end_matches([',', ':', ';', '·', ' ']).to_string();
    if out.is_empty() {
        return fit(s, width).trim_end().to_string();
    }
    out + "…"
}

/// Splits `s` into lines of at most `width` columns, breaking anywhere (for URLs: the lines
/// hold nothing else, so they can be selected by hand); measured as the terminal measures.
pub fn hard_wrap(s: &str, width: usize) -> Vec<String> {
    shown_rows(crate::width::hard_wrap(glyphs::model(), s, width))
}

/// Word wrap that still breaks words longer than the line.
pub fn wrap_words(s: &str, width: usize) -> Vec<String> {
    shown_rows(crate::width::wrap_words(glyphs::model(), s, width))
}

/// Rows measured as the terminal measures them, ready to hand to ratatui.
fn shown_rows(rows: Vec<String>) -> Vec<String> {
    rows.iter().map(|r| glyphs::shown(r)).collect()
}

/// A section title drawn as `── Title ──────`.
pub fn rule<'a>(title: Vec<Span<'a>>, width: u16, theme: Theme) -> Line<'a> {
    let used = rule_width(&title);
    let mut spans = vec![Span::styled("── ", theme.dim())];
    spans.extend(title);
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        "─".repeat(usize::from(width).saturating_sub(used)),
        theme.dim(),
    ));
    Line::from(spans)
}

/// The cells a [`rule`] with `title` takes before its line: the lead, the title and a
/// space.
pub fn rule_width(title: &[Span<'_>]) -> usize {
    3 + title.iter().map(|s| s.content.width()).sum::<usize>() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_wrap_measure_display_width() {
        assert_eq!(fit("李小龍", 5), "李小…");
        assert_eq!(fit("Zoë", 5), "Zoë  ");
        assert_eq!(
            fit_words("not sent: the integration's default", 31),
            "not sent: the integration's…"
        );
        assert_eq!(fit_words("not sent: the default", 12), "not sent…");
        assert_eq!(fit_words("Português (Brasil)", 14), "Português…");
        assert_eq!(fit_words("abcdefgh", 4), "abc…");
        assert_eq!(fit_words("  two words", 8), "  two…");
        assert_eq!(hard_wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(hard_wrap("李小龍", 4), vec!["李小", "龍"]);
    }
}
