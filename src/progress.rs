//! The only place that knows indicatif: progress by seconds of audio per stage, the files in
//! flight and an ETA from the measured throughput, drawn on stderr only when it is a terminal.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::escape::terminal;

/// The stages of a file that take time, in the order a file goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Decoding plus every acoustic measurement.
    Decoding,
    /// Speech recognition.
    Transcribing,
}

/// One second of audio through speech recognition costs about this many seconds through
/// decoding and measuring (whisper `base` on a CPU against the streaming measurements): the
/// weight that turns the two stages into one amount of work for the ETA.
const TRANSCRIBE_WEIGHT: f64 = 40.0;

/// No ETA before this much time has passed (seconds) or this share of the work is done: an
/// estimate from the first blocks says nothing.
const ETA_MIN_ELAPSED_S: f64 = 2.0;
const ETA_MIN_DONE: f64 = 0.01;

#[derive(Debug, Default, Clone)]
struct FileTally {
    /// The length the header announced, else the longest decoded so far, seconds.
    duration_s: Option<f64>,
    decoded_s: f64,
    transcribed_s: f64,
    finished: bool,
}

/// The arithmetic behind the bar: audio seconds per stage over the batch, and the ETA.
#[derive(Debug, Clone)]
pub struct Tally {
    total_files: usize,
    transcribing: bool,
    files: BTreeMap<PathBuf, FileTally>,
}

impl Tally {
    /// A batch of `total_files`; `transcribing` when the speech-recognition stage runs.
    pub fn new(total_files: usize, transcribing: bool) -> Self {
        Self {
            total_files,
            transcribing,
            files: BTreeMap::new(),
        }
    }

    /// A file was opened; `duration_s` is what its header announces (seconds), if anything.
    pub fn started(&mut self, path: &Path, duration_s: Option<f64>) {
        self.files.entry(path.to_path_buf()).or_default().duration_s = duration_s;
    }

    /// `seconds` of `path`'s audio went through `stage` so far.
    pub fn advanced(&mut self, path: &Path, stage: Stage, seconds: f64) {
        let file = self.files.entry(path.to_path_buf()).or_default();
        match stage {
            Stage::Decoding => {
                file.decoded_s = seconds;
                // A header that announced too little: the decoded length is the truth.
                file.duration_s = file.duration_s.map(|d| d.max(seconds));
            }
            Stage::Transcribing => file.transcribed_s = seconds,
        }
    }

    /// A file is done (analysed or failed): all its work counts as done.
    pub fn finished(&mut self, path: &Path) {
        let file = self.files.entry(path.to_path_buf()).or_default();
        file.finished = true;
        let length = file.duration_s.unwrap_or(0.0).max(file.decoded_s);
        file.duration_s = Some(length);
        file.decoded_s = length;
        file.transcribed_s = if self.transcribing { length } else { 0.0 };
    }

    fn weight(&self) -> f64 {
        1.0 + if self.transcribing {
            TRANSCRIBE_WEIGHT
        } else {
            0.0
        }
    }

    /// Seconds of audio known or estimated in the batch: the files not opened yet count as the
    /// mean length of those opened; `None` before any length is known.
    pub fn total_audio_s(&self) -> Option<f64> {
        let known: Vec<f64> = self.files.values().filter_map(|f| f.duration_s).collect();
        if known.is_empty() {
            return None;
        }
        let sum: f64 = known.iter().sum();
        let unknown = self.total_files.saturating_sub(known.len());
        Some(sum + sum / known.len() as f64 * unknown as f64)
    }

    /// Seconds of audio decoded and transcribed so far.
    pub fn done_s(&self) -> (f64, f64) {
        self.files.values().fold((0.0, 0.0), |(d, t), f| {
            (d + f.decoded_s, t + f.transcribed_s)
        })
    }

    /// Share of the weighted work done, 0..1; `None` while no length is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_audio_s()? * self.weight();
        let (decoded, transcribed) = self.done_s();
        let weight = if self.transcribing {
            TRANSCRIBE_WEIGHT
        } else {
            0.0
        };
        (total > 0.0).then(|| ((decoded + weight * transcribed) / total).clamp(0.0, 1.0))
    }

    /// Seconds left at the throughput measured over `elapsed_s`; `None` too early to say, and
    /// while nothing is transcribed yet (decoding alone says nothing about the slow stage).
    pub fn eta_s(&self, elapsed_s: f64) -> Option<f64> {
        let done = self.fraction()?;
        let (_, transcribed) = self.done_s();
        if elapsed_s < ETA_MIN_ELAPSED_S
            || done < ETA_MIN_DONE
            || self.transcribing && transcribed == 0.0
        {
            return None;
        }
        Some(elapsed_s * (1.0 - done) / done)
    }

    /// Files finished so far.
    pub fn files_done(&self) -> usize {
        self.files.values().filter(|f| f.finished).count()
    }

    /// The overall line: files, audio seconds per stage and the ETA.
    pub fn summary_line(&self, elapsed_s: f64) -> String {
        let (decoded, transcribed) = self.done_s();
        let total = self
            .total_audio_s()
            .map_or_else(|| "?".to_string(), |t| format!("~{}", seconds(t)));
        let stages = if self.transcribing {
            format!(
                "decoded {}, transcribed {} of {total} audio",
                seconds(decoded),
                seconds(transcribed)
            )
        } else {
            format!("decoded {} of {total} audio", seconds(decoded))
        };
        let eta = self
            .eta_s(elapsed_s)
            .map_or_else(|| "ETA ...".to_string(), |s| format!("ETA {}", seconds(s)));
        format!(
            "{}/{} files · {eta} · {stages}",
            self.files_done(),
            self.total_files
        )
    }

    /// The line of a file in flight: its stage and how far it is.
    pub fn file_line(&self, path: &Path) -> String {
        let Some(file) = self.files.get(path) else {
            return "opening".into();
        };
        let length = file
            .duration_s
            .map_or_else(String::new, |d| format!("/{}", seconds(d)));
        if file.transcribed_s > 0.0 {
            format!("transcribing {}{length}", seconds(file.transcribed_s))
        } else {
            format!("decoding {}{length}", seconds(file.decoded_s))
        }
    }
}

/// `42 s`, `3m 05s`, `1h 02m`.
fn seconds(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

/// Bar resolution: the overall bar's position runs 0..this.
const BAR_STEPS: u64 = 1000;

/// Progress over a batch of files; silent when quiet or when stderr is not a terminal.
pub struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    in_flight: BTreeMap<PathBuf, ProgressBar>,
    tally: Tally,
    start: Instant,
}

impl Progress {
    /// A batch of `total_files`, `transcribing` or not; hidden when `quiet`.
    pub fn new(total_files: usize, transcribing: bool, quiet: bool) -> Self {
        let multi = MultiProgress::new();
        if quiet || !std::io::stderr().is_terminal() {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let overall = multi.add(ProgressBar::new(BAR_STEPS));
        overall.set_style(
            ProgressStyle::with_template("{bar:20} {wide_msg}").expect("a valid progress template"),
        );
        Self {
            multi,
            overall,
            in_flight: BTreeMap::new(),
            tally: Tally::new(total_files, transcribing),
            start: Instant::now(),
        }
    }

    /// A file was opened; `duration_s` is what its header announces (seconds).
    pub fn started(&mut self, path: &Path, duration_s: Option<f64>) {
        self.tally.started(path, duration_s);
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("  {prefix} {wide_msg}")
                .expect("a valid progress template"),
        );
        bar.set_prefix(terminal(&path.display().to_string()).into_owned());
        self.in_flight.insert(path.to_path_buf(), bar);
        self.redraw(path);
    }

    /// `seconds` of `path`'s audio went through `stage`.
    pub fn advanced(&mut self, path: &Path, stage: Stage, seconds: f64) {
        self.tally.advanced(path, stage, seconds);
        self.redraw(path);
    }

    /// A file is done (analysed or failed).
    pub fn finished(&mut self, path: &Path) {
        self.tally.finished(path);
        if let Some(bar) = self.in_flight.remove(path) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.redraw(path);
    }

    fn redraw(&self, path: &Path) {
        let elapsed = self.start.elapsed().as_secs_f64();
        if let Some(fraction) = self.tally.fraction() {
            self.overall
                .set_position((fraction * BAR_STEPS as f64) as u64);
        }
        self.overall.set_message(self.tally.summary_line(elapsed));
        if let Some(bar) = self.in_flight.get(path) {
            bar.set_message(self.tally.file_line(path));
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        for bar in self.in_flight.values() {
            bar.finish_and_clear();
        }
        self.overall.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_eta_at_start_and_a_short_file_gets_seconds_not_hours() {
        let path = Path::new("a.wav");
        let mut tally = Tally::new(1, true);
        assert_eq!(tally.eta_s(0.0), None);
        assert!(tally.summary_line(0.0).contains("ETA ..."));
        tally.started(path, Some(16.0));
        assert_eq!(tally.eta_s(0.5), None, "too early to say");
        tally.advanced(path, Stage::Decoding, 16.0);
        assert_eq!(tally.eta_s(3.0), None, "nothing transcribed yet");
        tally.advanced(path, Stage::Transcribing, 4.0);
        // 16 s decoded + 4 s of 16 transcribed after 3 s: about 8 s to go, not hours.
        let eta = tally.eta_s(3.0).unwrap();
        assert!((5.0..12.0).contains(&eta), "{eta}");
        assert!(tally.summary_line(3.0).contains("transcribed 4 s of ~16 s"));
        assert_eq!(tally.file_line(path), "transcribing 4 s/16 s");
    }

    #[test]
    fn one_long_file_moves_and_unopened_files_count_as_the_mean() {
        let mut tally = Tally::new(3, false);
        let long = Path::new("long.wav");
        tally.started(long, Some(3600.0));
        assert_eq!(tally.total_audio_s(), Some(3.0 * 3600.0));
        tally.advanced(long, Stage::Decoding, 1800.0);
        let half_of_a_third = tally.fraction().unwrap();
        assert!((half_of_a_third - 1.0 / 6.0).abs() < 1e-9);
        tally.finished(long);
        assert_eq!(tally.files_done(), 1);
        let line = tally.summary_line(10.0);
        assert!(
            line.starts_with("1/3 files · ETA 20 s · decoded 1h 00m"),
            "{line}"
        );
    }

    #[test]
    fn a_file_without_announced_length_counts_what_was_decoded() {
        let mut tally = Tally::new(1, false);
        let path = Path::new("stream.mp3");
        tally.started(path, None);
        assert_eq!(tally.fraction(), None);
        tally.advanced(path, Stage::Decoding, 30.0);
        tally.finished(path);
        assert_eq!(tally.fraction(), Some(1.0));
        assert_eq!(seconds(125.0), "2m 05s");
    }
}
