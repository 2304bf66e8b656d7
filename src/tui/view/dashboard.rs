//! The Dashboard screen for the active profile: sessions by status as horizontal bars in the
//! status colours, links generated per day over the last 30 days, and the latest decisions
//! (Enter opens one). Every number is also written as text, so nothing depends on colour.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Wrap};

use crate::history::Record;
use crate::keymap::Action;
use crate::text::sanitize;
use crate::tui::app::{DASHBOARD_DAYS, State};
use crate::tui::glyphs::shown;
use crate::tui::theme::Theme;
use crate::tui::view::{fit, rule, short_time};
use crate::tui::widgets::status_badge;
use crate::veriff::SessionStatus;

/// Height of the charts row (borders included): nine statuses.
const CHARTS_HEIGHT: u16 = 11;
/// Below this width the chart of links per day gives its room to the counts.
const SIDE_BY_SIDE: u16 = 76;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let profile = shown(&sanitize(&state.settings.profile_name));
    let mut title = vec![
        Span::styled("Dashboard", theme.title()),
        Span::styled(format!(" · {profile}"), theme.dim()),
    ];
    if state.tokens.shared {
        // The team's figures even while the list shows only the operator's records.
        title.push(Span::styled(" · everyone's", theme.accent()));
    }
    let [title_area, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(rule(title, area.width, theme)), title_area);
    let d = &state.dashboard;
    if let Some(e) = &d.error {
        let lines = vec![
            Line::default(),
            Line::from(Span::styled(shown(&format!("✖ {e}")), theme.error())),
            Line::from(Span::styled(
                format!(
                    "The history could not be read; {} tries again, and the log file ({} shows its path) has details.",
                    state.keys.label(Action::ScreenDashboard),
                    state.keys.label(Action::Help)
                ),
                theme.dim(),
            )),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
        return;
    }
    let Some(counts) = &d.counts else {
        frame.render_widget(
            Paragraph::new(vec![
                Line::default(),
                Line::from(Span::styled("  loading…", theme.dim())),
            ]),
            rest,
        );
        return;
    };
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    // The latest decisions need a few rows; a short window shows the charts only.
    let show_latest = rest.height >= CHARTS_HEIGHT + 4;
    let charts_height = if show_latest {
        CHARTS_HEIGHT
    } else {
        rest.height
    };
    let [charts, latest] =
        Layout::vertical([Constraint::Length(charts_height), Constraint::Fill(1)]).areas(rest);
    if area.width >= SIDE_BY_SIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(52), Constraint::Fill(1)]).areas(charts);
        draw_counts(frame, left, counts, total, theme);
        draw_per_day(frame, right, state, theme);
    } else {
        draw_counts(frame, charts, counts, total, theme);
    }
    if show_latest {
        draw_latest(frame, latest, state, total, theme);
    }
}

fn block(title: String, theme: Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.dim())
        .title(Span::styled(format!(" {title} "), theme.title()))
}

/// Sessions by status as bars: label, count, bar scaled to the largest count.
fn draw_counts(
    frame: &mut Frame,
    area: Rect,
    counts: &[(SessionStatus, u64)],
    total: u64,
    theme: Theme,
) {
    let block = block(format!("By status · {total} in all"), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_w = counts
        .iter()
        .map(|(s, _)| unicode_width::UnicodeWidthStr::width(shown(&sanitize(&s.label())).as_str()))
        .max()
        .unwrap_or(0)
        .min(22);
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let count_w = max.to_string().len().max(3);
    let bar_room = usize::from(inner.width).saturating_sub(label_w + count_w + 3);
    let lines: Vec<Line> = counts
        .iter()
        .map(|(status, n)| {
            let badge = status_badge::badge(status, theme);
            let bar = if max == 0 {
                0
            } else {
                usize::try_from(u128::from(*n) * bar_room as u128 / u128::from(max)).unwrap_or(0)
            };
            // A count too small for a full cell still shows.
            let tick = if bar == 0 && *n > 0 && bar_room > 0 {
                "▏"
            } else {
                ""
            };
            Line::from(vec![
                Span::raw(" "),
                Span::styled(fit(&badge.content, label_w), badge.style),
                Span::raw(format!(" {n:>count_w$} ")),
                Span::styled(format!("{}{tick}", "█".repeat(bar)), badge.style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Links generated per day as a sparkline, with its dates and its scale written out.
fn draw_per_day(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let days = state
        .dashboard
        .data
        .as_ref()
        .map(|d| d.per_day.as_slice())
        .unwrap_or_default();
    let sum: u64 = days.iter().map(|(_, n)| n).sum();
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let block = block(format!("Links per day · last {DASHBOARD_DAYS} days"), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(e) = &state.dashboard.data_error {
        frame.render_widget(
            Paragraph::new(Span::styled(shown(&format!("✖ {e}")), theme.error()))
                .wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    if state.dashboard.data.is_none() {
        frame.render_widget(Paragraph::new(Span::styled("loading…", theme.dim())), inner);
        return;
    }
    // Scale on the left, then one column per day (the last days when narrow).
    let scale_w = max.to_string().len() + 1;
    let [chart_rows, axis, note] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [scale, chart] = Layout::horizontal([
        Constraint::Length(u16::try_from(scale_w).unwrap_or(6)),
        Constraint::Fill(1),
    ])
    .areas(chart_rows);
    let days_shown = usize::from(chart.width).min(days.len());
    let shown = &days[days.len() - days_shown..];
    // A wide chart gives each day several columns.
    let per_day = (usize::from(chart.width) / days_shown.max(1)).clamp(1, 3);
    let data: Vec<u64> = shown
        .iter()
        .flat_map(|(_, n)| std::iter::repeat_n(*n, per_day))
        .collect();
    let cols = data.len();
    let w = scale_w - 1;
    let top = if max > 0 {
        max.to_string()
    } else {
        String::new()
    };
    let mut scale_lines = vec![Line::from(Span::styled(format!("{top:>w$}"), theme.dim()))];
    scale_lines.extend((2..scale.height).map(|_| Line::default()));
    if scale.height > 1 {
        scale_lines.push(Line::from(Span::styled(format!("{:>w$}", 0), theme.dim())));
    }
    frame.render_widget(Paragraph::new(scale_lines), scale);
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .max(max.max(1))
            .style(theme.accent()),
        Rect::new(
            chart.x,
            chart.y,
            u16::try_from(cols).unwrap_or(0),
            chart.height,
        ),
    );
    // The axis: first and last day shown, under the chart.
    if let (Some((first, _)), Some((last, _))) = (shown.first(), shown.last()) {
        let left = first.format("%m-%d").to_string();
        let right = last.format("%m-%d").to_string();
        let gap = cols.saturating_sub(left.len() + right.len());
        let pad = " ".repeat(scale_w);
        let text = if gap >= 1 {
            format!("{pad}{left}{}{right}", " ".repeat(gap))
        } else {
            format!("{pad}{right}")
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), axis);
    }
    let today = shown.last().map_or(0, |(_, n)| *n);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{sum}"), theme.accent()),
            Span::raw(format!(" in {} days · {today} today", shown.len())),
        ])),
        note,
    );
}

/// The decision time as Veriff gave it, shown in the local zone when it parses.
fn decision_time(r: &Record, state: &State) -> String {
    match r.decision_time.as_deref() {
        Some(t) => DateTime::parse_from_rfc3339(t).map_or_else(
            |_| t.to_string(),
            |t| short_time(t.with_timezone(&Utc), state.tz),
        ),
        None => r
            .checked_at
            .map_or_else(String::new, |t| short_time(t, state.tz)),
    }
}

fn draw_latest(frame: &mut Frame, area: Rect, state: &State, total: u64, theme: Theme) {
    let block = block("Latest decisions".into(), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let d = &state.dashboard;
    if let Some(e) = &d.data_error {
        frame.render_widget(
            Paragraph::new(Span::styled(shown(&format!("✖ {e}")), theme.error()))
                .wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let Some(data) = &d.data else {
        frame.render_widget(Paragraph::new(Span::styled("loading…", theme.dim())), inner);
        return;
    };
    if data.latest.is_empty() {
        let text = if total == 0 {
            format!(
                "No sessions for this profile yet: generate one on the Generate screen ({}).",
                state.keys.label(Action::ScreenGenerate)
            )
        } else {
            format!(
                "No decisions yet: press {} to ask Veriff about every session without one.",
                state.keys.label(Action::RefreshAll)
            )
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let rows = usize::from(inner.height);
    // Keep the selection in view.
    let first = d.selected.saturating_sub(rows.saturating_sub(1));
    // Wide windows spell the status out ("resubmission requested").
    let status_w = if width >= 100 { 22 } else { 13 };
    let name_w = (width.saturating_sub(1 + 11 + 1 + status_w + 1) / 3).clamp(8, 24);
    let reason_w = width.saturating_sub(1 + 11 + 1 + name_w + 1 + status_w + 1);
    for (row, (i, r)) in data
        .latest
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .enumerate()
    {
        let selected = i == d.selected;
        let status = r.effective_status(state.now);
        let badge = status_badge::badge(&status, theme);
        let name = format!("{} {}", r.first_name, r.last_name);
        let name = match name.trim() {
            "" => "(no name)".to_string(),
            n => n.to_string(),
        };
        let reason = match (&r.decision_reason, r.decision_code) {
            (Some(reason), _) if !reason.trim().is_empty() => reason.clone(),
            (_, Some(code)) => format!("code {code}"),
            _ => String::new(),
        };
        let mut spans = vec![
            Span::styled(
                format!(" {} ", fit(&decision_time(r, state), 11)),
                theme.dim(),
            ),
            Span::raw(format!("{} ", fit(&name, name_w))),
            Span::styled(format!("{} ", fit(&badge.content, status_w)), badge.style),
            Span::raw(fit(&reason, reason_w)),
        ];
        if selected {
            for s in &mut spans {
                s.style = theme.selected();
            }
        }
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        frame.render_widget(
            Paragraph::new(Line::from(spans)),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
}
