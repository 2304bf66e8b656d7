//! The details' inspection and media viewer: opening the details reads the kept inspection
//! (offline) and asks for a fresh one in the background; `m` shows a media file, fetched
//! then; `s` saves it where the operator says; `C` copies the record's request as curl.
//! Answers carry the number of what asked for them: one for details or a file no longer on
//! screen is dropped, never shown over what is.

use std::sync::Arc;

use super::*;
use crate::tui::inspector::{Answer, Inspector, Loaded, SaveFailure, SavePrompt, Viewer};
use crate::veriff::inspect::Inspection;

/// Opens the details of `record` (from the list, or from `from` to go back to): the kept
/// inspection is read at once, a fresh one asked for through the record's own profile.
pub(super) fn open_details(state: &mut State, record: Record, from: Option<Screen>) -> Vec<Effect> {
    state.tokens.detail_from = from;
    state.tokens.detail_scroll = 0;
    if !record.has_link() {
        // Veriff never named its session: nothing to inspect, and the details say what to
        // do instead.
        state.tokens.detail = Some(record);
        return Vec::new();
    }
    state.inspect_seq += 1;
    let seq = state.inspect_seq;
    let mut insp = Inspector::new(record.id, seq);
    let mut effects = vec![Effect::KeptInspection {
        seq,
        record_id: record.id,
    }];
    match inspect_endpoint(state, &record) {
        Ok(endpoint) => {
            insp.fetching = true;
            effects.push(Effect::Inspect {
                seq,
                endpoint,
                record: Box::new(record.clone()),
            });
        }
        Err(why) => insp.fetch_error = Some(why),
    }
    state.inspector = Some(insp);
    state.tokens.detail = Some(record);
    effects
}

/// `r` in the details: the inspection asked for again, where the operator is reading.
pub(super) fn reinspect(state: &mut State) -> Vec<Effect> {
    let Some(record) = state.tokens.detail.clone() else {
        return Vec::new();
    };
    let (scroll, from) = (state.tokens.detail_scroll, state.tokens.detail_from);
    let effects = open_details(state, record, from);
    state.tokens.detail_scroll = scroll;
    effects
}

/// The endpoint to ask about `r` through: always the profile it was made under. A record
/// whose outcome is unknown has no session to ask about.
fn inspect_endpoint(state: &State, r: &Record) -> Result<Endpoint, String> {
    crate::ops::refresh::profile_endpoint(&state.settings, r).map_err(|skip| skip.reason())
}

/// The inspection kept in the history arrived.
pub(super) fn on_kept(
    state: &mut State,
    seq: u64,
    result: Result<Option<Box<Inspection>>, String>,
) {
    let Some(insp) = state.inspector.as_mut().filter(|i| i.seq == seq) else {
        return;
    };
    insp.kept_read = true;
    match result {
        Ok(kept) => insp.kept = kept.map(|k| *k),
        Err(e) => insp.kept_error = Some(sanitize(&e)),
    }
}

/// A fresh inspection arrived: shown when it is for the details on screen. The decision it
/// stored shows in the list (and in the details of its record) as a refresh's does.
pub(super) fn on_inspected(state: &mut State, seq: u64, answer: Answer) -> Vec<Effect> {
    let stored = answer.record.is_some();
    if let (Some(record), Some(detail)) = (answer.record, state.tokens.detail.as_mut())
        && detail.id == record.id
    {
        *detail = record;
    }
    if let Some(insp) = state.inspector.as_mut().filter(|i| i.seq == seq) {
        insp.fetching = false;
        if answer.inspection.is_some() {
            insp.fresh = answer.inspection;
        }
        insp.fetch_error = answer.error.map(|e| sanitize(&e));
        insp.not_kept = answer.not_kept.map(|e| sanitize(&e));
    }
    if stored {
        after_store_change(state)
    } else {
        Vec::new()
    }
}

/// `m` in the details: the media file shown last (the first at first).
pub(super) fn open_media(state: &mut State) -> Vec<Effect> {
    let Some(insp) = state.inspector.as_ref() else {
        state.set_status(Level::Info, "no inspection to show media from");
        return Vec::new();
    };
    let n = insp.media().len();
    if n == 0 {
        let why = match insp.shown() {
            None if insp.fetching => "the media list is still being fetched",
            None => "no media list: the session could not be inspected",
            Some(i) if matches!(i.media, crate::veriff::inspect::Part::Error(_)) => {
                "the media list could not be fetched (its error is in the details)"
            }
            Some(_) => "this session has no media files",
        };
        state.set_status(Level::Info, why);
        return Vec::new();
    }
    let index = insp.media_index.min(n - 1);
    show_media(state, index)
}

/// Shows media item `index`, asking for its file; the file shown before is dropped.
fn show_media(state: &mut State, index: usize) -> Vec<Effect> {
    let Some(record) = state.tokens.detail.clone() else {
        return Vec::new();
    };
    let endpoint = inspect_endpoint(state, &record);
    state.inspect_seq += 1;
    let seq = state.inspect_seq;
    let Some(insp) = state.inspector.as_mut() else {
        return Vec::new();
    };
    let Some(item) = insp.media().get(index).cloned() else {
        return Vec::new();
    };
    insp.media_index = index;
    let (file, effects) = match endpoint {
        Ok(endpoint) => (
            None,
            vec![Effect::FetchMedia {
                seq,
                endpoint,
                media_id: item.id.clone(),
            }],
        ),
        Err(why) => (Some(Err(format!("cannot be fetched: {why}"))), Vec::new()),
    };
    insp.viewer = Some(Viewer {
        index,
        item,
        seq,
        file,
        save: None,
        encoded: None,
    });
    effects
}

/// Keys over the media viewer and its file name prompt.
pub(super) fn media_key(
    state: &mut State,
    ctx: Context,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    if ctx == Context::SavePath {
        return save_path_key(state, action, key);
    }
    let Some(viewer) = state.inspector.as_ref().and_then(|i| i.viewer.as_ref()) else {
        return Vec::new();
    };
    let at = viewer.index;
    match action {
        // Closing drops the file: it is in memory only while shown.
        Some(Action::Back) => {
            if let Some(insp) = state.inspector.as_mut() {
                insp.viewer = None;
            }
            Vec::new()
        }
        Some(Action::Down | Action::Up) => {
            let n = state.inspector.as_ref().map_or(0, |i| i.media().len());
            let next = if action == Some(Action::Down) {
                (at + 1).min(n.saturating_sub(1))
            } else {
                at.saturating_sub(1)
            };
            if next == at {
                return Vec::new();
            }
            show_media(state, next)
        }
        Some(Action::SaveMedia) => {
            let offer = match &viewer.file {
                Some(Ok(loaded)) => Ok(crate::tui::inspector::default_file_name(
                    state
                        .tokens
                        .detail
                        .as_ref()
                        .map_or("", |r| r.session_id.as_str()),
                    &viewer.item,
                    loaded.file.content_type.as_deref(),
                )),
                None => Err("still fetching it: nothing to save yet"),
                Some(Err(_)) => Err("nothing to save: it was not fetched"),
            };
            match offer {
                Ok(name) => {
                    if let Some(v) = state.inspector.as_mut().and_then(|i| i.viewer.as_mut()) {
                        v.save = Some(SavePrompt {
                            input: tui_input::Input::new(name),
                            ..SavePrompt::default()
                        });
                    }
                }
                Err(why) => state.set_status(Level::Info, why),
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn save_path_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    let Some(viewer) = state.inspector.as_mut().and_then(|i| i.viewer.as_mut()) else {
        return Vec::new();
    };
    let Some(prompt) = viewer.save.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Back) => {
            viewer.save = None;
            state.set_status(Level::Info, "not saved");
            Vec::new()
        }
        Some(Action::Select) => {
            if prompt.saving {
                return Vec::new();
            }
            let path = prompt.input.value().trim().to_string();
            if path.is_empty() {
                prompt.error = Some("type a file name".into());
                return Vec::new();
            }
            let Some(Ok(file)) = &viewer.file else {
                return Vec::new();
            };
            prompt.saving = true;
            prompt.error = None;
            vec![Effect::SaveMedia {
                seq: viewer.seq,
                path,
                file: file.clone(),
            }]
        }
        None => {
            if let Some(req) = input_request(&key) {
                prompt.input.handle(req);
                prompt.error = None;
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A paste into the file name.
pub(super) fn paste_path(state: &mut State, text: &str) {
    if let Some(prompt) = state
        .inspector
        .as_mut()
        .and_then(|i| i.viewer.as_mut())
        .and_then(|v| v.save.as_mut())
    {
        let mut v = prompt.input.value().to_string();
        v.push_str(&crate::text::from_paste(text));
        prompt.input = tui_input::Input::new(v);
        prompt.error = None;
    }
}

/// The media file asked for as `seq` arrived: kept only while that file is shown.
pub(super) fn on_media_fetched(
    state: &mut State,
    seq: u64,
    result: Result<Arc<Loaded>, String>,
) -> Vec<Effect> {
    let Some(viewer) = state
        .inspector
        .as_mut()
        .and_then(|i| i.viewer.as_mut())
        .filter(|v| v.seq == seq)
    else {
        return Vec::new();
    };
    viewer.file = Some(result.map_err(|e| sanitize(&e)));
    encode_shown(state)
}

/// The size (in cells) of the area the viewer draws the picture in.
fn picture_area(state: &State) -> (u16, u16) {
    let r = crate::tui::layout::media_picture(crate::tui::layout::media_body(state.size));
    (r.width, r.height)
}

/// Where the terminal draws pictures itself: the picture shown, encoded for its area, unless
/// it already is. Half-blocks stand in until the encoding comes.
pub(super) fn encode_shown(state: &mut State) -> Vec<Effect> {
    let area = picture_area(state);
    let Some(graphics) = state.graphics else {
        return Vec::new();
    };
    let Some(viewer) = state.inspector.as_ref().and_then(|i| i.viewer.as_ref()) else {
        return Vec::new();
    };
    match &viewer.file {
        Some(Ok(file)) if file.picture.is_ok() => {
            if viewer.encoded.as_ref().is_some_and(|e| e.area == area) {
                return Vec::new();
            }
            vec![Effect::EncodeMedia {
                seq: viewer.seq,
                file: file.clone(),
                graphics,
                area,
            }]
        }
        _ => Vec::new(),
    }
}

/// An encoding arrived: kept when it is for the file shown and the area as it is now (a
/// newer one is on its way otherwise). One that failed leaves the half-blocks.
pub(super) fn on_media_encoded(
    state: &mut State,
    seq: u64,
    result: Result<Arc<crate::tui::graphics::Encoded>, String>,
) {
    let area = picture_area(state);
    let viewer = state
        .inspector
        .as_mut()
        .and_then(|i| i.viewer.as_mut())
        .filter(|v| v.seq == seq);
    // The runtime logged a failure; the half-blocks stay.
    if let (Some(v), Ok(e)) = (viewer, result)
        && e.area == area
    {
        v.encoded = Some(e);
    }
}

/// The file was written (or why not). A name already taken asks for another.
pub(super) fn on_media_saved(
    state: &mut State,
    seq: u64,
    path: &str,
    result: Result<u64, SaveFailure>,
) {
    let shown = sanitize(path);
    let viewer = state
        .inspector
        .as_mut()
        .and_then(|i| i.viewer.as_mut())
        .filter(|v| v.seq == seq);
    match result {
        Ok(bytes) => {
            if let Some(v) = viewer {
                v.save = None;
            }
            state.set_status(
                Level::Success,
                format!(
                    "saved {} to {shown} (readable by you only)",
                    crate::cli::human_size(bytes)
                ),
            );
        }
        Err(f) => match viewer.and_then(|v| v.save.as_mut()) {
            Some(prompt) => {
                prompt.saving = false;
                prompt.error = Some(if f.exists {
                    format!("{shown} exists and is never written over: type another name")
                } else {
                    sanitize(&f.message)
                });
            }
            None => state.set_status(
                Level::Error,
                format!("not saved to {shown}: {}", sanitize(&f.message)),
            ),
        },
    }
}

/// `C`: the record's request as a curl command; the key is left to `$VERIFF_API_KEY`.
pub(super) fn copy_curl(state: &mut State) -> Vec<Effect> {
    let Some(r) = state.current_record().cloned() else {
        state.set_status(Level::Info, "no record selected");
        return Vec::new();
    };
    match crate::ops::curl::for_record(&state.settings, &r, state.now) {
        // One line: every copy is made safe (`text::sanitize`), which turns the line breaks
        // after its `\` into spaces, and `\ ` would be an argument of its own in a shell.
        // The body is JSON, whose strings hold no raw line break.
        Ok(text) => vec![Effect::Copy {
            what: CopyWhat::Curl,
            text: text
                .split(" \\\n")
                .map(str::trim_start)
                .collect::<Vec<_>>()
                .join(" "),
        }],
        Err(e) => {
            state.set_status(
                Level::Error,
                format!(
                    "no curl command for {}: {}",
                    record_name(&r),
                    sanitize(&e.to_string())
                ),
            );
            Vec::new()
        }
    }
}

/// Keeps the inspection with its details: gone with them (another record's details, none),
/// and the media file dropped once the screen shows something else.
pub(super) fn settle(state: &mut State) {
    let detail = state.tokens.detail.as_ref().map(|r| r.id);
    if state.inspector.as_ref().map(|i| i.record_id) != detail {
        state.inspector = None;
    }
    if state.screen != Screen::Tokens
        && let Some(insp) = state.inspector.as_mut()
    {
        insp.viewer = None;
    }
}
