//! How far a long operation has got, and the operator's wish to stop it. The export and
//! the refresh of many decisions take a [`Progress`] as an argument, so the CLI's bar and
//! the TUI's status line show the same numbers, and both stop the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Reports are passed on at most this often (the first and the last always): a million
/// records must not become a million messages or redraws.
pub const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Below this much elapsed time a rate is noise, and no time left is guessed.
const MEASURED_AFTER: Duration = Duration::from_millis(250);

/// Asks a running operation to stop; it stops before its next record. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    stop: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.stop.store(true, Ordering::SeqCst);
        self.0.wake.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.stop.load(Ordering::SeqCst)
    }

    /// Resolves once [`Cancel::cancel`] was called: an operation waiting on the network
    /// stops at once rather than after the answers in flight.
    pub async fn cancelled(&self) {
        loop {
            let woken = self.0.wake.notified();
            tokio::pin!(woken);
            // Registered before the flag is read, so a cancel in between is not missed.
            woken.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            woken.await;
        }
    }

    /// Whether someone besides this holder still has it (the operation is running).
    pub fn shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub done: u64,
    pub total: u64,
    /// Since the operation started counting.
    pub elapsed: Duration,
}

impl Report {
    /// Records per second so far; `None` until enough time has passed to measure one.
    pub fn rate(&self) -> Option<f64> {
        if self.elapsed < MEASURED_AFTER || self.done == 0 {
            return None;
        }
        Some(self.done as f64 / self.elapsed.as_secs_f64())
    }

    /// Time left at the rate so far, whole seconds rounded up.
    pub fn left(&self) -> Option<Duration> {
        let rate = self.rate()?;
        let left = self.total.saturating_sub(self.done) as f64 / rate;
        Some(Duration::from_secs(left.ceil() as u64))
    }

    /// `exporting 123,456 of 619,338 · 48,000/s · 8 s left`.
    pub fn describe(&self, doing: &str) -> String {
        let mut s = format!(
            "{doing} {} of {}",
            thousands(self.done),
            thousands(self.total)
        );
        if let Some(rate) = self.rate() {
            s.push_str(&format!(" · {}/s", thousands(rate.round() as u64)));
        }
        if let Some(left) = self.left().filter(|_| self.done < self.total) {
            s.push_str(&format!(" · {} left", duration(left)));
        }
        s
    }
}

/// `619338` as `619,338`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `8 s`, `2 min 5 s`, `1 h 3 min`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

type Sink<'a> = Box<dyn FnMut(Report) + Send + 'a>;

/// An operation's progress: counts what is done, passes reports on to a sink (a bar, a
/// message to the TUI) at most every [`REPORT_EVERY`], and carries the [`Cancel`] the
/// operation checks before each record.
pub struct Progress<'a> {
    cancel: Cancel,
    sink: Option<Sink<'a>>,
    started: Instant,
    last: Option<Instant>,
    done: u64,
    total: u64,
}

impl<'a> Progress<'a> {
    /// Neither reports nor stops: a script's run.
    pub fn silent() -> Self {
        Self::new(Cancel::new())
    }

    /// Stops when `cancel` says so; reports to nobody until [`Progress::reporting`].
    pub fn new(cancel: Cancel) -> Self {
        Self {
            cancel,
            sink: None,
            started: Instant::now(),
            last: None,
            done: 0,
            total: 0,
        }
    }

    /// Passes reports on to `sink`.
    pub fn reporting(mut self, sink: impl FnMut(Report) + Send + 'a) -> Self {
        self.sink = Some(Box::new(sink));
        self
    }

    /// Whether anyone reads the reports: a total that costs a count is worth it only then.
    pub fn reports(&self) -> bool {
        self.sink.is_some()
    }

    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The work is counted: `total` to do, from now. Always reported.
    pub fn start(&mut self, total: u64) {
        self.started = Instant::now();
        self.total = total;
        self.done = 0;
        self.last = None;
        self.pass_on(self.started, true);
    }

    /// `n` more done; reported when the last report is old enough.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        self.pass_on(Instant::now(), false);
    }

    /// The operation ended (or stopped): where it stands, always reported.
    pub fn finish(&mut self) {
        self.pass_on(Instant::now(), true);
    }

    pub fn report(&self) -> Report {
        self.report_at(Instant::now())
    }

    fn report_at(&self, now: Instant) -> Report {
        Report {
            done: self.done,
            // A count made before new records arrived may fall short of what is done.
            total: self.total.max(self.done),
            elapsed: now.saturating_duration_since(self.started),
        }
    }

    fn pass_on(&mut self, now: Instant, always: bool) {
        let due = always
            || self
                .last
                .is_none_or(|last| now.saturating_duration_since(last) >= REPORT_EVERY);
        if !due {
            return;
        }
        let report = self.report_at(now);
        if let Some(sink) = self.sink.as_mut() {
            self.last = Some(now);
            sink(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn report(done: u64, total: u64, ms: u64) -> Report {
        Report {
            done,
            total,
            elapsed: Duration::from_millis(ms),
        }
    }

    #[test]
    fn rate_and_time_left_follow_the_work_so_far() {
        let r = report(96_000, 619_338, 2_000);
        assert_eq!(r.rate(), Some(48_000.0));
        // 523,338 left at 48,000/s is 10.9 s: 11 s, rounded up.
        assert_eq!(r.left(), Some(Duration::from_secs(11)));
        assert_eq!(
            r.describe("exporting"),
            "exporting 96,000 of 619,338 · 48,000/s · 11 s left"
        );
    }

    #[test]
    fn no_rate_is_guessed_too_early_or_from_nothing() {
        assert_eq!(report(10, 100, 100).rate(), None);
        assert_eq!(report(0, 100, 5_000).rate(), None);
        assert_eq!(report(0, 100, 5_000).left(), None);
        assert_eq!(
            report(5, 100, 100).describe("refreshing"),
            "refreshing 5 of 100"
        );
        // Done: no time left is shown.
        assert_eq!(
            report(1_000, 1_000, 2_000).describe("exporting"),
            "exporting 1,000 of 1,000 · 500/s"
        );
    }

    #[test]
    fn numbers_and_durations_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(619_338), "619,338");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(Duration::from_secs(8)), "8 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(duration(Duration::from_secs(3_780)), "1 h 3 min");
    }

    #[test]
    fn reports_are_throttled_but_the_first_and_last_always_pass() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut p = Progress::silent().reporting(move |r| sink.lock().unwrap().push(r.done));
        p.start(1_000);
        let t0 = p.started;
        for i in 1..=1_000u64 {
            p.done = i;
            // 1,000 records in 0.5 s: a report every 100 ms at most.
            p.pass_on(t0 + Duration::from_micros(i * 500), false);
        }
        p.pass_on(t0 + Duration::from_millis(500), true);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.first(), Some(&0));
        assert_eq!(seen.last(), Some(&1_000));
        assert!(seen.len() <= 7, "{seen:?}");
        assert!(seen.len() >= 5, "{seen:?}");
    }

    #[test]
    fn a_total_counted_before_more_records_came_never_shows_more_done_than_total() {
        let mut p = Progress::silent();
        p.start(3);
        p.advance(5);
        assert_eq!(p.report().total, 5);
    }

    #[tokio::test]
    async fn cancel_is_seen_by_every_clone_and_wakes_a_waiter() {
        let cancel = Cancel::new();
        let p = Progress::new(cancel.clone());
        assert!(!p.is_cancelled());
        assert!(cancel.shared());
        let waiter = tokio::spawn({
            let c = cancel.clone();
            async move { c.cancelled().await }
        });
        tokio::task::yield_now().await;
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter woke")
            .expect("the waiter ran");
        assert!(p.is_cancelled());
        // Waiting after the fact returns at once.
        tokio::time::timeout(Duration::from_secs(5), cancel.cancelled())
            .await
            .expect("already cancelled");
        drop(p);
        assert!(!cancel.shared());
    }
}
