//! `report.html`: one self-contained page a manager opens or prints (inline CSS and SVG, no script,
//! no network): vendor scorecard, then per recording its verdict, figures, plots, findings and transcript.

use std::fmt::Write as _;
use std::io::Write;

use super::plots::{self, Lane, Mark, SpectrogramGrid};
use super::Export;
use crate::model::{
    ChannelMeasures, Finding, FindingKind, Recording, Report, Segment, Severity, TimeRange,
    Transcript, VendorSummary,
};
use crate::verdict::{level_name, vendor_name, Flag};

/// The finest spectrogram thumbnail, cells (time columns x frequency rows).
const FULL_GRID: SpectrogramGrid = SpectrogramGrid {
    columns: 96,
    rows: 24,
};
/// The coarsest spectrogram thumbnail, however many recordings there are.
const COARSEST_GRID: SpectrogramGrid = SpectrogramGrid {
    columns: 24,
    rows: 8,
};
/// All spectrogram cells of one report together stay under this, so 200 recordings stay well under 20 MB.
const REPORT_SPECTROGRAM_CELLS: usize = 100_000;

/// The HTML report.
pub struct HtmlExport;

impl Export for HtmlExport {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The spectrogram grid for a report of `recordings`, shrunk evenly in both directions to the budget.
pub fn spectrogram_grid(recordings: usize) -> SpectrogramGrid {
    let full = FULL_GRID.columns * FULL_GRID.rows;
    let per_recording = REPORT_SPECTROGRAM_CELLS / recordings.max(1);
    if per_recording >= full {
        return FULL_GRID;
    }
    let scale = (per_recording as f64 / full as f64).sqrt();
    SpectrogramGrid {
        columns: ((FULL_GRID.columns as f64 * scale) as usize).max(COARSEST_GRID.columns),
        rows: ((FULL_GRID.rows as f64 * scale) as usize).max(COARSEST_GRID.rows),
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.4;padding:0 12px}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:1.6em}
h3{margin:.2em 0}h4{margin:1em 0 .3em;color:#444}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600}td.num{text-align:right}
.scorecard th.flag{writing-mode:vertical-rl;transform:rotate(180deg);font-size:.8em;white-space:nowrap}
.scorecard td.zero{color:#bbb}
.level{display:inline-block;padding:1px 9px;border-radius:9px;font-weight:700;text-transform:uppercase;font-size:.85em;border:1px solid #0003}
.green{background:#2e9d46;color:#fff}.yellow{background:#f2cf1d;color:#222}.orange{background:#f08a24;color:#222}.red{background:#d0312d;color:#fff}
.muted{color:#777}.recording{border:1px solid #ccc;border-radius:6px;padding:10px 16px;margin:18px 0}
.findings li{margin:.15em 0}.sev{font-weight:700;text-transform:uppercase;font-size:.8em}
.sev-high{color:#b00}.sev-medium{color:#b65c00}.sev-low{color:#666}.sev-info{color:#888}
mark{padding:0 1px;border-radius:2px}mark.high{background:#ffb3b3}mark.medium{background:#ffd59e}mark.low,mark.info{background:#eee}
.transcript p{margin:.15em 0}.ts{font-family:ui-monospace,monospace;color:#777;font-size:.85em;margin-right:.4em}
.speaker{font-weight:600;margin-right:.3em}.plot svg{width:100%;max-width:900px;height:auto;display:block}
.plot{break-inside:avoid}ul.toc{columns:2;font-size:.9em}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{body{margin:0;max-width:none}.recording{break-before:page;border:none}a{color:inherit;text-decoration:none}}
";

/// The whole page.
pub fn render(report: &Report) -> String {
    let grid = spectrogram_grid(report.recordings.len());
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>callqa report</title>\n<style>");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<h1>Call recording audit</h1>\n");
    let _ = writeln!(
        html,
        "<p class=\"muted\">{} recording(s), {} vendor(s), {} input error(s), {} non-audio file(s) skipped. Report schema {}.</p>",
        report.recordings.len(),
        report.vendors.len(),
        report.errors.len(),
        report.skipped.len(),
        escape(&report.schema)
    );
    scorecard(&mut html, &report.vendors);
    errors(&mut html, report);
    table_of_contents(&mut html, &report.recordings);
    for (index, recording) in report.recordings.iter().enumerate() {
        recording_section(&mut html, index, recording, grid);
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn level_badge(level: Option<crate::model::Level>) -> String {
    match level {
        Some(level) => {
            let name = level_name(level);
            format!("<span class=\"level {name}\">{name}</span>")
        }
        None => "<span class=\"muted\">no verdict</span>".into(),
    }
}

fn scorecard(html: &mut String, vendors: &[VendorSummary]) {
    html.push_str("<h2>Vendor scorecard</h2>\n");
    if vendors.is_empty() {
        html.push_str("<p class=\"muted\">No vendors: nothing was analysed.</p>\n");
        return;
    }
    html.push_str("<table class=\"scorecard\">\n<thead><tr><th>Vendor</th><th>Verdict</th><th>Score</th><th>Recordings</th><th>Minutes</th>");
    for flag in Flag::ALL {
        let _ = write!(html, "<th class=\"flag\">{}</th>", flag.label());
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for vendor in vendors {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>",
            escape(&vendor.name),
            level_badge(Some(vendor.verdict.level)),
            vendor.verdict.score,
            vendor.recordings,
            vendor.total_minutes
        );
        for flag in Flag::ALL {
            match vendor.flag_counts.get(flag.as_str()).copied().unwrap_or(0) {
                0 => html.push_str("<td class=\"num zero\">0</td>"),
                n => {
                    let _ = write!(html, "<td class=\"num\"><b>{n}</b></td>");
                }
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html.push_str("<p class=\"muted\">Verdict: distinct red flags at medium severity or above (thresholds in the config file): 0 green, 1 yellow (a question to ask), 2 orange, 3 or more red. Flag columns count the recordings that raised the flag.</p>\n");
}

fn errors(html: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    html.push_str("<h2>Inputs that could not be analysed</h2>\n<ul>\n");
    for err in &report.errors {
        let _ = writeln!(
            html,
            "<li><b>{}</b>: {}</li>",
            escape(&err.path),
            escape(&err.message)
        );
    }
    html.push_str("</ul>\n");
}

fn table_of_contents(html: &mut String, recordings: &[Recording]) {
    if recordings.is_empty() {
        return;
    }
    html.push_str("<h2>Recordings</h2>\n<ul class=\"toc\">\n");
    for (index, recording) in recordings.iter().enumerate() {
        let _ = writeln!(
            html,
            "<li>{} <a href=\"#rec-{index}\">{}</a></li>",
            level_badge(recording.verdict.as_ref().map(|v| v.level)),
            escape(&recording.path)
        );
    }
    html.push_str("</ul>\n");
}

/// Seconds as m:ss.s (or h:mm:ss).
pub fn clock(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let minutes = (seconds / 60.0).floor();
    let rest = seconds - minutes * 60.0;
    if minutes >= 60.0 {
        let hours = (minutes / 60.0).floor();
        format!(
            "{hours:.0}:{:02.0}:{:02.0}",
            minutes - hours * 60.0,
            rest.floor()
        )
    } else {
        format!("{minutes:.0}:{rest:04.1}")
    }
}

fn figure(value: Option<f64>, unit: &str) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "–".into(), |v| format!("{v:.1} {unit}"))
}

fn recording_section(html: &mut String, index: usize, rec: &Recording, grid: SpectrogramGrid) {
    let _ = writeln!(html, "<section class=\"recording\" id=\"rec-{index}\">");
    let _ = writeln!(
        html,
        "<h3>{} {}</h3>",
        level_badge(rec.verdict.as_ref().map(|v| v.level)),
        escape(&rec.path)
    );
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
    flags_line(html, rec);
    key_figures(html, rec);
    findings_list(html, index, rec);
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
        "Spectrogram <span class=\"muted\">(seconds × kHz; noise and crosstalk findings shaded)</span>",
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

fn flags_line(html: &mut String, rec: &Recording) {
    let Some(verdict) = &rec.verdict else {
        return;
    };
    let flags = if verdict.flags.is_empty() {
        "none".to_string()
    } else {
        escape(&verdict.flags.join(", "))
    };
    let _ = writeln!(
        html,
        "<p>Red flags ({}): {flags} · score {}</p>",
        verdict.flags.len(),
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
            figure(ch.snr_db, "dB"),
            figure(ch.noise_floor_dbfs, "dBFS"),
            figure(ch.loudness_lufs, "LUFS"),
            figure(ch.bandwidth_hz, "Hz"),
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
            figure(bleed.level_db, "dB")
        );
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

fn kind_name(kind: FindingKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A finding's stage-specific figures as `key: value` pairs (strings unquoted).
fn details(finding: &Finding) -> String {
    finding
        .details
        .iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key}: {text}"),
            other => format!("{key}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn time_ranges(ranges: &[TimeRange]) -> String {
    const SHOWN: usize = 6;
    let mut parts: Vec<String> = ranges
        .iter()
        .take(SHOWN)
        .map(|r| format!("{}–{}", clock(r.start_s), clock(r.end_s)))
        .collect();
    if ranges.len() > SHOWN {
        parts.push(format!("and {} more", ranges.len() - SHOWN));
    }
    parts.join(", ")
}

/// When a text finding was said: the start of its transcript segment.
fn segment_time(rec: &Recording, line: Option<usize>) -> Option<f64> {
    let segments = &rec.transcript.as_ref()?.segments;
    segments.get(line?.checked_sub(1)?)?.start_s
}

fn findings_list(html: &mut String, index: usize, rec: &Recording) {
    let _ = writeln!(html, "<h4>Findings ({})</h4>", rec.findings.len());
    if rec.findings.is_empty() {
        html.push_str("<p class=\"muted\">None.</p>\n");
        return;
    }
    html.push_str("<ol class=\"findings\">\n");
    for (number, finding) in rec.findings.iter().enumerate() {
        let severity = severity_name(finding.severity);
        let _ = write!(
            html,
            "<li id=\"rec-{index}-f-{}\"><span class=\"sev sev-{severity}\">{severity}</span> <code>{}/{}</code> {}",
            number + 1,
            kind_name(finding.kind),
            escape(&finding.category),
            escape(&finding.message)
        );
        if let Some(excerpt) = &finding.excerpt {
            let _ = write!(html, " — “{}”", escape(excerpt));
        }
        if !finding.details.is_empty() {
            let _ = write!(
                html,
                " <span class=\"muted\">({})</span>",
                escape(&details(finding))
            );
        }
        if let Some(speaker) = &finding.speaker {
            let _ = write!(html, " <span class=\"muted\">({})</span>", escape(speaker));
        }
        if let Some(at) = segment_time(rec, finding.line) {
            let _ = write!(html, " <span class=\"ts\">at {}</span>", clock(at));
        } else if let Some(line) = finding.line {
            let _ = write!(html, " <span class=\"ts\">line {line}</span>");
        }
        if !finding.time_ranges.is_empty() {
            let _ = write!(
                html,
                " <span class=\"ts\">{}</span>",
                time_ranges(&finding.time_ranges)
            );
        }
        html.push_str("</li>\n");
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
                    severity_name(severity),
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
            let _ = write!(html, "<span class=\"ts\">{}</span>", clock(start));
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
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

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
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(75.25), "1:15.2");
        assert_eq!(clock(3725.0), "1:02:05");
    }

    #[test]
    fn grid_shrinks_with_many_recordings_but_not_below_the_coarsest() {
        assert_eq!(spectrogram_grid(1), FULL_GRID);
        let grid = spectrogram_grid(200);
        assert!(grid.columns * grid.rows * 200 <= REPORT_SPECTROGRAM_CELLS);
        assert!(grid.columns < FULL_GRID.columns && grid.rows >= COARSEST_GRID.rows);
        assert_eq!(spectrogram_grid(100_000), COARSEST_GRID);
    }
}
