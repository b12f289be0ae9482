//! Fuzz target: arbitrary text through the transcript parsers (plain text, speaker lines, SRT,
//! VTT, callqa JSON) and the whole scan (personal data, phrase rules, claims against facts,
//! masking, conversation metrics), whole and read in pieces. Any panic is a bug; a parse error
//! is the right answer.
#![no_main]

use std::sync::OnceLock;

use callqa::commands::scan::{scan_reader, scan_text};
use callqa::text::facts::FactSet;
use callqa::text::parse::InputFormat;
use callqa::text::rules::RuleSet;
use callqa::text::scan::ScanOptions;
use libfuzzer_sys::fuzz_target;

/// Facts that the claims parser binds prices, days and percentages to.
const FACTS: &str = include_str!("../../samples/facts.toml");

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin)
}

fn facts() -> &'static FactSet {
    static FACT_SET: OnceLock<FactSet> = OnceLock::new();
    FACT_SET.get_or_init(|| FactSet::parse("samples/facts.toml", FACTS).expect("sample facts load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    // The first byte picks the layout.
    let format = InputFormat::ALL[usize::from(pick) % InputFormat::ALL.len()];
    let text = String::from_utf8_lossy(bytes);
    for show_pii in [false, true] {
        let options = ScanOptions {
            languages: &[],
            show_pii,
            facts: Some(facts()),
        };
        let _ = scan_text(&text, format, rules(), &options);
    }
    // The same text read in pieces (as `scan` reads a file), some as small as a line.
    let options = ScanOptions {
        languages: &[],
        show_pii: false,
        facts: Some(facts()),
    };
    let piece_bytes = 1 + usize::from(pick) * 7 % 300;
    let _ = scan_reader(text.as_bytes(), format, rules(), &options, piece_bytes);
});
