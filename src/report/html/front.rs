//! The report's front matter: vendor scorecard, provenance, one printable front page per vendor
//! (verdict, the flags and why, the figures that matter, conversation averages) and the index of
//! recordings grouped by vendor.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{escape, figure, flag_label, flag_tags, level_badge};
use crate::model::{Finding, Level, Provenance, Recording, Report, Severity, VendorSummary};
use crate::report::figures::{average, AverageFigures};
use crate::verdict::{vendor_name, Flag};

/// Example findings quoted per flag on a vendor's front page (so it fits on one printed page).
const EXAMPLES_PER_FLAG: usize = 2;
/// Skipped files listed before the rest is folded away.
const SKIPPED_SHOWN: usize = 20;

/// The recordings of each vendor (by the name its verdict is scored under), with their indexes.
fn by_vendor(report: &Report) -> BTreeMap<String, Vec<(usize, &Recording)>> {
    let mut vendors: BTreeMap<String, Vec<(usize, &Recording)>> = BTreeMap::new();
    for (index, recording) in report.recordings.iter().enumerate() {
        let name = match report.vendors.len() {
            1 => report.vendors[0].name.clone(),
            _ => vendor_name(recording),
        };
        vendors.entry(name).or_default().push((index, recording));
    }
    vendors
}

/// Where the verdict rules came from, for the notes under the verdicts.
fn rules_origin(report: &Report) -> String {
    match report.provenance.as_ref() {
        None => "rules not recorded in this report".into(),
        Some(Provenance {
            config_file: Some(file),
            ..
        }) => format!("rules of the config file {}", escape(file)),
        Some(_) => "built-in rules".into(),
    }
}

/// The table of all vendors with their flag counts.
pub(super) fn scorecard(html: &mut String, report: &Report) {
    html.push_str("<h2>Vendor scorecard</h2>\n");
    if report.vendors.is_empty() {
        html.push_str("<p class=\"muted\">No vendors: nothing was analysed.</p>\n");
        return;
    }
    html.push_str("<table class=\"scorecard\">\n<thead><tr><th>Vendor</th><th>Verdict</th><th>Score</th><th>Recordings</th><th>Minutes</th>");
    for flag in Flag::ALL {
        let _ = write!(html, "<th class=\"flag\">{}</th>", flag.label());
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for (number, vendor) in report.vendors.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td><a href=\"#vendor-{number}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>",
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
    let _ = writeln!(
        html,
        "<p class=\"muted\">Verdict ({}): distinct red flags at medium severity or above: 0 green, 1 yellow (a question to ask), 2 orange, 3 or more red. Flag columns count the recordings that raised the flag.</p>",
        rules_origin(report)
    );
}

fn provenance_row(html: &mut String, name: &str, value: &str) {
    let _ = writeln!(html, "<tr><th>{name}</th><td>{value}</td></tr>");
}

fn or_none(value: Option<&String>, none: &str) -> String {
    value.map_or_else(
        || format!("<span class=\"muted\">{none}</span>"),
        |v| format!("<code>{}</code>", escape(v)),
    )
}

/// Name = value pairs of a settings map, one per line.
fn settings(values: &BTreeMap<String, serde_json::Value>) -> String {
    values
        .iter()
        .map(|(k, v)| format!("<code>{} = {}</code>", escape(k), escape(&v.to_string())))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// When, with what and how the report was made.
pub(super) fn provenance(html: &mut String, report: &Report) {
    html.push_str("<h2 id=\"provenance\">How this report was made</h2>\n");
    let Some(p) = &report.provenance else {
        html.push_str("<p class=\"muted\">Not recorded in this report.json (written before callqa recorded how a report was made).</p>\n");
        return;
    };
    html.push_str("<table class=\"provenance\">\n");
    provenance_row(html, "Made", &escape(&p.created_utc));
    provenance_row(html, "callqa", &escape(&p.callqa_version));
    provenance_row(
        html,
        "Speech model",
        &or_none(p.model.as_ref(), "none: not transcribed, no text findings"),
    );
    provenance_row(
        html,
        "Language",
        &or_none(p.language.as_ref(), "detected per recording"),
    );
    provenance_row(
        html,
        "Facts file",
        &or_none(
            p.facts_file.as_ref(),
            "none: claims not checked against facts",
        ),
    );
    let packs = p.rules_files.iter().map(|f| escape(f)).collect::<Vec<_>>();
    let packs = match packs.is_empty() {
        true => "built-in packs only".to_string(),
        false => format!("built-in packs and <code>{}</code>", packs.join(", ")),
    };
    provenance_row(html, "Rule packs", &packs);
    provenance_row(
        html,
        "Config file",
        &or_none(
            p.config_file.as_ref(),
            "none: built-in thresholds and verdict rules",
        ),
    );
    provenance_row(
        html,
        "Command",
        &format!("<code>{}</code>", escape(&p.command_line.join(" "))),
    );
    provenance_row(html, "Thresholds", &settings(&p.thresholds));
    provenance_row(html, "Verdict rules", &settings(&p.verdict_rules));
    html.push_str("</table>\n");
}

/// The strongest findings of `flag` over some recordings (the ones that raised it first), each
/// message once.
fn examples<'a>(recordings: &[(usize, &'a Recording)], flag: Flag) -> Vec<(usize, &'a Finding)> {
    let mut found: Vec<(usize, &Finding)> = recordings
        .iter()
        .flat_map(|(index, r)| r.findings.iter().map(move |f| (*index, f)))
        .filter(|(_, f)| Flag::of(f) == flag && f.severity >= Severity::Medium)
        .collect();
    found.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(a.0.cmp(&b.0)));
    let mut shown: Vec<(usize, &Finding)> = Vec::new();
    for (index, finding) in found {
        if shown.len() < EXAMPLES_PER_FLAG
            && shown.iter().all(|(_, f)| f.message != finding.message)
        {
            shown.push((index, finding));
        }
    }
    shown
}

/// Each raised flag: how many recordings raised it, and the strongest findings behind it.
fn why(
    html: &mut String,
    vendor: &VendorSummary,
    recordings: &[(usize, &Recording)],
    linked: bool,
) {
    if vendor.verdict.flags.is_empty() {
        html.push_str("<p>No red flags at medium severity or above.</p>\n");
        return;
    }
    html.push_str("<h4>The flags and why</h4>\n<ul class=\"why\">\n");
    for name in &vendor.verdict.flags {
        let count = vendor.flag_counts.get(name).copied().unwrap_or(0);
        let _ = write!(
            html,
            "<li><span class=\"flag-tag\">{}</span> in {count} of {} recording(s)",
            escape(&flag_label(name)),
            vendor.recordings
        );
        let flag = Flag::ALL.into_iter().find(|f| f.as_str() == name);
        for (index, finding) in flag.map(|f| examples(recordings, f)).unwrap_or_default() {
            let path = escape(&recordings_path(recordings, index));
            let _ = write!(
                html,
                "<br>— {} ({})",
                escape(&finding.message),
                recording_link(index, &path, linked)
            );
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ul>\n");
}

/// The recording's name, linked to its section when the page has one.
fn recording_link(index: usize, escaped_path: &str, linked: bool) -> String {
    match linked {
        true => format!("<a href=\"#rec-{index}\">{escaped_path}</a>"),
        false => escaped_path.to_string(),
    }
}

fn recordings_path(recordings: &[(usize, &Recording)], index: usize) -> String {
    recordings
        .iter()
        .find(|(i, _)| *i == index)
        .map_or_else(String::new, |(_, r)| r.path.clone())
}

/// The middle value of some numbers (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// Acoustic figures that matter to a buyer, over a vendor's recordings.
fn acoustic_figures(html: &mut String, recordings: &[(usize, &Recording)]) {
    let snr: Vec<f64> = recordings
        .iter()
        .filter_map(|(_, r)| crate::report::csv::worst_snr_db(r))
        .collect();
    let floor: Vec<f64> = recordings
        .iter()
        .filter_map(|(_, r)| crate::report::csv::worst_noise_floor_dbfs(r))
        .collect();
    let voices = recordings
        .iter()
        .filter(|(_, r)| r.channels.iter().any(|c| c.background_voices.detected))
        .count();
    let narrow = recordings
        .iter()
        .filter(|(_, r)| {
            r.channels
                .iter()
                .any(|c| c.bandwidth_hz.is_some_and(|b| b < 5000.0))
        })
        .count();
    html.push_str("<table>\n<tr><th colspan=\"2\">Sound</th></tr>\n");
    let rows = [
        ("SNR, median", figure(median(snr.clone()), 1, "dB")),
        (
            "SNR, worst",
            figure(snr.iter().copied().reduce(f64::min), 1, "dB"),
        ),
        ("Noise floor, median", figure(median(floor), 1, "dBFS")),
        (
            "With background voices",
            format!("{voices} of {}", recordings.len()),
        ),
        (
            "Telephone band (< 5 kHz)",
            format!("{narrow} of {}", recordings.len()),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(
            html,
            "<tr><td>{name}</td><td class=\"num\">{value}</td></tr>"
        );
    }
    html.push_str("</table>\n");
}

/// Conversation metrics averaged over a vendor's calls.
fn conversation_figures(html: &mut String, averages: &AverageFigures) {
    let _ = writeln!(
        html,
        "<table>\n<tr><th colspan=\"2\">Conversation, mean of {} call(s)</th></tr>",
        averages.calls
    );
    if averages.calls == 0 {
        html.push_str(
            "<tr><td colspan=\"2\" class=\"muted\">No timed transcripts.</td></tr>\n</table>\n",
        );
        return;
    }
    let rows = [
        (
            "Agent's share of talk",
            figure(averages.agent_talk_ratio.map(|r| r * 100.0), 0, "%"),
        ),
        ("Words per minute", figure(averages.words_per_minute, 0, "")),
        ("Silence", figure(averages.silence_percent, 1, "% of call")),
        (
            "Interruptions per call",
            figure(averages.interruptions, 1, ""),
        ),
        (
            "Longest monologue",
            figure(averages.longest_monologue_s, 1, "s"),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(
            html,
            "<tr><td>{name}</td><td class=\"num\">{value}</td></tr>"
        );
    }
    html.push_str("</table>\n");
}

/// One front page per vendor: it fits on one printed page.
pub(super) fn vendor_pages(html: &mut String, report: &Report, summary_only: bool) {
    let grouped = by_vendor(report);
    for (number, vendor) in report.vendors.iter().enumerate() {
        let recordings = grouped.get(&vendor.name).map_or(&[][..], Vec::as_slice);
        let _ = writeln!(
            html,
            "<section class=\"vendor-front\" id=\"vendor-{number}\">\n<h2>{} {}</h2>",
            level_badge(Some(vendor.verdict.level)),
            escape(&vendor.name)
        );
        let _ = writeln!(
            html,
            "<p>{} recording(s), {:.1} minutes · score {} · flags: {}</p>",
            vendor.recordings,
            vendor.total_minutes,
            vendor.verdict.score,
            flag_tags(&vendor.verdict.flags)
        );
        why(html, vendor, recordings, !summary_only);
        html.push_str("<div class=\"figure-grid\">\n");
        acoustic_figures(html, recordings);
        conversation_figures(html, &average(recordings.iter().map(|(_, r)| *r)));
        html.push_str("</div>\n</section>\n");
    }
}

fn level_rank(level: Option<Level>) -> u8 {
    match level {
        None => 0,
        Some(Level::Green) => 1,
        Some(Level::Yellow) => 2,
        Some(Level::Orange) => 3,
        Some(Level::Red) => 4,
    }
}

/// One index row: verdict, score, recording, duration, flags.
fn index_row(html: &mut String, index: usize, recording: &Recording, linked: bool) {
    let verdict = recording.verdict.as_ref();
    let score = verdict.map_or(0.0, |v| v.score);
    let path = escape(&recording.path);
    let name = recording_link(index, &path, linked);
    let _ = writeln!(
        html,
        "<tr data-level=\"{}\" data-score=\"{score}\" data-path=\"{path}\"><td>{}</td><td class=\"num\">{score}</td><td class=\"path\">{name}</td><td class=\"num\">{}</td><td>{}</td></tr>",
        level_rank(verdict.map(|v| v.level)),
        level_badge(verdict.map(|v| v.level)),
        super::clock(recording.duration_s),
        flag_tags(verdict.map_or(&[][..], |v| v.flags.as_slice()))
    );
}

/// The recordings grouped by vendor, worst first; buttons re-sort by verdict, score or path.
pub(super) fn index(html: &mut String, report: &Report, summary_only: bool) {
    if report.recordings.is_empty() {
        return;
    }
    html.push_str("<h2>Recordings</h2>\n<p class=\"sortbar\">Sort:<button data-sort=\"level\">verdict</button><button data-sort=\"score\">score</button><button data-sort=\"path\">path</button></p>\n");
    for (vendor, mut recordings) in by_vendor(report) {
        recordings.sort_by(|(ia, a), (ib, b)| {
            let key = |r: &Recording| {
                let v = r.verdict.as_ref();
                (level_rank(v.map(|v| v.level)), v.map_or(0.0, |v| v.score))
            };
            let (ka, kb) = (key(a), key(b));
            kb.0.cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(ia.cmp(ib))
        });
        let _ = writeln!(
            html,
            "<h3>{}</h3>\n<table class=\"index\">\n<thead><tr><th>Verdict</th><th>Score</th><th>Recording</th><th>Length</th><th>Flags</th></tr></thead>\n<tbody>",
            escape(&vendor)
        );
        for (index, recording) in recordings {
            index_row(html, index, recording, !summary_only);
        }
        html.push_str("</tbody>\n</table>\n");
    }
}

/// Inputs that could not be analysed, and every non-audio file skipped.
pub(super) fn errors_and_skipped(html: &mut String, report: &Report) {
    if !report.errors.is_empty() {
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
    if report.skipped.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<h2>Skipped: not audio ({})</h2>\n<ul>",
        report.skipped.len()
    );
    for (number, skipped) in report.skipped.iter().enumerate() {
        if number == SKIPPED_SHOWN {
            html.push_str("</ul>\n<details><summary>the others</summary><ul>\n");
        }
        let _ = writeln!(
            html,
            "<li>{}: {}</li>",
            escape(&skipped.path),
            escape(&skipped.reason)
        );
    }
    match report.skipped.len() > SKIPPED_SHOWN {
        true => html.push_str("</ul></details>\n"),
        false => html.push_str("</ul>\n"),
    }
}
