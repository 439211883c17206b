//! Progress bars for long steps (indicatif), silent with `--quiet` or `--json`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let multi = MultiProgress::new();
        if quiet {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Progress { multi, quiet }
    }

    pub fn hidden() -> Progress {
        Progress::new(true)
    }

    /// A bar of `len` steps labelled `msg`.
    pub fn bar(&self, len: u64, msg: impl Into<String>) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:<32} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(msg.into());
        bar
    }

    /// A line above the bars (suppressed when quiet).
    pub fn println(&self, line: impl AsRef<str>) {
        if !self.quiet {
            let _ = self.multi.println(line.as_ref());
        }
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }
}
