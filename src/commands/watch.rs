//! What `analyze` does while the pipeline runs: draws the progress from the pipeline's events and,
//! with `--format jsonl`, streams each recording's record as it finishes.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::Receiver;

use super::output::{write_record, AnalyzeRecord};
use super::stdin::{Spool, STDIN_NAME};
use crate::config::{AnalyzeConfig, OutputFormat};
use crate::model::{InputError, Recording};
use crate::pipeline::{Event, Pass};
use crate::progress::{Progress, Stage};
use crate::text::redact;
use crate::verdict;

/// What the watcher learned: how many findings each streamed recording had (the ones after
/// that come from the cross-recording checks), and whether standard output was closed.
#[derive(Debug, Default)]
pub(crate) struct Watched {
    pub streamed_findings: BTreeMap<String, usize>,
    pub stdout_closed: bool,
}

/// Consumes the pipeline's events until the pipeline drops its sender.
pub(crate) fn watch(
    events: Receiver<Event>,
    config: &AnalyzeConfig,
    spool: Option<&Spool>,
) -> anyhow::Result<Watched> {
    let mut progress: Option<Progress> = None;
    let mut watched = Watched::default();
    let stdout = std::io::stdout();
    for event in events {
        match event {
            Event::Discovered { files } => {
                progress = Some(Progress::new(files, config.asr.enabled, config.quiet));
            }
            Event::Started { path, duration_s } => {
                if let Some(p) = progress.as_mut() {
                    p.started(&path, duration_s);
                }
            }
            Event::Advanced {
                path,
                pass,
                seconds,
            } => {
                let stage = match pass {
                    Pass::Decode => Stage::Decoding,
                    Pass::Transcribe => Stage::Transcribing,
                };
                if let Some(p) = progress.as_mut() {
                    p.advanced(&path, stage, seconds);
                }
            }
            Event::Finished { path, result } => {
                if let Some(p) = progress.as_mut() {
                    p.finished(&path);
                }
                if config.format == OutputFormat::Jsonl && !watched.stdout_closed {
                    let written = stream(*result, config, spool, &mut watched, &mut stdout.lock());
                    match written {
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                            watched.stdout_closed = true;
                        }
                        other => other?,
                    }
                }
            }
        }
    }
    if let Some(p) = progress {
        p.finish();
    }
    Ok(watched)
}

/// One `recording` (with the verdict of its own findings, masked as the report will be) or
/// `error` record.
fn stream(
    result: Result<Recording, InputError>,
    config: &AnalyzeConfig,
    spool: Option<&Spool>,
    watched: &mut Watched,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rename = |path: &mut String| {
        if spool.is_some_and(|s| s.is(path)) {
            *path = STDIN_NAME.into();
        }
    };
    match result {
        Ok(mut recording) => {
            rename(&mut recording.path);
            if let Some(name) = &config.vendor {
                recording.vendor = Some(name.clone());
            }
            recording.verdict = Some(verdict::verdict_of(&recording.findings, &config.verdict));
            if !config.show_pii {
                redact::mask_recording(&mut recording);
            }
            watched
                .streamed_findings
                .insert(recording.path.clone(), recording.findings.len());
            write_record(
                out,
                &AnalyzeRecord::Recording {
                    recording: &recording,
                },
            )
        }
        Err(mut error) => {
            rename(&mut error.path);
            write_record(out, &AnalyzeRecord::Error { error: &error })
        }
    }
}
