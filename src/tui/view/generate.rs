//! The Generate screen: the "Generate general session" form and the result panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::tui::app::{FailKind, Outcome, State};
use crate::tui::form::{Field, VENDOR_DATA_MAX};
use crate::tui::form_layout::{FormLayout, LABEL, error_line, session_facts_fit};
use crate::tui::glyphs::{self, shown};
use crate::tui::languages;
use crate::tui::theme::Theme;
use crate::tui::view::{fit_words, hard_wrap, local_time, rule, spinner, wrap_words};
use crate::tui::widgets::qr::Code;
use crate::tui::widgets::{hyperlink, language_picker, text_field};
use crate::veriff::ExtraField;

/// Columns the result text keeps when the QR code stands beside it.
const QR_TEXT_MIN: u16 = 40;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let form = &state.form;
    // Short windows drop the title and spacing so the result keeps room for the URL; a
    // form taller than its room scrolls (both as `form_layout` says).
    let layout = FormLayout::of(state, area.width, area.height);
    let mut y = area.y;
    let bottom = area.bottom();
    if layout.title && y < bottom {
        let mut title = vec![Span::styled("Generate general session", theme.title())];
        if state.profile_live() {
            title.push(Span::raw(" "));
            title.push(Span::styled(" LIVE: creates real sessions ", theme.live()));
        }
        frame.render_widget(
            Paragraph::new(rule(title, area.width, theme)),
            Rect::new(area.x, y, area.width, 1),
        );
        y += 1;
    }
    let top = y;
    let height = layout.height.min(bottom.saturating_sub(top));
    let scroll = layout.scroll_for(form.focus, form.scroll);
    // The screen row of the form's row `r`, when it is in view.
    let row_y = |r: u16| {
        r.checked_sub(scroll)
            .filter(|r| *r < height)
            .map(|r| top + r)
    };
    let error_room = usize::from(area.width.saturating_sub(LABEL));
    let mut lang_rect = None;
    for placed in &layout.fields {
        let field = placed.field;
        if let Some(y) = row_y(placed.top) {
            let rect = draw_field(frame, area, y, state, field, theme);
            if field == Field::Language {
                lang_rect = rect;
            }
        }
        let Some(err) = form.shown_error(field) else {
            continue;
        };
        for (r, text) in (placed.top + 1..).zip(wrap_words(&error_line(&err), error_room)) {
            if let Some(y) = row_y(r) {
                let line = Line::from(vec![
                    Span::raw(" ".repeat(usize::from(LABEL))),
                    Span::styled(text, theme.error()),
                ]);
                frame.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
            }
        }
    }
    // Rows out of view above or below, marked at the right edge.
    let right = area.right().saturating_sub(1);
    if scroll > 0 && height > 0 {
        let mark = Span::styled("↑", theme.accent());
        frame.render_widget(Paragraph::new(mark), Rect::new(right, top, 1, 1));
    }
    if scroll + height < layout.total && height > 0 {
        let mark = Span::styled("↓", theme.accent());
        frame.render_widget(
            Paragraph::new(mark),
            Rect::new(right, top + height - 1, 1, 1),
        );
    }
    let mut y = top + height;
    if layout.title {
        y += 1;
    }
    if y < bottom {
        let result = Rect::new(area.x, y, area.width, bottom - y);
        draw_outcome(frame, result, state, theme);
    }
    if let Some(anchor) = lang_rect
        && form.focus == Field::Language
        && form.picker.open
    {
        let matches = form.picker_matches();
        let key = |a| state.keys.label_in(a, Context::Picker).unwrap_or_default();
        let keys = format!(
            "{}{} {}",
            key(Action::Up),
            key(Action::Down),
            key(Action::Select)
        );
        language_picker::render(
            frame,
            anchor,
            area,
            form.lang.value(),
            &matches,
            form.picker.selected,
            keys.trim(),
            theme,
        );
    }
}

/// Draws the row of `field` at screen row `y`; returns where the Language field's input is
/// (its list opens under it).
fn draw_field(
    frame: &mut Frame,
    area: Rect,
    y: u16,
    state: &State,
    field: Field,
    theme: Theme,
) -> Option<Rect> {
    let form = &state.form;
    let focused = form.focus == field;
    let input_x = area.x + LABEL;
    // Room is kept on the right for the vendor data counter.
    let input_w = area.width.saturating_sub(LABEL + 12).min(64);
    let value_rect = Rect::new(input_x, y, area.width.saturating_sub(LABEL), 1);
    if field == Field::Submit {
        let label = if state.in_flight.is_some() {
            format!(" {} Generating… ", spinner(state))
        } else {
            " Generate URL ".to_string()
        };
        let line = Line::from(vec![
            Span::raw(" ".repeat(usize::from(LABEL) - 2)),
            Span::styled("[", theme.button(focused)),
            Span::styled(label, theme.button(focused)),
            Span::styled("]", theme.button(focused)),
            Span::styled(
                format!("   {} from any field", state.keys.label(Action::Generate)),
                theme.dim(),
            ),
        ]);
        frame.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
        return None;
    }
    let marker = if focused { "› " } else { "  " };
    let label_style = if focused { theme.focus() } else { theme.base() };
    let mut label = vec![
        Span::styled(marker, theme.accent()),
        Span::styled(field.label(), label_style),
    ];
    if field == Field::MoreFields {
        let arrow = if form.more_open { " ▾" } else { " ▸" };
        label.push(Span::styled(arrow, label_style));
    }
    frame.render_widget(
        Paragraph::new(Line::from(label)),
        Rect::new(area.x, y, LABEL, 1),
    );
    match field {
        Field::SelfId => {
            let mark = if form.selfid { "[x]" } else { "[ ]" };
            let style = if focused { theme.focus() } else { theme.base() };
            let line = Line::from(vec![
                Span::styled(mark, style),
                Span::styled("  verification without video interview", theme.dim()),
            ]);
            frame.render_widget(Paragraph::new(line), value_rect);
            None
        }
        Field::MoreFields => {
            frame.render_widget(
                Paragraph::new(more_fields_summary(state, value_rect.width, theme)),
                value_rect,
            );
            None
        }
        Field::Language => {
            let w = input_w.min(12);
            let rect = Rect::new(input_x, y, w, 1);
            if let Some(input) = form.input(field) {
                text_field::render(frame, rect, input, focused, "not sent", theme);
            }
            let code = form.lang.value().trim();
            let name = match languages::find(code) {
                Some(l) => shown(&format!("  {} · {}", l.english, l.native)),
                None if code.is_empty() => "  not sent: Veriff picks".into(),
                None if languages::is_valid_code(code) => "  (not in the list)".into(),
                None => String::new(),
            };
            let room = area.width.saturating_sub(LABEL + w);
            frame.render_widget(
                Paragraph::new(Span::styled(
                    fit_words(&name, usize::from(room)),
                    theme.dim(),
                )),
                Rect::new(input_x + w, y, room, 1),
            );
            Some(rect)
        }
        _ => {
            let rect = Rect::new(input_x, y, input_w, 1);
            let placeholder = match field {
                Field::Callback => "not sent: the integration's default",
                Field::VendorData => "optional, up to 1000 characters",
                Field::Extra(f) => f.hint(),
                _ => "",
            };
            if let Some(input) = form.input(field) {
                text_field::render(frame, rect, input, focused, placeholder, theme);
            }
            if field == Field::VendorData && focused {
                let n = form.vendor_data.value().chars().count();
                let count = format!(" {n}/{VENDOR_DATA_MAX}");
                let style = if n > VENDOR_DATA_MAX {
                    theme.error()
                } else {
                    theme.dim()
                };
                let x = input_x + input_w;
                frame.render_widget(
                    Paragraph::new(Span::styled(count, style)),
                    Rect::new(x, y, area.right().saturating_sub(x), 1),
                );
            }
            None
        }
    }
}

/// What the "More fields" row says beside its label: closed, what is hidden (the filled
/// fields first: they are sent though not on screen); open, that an empty one is not sent.
fn more_fields_summary(state: &State, width: u16, theme: Theme) -> Line<'static> {
    let form = &state.form;
    // While the language list is open over this row, no wider than the list: none of it
    // shows beside the list's border (the list starts two columns left of the inputs).
    let room = if form.picker.open {
        width.min(language_picker::WIDTH.saturating_sub(3))
    } else {
        width
    };
    let room = usize::from(room);
    if form.more_open {
        return Line::from(Span::styled(
            fit_words("optional: an empty field is not sent", room),
            theme.dim(),
        ));
    }
    let filled = form.filled_extras();
    if filled.is_empty() {
        let names: Vec<&str> = ExtraField::ALL.iter().map(|f| f.label()).collect();
        return Line::from(Span::styled(
            fit_words(&format!("optional: {}", names.join(", ")), room),
            theme.dim(),
        ));
    }
    let names: Vec<&str> = filled.iter().map(|f| f.label()).collect();
    Line::from(Span::styled(
        fit_words(
            &format!("{} filled, sent: {}", filled.len(), names.join(", ")),
            room,
        ),
        theme.base(),
    ))
}

fn draw_outcome(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let width = usize::from(area.width);
    let lines: Vec<Line> = match &state.outcome {
        None if state.in_flight.is_some() => Vec::new(),
        None => {
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    "Fill in the form and press {}: the session URL appears here and goes to the clipboard.",
                    state.keys.label(Action::Generate)
                ),
                theme.dim(),
            ))];
            if state.settings.profile.is_none() {
                lines.push(Line::from(Span::styled(
                    "No Veriff profile is configured yet: run with --sandbox to try it offline.",
                    theme.warning(),
                )));
            }
            return frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        }
        Some(Outcome::Created {
            session,
            record_note,
            made_for,
            previous,
            ..
        }) => {
            let url = sanitize(&session.url);
            let code = Code::new(&url);
            let mut lines = vec![if *previous {
                // Not this form's result: said in words, not only by colour.
                Line::from(vec![
                    Span::styled("Previous session", theme.dim()),
                    Span::styled(shown(&format!(", for {made_for}")), theme.dim()),
                ])
            } else {
                Line::from(vec![
                    Span::styled("✔ Session created", theme.success()),
                    Span::styled(shown(&format!(" for {made_for}")), theme.dim()),
                ])
            }];

            // Beside the text when the text keeps a useful width, else below it when there
            // is height, else a hint: a code is never drawn cut.
            let beside = code
                .as_ref()
                .filter(|c| area.width >= c.width + 2 + QR_TEXT_MIN && area.height >= c.height);
            let text_width = match beside {
                Some(c) => width - usize::from(c.width + 2),
                None => width,
            };
            let url_rows = hard_wrap(&url, text_width);
            // The URL alone on its lines, from the first column: selectable by hand.
            let url_at = u16::try_from(lines.len()).unwrap_or(u16::MAX);
            lines.extend(url_rows.iter().cloned().map(Line::from));
            let link = |frame: &mut Frame| {
                if state.hyperlinks {
                    link_rows(frame, area, url_at, &url_rows, &url);
                }
            };
            let id = sanitize(&session.id);
            let expires = local_time(session.expires_at, state.tz);
            if beside.is_some() || !session_facts_fit(glyphs::model(), &id, text_width) {
                // Narrowed by the code or the window: one fact a line, so neither is cut.
                lines.push(Line::from(vec![
                    Span::styled("Session ID ", theme.dim()),
                    Span::raw(id),
                ]));
                lines.push(Line::from(vec![
                    Span::styled("Expires ", theme.dim()),
                    Span::raw(expires.clone()),
                ]));
            } else {
                lines.push(Line::from(vec![
                    Span::styled("Session ID ", theme.dim()),
                    Span::raw(id),
                    Span::styled("  Expires ", theme.dim()),
                    Span::raw(expires.clone()),
                ]));
            }
            if let Some(note) = record_note {
                lines.push(Line::from(Span::styled(
                    format!("! {note}"),
                    theme.warning(),
                )));
            }
            let text_rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
            if let Some(c) = beside {
                let text = Rect::new(area.x, area.y, area.width - c.width - 2, area.height);
                frame.render_widget(Paragraph::new(lines), text);
                link(frame);
                c.render(frame.buffer_mut(), area, area.right() - c.width, area.y);
                return;
            }
            match code {
                Some(c) if c.width <= area.width && text_rows + 1 + c.height <= area.height => {
                    frame.render_widget(Paragraph::new(lines), area);
                    link(frame);
                    c.render(frame.buffer_mut(), area, area.x, area.y + text_rows + 1);
                    return;
                }
                Some(_) => {
                    // The key off the text fields, and the one that works in them if another.
                    let keys = &state.keys;
                    let off = keys.label_in(Action::Qr, Context::Control);
                    let typing = keys.label_in(Action::Qr, Context::Field);
                    let mut spans = Vec::new();
                    match (off, typing) {
                        (Some(off), typing) => {
                            spans.push(Span::styled(off.clone(), theme.key()));
                            spans.push(Span::styled(": show QR code", theme.dim()));
                            if let Some(t) = typing.filter(|t| *t != off) {
                                spans.push(Span::styled(
                                    format!(" ({t} while typing in a field)"),
                                    theme.dim(),
                                ));
                            }
                        }
                        (None, Some(t)) => {
                            spans.push(Span::styled(t, theme.key()));
                            spans.push(Span::styled(": show QR code", theme.dim()));
                        }
                        (None, None) => {}
                    }
                    if !spans.is_empty() {
                        lines.push(Line::from(spans));
                    }
                }
                None => {}
            }
            frame.render_widget(Paragraph::new(lines), area);
            link(frame);
            return;
        }
        Some(Outcome::Failed {
            kind,
            message,
            hint,
        }) => {
            let generate = state.keys.label(Action::Generate);
            let unchanged =
                format!("The form is unchanged: fix what is needed and press {generate} again.");
            let (title, style, next) = match kind {
                FailKind::NotSent => (
                    "✖ Nothing was sent",
                    theme.error(),
                    if state.confirm_unkept.is_some() {
                        format!(
                            "Press {} to create the session anyway, without keeping its link in the history; {} to cancel.",
                            state.keys.label(Action::Yes),
                            state.keys.label(Action::No)
                        )
                    } else {
                        unchanged
                    },
                ),
                FailKind::NotCreated => ("✖ The session was not created", theme.error(), unchanged),
                FailKind::Unknown => (
                    "! Outcome unknown: a session may have been created",
                    theme.warning(),
                    "The form is unchanged.".to_string(),
                ),
            };
            let mut lines = vec![Line::from(Span::styled(title, style))];
            for l in wrap_words(message, width) {
                lines.push(Line::from(Span::styled(l, style)));
            }
            for l in wrap_words(&format!("→ {hint}"), width) {
                lines.push(Line::from(l));
            }
            lines.push(Line::from(Span::styled(next, theme.dim())));
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines), area);
}

/// Makes the URL's rows, drawn from row `first` of `area`, hyperlinks to the URL (rows the
/// area cuts off are left alone).
pub(super) fn link_rows(frame: &mut Frame, area: Rect, first: u16, rows: &[String], url: &str) {
    let buf = frame.buffer_mut();
    for (i, row) in (first..).zip(rows) {
        let Some(y) = area.y.checked_add(i).filter(|y| *y < area.bottom()) else {
            break;
        };
        hyperlink::link(buf, area.x, y, row, url);
    }
}
