//! The functions the `transcript`, `settings` and `report` fuzz targets drive (fuzz/), run in the
//! regular suite: over the regression corpus in tests/fixtures/fuzz/<target>/ (a file named
//! `ok-*` must load, `err-*` must be refused, `any-*` only must not panic) and over randomly
//! mutated copies of the labelled transcripts, the shipped packs and facts, and saved reports.
//! `CALLQA_MUTATION_CASES=20000` explores further than the default.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use callqa::commands::report::prepare;
use callqa::commands::scan::{scan_reader, scan_text};
use callqa::config::ConfigFile;
use callqa::report::csv::{CsvExport, FindingsCsvExport};
use callqa::report::html::HtmlExport;
use callqa::report::Export;
use callqa::text::facts::FactSet;
use callqa::text::parse::InputFormat;
use callqa::text::rules::{parse_pack, RuleSet};
use callqa::text::scan::ScanOptions;
use serde_json::Value;

use crate::util::{mutate, repo, Rng};

fn cases() -> usize {
    std::env::var("CALLQA_MUTATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn files_in(folder: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(repo(folder))
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            extensions.iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    found.sort();
    found
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin)
}

fn facts() -> &'static FactSet {
    static FACTS: OnceLock<FactSet> = OnceLock::new();
    FACTS.get_or_init(|| {
        let text = fs::read_to_string(repo("samples/facts.toml")).unwrap();
        FactSet::parse("samples/facts.toml", &text).unwrap()
    })
}

/// What the `transcript` target does: parse in `format` and scan, masked and unmasked, and read
/// in small pieces (whose result is not compared: a piece judges the agent on less text).
fn scan_both_ways(text: &str, format: InputFormat) -> bool {
    let options = |show_pii| ScanOptions {
        languages: &[],
        show_pii,
        facts: Some(facts()),
    };
    let piece_bytes = 1 + text.len() % 300;
    let _ = scan_reader(
        text.as_bytes(),
        format,
        rules(),
        &options(false),
        piece_bytes,
    );
    [false, true]
        .into_iter()
        .all(|show_pii| scan_text(text, format, rules(), &options(show_pii)).is_ok())
}

/// What the `settings` target does, by the file's kind (`.rules.toml`, `.facts.toml`, else a
/// config file).
fn load_settings(name: &str, text: &str) -> bool {
    if name.ends_with(".rules.toml") {
        parse_pack(name, text).is_ok_and(|rules| RuleSet::with_extra(rules).is_ok())
    } else if name.ends_with(".facts.toml") {
        FactSet::parse(name, text).is_ok()
    } else {
        ConfigFile::parse(Path::new(name), text).is_ok()
    }
}

/// What the `report` target does: read back and render every export in memory.
fn rerender(text: &str) -> bool {
    let Ok(report) = prepare(text, None, false) else {
        return false;
    };
    let html = HtmlExport::default();
    let exports: [&dyn Export; 3] = [&html, &CsvExport, &FindingsCsvExport];
    for export in exports {
        export.write(&report, &mut Vec::new()).unwrap();
    }
    true
}

/// Runs `load` over every corpus file of `folder` and checks the `ok-`/`err-` expectations.
fn corpus(folder: &str, load: impl Fn(&Path, &str) -> bool) {
    let files = files_in(folder, &[""]);
    assert!(!files.is_empty(), "{folder} holds the regression corpus");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let loaded = catch_unwind(AssertUnwindSafe(|| load(&path, &text)))
            .unwrap_or_else(|_| panic!("{name} panicked"));
        if name.starts_with("ok-") {
            assert!(loaded, "{name} must load");
        } else if name.starts_with("err-") {
            assert!(!loaded, "{name} must be refused");
        }
    }
}

/// Mutates random picks of `originals` `cases()` times; `load` must never panic, and both
/// outcomes must occur (or the loop tests nothing).
fn mutated(originals: &[(String, Vec<u8>)], seed: u64, mut load: impl FnMut(&str, &[u8]) -> bool) {
    let mut rng = Rng(seed);
    let mut outcomes = BTreeMap::<bool, usize>::new();
    for case in 0..cases() {
        let (name, bytes) = &originals[rng.below(originals.len())];
        let mut bytes = bytes.clone();
        for _ in 0..1 + rng.below(3) {
            if !bytes.is_empty() {
                mutate(&mut bytes, &mut rng);
            }
        }
        let loaded = catch_unwind(AssertUnwindSafe(|| load(name, &bytes)))
            .unwrap_or_else(|_| panic!("case {case} (mutated {name}) panicked"));
        *outcomes.entry(loaded).or_default() += 1;
    }
    assert_eq!(outcomes.len(), 2, "only one outcome: {outcomes:?}");
}

fn read_all(paths: Vec<PathBuf>) -> Vec<(String, Vec<u8>)> {
    paths
        .into_iter()
        .map(|p| (p.to_string_lossy().into_owned(), fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn transcript_corpus_loads_as_expected() {
    corpus("tests/fixtures/fuzz/transcript", |path, text| {
        let format = InputFormat::from_extension(&path.to_string_lossy());
        scan_both_ways(text, format)
    });
}

#[test]
fn settings_corpus_loads_as_expected() {
    corpus("tests/fixtures/fuzz/settings", |path, text| {
        load_settings(&path.to_string_lossy(), text)
    });
}

#[test]
fn report_corpus_loads_as_expected() {
    corpus("tests/fixtures/fuzz/report", |_, text| rerender(text));
}

#[test]
fn mutated_transcripts_never_panic() {
    let mut paths = files_in("tests/text-set/en", &[".txt", ".srt", ".vtt"]);
    paths.extend(files_in("tests/text-set/pii", &[".txt"]));
    paths.extend(files_in("tests/fixtures/fuzz/transcript", &[""]));
    let mut pick = 0;
    mutated(&read_all(paths), 0x7e57_5ca1_0000_0001, |_, bytes| {
        pick += 1;
        scan_both_ways(
            &String::from_utf8_lossy(bytes),
            InputFormat::ALL[pick % InputFormat::ALL.len()],
        )
    });
}

#[test]
fn mutated_settings_never_panic() {
    let mut paths = files_in("tests/fixtures/fuzz/settings", &[".toml"]);
    paths.push(repo("samples/facts.toml"));
    let originals: Vec<(String, Vec<u8>)> = read_all(paths)
        .into_iter()
        .chain(files_in("src/text/packs", &[".toml"]).into_iter().map(|p| {
            // Shipped packs hold ids the built-in set already has: rename them as an extra pack.
            let text = fs::read_to_string(&p)
                .unwrap()
                .replace("id = \"", "id = \"extra.");
            (format!("{}.rules.toml", p.display()), text.into_bytes())
        }))
        .collect();
    mutated(&originals, 0x5e77_1265_0000_0002, |name, bytes| {
        load_settings(name, &String::from_utf8_lossy(bytes))
    });
}

/// Saved reports mutated as bytes, and as JSON: a number or string replaced by an extreme one,
/// which reaches the checks and renderers behind the parser.
#[test]
fn mutated_reports_never_panic() {
    let originals = read_all(files_in("tests/fixtures/fuzz/report", &[".json"]));
    let mut rng = Rng(0x4e90_47f5_0000_0003);
    mutated(&originals, 0x4e90_47f5_0000_0004, |_, bytes| {
        let text = String::from_utf8_lossy(bytes);
        match serde_json::from_str::<Value>(&text) {
            Ok(mut value) if rng.below(2) == 0 => {
                extreme_leaf(&mut value, &mut rng);
                rerender(&value.to_string())
            }
            _ => rerender(&text),
        }
    });
}

/// Replaces one random number or string leaf of `value` by an extreme value.
fn extreme_leaf(value: &mut Value, rng: &mut Rng) {
    const NUMBERS: [f64; 7] = [1e308, -1e308, 1e9, -1.0, 0.0, 1e-300, 4e9];
    let mut leaves = Vec::new();
    collect_leaves(value, &mut Vec::new(), &mut leaves);
    if leaves.is_empty() {
        return;
    }
    let path = &leaves[rng.below(leaves.len())];
    let mut leaf = &mut *value;
    for step in path {
        leaf = match step {
            Step::Key(k) => &mut leaf[k.as_str()],
            Step::Index(i) => &mut leaf[*i],
        };
    }
    *leaf = if leaf.is_number() {
        serde_json::json!(NUMBERS[rng.below(NUMBERS.len())])
    } else {
        Value::String("\u{1b}[2J\u{202e}=cmd|' /C calc'!A0 ".repeat(1 + rng.below(50)))
    };
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn collect_leaves(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Step::Key(k.clone()));
                collect_leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect_leaves(v, path, out);
                path.pop();
            }
        }
        Value::Number(_) | Value::String(_) => out.push(path.clone()),
        _ => {}
    }
}
