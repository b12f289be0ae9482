//! What the vendor's client really offers (a facts TOML), the claims agents make about it,
//! claims that contradict the facts (`misinformation`) and claims that contradict each other
//! across recordings or files (`inconsistency`).

use serde::{Deserialize, Serialize};

use super::normalize::Normalized;
pub use super::quantity::Range;
use super::quantity::{self, Qualifier, Quantity, QuantityUnit, Sentence, TimeUnit, CURRENCIES};
use super::rules::{line_of, TextError};
use crate::model::{Finding, FindingKind, Severity, TimeRange};

/// Relative slack of a conversion between calendar months or years and days or weeks (a month
/// is 28 to 31 days, counted as 30).
const CALENDAR_SLACK: f64 = 0.07;

/// Relative slack of a value said with "about".
const ABOUT_SLACK: f64 = 0.1;

/// The unit of a fact: a time unit, percent, or a currency code the language files know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Time(TimeUnit),
    Percent,
    Currency(&'static str),
}

impl Unit {
    /// Parses a facts file's `unit`: hour, day, week, month, year (or plural), percent (or %), or
    /// a currency code listed in [`known_units`].
    pub fn parse(text: &str) -> Option<Unit> {
        let lower = text.trim().to_lowercase();
        let singular = lower.strip_suffix('s').unwrap_or(&lower);
        if let Some((unit, _)) = TimeUnit::ALL.iter().find(|(_, name)| *name == singular) {
            return Some(Unit::Time(*unit));
        }
        if matches!(lower.as_str(), "percent" | "%") {
            return Some(Unit::Percent);
        }
        let upper = lower.to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .map(|(code, _)| Unit::Currency(code))
    }

    /// The unit's name in messages and reports (day, percent, RUB ...).
    pub fn name(&self) -> &'static str {
        match self {
            Unit::Time(t) => t.name(),
            Unit::Percent => "percent",
            Unit::Currency(code) => code,
        }
    }

    /// How many of `self` one `stated` is worth, and the relative slack of that conversion, when
    /// the units are compatible ("free" is zero in any currency).
    fn factor_from(&self, stated: QuantityUnit) -> Option<(f64, f64)> {
        match (self, stated) {
            (Unit::Time(a), QuantityUnit::Time(b)) => match (a.months(), b.months()) {
                (Some(ma), Some(mb)) => Some((mb / ma, 0.0)),
                (None, None) => Some((b.days() / a.days(), 0.0)),
                _ => Some((b.days() / a.days(), CALENDAR_SLACK)),
            },
            (Unit::Percent, QuantityUnit::Percent) => Some((1.0, 0.0)),
            (Unit::Currency(a), QuantityUnit::Currency(b)) if *a == b => Some((1.0, 0.0)),
            (Unit::Currency(_), QuantityUnit::Free) => Some((1.0, 0.0)),
            _ => None,
        }
    }
}

/// The units a facts file may name, for error messages.
pub fn known_units() -> String {
    let mut names: Vec<&str> = TimeUnit::ALL.iter().map(|(_, n)| *n).collect();
    names.push("percent");
    names.extend(CURRENCIES.iter().map(|(code, _)| *code));
    names.join(", ")
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
            "unit {:?} is not known; use one of: {} (a currency must be one the language files name)",
            def.unit,
            known_units()
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
    if value.is_some_and(|r| !(sane_value(r.min) && sane_value(r.max))) {
        return Err(err(format!(
            "value is not a finite number within ±{MAX_FACT_VALUE:e} (NaN, inf and absurd values would make every claim wrong)"
        )));
    }
    Ok(Fact {
        id: def.id,
        about,
        value,
        unit,
    })
}

/// Largest magnitude of a fact's value: prices, terms and percentages are far below it.
const MAX_FACT_VALUE: f64 = 1e12;

fn sane_value(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_FACT_VALUE
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub fact: String,
    /// The stated value, converted to the fact's unit.
    pub value: Range,
    /// "up to", "at least", "about" or exact.
    pub qualifier: Qualifier,
    /// Relative slack of the unit conversion (months said, days in the facts).
    pub slack: f64,
    /// The fact's unit name (day, percent, RUB ...).
    pub unit: String,
    /// The words of the claim as said ("три дня", "free").
    pub stated: String,
    /// The subject the quantity was bound to, as said ("доставка", "warranty").
    pub subject: String,
    /// Byte range in the segment text: the evidence, from subject to quantity.
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
    /// The stated value in the fact's unit.
    pub value: Range,
    pub qualifier: Qualifier,
    /// Relative slack of the unit conversion.
    pub slack: f64,
    /// Byte range of the quantity in the segment text.
    pub start: usize,
    pub end: usize,
    /// Byte range of the subject it is bound to.
    pub subject: [usize; 2],
}

impl RawClaim {
    /// The evidence: from the subject to the quantity, whichever comes first.
    pub fn evidence(&self) -> [usize; 2] {
        [
            self.start.min(self.subject[0]),
            self.end.max(self.subject[1]),
        ]
    }
}

/// A word (or words) naming a fact's subject.
#[derive(Debug, Clone, Copy)]
struct Mention {
    fact: usize,
    first: usize,
    last: usize,
    /// It only qualifies the noun before it ("the router" in "delivery of the router").
    modifier: bool,
}

/// Cost of binding to a subject in an earlier clause of the sentence than the quantity.
const OTHER_CLAUSE_COST: usize = 10;
/// Cost of binding to a noun that only qualifies another subject.
const MODIFIER_COST: usize = 5;
/// Cost of a subject before an attributive quantity ("warranty" before "a 2-year contract").
const ATTRIBUTIVE_BEFORE_COST: usize = 3;

fn mentions(facts: &FactSet, sentence: &Sentence, text: &str) -> Vec<Mention> {
    let word_at = |pos: usize| sentence.words.partition_point(|&(a, _)| a <= pos) - 1;
    let mut out = Vec::new();
    for (fi, fact) in facts.facts.iter().enumerate() {
        for about in &fact.about {
            for (pos, _) in text.match_indices(about.as_str()) {
                if pos == 0 || text.as_bytes()[pos - 1] != b' ' {
                    continue;
                }
                out.push(Mention {
                    fact: fi,
                    first: word_at(pos),
                    last: word_at(pos + about.len() - 1),
                    modifier: false,
                });
            }
        }
    }
    let heads: Vec<(usize, usize)> = out.iter().map(|m| (m.first, m.last)).collect();
    for m in &mut out {
        m.modifier = heads.iter().any(|&(first, last)| {
            last < m.first
                && m.first - last <= 3
                && sentence.clause[first] == sentence.clause[m.first]
                && (last + 1..m.first).all(|i| {
                    let (a, b) = sentence.words[i];
                    quantity::is_link_word(&text[a..b])
                })
        });
    }
    out
}

/// The cost of binding quantity `q` to mention `m` (lower is nearer), or `None` when syntax rules
/// it out: another sentence, a later clause, or a subject after the quantity that is neither
/// joined to it by link words ("two years of warranty") nor right after an attributive quantity.
fn cost(sentence: &Sentence, text: &str, q: &Quantity, m: &Mention) -> Option<usize> {
    let (qs, ms) = (sentence.sentence[q.first], sentence.sentence[m.first]);
    let (qc, mc) = (sentence.clause[q.first], sentence.clause[m.first]);
    if qs != ms || mc > qc {
        return None;
    }
    let penalty = if m.modifier { MODIFIER_COST } else { 0 };
    if m.last < q.first {
        let distance = q.first - m.last - 1;
        let clause = if mc < qc { OTHER_CLAUSE_COST } else { 0 };
        let attributive = if q.attributive {
            ATTRIBUTIVE_BEFORE_COST
        } else {
            0
        };
        return Some(distance + clause + attributive + penalty);
    }
    if m.first <= q.last || mc != qc {
        return None;
    }
    let between = q.last + 1..m.first;
    if between.is_empty() {
        return q.attributive.then_some(penalty);
    }
    let linked = between.clone().all(|i| {
        let (a, b) = sentence.words[i];
        quantity::is_link_word(&text[a..b])
    });
    linked.then_some(between.len() + 1 + penalty)
}

/// Claims in one segment: each quantity bound to the nearest subject (by [`cost`]) of a fact
/// whose unit it can be converted to.
pub fn raw_claims(facts: &FactSet, norm: &Normalized, source: &str) -> Vec<RawClaim> {
    let text = norm.text();
    if !facts
        .facts
        .iter()
        .any(|f| f.about.iter().any(|a| norm.has_word_starting(a)))
    {
        return Vec::new();
    }
    let sentence = quantity::parse(norm, source);
    let mentions = mentions(facts, &sentence, text);
    let span = |first: usize, last: usize| {
        let (s, e) = norm.original_span(sentence.words[first].0, sentence.words[last].1, source);
        [s, e]
    };
    let mut claims = Vec::new();
    for q in &sentence.quantities {
        let best = mentions
            .iter()
            .filter_map(|m| {
                let (factor, slack) = facts.facts[m.fact].unit.factor_from(q.unit)?;
                let c = cost(&sentence, text, q, m)?;
                Some((c, m.first > q.last, m.fact, factor, slack, m))
            })
            .min_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        if let Some((_, _, fact, factor, slack, m)) = best {
            let [start, end] = span(q.first, q.last);
            claims.push(RawClaim {
                fact,
                value: q.value.scaled(factor),
                qualifier: q.qualifier,
                slack,
                start,
                end,
                subject: span(m.first, m.last),
            });
        }
    }
    claims
}

/// Whether a claim contradicts its fact's value (a fact without a value contradicts nothing):
/// a value or range not inside the fact's range, "up to" a value below its minimum, "at least" a
/// value above its maximum; conversions between months and days and "about" allow some slack.
pub fn contradicts(fact: &Fact, value: &Range, qualifier: Qualifier, slack: f64) -> bool {
    let Some(expected) = fact.value else {
        return false;
    };
    let slack = slack
        + if qualifier == Qualifier::About {
            ABOUT_SLACK
        } else {
            0.0
        };
    let eps = 1e-6 * expected.max.abs().max(1.0);
    let (low, high) = (value.min * (1.0 - slack), value.max * (1.0 + slack));
    match qualifier {
        Qualifier::AtMost => high < expected.min - eps,
        Qualifier::AtLeast => low > expected.max + eps,
        Qualifier::Exact | Qualifier::About => {
            value.min * (1.0 + slack) < expected.min - eps
                || value.max * (1.0 - slack) > expected.max + eps
        }
    }
}

/// A `misinformation` finding when a claim falls outside the fact's value.
pub fn misinformation(fact: &Fact, claim: &Claim) -> Option<Finding> {
    let expected = fact.value?;
    if !contradicts(fact, &claim.value, claim.qualifier, claim.slack) {
        return None;
    }
    let unit = fact.unit.name();
    let mut f = Finding::new(
        FindingKind::Misinformation,
        fact.id.clone(),
        Severity::High,
        format!(
            "stated {}{} about \"{}\" ({}), but the facts say {}",
            claim.qualifier.words(),
            with_unit(&claim.value, unit),
            claim.subject,
            fact.id,
            with_unit(&expected, unit)
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
    f.details
        .insert("subject".into(), claim.subject.clone().into());
    if claim.qualifier != Qualifier::Exact {
        f.details
            .insert("qualifier".into(), claim.qualifier.words().trim().into());
    }
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

[[fact]]
id = "warranty"
about = ["warranty", "гаранти", "garantía"]
value = 12
unit = "months"

[[fact]]
id = "router-price"
about = ["роутер", "router"]
value = 1499.5
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

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn reads_claims_in_words_digits_and_ranges() {
        assert_eq!(
            stated("Доставка займёт двое суток"),
            pairs(&[("delivery-days", "2")])
        );
        assert_eq!(
            stated("La entrega tarda tres días"),
            pairs(&[("delivery-days", "3")])
        );
        assert_eq!(
            stated("Delivery takes 3-5 business days"),
            pairs(&[("delivery-days", "3-5")])
        );
        assert_eq!(
            stated("delivery takes one week"),
            pairs(&[("delivery-days", "7")])
        );
        assert_eq!(
            stated("доставка стоит 300 рублей"),
            pairs(&[("delivery-price", "300")])
        );
        assert_eq!(
            stated("доставка бесплатная"),
            pairs(&[("delivery-price", "0")])
        );
        assert!(stated("we have 3 colours").is_empty());
    }

    #[test]
    fn nan_infinite_and_absurd_fact_values_are_refused_at_load() {
        for value in [
            "nan",
            "inf",
            "-inf",
            "1e308",
            "\"nan\"",
            "\"1-inf\"",
            "\"1e300\"",
        ] {
            let text = format!(
                "[[fact]]\nid = \"price\"\nabout = [\"price\"]\nvalue = {value}\nunit = \"USD\"\n"
            );
            let err = FactSet::parse("facts.toml", &text).unwrap_err().to_string();
            assert!(
                err.contains("facts.toml") && err.contains("finite"),
                "{value}: {err}"
            );
        }
    }

    /// Issue 15: a delivery range and a warranty period in one sentence went to the wrong facts
    /// (days read as months, months as days) and a truthful call got two misinformation findings.
    #[test]
    fn two_quantities_in_one_sentence_bind_to_their_own_facts() {
        let facts = FactSet::parse("facts.toml", FACTS).unwrap();
        for text in [
            "Доставка от трёх до пяти дней, гарантия двенадцать месяцев.",
            "доставка от трёх до пяти дней гарантия двенадцать месяцев",
            "Delivery takes 3 to 5 days and the warranty is 12 months",
            "La entrega tarda de 3 a 5 días y la garantía es de un año",
        ] {
            let norm = Normalized::new(text);
            let claims = raw_claims(&facts, &norm, text);
            let got: Vec<(String, String)> = claims
                .iter()
                .map(|c| (facts.facts[c.fact].id.clone(), c.value.to_string()))
                .collect();
            assert_eq!(
                got,
                pairs(&[("delivery-days", "3-5"), ("warranty", "12")]),
                "{text}"
            );
            assert!(
                !claims.iter().any(|c| contradicts(
                    &facts.facts[c.fact],
                    &c.value,
                    c.qualifier,
                    c.slack
                )),
                "{text}"
            );
        }
    }

    /// Issue 15: "1 499,50 рублей" was read as 50 roubles.
    #[test]
    fn a_decimal_comma_is_not_read_as_the_cents() {
        for text in [
            "Роутер стоит 1 499,50 рублей",
            "роутер стоит 1499,50 ₽",
            "El router cuesta 1.499,50 rublos",
            "the router is 1,499.50 roubles",
        ] {
            assert_eq!(stated(text), pairs(&[("router-price", "1499.5")]), "{text}");
        }
    }

    /// Issue 15: years said in Russian came out as 12.17 months each (365 / 30).
    #[test]
    fn years_are_exactly_twelve_months() {
        assert_eq!(stated("Гарантия два года"), pairs(&[("warranty", "24")]));
        assert_eq!(stated("гарантия один год"), pairs(&[("warranty", "12")]));
        assert_eq!(
            stated("гарантия полтора года"),
            pairs(&[("warranty", "18")])
        );
        assert_eq!(stated("гарантия полгода"), pairs(&[("warranty", "6")]));
    }

    #[test]
    fn the_nearest_subject_wins_and_forward_clauses_are_out() {
        assert_eq!(
            stated("The delivery of the router is free"),
            pairs(&[("delivery-price", "0")])
        );
        assert_eq!(
            stated("Our company has 20 years of experience and delivery takes 3 days"),
            pairs(&[("delivery-days", "3")])
        );
        assert_eq!(
            stated("you get a 12-month warranty and delivery in 4 days"),
            pairs(&[("warranty", "12"), ("delivery-days", "4")])
        );
    }

    fn claim(v: f64, qualifier: Qualifier) -> Claim {
        Claim {
            fact: "delivery-days".into(),
            value: Range::single(v),
            qualifier,
            slack: 0.0,
            unit: "day".into(),
            stated: String::new(),
            subject: "delivery".into(),
            span: [0, 1],
            line: 1,
            speaker: None,
            excerpt: String::new(),
            time_ranges: Vec::new(),
        }
    }

    #[test]
    fn misinformation_outside_the_fact_value() {
        let facts = FactSet::parse("facts.toml", FACTS).unwrap();
        let fact = &facts.facts[0];
        assert!(misinformation(fact, &claim(4.0, Qualifier::Exact)).is_none());
        let f = misinformation(fact, &claim(7.0, Qualifier::Exact)).unwrap();
        assert_eq!(f.details["stated"], "7");
        assert_eq!(f.details["expected"], "3-5");
        assert!(misinformation(fact, &claim(10.0, Qualifier::AtMost)).is_none());
        assert!(misinformation(fact, &claim(2.0, Qualifier::AtMost)).is_some());
        assert!(misinformation(fact, &claim(7.0, Qualifier::AtLeast)).is_some());
    }

    #[test]
    fn inconsistency_quotes_both_sources() {
        let claim = |v: f64, excerpt: &str| Claim {
            line: 2,
            excerpt: excerpt.into(),
            ..claim(v, Qualifier::Exact)
        };
        let found = inconsistencies(&[
            ("a.txt".into(), vec![claim(3.0, "three days")]),
            ("b.txt".into(), vec![claim(7.0, "a week")]),
            ("c.txt".into(), vec![claim(3.0, "3 days")]),
        ]);
        assert_eq!(found.len(), 3);
        assert!(found[0].1.message.contains("a week") && found[0].1.message.contains("b.txt"));
    }

    /// Issue 15: a unit with a typo ("dya", "ERU") was taken for a currency and the fact never fired.
    #[test]
    fn an_unknown_unit_is_an_error_listing_the_known_ones() {
        let err = FactSet::parse(
            "f.toml",
            "[[fact]]\nid = \"x\"\nabout = [\"a\"]\nunit = \"dya\"\n",
        )
        .unwrap_err();
        assert_eq!((err.origin.as_str(), err.line), ("f.toml", 2));
        assert!(
            err.message
                .contains("day, week, month, year, percent, RUB, USD, EUR"),
            "{}",
            err.message
        );
        for unit in ["ERU", "parsec"] {
            let text = format!("[[fact]]\nid = \"x\"\nabout = [\"a\"]\nunit = \"{unit}\"\n");
            assert!(FactSet::parse("f.toml", &text).is_err(), "{unit}");
        }
        for unit in ["days", "Months", "%", "usd", "EUR"] {
            let text = format!("[[fact]]\nid = \"x\"\nabout = [\"a\"]\nunit = \"{unit}\"\n");
            assert!(FactSet::parse("f.toml", &text).is_ok(), "{unit}");
        }
        let err = FactSet::parse("f.toml", "[[fact]]\nid = \"x\"\nabout = 5\n").unwrap_err();
        assert_eq!(err.line, 3);
    }
}
