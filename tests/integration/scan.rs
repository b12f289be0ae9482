//! `callqa scan` and `callqa rules` end to end: the labelled transcript set's accuracy bars,
//! masking, facts, exit codes and bad input, all through the real binary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::util::{json, repo, run, run_stdin};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[derive(Deserialize)]
struct Labels {
    transcript: Vec<Labelled>,
}

#[derive(Deserialize)]
struct Labelled {
    file: String,
    expect: Vec<String>,
}

fn set_dir() -> PathBuf {
    repo("tests/text-set")
}

/// The label of a finding: `pii/<category>@<line>`, `<kind>@<line>` or `missing_required_phrase/<category>`.
/// The label of a text-rule finding; staged-call findings (issue 6, on every scan) are not labelled here.
fn label_of(f: &Value) -> String {
    let kind = f["kind"].as_str().unwrap();
    let category = f["category"].as_str().unwrap();
    let line = &f["line"];
    match kind {
        "pii" => format!("pii/{category}@{line}"),
        "missing_required_phrase" => format!("{kind}/{category}"),
        _ => format!("{kind}@{line}"),
    }
}

#[derive(Default, Debug)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn add(&mut self, expected: &BTreeSet<String>, found: &BTreeSet<String>) {
        self.tp += expected.intersection(found).count();
        self.fp += found.difference(expected).count();
        self.fn_ += expected.difference(found).count();
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
}

/// Scans the labelled set (tests/text-set) and checks the issue's accuracy bars; prints the figures
/// (`scripts/eval-text` runs this test with --nocapture).
#[test]
fn labelled_set_meets_accuracy_bars() {
    let dir = set_dir();
    let labels: Labels =
        toml::from_str(&std::fs::read_to_string(dir.join("labels.toml")).unwrap()).unwrap();
    let files: Vec<String> = labels
        .transcript
        .iter()
        .map(|t| dir.join(&t.file).display().to_string())
        .collect();
    let mut args = vec!["scan", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let (mut pii, mut phrases) = (Tally::default(), Tally::default());
    let (mut clean, mut clean_false_flags) = (0, 0);
    let mut mismatches = Vec::new();
    for (t, path) in labels.transcript.iter().zip(&files) {
        let source = report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not in the report"));
        let found: BTreeSet<String> = source["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] != "staged_dialogue")
            .map(label_of)
            .collect();
        let expected: BTreeSet<String> = t.expect.iter().cloned().collect();
        let is_pii = |l: &String| l.starts_with("pii/");
        let split = |s: &BTreeSet<String>, want: bool| -> BTreeSet<String> {
            s.iter().filter(|l| is_pii(l) == want).cloned().collect()
        };
        pii.add(&split(&expected, true), &split(&found, true));
        phrases.add(&split(&expected, false), &split(&found, false));
        if !expected.iter().any(|l| !is_pii(l)) {
            clean += 1;
            clean_false_flags += split(&found, false).len();
        }
        if found != expected {
            mismatches.push(format!(
                "{}: expected {expected:?}, found {found:?}",
                t.file
            ));
        }
    }
    let per_20_clean = clean_false_flags as f64 * 20.0 / clean.max(1) as f64;
    println!(
        "labelled set: {} transcripts ({clean} without phrase findings expected)",
        labels.transcript.len()
    );
    println!(
        "personal data: recall {:.3}, precision {:.3} ({:?})",
        pii.recall(),
        pii.precision(),
        pii
    );
    println!(
        "phrase rules: recall {:.3}, precision {:.3} ({:?}); false flags on clean calls: {clean_false_flags} ({per_20_clean:.2} per 20)",
        phrases.recall(),
        phrases.precision(),
        phrases
    );
    for m in &mismatches {
        println!("  mismatch {m}");
    }
    assert!(labels.transcript.len() >= 60);
    assert!(pii.recall() >= 0.95 && pii.precision() >= 0.95, "{pii:?}");
    assert!(phrases.recall() >= 0.9, "{phrases:?}");
    assert!(
        per_20_clean <= 1.0,
        "{clean_false_flags} false flags on {clean} clean calls"
    );
}

/// Per-category precision and recall of personal data over both labelled sets: the main set's
/// `pii/` labels and the personal-data set (tests/text-set/pii, written separately); prints the
/// table `scripts/eval-text` shows and README quotes.
#[test]
fn personal_data_per_category() {
    let mut tallies: std::collections::BTreeMap<String, Tally> = Default::default();
    for dir in [set_dir(), set_dir().join("pii")] {
        let labels: Labels =
            toml::from_str(&std::fs::read_to_string(dir.join("labels.toml")).unwrap()).unwrap();
        let files: Vec<String> = labels
            .transcript
            .iter()
            .map(|t| dir.join(&t.file).display().to_string())
            .collect();
        let mut args = vec!["scan", "--json"];
        args.extend(files.iter().map(String::as_str));
        let report = json(&run(&args));
        for (t, (path, source)) in labels
            .transcript
            .iter()
            .zip(files.iter().zip(report["sources"].as_array().unwrap()))
        {
            assert_eq!(source["source"], path.as_str());
            let found: BTreeSet<String> = source["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "pii")
                .map(label_of)
                .collect();
            let expected: BTreeSet<String> = t
                .expect
                .iter()
                .filter(|l| l.starts_with("pii/"))
                .cloned()
                .collect();
            let category = |l: &String| l[4..l.find('@').unwrap()].to_string();
            let categories: BTreeSet<String> =
                found.iter().chain(&expected).map(category).collect();
            for c in categories {
                let of = |s: &BTreeSet<String>| -> BTreeSet<String> {
                    s.iter().filter(|l| category(l) == c).cloned().collect()
                };
                tallies
                    .entry(c.clone())
                    .or_default()
                    .add(&of(&expected), &of(&found));
            }
            if found != expected {
                println!(
                    "  pii mismatch {}: expected {expected:?}, found {found:?}",
                    t.file
                );
            }
        }
    }
    println!("personal data by category (both labelled sets):");
    println!(
        "  {:<14} {:>5} {:>5} {:>5} {:>7} {:>9}",
        "category", "tp", "fp", "fn", "recall", "precision"
    );
    let mut all = Tally::default();
    for (c, t) in &tallies {
        println!(
            "  {c:<14} {:>5} {:>5} {:>5} {:>7.2} {:>9.2}",
            t.tp,
            t.fp,
            t.fn_,
            t.recall(),
            t.precision()
        );
        (all.tp, all.fp, all.fn_) = (all.tp + t.tp, all.fp + t.fp, all.fn_ + t.fn_);
    }
    println!(
        "  {:<14} {:>5} {:>5} {:>5} {:>7.2} {:>9.2}",
        "all",
        all.tp,
        all.fp,
        all.fn_,
        all.recall(),
        all.precision()
    );
    assert!(all.recall() >= 0.9 && all.precision() >= 0.9, "{all:?}");
}

/// Defense in depth: whatever the detectors found, the scan output of the personal-data set holds
/// none of the numbers said in it (cards split over lines, as whisper writes them, fullwidth).
#[test]
fn scan_output_never_shows_a_long_number() {
    let dir = set_dir().join("pii");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".txt"))
        .collect();
    files.sort();
    for json_output in [false, true] {
        let mut args = vec!["scan"];
        if json_output {
            args.push("--json");
        }
        args.extend(files.iter().map(String::as_str));
        let out = String::from_utf8_lossy(&run(&args).stdout).into_owned();
        for secret in [
            "5500 0000",
            "0000 0004",
            "4,111,111",
            "1234 5678",
            "112 233 445",
            "４１１１",
            "восемь девятьсот",
            "Seis uno dos",
        ] {
            assert!(!out.contains(secret), "{secret} shown:\n{out}");
        }
    }
}

#[test]
fn personal_data_is_masked_unless_asked() {
    let text = "Agent: Hello, my name is Anna from Acme.\nClient: My card is 4111 1111 1111 1111, email john@gmail.com\n";
    let masked = run_stdin(&["scan", "-", "--json"], text.as_bytes());
    let stdout = String::from_utf8_lossy(&masked.stdout);
    assert!(stdout.contains("4111 **** **** 1111"), "{stdout}");
    assert!(stdout.contains("j***@gmail.com"));
    assert!(!stdout.contains("4111 1111 1111 1111") && !stdout.contains("john@"));
    let human = run_stdin(&["scan", "-"], text.as_bytes());
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("pii/card_number") && !human.contains("4111 1111"),
        "{human}"
    );
    let shown = run_stdin(&["scan", "-", "--json", "--show-pii"], text.as_bytes());
    assert!(String::from_utf8_lossy(&shown.stdout).contains("4111 1111 1111 1111"));
}

#[test]
fn spans_point_into_the_input_and_lines_are_input_lines() {
    let text = "Agent: Good morning, my name is Anna from Acme.\n\nClient: hi\nAgent: This price is only today!\n";
    let out = run_stdin(&["scan", "-", "--json"], text.as_bytes());
    let report = json(&out);
    let f = report["sources"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "manipulation")
        .unwrap()
        .clone();
    assert_eq!(f["line"], 4);
    let (s, e) = (
        f["span"][0].as_u64().unwrap() as usize,
        f["span"][1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "only today");
    assert_eq!(f["speaker"], "Agent");
}

#[test]
fn facts_give_misinformation_and_cross_file_inconsistency() {
    let dir = tempfile::tempdir().unwrap();
    let facts = write(
        dir.path(),
        "facts.toml",
        "[[fact]]\nid = \"delivery-days\"\nabout = [\"delivery\", \"доставк\", \"entrega\"]\nvalue = \"3-5\"\nunit = \"day\"\n",
    );
    let a = write(
        dir.path(),
        "a.txt",
        "Agent: Hello, my name is Bob from Acme.\nAgent: Delivery takes seven days.\n",
    );
    let b = write(
        dir.path(),
        "b.txt",
        "Agent: Hello, my name is Ann from Acme.\nAgent: Delivery takes four days.\n",
    );
    let out = run(&[
        "scan",
        "--json",
        "--facts",
        facts.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let report = json(&out);
    let findings_of = |i: usize| report["sources"][i]["findings"].as_array().unwrap().clone();
    let lie = findings_of(0)
        .into_iter()
        .find(|f| f["kind"] == "misinformation")
        .expect("misinformation in a.txt");
    assert_eq!(
        (lie["stated"].as_str(), lie["expected"].as_str()),
        (Some("7"), Some("3-5"))
    );
    assert!(!findings_of(1).iter().any(|f| f["kind"] == "misinformation"));
    let inconsistency = findings_of(1)
        .into_iter()
        .find(|f| f["kind"] == "inconsistency")
        .expect("inconsistency in b.txt");
    let message = inconsistency["message"].as_str().unwrap();
    assert!(
        message.contains("a.txt") && message.contains("seven days"),
        "{message}"
    );
}

#[test]
fn unreadable_inputs_exit_2_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", "Agent: This price is only today!\n");
    let binary = dir.path().join("binary.txt");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1]).unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"ok line\nse\xf1or\n").unwrap();
    let empty = write(dir.path(), "empty.txt", "  \n");
    let bad_srt = write(
        dir.path(),
        "bad.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:zz --> 1\nHello\n",
    );
    let missing = dir.path().join("missing.txt");
    let out = run(&[
        "scan",
        "--json",
        good.to_str().unwrap(),
        binary.to_str().unwrap(),
        latin1.to_str().unwrap(),
        empty.to_str().unwrap(),
        bad_srt.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["sources"].as_array().unwrap().len(), 1);
    let errors = report["errors"].as_array().unwrap();
    let message_for = |name: &str| -> String {
        errors
            .iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(name))
            .map(|e| e["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))
    };
    assert!(message_for("binary.txt").contains("binary"));
    assert!(message_for("latin1.txt").starts_with("line 2:"));
    assert!(message_for("empty.txt").contains("empty"));
    assert!(message_for("bad.srt").starts_with("line 6:"));
    assert!(message_for("missing.txt").contains("cannot read"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.srt: line 6"), "{stderr}");
}

#[test]
fn bad_rules_and_facts_files_exit_1_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "pack.toml", "[[rule]]\nid = \"x\"\nkind = \"manipulation\"\nlanguages = [\"en\"]\nseverity = \"loud\"\n");
    let facts = write(
        dir.path(),
        "facts.toml",
        "[[fact]]\nid = \"p\"\nabout = [\"price\"]\nunit = \"parsec\"\n",
    );
    let input = write(dir.path(), "in.txt", "hello\n");
    let out = run(&[
        "scan",
        "--rules",
        rules.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pack.toml:5"), "{stderr}");
    let out = run(&[
        "scan",
        "--facts",
        facts.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("facts.toml:2") && stderr.contains("parsec"),
        "{stderr}"
    );
    let out = run(&["scan", "--lang", "english", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rules_test_checks_examples_and_rules_list_shows_rationale() {
    let dir = tempfile::tempdir().unwrap();
    let pack = write(
        dir.path(),
        "mine.toml",
        r#"[[rule]]
id = "mine.pushy"
kind = "manipulation"
category = "pushy"
languages = ["en"]
severity = "medium"
rationale = "Pushy closing line."
patterns = ["sign* .. right now"]
examples = ["Sign it right now", "just signing this right now"]
counter_examples = ["Right now I cannot sign", "sign here tomorrow"]
"#,
    );
    let out = run(&["rules", "test", pack.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let failing = write(
        dir.path(),
        "failing.toml",
        &std::fs::read_to_string(&pack)
            .unwrap()
            .replace("sign here tomorrow", "sign it right now please"),
    );
    let out = run(&["rules", "test", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("failing.toml:2: rule mine.pushy: counter_example matches"),
        "{stdout}"
    );
    let out = run(&["rules", "test"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&[
        "rules",
        "list",
        "--rules",
        pack.to_str().unwrap(),
        "--lang",
        "ru",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("outdated.what-worries-you.ru") && !stdout.contains("mine.pushy"));
    let call = write(dir.path(), "call.txt", "Agent: Please sign it right now.\n");
    let out = run(&[
        "scan",
        "--rules",
        pack.to_str().unwrap(),
        "--json",
        call.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mine.pushy"));
}

#[test]
fn callqa_json_transcripts_are_read_with_times() {
    let dir = tempfile::tempdir().unwrap();
    let json_input = write(
        dir.path(),
        "call.json",
        r#"{"language": "es", "segments": [{"speaker": "agent", "start_s": 1.0, "end_s": 3.0, "text": "Esta oferta es solo hoy."}]}"#,
    );
    let out = run(&["scan", "--json", json_input.to_str().unwrap()]);
    let report = json(&out);
    let findings = report["sources"][0]["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["kind"] == "manipulation")
        .unwrap();
    assert_eq!(f["time_ranges"][0]["start_s"], 1.0);
}

/// Throughput with all packs on one large transcript; run with
/// `cargo test --release --test integration scan::throughput -- --ignored --nocapture` (see scripts/bench-text).
#[test]
#[ignore]
fn throughput() {
    let dir = set_dir();
    let mut blob = String::new();
    for lang in ["en", "ru", "es"] {
        for entry in std::fs::read_dir(dir.join(lang)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "txt") {
                blob.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let target = 50 << 20;
    let text = blob.repeat(target / blob.len() + 1);
    let tmp = tempfile::tempdir().unwrap();
    let input = write(tmp.path(), "big.txt", &text);
    let start = std::time::Instant::now();
    let out = run(&["scan", "--json", input.to_str().unwrap()]);
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0));
    println!(
        "throughput: {:.1} MB in {seconds:.2} s = {:.1} MB/s",
        text.len() as f64 / 1e6,
        text.len() as f64 / 1e6 / seconds
    );
}

#[test]
fn pasted_transcripts_get_a_staged_call_finding_without_timing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.txt");
    let mut text = String::new();
    for turn in 0..6 {
        text.push_str(&format!(
            "Agent: Thank you for waiting, I checked the order number {turn} and the courier is on the way today.\n\
             Customer: Well, um, okay, so it comes before six, or maybe tomorrow morning, right?\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    let out = run(&["scan", "--json", path.to_str().unwrap()]);
    let report = json(&out);
    let findings = report["sources"][0]["findings"].as_array().unwrap();
    let staged = findings
        .iter()
        .find(|f| f["kind"] == "staged_dialogue")
        .expect("a staged_dialogue finding on every scanned transcript");
    let message = staged["message"].as_str().unwrap();
    assert!(message.contains("timing was not available"), "{staged}");
}

/// A transcript with more findings than `scan` holds in memory (they go to a temporary file) prints
/// every one of them, in order, as the in-memory scan of the library gives them; and a long
/// pretty-printed JSON transcript (read in batches of segments) gives the findings of the same
/// lines as plain text.
#[test]
fn findings_past_the_memory_budget_are_all_printed_in_order() {
    use callqa::commands::scan::scan_text;
    use callqa::text::parse::InputFormat;
    use callqa::text::rules::RuleSet;
    use callqa::text::scan::ScanOptions;

    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..24_000)
        .map(|i| format!("Client: write to client{i}@example.com please\n"))
        .collect();
    let input = write(dir.path(), "dense.txt", &text);
    let printed = json(&run(&["scan", "--json", input.to_str().unwrap()]));
    let printed = printed["sources"][0]["findings"].clone();
    let (expected, _) = scan_text(
        &text,
        InputFormat::Auto,
        &RuleSet::builtin(),
        &ScanOptions::default(),
    )
    .unwrap();
    assert!(expected.len() > 24_000, "{}", expected.len());
    assert_eq!(printed, serde_json::to_value(&expected).unwrap());

    let lines: Vec<String> = (0..20_000)
        .map(|i| {
            serde_json::json!({"speaker": "Client", "text": format!("my mail is client{i}@example.com")})
                .to_string()
        })
        .collect();
    let padded = format!("{{\"segments\": [\n{}\n]}}", lines.join(",\n")).replace(
        "\"text\"",
        &format!("\"note\": \"{}\", \"text\"", "x".repeat(200)),
    );
    let input = write(dir.path(), "long.json", &padded);
    assert!(padded.len() > 5 << 20, "longer than a piece");
    let out = run(&["scan", "--json", input.to_str().unwrap()]);
    let report = json(&out);
    let emails = report["sources"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "email")
        .map(|f| f["line"].as_u64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(emails, (1..=20_000).collect::<Vec<u64>>());
}

/// The staged-call message of a long transcript states its word count readably: a count of six
/// digits would be hidden by the long-number mask.
#[test]
fn a_long_transcript_staged_message_is_not_masked() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Agent: Thank you for calling, how can I help you today with your order?\n\
                Client: I would like to know when the parcel arrives at my house.\n"
        .repeat(4_500);
    let input = write(dir.path(), "long.txt", &text);
    let report = json(&run(&["scan", "--json", input.to_str().unwrap()]));
    let findings = report["sources"][0]["findings"].as_array().unwrap();
    let staged = findings
        .iter()
        .find(|f| f["kind"] == "staged_dialogue")
        .unwrap();
    let shown = staged.to_string();
    assert!(shown.contains("formulas: 8.0 per 100 words"), "{shown}");
    assert!(!shown.contains("******"), "{shown}");
}
