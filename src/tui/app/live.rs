//! What another process wrote to the history (`tui::watch`), shown without a key press: the
//! details open on a changed record show it as it is now, the list and the dashboard reload
//! what they show, and the status line names the newest status that moved ("Anna Smith:
//! approved").

use super::*;
use crate::history::Changes;

pub(super) fn on_history_changed(state: &mut State, changes: Changes) -> Vec<Effect> {
    if changes.sent_from_outbox > 0 {
        let n = changes.sent_from_outbox;
        state.set_status(
            Level::Success,
            format!(
                "the shared history is back: {n} {} made meanwhile {} on it now",
                if n == 1 { "link" } else { "links" },
                if n == 1 { "is" } else { "are" }
            ),
        );
    }
    if changes.sent_from_outbox > 0 && state.tokens.detail.as_ref().is_some_and(|r| r.is_waiting())
    {
        // The details show a link's local copy, which is on the server now: keys there
        // would act on the copy. Back to where they were opened; what it shows reloads
        // below (a sent link always comes with `overflow`).
        state.tokens.detail = None;
        state.tokens.confirm_delete = None;
        state.tokens.confirm_resend = None;
        if let Some(screen) = state.tokens.detail_from.take() {
            state.screen = screen;
        }
    }
    if changes.overflow {
        return after_store_change(state);
    }
    let profile = state.settings.profile_name.clone();
    let mine: Vec<_> = changes
        .records
        .iter()
        .filter(|c| c.record.profile == profile)
        .collect();
    if let Some(detail) = &mut state.tokens.detail {
        if let Some(c) = changes.records.iter().find(|c| c.record.id == detail.id) {
            *detail = c.record.clone();
        } else if changes.deleted.contains(&detail.id) {
            state.set_status(
                Level::Warning,
                "this record was deleted from the history by another window or process",
            );
        }
    }
    let moved: Vec<_> = mine.iter().filter(|c| c.status_moved()).collect();
    if let Some(newest) = moved.last() {
        let r = &newest.record;
        // Worded as `r` words an answer: "Anna Smith: declined (9102): Suspected …".
        let decision = crate::veriff::Decision {
            status: r.status.clone(),
            code: r.decision_code,
            reason: r.decision_reason.clone(),
            ..Default::default()
        };
        let mut text = format!("{}: {}", record_name(r), decision.describe());
        if moved.len() > 1 {
            text.push_str(&format!(" · {} more changed", moved.len() - 1));
        }
        state.set_status(level_of(&r.status), text);
    }
    if mine.is_empty() && changes.deleted.is_empty() {
        // Another profile's records: nothing shown here changed.
        return Vec::new();
    }
    after_store_change(state)
}

fn level_of(status: &SessionStatus) -> Level {
    match status {
        SessionStatus::Approved => Level::Success,
        SessionStatus::Declined
        | SessionStatus::ResubmissionRequested
        | SessionStatus::Expired
        | SessionStatus::Abandoned
        | SessionStatus::Unknown => Level::Warning,
        _ => Level::Info,
    }
}
