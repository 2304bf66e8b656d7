//! Effects become work: each runs in a tokio task (store access in a blocking one) and
//! answers with a message. Stale answers are dropped by sequence numbers in `update`; list
//! queries made stale by newer typing are not even run to the end (`list_marker`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OnceCell, mpsc};
use tokio::task::JoinHandle;

use super::app::{self, Effect};
use super::list::Load;
use super::message::Msg;
use crate::clipboard::{Clipboard, SystemClipboard};
use crate::history::Store;
use crate::ops::SharedStore;
use crate::ops::generate::{Failed, Keep};
use crate::ops::progress::{Cancel, Progress};
use crate::veriff::Client;

/// Runs effects: each in a task that sends its answer back as a message.
pub(super) struct Runtime {
    pub(super) tx: mpsc::UnboundedSender<Msg>,
    /// Opened on first use, in a blocking task, never on the UI thread.
    pub(super) store: Arc<OnceCell<SharedStore>>,
    /// Where the history is (a file, or the shared one on a server).
    pub(super) history_db: crate::history::Location,
    /// One HTTP client per profile, reused.
    pub(super) client: Option<(String, Client)>,
    pub(super) clipboard: Arc<Mutex<SystemClipboard>>,
    /// Generates and history writes still running: awaited (5 s at most) before `run`
    /// returns.
    pub(super) writes: Vec<JoinHandle<()>>,
    /// Bytes for the terminal itself, written by the main loop between frames.
    pub(super) screen: mpsc::UnboundedSender<Vec<u8>>,
    /// Mouse reporting is on (config): switched off while the URL is on the normal screen.
    pub(super) mouse: bool,
    /// Sequence number of the newest Generated tokens query.
    pub(super) list_seq: Arc<AtomicU64>,
    /// How many pages were asked for: only the latest is worth running.
    pub(super) page_gen: Arc<AtomicU64>,
    /// The long jobs (exports, `R` runs) by their number, to stop them (Esc).
    pub(super) jobs: Vec<(u64, Cancel)>,
    /// Where how the TUI was left is kept (`tui::ui_state`).
    pub(super) ui_state_file: PathBuf,
    /// Numbers the saves of that state in the order asked for, and holds the number of the
    /// last one written: a save overtaken by a later one is not written over it.
    pub(super) ui_state_saves: (u64, Arc<Mutex<u64>>),
}

/// Runs `f` on the store in a blocking task.
async fn with_store<T: Send + 'static>(
    cell: Arc<OnceCell<SharedStore>>,
    path: crate::history::Location,
    f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
) -> Result<T, String> {
    let store = shared_store(cell, path).await?;
    crate::ops::on_store(&store, f).await
}

/// The store, opened on first use in a blocking task (shared with [`with_store`]). A failed
/// open is not remembered: the next use tries again (the file may be unlocked).
pub(super) async fn shared_store(
    cell: Arc<OnceCell<SharedStore>>,
    path: crate::history::Location,
) -> Result<SharedStore, String> {
    cell.get_or_try_init(|| async move {
        tokio::task::spawn_blocking(move || {
            Store::open_at(&path)
                .map(|s| Arc::new(Mutex::new(s)))
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("opening the history failed: {e}")))
    })
    .await
    .cloned()
}

impl Runtime {
    /// The client for `endpoint`, reused while the profile stays the same.
    fn client_for(
        &mut self,
        endpoint: &crate::veriff::Endpoint,
    ) -> Result<Client, crate::veriff::ApiError> {
        // Every part of the endpoint: two profiles may share a URL and a key.
        let key = format!(
            "{}|{}|{:?}|{:?}|{:?}",
            endpoint.base_url,
            endpoint.api_key,
            endpoint.shared_secret,
            endpoint.integration_id,
            endpoint.timeout
        );
        match &self.client {
            Some((k, c)) if *k == key => Ok(c.clone()),
            _ => Client::new(endpoint).inspect(|c| {
                self.client = Some((key, c.clone()));
            }),
        }
    }

    /// A test, run before and while the query runs, of whether it is still wanted: a query
    /// made stale by newer typing (a later `seq`) or, for pages, by a later page request is
    /// skipped or stopped, so a fast typist or a held PgDn never waits behind a slow query.
    fn list_marker(&mut self, seq: u64, page: bool) -> impl Fn() -> bool + Send + Clone + 'static {
        self.list_seq.fetch_max(seq, Ordering::SeqCst);
        let latest_seq = self.list_seq.clone();
        let page_gen = self.page_gen.clone();
        let my_gen = if page {
            page_gen.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            0
        };
        move || {
            latest_seq.load(Ordering::SeqCst) == seq
                && (!page || page_gen.load(Ordering::SeqCst) == my_gen)
        }
    }

    /// A list query that answers only when still wanted when its turn comes.
    fn list_task<T: Send + 'static>(
        &self,
        fresh: impl Fn() -> bool + Send + Clone + 'static,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        let cell = self.store.clone();
        let path = self.history_db.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = with_store(cell, path, move |s| s.while_wanted(fresh, f)).await;
            match result {
                Ok(Some(v)) => {
                    let _ = tx.send(answer(Ok(v)));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!("history: {e}");
                    let _ = tx.send(answer(Err(e)));
                }
            }
        });
    }

    fn store_task<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        // Reads need no waiting for: their answer only matters while the UI runs.
        drop(self.spawn_store(f, answer));
    }

    /// Like `store_task`, but the write is awaited before the TUI returns.
    fn write_task<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) {
        let handle = self.spawn_store(f, answer);
        self.keep_until_quit(handle);
    }

    /// Work that writes the history: awaited (5 s at most) before the TUI returns.
    fn keep_until_quit(&mut self, handle: JoinHandle<()>) {
        self.writes.retain(|w| !w.is_finished());
        self.writes.push(handle);
    }

    fn spawn_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, crate::history::StoreError> + Send + 'static,
        answer: impl FnOnce(Result<T, String>) -> Msg + Send + 'static,
    ) -> JoinHandle<()> {
        let cell = self.store.clone();
        let path = self.history_db.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = with_store(cell, path, f).await;
            if let Err(e) = &result {
                tracing::warn!("history: {e}");
            }
            let _ = tx.send(answer(result));
        })
    }

    /// A stop signal for job `run`; jobs that ended (nobody else holds theirs) are forgotten.
    fn job(&mut self, run: u64) -> Cancel {
        self.jobs.retain(|(_, c)| c.shared());
        let cancel = Cancel::new();
        self.jobs.push((run, cancel.clone()));
        cancel
    }

    /// Stops every job still running (quitting: an export removes its partial files).
    pub(super) fn stop_jobs(&mut self) {
        for (_, cancel) in self.jobs.drain(..) {
            cancel.cancel();
        }
    }

    pub(super) fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Generate { seq, request, keep } => {
                let client = self.client_for(&request.endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let result = async {
                        let client = client.map_err(Failed::NotCreated)?;
                        let keep = if keep {
                            let shared = path.is_shared();
                            let store = shared_store(cell, path)
                                .await
                                .map_err(|why| Failed::HistoryUnwritable { why, shared })?;
                            Keep::History(store)
                        } else {
                            Keep::NotKept
                        };
                        let shown = tx.clone();
                        crate::ops::generate::generate(&request, &client, &keep, |session, _| {
                            let _ = shown.send(Msg::Created {
                                seq,
                                session: Box::new(session.clone()),
                            });
                        })
                        .await
                    }
                    .await;
                    let _ = tx.send(Msg::Generated {
                        seq,
                        result: Box::new(result),
                    });
                });
                // A session just created still reaches the history.
                self.keep_until_quit(handle);
            }
            Effect::Copy { what, text } => {
                let clipboard = self.clipboard.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let outcome = match clipboard.lock() {
                        Ok(mut c) => c.copy(&text),
                        Err(_) => crate::clipboard::CopyOutcome::Failed(
                            "the clipboard is unavailable after an earlier failure".into(),
                        ),
                    };
                    tracing::info!(?what, ?outcome, "copy");
                    let _ = tx.send(Msg::Copied { what, outcome });
                });
            }
            Effect::List(Load::Count { seq, query, cap }) => {
                let fresh = self.list_marker(seq, false);
                self.list_task(
                    fresh,
                    move |s| s.count_up_to(&query, cap),
                    move |result| Msg::Count { seq, cap, result },
                );
            }
            Effect::List(Load::Page {
                seq,
                query,
                from_end,
                count,
            }) => {
                let offset = query.offset;
                let fresh = self.list_marker(seq, true);
                self.list_task(
                    fresh,
                    move |s| match (from_end, count) {
                        (true, _) => s.last_page(&query).map(|rows| crate::history::Page {
                            rows,
                            ..Default::default()
                        }),
                        (false, Some(cap)) => s.first_page_counted(&query, cap),
                        (false, None) => s.page_counted(&query),
                    },
                    move |result| Msg::Page {
                        seq,
                        offset,
                        result,
                    },
                );
            }
            Effect::Delete { id } => {
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let result = match shared_store(cell, path).await {
                        Ok(store) => crate::ops::delete::delete(&store, id).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Deleted { id, result });
                });
                self.keep_until_quit(handle);
            }
            Effect::StatusCounts { profile } => self.store_task(
                move |s| s.status_counts(Some(&profile), chrono::Utc::now()),
                Msg::StatusCounts,
            ),
            Effect::Export { run, query, dir } => {
                // Named after the local time, as the operator reads the clock.
                let stamp = chrono::Local::now().naive_local();
                let cancel = self.job(run);
                let tx = self.tx.clone();
                // A write: an export started just before quitting still lands whole (or,
                // stopped by the quit, leaves nothing).
                self.write_task(
                    move |s| {
                        let mut progress = Progress::new(cancel).reporting(move |report| {
                            let _ = tx.send(Msg::ExportProgress { run, report });
                        });
                        Ok(crate::ops::export::export_to_dir(
                            s,
                            &query,
                            &dir,
                            stamp,
                            &mut progress,
                        ))
                    },
                    move |r| Msg::Exported {
                        run,
                        result: r.map_err(Into::into).and_then(|inner| inner),
                    },
                );
            }
            Effect::BatchCheck {
                seq,
                path,
                settings,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::ops::batch::plan(&settings, &path, None)
                        .map(Arc::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::BatchChecked { seq, result });
                });
            }
            Effect::BatchRun { run, plan } => {
                let endpoint = plan
                    .rows
                    .iter()
                    .find_map(|r| r.checked.as_ref().ok())
                    .map(|r| r.endpoint.clone());
                let client = endpoint.map(|e| self.client_for(&e));
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let cancel = self.job(run);
                tokio::spawn(async move {
                    let result = async {
                        let client = client
                            .ok_or("no row of the batch can be sent")?
                            .map_err(|e| e.to_string())?;
                        let store = shared_store(cell, path).await?;
                        let progress_tx = tx.clone();
                        let mut progress = Progress::new(cancel).reporting(move |report| {
                            let _ = progress_tx.send(Msg::BatchProgress { run, report });
                        });
                        let options = crate::ops::batch::Options {
                            jobs: crate::ops::batch::DEFAULT_JOBS,
                            resend_unknown: false,
                        };
                        crate::ops::batch::run(
                            &plan,
                            &client,
                            &store,
                            &options,
                            &mut progress,
                            &|_| {},
                        )
                        .await
                        .map(|(_, summary)| summary)
                    }
                    .await;
                    match &result {
                        Ok(s) => tracing::info!(?s, "batch sent"),
                        Err(e) => tracing::warn!("batch failed: {e}"),
                    }
                    let _ = tx.send(Msg::BatchDone { run, result });
                });
            }
            Effect::Stop { run } => {
                if let Some((_, cancel)) = self.jobs.iter().find(|(r, _)| *r == run) {
                    cancel.cancel();
                }
            }
            Effect::RefreshOne {
                endpoint,
                session_id,
            } => {
                let client = self.client_for(&endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let refreshed = match (client, shared_store(cell, path).await) {
                        (Ok(client), Ok(store)) => {
                            crate::ops::refresh::refresh_one(&client, &store, &session_id).await
                        }
                        (Err(e), _) => crate::ops::refresh::Refreshed {
                            session_id,
                            result: Err(e),
                            store_error: None,
                            record: None,
                        },
                        // Without the history the answer can still be shown, not kept.
                        (Ok(client), Err(e)) => crate::ops::refresh::Refreshed {
                            result: client.decision(&session_id).await,
                            session_id,
                            store_error: Some(e),
                            record: None,
                        },
                    };
                    let _ = tx.send(Msg::Refreshed(Box::new(refreshed)));
                });
                self.keep_until_quit(handle);
            }
            Effect::RefreshPending {
                run,
                endpoint,
                profile,
            } => {
                let client = self.client_for(&endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let api_base = endpoint.base_url.clone();
                let cancel = self.job(run);
                tokio::spawn(async move {
                    let result = async {
                        let client = client.map_err(|e| e.to_string())?;
                        let store = shared_store(cell, path).await?;
                        // The records answered since the last report go with the next one.
                        let answered = Arc::new(Mutex::new(Vec::new()));
                        let reported = answered.clone();
                        let progress_tx = tx.clone();
                        let mut progress = Progress::new(cancel).reporting(move |report| {
                            let records = reported
                                .lock()
                                .map(|mut r| std::mem::take(&mut *r))
                                .unwrap_or_default();
                            let _ = progress_tx.send(Msg::RefreshProgress {
                                run,
                                report,
                                records,
                            });
                        });
                        crate::ops::refresh::refresh_pending(
                            &client,
                            &store,
                            &profile,
                            &api_base,
                            &mut progress,
                            |r| {
                                if let (Some(record), Ok(mut answered)) =
                                    (&r.record, answered.lock())
                                {
                                    answered.push(record.clone());
                                }
                            },
                        )
                        .await
                    }
                    .await;
                    match &result {
                        Ok(s) => tracing::info!(?s, "pending decisions refreshed"),
                        Err(e) => tracing::warn!("refresh of pending decisions failed: {e}"),
                    }
                    let _ = tx.send(Msg::RefreshDone { run, result });
                });
            }
            Effect::DashboardData { profile } => self.store_task(
                move |s| {
                    let now = chrono::Utc::now();
                    Ok(app::DashboardData {
                        per_day: s.per_day(Some(&profile), app::DASHBOARD_DAYS, now)?,
                        latest: s.latest_decisions(Some(&profile), app::DASHBOARD_LATEST)?,
                    })
                },
                Msg::DashboardData,
            ),
            Effect::KeptInspection { seq, record_id } => self.store_task(
                move |s| Ok(s.inspection(record_id)?.map(Box::new)),
                move |result| Msg::KeptInspection { seq, result },
            ),
            Effect::Inspect {
                seq,
                endpoint,
                record,
            } => {
                let client = self.client_for(&endpoint);
                let cell = self.store.clone();
                let path = self.history_db.clone();
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let answer = inspect_record(client, cell, path, &record).await;
                    let _ = tx.send(Msg::Inspected {
                        seq,
                        answer: Box::new(answer),
                    });
                });
                // It stores the decision and the inspection: a write, awaited on quitting.
                self.keep_until_quit(handle);
            }
            Effect::FetchMedia {
                seq,
                endpoint,
                media_id,
            } => {
                let client = self.client_for(&endpoint);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = async {
                        let client = client.map_err(|e| e.to_string())?;
                        let file = crate::ops::inspect::media(&client, &media_id)
                            .await
                            .map_err(|e| format!("{e} — {}", e.hint()))?;
                        // Decoding is work for a blocking thread, not the async ones.
                        tokio::task::spawn_blocking(move || {
                            let picture = super::inspector::Picture::decode(&file.bytes);
                            Arc::new(super::inspector::Loaded { file, picture })
                        })
                        .await
                        .map_err(|e| format!("the file could not be read: {e}"))
                    }
                    .await;
                    let _ = tx.send(Msg::MediaFetched { seq, result });
                });
            }
            Effect::EncodeMedia {
                seq,
                file,
                graphics,
                area,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = match &file.picture {
                        // A kitty image id of its own: another program's images keep theirs.
                        Ok(p) => super::graphics::encode(
                            p,
                            graphics,
                            area,
                            (uuid::Uuid::new_v4().as_u128() as u32) | 1,
                        ),
                        Err(e) => Err(e.clone()),
                    };
                    if let Err(e) = &result {
                        tracing::warn!("media picture not encoded for the terminal: {e}");
                    }
                    let _ = tx.send(Msg::MediaEncoded { seq, result });
                });
            }
            Effect::SaveMedia { seq, path, file } => {
                let tx = self.tx.clone();
                let handle = tokio::task::spawn_blocking(move || {
                    let target = expand_home(&path, std::env::var_os("HOME"));
                    let result = crate::ops::inspect::save_media(&target, &file.file)
                        .map(|()| file.file.bytes.len() as u64)
                        .map_err(|e| super::inspector::SaveFailure {
                            exists: e.kind() == std::io::ErrorKind::AlreadyExists,
                            message: e.to_string(),
                        });
                    match &result {
                        Ok(_) => tracing::info!("media file saved"),
                        Err(e) => {
                            tracing::warn!(exists = e.exists, "media file not saved: {}", e.message)
                        }
                    }
                    let _ = tx.send(Msg::MediaSaved { seq, path, result });
                });
                // A file being written is finished before the app returns.
                self.keep_until_quit(handle);
            }
            // Sent before the main loop draws again, which it does not while the URL shows.
            Effect::ShowUrlLine(url) => {
                let _ = self
                    .screen
                    .send(super::terminal::url_line_bytes(&url, self.mouse));
            }
            Effect::BackFromUrlLine => {
                let _ = self
                    .screen
                    .send(super::terminal::back_from_url_line_bytes(self.mouse));
            }
            Effect::SaveUiState(ui) => {
                self.ui_state_saves.0 += 1;
                let seq = self.ui_state_saves.0;
                let last = self.ui_state_saves.1.clone();
                let path = self.ui_state_file.clone();
                let handle = tokio::task::spawn_blocking(move || {
                    // One save at a time, and only a newer one after another.
                    let Ok(mut last) = last.lock() else {
                        return;
                    };
                    if *last > seq {
                        return;
                    }
                    match super::ui_state::save(&path, &ui) {
                        Ok(()) => *last = seq,
                        Err(e) => tracing::warn!("{}: not saved: {e}", path.display()),
                    }
                });
                // Toggled just before quitting: still kept.
                self.keep_until_quit(handle);
            }
            Effect::OpenUrl(url) => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Opened(super::opener::open_url(&url)));
                });
            }
        }
    }
}

/// A fresh inspection of `record`, kept with it; without the history it is still fetched
/// (and shown), just not kept.
async fn inspect_record(
    client: Result<Client, crate::veriff::ApiError>,
    cell: Arc<OnceCell<SharedStore>>,
    path: crate::history::Location,
    record: &crate::history::Record,
) -> super::inspector::Answer {
    use super::inspector::Answer;
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            return Answer {
                inspection: None,
                error: Some(format!("{e} — {}", e.hint())),
                not_kept: None,
                record: None,
            };
        }
    };
    let store = match shared_store(cell, path).await {
        Ok(s) => s,
        Err(e) => {
            return Answer {
                inspection: Some(crate::ops::inspect::fetch(&client, &record.session_id).await),
                error: None,
                not_kept: Some(e),
                record: None,
            };
        }
    };
    let (inspection, not_kept) = match crate::ops::inspect::inspect(&client, &store, record).await {
        Ok(i) => (i, None),
        Err((i, e)) => (i, Some(e)),
    };
    // The decision was stored on the record as a refresh stores it: the details show it.
    let id = record.id;
    let record = crate::ops::on_store(&store, move |s| s.get(id))
        .await
        .ok()
        .flatten();
    Answer {
        inspection: Some(inspection),
        error: None,
        not_kept,
        record,
    }
}

/// `~/name` in the operator's home, as a shell would have it; anything else as typed
/// (relative to the directory the app was started in).
fn expand_home(path: &str, home: Option<std::ffi::OsString>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) if !home.is_empty() => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clipboard::Method;

    fn runtime() -> Runtime {
        let (tx, _rx) = mpsc::unbounded_channel();
        Runtime {
            tx,
            store: Arc::new(OnceCell::new()),
            history_db: crate::history::Location::File(PathBuf::from(
                "/nonexistent/history.sqlite3",
            )),
            client: None,
            clipboard: Arc::new(Mutex::new(SystemClipboard::with_method(
                Method::Off,
                Box::new(Vec::new()),
            ))),
            writes: Vec::new(),
            screen: mpsc::unbounded_channel().0,
            mouse: false,
            list_seq: Arc::new(AtomicU64::new(0)),
            page_gen: Arc::new(AtomicU64::new(0)),
            jobs: Vec::new(),
            ui_state_file: PathBuf::from("/nonexistent/tui-state.toml"),
            ui_state_saves: (0, Arc::new(Mutex::new(0))),
        }
    }

    #[test]
    fn stop_reaches_its_own_job_only_and_ended_jobs_are_forgotten() {
        let mut rt = runtime();
        let first = rt.job(1);
        let second = rt.job(2);
        rt.run(Effect::Stop { run: 2 });
        assert!(second.is_cancelled());
        assert!(!first.is_cancelled());
        // Job 1 ended (its task dropped its handle): the next job's start forgets it.
        drop(first);
        let _third = rt.job(3);
        let runs: Vec<u64> = rt.jobs.iter().map(|(r, _)| *r).collect();
        assert_eq!(runs, vec![2, 3]);
        rt.stop_jobs();
        assert!(rt.jobs.is_empty());
    }

    #[test]
    fn only_the_newest_list_queries_are_run() {
        let mut rt = runtime();
        let count1 = rt.list_marker(1, false);
        let page1 = rt.list_marker(1, true);
        assert!(count1() && page1());
        // The selection moved on: a later page of the same query overtakes the first.
        let page1b = rt.list_marker(1, true);
        assert!(count1() && !page1() && page1b());
        // The filter changed: everything of query 1 is stale.
        let count2 = rt.list_marker(2, false);
        assert!(!count1() && !page1b() && count2());
    }
}
