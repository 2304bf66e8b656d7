//! The Dashboard's keys.

use super::*;

pub(super) fn dashboard_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let latest = state
        .dashboard
        .data
        .as_ref()
        .map(|d| d.latest.as_slice())
        .unwrap_or_default();
    let n = latest.len();
    match action {
        Some(Action::Back) => {
            state.status = None;
            Vec::new()
        }
        Some(Action::Down) => {
            state.dashboard.selected = (state.dashboard.selected + 1).min(n.saturating_sub(1));
            Vec::new()
        }
        Some(Action::Up) => {
            state.dashboard.selected = state.dashboard.selected.saturating_sub(1);
            Vec::new()
        }
        Some(Action::Details) => match latest.get(state.dashboard.selected).cloned() {
            Some(record) => {
                let mut effects = switch_screen(state, Screen::Tokens);
                effects.extend(open_details(state, record, Some(Screen::Dashboard)));
                effects
            }
            None => {
                let key = state.keys.label(Action::RefreshAll);
                state.set_status(
                    Level::Info,
                    format!("no decision to open yet: press {key} to refresh"),
                );
                Vec::new()
            }
        },
        Some(Action::Refresh) => match latest.get(state.dashboard.selected).cloned() {
            Some(record) => refresh_record(state, &record),
            None => Vec::new(),
        },
        Some(Action::RefreshAll) => refresh_all(state),
        _ => Vec::new(),
    }
}
