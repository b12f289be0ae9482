//! `analyze --redact-audio DIR`: decodes every transcribed recording again and writes a 16-bit
//! WAV copy (same rate and channels) with the personal data the text mask hides replaced by a
//! tone or silence (see `report::redact_audio` for the pure part).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::stdin::STDIN_NAME;

use crate::audio::AudioStream;
use crate::config::{RedactAudio, RedactWith};
use crate::escape::terminal;
use crate::model::{Recording, Report, Transcript};
use crate::report::outdir::Staging;
use crate::report::redact_audio::{
    apply, sample_ranges, unheard_after_cues, Fill, WavWriter, PAD_S,
};
use crate::report::transcripts::{common_folder, relative_name};
use crate::text::redact;

/// One recording to copy: where to decode it from, the name its copy gets, what to hide.
pub struct Job {
    /// The file to decode (the report path, or the spooled standard input).
    source: PathBuf,
    /// The report's path of the recording (names the copy).
    path: String,
    /// Personal-data times, seconds (before padding).
    times: Vec<(f64, f64)>,
    /// Seconds of speech the transcript does not cover, after a personal-data cue, hidden too.
    unheard_s: f64,
}

/// The copies to write, planned on the unmasked report (before `redact::mask_report`): every
/// recording with a transcript and the times of the words the text mask hides. A recording
/// without a transcript is left out (nothing says where its personal data is).
/// `stdin` is the spooled standard input, decoded for the recording named `-`.
pub fn plan(report: &Report, stdin: Option<&Path>) -> Vec<Job> {
    report
        .recordings
        .iter()
        .filter_map(|rec| {
            let transcript = rec.transcript.as_ref()?;
            let mut times = redact::masked_times(transcript, &rec.findings);
            let unheard = unheard_speech(rec, transcript, &times);
            let unheard_s = unheard.iter().map(|(start, end)| end - start).sum();
            times.extend(unheard);
            Some(Job {
                source: match stdin {
                    Some(spool) if rec.path == STDIN_NAME => spool.to_path_buf(),
                    _ => PathBuf::from(&rec.path),
                },
                path: rec.path.clone(),
                times,
                unheard_s,
            })
        })
        .collect()
}

/// Speech of any channel that no transcribed word covers, after a personal-data cue word or a
/// hidden span (see `unheard_after_cues`).
fn unheard_speech(
    rec: &Recording,
    transcript: &Transcript,
    hidden: &[(f64, f64)],
) -> Vec<(f64, f64)> {
    let speech: Vec<(f64, f64)> = rec
        .channels
        .iter()
        .flat_map(|c| c.speech_regions.iter().map(|r| (r.start_s, r.end_s)))
        .collect();
    let heard: Vec<(f64, f64)> = transcript
        .segments
        .iter()
        .flat_map(redact::timed_pieces)
        .map(|(_, start, end)| (start, end))
        .collect();
    let mut anchors = redact::cue_times(transcript);
    anchors.extend(hidden.iter().map(|(_, end)| *end));
    unheard_after_cues(&speech, &heard, &anchors)
}

/// Writes the copies into a staging folder swapped in place of `options.dir` as a whole;
/// `<name>.wav` where `<name>` is the recording's path below the folder all recordings share
/// (`vendA/call.ogg` -> `vendA/call.ogg.wav`; standard input -> `stdin.wav`). Recordings left
/// out are named on standard error.
pub fn write(
    jobs: &[Job],
    report: &Report,
    options: &RedactAudio,
    quiet: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    for rec in report.recordings.iter().filter(|r| r.transcript.is_none()) {
        eprintln!(
            "callqa: warning: {}: no transcript, so no redacted copy was written",
            terminal(&rec.path)
        );
    }
    let staging = Staging::begin(&options.dir)?;
    let base = common_folder(
        jobs.iter()
            .filter(|j| j.path != STDIN_NAME)
            .map(|j| Path::new(&j.path)),
    );
    let fill = match options.with {
        RedactWith::Tone => Fill::Tone,
        RedactWith::Silence => Fill::Silence,
    };
    let mut written = Vec::new();
    for job in jobs {
        let name = if job.path == STDIN_NAME {
            "stdin.wav".to_string()
        } else {
            format!("{}.wav", relative_name(Path::new(&job.path), &base))
        };
        let file = staging.dir().join(&name);
        if let Err(err) = copy_redacted(job, &file, fill) {
            let _ = std::fs::remove_file(&file);
            return Err(err.context(format!(
                "cannot write the redacted copy of {}",
                terminal(&job.path)
            )));
        }
        if job.unheard_s > 0.0 && !quiet {
            eprintln!(
                "callqa: {}: {:.1} s of speech after a personal-data cue that the transcript does not cover is hidden too",
                terminal(&job.path),
                job.unheard_s
            );
        }
        written.push(options.dir.join(name));
    }
    staging.commit(false)?;
    if !quiet {
        eprintln!(
            "callqa: {} redacted recording(s) written to {}",
            written.len(),
            terminal(&options.dir.display().to_string())
        );
    }
    Ok(written)
}

/// Decodes `job.source` block by block, covers its personal-data ranges and writes the WAV.
fn copy_redacted(job: &Job, file: &Path, fill: Fill) -> anyhow::Result<()> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut stream = AudioStream::open(&job.source)
        .with_context(|| format!("cannot decode {}", job.source.display()))?;
    let rate = stream.info().sample_rate_hz;
    let channels = u16::try_from(stream.info().channels).context("too many channels")?;
    let ranges = sample_ranges(&job.times, rate, PAD_S);
    let out = std::io::BufWriter::new(std::fs::File::create(file)?);
    let mut writer = WavWriter::new(out, rate, channels)?;
    let mut at = 0u64;
    while let Some(mut block) = stream.next_block()? {
        let frames = block.first().map_or(0, Vec::len) as u64;
        apply(&mut block, at, &ranges, fill, rate);
        writer.write_block(&block)?;
        at += frames;
    }
    let out = writer.finish()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}
