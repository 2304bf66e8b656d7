//! `dev-seed-history` (hidden, feature dev-seed; see README, Performance): fills a history
//! with fake records.

use super::{DevSeedArgs, Failure, Outcome, output};
use crate::config::Settings;

pub(super) fn run(settings: &Settings, args: DevSeedArgs) -> Outcome {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let location = settings.history_location();
    let report = crate::history::seed::fill_at(&location, args.count, seed).map_err(|e| {
        Failure::from(e).hint("use --data-dir (or another [history] url) to fill a separate history, or another --seed")
    })?;
    output::line(&format!(
        "added {} fake records to {} in {:.1} s (seed {seed})",
        report.inserted,
        location,
        report.elapsed.as_secs_f64()
    ))
}
