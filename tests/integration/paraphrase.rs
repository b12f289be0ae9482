//! Phrase rules on wordings nobody tuned them on (issue 15): recall on the paraphrase set
//! `tests/paraphrase-set` (en/ru/es lines written apart from the packs' examples, ASR-style
//! lowercase without punctuation, each with the kind it must raise or `clean`), and false flags on
//! natural speech from realdev: the SpokenWOZ calls' transcripts (`calls/natural_*.turns.txt`) and
//! the read-speech reference texts (`asr/*/*.txt`), every line scanned as if the agent said it.
//! Without realdev the natural-speech part prints a loud `SKIPPED` line. `scripts/eval-text`
//! prints the figures; the test fails when recall < 0.9 or natural calls get more than 1 false flag
//! per 20.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::realdev::realdev;
use crate::util::{json, repo, run};

/// The finding kinds of phrase rules and of the manipulation cue layer.
pub const PHRASE_KINDS: &[&str] = &[
    "outdated_phrase",
    "manipulation",
    "service_error",
    "confidential",
];

/// One labelled line of the paraphrase set.
struct SetLine {
    expected: String,
    text: String,
}

fn read_set(lang: &str) -> Vec<SetLine> {
    let text = std::fs::read_to_string(repo(&format!("tests/paraphrase-set/{lang}.txt"))).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (expected, text) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("no tab: {l:?}"));
            assert!(
                expected == "clean" || PHRASE_KINDS.contains(&expected),
                "bad kind {expected:?}"
            );
            SetLine {
                expected: expected.to_string(),
                text: text.to_string(),
            }
        })
        .collect()
}

/// A phrase finding: (1-based line, kind, rule, excerpt).
pub type PhraseFinding = (usize, String, String, String);

/// The phrase findings of scanning `lines` as one plain-text transcript in `lang`.
pub fn scan_lines(dir: &Path, name: &str, lang: &str, lines: &[String]) -> Vec<PhraseFinding> {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n")).unwrap();
    scan_file(&path, &["--input-format", "text", "--lang", lang])
}

/// The phrase findings of `callqa scan --json FILE` with `options`.
pub fn scan_file(path: &Path, options: &[&str]) -> Vec<PhraseFinding> {
    let path = path.display().to_string();
    let mut args = vec!["scan", "--json"];
    args.extend_from_slice(options);
    args.push(&path);
    let report = json(&run(&args));
    let findings = report["sources"][0]["findings"].as_array().unwrap().clone();
    findings
        .iter()
        .filter(|f| PHRASE_KINDS.contains(&f["kind"].as_str().unwrap_or("")))
        .map(|f: &Value| {
            (
                f["line"].as_u64().unwrap() as usize,
                f["kind"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap_or("").to_string(),
                f["excerpt"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The text lines of a SpokenWOZ `*.turns.txt` (`[start-end] A: words`), speakers dropped.
pub fn turn_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let body = l.split_once("] ").map_or(l, |(_, rest)| rest);
            let body = body.split_once(": ").map_or(body, |(_, rest)| rest);
            body.trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// Files in `dir` whose names satisfy `keep`, sorted.
pub fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Phrase findings on each text of a clean set: prints them and returns (texts, findings).
fn clean_set_flags(
    dir: &Path,
    label: &str,
    texts: &[(String, String, Vec<String>)],
) -> (usize, usize) {
    let mut flags = 0;
    for (i, (name, lang, lines)) in texts.iter().enumerate() {
        let found = scan_lines(dir, &format!("clean{i}.txt"), lang, lines);
        for (line, kind, rule, excerpt) in &found {
            println!("  false flag ({label}) {name}:{line}: {kind} {rule} {excerpt:?}");
        }
        flags += found.len();
    }
    (texts.len(), flags)
}

#[test]
fn paraphrase_recall_and_natural_false_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hits, mut positives, mut clean_lines, mut clean_flags) = (0, 0, 0, 0);
    for lang in ["en", "ru", "es"] {
        let set = read_set(lang);
        let lines: Vec<String> = set.iter().map(|l| l.text.clone()).collect();
        let mut found: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for (line, kind, _, _) in scan_lines(dir.path(), &format!("{lang}.txt"), lang, &lines) {
            found.entry(line).or_default().insert(kind);
        }
        let (mut lang_hits, mut lang_positives) = (0, 0);
        for (i, l) in set.iter().enumerate() {
            let kinds = found.get(&(i + 1)).cloned().unwrap_or_default();
            if l.expected == "clean" {
                clean_lines += 1;
                if !kinds.is_empty() {
                    clean_flags += 1;
                    println!("  flagged clean line ({lang}) {:?}: {kinds:?}", l.text);
                }
                continue;
            }
            lang_positives += 1;
            if kinds.contains(&l.expected) {
                lang_hits += 1;
            } else {
                println!(
                    "  missed ({lang}, {}) {:?}: found {kinds:?}",
                    l.expected, l.text
                );
            }
        }
        println!(
            "paraphrase set {lang}: recall {:.3} ({lang_hits}/{lang_positives})",
            lang_hits as f64 / lang_positives.max(1) as f64
        );
        hits += lang_hits;
        positives += lang_positives;
    }
    let recall = hits as f64 / positives.max(1) as f64;
    println!(
        "paraphrase set: recall {recall:.3} ({hits}/{positives}); clean lines flagged: {clean_flags}/{clean_lines}"
    );

    let Some(root) = realdev() else {
        println!("SKIPPED: natural-call false flags (realdev not found; set CALLQA_REALDEV)");
        assert!(recall >= 0.9, "paraphrase recall {recall:.3}");
        return;
    };
    let calls: Vec<(String, String, Vec<String>)> = files(&root.join("calls"), |n| {
        n.starts_with("natural_") && n.ends_with(".turns.txt")
    })
    .iter()
    .map(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let lang = name.split('_').nth(1).unwrap_or("en").to_string();
        (name, lang, turn_lines(&std::fs::read_to_string(p).unwrap()))
    })
    .collect();
    let (n_calls, call_flags) = clean_set_flags(dir.path(), "natural call", &calls);
    let per_20_calls = call_flags as f64 * 20.0 / n_calls.max(1) as f64;
    println!(
        "natural calls (realdev SpokenWOZ transcripts, every line as the agent's): {n_calls} calls, \
         {call_flags} phrase findings = {per_20_calls:.2} false flags per 20 calls"
    );
    let mut read: Vec<(String, String, Vec<String>)> = Vec::new();
    for lang in ["en", "ru", "es"] {
        for p in files(&root.join("asr").join(lang), |n| n.ends_with(".txt")) {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = format!("asr/{lang}/{}", p.file_name().unwrap().to_string_lossy());
            read.push((
                name,
                lang.to_string(),
                text.lines().map(str::to_string).collect(),
            ));
        }
    }
    let (n_read, read_flags) = clean_set_flags(dir.path(), "read speech", &read);
    println!(
        "read speech (realdev asr reference texts, not calls): {n_read} texts, {read_flags} phrase \
         findings = {:.2} per 20 texts",
        read_flags as f64 * 20.0 / n_read.max(1) as f64
    );
    assert!(recall >= 0.9, "paraphrase recall {recall:.3}");
    assert!(n_calls >= 1, "no natural call transcripts in realdev");
    assert!(
        per_20_calls <= 1.0,
        "{call_flags} false flags on {n_calls} natural calls"
    );
}
