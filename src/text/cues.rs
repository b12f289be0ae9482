//! The manipulation cue layer beside the phrase rules: per-language lexicons of pressure cues
//! (`[manipulation_cues.*]` in `src/lang/*.toml`: urgency, threats, authority or brand
//! impersonation, too-good offers, call-to-action pressure), found in the agent's speech and
//! combined into one `manipulation` finding per transcript when cues of two or more kinds occur.
//! One cue alone is ordinary talk ("urgent", "police", "free trial"); scam and hard-sell scripts
//! stack them. Each kind carries examples and counter-examples, self-tested like the rule packs.

use std::sync::OnceLock;

use regex::Regex;

use super::normalize::Normalized;
use super::rules::{line_of, pattern_source_and_slots, ExampleFailure, PatternBits, WordPrefilter};
use crate::lang::{self, ManipulationCueList, ManipulationCues};
use crate::model::{Finding, FindingKind, Severity};

/// What a cue does to the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CueKind {
    Urgency,
    Threat,
    Authority,
    TooGood,
    CallToAction,
}

impl CueKind {
    const ALL: [CueKind; 5] = [
        CueKind::Urgency,
        CueKind::Threat,
        CueKind::Authority,
        CueKind::TooGood,
        CueKind::CallToAction,
    ];

    /// The name used in findings and in the language files' `[manipulation_cues.*]` tables.
    pub fn name(self) -> &'static str {
        match self {
            CueKind::Urgency => "urgency",
            CueKind::Threat => "threat",
            CueKind::Authority => "authority",
            CueKind::TooGood => "too_good",
            CueKind::CallToAction => "call_to_action",
        }
    }

    fn list(self, cues: &ManipulationCues) -> &ManipulationCueList {
        match self {
            CueKind::Urgency => &cues.urgency,
            CueKind::Threat => &cues.threat,
            CueKind::Authority => &cues.authority,
            CueKind::TooGood => &cues.too_good,
            CueKind::CallToAction => &cues.call_to_action,
        }
    }
}

/// One language's lexicon: per cue kind, its patterns joined into one regex over folded text, and
/// each pattern's required words (with the index of its kind in `kinds`) for the prefilter.
struct Lexicon {
    code: String,
    kinds: Vec<(CueKind, Regex)>,
    slots: Vec<(usize, Vec<Vec<String>>)>,
}

/// Compiles one language's cue lists; an error names the list and the pattern.
fn compile(code: &str, cues: &ManipulationCues) -> Result<Lexicon, String> {
    let mut kinds = Vec::new();
    let mut slots = Vec::new();
    for kind in CueKind::ALL {
        let err = |e: String| format!("{code}: manipulation_cues.{}: {e}", kind.name());
        let mut patterns = Vec::new();
        for pattern in &kind.list(cues).patterns {
            let (source, words) = pattern_source_and_slots(pattern).map_err(err)?;
            patterns.push(format!("(?:{source})"));
            slots.push((kinds.len(), words));
        }
        if patterns.is_empty() {
            continue;
        }
        let source = patterns.join("|");
        kinds.push((kind, Regex::new(&source).map_err(|e| err(e.to_string()))?));
    }
    Ok(Lexicon {
        code: code.to_string(),
        kinds,
        slots,
    })
}

/// Every shipped language's lexicon, with one prefilter over all their patterns: a text is scanned
/// once for the patterns' words, and only a kind with a pattern whose required words all occur
/// runs its regex (most lines hold no cue, and then only that pass runs).
struct Layer {
    lexicons: Vec<Lexicon>,
    prefilter: WordPrefilter,
    /// The (lexicon, kind) indices of each prefilter pattern id, ascending.
    owners: Vec<(usize, usize)>,
}

/// The cue layer, compiled once. The lists are checked by the test suite, so a failure here is a
/// build bug.
fn layer() -> &'static Layer {
    static LAYER: OnceLock<Layer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let lexicons: Vec<Lexicon> = lang::all()
            .iter()
            .map(|l| {
                compile(&l.code, &l.manipulation_cues)
                    .expect("cue lists compile (checked by tests)")
            })
            .collect();
        let mut owners = Vec::new();
        let mut slots = Vec::new();
        for (li, lexicon) in lexicons.iter().enumerate() {
            for (ki, words) in &lexicon.slots {
                owners.push((li, *ki));
                slots.push(words.clone());
            }
        }
        let prefilter = WordPrefilter::new(&slots).expect("cue words build an automaton");
        Layer {
            lexicons,
            prefilter,
            owners,
        }
    })
}

/// A cue in one folded text: its kind and folded byte range (without the spaces around it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CueHit {
    pub kind: CueKind,
    pub start: usize,
    pub end: usize,
}

/// The prefilter of every lexicon's patterns (for `RuleSet::line_words`).
pub(crate) fn prefilter() -> &'static WordPrefilter {
    &layer().prefilter
}

/// The cues of `languages` in one folded text, in order.
pub fn find(languages: &[String], norm: &Normalized) -> Vec<CueHit> {
    find_among(languages, norm, &layer().prefilter.candidates(norm.text()))
}

/// [`find`] given the patterns of [`prefilter`] whose anchor occurs in the text.
pub(crate) fn find_among(
    languages: &[String],
    norm: &Normalized,
    candidates: &PatternBits,
) -> Vec<CueHit> {
    let text = norm.text();
    let layer = layer();
    let mut hits = Vec::new();
    let mut last = None;
    for id in candidates.iter() {
        let (li, ki) = layer.owners[id];
        if last == Some((li, ki)) {
            continue;
        }
        last = Some((li, ki));
        let lexicon = &layer.lexicons[li];
        if !languages.contains(&lexicon.code) {
            continue;
        }
        let (kind, regex) = &lexicon.kinds[ki];
        hits.extend(regex.find_iter(text).map(|m| CueHit {
            kind: *kind,
            start: m.start() + 1,
            end: m.end() - 1,
        }));
    }
    hits.sort_by_key(|h| (h.start, h.kind));
    hits
}

/// Whether one sentence of `code` raises a cue of `kind`.
fn raises(code: &str, kind: CueKind, sentence: &str) -> bool {
    find(&[code.to_string()], &Normalized::new(sentence))
        .iter()
        .any(|h| h.kind == kind)
}

/// The examples of every shipped lexicon that fail (a positive that raises no cue of its kind, a
/// negative that does, a kind without both), placed at the kind's table in its language file; and
/// the number of examples checked. `callqa rules test` and the test suite run it.
pub fn self_test() -> (Vec<ExampleFailure>, usize) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for l in lang::all() {
        for kind in CueKind::ALL {
            let list = kind.list(&l.manipulation_cues);
            checked += list.examples.len() + list.counter_examples.len();
            let mut fail = |message: String| failures.push(example_failure(&l.code, kind, message));
            if list.examples.is_empty() || list.counter_examples.is_empty() {
                fail("needs at least one example and one counter_example".to_string());
            }
            for ex in list.examples.iter().filter(|e| !raises(&l.code, kind, e)) {
                fail(format!("example raises no {} cue: {ex:?}", kind.name()));
            }
            for ex in list
                .counter_examples
                .iter()
                .filter(|e| raises(&l.code, kind, e))
            {
                fail(format!(
                    "counter_example raises a {} cue: {ex:?}",
                    kind.name()
                ));
            }
        }
    }
    (failures, checked)
}

/// A failed cue example, named like a rule (`manipulation_cues.KIND`) at its table's line.
fn example_failure(code: &str, kind: CueKind, message: String) -> ExampleFailure {
    let table = format!("manipulation_cues.{}", kind.name());
    let (file, text) = lang::file(code).unwrap_or(("?", ""));
    let line = text
        .find(&format!("[{table}]"))
        .map_or(1, |at| line_of(text, at));
    ExampleFailure {
        origin: format!("src/lang/{file}"),
        line,
        rule: table,
        message,
    }
}

/// A cue found in a transcript: its kind, the segment (0-based), its byte range in the segment
/// text and its words as said (masked where they overlap personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundCue {
    pub kind: CueKind,
    pub segment: usize,
    pub span: (usize, usize),
    pub text: String,
}

/// Cues needed before a transcript gets a `manipulation` finding: of two kinds at least.
pub const MIN_CUE_KINDS: usize = 2;

/// Cues a finding lists with their words and places (`details.cues`); past them it counts.
pub const MAX_LISTED_CUES: usize = 20;

/// Cues the finding's message quotes before "and N more".
const QUOTED_CUES: usize = 8;

/// The cues of one transcript as they are found: the first [`MAX_LISTED_CUES`] kept whole, and
/// how many of each kind in all (so a long transcript holds a fixed amount, whatever it says).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CueTally {
    listed: Vec<FoundCue>,
    per_kind: [usize; CueKind::ALL.len()],
}

impl CueTally {
    /// Counts a cue of `kind`, and keeps it (made by `cue`, only then) while fewer than
    /// [`MAX_LISTED_CUES`] are kept.
    pub fn push(&mut self, kind: CueKind, cue: impl FnOnce() -> FoundCue) {
        self.per_kind[kind as usize] += 1;
        if self.listed.len() < MAX_LISTED_CUES {
            self.listed.push(cue());
        }
    }

    /// The first cue found.
    pub fn first(&self) -> Option<&FoundCue> {
        self.listed.first()
    }

    /// Cues found in all.
    pub fn total(&self) -> usize {
        self.per_kind.iter().sum()
    }

    /// The kinds found, with how many of each, in [`CueKind`] order.
    fn kinds(&self) -> impl Iterator<Item = (CueKind, usize)> + '_ {
        CueKind::ALL
            .into_iter()
            .zip(self.per_kind)
            .filter(|&(_, count)| count > 0)
    }
}

impl FromIterator<FoundCue> for CueTally {
    fn from_iter<I: IntoIterator<Item = FoundCue>>(cues: I) -> Self {
        let mut tally = CueTally::default();
        cues.into_iter()
            .for_each(|cue| tally.push(cue.kind, || cue));
        tally
    }
}

/// The severity of a transcript's cues: none below [`MIN_CUE_KINDS`] kinds; high with three kinds
/// or more, with a threat together with an authority (the impersonation scam), or with five cues
/// or more; medium otherwise.
pub fn severity(found: &CueTally) -> Option<Severity> {
    let kinds: Vec<CueKind> = found.kinds().map(|(kind, _)| kind).collect();
    if kinds.len() < MIN_CUE_KINDS {
        return None;
    }
    let threat_and_authority =
        kinds.contains(&CueKind::Threat) && kinds.contains(&CueKind::Authority);
    Some(
        if kinds.len() >= 3 || threat_and_authority || found.total() >= 5 {
            Severity::High
        } else {
            Severity::Medium
        },
    )
}

/// The one `manipulation` finding of a transcript's cues (category `pressure_cues`, rule
/// `cues.manipulation`): the message quotes the first cues, `details.cues` lists the first
/// [`MAX_LISTED_CUES`] with kind, line and span, `details.cue_count` and `details.cue_counts`
/// count them all (in total and per kind); `None` when the cues are too few. The caller places it
/// at the first cue.
pub fn finding(found: &CueTally) -> Option<Finding> {
    let severity = severity(found)?;
    let mut kinds: Vec<&str> = found.kinds().map(|(kind, _)| kind.name()).collect();
    kinds.sort_unstable();
    let mut quoted: Vec<String> = found
        .listed
        .iter()
        .take(QUOTED_CUES)
        .map(|c| format!("{} {:?} (line {})", c.kind.name(), c.text, c.segment + 1))
        .collect();
    let more = found.total() - quoted.len();
    if more > 0 {
        // a count of six digits would be hidden by the long-number mask of every output
        quoted.push(if found.total() < 100_000 {
            format!("and {more} more ({} in all)", found.total())
        } else {
            "and many more".to_string()
        });
    }
    let mut f = Finding::new(
        FindingKind::Manipulation,
        "pressure_cues",
        severity,
        format!(
            "pressure cues of {} kinds ({}): {}. Scam and hard-sell scripts stack deadlines, \
             threats, borrowed authority, too-good offers and demands to act on the call; one such \
             cue is ordinary talk, several together are pressure.",
            kinds.len(),
            kinds.join(", "),
            quoted.join("; ")
        ),
    );
    f.rule = Some("cues.manipulation".to_string());
    let cues: Vec<serde_json::Value> = found
        .listed
        .iter()
        .map(|c| {
            serde_json::json!({
                "kind": c.kind.name(),
                "text": c.text,
                "line": c.segment + 1,
                "span": [c.span.0, c.span.1],
            })
        })
        .collect();
    f.details.insert("cues".to_string(), cues.into());
    f.details
        .insert("cue_count".to_string(), found.total().into());
    let per_kind: serde_json::Map<String, serde_json::Value> = found
        .kinds()
        .map(|(kind, count)| (kind.name().to_string(), count.into()))
        .collect();
    f.details.insert("cue_counts".to_string(), per_kind.into());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_lexicon_compiles_and_has_every_kind() {
        for l in lang::all() {
            let lexicon = compile(&l.code, &l.manipulation_cues).unwrap();
            assert_eq!(lexicon.kinds.len(), CueKind::ALL.len(), "{}", l.code);
        }
    }

    fn kinds(lang: &str, text: &str) -> Vec<&'static str> {
        find(&[lang.to_string()], &Normalized::new(text))
            .iter()
            .map(|h| h.kind.name())
            .collect()
    }

    #[test]
    fn cues_are_found_per_language() {
        assert_eq!(
            kinds(
                "en",
                "This is your final notice from the IRS. Press one now."
            ),
            ["urgency", "authority", "call_to_action"]
        );
        assert_eq!(
            kinds("ru", "Служба безопасности банка: ваша карта заблокирована"),
            ["authority", "threat"]
        );
        assert_eq!(
            kinds("es", "Le llamamos de la Agencia Tributaria, es urgente"),
            ["authority", "urgency"]
        );
        assert!(kinds("en", "The hotel has free parking and free wifi").is_empty());
        assert!(
            kinds("ru", "Final notice").is_empty(),
            "other languages' cues"
        );
    }

    #[test]
    fn lexicon_examples_pass() {
        let (failures, checked) = self_test();
        let listed: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(listed.is_empty(), "{}", listed.join("\n"));
        assert!(checked >= 3 * 5 * 2, "{checked} examples");
    }

    /// The severity of one language's cues over a transcript's lines, all said by the agent.
    fn call_severity(lang: &str, lines: &[&str]) -> Option<Severity> {
        let found: Vec<FoundCue> = lines
            .iter()
            .enumerate()
            .flat_map(|(i, line)| {
                find(&[lang.to_string()], &Normalized::new(line))
                    .into_iter()
                    .map(move |h| cue(h.kind, i))
            })
            .collect();
        severity(&found.into_iter().collect())
    }

    #[test]
    fn pressure_calls_are_flagged_and_ordinary_ones_are_not_in_each_language() {
        let cases: [(&str, &[&str], &[&str]); 3] = [
            (
                "en",
                &[
                    "This is the electric company.",
                    "Your power will be shut off within the hour unless you pay.",
                ],
                &[
                    "Sorry, I think we got disconnected.",
                    "Your order ships within 24 hours and the gift wrap is free.",
                ],
            ),
            (
                "es",
                &[
                    "Le llamamos del departamento de seguridad de su banco.",
                    "Hemos visto movimientos sospechosos, no cuelgue.",
                ],
                &[
                    "Perdone, se cortó la llamada.",
                    "El pedido llega mañana, es urgente firmar el albarán.",
                ],
            ),
            (
                "ru",
                &[
                    "С вами говорит следователь.",
                    "Продиктуйте код из СМС, иначе счёт заблокируют.",
                ],
                &[
                    "Извините, связь прервалась.",
                    "Курьер приедет завтра, это срочно, он ждёт.",
                ],
            ),
        ];
        for (lang, pressure, ordinary) in cases {
            assert_eq!(
                call_severity(lang, pressure),
                Some(Severity::High),
                "{lang}"
            );
            assert_eq!(call_severity(lang, ordinary), None, "{lang}");
        }
    }

    fn cue(kind: CueKind, segment: usize) -> FoundCue {
        FoundCue {
            kind,
            segment,
            span: (0, 4),
            text: "word".into(),
        }
    }

    fn tally(cues: &[(CueKind, usize)]) -> CueTally {
        cues.iter()
            .map(|&(kind, segment)| cue(kind, segment))
            .collect()
    }

    #[test]
    fn severity_grows_with_kinds_and_count() {
        use CueKind::*;
        assert_eq!(severity(&tally(&[(Urgency, 0), (Urgency, 1)])), None);
        assert_eq!(
            severity(&tally(&[(Urgency, 0), (TooGood, 1)])),
            Some(Severity::Medium)
        );
        assert_eq!(
            severity(&tally(&[(Threat, 0), (Authority, 1)])),
            Some(Severity::High)
        );
        assert_eq!(
            severity(&tally(&[(Urgency, 0), (TooGood, 1), (CallToAction, 2)])),
            Some(Severity::High)
        );
        let f = finding(&tally(&[(Urgency, 0), (TooGood, 2)])).unwrap();
        assert_eq!(f.kind, FindingKind::Manipulation);
        assert_eq!(f.details["cues"].as_array().unwrap().len(), 2);
        assert_eq!(f.details["cues"][1]["line"], 3);
        assert!(!f.message.contains("more"), "{}", f.message);
    }

    #[test]
    fn a_long_transcript_lists_its_first_cues_and_counts_the_rest() {
        use CueKind::*;
        let many: Vec<(CueKind, usize)> = (0..5000)
            .map(|i| (if i % 2 == 0 { Urgency } else { Authority }, i))
            .collect();
        let f = finding(&tally(&many)).unwrap();
        let listed = f.details["cues"].as_array().unwrap();
        assert_eq!(listed.len(), MAX_LISTED_CUES);
        assert_eq!(listed[MAX_LISTED_CUES - 1]["line"], MAX_LISTED_CUES);
        assert_eq!(f.details["cue_count"], 5000);
        assert_eq!(f.details["cue_counts"]["urgency"], 2500);
        assert_eq!(f.details["cue_counts"]["authority"], 2500);
        assert!(
            f.message.contains("and 4992 more (5000 in all)") && f.message.len() < 1000,
            "{}",
            f.message
        );
        let huge: CueTally = (0..100_000).map(|i| cue(Urgency, i)).collect();
        assert_eq!(huge.total(), 100_000);
        assert_eq!(huge.listed.len(), MAX_LISTED_CUES);
    }
}
