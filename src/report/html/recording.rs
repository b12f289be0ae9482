//! One recording's part of the report: player, provenance line, verdict and flags, key figures,
//! conversation metrics, findings (timestamps seek the player, linked recordings are links,
//! structured details are tables), plots and the transcript with findings highlighted.

use std::fmt::Write as _;

use super::{audio_url, clock, escape, figure, flag_tags, level_badge, HtmlOptions};
use crate::model::{
    ChannelMeasures, ConversationMetrics, Finding, FindingKind, Recording, Report, Segment,
    Severity, TimeRange, Transcript, CROSS_VENDOR,
};
use crate::report::enum_name;
use crate::report::plots::{self, Lane, Mark, SpectrogramGrid};
use crate::verdict::{vendor_name, Flag};

/// Time ranges listed per finding before "and N more".
const RANGES_SHOWN: usize = 6;
/// The staged-dialogue finding's category when the call could not be judged.
const NOT_JUDGED: &str = "not_enough_speech";

/// A link that seeks the recording's player to `seconds` (plain text when printed).
fn seek(seconds: f64, text: &str) -> String {
    format!("<a class=\"ts\" href=\"#\" data-t=\"{seconds:.2}\">{text}</a>")
}

/// The whole section of recording `index`.
pub(super) fn section(
    html: &mut String,
    report: &Report,
    index: usize,
    options: &HtmlOptions,
    grid: SpectrogramGrid,
) {
    let rec = &report.recordings[index];
    let _ = writeln!(html, "<section class=\"recording\" id=\"rec-{index}\">");
    let _ = writeln!(
        html,
        "<h3>{} {}</h3>",
        level_badge(rec.verdict.as_ref().map(|v| v.level)),
        escape(&rec.path)
    );
    provenance_line(html, report);
    player(html, rec, options);
    facts_line(html, rec);
    flags_line(html, rec);
    key_figures(html, rec);
    conversation(html, rec.conversation.as_ref());
    findings_list(html, report, index);
    plot_block(
        html,
        &format!(
            "Speaker timeline <span class=\"muted\">(seconds; overlaps red, pauses of {} s or more grey)</span>",
            plots::LONG_PAUSE_S
        ),
        timeline(rec),
    );
    plot_block(
        html,
        "Spectrogram <span class=\"muted\">(seconds × kHz, colour = level in dBFS; noise and crosstalk findings shaded)</span>",
        spectrogram(rec, grid),
    );
    plot_block(
        html,
        "Noise spectrum <span class=\"muted\">(Hz, log scale × dBFS per Hz)</span>",
        plots::noise_spectrum_svg(&rec.plots.noise_spectrum),
    );
    transcript(html, index, rec);
    for warning in &rec.warnings {
        let _ = writeln!(
            html,
            "<p class=\"muted\">Decoder warning: {}</p>",
            escape(warning)
        );
    }
    html.push_str("</section>\n");
}

/// Date, version, model, facts file and thresholds of the run, short; the full table is at the top.
fn provenance_line(html: &mut String, report: &Report) {
    let Some(p) = &report.provenance else {
        html.push_str("<p class=\"muted\">Provenance not recorded.</p>\n");
        return;
    };
    let file_name = |path: &String| {
        std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned())
    };
    let model = p.model.as_ref().map_or("not transcribed".into(), file_name);
    let facts = p.facts_file.as_ref().map_or("no facts file".into(), |f| {
        format!("facts {}", file_name(f))
    });
    let thresholds = p
        .config_file
        .as_ref()
        .map_or("default thresholds".into(), |f| {
            format!("thresholds of {}", file_name(f))
        });
    let _ = writeln!(
        html,
        "<p class=\"muted\">Analysed {} · callqa {} · model {} · {} · {} · <a href=\"#provenance\">options</a></p>",
        escape(&p.created_utc),
        escape(&p.callqa_version),
        escape(&model),
        escape(&facts),
        escape(&thresholds)
    );
}

/// The `<audio>` player, linking the recording relative to the report folder.
fn player(html: &mut String, rec: &Recording, options: &HtmlOptions) {
    match audio_url(&rec.path, options) {
        Some(url) => {
            let _ = writeln!(
                html,
                "<audio controls preload=\"none\" src=\"{}\">The recording: <a href=\"{0}\">{}</a></audio>",
                escape(&url),
                escape(&rec.path)
            );
        }
        None => html.push_str("<p class=\"muted noprint\">No player: the report was rendered without its folder.</p>\n"),
    }
}

fn facts_line(html: &mut String, rec: &Recording) {
    let language = rec
        .transcript
        .as_ref()
        .and_then(|t| t.language.as_deref())
        .unwrap_or("–");
    let _ = writeln!(
        html,
        "<p>Vendor <b>{}</b> · {} · {} · {} Hz · {} channel(s) · language {}</p>",
        escape(&vendor_name(rec)),
        clock(rec.duration_s),
        escape(&rec.codec),
        rec.sample_rate_hz,
        rec.channels.len(),
        escape(language)
    );
}

fn flags_line(html: &mut String, rec: &Recording) {
    let Some(verdict) = &rec.verdict else {
        return;
    };
    let _ = writeln!(
        html,
        "<p>Red flags ({}): {} · score {}</p>",
        verdict.flags.len(),
        flag_tags(&verdict.flags),
        verdict.score
    );
}

fn channel_name(ch: &ChannelMeasures, count: usize) -> String {
    match (count, ch.index) {
        (1, _) => "mono".into(),
        (2, 0) => "left".into(),
        (2, 1) => "right".into(),
        (_, i) => format!("ch {}", i + 1),
    }
}

fn background_voices(ch: &ChannelMeasures) -> String {
    let voices = &ch.background_voices;
    match (voices.detected, voices.level_db_below_foreground) {
        (false, _) => "no".into(),
        (true, Some(db)) => format!("yes, {db:.0} dB below"),
        (true, None) => "yes".into(),
    }
}

fn key_figures(html: &mut String, rec: &Recording) {
    html.push_str("<h4>Key figures</h4>\n<table class=\"figures\">\n<tr><th>Channel</th><th>SNR</th><th>Noise floor</th><th>Loudness</th><th>Bandwidth</th><th>Speech</th><th>Noise</th><th>Background voices</th></tr>\n");
    for ch in &rec.channels {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0}%</td><td>{}</td><td>{}</td></tr>",
            channel_name(ch, rec.channels.len()),
            figure(ch.snr_db, 1, "dB"),
            figure(ch.noise_floor_dbfs, 1, "dBFS"),
            figure(ch.loudness_lufs, 1, "LUFS"),
            figure(ch.bandwidth_hz, 0, "Hz"),
            ch.speech_fraction * 100.0,
            escape(if ch.noise_label.is_empty() { "–" } else { &ch.noise_label }),
            background_voices(ch)
        );
    }
    html.push_str("</table>\n");
    for bleed in &rec.bleed {
        let _ = writeln!(
            html,
            "<p>Bleed channel {} → {}: {}</p>",
            bleed.from_channel + 1,
            bleed.to_channel + 1,
            figure(bleed.level_db, 1, "dB")
        );
    }
}

/// Talk ratio, pace and monologues per speaker; silence, overlaps and interruptions of the call.
fn conversation(html: &mut String, metrics: Option<&ConversationMetrics>) {
    html.push_str("<h4>Conversation</h4>\n");
    let Some(m) = metrics else {
        html.push_str(
            "<p class=\"muted\">No conversation metrics (needs a timed transcript).</p>\n",
        );
        return;
    };
    html.push_str("<table>\n<tr><th>Speaker</th><th>Talk time</th><th>Share of talk</th><th>Words</th><th>Words/min</th><th>Longest monologue</th></tr>\n");
    for s in &m.speakers {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&s.speaker),
            figure(Some(s.talk_time_s), 1, "s"),
            s.talk_ratio * 100.0,
            s.words,
            figure(s.words_per_minute, 0, ""),
            figure(Some(s.longest_monologue_s), 1, "s")
        );
    }
    html.push_str("</table>\n");
    let interruptions: Vec<String> = m
        .interruptions
        .iter()
        .map(|i| format!("{} of {}: {}", escape(&i.by), escape(&i.of), i.count))
        .collect();
    let _ = writeln!(
        html,
        "<p>Silence (2 s or more): {} stretch(es), {} in all ({:.1}% of the call), longest {} · overlaps: {}, {} · interruptions: {} · median response gap {}</p>",
        m.silence.count,
        figure(Some(m.silence.total_s), 1, "s"),
        m.silence.percent_of_call + 0.0,
        figure(Some(m.silence.longest_s), 1, "s"),
        m.overlaps.count,
        figure(Some(m.overlaps.total_s), 1, "s"),
        if interruptions.is_empty() { "none".into() } else { interruptions.join(", ") },
        figure(m.median_response_gap_s, 2, "s")
    );
}

/// A JSON value as text: strings unquoted, fractions to three significant decimals at most.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "–".into(),
        serde_json::Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            let rounded = (n.as_f64().unwrap_or(f64::NAN) * 1000.0).round() / 1000.0 + 0.0;
            let shown = format!("{rounded:.3}");
            shown
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        }
        other => other.to_string(),
    }
}

/// A list of JSON objects as a table whose columns are the keys: `name` first, then the others in
/// alphabetical order.
fn object_table(rows: &[serde_json::Value]) -> Option<String> {
    let objects: Vec<&serde_json::Map<String, serde_json::Value>> =
        rows.iter().map(|r| r.as_object()).collect::<Option<_>>()?;
    let mut columns: Vec<&String> = objects.iter().flat_map(|o| o.keys()).collect();
    columns.sort_by_key(|key| (key.as_str() != "name", key.as_str()));
    columns.dedup();
    let mut table = String::from("<table class=\"details\"><tr>");
    for column in &columns {
        let _ = write!(table, "<th>{}</th>", escape(&column.replace('_', " ")));
    }
    table.push_str("</tr>");
    for object in objects {
        table.push_str("<tr>");
        for column in &columns {
            let cell = object.get(*column).map_or_else(String::new, plain);
            let _ = write!(table, "<td>{}</td>", escape(&cell));
        }
        table.push_str("</tr>");
    }
    table.push_str("</table>");
    Some(table)
}

/// The finding's details: lists of records as tables, the other recording as a link, the rest as
/// `name: value` pairs.
fn details(html: &mut String, report: &Report, finding: &Finding) {
    let mut pairs: Vec<String> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    for (key, value) in &finding.details {
        let table = value.as_array().and_then(|rows| object_table(rows));
        match (key.as_str(), table) {
            ("other_recording", _) => {
                let other = plain(value);
                let link = match report.recordings.iter().position(|r| r.path == other) {
                    Some(i) => format!("<a href=\"#rec-{i}\">{}</a>", escape(&other)),
                    None => escape(&other),
                };
                pairs.push(format!("other recording: {link}"));
            }
            (CROSS_VENDOR, _) if finding.message.contains("another vendor") => {}
            (CROSS_VENDOR, _) => pairs.push("another vendor's recording (not counted)".into()),
            (_, Some(table)) => tables.push(format!(
                "<div>{}:</div>{table}",
                escape(&key.replace('_', " "))
            )),
            _ => pairs.push(format!(
                "{}: {}",
                escape(&key.replace('_', " ")),
                escape(&plain(value))
            )),
        }
    }
    if !pairs.is_empty() {
        let _ = write!(html, " <span class=\"muted\">({})</span>", pairs.join(", "));
    }
    for table in tables {
        html.push_str(&table);
    }
}

fn time_ranges(ranges: &[TimeRange]) -> String {
    let mut parts: Vec<String> = ranges
        .iter()
        .take(RANGES_SHOWN)
        .map(|r| {
            seek(
                r.start_s,
                &format!("{}–{}", clock(r.start_s), clock(r.end_s)),
            )
        })
        .collect();
    if ranges.len() > RANGES_SHOWN {
        parts.push(format!("and {} more", ranges.len() - RANGES_SHOWN));
    }
    parts.join(", ")
}

/// When a text finding was said: the start of its transcript segment.
fn segment_time(rec: &Recording, line: Option<usize>) -> Option<f64> {
    let segments = &rec.transcript.as_ref()?.segments;
    segments.get(line?.checked_sub(1)?)?.start_s
}

/// What a finding says: a call too short to score reads as "not judged", never as a staged-call flag.
fn message(rec: &Recording, finding: &Finding) -> String {
    if finding.category != NOT_JUDGED {
        return escape(&finding.message);
    }
    let reason = finding
        .message
        .split_once('(')
        .map_or(finding.message.as_str(), |(_, why)| {
            why.trim_end_matches(')')
        });
    let flagged = rec
        .verdict
        .as_ref()
        .is_some_and(|v| v.flags.iter().any(|f| f == Flag::StagedCall.as_str()));
    let source = match flagged {
        true => "; the Staged call flag comes from the other findings",
        false => "",
    };
    format!(
        "dialogue not scored for staging ({}){source}",
        escape(reason)
    )
}

/// The finding's one display name: its flag, then its category.
fn finding_name(finding: &Finding) -> String {
    let flag = match finding.category.as_str() {
        NOT_JUDGED => "Not judged".to_string(),
        _ => Flag::of(finding).label().to_string(),
    };
    format!(
        "<span class=\"flag-tag\">{}</span> <code>{}</code>",
        escape(&flag),
        escape(&finding.category)
    )
}

fn finding_item(
    html: &mut String,
    report: &Report,
    index: usize,
    number: usize,
    finding: &Finding,
) {
    let rec = &report.recordings[index];
    let severity = enum_name(&finding.severity);
    let _ = write!(
        html,
        "<li id=\"rec-{index}-f-{number}\"><span class=\"sev sev-{severity}\">{severity}</span> {} {}",
        finding_name(finding),
        message(rec, finding)
    );
    if let Some(excerpt) = &finding.excerpt {
        let _ = write!(html, " — “{}”", escape(excerpt));
    }
    if let Some(speaker) = &finding.speaker {
        let _ = write!(html, " <span class=\"muted\">({})</span>", escape(speaker));
    }
    if let Some(at) = segment_time(rec, finding.line) {
        let _ = write!(html, " {}", seek(at, &format!("at {}", clock(at))));
    } else if let Some(line) = finding.line {
        let _ = write!(html, " <span class=\"ts\">line {line}</span>");
    }
    if !finding.time_ranges.is_empty() {
        let _ = write!(html, " {}", time_ranges(&finding.time_ranges));
    }
    details(html, report, finding);
    html.push_str("</li>\n");
}

fn findings_list(html: &mut String, report: &Report, index: usize) {
    let rec = &report.recordings[index];
    let _ = writeln!(html, "<h4>Findings ({})</h4>", rec.findings.len());
    if rec.findings.is_empty() {
        html.push_str("<p class=\"muted\">None.</p>\n");
        return;
    }
    html.push_str("<ol class=\"findings\">\n");
    for (number, finding) in rec.findings.iter().enumerate() {
        finding_item(html, report, index, number + 1, finding);
    }
    html.push_str("</ol>\n");
}

fn plot_block(html: &mut String, title: &str, plot: Result<String, String>) {
    let _ = writeln!(html, "<div class=\"plot\"><h4>{title}</h4>");
    match plot {
        Ok(svg) => {
            html.push_str(svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
        }
        Err(reason) => {
            let _ = write!(html, "<p class=\"muted\">{}</p>", escape(&reason));
        }
    }
    html.push_str("\n</div>\n");
}

/// Lanes from the timed transcript segments (one per speaker), else from each channel's speech regions.
pub fn speaker_lanes(rec: &Recording) -> Vec<Lane> {
    let timed: Vec<&Segment> = rec
        .transcript
        .iter()
        .flat_map(|t| &t.segments)
        .filter(|s| s.start_s.is_some() && s.end_s.is_some())
        .collect();
    if timed.is_empty() {
        return rec
            .channels
            .iter()
            .map(|ch| Lane {
                name: channel_name(ch, rec.channels.len()),
                regions: ch.speech_regions.clone(),
            })
            .collect();
    }
    let mut lanes: Vec<Lane> = Vec::new();
    for segment in timed {
        let name = segment.speaker.clone().unwrap_or_else(|| "speaker?".into());
        let region = TimeRange::new(segment.start_s.unwrap_or(0.0), segment.end_s.unwrap_or(0.0));
        match lanes.iter_mut().find(|lane| lane.name == name) {
            Some(lane) => lane.regions.push(region),
            None => lanes.push(Lane {
                name,
                regions: vec![region],
            }),
        }
    }
    lanes
}

fn timeline(rec: &Recording) -> Result<String, String> {
    let lanes = speaker_lanes(rec);
    if lanes.iter().all(|l| l.regions.is_empty()) {
        return Err("No speech regions or timed transcript to draw.".into());
    }
    plots::timeline_svg(&lanes, rec.duration_s)
}

fn spectrogram(rec: &Recording, grid: SpectrogramGrid) -> Result<String, String> {
    let Some(spectrogram) = &rec.plots.spectrogram else {
        return Err("No spectrogram recorded.".into());
    };
    let marks: Vec<Mark> = rec
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::Noise | FindingKind::Crosstalk))
        .flat_map(|f| {
            f.time_ranges.iter().map(|range| Mark {
                range: *range,
                label: f.category.replace('_', " "),
            })
        })
        .collect();
    plots::spectrogram_svg(spectrogram, &marks, grid)
}

/// A finding's highlight in a segment: byte range and finding number (1-based).
struct Highlight {
    start: usize,
    end: usize,
    number: usize,
    severity: Severity,
}

fn aligned(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn highlights_of(rec: &Recording, segment_index: usize, text: &str) -> Vec<Highlight> {
    rec.findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.line == Some(segment_index + 1))
        .filter_map(|(i, f)| {
            let [start, end] = f.span?;
            let (start, end) = (aligned(text, start), aligned(text, end));
            (start < end).then_some(Highlight {
                start,
                end,
                number: i + 1,
                severity: f.severity,
            })
        })
        .collect()
}

/// Segment text with findings' spans in `<mark>` and a link to each finding after its span.
fn highlighted(text: &str, highlights: &[Highlight], index: usize) -> String {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    cuts.extend(highlights.iter().flat_map(|h| [h.start, h.end]));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::new();
    for piece in cuts.windows(2) {
        let (start, end) = (piece[0], piece[1]);
        let worst = highlights
            .iter()
            .filter(|h| h.start <= start && end <= h.end)
            .map(|h| h.severity)
            .max();
        match worst {
            Some(severity) => {
                let _ = write!(
                    out,
                    "<mark class=\"{}\">{}</mark>",
                    enum_name(&severity),
                    escape(&text[start..end])
                );
            }
            None => out.push_str(&escape(&text[start..end])),
        }
        for h in highlights.iter().filter(|h| h.end == end) {
            let _ = write!(
                out,
                "<sup><a href=\"#rec-{index}-f-{0}\">[{0}]</a></sup>",
                h.number
            );
        }
    }
    out
}

/// Numbers of findings on a segment without a span (linked after the segment).
fn line_only_findings(rec: &Recording, segment_index: usize) -> Vec<usize> {
    rec.findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.line == Some(segment_index + 1) && f.span.is_none())
        .map(|(i, _)| i + 1)
        .collect()
}

fn transcript(html: &mut String, index: usize, rec: &Recording) {
    html.push_str("<h4>Transcript</h4>\n");
    let Some(Transcript { segments, .. }) = &rec.transcript else {
        html.push_str("<p class=\"muted\">No transcript.</p>\n");
        return;
    };
    html.push_str("<div class=\"transcript\">\n");
    for (segment_index, segment) in segments.iter().enumerate() {
        html.push_str("<p>");
        if let Some(start) = segment.start_s {
            html.push_str(&seek(start, &clock(start)));
        }
        if let Some(speaker) = &segment.speaker {
            let _ = write!(html, "<span class=\"speaker\">{}:</span>", escape(speaker));
        }
        let highlights = highlights_of(rec, segment_index, &segment.text);
        html.push_str(&highlighted(&segment.text, &highlights, index));
        for number in line_only_findings(rec, segment_index) {
            let _ = write!(
                html,
                " <sup><a href=\"#rec-{index}-f-{number}\">[{number}]</a></sup>"
            );
        }
        html.push_str("</p>\n");
    }
    html.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_wrap_spans_and_link_findings_even_when_overlapping() {
        let text = "buy now <today> only";
        let highlights = [
            Highlight {
                start: 0,
                end: 7,
                number: 1,
                severity: Severity::Medium,
            },
            Highlight {
                start: 4,
                end: 15,
                number: 2,
                severity: Severity::High,
            },
        ];
        let html = highlighted(text, &highlights, 3);
        assert_eq!(
            html,
            "<mark class=\"medium\">buy </mark><mark class=\"high\">now</mark><sup><a href=\"#rec-3-f-1\">[1]</a></sup>\
<mark class=\"high\"> &lt;today&gt;</mark><sup><a href=\"#rec-3-f-2\">[2]</a></sup> only"
        );
    }

    #[test]
    fn lists_of_records_become_tables() {
        let signals = serde_json::json!([
            {"name": "pause_regularity", "value": 0.8, "note": "even <pauses>"},
            {"name": "fillers", "value": 0, "unit": "per min"}
        ]);
        let table = object_table(signals.as_array().unwrap()).unwrap();
        assert!(table.starts_with("<table class=\"details\"><tr><th>name</th><th>note</th><th>unit</th><th>value</th></tr>"), "{table}");
        assert!(table.contains(
            "<td>pause_regularity</td><td>even &lt;pauses&gt;</td><td></td><td>0.8</td>"
        ));
        assert!(object_table(&[serde_json::json!(1)]).is_none());
        assert_eq!(plain(&serde_json::json!(-1.825000000044)), "-1.825");
        assert_eq!(plain(&serde_json::json!(0.1)), "0.1");
        assert_eq!(plain(&serde_json::json!(-0.0001)), "0");
        assert_eq!(plain(&serde_json::json!(42)), "42");
    }

    #[test]
    fn an_unjudged_call_never_reads_as_a_staged_call() {
        let finding = Finding::new(
            FindingKind::StagedDialogue,
            NOT_JUDGED,
            Severity::Info,
            "not enough speech to judge whether the call is staged (40 words, 1 speaker changes; needs 60 and 4)",
        );
        let rec = Recording {
            verdict: Some(crate::model::Verdict {
                level: crate::model::Level::Yellow,
                flags: vec!["staged_call".into()],
                score: 1.0,
            }),
            ..Recording::default()
        };
        let text = message(&rec, &finding);
        assert!(!text.contains("not enough speech to judge"), "{text}");
        assert!(
            text.starts_with("dialogue not scored for staging (40 words"),
            "{text}"
        );
        assert!(text.ends_with("comes from the other findings"));
        assert!(finding_name(&finding).contains("Not judged"));
    }
}
