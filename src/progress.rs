//! The only place that knows indicatif: a file-count progress bar, hidden when stderr is not a terminal.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::escape::terminal;

/// Progress over a batch of files; silent when quiet or not on a terminal.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(total_files: u64, quiet: bool) -> Self {
        let bar = ProgressBar::new(total_files);
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} files, ETA {eta} {wide_msg}")
                    .expect("a valid progress template"),
            );
        }
        Self { bar }
    }

    /// Counts one file as done (analysed or failed).
    pub fn file_done(&self, path: &Path) {
        self.bar
            .set_message(terminal(&path.display().to_string()).into_owned());
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
