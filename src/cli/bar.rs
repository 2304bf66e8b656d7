//! The progress bar of a long command (`history --csv/--json`, `decision --pending`): drawn
//! on stderr only when stderr is a terminal, so a script reading stdout, or stderr, gets
//! exactly what it got before.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ops::progress::Progress;

/// A bar, or nothing when there is no terminal to draw it on.
pub(super) struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar on stderr when it is a terminal and `wanted`.
    pub(super) fn on_stderr(wanted: bool) -> Self {
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:24} {msg}") {
            bar.set_style(style);
        }
        Bar(Some(bar))
    }

    /// The progress an operation reports to this bar, each report in the words the TUI
    /// uses (`exporting 1,234 of 5,678 · 900/s · 5 s left`); without a bar, a silent one
    /// (and so no count is made only to be shown).
    pub(super) fn progress(&self, doing: &'static str) -> Progress<'static> {
        match &self.0 {
            Some(bar) => {
                let bar = bar.clone();
                Progress::silent().reporting(move |r| {
                    bar.set_length(r.total);
                    bar.set_position(r.done);
                    bar.set_message(r.describe(doing));
                })
            }
            None => Progress::silent(),
        }
    }

    /// Runs `f` (which writes to the terminal) with the bar out of the way.
    pub(super) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Takes the bar off the screen: the result lines follow it.
    pub(super) fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
