//! Reads the quantities of a sentence the way a claim states them ("от трёх до пяти дней",
//! "1.499,50 €", "a year and a half", "up to five days", "$9.99 a month") and the sentence and
//! clause each word belongs to, so that `facts` can bind each quantity to the subject nearest to
//! it by syntax. Pure: folded text in, word indices and values out.

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::normalize::Normalized;
use super::numbers::numbers;
use crate::lang;

/// A closed range of values in a unit (a single value has `min == max`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    pub fn single(v: f64) -> Self {
        Self { min: v, max: v }
    }

    /// Both ends multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            min: self.min * factor,
            max: self.max * factor,
        }
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let num = |v: f64| {
            let rounded = (v * 100.0).round() / 100.0;
            if rounded.fract() == 0.0 {
                format!("{rounded:.0}")
            } else {
                format!("{rounded}")
            }
        };
        if self.min == self.max {
            write!(f, "{}", num(self.min))
        } else {
            write!(f, "{}-{}", num(self.min), num(self.max))
        }
    }
}

/// A unit of time, with its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimeUnit {
    /// Every time unit with its name, as a facts file writes it.
    pub const ALL: [(TimeUnit, &'static str); 5] = [
        (TimeUnit::Hour, "hour"),
        (TimeUnit::Day, "day"),
        (TimeUnit::Week, "week"),
        (TimeUnit::Month, "month"),
        (TimeUnit::Year, "year"),
    ];

    /// Length in days (a month is 30 days, a year 365: nominal values for conversion).
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Hour => 1.0 / 24.0,
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 30.0,
            TimeUnit::Year => 365.0,
        }
    }

    /// Length in months for the calendar units (a year is exactly 12 months).
    pub fn months(self) -> Option<f64> {
        match self {
            TimeUnit::Month => Some(1.0),
            TimeUnit::Year => Some(12.0),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(u, _)| *u == self)
            .map_or("", |p| p.1)
    }
}

/// The unit a quantity is stated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityUnit {
    Time(TimeUnit),
    Percent,
    /// ISO code (RUB, USD, EUR).
    Currency(&'static str),
    /// "free", "бесплатно", "gratis": zero in any currency.
    Free,
}

/// How a quantity is qualified by the words just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Qualifier {
    #[default]
    Exact,
    /// "up to", "до", "hasta".
    AtMost,
    /// "at least", "не меньше", "como mínimo".
    AtLeast,
    /// "about", "около", "unos".
    About,
}

impl Qualifier {
    /// The qualifier in words for messages ("up to"), empty when exact.
    pub fn words(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::AtMost => "up to ",
            Qualifier::AtLeast => "at least ",
            Qualifier::About => "about ",
        }
    }
}

/// One stated quantity: value range, unit, qualifier and the words that say it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: Range,
    pub unit: QuantityUnit,
    pub qualifier: Qualifier,
    /// Word indices (into [`Sentence::words`]) of its first and last word, qualifier included.
    pub first: usize,
    pub last: usize,
    /// Used as an adjective of the noun right after it ("a 24-month warranty", "10% discount").
    pub attributive: bool,
}

/// A segment's words with their sentence and clause numbers, and the quantities it states.
#[derive(Debug, Clone, Default)]
pub struct Sentence {
    /// Folded byte range of each word in [`Normalized::text`].
    pub words: Vec<(usize, usize)>,
    /// Sentence number of each word (split at . ! ? and line ends).
    pub sentence: Vec<usize>,
    /// Clause number of each word (split at commas, semicolons and conjunctions; counts on
    /// across sentences).
    pub clause: Vec<usize>,
    pub quantities: Vec<Quantity>,
}

/// The `[facts]` words of every language, folded, as sets and phrase lists.
struct Words {
    range: FxHashSet<String>,
    free: Vec<Vec<String>>,
    units: FxHashMap<String, QuantityUnit>,
    /// Word starts of currency names with their ISO code (the codes themselves first).
    currencies: Vec<(String, &'static str)>,
    percent_phrases: Vec<Vec<String>>,
    cents: Vec<String>,
    cents_connectors: FxHashSet<String>,
    half: FxHashSet<String>,
    half_prefix: Vec<String>,
    half_tail: Vec<Vec<String>>,
    one_and_half: FxHashSet<String>,
    one_before: FxHashSet<String>,
    per_words: FxHashSet<String>,
    qualifiers: Vec<(Vec<String>, Qualifier)>,
    link: FxHashSet<String>,
    conjunctions: FxHashSet<String>,
    attributive: FxHashSet<String>,
    articles: FxHashSet<String>,
    multipliers: FxHashSet<String>,
}

/// One list of every language file's `[facts]`.
type FactsList = fn(&lang::Facts) -> &[String];

/// Time units: the language files' list and the unit.
const TIME_UNITS: [(FactsList, TimeUnit); 5] = [
    (|f| &f.hour, TimeUnit::Hour),
    (|f| &f.day, TimeUnit::Day),
    (|f| &f.week, TimeUnit::Week),
    (|f| &f.month, TimeUnit::Month),
    (|f| &f.year, TimeUnit::Year),
];

/// Currencies: ISO code and the language files' list of its names. A facts file may name only these.
pub const CURRENCIES: [(&str, FactsList); 3] = [
    ("RUB", |f| &f.rub),
    ("USD", |f| &f.usd),
    ("EUR", |f| &f.eur),
];

fn fold(w: &str) -> String {
    Normalized::fold(w, false)
}

fn all_facts() -> impl Iterator<Item = &'static lang::Facts> {
    lang::all().iter().map(|l| &l.facts)
}

fn set(list: FactsList) -> FxHashSet<String> {
    all_facts().flat_map(list).map(|w| fold(w)).collect()
}

fn phrases(list: FactsList) -> Vec<Vec<String>> {
    all_facts()
        .flat_map(list)
        .map(|p| fold(p).split(' ').map(str::to_string).collect())
        .collect()
}

fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut units = FxHashMap::default();
        for (list, unit) in TIME_UNITS {
            for w in all_facts().flat_map(list) {
                units.entry(fold(w)).or_insert(QuantityUnit::Time(unit));
            }
        }
        for w in all_facts().flat_map(|f| &f.percent) {
            units.entry(fold(w)).or_insert(QuantityUnit::Percent);
        }
        let mut currencies: Vec<(String, &str)> = CURRENCIES
            .iter()
            .map(|(code, _)| (code.to_lowercase(), *code))
            .collect();
        for (code, list) in CURRENCIES {
            currencies.extend(all_facts().flat_map(list).map(|w| (fold(w), code)));
        }
        let mut qualifiers = Vec::new();
        for (list, q) in [
            ((|f| &f.at_most) as FactsList, Qualifier::AtMost),
            (|f| &f.at_least, Qualifier::AtLeast),
            (|f| &f.approx, Qualifier::About),
        ] {
            qualifiers.extend(phrases(list).into_iter().map(|p| (p, q)));
        }
        // Longer phrases first: "no more than" before "more".
        qualifiers.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let multipliers = lang::all()
            .iter()
            .flat_map(|l| l.numbers.thousand.iter().chain(&l.numbers.hundred))
            .map(|w| fold(w))
            .collect();
        Words {
            range: set(|f| &f.range_words),
            free: phrases(|f| &f.free_words),
            units,
            currencies,
            percent_phrases: phrases(|f| &f.percent_phrases),
            cents: all_facts()
                .flat_map(|f| &f.cents)
                .map(|w| fold(w))
                .collect(),
            cents_connectors: set(|f| &f.cents_connectors),
            half: set(|f| &f.half),
            half_prefix: all_facts()
                .flat_map(|f| &f.half_prefix)
                .map(|w| fold(w))
                .collect(),
            half_tail: phrases(|f| &f.half_tail),
            one_and_half: set(|f| &f.one_and_half),
            one_before: set(|f| &f.one_before),
            per_words: set(|f| &f.per_words),
            qualifiers,
            link: set(|f| &f.link_words),
            conjunctions: set(|f| &f.conjunctions),
            attributive: set(|f| &f.attributive_units),
            articles: set(|f| &f.articles),
            multipliers,
        }
    })
}

/// A number read from digits or words, before its unit: value and word indices.
#[derive(Debug, Clone, Copy)]
struct Num {
    value: f64,
    first: usize,
    last: usize,
}

/// The words of a segment and what is between them in the source.
struct Tokens<'a> {
    text: &'a str,
    words: Vec<(usize, usize)>,
    /// Source text between word i-1 and word i (before the first word: "").
    gaps: Vec<&'a str>,
}

impl<'a> Tokens<'a> {
    fn new(norm: &'a Normalized, source: &'a str) -> Self {
        let text = norm.text();
        let words: Vec<(usize, usize)> = norm.words().collect();
        let mut gaps = Vec::with_capacity(words.len());
        let mut prev_end = None;
        for &(a, b) in &words {
            let (start, end) = norm.original_span(a, b, source);
            gaps.push(prev_end.map_or("", |pe: usize| &source[pe.min(start)..start]));
            prev_end = Some(end);
        }
        Self { text, words, gaps }
    }

    fn word(&self, i: usize) -> &'a str {
        self.words.get(i).map_or("", |&(a, b)| &self.text[a..b])
    }

    fn is_digits(&self, i: usize) -> bool {
        self.word(i)
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
    }

    /// Whether the phrase's words start at word `i`.
    fn phrase_at(&self, i: usize, phrase: &[String]) -> bool {
        phrase
            .iter()
            .enumerate()
            .all(|(k, w)| self.word(i + k) == w)
    }

    /// Whether the phrase's words end just before word `end` (returns its first word).
    fn phrase_before(&self, end: usize, phrase: &[String]) -> Option<usize> {
        let start = end.checked_sub(phrase.len())?;
        self.phrase_at(start, phrase).then_some(start)
    }
}

/// Splits the segment into sentences and clauses and reads its quantities.
pub fn parse(norm: &Normalized, source: &str) -> Sentence {
    let t = Tokens::new(norm, source);
    let nums = written_and_spoken(norm, &t);
    let quantities = quantities(&t, &nums);
    let (sentence, clause) = sentences_and_clauses(&t, &quantities);
    Sentence {
        words: t.words,
        sentence,
        clause,
        quantities,
    }
}

/// A one-character separator inside a written number: thousands or decimals.
fn separator(gap: &str) -> Option<char> {
    let mut chars = gap.chars();
    let c = chars.next()?;
    (chars.next().is_none() && matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}')).then_some(c)
}

/// Numbers with their word indices: written ones with thousands and decimal separators joined
/// ("1.499,50", "1 499,50", "1,499.50", "2,5"), spoken ones composed, "полторы тысячи" = 1500.
fn written_and_spoken(norm: &Normalized, t: &Tokens) -> Vec<Num> {
    let word_at = |pos: usize| t.words.partition_point(|&(a, _)| a <= pos) - 1;
    let mut out: Vec<Num> = Vec::new();
    let raw = numbers(norm);
    let mut k = 0;
    while k < raw.len() {
        let n = &raw[k];
        let (first, mut last) = (word_at(n.start), word_at(n.end - 1));
        if !n.written {
            let mut value = n.value.unwrap_or(0) as f64;
            let prev = first.checked_sub(1);
            let one_and_half = prev.is_some_and(|p| words().one_and_half.contains(t.word(p)));
            if one_and_half && words().multipliers.contains(t.word(first)) {
                value *= 1.5;
                out.push(Num {
                    value,
                    first: first - 1,
                    last,
                });
            } else {
                out.push(Num { value, first, last });
            }
            k += 1;
            continue;
        }
        let mut int = t.word(first).to_string();
        let mut frac = String::new();
        let mut thousands: Option<char> = None;
        while k + 1 < raw.len() && raw[k + 1].written && word_at(raw[k + 1].start) == last + 1 {
            let next = last + 1;
            let Some(sep) = separator(t.gaps[next]) else {
                break;
            };
            let group = t.word(next);
            let can_group = group.len() == 3
                && thousands.is_none_or(|s| s == sep)
                && (thousands.is_some() || int.len() <= 3);
            if can_group && frac.is_empty() {
                thousands = Some(sep);
                int.push_str(group);
            } else if matches!(sep, '.' | ',') && thousands != Some(sep) && frac.is_empty() {
                frac = group.to_string();
            } else {
                break;
            }
            last = next;
            k += 1;
        }
        let value = format!("{int}.{}", if frac.is_empty() { "0" } else { &frac })
            .parse()
            .unwrap_or(f64::NAN);
        out.push(Num { value, first, last });
        k += 1;
    }
    for (i, &(a, b)) in t.words.iter().enumerate() {
        let w = &t.text[a..b];
        let free_standing =
            words().one_and_half.contains(w) && !out.iter().any(|n| n.first <= i && i <= n.last);
        if free_standing {
            let at = out.partition_point(|n| n.first < i);
            out.insert(
                at,
                Num {
                    value: 1.5,
                    first: i,
                    last: i,
                },
            );
        }
    }
    out
}

/// The unit a folded word names: a time unit or percent (whole word), or a currency (word start).
fn unit_word(word: &str) -> Option<QuantityUnit> {
    let w = words();
    if let Some(unit) = w.units.get(word) {
        return Some(*unit);
    }
    w.currencies
        .iter()
        .find(|(stem, _)| word.starts_with(stem.as_str()))
        .map(|(_, code)| QuantityUnit::Currency(code))
}

/// The unit right after word `after` (skipping at most one other word, "business days"), as
/// (unit, index of its last word).
fn unit_after(t: &Tokens, after: usize, nums: &[Num]) -> Option<(QuantityUnit, usize)> {
    let is_num = |i: usize| nums.iter().any(|n| n.first <= i && i <= n.last);
    for i in after + 1..=after + 2 {
        if is_num(i) || i >= t.words.len() {
            return None;
        }
        if let Some(p) = words().percent_phrases.iter().find(|p| t.phrase_at(i, p)) {
            return Some((QuantityUnit::Percent, i + p.len() - 1));
        }
        if let Some(unit) = unit_word(t.word(i)) {
            return Some((unit, i));
        }
        if is_function_word(t.word(i)) {
            return None;
        }
    }
    None
}

/// Words that a unit never follows across ("9.99 a month" is no quantity of months).
fn is_function_word(word: &str) -> bool {
    let w = words();
    [
        &w.per_words,
        &w.one_before,
        &w.link,
        &w.conjunctions,
        &w.range,
    ]
    .iter()
    .any(|set| set.contains(word))
}

/// Whether the words between two numbers make a range ("3-5", "three to five", "от 3 до 5").
fn is_range_gap(t: &Tokens, a: &Num, b: &Num) -> bool {
    if b.first == a.last + 1 {
        return t.gaps[b.first]
            .trim()
            .chars()
            .any(|c| matches!(c, '-' | '–' | '—'));
    }
    b.first == a.last + 2 && words().range.contains(t.word(a.last + 1))
}

/// The qualifier phrase ending just before word `at`, with its first word.
fn qualifier_before(t: &Tokens, at: usize) -> Option<(Qualifier, usize)> {
    words()
        .qualifiers
        .iter()
        .find_map(|(p, q)| t.phrase_before(at, p).map(|start| (*q, start)))
}

/// A half-tail phrase starting at word `at` ("and a half"): its last word.
fn half_tail_at(t: &Tokens, at: usize) -> Option<usize> {
    words()
        .half_tail
        .iter()
        .find(|p| t.phrase_at(at, p))
        .map(|p| at + p.len() - 1)
}

/// Cents after a currency word at `unit_at` ("and 50 cents", "con noventa", "пятьдесят копеек"):
/// the amount in currency and the last word.
fn cents_after(t: &Tokens, unit_at: usize, nums: &[Num]) -> Option<(f64, usize)> {
    let mut i = unit_at + 1;
    if words().cents_connectors.contains(t.word(i)) {
        i += 1;
    }
    let n = nums.iter().find(|n| n.first == i && n.value < 100.0)?;
    if t.gaps[n.first].contains([',', ';', '.']) || unit_after(t, n.last, nums).is_some() {
        return None;
    }
    let next = t.word(n.last + 1);
    if words().cents.iter().any(|c| next.starts_with(c.as_str())) {
        return Some((n.value / 100.0, n.last + 1));
    }
    (unit_word(next).is_none() && n.value >= 10.0).then_some((n.value / 100.0, n.last))
}

/// After a quantity ending at `last`: a rate ("a month", "в месяц", "al mes"): its last word.
fn rate_after(t: &Tokens, last: usize) -> Option<usize> {
    let per = words().per_words.contains(t.word(last + 1));
    let time = matches!(unit_word(t.word(last + 2)), Some(QuantityUnit::Time(_)));
    (per && time).then_some(last + 2)
}

fn quantities(t: &Tokens, nums: &[Num]) -> Vec<Quantity> {
    let mut out = Vec::new();
    let mut used = vec![false; t.words.len()];
    let mut taken_until: Option<usize> = None;
    let mut k = 0;
    while k < nums.len() {
        let first = nums[k];
        if taken_until.is_some_and(|end| first.first <= end) {
            k += 1;
            continue;
        }
        let ranged = nums
            .get(k + 1)
            .filter(|next| is_range_gap(t, &first, next))
            .copied();
        let last_num = ranged.unwrap_or(first);
        let mut end = last_num.last;
        let mut half = 0.0;
        if let Some(tail) = half_tail_at(t, end + 1) {
            half = 0.5;
            end = tail;
        }
        let before = first
            .first
            .checked_sub(1)
            .and_then(|p| match unit_word(t.word(p)) {
                Some(unit @ QuantityUnit::Currency(_)) => Some((unit, p)),
                _ => None,
            });
        let (unit, mut last, start) = match (before, unit_after(t, end, nums)) {
            (Some((unit, at)), _) => (unit, end, at),
            (None, Some((unit, at))) => (unit, at, first.first),
            (None, None) => {
                k += 1;
                continue;
            }
        };
        if let Some(tail) = half_tail_at(t, last + 1) {
            half = 0.5;
            last = tail;
        }
        let mut value = Range {
            min: first.value + half,
            max: last_num.value + half,
        };
        if matches!(unit, QuantityUnit::Currency(_)) && ranged.is_none() && value.min.fract() == 0.0
        {
            let unit_at = if start < first.first { end } else { last };
            if let Some((cents, cents_end)) = cents_after(t, unit_at, nums) {
                value = Range::single(value.min + cents);
                last = last.max(cents_end);
            }
        }
        let (qualifier, start) = match qualifier_before(t, start) {
            Some((q, at)) if ranged.is_none() => (q, at),
            _ => (Qualifier::Exact, start),
        };
        let unit_word_text = t.word(last);
        let attributive = (words().attributive.contains(unit_word_text) && value.max != 1.0)
            || unit == QuantityUnit::Percent
            || start
                .checked_sub(1)
                .is_some_and(|p| words().articles.contains(t.word(p)));
        let taken = rate_after(t, last).unwrap_or(last);
        used[start..=taken].iter_mut().for_each(|u| *u = true);
        out.push(Quantity {
            value,
            unit,
            qualifier,
            first: start,
            last,
            attributive,
        });
        taken_until = Some(taken);
        k += 1;
    }
    for n in nums {
        used[n.first..=n.last].iter_mut().for_each(|u| *u = true);
    }
    for (i, _) in used.iter().enumerate().filter(|(_, u)| !**u) {
        out.extend(bare_unit(t, i, nums));
    }
    out.extend(free_mentions(t));
    out.sort_by_key(|q| q.first);
    out
}

/// A time unit said without a number: "a week", "за неделю", "half a year", "полгода",
/// "a year and a half", "año y medio", "не меньше недели".
fn bare_unit(t: &Tokens, i: usize, nums: &[Num]) -> Option<Quantity> {
    let w = words();
    let word = t.word(i);
    let (unit, value) = match unit_word(word) {
        Some(unit @ QuantityUnit::Time(_)) => (unit, None),
        _ => {
            let prefix = w
                .half_prefix
                .iter()
                .find(|p| word.starts_with(p.as_str()))?;
            match unit_word(&word[prefix.len()..]) {
                Some(unit @ QuantityUnit::Time(_)) => (unit, Some(0.5)),
                _ => return None,
            }
        }
    };
    let prev = i.checked_sub(1);
    let after_number = |p: usize| nums.iter().any(|n| n.last == p);
    let mut start = i;
    let mut value = value;
    if value.is_none() {
        if let Some(p) = prev {
            if w.half.contains(t.word(p)) {
                value = Some(0.5);
                start = p;
            } else if w.one_before.contains(t.word(p))
                && !p.checked_sub(1).is_some_and(after_number)
            {
                value = Some(1.0);
                start = p;
                if p.checked_sub(1)
                    .is_some_and(|pp| w.half.contains(t.word(pp)))
                {
                    value = Some(0.5);
                    start = p - 1;
                }
            }
        }
    }
    let mut last = i;
    if let Some(tail) = half_tail_at(t, i + 1) {
        value = Some(value.unwrap_or(1.0) + 0.5);
        last = tail;
    }
    let (qualifier, start) = match qualifier_before(t, start) {
        Some((q, at)) => (q, at),
        None => (Qualifier::Exact, start),
    };
    if qualifier != Qualifier::Exact && value.is_none() {
        value = Some(1.0);
    }
    Some(Quantity {
        value: Range::single(value?),
        unit,
        qualifier,
        first: start,
        last,
        attributive: false,
    })
}

/// "free" and its translations: a price of zero.
fn free_mentions(t: &Tokens) -> Vec<Quantity> {
    let mut out = Vec::new();
    for i in 0..t.words.len() {
        let word = t.word(i);
        let phrase = words().free.iter().find(|p| {
            (p.len() == 1 && word.starts_with(p[0].as_str())) || (p.len() > 1 && t.phrase_at(i, p))
        });
        if let Some(p) = phrase {
            out.push(Quantity {
                value: Range::single(0.0),
                unit: QuantityUnit::Free,
                qualifier: Qualifier::Exact,
                first: i,
                last: i + p.len() - 1,
                attributive: false,
            });
        }
    }
    out
}

/// Sentence and clause number of every word: sentences end at . ! ? and line ends (not a point
/// between two digits), clauses at commas, semicolons, brackets and conjunctions (not inside a
/// quantity: "three and a half", "treinta y dos").
fn sentences_and_clauses(t: &Tokens, quantities: &[Quantity]) -> (Vec<usize>, Vec<usize>) {
    let inside = |i: usize| quantities.iter().any(|q| q.first < i && i <= q.last);
    let (mut sentence, mut clause) = (Vec::new(), Vec::new());
    let (mut s, mut c) = (0, 0);
    for i in 0..t.words.len() {
        if i > 0 {
            let gap = t.gaps[i];
            let in_number = t.is_digits(i - 1) && t.is_digits(i) && separator(gap).is_some();
            if !in_number && gap.contains(['.', '!', '?', '\n', '¿', '¡']) {
                s += 1;
                c += 1;
            } else if (!in_number && gap.contains([',', ';', '(', ')']))
                || (words().conjunctions.contains(t.word(i)) && !inside(i))
            {
                c += 1;
            }
        }
        sentence.push(s);
        clause.push(c);
    }
    (sentence, clause)
}

/// Whether a folded word may stand between a quantity and its subject, or between a subject and
/// a noun that qualifies it.
pub fn is_link_word(word: &str) -> bool {
    words().link.contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, QuantityUnit, Qualifier)> {
        let norm = Normalized::new(text);
        parse(&norm, text)
            .quantities
            .into_iter()
            .map(|q| (q.value.to_string(), q.unit, q.qualifier))
            .collect()
    }

    fn values(text: &str) -> Vec<String> {
        read(text).into_iter().map(|q| q.0).collect()
    }

    use QuantityUnit::*;

    #[test]
    fn decimal_commas_and_thousands_groups() {
        assert_eq!(values("cuesta 1.499,50 euros"), ["1499.5"]);
        assert_eq!(values("стоит 1 499,50 рублей"), ["1499.5"]);
        assert_eq!(values("it is $1,499.50"), ["1499.5"]);
        assert_eq!(values("la cuota es de 2,5 euros"), ["2.5"]);
        assert_eq!(values("only 9.99 dollars"), ["9.99"]);
        assert_eq!(values("10,000 rubles"), ["10000"]);
        assert_eq!(values("call 8 800 555 01 99"), Vec::<String>::new());
    }

    #[test]
    fn ranges_in_digits_and_words() {
        assert_eq!(values("от трёх до пяти дней"), ["3-5"]);
        assert_eq!(values("de 3 a 5 días"), ["3-5"]);
        assert_eq!(values("3-5 days"), ["3-5"]);
        assert_eq!(values("between three and five business days"), ["3-5"]);
    }

    #[test]
    fn halves_and_bare_units() {
        assert_eq!(values("half a year"), ["0.5"]);
        assert_eq!(values("гарантия полгода"), ["0.5"]);
        assert_eq!(values("полтора года"), ["1.5"]);
        assert_eq!(values("полторы тысячи рублей"), ["1500"]);
        assert_eq!(values("два с половиной года"), ["2.5"]);
        assert_eq!(values("a year and a half"), ["1.5"]);
        assert_eq!(values("garantía de año y medio"), ["1.5"]);
        assert_eq!(values("dos años y medio"), ["2.5"]);
        assert_eq!(values("доставим за неделю"), ["1"]);
        assert_eq!(values("it takes a week"), ["1"]);
    }

    #[test]
    fn cents_rates_and_qualifiers() {
        assert_eq!(values("1499 dollars and 50 cents"), ["1499.5"]);
        assert_eq!(values("nueve euros con noventa"), ["9.9"]);
        assert_eq!(values("1499 рублей 50 копеек"), ["1499.5"]);
        assert_eq!(
            read("$9.99 a month"),
            [("9.99".into(), Currency("USD"), Qualifier::Exact)]
        );
        assert_eq!(
            read("up to five days"),
            [("5".into(), Time(TimeUnit::Day), Qualifier::AtMost)]
        );
        assert_eq!(
            read("не меньше недели"),
            [("1".into(), Time(TimeUnit::Week), Qualifier::AtLeast)]
        );
        assert_eq!(read("diez por ciento")[0].1, Percent);
        assert_eq!(read("доставка бесплатная")[0].1, Free);
    }

    #[test]
    fn clauses_split_at_commas_and_conjunctions_not_inside_numbers() {
        let text = "Delivery takes three and a half days, and the warranty is 2.5 years";
        let norm = Normalized::new(text);
        let s = parse(&norm, text);
        let clause_of = |w: &str| {
            let folded = Normalized::fold(w, false);
            let i = s
                .words
                .iter()
                .position(|&(a, b)| norm.text()[a..b] == folded)
                .unwrap();
            s.clause[i]
        };
        assert_eq!(clause_of("delivery"), clause_of("half"));
        assert_ne!(clause_of("delivery"), clause_of("warranty"));
        assert_eq!(clause_of("warranty"), clause_of("years"));
        assert_eq!(s.sentence.iter().max(), Some(&0));
    }
}
