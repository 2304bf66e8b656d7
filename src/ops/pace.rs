//! The pace of a batch (`ops::batch`): how many requests may be in flight, and the pause
//! every request waits out after the server said "too many" (429) or failed (5xx). One
//! [`Pace`] is shared by every row of a run, so one refusal slows the whole run.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::progress::Cancel;

/// The first pause after a 429 or 5xx without `Retry-After`; it doubles up to
/// [`BACKOFF_MAX`] while the server keeps refusing, and halves again with each success.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured; a longer one is waited this long.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(300);

/// The whole run's pace: how many requests may be in flight (`jobs`, halved by each 429 or
/// 5xx, grown back by one after as many successes), and a pause every request waits out
/// after one (the backoff, or the server's `Retry-After` when longer).
pub struct Pace {
    jobs: usize,
    state: Mutex<PaceState>,
    changed: tokio::sync::Notify,
}

#[derive(Debug)]
struct PaceState {
    allowed: usize,
    in_flight: usize,
    resume_at: Option<Instant>,
    backoff: Duration,
    calm: usize,
}

/// A place in flight, given back when dropped.
pub struct Slot<'a>(&'a Pace);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.state.lock() {
            st.in_flight = st.in_flight.saturating_sub(1);
        }
        self.0.changed.notify_waiters();
    }
}

impl Pace {
    pub fn new(jobs: usize) -> Pace {
        Pace {
            jobs: jobs.max(1),
            state: Mutex::new(PaceState {
                allowed: jobs.max(1),
                in_flight: 0,
                resume_at: None,
                backoff: BACKOFF_FIRST,
                calm: 0,
            }),
            changed: tokio::sync::Notify::new(),
        }
    }

    /// Waits for a place in flight and for any pause to end; `None` once cancelled.
    pub async fn enter(&self, cancel: &Cancel) -> Option<Slot<'_>> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the state is read, so a change in between is not missed.
            changed.as_mut().enable();
            if cancel.is_cancelled() {
                return None;
            }
            let pause = {
                let mut st = self.state.lock().ok()?;
                let now = Instant::now();
                match st.resume_at {
                    Some(t) if t > now => Some(t),
                    _ if st.in_flight < st.allowed => {
                        st.in_flight += 1;
                        return Some(Slot(self));
                    }
                    _ => None,
                }
            };
            match pause {
                Some(until) => tokio::select! {
                    () = cancel.cancelled() => return None,
                    () = tokio::time::sleep_until(until.into()) => {}
                },
                None => tokio::select! {
                    () = cancel.cancelled() => return None,
                    () = &mut changed => {}
                },
            }
        }
    }

    /// A 429 or 5xx: fewer in flight, and a pause for every request of at least the
    /// backoff (which doubles) or until `asked` (the server's `Retry-After`, bounded).
    pub fn slowed(&self, asked: Option<Instant>) {
        if let Ok(mut st) = self.state.lock() {
            let now = Instant::now();
            st.allowed = (st.allowed / 2).max(1);
            st.calm = 0;
            let mut until = now + st.backoff;
            if let Some(asked) = asked {
                until = until.max(asked.min(now + RETRY_AFTER_MAX));
            }
            st.resume_at = Some(st.resume_at.map_or(until, |t| t.max(until)));
            st.backoff = (st.backoff * 2).min(BACKOFF_MAX);
        }
        self.changed.notify_waiters();
    }

    /// A success: the backoff halves, and after as many successes as are allowed in
    /// flight, one more may be.
    pub fn eased(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.backoff = (st.backoff / 2).max(BACKOFF_FIRST);
            st.calm += 1;
            if st.calm >= st.allowed && st.allowed < self.jobs {
                st.allowed += 1;
                st.calm = 0;
            }
        }
        self.changed.notify_waiters();
    }

    /// Requests allowed in flight now.
    pub fn allowed(&self) -> usize {
        self.state.lock().map_or(1, |st| st.allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_throttle_pauses_every_request_and_honours_retry_after() {
        let pace = Pace::new(4);
        let cancel = Cancel::new();
        let start = Instant::now();
        // Longer than the first backoff: the server's word wins.
        pace.slowed(Some(start + Duration::from_millis(800)));
        assert_eq!(pace.allowed(), 2, "half as many in flight");
        assert!(pace.enter(&cancel).await.is_some());
        assert!(
            start.elapsed() >= Duration::from_millis(800),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn backoff_doubles_is_bounded_and_eases_with_success() {
        let pace = Pace::new(4);
        let backoff = || pace.state.lock().map(|s| s.backoff).unwrap_or_default();
        let mut seen = Vec::new();
        for _ in 0..10 {
            pace.slowed(None);
            seen.push(backoff());
        }
        assert_eq!(seen[0], BACKOFF_FIRST * 2);
        assert_eq!(seen[9], BACKOFF_MAX);
        assert_eq!(pace.allowed(), 1);
        // A far Retry-After is held to its bound.
        let now = Instant::now();
        pace.slowed(Some(now + Duration::from_secs(86_400)));
        let resume = pace.state.lock().ok().and_then(|s| s.resume_at);
        assert!(resume.is_some_and(|t| t <= Instant::now() + RETRY_AFTER_MAX));
        for _ in 0..20 {
            pace.eased();
        }
        assert_eq!(backoff(), BACKOFF_FIRST);
        assert_eq!(pace.allowed(), 4, "back to every job after successes");
    }

    #[tokio::test]
    async fn in_flight_is_bounded_and_cancel_stops_waiting() {
        let pace = Pace::new(2);
        let cancel = Cancel::new();
        let a = pace.enter(&cancel).await;
        let b = pace.enter(&cancel).await;
        assert!(a.is_some() && b.is_some());
        let third = tokio::time::timeout(Duration::from_millis(50), pace.enter(&cancel)).await;
        assert!(third.is_err(), "a third request went in flight");
        drop(a);
        assert!(pace.enter(&cancel).await.is_some());
        cancel.cancel();
        assert!(pace.enter(&cancel).await.is_none());
    }
}
