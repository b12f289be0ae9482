//! The manipulation cue layer on real pressure calls and on natural ones (issue 15, "manipulation
//! in the wild"): the share of the calls in `tests/pressure-set` (scam and telemarketing scripts
//! from public consumer-protection material, en/es/ru; see its SOURCES.md) that get the cue
//! layer's `manipulation` finding, and the layer's false flags on natural calls: realdev's
//! SpokenWOZ transcripts (every line as the agent's) and, where `scripts/eval-real` has cached them
//! (`$CALLQA_ASR_CACHE`, else `/tmp/eval-real-cache`), whisper's transcripts of realdev's natural
//! calls with their speakers (agent speech only, as `analyze` scans it). Missing sets print a loud
//! `SKIPPED` line. The test fails when fewer than 0.6 of the pressure calls are flagged or natural
//! calls get more than 1 manipulation finding per 20.

use std::path::{Path, PathBuf};

use crate::paraphrase::{files, scan_file, scan_lines, turn_lines, PhraseFinding};
use crate::realdev::realdev;
use crate::util::repo;

/// The cue layer's rule id.
const CUE_RULE: &str = "cues.manipulation";

/// One call of the pressure set.
struct PressureCall {
    id: String,
    /// `quoted` (reworded from a printed transcript) or `described` (rebuilt from a description).
    origin: String,
    lines: Vec<String>,
}

/// The calls of `tests/pressure-set/LANG.txt`: a `## id<TAB>origin<TAB>source` line, then the
/// caller's lines.
fn read_calls(lang: &str) -> Vec<PressureCall> {
    let text = std::fs::read_to_string(repo(&format!("tests/pressure-set/{lang}.txt"))).unwrap();
    let mut calls: Vec<PressureCall> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(header) = line.strip_prefix("## ") {
            let fields: Vec<&str> = header.split('\t').collect();
            assert_eq!(fields.len(), 3, "bad header {line:?}");
            assert!(["quoted", "described"].contains(&fields[1]), "{line:?}");
            calls.push(PressureCall {
                id: fields[0].to_string(),
                origin: fields[1].to_string(),
                lines: Vec::new(),
            });
        } else if !line.starts_with('#') {
            calls
                .last_mut()
                .expect("a line before the first call")
                .lines
                .push(line.to_string());
        }
    }
    calls
}

/// Flagged and total counts, per origin and together.
#[derive(Default)]
struct Tally {
    quoted: (usize, usize),
    described: (usize, usize),
}

impl Tally {
    fn add(&mut self, origin: &str, flagged: bool) {
        let slot = if origin == "quoted" {
            &mut self.quoted
        } else {
            &mut self.described
        };
        slot.0 += usize::from(flagged);
        slot.1 += 1;
    }

    fn all(&self) -> (usize, usize) {
        (
            self.quoted.0 + self.described.0,
            self.quoted.1 + self.described.1,
        )
    }
}

fn share((flagged, total): (usize, usize)) -> f64 {
    flagged as f64 / total.max(1) as f64
}

/// Scans every pressure call; prints each call's cue finding or miss and the shares per language.
fn pressure_tally(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    for lang in ["en", "es", "ru"] {
        let mut lang_tally = Tally::default();
        for (i, call) in read_calls(lang).iter().enumerate() {
            let found = scan_lines(dir, &format!("pressure-{lang}{i}.txt"), lang, &call.lines);
            let cue = found.iter().find(|f| f.2 == CUE_RULE);
            match cue {
                Some(f) => println!("  flagged {} ({}): {}", call.id, call.origin, f.3),
                None => println!(
                    "  missed {} ({}); other phrase findings: {:?}",
                    call.id,
                    call.origin,
                    found.iter().map(|f| &f.2).collect::<Vec<_>>()
                ),
            }
            lang_tally.add(&call.origin, cue.is_some());
            tally.add(&call.origin, cue.is_some());
        }
        let (flagged, total) = lang_tally.all();
        println!(
            "pressure set {lang}: {flagged}/{total} calls flagged by the cue layer = {:.2}",
            share((flagged, total))
        );
    }
    tally
}

/// The `manipulation` findings (phrase rules and cue layer) of each natural call: (calls, flags).
fn natural_flags(calls: &[(String, Vec<PhraseFinding>)]) -> (usize, usize) {
    let mut flags = 0;
    for (name, found) in calls {
        for (line, kind, rule, excerpt) in found.iter().filter(|f| f.1 == "manipulation") {
            println!("  false flag {name}:{line}: {kind} {rule} {excerpt:?}");
            flags += 1;
        }
    }
    (calls.len(), flags)
}

/// realdev's SpokenWOZ natural calls, every line scanned as the agent's.
fn spokenwoz_calls(dir: &Path, root: &Path) -> Vec<(String, Vec<PhraseFinding>)> {
    files(&root.join("calls"), |n| {
        n.starts_with("natural_") && n.ends_with(".turns.txt")
    })
    .iter()
    .enumerate()
    .map(|(i, p)| {
        let lines = turn_lines(&std::fs::read_to_string(p).unwrap());
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        (
            name,
            scan_lines(dir, &format!("natural{i}.txt"), "en", &lines),
        )
    })
    .collect()
}

/// The folder of `scripts/eval-real`'s cached reports.
fn asr_cache() -> PathBuf {
    std::env::var_os("CALLQA_ASR_CACHE")
        .map_or_else(|| PathBuf::from("/tmp/eval-real-cache"), PathBuf::from)
}

/// Whisper's transcripts of realdev's natural calls (cached recording JSON), scanned with their
/// speakers and languages as `analyze` would.
fn transcribed_natural_calls() -> Vec<(String, Vec<PhraseFinding>)> {
    files(&asr_cache(), |n| {
        n.starts_with("calls_natural_") && n.ends_with(".asr.json")
    })
    .iter()
    .map(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        (name, scan_file(p, &["--input-format", "json"]))
    })
    .collect()
}

#[test]
fn pressure_calls_flagged_and_natural_calls_not() {
    let dir = tempfile::tempdir().unwrap();
    let tally = pressure_tally(dir.path());
    let recall = share(tally.all());
    println!(
        "pressure set: {}/{} calls flagged by the cue layer = {recall:.2} (quoted {}/{}, described {}/{})",
        tally.all().0,
        tally.all().1,
        tally.quoted.0,
        tally.quoted.1,
        tally.described.0,
        tally.described.1
    );
    let mut natural = Vec::new();
    match realdev() {
        Some(root) => natural.extend(spokenwoz_calls(dir.path(), &root)),
        None => println!("SKIPPED: SpokenWOZ natural calls (realdev not found)"),
    }
    let transcribed = transcribed_natural_calls();
    if transcribed.is_empty() {
        println!(
            "SKIPPED: whisper transcripts of realdev's natural calls (none cached in {}; run \
             scripts/eval-real)",
            asr_cache().display()
        );
    }
    natural.extend(transcribed);
    let (calls, flags) = natural_flags(&natural);
    let per_20 = flags as f64 * 20.0 / calls.max(1) as f64;
    println!(
        "natural calls: {calls} transcripts, {flags} manipulation findings = {per_20:.2} per 20 calls"
    );
    assert!(recall >= 0.6, "pressure calls flagged {recall:.2}");
    assert!(
        per_20 <= 1.0,
        "{flags} manipulation findings on {calls} natural calls"
    );
}
