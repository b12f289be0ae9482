//! `callqa rules list|test`: the phrase rules in force, and the self-test of rule packs' examples
//! (with no files: the built-in packs and the manipulation cue lexicons).

use std::io::Write;
use std::path::PathBuf;

use super::files::load_packs;
use super::output::{enum_name, ignore_broken_pipe, Paint};
use crate::config::{RulesConfig, Terminal};
use crate::escape;
use crate::exit_codes::ExitCode;
use crate::text::cues;
use crate::text::rules::{builtin_rules, Rule, RuleSet};

/// `callqa rules list|test` (severities coloured with `terminal.color`; `rules test -q` prints
/// only the failures).
pub fn run(config: &RulesConfig, terminal: Terminal) -> anyhow::Result<ExitCode> {
    match config {
        RulesConfig::List {
            rules_files,
            languages,
        } => list_rules(rules_files, languages, Paint { on: terminal.color }),
        RulesConfig::Test { files } => test_rules(files, terminal.quiet),
    }
}

fn list_rules(files: &[PathBuf], languages: &[String], paint: Paint) -> anyhow::Result<ExitCode> {
    let set = RuleSet::with_extra(load_packs(files)?)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    ignore_broken_pipe(
        write_rule_list(&set, languages, paint, &mut out).and_then(|()| out.flush()),
    )?;
    Ok(ExitCode::Success)
}

fn write_rule_list(
    set: &RuleSet,
    languages: &[String],
    paint: Paint,
    out: &mut impl Write,
) -> std::io::Result<()> {
    for rule in set.rules() {
        if !languages.is_empty() && !rule.languages.iter().any(|l| languages.contains(l)) {
            continue;
        }
        let kind = enum_name(&rule.kind);
        let severity = paint.severity(rule.severity, &enum_name(&rule.severity));
        writeln!(
            out,
            "{}\t{kind}/{}\t{}\t{severity}",
            escape::terminal(&rule.id),
            escape::terminal(&rule.category),
            escape::terminal(&rule.languages.join(","))
        )?;
        writeln!(out, "    {}", escape::terminal(&rule.rationale))?;
    }
    Ok(())
}

fn test_rules(files: &[PathBuf], quiet: bool) -> anyhow::Result<ExitCode> {
    let rules = if files.is_empty() {
        builtin_rules()?
    } else {
        load_packs(files)?
    };
    RuleSet::from_rules(rules.clone())?;
    let mut failures: Vec<_> = rules.iter().flat_map(Rule::self_test).collect();
    let mut examples: usize = rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    if files.is_empty() {
        let (cue_failures, cue_examples) = cues::self_test();
        failures.extend(cue_failures);
        examples += cue_examples;
    }
    for failure in &failures {
        println!("FAIL {}", escape::terminal(&failure.to_string()));
    }
    if !quiet {
        println!(
            "{} rule(s), {examples} example(s) checked, {} failure(s)",
            rules.len(),
            failures.len()
        );
    }
    Ok(if failures.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::ExamplesFailed
    })
}
