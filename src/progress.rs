//! Progress of long work (seeding, import, export, migration): a bar on a terminal,
//! a log line every few seconds otherwise, and a summary at the end.

use std::{
    io::IsTerminal,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a non-terminal run logs how far it got.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// One piece of long work, counted in rows (or another unit named by `unit`).
///
/// Cheap to clone; clones count into the same total.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    label: String,
    unit: &'static str,
    total: Option<u64>,
    done: AtomicU64,
    started: Instant,
    last_log: std::sync::Mutex<Instant>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts counting `label`; `total` is the expected count when it is known.
    ///
    /// Draws a bar only when stderr is a terminal; otherwise the
    /// progress goes to the log every couple of seconds.
    pub fn new(label: impl Into<String>, unit: &'static str, total: Option<u64>) -> Self {
        let label = label.into();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            let template = if total.is_some() {
                "{msg:>12} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}"
            } else {
                "{msg:>12} {spinner} {human_pos} {per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.clone());
            bar
        });
        Self {
            inner: Arc::new(Inner {
                label,
                unit,
                total,
                done: AtomicU64::new(0),
                started: Instant::now(),
                last_log: std::sync::Mutex::new(Instant::now()),
                bar,
            }),
        }
    }

    /// A progress that shows nothing (tests, library callers).
    pub fn hidden(label: impl Into<String>, unit: &'static str) -> Self {
        Self {
            inner: Arc::new(Inner {
                label: label.into(),
                unit,
                total: None,
                done: AtomicU64::new(0),
                started: Instant::now(),
                last_log: std::sync::Mutex::new(Instant::now()),
                bar: Some(ProgressBar::hidden()),
            }),
        }
    }

    /// Counts `n` more units done.
    pub fn inc(&self, n: u64) {
        let done = self.inner.done.fetch_add(n, Ordering::Relaxed) + n;
        match &self.inner.bar {
            Some(bar) => bar.inc(n),
            None => {
                let Ok(mut last) = self.inner.last_log.lock() else {
                    return;
                };
                if last.elapsed() >= LOG_EVERY {
                    *last = Instant::now();
                    let elapsed = self.inner.started.elapsed().as_secs_f64();
                    tracing::info!(
                        work = %self.inner.label,
                        done,
                        total = self.inner.total,
                        unit = self.inner.unit,
                        per_second = (done as f64 / elapsed.max(1e-9)).round() as u64,
                        "progress"
                    );
                }
            }
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.inner.done.load(Ordering::Relaxed)
    }

    /// Time since the work started.
    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Ends the work: clears the bar and returns the one-line summary
    /// ("seed: 1,000,000 rows in 12.3 s (81,300 rows/s)"), which is also logged.
    pub fn finish(&self) -> String {
        if let Some(bar) = &self.inner.bar {
            bar.finish_and_clear();
        }
        let done = self.done();
        let secs = self.elapsed().as_secs_f64();
        let rate = (done as f64 / secs.max(1e-9)).round() as u64;
        let summary = format!(
            "{}: {} {} in {:.1} s ({} {}/s)",
            self.inner.label,
            group(done),
            self.inner.unit,
            secs,
            group(rate),
            self.inner.unit
        );
        tracing::info!(work = %self.inner.label, done, seconds = secs, per_second = rate, "finished");
        summary
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::{Progress, group};

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn counts_and_summarizes() {
        let progress = Progress::hidden("seed", "rows");
        progress.inc(1_500);
        progress.clone().inc(500);
        assert_eq!(progress.done(), 2_000);
        assert!(progress.finish().starts_with("seed: 2,000 rows in "));
    }
}
