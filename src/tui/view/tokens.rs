//! The Generated tokens screen: the history table, its filter, the detail view and the
//! delete confirmation.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::history::Record;
use crate::keymap::{Action, KeyMap};
use crate::text::sanitize;
use crate::tui::app::State;
use crate::tui::glyphs::shown;
use crate::tui::theme::Theme;
use crate::tui::view::{
    centered, fit, hard_wrap, local_time, rule, rule_width, short_time, wrap_words,
};
use crate::tui::widgets::qr::Code;
use crate::tui::widgets::{status_badge, text_field};

use crate::tui::layout::{DETAIL_LABEL, DETAIL_QR_TEXT_MIN, detail_advice};
pub use crate::tui::layout::{FIRST_ROW, table_rows};

struct Columns {
    /// The longest short label (12), with room for the `! ` of a failed refresh where
    /// the window is wide enough to spare it.
    status: usize,
    long_time: bool,
    expires: bool,
    name: usize,
}

fn columns(width: u16) -> Columns {
    let width = usize::from(width);
    let long_time = width >= 110;
    let time = if long_time { 16 } else { 11 };
    let expires = width >= 74;
    // created, lang, selfid, status, session id (+ expires), with a space after each.
    let status = if width >= 80 { 14 } else { 12 };
    let fixed = (time + 1) + 6 + 7 + (status + 1) + 9 + if expires { time + 1 } else { 0 } + 1;
    Columns {
        status,
        long_time,
        expires,
        name: width.saturating_sub(fixed).max(8),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    if let Some(viewer) = state.viewer() {
        super::media::draw(frame, area, viewer, state, theme);
    } else if let Some(record) = &state.tokens.detail {
        draw_detail(frame, area, record, state, theme);
    } else {
        draw_table(frame, area, state, theme);
    }
    if let Some(record) = &state.tokens.confirm_delete {
        draw_confirm(frame, area, record, &state.keys, theme);
    }
    if let Some(record) = &state.tokens.confirm_resend {
        draw_replace(frame, area, record, &state.keys, theme);
    }
    if let Some(batch) = state.batch.as_ref().filter(|b| !b.running()) {
        super::batch::draw(frame, area, batch, state, theme);
    }
}

/// The list's title: its name, whose records, how many, the batch, and where the
/// selection is; `short`, in as few words as say it.
fn title_spans(state: &State, short: bool, show_filter: bool, theme: Theme) -> Vec<Span<'static>> {
    let list = &state.tokens;
    let noun = |n: u64| match (short, n) {
        (true, _) => "",
        (false, 1) => " record",
        (false, _) => " records",
    };
    let count = match list.total {
        Some(n) if list.total_exact => format!("{n}{}", noun(n)),
        Some(n) if list.counting.is_none() => format!("{n}+{}", noun(n)),
        Some(_) => "counting…".to_string(),
        None if list.error.is_some() => "unavailable".to_string(),
        None => "loading…".to_string(),
    };
    let name = if short { "Tokens" } else { "Generated tokens" };
    let mut title = vec![Span::styled(name, theme.title())];
    if list.shared {
        // Whose records: on a shared history the count means nothing without it.
        let whose = match (list.only_mine(), short) {
            (true, _) => "mine",
            (false, false) => "everyone's",
            (false, true) => "all",
        };
        title.push(Span::styled(format!(" · {whose}"), theme.accent()));
    }
    title.push(Span::styled(format!(" · {count}"), theme.dim()));
    if let Some(batch) = &list.batch {
        title.push(Span::styled(
            format!(" · batch {}", sanitize(batch)),
            theme.accent(),
        ));
    }
    // Shown only while the shared history cannot be reached (see `Query::or_waiting`).
    if list.rows.iter().any(|r| r.is_waiting()) {
        let waiting = if short {
            " · waiting"
        } else {
            " · waiting to be shared"
        };
        title.push(Span::styled(waiting, theme.warning()));
    }
    if list.total.is_some_and(|n| n > 0) && !show_filter {
        title.push(Span::styled(
            format!(" · row {}", list.selected + 1),
            theme.dim(),
        ));
    }
    title
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let list = &state.tokens;
    let filter = list.filter.value();
    let show_filter = list.filtering || !filter.is_empty();
    // The filter takes the right of the title line: the title keeps what is left, in
    // short words when the long ones do not fit (the count stays in sight).
    let filter_width = if show_filter { area.width.min(34) } else { 0 };
    let room = usize::from(area.width - filter_width);
    let long = title_spans(state, false, show_filter, theme);
    let title = if rule_width(&long) > room {
        title_spans(state, true, show_filter, theme)
    } else {
        long
    };
    let title_area = Rect::new(area.x, area.y, area.width - filter_width, 1);
    frame.render_widget(
        Paragraph::new(rule(title, title_area.width, theme)),
        title_area,
    );

    // The filter sits on the right of the title line.
    if show_filter {
        let w = filter_width;
        let x = area.right() - w;
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" {} ", fit(&state.keys.label(Action::Filter), 1)),
                theme.key(),
            )),
            Rect::new(x, area.y, 3, 1),
        );
        text_field::render(
            frame,
            Rect::new(x + 3, area.y, w - 3, 1),
            &list.filter,
            list.filtering,
            "",
            theme,
        );
    }

    let cols = columns(area.width);
    let mut header = vec![
        fit("Created", if cols.long_time { 16 } else { 11 }),
        fit("Name", cols.name),
        fit("Lang", 5),
        fit("SelfID", 6),
        fit("Status", cols.status),
        fit("Session", 8),
    ];
    if cols.expires {
        header.push(fit("Expires", if cols.long_time { 16 } else { 11 }));
    }
    let header_line = Line::from(Span::styled(
        format!(" {}", header.join(" ")),
        theme.accent(),
    ));
    frame.render_widget(
        Paragraph::new(header_line),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );

    let body = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(2),
    );
    if let Some(e) = &list.error {
        let text = vec![
            Line::from(Span::styled(
                shown(&format!("✖ {}", sanitize(e))),
                theme.error(),
            )),
            Line::from(Span::styled(
                "The history could not be read; see the log file (? shows its path).",
                theme.dim(),
            )),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), body);
        return;
    }
    if list.total == Some(0) {
        let text = if filter.trim().is_empty() && list.only_mine() {
            format!(
                "None of the records here are yours yet: {} shows everyone's.",
                state.keys.label(Action::Mine)
            )
        } else if filter.trim().is_empty() {
            format!(
                "No sessions yet: generate one on the Generate screen ({}).",
                state.keys.label(Action::ScreenGenerate)
            )
        } else {
            format!(
                "Nothing matches “{}”. {} clears the filter.",
                shown(&sanitize(filter.trim())),
                state.keys.label(Action::Back)
            )
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), body);
        return;
    }
    let total = list.total.unwrap_or(0);
    for row in 0..body.height {
        let i = list.offset + u64::from(row);
        if i >= total {
            break;
        }
        let rect = Rect::new(body.x, body.y + row, body.width, 1);
        let selected = i == list.selected;
        let line = match list.row(i) {
            Some(r) => record_line(r, &cols, state, theme, selected),
            None => Line::from(Span::styled(" …", theme.dim())),
        };
        let mut p = Paragraph::new(line);
        if selected {
            p = p.style(theme.selected());
        }
        frame.render_widget(p, rect);
    }
}

fn record_line(
    r: &Record,
    cols: &Columns,
    state: &State,
    theme: Theme,
    selected: bool,
) -> Line<'static> {
    let time = |t| {
        if cols.long_time {
            local_time(t, state.tz)
        } else {
            short_time(t, state.tz)
        }
    };
    let tw = if cols.long_time { 16 } else { 11 };
    let name = format!("{} {}", r.first_name, r.last_name);
    let name = if name.trim().is_empty() {
        "(no name)".to_string()
    } else {
        name.trim().to_string()
    };
    let status = r.effective_status(state.now);
    let mut badge = status_badge::short_badge(&status, theme);
    if !r.has_link() {
        // Enter tells the whole story.
        badge = Span::styled("? unknown", badge.style);
    } else if r.check_error.is_some() {
        // The last refresh of this record failed: Enter shows why.
        badge = Span::styled(format!("! {}", badge.content), theme.error());
    }
    let short_id: String = if r.has_link() {
        r.session_id.chars().take(8).collect()
    } else {
        "—".into()
    };
    let mut spans = vec![
        Span::raw(format!(" {} ", fit(&time(r.created_at), tw))),
        Span::raw(format!("{} ", fit(&name, cols.name))),
        Span::raw(format!("{} ", fit(&r.lang, 5))),
        Span::raw(format!("{} ", fit(if r.selfid { "yes" } else { "no" }, 6))),
        Span::styled(
            format!("{} ", fit(&badge.content, cols.status)),
            if selected {
                theme.selected()
            } else {
                badge.style
            },
        ),
        Span::styled(format!("{} ", fit(&short_id, 8)), theme.dim()),
    ];
    if cols.expires {
        spans.push(Span::raw(fit(&time(r.expires_at), tw)));
    }
    if selected {
        for s in &mut spans {
            s.style = theme.selected();
        }
    }
    Line::from(spans)
}

// A record's text was made safe when it was read from the history
// (`history::row_to_record`): it is drawn as it is.

fn draw_detail(frame: &mut Frame, area: Rect, r: &Record, state: &State, theme: Theme) {
    let name = format!("{} {}", r.first_name, r.last_name);
    let title = vec![
        Span::styled("Session details", theme.title()),
        Span::styled(shown(&format!(" · {}", name.trim())), theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(rule(title, area.width, theme)),
        Rect::new(area.x, area.y, area.width, area.height.min(1)),
    );
    let body = Rect::new(
        area.x,
        area.y.saturating_add(1).min(area.bottom()),
        area.width,
        area.height.saturating_sub(1),
    );
    let url = r.url.clone();
    // Beside the details when both fit whole; otherwise a hint, never a cut code. A record
    // whose outcome is unknown has no URL to encode.
    let code = if r.has_link() { Code::new(&url) } else { None };
    let beside = code
        .as_ref()
        .filter(|c| body.width >= c.width + 2 + DETAIL_QR_TEXT_MIN && body.height >= c.height);
    let text = match beside {
        Some(c) => Rect::new(body.x, body.y, body.width - c.width - 2, body.height),
        None => body,
    };
    let mut lines = Vec::new();
    let mut url_rows = Vec::new();
    if let Some(advice) = r.status.advice() {
        // No URL to show: what to do instead comes first.
        lines.push(Line::from(Span::styled(
            "No link: the outcome of this request is unknown.",
            theme.warning(),
        )));
        lines.extend(
            wrap_words(&detail_advice(advice), usize::from(text.width))
                .into_iter()
                .map(Line::from),
        );
    } else {
        // The URL first and alone on its lines, so it is never cut and selects cleanly.
        url_rows = hard_wrap(&url, usize::from(text.width));
        lines.extend(url_rows.iter().cloned().map(Line::from));
    }
    let status = r.effective_status(state.now);
    let mut status_spans = vec![status_badge::badge(&status, theme)];
    if let Some(code) = r.decision_code {
        status_spans.push(Span::raw(format!(" (code {code})")));
    }

    // Values wrap at words under their own column, never back to the first one.
    let value_width = usize::from(text.width).saturating_sub(DETAIL_LABEL).max(8);
    let labelled = |label: &str, value: &str, style: Style| -> Vec<Line<'static>> {
        wrap_words(value, value_width)
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let label = if i == 0 { label } else { "" };
                Line::from(vec![
                    Span::styled(format!("  {label:<14}"), theme.dim()),
                    Span::styled(part, style),
                ])
            })
            .collect()
    };
    let field = |label: &str, value: String| labelled(label, &value, Style::default());
    let opt = |v: &str| {
        if v.is_empty() {
            "(not sent)".to_string()
        } else {
            v.to_string()
        }
    };
    lines.extend(field(
        "Session ID",
        if r.has_link() {
            r.session_id.clone()
        } else {
            "— (Veriff's answer never came)".into()
        },
    ));
    let mut status_line = vec![Span::styled(format!("  {:<14}", "Status"), theme.dim())];
    status_line.extend(status_spans);
    lines.push(Line::from(status_line));
    if let Some(reason) = &r.decision_reason {
        lines.extend(field("Reason", reason.clone()));
    }
    if let Some(t) = &r.decision_time {
        // Veriff's own timestamp, shown in the zone and format of every other time.
        let decided = DateTime::parse_from_rfc3339(t)
            .map(|t| local_time(t.with_timezone(&Utc), state.tz))
            .unwrap_or_else(|_| t.clone());
        lines.extend(field("Decision time", decided));
    }
    if let Some(t) = r.checked_at {
        lines.extend(field("Checked", local_time(t, state.tz)));
    }
    if let Some(e) = &r.check_error {
        let label = if r.has_link() {
            "Check error"
        } else {
            "Why unknown"
        };
        lines.extend(labelled(label, e, theme.error()));
    }
    lines.extend(field("Created", local_time(r.created_at, state.tz)));
    lines.extend(field("Expires", local_time(r.expires_at, state.tz)));
    lines.extend(field("First name", opt(&r.first_name)));
    lines.extend(field("Last name", opt(&r.last_name)));
    lines.extend(field("Language", opt(&r.lang)));
    lines.extend(field("SelfID", if r.selfid { "yes" } else { "no" }.into()));
    lines.extend(field("Callback", opt(&r.callback)));
    lines.extend(field("Vendor data", opt(&r.vendor_data)));
    for (f, value) in r.extra.filled() {
        lines.extend(field(f.label(), value));
    }
    let sandbox = if r.sandbox { " (sandbox)" } else { "" };
    lines.extend(field("Profile", format!("{}{sandbox}", r.profile)));
    lines.extend(field("API", r.base_url.clone()));
    // The shared history keeps who made each record, and where.
    if !r.operator.is_empty() {
        let on = if r.machine.is_empty() {
            String::new()
        } else {
            format!(" on {}", r.machine)
        };
        lines.extend(field("Made by", format!("{}{on}", r.operator)));
    }
    if let Some(h) = &r.host {
        lines.extend(field("Flow host", h.clone()));
    }
    match beside {
        Some(c) => {
            c.render(frame.buffer_mut(), body, body.right() - c.width, body.y);
        }
        None if code.is_some() => lines.push(Line::from(vec![
            Span::styled(format!("  {}", state.keys.label(Action::Qr)), theme.key()),
            Span::styled(": show QR code", theme.dim()),
        ])),
        None => {}
    }
    // What Veriff knows of it, under the fields: the rows `layout` counts too.
    if let Some(insp) = state.inspection_of(r) {
        let key = state.keys.label(Action::Media);
        let rows = crate::tui::inspection_text::rows(insp, state.width, text.width, state.tz, &key);
        lines.extend(super::inspection::lines(rows, text.width, theme));
    }
    // Every line is wrapped above, so a line is a row: the scroll is counted in rows, as
    // `layout::detail_max_scroll` counts them for the keys.
    let max = u16::try_from(lines.len().saturating_sub(usize::from(text.height))).unwrap_or(0);
    let scroll = state.tokens.detail_scroll.min(max);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), text);
    if state.hyperlinks {
        let hidden = usize::from(scroll).min(url_rows.len());
        super::generate::link_rows(frame, text, 0, &url_rows[hidden..], &url);
    }
}

fn draw_confirm(frame: &mut Frame, area: Rect, r: &Record, keys: &KeyMap, theme: Theme) {
    let name = format!("{} {}", r.first_name, r.last_name);
    let short_id: String = r.session_id.chars().take(8).collect();
    let text = vec![
        Line::from(shown(&format!(
            "Delete the local record of {} ({short_id})?",
            name.trim()
        ))),
        Line::from(Span::styled(
            "The session at Veriff is not affected.",
            theme.dim(),
        )),
        Line::default(),
        answers(keys, "delete", theme),
    ];
    question(frame, area, " Delete record ", text, theme);
}

/// `g` on a form holding typed text: replace it?
fn draw_replace(frame: &mut Frame, area: Rect, r: &Record, keys: &KeyMap, theme: Theme) {
    let name = format!("{} {}", r.first_name, r.last_name);
    let short_id: String = r.session_id.chars().take(8).collect();
    let text = vec![
        Line::from("Replace the text in the form?"),
        Line::from(Span::styled(
            shown(&format!(
                "The Generate form holds text you typed; a re-send fills it with {} ({short_id}).",
                name.trim()
            )),
            theme.dim(),
        )),
        Line::default(),
        answers(keys, "replace", theme),
    ];
    question(frame, area, " Re-send ", text, theme);
}

/// `y delete   n keep`, with the keys as bound.
fn answers(keys: &KeyMap, yes: &str, theme: Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(keys.label(Action::Yes), theme.key()),
        Span::raw(format!(" {yes}   ")),
        Span::styled(keys.label(Action::No), theme.key()),
        Span::raw(" keep"),
    ])
}

fn question(frame: &mut Frame, area: Rect, title: &str, text: Vec<Line>, theme: Theme) {
    let rect = centered(area, 56, 7);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.error())
        .title(Span::styled(title.to_string(), theme.error()));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        rect,
    );
}
