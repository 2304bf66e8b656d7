//! `b` on Generated tokens: a batch file's path is typed, its rows are checked and shown
//! (the invalid ones by line) before anything is sent, then the valid rows go through
//! `ops::batch` as `generate --batch --skip-invalid` sends them; progress is on the status
//! line (Esc stops sending), and the list shows the batch's records as they come.

use std::sync::Arc;

use super::*;
use crate::ops::batch::{Plan, Summary};

/// The batch being chosen, checked or sent.
#[derive(Debug, Clone)]
pub struct BatchUi {
    pub stage: BatchStage,
}

#[derive(Debug, Clone)]
pub enum BatchStage {
    /// Typing the file's path; the last attempt's error, if any.
    Path {
        input: tui_input::Input,
        error: Option<String>,
    },
    /// The file is being read and its rows checked.
    Checking { seq: u64, path: String },
    /// Its rows checked: the operator reads the problems and says yes or no.
    Checked { plan: Arc<Plan> },
    /// Being sent.
    Running {
        run: u64,
        name: String,
        progress: Option<Report>,
        stopping: bool,
    },
}

impl BatchUi {
    pub fn running(&self) -> bool {
        matches!(self.stage, BatchStage::Running { .. })
    }
}

/// `b`: asks for the path (one batch at a time).
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    if state.batch.as_ref().is_some_and(BatchUi::running) {
        state.set_status(
            Level::Info,
            "a batch is being sent: wait for it, or press Esc to stop it",
        );
        return Vec::new();
    }
    state.batch = Some(BatchUi {
        stage: BatchStage::Path {
            input: tui_input::Input::default(),
            error: None,
        },
    });
    Vec::new()
}

/// Keys while the batch dialog is open.
pub(super) fn batch_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    let Some(batch) = state.batch.as_mut() else {
        return Vec::new();
    };
    match &mut batch.stage {
        BatchStage::Path { input, error } => match action {
            Some(Action::Back) => {
                state.batch = None;
                Vec::new()
            }
            Some(Action::Select) => {
                let path = expand_home(input.value().trim());
                if path.is_empty() {
                    *error = Some("type the path of a CSV file first".into());
                    return Vec::new();
                }
                state.job_seq += 1;
                let seq = state.job_seq;
                batch.stage = BatchStage::Checking {
                    seq,
                    path: path.clone(),
                };
                vec![Effect::BatchCheck {
                    seq,
                    path: path.into(),
                    settings: Box::new(state.settings.clone()),
                }]
            }
            None => {
                if let Some(req) = input_request(&key) {
                    input.handle(req);
                    *error = None;
                }
                Vec::new()
            }
            _ => Vec::new(),
        },
        BatchStage::Checking { .. } => {
            if matches!(action, Some(Action::Back | Action::No)) {
                state.batch = None;
            }
            Vec::new()
        }
        BatchStage::Checked { plan } => match action {
            Some(Action::Yes) => {
                let plan = plan.clone();
                start(state, plan)
            }
            Some(Action::No | Action::Back) => {
                state.batch = None;
                Vec::new()
            }
            _ => Vec::new(),
        },
        BatchStage::Running { .. } => Vec::new(),
    }
}

/// A paste into the path.
pub(super) fn paste(state: &mut State, text: &str) {
    if let Some(BatchUi {
        stage: BatchStage::Path { input, .. },
    }) = state.batch.as_mut()
    {
        let mut v = input.value().to_string();
        v.push_str(&crate::text::from_paste(text));
        *input = tui_input::Input::new(v);
    }
}

fn start(state: &mut State, plan: Arc<Plan>) -> Vec<Effect> {
    if plan.valid() == 0 {
        state.set_status(Level::Error, "no row of this file can be sent");
        return Vec::new();
    }
    state.job_seq += 1;
    let run = state.job_seq;
    state.batch = Some(BatchUi {
        stage: BatchStage::Running {
            run,
            name: plan.name.clone(),
            progress: None,
            stopping: false,
        },
    });
    state.tokens.batch = Some(plan.name.clone());
    state.tokens.filter = tui_input::Input::default();
    let mut effects = state.reload_tokens(true);
    effects.push(Effect::BatchRun { run, plan });
    effects
}

/// The file read and checked (or why it could not be).
pub(super) fn on_checked(state: &mut State, seq: u64, result: Result<Arc<Plan>, String>) {
    let Some(batch) = state.batch.as_mut() else {
        return;
    };
    let BatchStage::Checking { seq: wanted, path } = &batch.stage else {
        return;
    };
    if *wanted != seq {
        return;
    }
    batch.stage = match result {
        Ok(plan) => BatchStage::Checked { plan },
        Err(e) => BatchStage::Path {
            input: tui_input::Input::new(path.clone()),
            error: Some(sanitize(&e)),
        },
    };
}

pub(super) fn on_progress(state: &mut State, run: u64, report: Report) -> Vec<Effect> {
    let Some(BatchUi {
        stage:
            BatchStage::Running {
                run: current,
                progress,
                ..
            },
    }) = state.batch.as_mut()
    else {
        return Vec::new();
    };
    if *current != run {
        return Vec::new();
    }
    *progress = Some(report);
    // The batch's records, as they come.
    state.reload_tokens(false)
}

pub(super) fn on_done(state: &mut State, run: u64, result: Result<Summary, String>) -> Vec<Effect> {
    let name = match state.batch.as_ref().map(|b| &b.stage) {
        Some(BatchStage::Running {
            run: current, name, ..
        }) if *current == run => name.clone(),
        _ => return Vec::new(),
    };
    state.batch = None;
    let back = state.keys.label(Action::Back);
    match result {
        Ok(summary) => {
            let level = if summary.failed + summary.unknown + summary.busy > 0 || summary.stopped {
                Level::Warning
            } else {
                Level::Success
            };
            let stopped = if summary.stopped {
                "; stopped: b and the same file go on"
            } else {
                ""
            };
            let fatal = summary
                .fatal
                .as_deref()
                .map(|f| format!("; {f}"))
                .unwrap_or_default();
            state.set_status(
                level,
                format!(
                    "{}: {}{stopped}{fatal} · the list shows this batch, {back} shows every record",
                    sanitize(&name),
                    summary.describe()
                ),
            );
        }
        Err(e) => state.set_status(
            Level::Error,
            format!(
                "the batch {} was not sent: {}",
                sanitize(&name),
                sanitize(&e)
            ),
        ),
    }
    state.reload_tokens(false)
}

/// `~/people.csv` as the shell would read it.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if !home.is_empty() => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}
