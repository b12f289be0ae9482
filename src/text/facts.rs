//! What the vendor's client really offers (a facts TOML), the claims agents make about it,
//! claims that contradict the facts (`misinformation`) and claims that contradict each other
//! across recordings or files (`inconsistency`).

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use super::normalize::Normalized;
use super::numbers::{numbers, Number};
use super::rules::{line_of, TextError};
use crate::lang;
use crate::model::{Finding, FindingKind, Severity, TimeRange};

/// A closed range of values in a fact's unit (a single value has `min == max`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    pub fn single(v: f64) -> Self {
        Self { min: v, max: v }
    }

    fn contains(&self, other: &Range) -> bool {
        other.min >= self.min - 1e-9 && other.max <= self.max + 1e-9
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let num = |v: f64| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v}")
            }
        };
        if self.min == self.max {
            write!(f, "{}", num(self.min))
        } else {
            write!(f, "{}-{}", num(self.min), num(self.max))
        }
    }
}

/// The unit of a fact or claim: time (with its length in days), percent, or a currency code.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    Time { days: f64, name: String },
    Percent,
    Currency(String),
}

impl Unit {
    /// Parses the `unit` field: day, hour, week, month, year, percent, or a currency code (RUB, USD, EUR ...).
    pub fn parse(text: &str) -> Option<Unit> {
        let lower = text.trim().to_lowercase();
        let singular = lower.trim_end_matches('s');
        let days = match singular {
            "hour" => Some(1.0 / 24.0),
            "day" => Some(1.0),
            "week" => Some(7.0),
            "month" => Some(30.0),
            "year" => Some(365.0),
            _ => None,
        };
        if let Some(days) = days {
            return Some(Unit::Time {
                days,
                name: singular.to_string(),
            });
        }
        match lower.as_str() {
            "percent" | "%" => Some(Unit::Percent),
            code if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(Unit::Currency(code.to_ascii_uppercase()))
            }
            _ => None,
        }
    }

    fn name(&self) -> String {
        match self {
            Unit::Time { name, .. } => name.clone(),
            Unit::Percent => "percent".into(),
            Unit::Currency(code) => code.clone(),
        }
    }

    /// How many of `self` one `other` is worth, when the units are compatible.
    fn factor_from(&self, other: &Unit) -> Option<f64> {
        match (self, other) {
            (Unit::Time { days: a, .. }, Unit::Time { days: b, .. }) => Some(b / a),
            (Unit::Percent, Unit::Percent) => Some(1.0),
            (Unit::Currency(a), Unit::Currency(b)) if a == b => Some(1.0),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsFile {
    #[serde(default)]
    fact: Vec<FactDef>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ValueDef {
    Number(f64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactDef {
    id: String,
    about: Vec<String>,
    #[serde(default)]
    value: Option<ValueDef>,
    unit: String,
}

/// One fact: what it is about (folded stems), its true value (if known) and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub id: String,
    pub about: Vec<String>,
    pub value: Option<Range>,
    pub unit: Unit,
}

/// The facts of one `--facts` file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactSet {
    pub facts: Vec<Fact>,
}

impl FactSet {
    /// Parses a facts TOML text; `origin` (the file name) and the line appear in errors.
    pub fn parse(origin: &str, source: &str) -> Result<Self, TextError> {
        let file: FactsFile =
            toml::from_str(source).map_err(|e| TextError::from_toml(origin, source, &e))?;
        if file.fact.is_empty() {
            return Err(TextError {
                origin: origin.into(),
                line: 1,
                message: "no [[fact]] tables in this file".into(),
            });
        }
        let facts = file
            .fact
            .into_iter()
            .map(|def| compile_fact(origin, source, def))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { facts })
    }
}

fn compile_fact(origin: &str, source: &str, def: FactDef) -> Result<Fact, TextError> {
    let needle = format!("\"{}\"", def.id);
    let line = source
        .find(&needle)
        .map_or(1, |offset| line_of(source, offset));
    let err = |message: String| TextError {
        origin: origin.into(),
        line,
        message: format!("fact {}: {message}", def.id),
    };
    let unit = Unit::parse(&def.unit).ok_or_else(|| {
        err(format!(
            "unit {:?} is not day, hour, week, month, year, percent or a currency code",
            def.unit
        ))
    })?;
    let about: Vec<String> = def
        .about
        .iter()
        .map(|a| Normalized::fold(a, false))
        .filter(|a| !a.is_empty())
        .collect();
    if about.is_empty() {
        return Err(err("`about` needs at least one word".into()));
    }
    let value = match def.value {
        None => None,
        Some(ValueDef::Number(v)) => Some(Range::single(v)),
        Some(ValueDef::Text(t)) => Some(parse_range(&t).ok_or_else(|| {
            err(format!(
                "value {t:?} is not a number or a range like \"3-5\""
            ))
        })?),
    };
    Ok(Fact {
        id: def.id,
        about,
        value,
        unit,
    })
}

fn parse_range(text: &str) -> Option<Range> {
    let t = text.trim().to_lowercase();
    if t == "free" {
        return Some(Range::single(0.0));
    }
    let parts: Vec<&str> = t.split(['-', '–']).map(str::trim).collect();
    match parts.as_slice() {
        [v] => v.parse().ok().map(Range::single),
        [a, b] => {
            let (min, max): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
            (min <= max).then_some(Range { min, max })
        }
        _ => None,
    }
}

/// What an agent said about a fact, with where they said it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub fact: String,
    /// The stated value, converted to the fact's unit.
    pub value: Range,
    /// The fact's unit name (day, percent, RUB ...).
    pub unit: String,
    /// The words of the claim as said ("три дня", "free").
    pub stated: String,
    /// Byte range in the segment text.
    pub span: [usize; 2],
    /// Segment index + 1 (or the input line, once the caller maps it).
    pub line: usize,
    pub speaker: Option<String>,
    /// The sentence around the claim, personal data masked.
    pub excerpt: String,
    pub time_ranges: Vec<TimeRange>,
}

/// A claim found in one segment, before it gets its line, speaker and excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct RawClaim {
    pub fact: usize,
    pub value: Range,
    /// Byte range in the segment text.
    pub start: usize,
    pub end: usize,
}

/// The words of every language's `[facts]` section, folded and ready to look up.
struct Words {
    /// Words between the two numbers of a range.
    range: FxHashSet<String>,
    /// Word starts that state a price of zero, with a space before them.
    free: Vec<String>,
    /// Unit words (time and percent): the first language's meaning of a word wins.
    units: FxHashMap<String, Unit>,
    /// Word starts of currency names with their ISO code: the codes themselves (the words the
    /// normalizer makes of `$`, `€`, `₽`), then every language's `rub`, `usd`, `eur`.
    currencies: Vec<(String, &'static str)>,
    /// Two-word percent signs ("por ciento"): the first word and " second " (spaces around).
    percent_phrases: Vec<(String, String)>,
}

/// One list of every language file's `[facts]`.
type FactsList = fn(&lang::Facts) -> &[String];

/// Time units: the language files' list, its length in days and its name.
const TIME_UNITS: [(FactsList, f64, &str); 5] = [
    (|f| &f.hour, 1.0 / 24.0, "hour"),
    (|f| &f.day, 1.0, "day"),
    (|f| &f.week, 7.0, "week"),
    (|f| &f.month, 30.0, "month"),
    (|f| &f.year, 365.0, "year"),
];

/// Currencies: ISO code and the language files' list of its names.
const CURRENCIES: [(&str, FactsList); 3] = [
    ("RUB", |f| &f.rub),
    ("USD", |f| &f.usd),
    ("EUR", |f| &f.eur),
];

fn fact_words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let fold = |w: &str| Normalized::fold(w, false);
        let facts = || lang::all().iter().map(|l| &l.facts);
        let mut units = FxHashMap::default();
        for (list, days, name) in TIME_UNITS {
            for w in facts().flat_map(list) {
                units.entry(fold(w)).or_insert_with(|| Unit::Time {
                    days,
                    name: name.to_string(),
                });
            }
        }
        for w in facts().flat_map(|f| &f.percent) {
            units.entry(fold(w)).or_insert(Unit::Percent);
        }
        let mut currencies: Vec<(String, &str)> = CURRENCIES
            .iter()
            .map(|(code, _)| (code.to_lowercase(), *code))
            .collect();
        for (code, list) in CURRENCIES {
            currencies.extend(facts().flat_map(list).map(|w| (fold(w), code)));
        }
        let percent_phrases = facts()
            .flat_map(|f| &f.percent_phrases)
            .filter_map(|p| {
                let folded = fold(p);
                let (first, second) = folded.split_once(' ')?;
                Some((first.to_string(), format!(" {second} ")))
            })
            .collect();
        Words {
            range: facts()
                .flat_map(|f| &f.range_words)
                .map(|w| fold(w))
                .collect(),
            free: facts()
                .flat_map(|f| &f.free_words)
                .map(|w| format!(" {}", fold(w)))
                .collect(),
            units,
            currencies,
            percent_phrases,
        }
    })
}

/// The unit a folded word names: a time unit or percent (whole word), or a currency (word start).
fn unit_word(word: &str) -> Option<Unit> {
    let words = fact_words();
    if let Some(unit) = words.units.get(word) {
        return Some(unit.clone());
    }
    words
        .currencies
        .iter()
        .find(|(stem, _)| word.starts_with(stem.as_str()))
        .map(|(_, code)| Unit::Currency((*code).to_string()))
}

/// The unit named right after folded offset `pos` (skipping at most one adjective like "business"),
/// or right before `before` for currency signs.
fn unit_near(text: &str, before: usize, pos: usize) -> Option<(Unit, usize)> {
    let mut words = text[pos..].split(' ').filter(|w| !w.is_empty());
    let mut offset = pos;
    for _ in 0..2 {
        let word = words.next()?;
        let word_start = offset + text[offset..].find(word)?;
        offset = word_start + word.len();
        if word.as_bytes()[0].is_ascii_digit() {
            break;
        }
        for (first, second) in &fact_words().percent_phrases {
            if word == first && text[offset..].starts_with(second.as_str()) {
                return Some((Unit::Percent, offset + second.len() - 1));
            }
        }
        if let Some(unit) = unit_word(word) {
            return Some((unit, offset));
        }
    }
    let prev = text[..before].trim_end().rsplit(' ').next()?;
    match unit_word(prev) {
        Some(unit @ Unit::Currency(_)) => Some((unit, pos)),
        _ => None,
    }
}

/// Claims in one segment: numbers with a unit compatible with a fact whose subject is mentioned.
pub fn raw_claims(facts: &FactSet, norm: &Normalized, source: &str) -> Vec<RawClaim> {
    let mentioned: Vec<usize> = facts
        .facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.about.iter().any(|a| norm.has_word_starting(a)))
        .map(|(i, _)| i)
        .collect();
    if mentioned.is_empty() {
        return Vec::new();
    }
    let text = norm.text();
    let nums: Vec<Number> = numbers(norm)
        .into_iter()
        .filter(|n| !is_percent_phrase_end(text, n))
        .collect();
    let mut stated: Vec<(Range, Unit, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < nums.len() {
        let first = &nums[i];
        let (last, range_end) = match nums.get(i + 1) {
            Some(next) if is_range_gap(text, source, norm, first, next) => (next, i + 1),
            _ => (first, i),
        };
        if let Some((unit, unit_end)) = unit_near(text, first.start, last.end) {
            let (a, b) = (value_of(first), value_of(last));
            stated.push((
                Range {
                    min: a.min(b),
                    max: a.max(b),
                },
                unit,
                first.start,
                unit_end,
            ));
            i = range_end;
        }
        i += 1;
    }
    stated.extend(free_mentions(norm));
    let mut claims = Vec::new();
    for &fi in &mentioned {
        let fact = &facts.facts[fi];
        for (range, unit, start, end) in &stated {
            if let Some(factor) = fact.unit.factor_from(unit) {
                let (s, e) = norm.original_span(*start, *end, source);
                claims.push(RawClaim {
                    fact: fi,
                    value: Range {
                        min: range.min * factor,
                        max: range.max * factor,
                    },
                    start: s,
                    end: e,
                });
            }
        }
    }
    claims
}

fn value_of(n: &Number) -> f64 {
    n.value.map_or(f64::NAN, |v| v as f64)
}

fn is_range_gap(text: &str, source: &str, norm: &Normalized, a: &Number, b: &Number) -> bool {
    let between = text[a.end..b.start].trim();
    if between.is_empty() {
        let (_, a_end) = norm.original_span(a.start, a.end, source);
        let (b_start, _) = norm.original_span(b.start, b.end, source);
        return source[a_end..b_start.max(a_end)].contains(['-', '–', '—']);
    }
    fact_words().range.contains(between)
}

/// Whether a number word is the end of a two-word percent sign ("ciento" in "por ciento").
fn is_percent_phrase_end(text: &str, n: &Number) -> bool {
    fact_words().percent_phrases.iter().any(|(first, second)| {
        second.trim() == &text[n.start..n.end] && text[..n.start].ends_with(&format!(" {first} "))
    })
}

/// "free" and its translations, read as a price of 0 in any currency.
fn free_mentions(norm: &Normalized) -> Vec<(Range, Unit, usize, usize)> {
    let text = norm.text();
    let mut out = Vec::new();
    for folded in &fact_words().free {
        for (i, _) in text.match_indices(folded.as_str()) {
            let start = i + 1;
            let end = start + text[start..].find(' ').unwrap_or(text.len() - start);
            for code in ["RUB", "USD", "EUR"] {
                out.push((Range::single(0.0), Unit::Currency(code.into()), start, end));
            }
        }
    }
    out
}

/// A `misinformation` finding when a claim falls outside the fact's value.
pub fn misinformation(fact: &Fact, claim: &Claim) -> Option<Finding> {
    let expected = fact.value?;
    if expected.contains(&claim.value) {
        return None;
    }
    let unit = fact.unit.name();
    let mut f = Finding::new(
        FindingKind::Misinformation,
        fact.id.clone(),
        Severity::High,
        format!(
            "stated {} about {}, but the facts say {}",
            with_unit(&claim.value, &unit),
            fact.id,
            with_unit(&expected, &unit)
        ),
    );
    f.rule = Some(format!("fact.{}", fact.id));
    f.excerpt = Some(claim.excerpt.clone());
    f.span = Some(claim.span);
    f.line = Some(claim.line);
    f.speaker = claim.speaker.clone();
    f.time_ranges = claim.time_ranges.clone();
    f.details.insert("fact".into(), fact.id.clone().into());
    f.details
        .insert("stated".into(), claim.value.to_string().into());
    f.details
        .insert("expected".into(), expected.to_string().into());
    f.details.insert("unit".into(), unit.into());
    Some(f)
}

/// "3-5 days", "1 day", "300 RUB".
fn with_unit(value: &Range, unit: &str) -> String {
    let plural =
        matches!(unit, "hour" | "day" | "week" | "month" | "year") && *value != Range::single(1.0);
    format!("{value} {unit}{}", if plural { "s" } else { "" })
}

/// `inconsistency` findings: for each source, the first claim whose value on a fact differs from
/// a claim on the same fact in another source, quoting both.
pub fn inconsistencies(sources: &[(String, Vec<Claim>)]) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    for (si, (source, claims)) in sources.iter().enumerate() {
        let mut reported: Vec<&str> = Vec::new();
        for claim in claims {
            if reported.contains(&claim.fact.as_str()) {
                continue;
            }
            let other = sources
                .iter()
                .enumerate()
                .filter(|(oi, _)| *oi != si)
                .flat_map(|(_, (name, cs))| cs.iter().map(move |c| (name, c)))
                .find(|(_, c)| c.fact == claim.fact && c.value != claim.value);
            if let Some((other_source, other)) = other {
                reported.push(&claim.fact);
                out.push((source.clone(), inconsistency(claim, other_source, other)));
            }
        }
    }
    out
}

fn inconsistency(claim: &Claim, other_source: &str, other: &Claim) -> Finding {
    let mut f = Finding::new(
        FindingKind::Inconsistency,
        claim.fact.clone(),
        Severity::Medium,
        format!(
            "said {} about {} here (\"{}\"), but {} in {} line {} (\"{}\")",
            with_unit(&claim.value, &claim.unit),
            claim.fact,
            claim.excerpt,
            with_unit(&other.value, &other.unit),
            other_source,
            other.line,
            other.excerpt
        ),
    );
    f.rule = Some(format!("fact.{}", claim.fact));
    f.excerpt = Some(claim.excerpt.clone());
    f.span = Some(claim.span);
    f.line = Some(claim.line);
    f.speaker = claim.speaker.clone();
    f.time_ranges = claim.time_ranges.clone();
    f.details.insert("fact".into(), claim.fact.clone().into());
    f.details
        .insert("stated".into(), claim.value.to_string().into());
    f.details.insert("other_source".into(), other_source.into());
    f.details
        .insert("other_stated".into(), other.value.to_string().into());
    f.details.insert("other_line".into(), other.line.into());
    f.details
        .insert("other_excerpt".into(), other.excerpt.clone().into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str = r#"
[[fact]]
id = "delivery-days"
about = ["delivery", "shipping", "доставк", "entrega", "envío"]
value = "3-5"
unit = "day"

[[fact]]
id = "delivery-price"
about = ["delivery", "доставк", "envío"]
value = 300
unit = "RUB"
"#;

    fn stated(text: &str) -> Vec<(String, String)> {
        let facts = FactSet::parse("facts.toml", FACTS).unwrap();
        let norm = Normalized::new(text);
        raw_claims(&facts, &norm, text)
            .into_iter()
            .map(|c| (facts.facts[c.fact].id.clone(), c.value.to_string()))
            .collect()
    }

    #[test]
    fn reads_claims_in_words_digits_and_ranges() {
        assert_eq!(
            stated("Доставка займёт двое суток"),
            [("delivery-days".into(), "2".into())]
        );
        assert_eq!(
            stated("La entrega tarda tres días"),
            [("delivery-days".into(), "3".into())]
        );
        assert_eq!(
            stated("Delivery takes 3-5 business days"),
            [("delivery-days".into(), "3-5".into())]
        );
        assert_eq!(
            stated("delivery takes one week"),
            [("delivery-days".into(), "7".into())]
        );
        assert_eq!(
            stated("доставка стоит 300 рублей"),
            [("delivery-price".into(), "300".into())]
        );
        assert_eq!(
            stated("доставка бесплатная"),
            [("delivery-price".into(), "0".into())]
        );
        assert!(stated("we have 3 colours").is_empty());
    }

    #[test]
    fn misinformation_outside_the_fact_value() {
        let facts = FactSet::parse("facts.toml", FACTS).unwrap();
        let claim = |v: f64| Claim {
            fact: "delivery-days".into(),
            value: Range::single(v),
            unit: "day".into(),
            stated: String::new(),
            span: [0, 1],
            line: 1,
            speaker: None,
            excerpt: String::new(),
            time_ranges: Vec::new(),
        };
        assert!(misinformation(&facts.facts[0], &claim(4.0)).is_none());
        let f = misinformation(&facts.facts[0], &claim(7.0)).unwrap();
        assert_eq!(f.details["stated"], "7");
        assert_eq!(f.details["expected"], "3-5");
    }

    #[test]
    fn inconsistency_quotes_both_sources() {
        let claim = |v: f64, excerpt: &str| Claim {
            fact: "delivery-days".into(),
            value: Range::single(v),
            unit: "day".into(),
            stated: String::new(),
            span: [0, 1],
            line: 2,
            speaker: None,
            excerpt: excerpt.into(),
            time_ranges: Vec::new(),
        };
        let found = inconsistencies(&[
            ("a.txt".into(), vec![claim(3.0, "three days")]),
            ("b.txt".into(), vec![claim(7.0, "a week")]),
            ("c.txt".into(), vec![claim(3.0, "3 days")]),
        ]);
        assert_eq!(found.len(), 3);
        assert!(found[0].1.message.contains("a week") && found[0].1.message.contains("b.txt"));
    }

    #[test]
    fn bad_facts_name_the_line() {
        let err = FactSet::parse(
            "f.toml",
            "[[fact]]\nid = \"x\"\nabout = [\"a\"]\nunit = \"parsec\"\n",
        )
        .unwrap_err();
        assert_eq!((err.origin.as_str(), err.line), ("f.toml", 2));
        let err = FactSet::parse("f.toml", "[[fact]]\nid = \"x\"\nabout = 5\n").unwrap_err();
        assert_eq!(err.line, 3);
    }
}
