//! `--transcripts DIR`: one readable transcript per recording as `.txt` ("Agent: ..."), `.srt` and
//! `.vtt` subtitles. They are written from the report after `text::redact` masked it, so they
//! hide exactly the personal data the report hides (nothing with `--show-pii`).

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::outdir::Staging;
use super::{write_file, ReportWriteError};
use crate::model::{Report, Segment, Transcript};

/// One transcript format's writer.
type Writer = fn(&Transcript, &mut dyn Write) -> std::io::Result<()>;

/// Writes `<name>.txt`, `.srt` and `.vtt` for every transcribed recording into a staging folder
/// and swaps it in place of `dir` (the old transcripts go as a whole); returns the files as they
/// lie in `dir`. `<name>` is the recording's path below the folder all recordings share, its
/// extension kept (`vendA/call.wav` -> `vendA/call.wav.txt`), so two recordings never share one.
pub fn write_transcripts(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ReportWriteError> {
    let staging = Staging::begin(dir)?;
    let transcribed: Vec<(&Path, &Transcript)> = report
        .recordings
        .iter()
        .filter_map(|r| Some((Path::new(&r.path), r.transcript.as_ref()?)))
        .collect();
    let base = common_folder(transcribed.iter().map(|(path, _)| *path));
    let mut written = Vec::new();
    for (path, transcript) in transcribed {
        let name = relative_name(path, &base);
        let formats: [(&str, Writer); 3] =
            [("txt", write_txt), ("srt", write_srt), ("vtt", write_vtt)];
        for (ext, write) in formats {
            let relative = format!("{name}.{ext}");
            let file = staging.dir().join(&relative);
            let result = match file.parent() {
                Some(parent) => std::fs::create_dir_all(parent),
                None => Ok(()),
            }
            .and_then(|()| write_file(&file, |out| write(transcript, out)));
            result.map_err(|source| ReportWriteError::Write {
                file: dir.join(&relative),
                source,
            })?;
            written.push(dir.join(relative));
        }
    }
    staging.commit(false)?;
    Ok(written)
}

/// The longest folder every path lies in (compared component by component).
pub fn common_folder<'a>(paths: impl Iterator<Item = &'a Path>) -> PathBuf {
    let mut common: Option<Vec<Component<'a>>> = None;
    for path in paths {
        let folder: Vec<Component> = path
            .parent()
            .map_or_else(Vec::new, |p| p.components().collect());
        common = Some(match common {
            None => folder,
            Some(prefix) => prefix
                .into_iter()
                .zip(folder)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_default().iter().collect()
}

/// A recording's path below `base` as a relative `/`-joined name that stays inside the
/// transcripts folder (`..` becomes `up`, roots and `.` are dropped).
pub fn relative_name(path: &Path, base: &Path) -> String {
    let parts: Vec<String> = path
        .strip_prefix(base)
        .unwrap_or(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            Component::ParentDir => Some("up".into()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "recording".into()
    } else {
        parts.join("/")
    }
}

/// "Agent" / "Customer" / "Speaker" for unknown.
fn speaker_name(segment: &Segment) -> String {
    let raw = segment.speaker.as_deref().unwrap_or("speaker");
    let mut chars = raw.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// Plain text: one line per turn (consecutive segments of one speaker joined).
pub fn write_txt(transcript: &Transcript, out: &mut dyn Write) -> std::io::Result<()> {
    let mut turns: Vec<(String, Vec<&str>)> = Vec::new();
    for segment in &transcript.segments {
        let who = speaker_name(segment);
        let text = segment.text.as_str();
        match turns.last_mut() {
            Some((last, texts)) if *last == who => texts.push(text),
            _ => turns.push((who, vec![text])),
        }
    }
    for (who, texts) in turns {
        writeln!(out, "{who}: {}", texts.join(" "))?;
    }
    Ok(())
}

/// SubRip subtitles.
pub fn write_srt(transcript: &Transcript, out: &mut dyn Write) -> std::io::Result<()> {
    for (i, segment) in timed(transcript).enumerate() {
        let (start, end) = times(segment);
        writeln!(
            out,
            "{}\n{} --> {}\n{}: {}\n",
            i + 1,
            clock(start, ','),
            clock(end, ','),
            speaker_name(segment),
            segment.text
        )?;
    }
    Ok(())
}

/// WebVTT subtitles with voice tags.
pub fn write_vtt(transcript: &Transcript, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "WEBVTT\n")?;
    for segment in timed(transcript) {
        let (start, end) = times(segment);
        writeln!(
            out,
            "{} --> {}\n<v {}>{}\n",
            clock(start, '.'),
            clock(end, '.'),
            speaker_name(segment),
            segment.text
        )?;
    }
    Ok(())
}

fn timed(transcript: &Transcript) -> impl Iterator<Item = &Segment> {
    transcript.segments.iter().filter(|s| s.start_s.is_some())
}

fn times(segment: &Segment) -> (f64, f64) {
    let start = segment.start_s.unwrap_or(0.0);
    (start, segment.end_s.unwrap_or(start).max(start))
}

/// hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (VTT).
fn clock(seconds: f64, separator: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Word;

    fn seg(speaker: Option<&str>, start: f64, end: f64, text: &str) -> Segment {
        Segment {
            speaker: speaker.map(String::from),
            start_s: Some(start),
            end_s: Some(end),
            text: text.into(),
            words: Vec::<Word>::new(),
        }
    }

    fn transcript() -> Transcript {
        Transcript {
            language: Some("en".into()),
            language_probability: Some(0.9),
            segments: vec![
                seg(Some("agent"), 1.0, 2.5, "Thank you for calling."),
                seg(Some("agent"), 2.6, 3.0, "How can I help?"),
                seg(
                    Some("customer"),
                    3661.25,
                    3662.0,
                    "My card is 4111 1111 1111 1234.",
                ),
            ],
            low_confidence_share: None,
        }
    }

    fn render(write: Writer) -> String {
        let mut out = Vec::new();
        write(&transcript(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn txt_joins_turns() {
        assert_eq!(
            render(write_txt),
            "Agent: Thank you for calling. How can I help?\nCustomer: My card is 4111 1111 1111 1234.\n"
        );
    }

    #[test]
    fn transcripts_of_a_masked_report_hide_what_the_text_rules_found() {
        let mut t = transcript();
        t.segments[2].text =
            "My card is four one one one, one one one one, one one one one, one one one one."
                .into();
        let options = crate::text::scan::ScanOptions::default();
        let findings =
            crate::text::scan::scan_transcript(&crate::text::RuleSet::builtin(), &t, &options);
        assert!(
            findings.iter().any(|f| f.category == "card_number"),
            "{findings:?}"
        );
        let mut recording = crate::model::Recording {
            path: "call.wav".into(),
            transcript: Some(t),
            findings,
            ..Default::default()
        };
        crate::text::redact::mask_recording(&mut recording);
        let mut out = Vec::new();
        write_txt(recording.transcript.as_ref().unwrap(), &mut out).unwrap();
        let txt = String::from_utf8(out).unwrap();
        assert!(txt.contains("Customer: My card is ****"), "{txt}");
        assert!(!txt.contains("one one"), "{txt}");
    }

    #[test]
    fn srt_and_vtt_have_their_time_formats() {
        let srt = render(write_srt);
        assert!(
            srt.starts_with(
                "1\n00:00:01,000 --> 00:00:02,500\nAgent: Thank you for calling.\n\n2\n"
            ),
            "{srt}"
        );
        assert!(
            srt.contains("3\n01:01:01,250 --> 01:01:02,000\nCustomer: My card is"),
            "{srt}"
        );
        let vtt = render(write_vtt);
        assert!(
            vtt.starts_with(
                "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Agent>Thank you for calling.\n"
            ),
            "{vtt}"
        );
    }

    fn report_of(paths: &[&str]) -> Report {
        let recording = |path: &str| crate::model::Recording {
            path: path.into(),
            transcript: Some(transcript()),
            ..Default::default()
        };
        Report {
            schema: crate::model::SCHEMA.into(),
            recordings: paths
                .iter()
                .map(|p| recording(p))
                .chain([crate::model::Recording::default()])
                .collect(),
            errors: vec![],
            skipped: vec![],
            vendors: vec![],
            provenance: None,
        }
    }

    fn written_names(dir: &Path, paths: &[&str]) -> Vec<String> {
        write_transcripts(&report_of(paths), dir)
            .unwrap()
            .iter()
            .map(|f| f.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".txt"))
            .collect()
    }

    #[test]
    fn names_are_unique_by_the_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t");
        assert_eq!(
            written_names(
                &out,
                &[
                    "demos/vendA/call-2.wav",
                    "demos/vendB/call.wav",
                    "demos/vendB/call.mp3"
                ]
            ),
            [
                "vendA/call-2.wav.txt",
                "vendB/call.wav.txt",
                "vendB/call.mp3.txt"
            ]
        );
        assert!(out.join("vendB/call.mp3.vtt").is_file());
        assert_eq!(written_names(&out, &["/abs/one.wav"]), ["one.wav.txt"]);
        assert!(!out.join("vendA").exists(), "the old set went as a whole");
        assert_eq!(
            written_names(&out, &["a.wav", "../b.wav"]),
            ["a.wav.txt", "up/b.wav.txt"]
        );
    }
}
