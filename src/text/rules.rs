//! Phrase packs (data, not code): load and check TOML packs, compile their patterns into regexes
//! over folded text behind one Aho-Corasick prefilter of anchor words, and self-test their positive
//! and negative examples.
//!
//! Pattern syntax, word by word over folded text (see [`super::normalize`]):
//! `word` exact word, `stem*` any word starting with the stem (inflection), `a|b*` alternatives,
//! `[word]` optional word, `..` up to three arbitrary words, `..N` up to N (1 to 8) arbitrary words
//! (a bounded gap for paraphrase families: "is it .. convenient ..2 talk"). Filler words are
//! ignored.
//! The `regex` crate runs in linear time, so no pattern can be catastrophic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Deserialize;

use super::normalize::Normalized;
use super::{cues, pii};
use crate::model::{FindingKind, Severity};

/// The packs shipped inside the binary: (name, TOML text).
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("outdated.toml", include_str!("packs/outdated.toml")),
    ("manipulation.toml", include_str!("packs/manipulation.toml")),
    ("service.toml", include_str!("packs/service.toml")),
    ("required.toml", include_str!("packs/required.toml")),
    ("confidential.toml", include_str!("packs/confidential.toml")),
];

/// The categories of `missing_required_phrase` rules.
pub const REQUIRED_CATEGORIES: &[&str] = &[
    "greeting",
    "self_introduction",
    "offer_more_help",
    "farewell",
];

/// A problem in a rules or facts file, with the file (or pack) name and 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct TextError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.origin, self.line, self.message)
    }
}

impl std::error::Error for TextError {}

impl TextError {
    /// An error from the TOML parser, placed on the line its byte span starts at.
    pub fn from_toml(origin: &str, source: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map_or(1, |s| line_of(source, s.start));
        let message = err.message().to_string();
        Self {
            origin: origin.to_string(),
            line,
            message,
        }
    }
}

/// 1-based line of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

/// Whose speech a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeakerScope {
    #[default]
    Agent,
    Any,
}

/// Where a required phrase must appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnScope {
    /// The agent's opening: its first two turns, joined (greeting, self-introduction).
    FirstTurn,
    /// The agent's closing: its last two turns, joined (offer of more help, farewell).
    LastTurns,
    /// Anywhere in the agent's speech.
    Anywhere,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    kind: FindingKind,
    #[serde(default)]
    category: Option<String>,
    languages: Vec<String>,
    severity: Severity,
    rationale: String,
    patterns: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
    #[serde(default)]
    speaker: SpeakerScope,
    #[serde(default)]
    scope: Option<TurnScope>,
    #[serde(default)]
    min_confidence: Option<f32>,
}

/// One compiled phrase rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub kind: FindingKind,
    pub category: String,
    pub languages: Vec<String>,
    pub severity: Severity,
    /// Why it matters, shown to the user.
    pub rationale: String,
    pub speaker: SpeakerScope,
    /// Only for `missing_required_phrase` rules.
    pub scope: Option<TurnScope>,
    /// Lowest ASR word probability (0..1) every matched word needs; a match on less certain words
    /// is not reported (a misheard word must not raise profanity). Pasted text has no
    /// probabilities and always counts.
    pub min_confidence: Option<f32>,
    pub patterns: Vec<String>,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
    /// Pack name and 1-based line of the rule's `id`.
    pub origin: String,
    pub line: usize,
    compiled: Vec<CompiledPattern>,
}

/// A pattern as a regex over folded text, and for each of its required words the literals one of
/// which every match contains.
#[derive(Debug, Clone)]
struct CompiledPattern {
    regex: Regex,
    slots: Vec<Vec<String>>,
}

/// An example that did not behave as its rule promises.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleFailure {
    pub origin: String,
    pub line: usize,
    pub rule: String,
    pub message: String,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: rule {}: {}",
            self.origin, self.line, self.rule, self.message
        )
    }
}

impl Rule {
    /// Whether any of the rule's patterns matches the text.
    pub fn matches(&self, text: &str) -> bool {
        let norm = Normalized::new(text);
        self.compiled.iter().any(|p| p.regex.is_match(norm.text()))
    }

    /// Examples that fail: positives that do not match, negatives that do, or missing ones.
    pub fn self_test(&self) -> Vec<ExampleFailure> {
        let fail = |message: String| ExampleFailure {
            origin: self.origin.clone(),
            line: self.line,
            rule: self.id.clone(),
            message,
        };
        let mut failures = Vec::new();
        if self.examples.is_empty() || self.counter_examples.is_empty() {
            failures.push(fail(
                "needs at least one example and one counter_example".to_string(),
            ));
        }
        for ex in self.examples.iter().filter(|e| !self.matches(e)) {
            failures.push(fail(format!("example does not match: {ex:?}")));
        }
        for ex in self.counter_examples.iter().filter(|e| self.matches(e)) {
            failures.push(fail(format!("counter_example matches: {ex:?}")));
        }
        failures
    }
}

/// Parses a pack's TOML text; `origin` names it in errors (a file path or a built-in pack name).
pub fn parse_pack(origin: &str, source: &str) -> Result<Vec<Rule>, TextError> {
    let file: PackFile =
        toml::from_str(source).map_err(|e| TextError::from_toml(origin, source, &e))?;
    if file.rule.is_empty() {
        return Err(TextError {
            origin: origin.to_string(),
            line: 1,
            message: "no [[rule]] tables in this pack".to_string(),
        });
    }
    let lines = id_lines(source);
    file.rule
        .into_iter()
        .map(|def| {
            let line = lines.get(def.id.as_str()).copied().unwrap_or(1);
            compile_rule(origin, line, def)
        })
        .collect()
}

/// The line of each `id = "..."` in a pack's text (first one wins), read in one pass so that
/// loading stays linear in the number of rules.
fn id_lines(source: &str) -> std::collections::HashMap<&str, usize> {
    let mut lines = std::collections::HashMap::new();
    for (i, line) in source.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("id") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        if let Some(id) = value
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.split('"').next())
        {
            lines.entry(id).or_insert(i + 1);
        }
    }
    lines
}

fn compile_rule(origin: &str, line: usize, def: RuleDef) -> Result<Rule, TextError> {
    let err = |message: String| TextError {
        origin: origin.to_string(),
        line,
        message: format!("rule {}: {message}", def.id),
    };
    let category = check_kind_and_category(&def).map_err(err)?;
    if def.languages.is_empty()
        || def
            .languages
            .iter()
            .any(|l| l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()))
    {
        return Err(err("languages must be two-letter codes like \"en\"".into()));
    }
    if def.patterns.is_empty() {
        return Err(err("needs at least one pattern".into()));
    }
    if def
        .min_confidence
        .is_some_and(|p| !(0.0..=1.0).contains(&p))
    {
        return Err(err(
            "min_confidence must be a probability from 0 to 1".into()
        ));
    }
    let compiled = def
        .patterns
        .iter()
        .map(|p| compile_pattern(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let scope = match def.kind {
        FindingKind::MissingRequiredPhrase => Some(def.scope.unwrap_or(TurnScope::Anywhere)),
        _ => None,
    };
    Ok(Rule {
        id: def.id,
        kind: def.kind,
        category,
        languages: def.languages,
        severity: def.severity,
        rationale: def.rationale,
        speaker: def.speaker,
        scope,
        min_confidence: def.min_confidence,
        patterns: def.patterns,
        examples: def.examples,
        counter_examples: def.counter_examples,
        origin: origin.to_string(),
        line,
        compiled,
    })
}

fn check_kind_and_category(def: &RuleDef) -> Result<String, String> {
    match def.kind {
        FindingKind::MissingRequiredPhrase => match def.category.as_deref() {
            Some(c) if REQUIRED_CATEGORIES.contains(&c) => Ok(c.to_string()),
            _ => Err(format!(
                "missing_required_phrase rules need category = one of {REQUIRED_CATEGORIES:?}"
            )),
        },
        FindingKind::OutdatedPhrase
        | FindingKind::Manipulation
        | FindingKind::ServiceError
        | FindingKind::Confidential => Ok(def
            .category
            .clone()
            .unwrap_or_else(|| def.id.split('.').next().unwrap_or(&def.id).to_string())),
        other => Err(format!("kind {other:?} is not a phrase kind (use outdated_phrase, manipulation, service_error, missing_required_phrase or confidential)")),
    }
}

/// One word slot of a pattern.
enum PatternWord {
    /// `..` (up to three arbitrary words) or `..N` (up to N).
    Gap(usize),
    /// `[a|b]`: one of the alternatives or nothing.
    Optional(Vec<Alternative>),
    /// `a|b*`: one of the alternatives.
    Required(Vec<Alternative>),
}

/// One alternative word, folded; a stem matches any word it begins.
struct Alternative {
    folded: String,
    stem: bool,
}

fn parse_pattern(pattern: &str) -> Result<Vec<PatternWord>, String> {
    let tokens: Vec<&str> = pattern.split_whitespace().collect();
    let is_gap = |t: &&str| t.starts_with("..");
    if tokens.first().is_some_and(is_gap) || tokens.last().is_some_and(is_gap) {
        return Err(format!(
            "pattern {pattern:?}: `..` must stand between words"
        ));
    }
    let words = tokens
        .into_iter()
        .map(|token| {
            Ok(if let Some(n) = token.strip_prefix("..") {
                PatternWord::Gap(gap_len(pattern, n)?)
            } else if let Some(inner) = token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                PatternWord::Optional(parse_alternatives(pattern, inner)?)
            } else {
                PatternWord::Required(parse_alternatives(pattern, token)?)
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if !words.iter().any(|w| matches!(w, PatternWord::Required(_))) {
        return Err(format!("pattern {pattern:?} has no required word"));
    }
    Ok(words)
}

/// Longest bounded gap `..N` a pattern may ask for: longer gaps would join unrelated clauses.
const MAX_GAP_WORDS: usize = 8;

/// The word count of a gap token's tail: empty for `..` (3), else a number from 1 to 8.
fn gap_len(pattern: &str, n: &str) -> Result<usize, String> {
    if n.is_empty() {
        return Ok(3);
    }
    match n.parse::<usize>() {
        Ok(n) if (1..=MAX_GAP_WORDS).contains(&n) => Ok(n),
        _ => Err(format!(
            "pattern {pattern:?}: bad gap `..{n}` (`..` or `..N` with N from 1 to {MAX_GAP_WORDS})"
        )),
    }
}

fn parse_alternatives(pattern: &str, token: &str) -> Result<Vec<Alternative>, String> {
    token
        .split('|')
        .map(|alt| {
            let (word, stem) = match alt.strip_suffix('*') {
                Some(w) => (w, true),
                None => (alt, false),
            };
            if word.is_empty()
                || !word
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '\'' || c == '-')
            {
                return Err(format!(
                    "pattern {pattern:?}: bad word {alt:?} (letters, digits, `*` at the end)"
                ));
            }
            let folded = Normalized::fold(word, true);
            if folded.is_empty() {
                return Err(format!(
                    "pattern {pattern:?}: {word:?} is a filler word, ignored in matching"
                ));
            }
            Ok(Alternative { folded, stem })
        })
        .collect()
}

/// The regex of a parsed pattern over folded text (words between single spaces).
fn regex_of(words: &[PatternWord]) -> String {
    let mut out = String::from(" ");
    for word in words {
        match word {
            PatternWord::Gap(n) => out.push_str(&format!("(?:[^ ]+ ){{0,{n}}}")),
            PatternWord::Optional(alts) => out.push_str(&format!("(?:{} )?", alternation(alts))),
            PatternWord::Required(alts) => out.push_str(&format!("{} ", alternation(alts))),
        }
    }
    out
}

fn alternation(alts: &[Alternative]) -> String {
    let alts: Vec<String> = alts
        .iter()
        .map(|a| {
            let escaped = regex::escape(&a.folded);
            if a.stem {
                format!("{escaped}[^ ]*")
            } else {
                escaped
            }
        })
        .collect();
    format!("(?:{})", alts.join("|"))
}

/// For each required word of a pattern, the literals one of which every match contains: its
/// alternatives with the spaces around them (" word " for a whole word, " stem" for a stem).
fn slots_of(words: &[PatternWord]) -> Vec<Vec<String>> {
    words
        .iter()
        .filter_map(|w| match w {
            PatternWord::Required(alts) => Some(alts),
            _ => None,
        })
        .map(|alts| {
            alts.iter()
                .map(|a| {
                    let tail = if a.stem { "" } else { " " };
                    format!(" {}{tail}", a.folded)
                })
                .collect()
        })
        .collect()
}

/// The regex source of one pattern over folded text and the literals of its required words (see
/// [`WordPrefilter`]), for other lexicons written in the pack syntax (the manipulation cues of
/// `super::cues`).
pub(crate) fn pattern_source_and_slots(
    pattern: &str,
) -> Result<(String, Vec<Vec<String>>), String> {
    checked_words(pattern).map(|words| (regex_of(&words), slots_of(&words)))
}

/// One Aho-Corasick pass over a folded text that tells which patterns may match: those whose
/// anchor occurs, the literals of the required word with the longest shortest alternative (the
/// rarest in text, roughly). A pattern's regex only runs when it passes; most lines of a call pass
/// none. Sets of patterns are bit sets ([`PatternBits`]).
pub(crate) struct WordPrefilter {
    anchors: AhoCorasick,
    /// The literals of `anchors`, in its pattern order.
    literals: Vec<String>,
    /// For each literal of `anchors`, the patterns it anchors.
    owners: Vec<PatternBits>,
    /// How many patterns there are.
    len: usize,
}

/// An Aho-Corasick builder for the word lists scanned on every line: a full DFA without the
/// start-byte prefilter (every folded word starts after a space, so the prefilter would stop at
/// each word and cost more than it saves).
pub(crate) fn dfa_builder() -> aho_corasick::AhoCorasickBuilder {
    let mut builder = AhoCorasick::builder();
    builder
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false);
    builder
}

/// A set of pattern ids, one bit each.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatternBits(Vec<u64>);

impl PatternBits {
    /// The empty set of `len` patterns.
    pub(crate) fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    pub(crate) fn insert(&mut self, id: usize) {
        self.0[id / 64] |= 1 << (id % 64);
    }

    /// Adds every pattern of `other` (a set of as many patterns).
    pub(crate) fn union(&mut self, other: &Self) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// Keeps only the patterns of `other` (a set of as many patterns).
    pub(crate) fn intersect(&mut self, other: &Self) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    /// The ids in the set, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    i * 64 + bit
                })
            })
        })
    }
}

impl WordPrefilter {
    /// The prefilter of patterns given as their required words' literals (from
    /// [`pattern_source_and_slots`]); pattern ids are the indices of `patterns`.
    pub(crate) fn new(patterns: &[Vec<Vec<String>>]) -> Result<Self, String> {
        let shortest = |slot: &[String]| slot.iter().map(|l| l.trim().chars().count()).min();
        let mut owners: BTreeMap<&str, PatternBits> = BTreeMap::new();
        for (pi, slots) in patterns.iter().enumerate() {
            let anchor = slots.iter().max_by_key(|slot| shortest(slot));
            for literal in anchor.into_iter().flatten() {
                owners
                    .entry(literal)
                    .or_insert_with(|| PatternBits::new(patterns.len()))
                    .insert(pi);
            }
        }
        let anchors = dfa_builder()
            .build(owners.keys())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            anchors,
            literals: owners.keys().map(|l| l.to_string()).collect(),
            owners: owners.into_values().collect(),
            len: patterns.len(),
        })
    }

    /// An empty set of this prefilter's patterns.
    pub(crate) fn empty(&self) -> PatternBits {
        PatternBits::new(self.len)
    }

    /// Each anchor literal, with the patterns it anchors.
    pub(crate) fn anchors(&self) -> impl Iterator<Item = (&str, &PatternBits)> {
        self.literals.iter().map(String::as_str).zip(&self.owners)
    }

    /// The patterns whose anchor occurs in `text`.
    pub(crate) fn candidates(&self, text: &str) -> PatternBits {
        let mut found = self.empty();
        for m in self.anchors.find_overlapping_iter(text) {
            found.union(&self.owners[m.pattern().as_usize()]);
        }
        found
    }
}

/// Longest pattern accepted (bytes of its text): a phrase with its alternatives fits many times
/// over; a pattern past it is refused before anything is compiled.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Memory one compiled pattern may take (bytes; the regex crate's size limit).
const MAX_COMPILED_PATTERN_BYTES: usize = 1 << 20;

/// A pattern's word slots, after the length check (a pattern past the limit is refused before
/// anything else).
fn checked_words(pattern: &str) -> Result<Vec<PatternWord>, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "a pattern of {} bytes is over the limit of {MAX_PATTERN_BYTES}: split it into \
             several patterns or rules",
            pattern.len()
        ));
    }
    parse_pattern(pattern)
}

/// Translates one pattern into a regex over folded text (leading and trailing space included)
/// and the literals of its required words that prefilter it.
fn compile_pattern(pattern: &str) -> Result<CompiledPattern, String> {
    let words = checked_words(pattern)?;
    let regex = regex::RegexBuilder::new(&regex_of(&words))
        .size_limit(MAX_COMPILED_PATTERN_BYTES)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(CompiledPattern {
        regex,
        slots: slots_of(&words),
    })
}

/// A phrase rule that matched: the rule's index in [`RuleSet::rules`] and the folded byte range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhraseHit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// What one pass of [`RuleSet::line_words`] found in a folded line.
pub(crate) struct LineWords {
    /// The phrase patterns whose anchor occurs (for [`RuleSet::find_among`]).
    pub(crate) rules: PatternBits,
    /// The cue-layer patterns whose anchor occurs (for `super::cues::find_among`).
    pub(crate) cues: PatternBits,
    /// The personal-data cue groups whose words occur (`super::pii::Context::cue_groups`).
    pub(crate) pii_groups: u32,
}

/// The phrase rules' anchors, the cue layer's anchors and the personal-data cue words in one
/// automaton, so that a transcript line is scanned for words once, not three times.
struct LineIndex {
    words: AhoCorasick,
    /// For each word of `words`: its phrase anchor (index into the rules' prefilter), its cue-layer
    /// anchor (index into the cue layer's prefilter) and the cue groups it belongs to.
    meaning: Vec<(Option<usize>, Option<usize>, u32)>,
}

/// All phrase rules, with one [`WordPrefilter`] over every pattern's anchor: a text is scanned
/// once for them and only the patterns whose anchor occurs run their regex.
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Languages some rule covers, sorted.
    languages: Vec<String>,
    prefilter: WordPrefilter,
    /// The (rule index, pattern index) of each pattern id of `prefilter`, ascending.
    patterns: Vec<(usize, usize)>,
    /// The patterns of the rules of each language of `languages`.
    language_patterns: Vec<PatternBits>,
    /// The patterns of the rules that look at any speaker's speech.
    any_speaker_patterns: PatternBits,
    /// Built on the first [`RuleSet::line_words`].
    line_index: OnceLock<LineIndex>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("languages", &self.languages())
            .finish()
    }
}

impl RuleSet {
    /// The shipped packs. They are checked by the test suite, so a failure here is a build bug.
    pub fn builtin() -> Self {
        Self::from_rules(builtin_rules().expect("built-in packs are valid (checked by tests)"))
            .expect("built-in packs compile (checked by tests)")
    }

    /// The shipped packs plus extra rules (from `--rules` files); ids must stay unique.
    pub fn with_extra(extra: Vec<Rule>) -> Result<Self, TextError> {
        let mut rules = builtin_rules()?;
        rules.extend(extra);
        Self::from_rules(rules)
    }

    /// Exactly these rules.
    pub fn from_rules(rules: Vec<Rule>) -> Result<Self, TextError> {
        let mut seen = BTreeSet::new();
        for rule in &rules {
            if !seen.insert(rule.id.as_str()) {
                return Err(TextError {
                    origin: rule.origin.clone(),
                    line: rule.line,
                    message: format!("rule id {} is defined twice", rule.id),
                });
            }
        }
        let languages: BTreeSet<String> = rules
            .iter()
            .flat_map(|r| r.languages.iter().cloned())
            .collect();
        let mut patterns = Vec::new();
        let mut slots = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (pi, pattern) in rule.compiled.iter().enumerate() {
                patterns.push((ri, pi));
                slots.push(pattern.slots.clone());
            }
        }
        let prefilter = WordPrefilter::new(&slots).map_err(|e| TextError {
            origin: "rule set".into(),
            line: 1,
            message: format!("the patterns' words do not compile together: {e}"),
        })?;
        let languages: Vec<String> = languages.into_iter().collect();
        let mut language_patterns = vec![prefilter.empty(); languages.len()];
        let mut any_speaker_patterns = prefilter.empty();
        for (id, &(ri, _)) in patterns.iter().enumerate() {
            let rule = &rules[ri];
            for (li, code) in languages.iter().enumerate() {
                if rule.languages.contains(code) {
                    language_patterns[li].insert(id);
                }
            }
            if rule.speaker == SpeakerScope::Any {
                any_speaker_patterns.insert(id);
            }
        }
        Ok(Self {
            rules,
            languages,
            prefilter,
            patterns,
            language_patterns,
            any_speaker_patterns,
            line_index: OnceLock::new(),
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Languages some rule covers (ISO 639-1).
    pub fn languages(&self) -> Vec<String> {
        self.languages.clone()
    }

    /// The first match of each rule of `languages` in a folded text: for each rule, the leftmost
    /// match of its first pattern (in pack order) that matches. Rules that look at the agent's
    /// speech only are skipped unless `agent_turn`.
    pub fn find(
        &self,
        languages: &[String],
        norm: &Normalized,
        agent_turn: bool,
    ) -> Vec<PhraseHit> {
        let candidates = self.prefilter.candidates(norm.text());
        self.find_among(languages, norm, agent_turn, candidates)
    }

    /// [`RuleSet::find`] given the patterns whose anchor occurs in the text (from
    /// [`RuleSet::line_words`]).
    pub(crate) fn find_among(
        &self,
        languages: &[String],
        norm: &Normalized,
        agent_turn: bool,
        mut candidates: PatternBits,
    ) -> Vec<PhraseHit> {
        let text = norm.text();
        let mut wanted = self.prefilter.empty();
        for (code, patterns) in self.languages.iter().zip(&self.language_patterns) {
            if languages.contains(code) {
                wanted.union(patterns);
            }
        }
        if !agent_turn {
            wanted.intersect(&self.any_speaker_patterns);
        }
        candidates.intersect(&wanted);
        let mut hits: Vec<PhraseHit> = Vec::new();
        for id in candidates.iter() {
            let (rule, p) = self.patterns[id];
            if hits.last().is_some_and(|h| h.rule == rule) {
                continue;
            }
            if let Some(m) = self.rules[rule].compiled[p].regex.find(text) {
                hits.push(PhraseHit {
                    rule,
                    start: m.start() + 1,
                    end: m.end() - 1,
                });
            }
        }
        hits
    }
}

impl RuleSet {
    fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| {
            let mut meaning: BTreeMap<&str, (Option<usize>, Option<usize>, u32)> = BTreeMap::new();
            for (i, (literal, _)) in self.prefilter.anchors().enumerate() {
                meaning.entry(literal).or_default().0 = Some(i);
            }
            for (i, (literal, _)) in cues::prefilter().anchors().enumerate() {
                meaning.entry(literal).or_default().1 = Some(i);
            }
            for (literal, groups) in pii::cue_words() {
                meaning.entry(literal).or_default().2 |= groups;
            }
            let words = dfa_builder()
                .build(meaning.keys())
                .expect("the rules' anchors and the cue words build one automaton");
            LineIndex {
                words,
                meaning: meaning.into_values().collect(),
            }
        })
    }

    /// One pass over a folded line for the words of the phrase rules, the cue layer and the
    /// personal-data cues: what [`RuleSet::find`], `cues::find` and the personal-data context
    /// would each look up on their own.
    pub(crate) fn line_words(&self, norm: &Normalized) -> LineWords {
        let index = self.line_index();
        let cue_layer = cues::prefilter();
        let mut found = LineWords {
            rules: self.prefilter.empty(),
            cues: cue_layer.empty(),
            pii_groups: 0,
        };
        for m in index.words.find_overlapping_iter(norm.text()) {
            let (rule, cue, groups) = index.meaning[m.pattern().as_usize()];
            if let Some(i) = rule {
                found.rules.union(&self.prefilter.owners[i]);
            }
            if let Some(i) = cue {
                found.cues.union(&cue_layer.owners[i]);
            }
            found.pii_groups |= groups;
        }
        found
    }
}

/// All rules of the shipped packs.
pub fn builtin_rules() -> Result<Vec<Rule>, TextError> {
    // Parsed once per process (most of a rule set's build time); compiled patterns are shared.
    static PARSED: std::sync::OnceLock<Result<Vec<Rule>, TextError>> = std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| {
            let mut rules = Vec::new();
            for (name, text) in BUILTIN_PACKS {
                rules.extend(parse_pack(name, text)?);
            }
            Ok(rules)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_examples_pass() {
        let rules = builtin_rules().unwrap();
        let failures: Vec<String> = rules
            .iter()
            .flat_map(|r| r.self_test())
            .map(|f| f.to_string())
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        RuleSet::from_rules(rules).unwrap();
    }

    /// The hits of every rule found the slow way: each pattern's regex over the whole text.
    fn naive_find(
        set: &RuleSet,
        languages: &[String],
        norm: &Normalized,
        agent_turn: bool,
    ) -> Vec<PhraseHit> {
        set.rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| agent_turn || r.speaker == SpeakerScope::Any)
            .filter(|(_, r)| r.languages.iter().any(|l| languages.contains(l)))
            .filter_map(|(rule, r)| {
                let m = r.compiled.iter().find_map(|p| p.regex.find(norm.text()))?;
                Some(PhraseHit {
                    rule,
                    start: m.start() + 1,
                    end: m.end() - 1,
                })
            })
            .collect()
    }

    #[test]
    fn anchor_prefilter_finds_what_every_regex_finds() {
        let set = RuleSet::builtin();
        let mut texts: Vec<String> = set
            .rules()
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.counter_examples).cloned())
            .collect();
        for lang in ["en", "ru", "es"] {
            for entry in std::fs::read_dir(format!("tests/text-set/{lang}")).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                texts.extend(text.lines().map(str::to_string));
            }
        }
        let all: Vec<String> = ["en", "ru", "es"].map(String::from).to_vec();
        let mut found = 0;
        for text in &texts {
            let norm = Normalized::new(text);
            for languages in [&all[..], &all[..1], &all[1..2], &all[2..]] {
                for agent_turn in [true, false] {
                    let hits = set.find(languages, &norm, agent_turn);
                    let naive = naive_find(&set, languages, &norm, agent_turn);
                    assert_eq!(hits, naive, "{text:?}");
                    found += hits.len();
                }
            }
        }
        assert!(
            found > 500,
            "only {found} hits: the texts did not exercise the rules"
        );
    }

    #[test]
    fn builtin_packs_cover_every_kind_in_three_languages() {
        let rules = builtin_rules().unwrap();
        for kind in [
            FindingKind::OutdatedPhrase,
            FindingKind::Manipulation,
            FindingKind::ServiceError,
            FindingKind::MissingRequiredPhrase,
        ] {
            for lang in ["en", "ru", "es"] {
                assert!(
                    rules
                        .iter()
                        .any(|r| r.kind == kind && r.languages.iter().any(|l| l == lang)),
                    "no {kind:?} rule for {lang}"
                );
            }
        }
    }

    #[test]
    fn patterns_survive_case_fillers_inflection_and_accents() {
        let re = compile_pattern("что вас беспоко* .. подума* вместе")
            .unwrap()
            .regex;
        let norm = Normalized::new("Ну, ЧТО вас беспокоит? Давайте, э-э, подумаем вместе!");
        assert!(re.is_match(norm.text()));
        let re = compile_pattern("que te preocup*").unwrap().regex;
        assert!(re.is_match(Normalized::new("¿Qué te preocupa?").text()));
    }

    #[test]
    fn bounded_gaps_span_up_to_their_word_count() {
        let re = compile_pattern("is it ..5 convenient").unwrap().regex;
        let hit = |t: &str| re.is_match(Normalized::new(t).text());
        assert!(hit("is it convenient"));
        assert!(hit("is it by any chance right now convenient"));
        assert!(!hit("is it by any chance right now quite convenient"));
        for bad in ["a ..0 b", "a ..9 b", "a ..x b", "..2 a", "a ..2"] {
            assert!(compile_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_survive_small_asr_misspellings() {
        let rules = builtin_rules().unwrap();
        let rule = |id: &str| rules.iter().find(|r| r.id == id).unwrap();
        assert!(rule("outdated.what-worries-you.ru").matches("что вас бесспокоит"));
        assert!(rule("outdated.what-worries-you.en").matches("what woories you"));
        assert!(rule("outdated.what-worries-you.es").matches("bamos a pensar juntoss"));
        assert!(rule("manipulation.false-urgency.ru").matches("тольько сегодня"));
    }

    #[test]
    fn bad_packs_name_the_line() {
        let err = parse_pack("p.toml", "[[rule]]\nid = \"x\"\nkind = \"nope\"\n").unwrap_err();
        assert_eq!(err.origin, "p.toml");
        assert!(err.line >= 1, "{err}");
        let bad_pattern = "[[rule]]\nid = \"x\"\nkind = \"manipulation\"\nlanguages = [\"en\"]\nseverity = \"low\"\nrationale = \"r\"\npatterns = [\"um\"]\n";
        let err = parse_pack("p.toml", bad_pattern).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("filler"), "{err}");
    }

    fn pack_of(patterns: &[String]) -> String {
        patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "[[rule]]\nid = \"r.{i}\"\nkind = \"manipulation\"\nlanguages = [\"en\"]\n\
                     severity = \"low\"\nrationale = \"r\"\npatterns = [\"{p}\"]\n"
                )
            })
            .collect()
    }

    #[test]
    fn oversized_patterns_are_refused_before_compiling() {
        let huge = "buy now ".repeat(MAX_PATTERN_BYTES / 8 + 1);
        let err = parse_pack("p.toml", &pack_of(&[huge])).unwrap_err();
        assert!(err.message.contains("over the limit"), "{err}");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn many_rules_load_with_their_lines() {
        let patterns: Vec<String> = (0..5000).map(|i| format!("offer number{i} now")).collect();
        let mut pack = pack_of(&patterns);
        pack.push_str("[[rule]]\nid = \"last\"\nkind = \"manipulation\"\nlanguages = [\"en\"]\nseverity = \"low\"\nrationale = \"r\"\npatterns = [\"uh\"]\n");
        let started = std::time::Instant::now();
        let err = parse_pack("p.toml", &pack).unwrap_err();
        assert_eq!(err.line, 5000 * 7 + 2, "{err}");
        assert!(
            started.elapsed().as_secs_f64() < 10.0,
            "{:?}",
            started.elapsed()
        );
    }
}
