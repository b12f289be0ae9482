//! The claims parser on the labelled claims set (tests/claims-set): each stated quantity bound to
//! the right fact with the right value, and no misinformation on truthful sentences, as written
//! and as unpunctuated lowercase ASR text (`scripts/eval-text` prints the figures).

use serde::Deserialize;

use callqa::text::facts::{self, FactSet, Range};
use callqa::text::normalize::Normalized;

use crate::util::repo;

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    claims: Vec<String>,
    lies: Vec<String>,
}

/// What ASR gives for a sentence: lowercase, punctuation gone (a space) except between two digits
/// ("1.499,50", "3-5" stay); currency and percent signs kept.
fn asr_style(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || c.is_whitespace() || "$€₽%".contains(c) || between_digits {
            out.extend(c.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_expected(claim: &str) -> (String, Range) {
    let (fact, value) = claim.split_once('=').expect("fact=value");
    let range = match value.split_once('-') {
        Some((a, b)) => Range {
            min: a.parse().unwrap(),
            max: b.parse().unwrap(),
        },
        None => Range::single(value.parse().unwrap()),
    };
    (fact.to_string(), range)
}

fn same(a: &Range, b: &Range) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * x.abs().max(1.0);
    close(a.min, b.min) && close(a.max, b.max)
}

#[derive(Default)]
struct Score {
    stated: usize,
    bound: usize,
    extra: usize,
    truthful: usize,
    misinformation_on_truthful: usize,
    lies: usize,
    lies_found: usize,
    misses: Vec<String>,
}

impl Score {
    fn add(&mut self, other: Score) {
        self.stated += other.stated;
        self.bound += other.bound;
        self.extra += other.extra;
        self.truthful += other.truthful;
        self.misinformation_on_truthful += other.misinformation_on_truthful;
        self.lies += other.lies;
        self.lies_found += other.lies_found;
        self.misses.extend(other.misses);
    }

    fn line(&self, label: &str) -> String {
        format!(
            "claims {label}: {}/{} bound to the right fact and value ({:.3}), {} extra; \
             misinformation on {} truthful sentences: {}; lies found {}/{}",
            self.bound,
            self.stated,
            self.bound as f64 / self.stated.max(1) as f64,
            self.extra,
            self.truthful,
            self.misinformation_on_truthful,
            self.lies_found,
            self.lies,
        )
    }
}

fn score_sentence(facts: &FactSet, case: &Case, text: &str) -> Score {
    let norm = Normalized::new(text);
    let raws = facts::raw_claims(facts, &norm, text);
    let found: Vec<(String, Range)> = raws
        .iter()
        .map(|r| (facts.facts[r.fact].id.clone(), r.value))
        .collect();
    let expected: Vec<(String, Range)> = case.claims.iter().map(|c| parse_expected(c)).collect();
    let mut score = Score {
        stated: expected.len(),
        ..Score::default()
    };
    for (fact, value) in &expected {
        if found.iter().any(|(f, v)| f == fact && same(v, value)) {
            score.bound += 1;
        } else {
            score.misses.push(format!(
                "missed {fact}={value} in {text:?}: found {found:?}"
            ));
        }
    }
    let mut extras: Vec<&(String, Range)> = found
        .iter()
        .filter(|(f, v)| !expected.iter().any(|(ef, ev)| ef == f && same(ev, v)))
        .collect();
    extras.dedup_by(|a, b| a.0 == b.0 && same(&a.1, &b.1));
    for (f, v) in &extras {
        score.misses.push(format!("extra {f}={v} in {text:?}"));
    }
    score.extra = extras.len();
    let contradicted: Vec<&str> = raws
        .iter()
        .filter(|r| facts::contradicts(&facts.facts[r.fact], &r.value, r.qualifier, r.slack))
        .map(|r| facts.facts[r.fact].id.as_str())
        .collect();
    if case.lies.is_empty() {
        score.truthful = 1;
        score.misinformation_on_truthful = contradicted.len();
        if !contradicted.is_empty() {
            score.misses.push(format!(
                "misinformation {contradicted:?} on truthful {text:?}"
            ));
        }
    }
    for lie in &case.lies {
        if !contradicted.contains(&lie.as_str()) {
            score
                .misses
                .push(format!("lie on {lie} not found in {text:?}"));
        }
    }
    score.lies = case.lies.len();
    score.lies_found = case
        .lies
        .iter()
        .filter(|l| contradicted.contains(&l.as_str()))
        .count();
    score
}

/// Scores the labelled claims set and checks the bars: >= 0.95 of the stated claims bound
/// to the right fact and value, 0 misinformation on truthful sentences.
#[test]
fn labelled_claims_are_bound_to_their_facts() {
    let mut total = Score::default();
    for lang in ["en", "ru", "es"] {
        let dir = repo("tests/claims-set");
        let facts_text = std::fs::read_to_string(dir.join(format!("{lang}.facts.toml"))).unwrap();
        let facts = FactSet::parse(&format!("{lang}.facts.toml"), &facts_text).unwrap();
        let cases: Cases =
            toml::from_str(&std::fs::read_to_string(dir.join(format!("{lang}.toml"))).unwrap())
                .unwrap();
        let (mut written, mut asr) = (Score::default(), Score::default());
        for case in &cases.case {
            written.add(score_sentence(&facts, case, &case.text));
            asr.add(score_sentence(&facts, case, &asr_style(&case.text)));
        }
        println!(
            "{} ({} sentences)",
            written.line(&format!("{lang}, written")),
            cases.case.len()
        );
        println!("{}", asr.line(&format!("{lang}, ASR-style")));
        assert!(cases.case.len() >= 60);
        total.add(written);
        total.add(asr);
    }
    println!("{}", total.line("all"));
    for m in &total.misses {
        println!("  {m}");
    }
    assert!(
        total.bound as f64 >= 0.95 * total.stated as f64,
        "{}",
        total.line("all")
    );
    assert_eq!(total.misinformation_on_truthful, 0);
}

#[test]
fn asr_style_keeps_numbers_and_drops_punctuation() {
    assert_eq!(
        asr_style("Роутер стоит 1 499,50 рублей, доставка 3-5 дней."),
        "роутер стоит 1 499,50 рублей доставка 3-5 дней"
    );
    assert_eq!(asr_style("It's $9.99 a month."), "it s $9.99 a month");
}
