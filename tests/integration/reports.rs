//! Report outputs on synthetic recordings: verdict JSON, CSV structure, HTML content and escaping,
//! personal data masked in every file, `callqa report` round trip, `--fail-on` exit codes, size.

use std::path::Path;

use callqa::config::VerdictRules;
use callqa::model::{
    BackgroundVoices, Bleed, ChannelMeasures, ConversationMetrics, Finding, FindingKind,
    InputError, Interruption, Level, PlotData, Provenance, Recording, Report, Segment, Severity,
    SilenceMetrics, SpeakerMetrics, Spectrogram, SpectrumPoint, TimeRange, Transcript, Word,
    SCHEMA,
};
use callqa::report::{
    self,
    csv::{CsvExport, FindingsCsvExport},
    html::{HtmlExport, HtmlOptions},
    json::JsonExport,
};
use callqa::text::redact;
use callqa::verdict;

use crate::util::{repo, run as callqa};

const CARD: &str = "4111 1111 1111 1111";
const EMAIL: &str = "ann.smith@example.com";

/// A deterministic pseudo-random jitter in -1..1.
fn jitter(seed: usize) -> f32 {
    let x = (seed as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 33) % 2001) as f32 / 1000.0 - 1.0
}

/// A speech-like spectrogram: bursts of low-frequency energy over a noise floor, with jitter.
fn spectrogram(duration_s: f64) -> Spectrogram {
    let time_step_s = 0.5;
    let columns = (duration_s / time_step_s) as usize;
    Spectrogram {
        time_step_s,
        freq_step_hz: 62.5,
        columns_db: (0..columns)
            .map(|c| {
                let talking = (c / 7) % 3 != 2;
                (0..128)
                    .map(|r| {
                        let speech = if talking { 40.0 - r as f32 * 0.4 } else { 0.0 };
                        -85.0 + speech.max(0.0) + 3.0 * jitter(c * 131 + r)
                    })
                    .collect()
            })
            .collect(),
    }
}

fn channel(index: usize, duration_s: f64) -> ChannelMeasures {
    let regions: Vec<TimeRange> = (0..(duration_s / 3.0) as usize)
        .filter(|i| i % 2 == index)
        .map(|i| TimeRange::new(i as f64 * 3.0, i as f64 * 3.0 + 2.6))
        .collect();
    ChannelMeasures {
        index,
        peak_dbfs: Some(-3.0),
        rms_dbfs: Some(-24.0),
        loudness_lufs: Some(-23.5),
        bandwidth_hz: Some(3600.0),
        speech_fraction: 0.45,
        active_level_dbfs: Some(-20.0),
        noise_floor_dbfs: Some(-52.0 + index as f64),
        snr_db: Some(32.0 - index as f64 * 20.0),
        noise_label: "broadband".into(),
        background_voices: BackgroundVoices {
            detected: index == 1,
            level_db_below_foreground: Some(18.0),
            time_ranges: vec![TimeRange::new(12.0, 20.0)],
        },
        speech_regions: regions,
        ..ChannelMeasures::default()
    }
}

fn segment(speaker: &str, start_s: f64, text: &str) -> Segment {
    Segment {
        speaker: Some(speaker.into()),
        start_s: Some(start_s),
        end_s: Some(start_s + 2.8),
        words: text
            .split(' ')
            .map(|w| Word {
                text: format!(" {w}"),
                start_s,
                end_s: start_s + 0.3,
                p: 0.9,
            })
            .collect(),
        text: text.into(),
    }
}

fn text_finding(kind: FindingKind, category: &str, line: usize, text: &str, part: &str) -> Finding {
    let start = text.find(part).expect("the part is in the text");
    let mut finding = Finding::new(kind, category, Severity::High, format!("{category} said"));
    finding.line = Some(line);
    finding.span = Some([start, start + part.len()]);
    finding.excerpt = Some(if kind == FindingKind::Pii {
        "****".into()
    } else {
        part.into()
    });
    finding
}

fn talker(name: &str, talk_time_s: f64, talk_ratio: f64, words: usize) -> SpeakerMetrics {
    SpeakerMetrics {
        speaker: name.into(),
        talk_time_s,
        talk_ratio,
        words,
        words_per_minute: Some(words as f64 / talk_time_s * 60.0),
        longest_monologue_s: talk_time_s / 4.0,
    }
}

/// The agent talks 120 s of 180 (two thirds), 420 words in 3 minutes, 2 interruptions.
fn conversation() -> ConversationMetrics {
    ConversationMetrics {
        duration_s: 300.0,
        speakers: vec![
            talker("agent", 120.0, 2.0 / 3.0, 300),
            talker("customer", 60.0, 1.0 / 3.0, 120),
        ],
        silence: SilenceMetrics {
            count: 4,
            longest_s: 9.0,
            total_s: 24.0,
            percent_of_call: 8.0,
        },
        interruptions: vec![Interruption {
            by: "customer".into(),
            of: "agent".into(),
            count: 2,
        }],
        speaker_changes: 30,
        ..ConversationMetrics::default()
    }
}

/// A recording with every kind of data a report draws; `planted` puts a card number and an email in
/// the transcript (with their PII findings), `lines` sets the transcript length.
fn recording(path: &str, vendor: &str, planted: bool, lines: usize) -> Recording {
    let duration_s = 300.0;
    let card_line = format!("sure, my card is {CARD} and mail {EMAIL}");
    let mut segments: Vec<Segment> = (0..lines)
        .map(|i| {
            let who = if i % 2 == 0 { "agent" } else { "customer" };
            segment(
                who,
                i as f64 * 3.0,
                &format!("line {i}: only today <b>50% off</b> & free \"gift\""),
            )
        })
        .collect();
    let mut findings = vec![
        Finding::new(
            FindingKind::Noise,
            "background_noise",
            Severity::Medium,
            "right channel: noise floor -51 dBFS, SNR 12 dB: background noise clearly audible",
        )
        .with_time_ranges(vec![TimeRange::new(30.0, 60.0)]),
        Finding::new(
            FindingKind::Crosstalk,
            "background_voices",
            Severity::High,
            "right channel: other voices <in> the background",
        )
        .with_time_ranges(vec![TimeRange::new(12.0, 20.0)]),
        text_finding(
            FindingKind::Manipulation,
            "false_urgency",
            1,
            &segments[0].text,
            "only today",
        ),
    ];
    findings[2]
        .details
        .insert("stated_price".into(), serde_json::json!("<99 €>"));
    if planted {
        segments.push(segment("customer", lines as f64 * 3.0, &card_line));
        let line = segments.len();
        findings.push(text_finding(
            FindingKind::Pii,
            "card_number",
            line,
            &card_line,
            CARD,
        ));
        findings.push(text_finding(
            FindingKind::Pii,
            "email",
            line,
            &card_line,
            EMAIL,
        ));
    }
    Recording {
        path: path.into(),
        vendor: Some(vendor.into()),
        duration_s,
        sample_rate_hz: 8000,
        codec: "pcm_s16le".into(),
        bits_per_sample: Some(16),
        channels: vec![channel(0, duration_s), channel(1, duration_s)],
        bleed: vec![Bleed {
            from_channel: 0,
            to_channel: 1,
            level_db: Some(-45.0),
        }],
        findings,
        transcript: Some(Transcript {
            language: Some("en".into()),
            language_probability: Some(0.97),
            segments,
            low_confidence_share: None,
        }),
        conversation: Some(conversation()),
        plots: PlotData {
            spectrogram: Some(spectrogram(duration_s)),
            noise_spectrum: (1..=512)
                .map(|i| SpectrumPoint {
                    hz: i as f64 * 7.8125,
                    dbfs: -70.0 - (i as f64).ln() * 3.0,
                })
                .collect(),
        },
        ..Recording::default()
    }
}

fn report_of(recordings: Vec<Recording>) -> Report {
    let mut report = Report {
        schema: SCHEMA.into(),
        recordings,
        errors: vec![],
        skipped: vec![],
        vendors: vec![],
        provenance: None,
    };
    verdict::apply(&mut report, None, &VerdictRules::default());
    report
}

/// Two vendors; the last recording has no transcript (timeline from the channels' speech regions).
fn sample_report() -> Report {
    let mut untranscribed = recording("in/beta/one.wav", "beta", false, 3);
    untranscribed.transcript = None;
    untranscribed
        .findings
        .retain(|f| f.kind != FindingKind::Manipulation);
    report_of(vec![
        recording("in/acme/call, \"one\".wav", "acme", true, 6),
        recording("in/acme/<two>.wav", "acme", false, 4),
        untranscribed,
    ])
}

fn write_everything(report: &Report, dir: &Path) {
    let html = HtmlExport::default();
    report::write_all(
        report,
        dir,
        &[&JsonExport, &html, &CsvExport, &FindingsCsvExport],
        false,
    )
    .unwrap();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn json_has_recording_verdicts_and_vendor_scorecards() {
    let dir = tempfile::tempdir().unwrap();
    write_everything(&sample_report(), dir.path());
    let json: serde_json::Value = serde_json::from_str(&read(dir.path(), "report.json")).unwrap();
    let verdict = &json["recordings"][0]["verdict"];
    assert_eq!(verdict["level"], "red");
    assert_eq!(
        verdict["flags"],
        serde_json::json!([
            "noise",
            "background_voices",
            "manipulation",
            "personal_data"
        ])
    );
    assert_eq!(verdict["score"], 5.5);
    assert_eq!(json["recordings"][1]["verdict"]["level"], "red");
    let vendors = json["vendors"].as_array().unwrap();
    assert_eq!(vendors.len(), 2);
    assert_eq!(vendors[0]["name"], "acme");
    assert_eq!(vendors[0]["recordings"], 2);
    assert_eq!(vendors[0]["total_minutes"], 10.0);
    assert_eq!(vendors[0]["verdict"]["level"], "red");
    assert_eq!(vendors[0]["flag_counts"]["noise"], 2);
    assert_eq!(vendors[0]["flag_counts"]["personal_data"], 1);
    assert_eq!(vendors[1]["name"], "beta");
    assert_eq!(vendors[1]["verdict"]["level"], "orange");
}

#[test]
fn csv_has_one_quoted_row_per_recording_with_flag_columns() {
    let dir = tempfile::tempdir().unwrap();
    write_everything(&sample_report(), dir.path());
    let csv = read(dir.path(), "summary.csv");
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!(
        rows[0],
        "vendor,path,duration_s,language,verdict,score,snr_db,noise_floor_dbfs,noise,background_voices,\
bleed,poor_recording_quality,staged_call,misinformation,inconsistency,outdated_technique,manipulation,\
service_errors,missing_required_phrases,personal_data,confidential,agent_talk_ratio,words_per_minute,\
silence_percent,interruptions,longest_monologue_s"
    );
    assert_eq!(
        rows[1],
        "acme,\"in/acme/call, \"\"one\"\".wav\",300.0,en,red,5.5,12.0,-51.0,1,1,0,0,0,0,0,0,1,0,0,1,0,\
0.67,140,8.0,2,30.0"
    );
    assert!(rows[3].starts_with("beta,in/beta/one.wav,300.0,,orange,"));
}

#[test]
fn findings_csv_has_one_row_per_finding_with_times_and_masked_excerpts() {
    let mut report = sample_report();
    report.recordings[1].vendor = None;
    redact::mask_report(&mut report);
    let dir = tempfile::tempdir().unwrap();
    write_everything(&report, dir.path());
    let csv = read(dir.path(), "findings.csv");
    let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "vendor", "path", "kind", "category", "severity", "start_s", "end_s", "message",
            "excerpt"
        ]
    );
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let findings: usize = report.recordings.iter().map(|r| r.findings.len()).sum();
    assert_eq!(rows.len(), findings);
    let noise = &rows[0];
    assert_eq!(&noise[0], "acme");
    assert_eq!(
        (&noise[2], &noise[3], &noise[4]),
        ("noise", "background_noise", "medium")
    );
    assert_eq!((&noise[5], &noise[6]), ("30.00", "60.00"));
    let card = rows.iter().find(|r| &r[3] == "card_number").unwrap();
    assert_eq!(
        (&card[5], &card[6]),
        ("18.00", "20.80"),
        "the segment's times"
    );
    assert_eq!(&card[8], "****");
    let second = rows.iter().find(|r| r[1].contains("<two>")).unwrap();
    assert_eq!(&second[0], "", "vendor null in the JSON is an empty cell");
    assert_no_planted_values(dir.path());
}

#[test]
fn html_shows_every_recording_and_finding_escaped_without_scripts() {
    let report = sample_report();
    let dir = tempfile::tempdir().unwrap();
    write_everything(&report, dir.path());
    let html = read(dir.path(), "report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for remote in [
        "<script src",
        "src=",
        "href=\"http",
        "url(",
        "@import",
        "<link",
    ] {
        assert!(!html.contains(remote), "{remote} in a self-contained page");
    }
    assert_eq!(html.matches("<script>").count(), 1, "one inline script");
    assert!(html.contains("&lt;two&gt;.wav") && !html.contains("<two>"));
    assert!(html.contains("&lt;b&gt;50% off&lt;/b&gt; &amp; free &quot;gift&quot;"));
    assert!(html.contains("other voices &lt;in&gt; the background"));
    for (r, recording) in report.recordings.iter().enumerate() {
        assert!(html.contains(&format!("id=\"rec-{r}\"")));
        for f in 1..=recording.findings.len() {
            assert!(
                html.contains(&format!("id=\"rec-{r}-f-{f}\"")),
                "finding {r}/{f}"
            );
        }
    }
    assert_eq!(html.matches("<section class=\"recording\"").count(), 3);
    assert!(html.contains("<mark class=\"high\">only today</mark>"));
    assert!(html.contains("No transcript."));
    assert!(html.contains("(stated price: &lt;99 €&gt;)"));
    assert!(
        html.contains("Vendor scorecard") && html.contains("<span class=\"level red\">red</span>")
    );
    assert_eq!(html.matches("<svg").count(), 9, "three plots per recording");
    assert!(
        html.contains("\nbackground voices\n</text>"),
        "spectrogram marks"
    );
}

fn provenance() -> Provenance {
    Provenance {
        created_utc: "2026-12-07T04:00:00Z".into(),
        callqa_version: "9.9.9".into(),
        command_line: vec!["callqa".into(), "analyze".into(), "in".into()],
        working_dir: Some("/r".into()),
        model: Some("/models/ggml-base.bin".into()),
        ..Provenance::default()
    }
}

/// The sample report with provenance, a same_voice link from the first recording to the second and
/// a staged-dialogue score with its signals on the second.
fn linked_report() -> Report {
    let mut report = sample_report();
    report.provenance = Some(provenance());
    let other = report.recordings[1].path.clone();
    let mut same = Finding::new(
        FindingKind::SameVoice,
        "same_voice",
        Severity::Medium,
        "the customer's voice resembles another call's",
    );
    same.details.insert("other_recording".into(), other.into());
    report.recordings[0].findings.push(same);
    let mut staged = Finding::new(
        FindingKind::StagedDialogue,
        "staged_dialogue",
        Severity::Low,
        "the call may be staged (score 0.55)",
    );
    staged.details.insert(
        "signals".into(),
        serde_json::json!([{"name": "response_gap_regularity", "value": 0.91, "unit": "", "contribution": 0.8, "note": "very even gaps"}]),
    );
    report.recordings[1].findings.push(staged);
    verdict::apply(&mut report, None, &VerdictRules::default());
    report
}

#[test]
fn html_has_front_pages_index_players_seek_links_and_readable_details() {
    let report = linked_report();
    let options = HtmlOptions {
        summary_only: false,
        report_dir: Some("/r/out".into()),
        base_dir: Some("/r".into()),
    };
    let html = callqa::report::html::render(&report, &options);
    assert_eq!(html.matches("<section class=\"vendor-front\"").count(), 2);
    assert!(
        html.contains("Conversation, mean of 2 call(s)"),
        "acme's two calls"
    );
    assert!(html.contains("<td>Agent's share of talk</td><td class=\"num\">67 %</td>"));
    assert!(
        html.contains("<h3>acme</h3>") && html.contains("<h3>beta</h3>"),
        "index by vendor"
    );
    assert!(html.contains("data-sort=\"score\""));
    assert!(html.contains("<span class=\"flag-tag\">Personal data</span>"));
    assert!(
        !html.contains("flag-tag\">personal_data"),
        "one display form of flags"
    );
    assert!(
        html.contains("src=\"../in/acme/call%2C%20%22one%22.wav\""),
        "relative player link"
    );
    assert!(
        html.contains("data-t=\"18.00\">0:18.0</a>"),
        "transcript time seeks"
    );
    assert!(
        html.contains("data-t=\"30.00\">0:30.0–1:00.0</a>"),
        "finding range seeks"
    );
    assert!(html.contains("other recording: <a href=\"#rec-1\">in/acme/&lt;two&gt;.wav</a>"));
    assert!(
        html.contains("<th>name</th><th>contribution</th><th>note</th><th>unit</th><th>value</th>")
    );
    assert!(!html.contains("\"signals\""), "no raw JSON");
    assert!(html.contains("none: built-in thresholds and verdict rules"));
    assert!(html.contains("(built-in rules)") && !html.contains("thresholds in the config file"));
    assert!(html.contains("callqa 9.9.9 · model ggml-base.bin"));
    assert!(html.contains("<span class=\"level orange\">orange</span> beta</h2>"));

    let summary = callqa::report::html::render(
        &report,
        &HtmlOptions {
            summary_only: true,
            ..options
        },
    );
    assert_eq!(summary.matches("<section class=\"recording\"").count(), 0);
    assert_eq!(
        summary.matches("<section class=\"vendor-front\"").count(),
        2
    );
    assert!(!summary.contains("href=\"#rec-") && summary.contains("in/beta/one.wav"));
    assert!(summary.len() * 10 < html.len(), "much shorter");
}

fn assert_no_planted_values(dir: &Path) {
    let compact_card = CARD.replace(' ', "");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // the text rules' e-mail mask keeps the domain (a***@example.com); the user part must go
        for planted in [CARD, compact_card.as_str(), EMAIL, "ann.smith"] {
            assert!(
                !text.contains(planted),
                "{planted} unmasked in {}",
                path.display()
            );
        }
    }
}

#[test]
fn planted_personal_data_appears_in_no_output_file() {
    let mut report = sample_report();
    redact::mask_report(&mut report);
    let dir = tempfile::tempdir().unwrap();
    write_everything(&report, dir.path());
    assert_no_planted_values(dir.path());
    let html = read(dir.path(), "report.html");
    assert!(html.contains("sure, my card is <mark class=\"high\">*******************</mark>"));
}

#[test]
fn report_subcommand_round_trip_masks_unless_show_pii() {
    let raw = tempfile::tempdir().unwrap();
    report::write_all(&sample_report(), raw.path(), &[&JsonExport], false).unwrap();
    let saved = raw.path().join("report.json");
    assert!(read(raw.path(), "report.json").contains(CARD), "raw input");
    let out = tempfile::tempdir().unwrap();
    let run = callqa(&[
        "report",
        saved.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".callqa-files")
        .collect();
    assert_eq!(
        names.len(),
        3,
        "only report.html, summary.csv and findings.csv: {names:?}"
    );
    assert_no_planted_values(out.path());
    let html = read(out.path(), "report.html");
    assert_eq!(html.matches("<section class=\"recording\"").count(), 3);
    assert_eq!(read(out.path(), "summary.csv").matches("\r\n").count(), 4);

    let shown = tempfile::tempdir().unwrap();
    let run = callqa(&[
        "report",
        saved.to_str().unwrap(),
        "--out",
        shown.path().to_str().unwrap(),
        "--show-pii",
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(read(shown.path(), "report.html").contains(EMAIL));
}

/// Saves `report` as `dir/saved/report.json` (write_all replaces its folder whole, so it gets
/// one of its own) and returns that path.
fn saved_report(dir: &Path, report: &Report) -> String {
    let saved = dir.join("saved");
    report::write_all(report, &saved, &[&JsonExport], false).unwrap();
    saved.join("report.json").to_string_lossy().into_owned()
}

#[test]
fn fail_on_gives_1_when_a_vendor_reaches_the_level_and_2_wins_for_input_errors() {
    let clean = recording("in/calm/a.wav", "calm", false, 2);
    let mut yellow = clean.clone();
    yellow.findings.truncate(1);
    let report = report_of(vec![yellow]);
    assert_eq!(report.vendors[0].verdict.level, Level::Yellow);
    let dir = tempfile::tempdir().unwrap();
    let saved = saved_report(dir.path(), &report);
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let code = |extra: &[&str]| {
        let mut args = vec!["report", saved.as_str(), "--out", out];
        args.extend_from_slice(extra);
        callqa(&args).status.code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--fail-on", "yellow"]), Some(1));
    assert_eq!(code(&["--fail-on", "orange"]), Some(0));
    assert_eq!(code(&["--fail-on", "purple"]), Some(1), "usage error");

    let mut failed = report.clone();
    failed.errors.push(InputError {
        path: "in/calm/broken.wav".into(),
        message: "cannot decode".into(),
    });
    let failed_dir = tempfile::tempdir().unwrap();
    let saved = saved_report(failed_dir.path(), &failed);
    let run = callqa(&["report", &saved, "--out", out, "--fail-on", "yellow"]);
    assert_eq!(run.status.code(), Some(2), "input errors outrank --fail-on");
}

#[test]
fn analyze_with_fail_on_and_a_broken_input_exits_2_and_writes_all_reports() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("acme");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("broken.wav"), b"not audio at all").unwrap();
    let out = dir.path().join("out");
    let run = callqa(&[
        "analyze",
        dir.path().join("acme").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--fail-on",
        "yellow",
        "--vendor",
        "Acme Ltd",
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    for name in ["report.json", "report.html", "summary.csv"] {
        assert!(out.join(name).is_file(), "{name}");
    }
}

#[test]
fn invalid_verdict_rules_in_config_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("callqa.toml");
    std::fs::write(&config, "[verdict]\nyellow_flags = 2\norange_flags = 2\n").unwrap();
    let saved = saved_report(dir.path(), &sample_report());
    let run = callqa(&[
        "report",
        &saved,
        "--out",
        dir.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("yellow_flags"));
}

#[test]
fn config_verdict_rules_recompute_the_saved_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("callqa.toml");
    std::fs::write(
        &config,
        "[verdict]\nmin_severity = \"high\"\nred_flags = 9\norange_flags = 5\n",
    )
    .unwrap();
    let saved = saved_report(dir.path(), &sample_report());
    let out = dir.path().join("out");
    let run = callqa(&[
        "report",
        &saved,
        "--out",
        out.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--fail-on",
        "orange",
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(read(&out, "summary.csv").contains(",yellow,"));
}

#[test]
fn two_hundred_recordings_make_an_html_under_20_mb() {
    let dense_speech: Vec<TimeRange> = (0..300)
        .map(|i| TimeRange::new(i as f64, i as f64 + 0.7))
        .collect();
    let recordings = (0..200)
        .map(|i| {
            let mut rec = recording(
                &format!("in/v{}/call-{i}.wav", i % 7),
                &format!("v{}", i % 7),
                i % 3 == 0,
                80,
            );
            if i % 2 == 1 {
                rec.transcript = None;
                for ch in &mut rec.channels {
                    ch.speech_regions = dense_speech.clone();
                }
            }
            rec
        })
        .collect();
    let report = report_of(recordings);
    let html = callqa::report::html::render(&report, &HtmlOptions::default());
    eprintln!("200 recordings -> report.html {} bytes", html.len());
    assert!(html.len() < 20_000_000, "{} bytes", html.len());
    assert_eq!(html.matches("<section class=\"recording\"").count(), 200);
}

/// An export that fails half-way, as a full disk would.
struct HalfWritten;

impl report::Export for HalfWritten {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, _: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(b"half a rep")?;
        Err(std::io::Error::other("no space left on device"))
    }
}

#[test]
fn failed_write_keeps_the_previous_set_whole_and_leaves_no_temp_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("out");
    write_everything(&sample_report(), &dir);
    let before: Vec<String> = ["report.json", "report.html", "summary.csv"]
        .iter()
        .map(|name| read(&dir, name))
        .collect();
    let mut changed = sample_report();
    changed.recordings.pop();
    let html = HtmlExport::default();
    let result = report::write_all(&changed, &dir, &[&JsonExport, &html, &HalfWritten], false);
    assert!(result.is_err());
    let after: Vec<String> = ["report.json", "report.html", "summary.csv"]
        .iter()
        .map(|name| read(&dir, name))
        .collect();
    assert!(
        before == after,
        "the old set stays, all three files of one run"
    );
    let beside: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["out"], "no staging folder left");
}

/// Writes the masked sample report into `$CALLQA_SAMPLE_REPORT_DIR` (for scripts/check-html), else a temp dir.
#[test]
fn sample_report_renders_into_a_folder() {
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("CALLQA_SAMPLE_REPORT_DIR")
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let mut report = sample_report();
    redact::mask_report(&mut report);
    write_everything(&report, &dir);
    assert_no_planted_values(&dir);
}

/// The real pipeline on `samples/`: whatever the detectors find today, the three outputs agree with
/// each other, with the verdict rule and with the `--fail-on` exit code.
#[test]
fn samples_outputs_agree_with_each_other_and_the_exit_code() {
    let samples = repo("samples");
    let out = tempfile::tempdir().unwrap();
    let run = callqa(&[
        "analyze",
        samples.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
        "--no-transcribe",
        "--fail-on",
        "red",
    ]);
    let json: Report = serde_json::from_str(&read(out.path(), "report.json")).unwrap();
    let any_red = json.vendors.iter().any(|v| v.verdict.level == Level::Red);
    let expected = match (json.errors.is_empty(), any_red) {
        (false, _) => 2,
        (true, true) => 1,
        (true, false) => 0,
    };
    assert_eq!(run.status.code(), Some(expected), "{run:?}");
    let names: Vec<&str> = json.vendors.iter().map(|v| v.name.as_str()).collect();
    assert!(
        names.contains(&"vendor-a") && names.contains(&"vendor-b"),
        "{names:?}"
    );
    let counted: usize = json.vendors.iter().map(|v| v.recordings).sum();
    assert_eq!(counted, json.recordings.len());

    let csv = read(out.path(), "summary.csv");
    let rows: Vec<Vec<&str>> = csv
        .split("\r\n")
        .filter(|r| !r.is_empty())
        .map(|r| r.split(',').collect())
        .collect();
    assert_eq!(rows.len(), json.recordings.len() + 1);
    let flag_columns = &rows[0][8..8 + verdict::Flag::ALL.len()];
    for (row, recording) in rows[1..].iter().zip(&json.recordings) {
        let verdict = recording.verdict.as_ref().unwrap();
        let raised: Vec<&str> = flag_columns
            .iter()
            .zip(&row[8..])
            .filter(|(_, cell)| **cell == "1")
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(raised, verdict.flags, "{}", recording.path);
        let level = verdict::level_for(raised.len(), &VerdictRules::default());
        assert_eq!(row[4], verdict::level_name(level), "{}", recording.path);
        assert_eq!(
            row[0],
            recording.vendor.as_deref().unwrap_or(""),
            "as in the JSON"
        );
    }
    let html = read(out.path(), "report.html");
    assert_eq!(
        html.matches("<section class=\"recording\"").count(),
        json.recordings.len()
    );
    let provenance = json
        .provenance
        .expect("analyze records how the report was made");
    assert_eq!(provenance.model, None, "--no-transcribe");
    assert_eq!(provenance.config_file, None);
    assert!(provenance
        .command_line
        .iter()
        .any(|a| a == "--no-transcribe"));
    let players: Vec<&str> = html
        .split("<audio controls preload=\"none\" src=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(players.len(), json.recordings.len());
    for url in players {
        let path = url.replace("%20", " ");
        assert!(
            out.path().join(&path).is_file(),
            "{url} from the report folder"
        );
    }
}

#[test]
fn summary_only_and_findings_csv_from_the_cli() {
    let saved_dir = tempfile::tempdir().unwrap();
    let saved = saved_report(saved_dir.path(), &linked_report());
    let out = saved_dir.path().join("out");
    let run = callqa(&[
        "report",
        &saved,
        "--out",
        out.to_str().unwrap(),
        "--summary-only",
    ]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let html = read(&out, "report.html");
    assert!(html.contains("vendor-front") && !html.contains("<section class=\"recording\""));
    assert!(read(&out, "findings.csv").contains("same_voice"));
}

/// The text rules' own PII findings (their spans and lines) drive the shared mask: a transcript with a
/// card number and an email, scanned for real, leaves neither in any output file.
#[test]
fn text_scanner_pii_findings_mask_every_output() {
    use callqa::text::rules::RuleSet;
    use callqa::text::scan::{scan_transcript, ScanOptions};
    let mut rec = recording("in/acme/pii.wav", "acme", false, 2);
    let said = format!("my card number is {CARD} and my email is {EMAIL}, thanks");
    rec.transcript
        .as_mut()
        .unwrap()
        .segments
        .push(segment("customer", 9.0, &said));
    let found = scan_transcript(
        &RuleSet::builtin(),
        rec.transcript.as_ref().unwrap(),
        &ScanOptions::default(),
    );
    let pii = found.iter().filter(|f| f.kind == FindingKind::Pii).count();
    assert!(
        pii >= 2,
        "the scanner finds the card and the email: {found:#?}"
    );
    rec.findings.extend(found);
    let mut report = report_of(vec![rec]);
    redact::mask_report(&mut report);
    let dir = tempfile::tempdir().unwrap();
    write_everything(&report, dir.path());
    assert_no_planted_values(dir.path());
    assert!(read(dir.path(), "report.html").contains("thanks"));
}
