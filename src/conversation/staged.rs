//! Staged-call score: cues of a rehearsed, read-aloud call, each measured, standardized and combined
//! by a logistic model with fixed, documented weights.

use serde::{Deserialize, Serialize};

use super::lexicon::{lexicon, word_count, LowerText};
use super::room;
use super::stats::{coefficient_of_variation, iqr, median};
use super::turns::{transitions, Turn};
use crate::model::{ChannelMeasures, Finding, FindingKind, Role, Severity, TimeRange};

/// Below this many words the call is not judged.
pub const MIN_WORDS: usize = 50;
/// Below this many speaker changes (or turns, for untimed text) the call is not judged.
pub const MIN_SPEAKER_CHANGES: usize = 4;
/// Log-odds of a staged call when every signal sits at its neutral value (a prior: most calls are real).
pub const BIAS: f64 = -1.0;
/// A standardized signal counts at most this many scales either way, so no single cue decides.
pub const MAX_Z: f64 = 2.0;
/// Scores from here on read "possible".
pub const POSSIBLE_FROM: f64 = 0.4;
/// Scores from here on read "likely" (with enough signals and timing).
pub const LIKELY_FROM: f64 = 0.75;
/// "likely" needs at least this many signals.
pub const MIN_SIGNALS_FOR_LIKELY: usize = 4;
/// A pause between two words of one turn in this range (seconds) may be a hesitation.
pub const HESITATION_S: (f64, f64) = (0.25, 2.0);
/// Fraction of a pause the voice activity detector must mark as speech for it to count as voiced.
pub const VOICED_COVERAGE: f64 = 0.7;

/// Which way a signal points towards a staged call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsStaged,
    LowerIsStaged,
}

/// One measured cue with its part in the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub direction: Direction,
    /// Added to the log-odds of "staged" (positive = towards staged).
    pub contribution: f64,
    pub note: String,
}

/// Which side of its neutral value a signal may speak for. Human actors reading a script pause,
/// overlap and hesitate like anybody else, so timing only ever speaks *for* a staged call (the
/// machine-regular timing of synthetic voices), never against it; and since Whisper drops most
/// fillers, a transcript without disfluencies proves nothing, while one full of them speaks for a
/// real call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sided {
    Both,
    TowardsStagedOnly,
    TowardsNaturalOnly,
}

/// How the model reads one signal: its neutral value, its scale, its weight and which way it may speak.
struct Model {
    name: &'static str,
    unit: &'static str,
    direction: Direction,
    neutral: f64,
    scale: f64,
    weight: f64,
    sided: Sided,
}

use Direction::{HigherIsStaged, LowerIsStaged};
use Sided::{Both, TowardsNaturalOnly, TowardsStagedOnly};

/// Half weight: on real calls long gaps also come from agents looking things up.
const MEDIAN_GAP: Model = Model {
    name: "median_gap_s",
    unit: "s",
    direction: HigherIsStaged,
    neutral: 0.45,
    scale: 0.2,
    weight: 0.5,
    sided: TowardsStagedOnly,
};
const GAP_IQR: Model = Model {
    name: "gap_iqr_s",
    unit: "s",
    direction: LowerIsStaged,
    neutral: 0.3,
    scale: 0.12,
    weight: 1.0,
    sided: TowardsStagedOnly,
};
const OVERLAP_RATE: Model = Model {
    name: "overlap_rate",
    unit: "fraction of speaker changes",
    direction: LowerIsStaged,
    neutral: 0.06,
    scale: 0.05,
    weight: 1.0,
    sided: TowardsStagedOnly,
};
const RATE_CV: Model = Model {
    name: "speech_rate_cv",
    unit: "ratio",
    direction: LowerIsStaged,
    neutral: 0.2,
    scale: 0.07,
    weight: 0.7,
    sided: TowardsStagedOnly,
};
const HESITATIONS: Model = Model {
    name: "hesitation_pauses_per_100_words",
    unit: "per 100 words",
    direction: LowerIsStaged,
    neutral: 2.0,
    scale: 1.0,
    weight: 0.6,
    sided: TowardsStagedOnly,
};
const VOICED_PAUSES: Model = Model {
    name: "voiced_pauses_per_100_words",
    unit: "per 100 words",
    direction: LowerIsStaged,
    neutral: 1.0,
    scale: 0.7,
    weight: 0.6,
    sided: TowardsStagedOnly,
};
const DISFLUENCY: Model = Model {
    name: "disfluency_per_100_words",
    unit: "per 100 words",
    direction: LowerIsStaged,
    neutral: 3.0,
    scale: 1.5,
    weight: 1.0,
    sided: TowardsNaturalOnly,
};
const SHORT_TURNS: Model = Model {
    name: "customer_short_turn_fraction",
    unit: "fraction of customer turns",
    direction: LowerIsStaged,
    neutral: 0.2,
    scale: 0.1,
    weight: 0.5,
    sided: Both,
};
const SALES_TERMS: Model = Model {
    name: "customer_sales_terms_per_100_words",
    unit: "per 100 words",
    direction: HigherIsStaged,
    neutral: 1.0,
    scale: 0.7,
    weight: 0.4,
    sided: Both,
};
/// Half weight: a telephone line makes both sides of a real call alike too.
const ROOM: Model = Model {
    name: "room_similarity",
    unit: "0..1",
    direction: HigherIsStaged,
    neutral: 0.6,
    scale: 0.15,
    weight: 0.5,
    sided: Both,
};

const SCRIPT_DENSITY: Model = Model {
    name: "script_formulas_per_100_words",
    unit: "per 100 words",
    direction: HigherIsStaged,
    neutral: 1.0,
    scale: 0.5,
    weight: 1.0,
    sided: Both,
};
const SCRIPT_OPENING: Model = Model {
    name: "script_formulas_in_opening",
    unit: "formulas in the first 30 words",
    direction: HigherIsStaged,
    neutral: 1.0,
    scale: 0.5,
    weight: 1.5,
    sided: Both,
};

/// The opening of a call, in words, where a textbook call flow packs its formulas (greeting,
/// company, name, offer of help).
pub const OPENING_WORDS: usize = 30;

impl Model {
    fn signal(&self, value: f64, note: String) -> Signal {
        let sign = match self.direction {
            HigherIsStaged => 1.0,
            LowerIsStaged => -1.0,
        };
        let (low, high) = match self.sided {
            Both => (-MAX_Z, MAX_Z),
            TowardsStagedOnly => (0.0, MAX_Z),
            TowardsNaturalOnly => (-MAX_Z, 0.0),
        };
        let z = (sign * (value - self.neutral) / self.scale).clamp(low, high);
        Signal {
            name: self.name.to_string(),
            value,
            unit: self.unit.to_string(),
            direction: self.direction,
            contribution: self.weight * z,
            note,
        }
    }
}

/// A customer turn this short (in words) is a backchannel or a short answer.
const SHORT_TURN_WORDS: usize = 3;
/// Per-turn speech rates need turns of at least this many words.
const RATE_MIN_WORDS: usize = 3;

/// What a call's transcript offers to judge it.
pub struct Evidence<'a> {
    pub turns: &'a [Turn<'a>],
    pub customer: Option<&'a str>,
    /// Measures of the recording's channels (empty for pasted text).
    pub channels: &'a [ChannelMeasures],
    pub timed: bool,
}

/// All signals the evidence allows, in a fixed order; `counts` are the lexical counts of each turn.
fn signals(e: &Evidence, counts: &[TurnCounts]) -> Vec<Signal> {
    let mut out = Vec::new();
    if e.timed {
        out.extend(turn_taking(e.turns));
        out.extend(speech_rate_cv(e.turns));
        out.extend(hesitations(e.turns));
        out.extend(voiced_pauses(e.turns, e.channels, e.customer));
    }
    out.extend(disfluency(counts));
    out.extend(script_density(counts));
    out.extend(script_opening(e.turns));
    if e.customer.is_some() {
        out.extend(customer_short_turns(counts));
        out.extend(customer_sales_terms(counts));
    }
    out.extend(same_room(e.channels));
    out
}

fn turn_taking(turns: &[Turn]) -> Vec<Signal> {
    let gaps: Vec<f64> = transitions(turns).iter().map(|t| t.gap_s).collect();
    if gaps.len() < MIN_SPEAKER_CHANGES {
        return Vec::new();
    }
    let med = median(&gaps).unwrap_or_default();
    let spread = iqr(&gaps).unwrap_or_default();
    let overlaps = gaps.iter().filter(|g| **g < 0.0).count();
    let rate = overlaps as f64 / gaps.len() as f64;
    vec![
        MEDIAN_GAP.signal(
            med,
            format!(
                "median gap between speakers {:.0} ms ({} changes)",
                med * 1000.0,
                gaps.len()
            ),
        ),
        GAP_IQR.signal(
            spread,
            format!("gap spread (IQR) {:.0} ms", spread * 1000.0),
        ),
        OVERLAP_RATE.signal(
            rate,
            format!("{overlaps} of {} speaker changes overlap", gaps.len()),
        ),
    ]
}

/// Words per second of each turn long enough to measure.
fn turn_rates(turns: &[Turn]) -> Vec<f64> {
    turns
        .iter()
        .filter_map(|t| {
            let (count, seconds) = match (t.words.first(), t.words.last()) {
                (Some(a), Some(b)) => (t.words.len(), b.end_s - a.start_s),
                _ => (word_count(&t.text), t.span?.duration_s()),
            };
            (count >= RATE_MIN_WORDS && seconds >= 0.5).then(|| count as f64 / seconds)
        })
        .collect()
}

fn speech_rate_cv(turns: &[Turn]) -> Option<Signal> {
    let rates = turn_rates(turns);
    if rates.len() < MIN_SPEAKER_CHANGES {
        return None;
    }
    let cv = coefficient_of_variation(&rates)?;
    Some(RATE_CV.signal(
        cv,
        format!(
            "turn speech rate varies by {:.0}% ({} turns)",
            cv * 100.0,
            rates.len()
        ),
    ))
}

/// Pauses inside turns (seconds between two consecutive words), with whether the earlier word ends a clause.
fn inner_pauses<'t>(turn: &'t Turn) -> impl Iterator<Item = (TimeRange, bool)> + 't {
    turn.words.windows(2).map(|w| {
        let clause_end = w[0]
            .text
            .trim_end()
            .ends_with(['.', ',', ';', ':', '!', '?', '…']);
        (TimeRange::new(w[0].end_s, w[1].start_s), clause_end)
    })
}

fn timed_words(turns: &[Turn]) -> usize {
    turns.iter().map(|t| t.words.len()).sum()
}

fn hesitations(turns: &[Turn]) -> Option<Signal> {
    let words = timed_words(turns);
    if words < MIN_WORDS {
        return None;
    }
    let count = turns
        .iter()
        .flat_map(inner_pauses)
        .filter(|(gap, clause_end)| !clause_end && is_hesitation(gap))
        .count();
    let per_100 = 100.0 * count as f64 / words as f64;
    Some(HESITATIONS.signal(
        per_100,
        counted(
            count,
            words,
            "mid-clause pauses of 0.25-2 s",
            format!("{count} mid-clause pauses of 0.25-2 s in {words} words"),
        ),
    ))
}

fn is_hesitation(gap: &TimeRange) -> bool {
    (HESITATION_S.0..=HESITATION_S.1).contains(&gap.duration_s())
}

/// The channel that carries `speaker`: the only one, or agent = first and customer = second of a stereo pair.
fn channel_of<'a>(
    speaker: &str,
    customer: Option<&str>,
    channels: &'a [ChannelMeasures],
) -> Option<&'a ChannelMeasures> {
    match channels.len() {
        0 => None,
        1 => channels.first(),
        _ if Role::Agent.is(speaker) => channels.first(),
        _ if Some(speaker) == customer => channels.get(1),
        _ => None,
    }
}

/// Whether the speech `regions` cover at least [`VOICED_COVERAGE`] of `gap`.
fn is_voiced(gap: &TimeRange, regions: &[TimeRange]) -> bool {
    let covered_s: f64 = regions.iter().map(|r| r.overlap_s(gap)).sum();
    covered_s >= VOICED_COVERAGE * gap.duration_s()
}

fn voiced_pauses(
    turns: &[Turn],
    channels: &[ChannelMeasures],
    customer: Option<&str>,
) -> Option<Signal> {
    let heard: Vec<(&Turn, &[TimeRange])> = turns
        .iter()
        .filter_map(|t| {
            let regions = &channel_of(t.speaker, customer, channels)?.speech_regions;
            (!regions.is_empty()).then_some((t, regions.as_slice()))
        })
        .collect();
    let words: usize = heard.iter().map(|(t, _)| t.words.len()).sum();
    if words < MIN_WORDS {
        return None;
    }
    let count: usize = heard
        .iter()
        .map(|(t, regions)| {
            inner_pauses(t)
                .filter(|(gap, _)| is_hesitation(gap) && is_voiced(gap, regions))
                .count()
        })
        .sum();
    let per_100 = 100.0 * count as f64 / words as f64;
    Some(VOICED_PAUSES.signal(
        per_100,
        format!(
            "{count} pauses between words where the voice goes on (fillers the transcript dropped)"
        ),
    ))
}

/// Filled pauses, repeated words and cut-off restarts in a text.
fn disfluencies(lower: &LowerText, toks: &[&str]) -> usize {
    let fillers = &lexicon().fillers;
    let filled = fillers.count(toks);
    let repeats = toks
        .windows(2)
        .enumerate()
        .filter(|(i, w)| w[0] == w[1] && fillers.longest_match_at(toks, *i).is_none())
        .count();
    filled + repeats + lower.cut_off_words()
}

/// What the lexical signals need from one turn, counted in one pass over its words.
struct TurnCounts {
    words: usize,
    disfluencies: usize,
    /// Sales terms; counted for the customer's turns only.
    sales_terms: usize,
    /// Call-center script formulas, whoever says them.
    formulas: usize,
    is_customer: bool,
}

impl TurnCounts {
    /// `lower` is scratch space, reused from turn to turn.
    fn new(turn: &Turn, customer: Option<&str>, lower: &mut LowerText) -> Self {
        lower.fill(&turn.text);
        let lower = &*lower;
        let toks = lower.tokens();
        let is_customer = customer == Some(turn.speaker);
        Self {
            words: toks.len(),
            disfluencies: disfluencies(lower, &toks),
            sales_terms: if is_customer {
                lexicon().sales_terms.count(&toks)
            } else {
                0
            },
            formulas: lexicon().script_formulas.count(&toks),
            is_customer,
        }
    }
}

fn disfluency(counts: &[TurnCounts]) -> Option<Signal> {
    let words: usize = counts.iter().map(|c| c.words).sum();
    if words < MIN_WORDS {
        return None;
    }
    let count: usize = counts.iter().map(|c| c.disfluencies).sum();
    let per_100 = 100.0 * count as f64 / words as f64;
    Some(DISFLUENCY.signal(
        per_100,
        counted(count, words, "fillers, repeats and restarts (spontaneous speech: about 6-10 per 100)", format!("{count} fillers, repeats and restarts in {words} words (spontaneous speech: about 6-10 per 100)")),
    ))
}

fn script_density(counts: &[TurnCounts]) -> Option<Signal> {
    let words: usize = counts.iter().map(|c| c.words).sum();
    if words < MIN_WORDS {
        return None;
    }
    let count: usize = counts.iter().map(|c| c.formulas).sum();
    let per_100 = 100.0 * count as f64 / words as f64;
    Some(SCRIPT_DENSITY.signal(
        per_100,
        counted(
            count,
            words,
            "call-center script formulas",
            format!("{count} call-center script formulas in {words} words"),
        ),
    ))
}

/// Script formulas among the first [`OPENING_WORDS`] words of the call, whoever speaks them (the
/// speakers of a mono call may not be told apart).
fn script_opening(turns: &[Turn]) -> Option<Signal> {
    let mut lower = LowerText::new("");
    let mut opening: Vec<String> = Vec::with_capacity(OPENING_WORDS);
    for turn in turns {
        lower.fill(&turn.text);
        let room = OPENING_WORDS - opening.len();
        opening.extend(lower.tokens().into_iter().take(room).map(str::to_string));
        if opening.len() == OPENING_WORDS {
            break;
        }
    }
    if opening.len() < OPENING_WORDS {
        return None;
    }
    let count = lexicon().script_formulas.count(&opening);
    Some(SCRIPT_OPENING.signal(
        count as f64,
        format!("{count} script formulas in the first {OPENING_WORDS} words (a textbook call opening has greeting, name and offer of help)"),
    ))
}

fn customer_counts(counts: &[TurnCounts]) -> impl Iterator<Item = &TurnCounts> + Clone {
    counts.iter().filter(|c| c.is_customer)
}

fn customer_short_turns(counts: &[TurnCounts]) -> Option<Signal> {
    let turns = customer_counts(counts).count();
    if turns < MIN_SPEAKER_CHANGES / 2 {
        return None;
    }
    let short = customer_counts(counts)
        .filter(|c| c.words <= SHORT_TURN_WORDS)
        .count();
    let fraction = short as f64 / turns as f64;
    Some(SHORT_TURNS.signal(
        fraction,
        format!("{short} of {turns} customer turns are short answers or backchannels"),
    ))
}

fn customer_sales_terms(counts: &[TurnCounts]) -> Option<Signal> {
    let words: usize = customer_counts(counts).map(|c| c.words).sum();
    if words < MIN_WORDS / 2 {
        return None;
    }
    let count: usize = customer_counts(counts).map(|c| c.sales_terms).sum();
    let per_100 = 100.0 * count as f64 / words as f64;
    Some(SALES_TERMS.signal(
        per_100,
        counted(
            count,
            words,
            "the customer's sales terms",
            format!("the customer uses {count} sales terms in {words} words"),
        ),
    ))
}

fn same_room(channels: &[ChannelMeasures]) -> Option<Signal> {
    let [agent, customer, ..] = channels else {
        return None;
    };
    let c = room::compare(agent, customer)?;
    Some(ROOM.signal(c.similarity, c.note))
}

/// How sure the score lets us be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    Unlikely,
    Possible,
    Likely,
}

impl Likelihood {
    fn severity(self) -> Severity {
        match self {
            Likelihood::Unlikely => Severity::Info,
            Likelihood::Possible => Severity::Low,
            Likelihood::Likely => Severity::Medium,
        }
    }
}

/// A signal's note: `normal` (the count and the words it was counted in) where both are under
/// 100,000, past that (a long pasted transcript) the rate alone, as "`what`: N per 100 words": a
/// count of six digits, in digits or in number words, would be hidden by the long-number mask that
/// reads every output.
fn counted(count: usize, words: usize, what: &str, normal: String) -> String {
    if count.max(words) < 100_000 {
        normal
    } else {
        let per_100 = 100.0 * count as f64 / words.max(1) as f64;
        format!("{what}: {per_100:.1} per 100 words")
    }
}

/// Appended when script formulas alone would make a call "likely".
const SCRIPT_ONLY_NOTE: &str = "; held at possible: the script formulas are the main evidence, and an agent who follows a script is normal in a real call too";

/// Whether the signals other than the script formulas lean towards a staged call too: an agent's
/// script is normal in real calls, so formulas alone never make a call "likely".
fn corroborated(signals: &[Signal]) -> bool {
    let others: f64 = signals
        .iter()
        .filter(|s| s.name != SCRIPT_DENSITY.name && s.name != SCRIPT_OPENING.name)
        .map(|s| s.contribution)
        .sum();
    others > 0.0
}

/// The combined score (0..1) of a set of signals: logistic of [`BIAS`] plus the contributions.
pub fn score(signals: &[Signal]) -> f64 {
    let logit = BIAS + signals.iter().map(|s| s.contribution).sum::<f64>();
    1.0 / (1.0 + (-logit).exp())
}

/// The level a score reads as; "likely" only with timing and at least [`MIN_SIGNALS_FOR_LIKELY`] signals.
pub fn likelihood(score: f64, signal_count: usize, timed: bool) -> Likelihood {
    if score >= LIKELY_FROM && timed && signal_count >= MIN_SIGNALS_FOR_LIKELY {
        Likelihood::Likely
    } else if score >= POSSIBLE_FROM {
        Likelihood::Possible
    } else {
        Likelihood::Unlikely
    }
}

/// Whether `words` words in these turns are enough speech to judge (and whether they come from one
/// voice: a transcript whose speakers were not told apart is judged on the signals that need no
/// speakers), or why not.
fn enough_speech(turns: &[Turn], words: usize, timed: bool) -> Result<Voices, String> {
    let changes = if timed {
        transitions(turns).len()
    } else {
        turns
            .windows(2)
            .filter(|w| w[0].speaker != w[1].speaker)
            .count()
    };
    let one_voice = turns.windows(2).all(|w| w[0].speaker == w[1].speaker);
    if words < MIN_WORDS {
        return Err(format!(
            "not enough speech to judge whether the call is staged ({words} words; needs {MIN_WORDS})"
        ));
    }
    if one_voice {
        return Ok(Voices::One);
    }
    if changes < MIN_SPEAKER_CHANGES {
        return Err(format!(
            "not enough speech to judge whether the call is staged ({changes} speaker changes; needs {MIN_SPEAKER_CHANGES})"
        ));
    }
    Ok(Voices::Separated)
}

/// Whether the transcript's speakers were told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Voices {
    Separated,
    One,
}

/// Appended to the message of a call judged without its speakers told apart.
pub const ONE_VOICE_NOTE: &str =
    "; the speakers were not told apart, so the customer's and the turn-taking signals are missing";

/// The `staged_dialogue` finding for a call (category `not_enough_speech` when it cannot be judged).
pub fn finding(e: &Evidence) -> Finding {
    let mut scratch = LowerText::new("");
    let counts: Vec<TurnCounts> = e
        .turns
        .iter()
        .map(|t| TurnCounts::new(t, e.customer, &mut scratch))
        .collect();
    let words = counts.iter().map(|c| c.words).sum();
    let voices = match enough_speech(e.turns, words, e.timed) {
        Ok(voices) => voices,
        Err(why) => {
            let mut f = Finding::new(
                FindingKind::StagedDialogue,
                "not_enough_speech",
                Severity::Info,
                why,
            );
            f.details.insert("timing_available".into(), e.timed.into());
            return f;
        }
    };
    let signals = signals(e, &counts);
    let score = score(&signals);
    let mut level = likelihood(score, signals.len(), e.timed);
    let held = level == Likelihood::Likely && !corroborated(&signals);
    if held {
        level = Likelihood::Possible;
    }
    let mut message = message(score, level, &signals, e.timed);
    if held {
        message.push_str(SCRIPT_ONLY_NOTE);
    }
    let mut f = Finding::new(
        FindingKind::StagedDialogue,
        "staged_dialogue",
        level.severity(),
        message,
    );
    f.details.insert(
        "score".into(),
        serde_json::json!((score * 1000.0).round() / 1000.0),
    );
    f.details.insert("level".into(), serde_json::json!(level));
    f.details.insert("timing_available".into(), e.timed.into());
    f.details
        .insert("signals".into(), serde_json::json!(signals));
    if voices == Voices::One {
        f.severity = f.severity.min(Severity::Low);
        f.message.push_str(ONE_VOICE_NOTE);
        f.details.insert("speakers_separated".into(), false.into());
    }
    f
}

fn message(score: f64, level: Likelihood, signals: &[Signal], timed: bool) -> String {
    let verdict = match level {
        Likelihood::Unlikely => "a staged call is unlikely",
        Likelihood::Possible => "the call may be staged",
        Likelihood::Likely => "the call is likely staged",
    };
    let mut strongest: Vec<&Signal> = signals.iter().collect();
    strongest.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    let reasons: Vec<&str> = strongest.iter().take(3).map(|s| s.note.as_str()).collect();
    let timing = if timed {
        ""
    } else {
        "; timing was not available, lexical signals only"
    };
    format!(
        "{verdict} (score {score:.2}): {}{timing}",
        reasons.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::Word;

    #[test]
    fn large_counts_are_stated_as_a_rate() {
        let normal = || "normal".to_string();
        assert_eq!(counted(5, 99_999, "formulas", normal()), "normal");
        assert_eq!(
            counted(12_000, 150_000, "formulas", normal()),
            "formulas: 8.0 per 100 words"
        );
    }

    fn word(text: &str, start_s: f64, end_s: f64) -> Word {
        Word {
            text: text.into(),
            start_s,
            end_s,
            p: 0.9,
        }
    }

    /// One turn of `count` words, 0.3 s each, 0.05 s apart, with a 0.5 s pause before word 10 and a
    /// 0.5 s pause after a comma before word 20.
    fn paused_turn(speaker: &str, count: usize) -> Turn<'_> {
        let mut words = Vec::new();
        let mut t = 0.0;
        for i in 0..count {
            t += match i {
                10 | 20 => 0.5,
                0 => 0.0,
                _ => 0.05,
            };
            let text = if i == 19 { "word," } else { "word" };
            words.push(word(text, t, t + 0.3));
            t += 0.3;
        }
        Turn {
            speaker,
            span: Some(TimeRange::new(0.0, t)),
            text: "word ".repeat(count).into(),
            words: words.into(),
        }
    }

    #[test]
    fn hesitations_skip_pauses_after_punctuation() {
        let turns = [paused_turn("customer", 50)];
        let s = hesitations(&turns).unwrap();
        assert!((s.value - 2.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn voiced_pauses_need_the_vad_to_hear_voice_in_the_gap() {
        let turns = [paused_turn("customer", 50)];
        let gap = TimeRange::new(turns[0].words[9].end_s, turns[0].words[10].start_s);
        let silent = ChannelMeasures {
            speech_regions: vec![TimeRange::new(0.0, gap.start_s)],
            ..Default::default()
        };
        let voiced = ChannelMeasures {
            speech_regions: vec![TimeRange::new(0.0, gap.end_s + 1.0)],
            ..Default::default()
        };
        let agent = ChannelMeasures::default();
        let count = |customer_channel: &ChannelMeasures| {
            voiced_pauses(
                &turns,
                &[agent.clone(), customer_channel.clone()],
                Some("customer"),
            )
            .unwrap()
            .value
        };
        assert_eq!(count(&silent), 0.0);
        assert!((count(&voiced) - 2.0).abs() < 1e-9);
        assert_eq!(voiced_pauses(&turns, &[], Some("customer")), None);
    }

    #[test]
    fn disfluencies_count_fillers_repeats_and_restarts() {
        let count = |text: &str| {
            let lower = LowerText::new(text);
            disfluencies(&lower, &lower.tokens())
        };
        assert_eq!(count("um I I want to, uh, cha- change my plan"), 4);
        assert_eq!(count("ну это самое, я хочу вот тариф"), 3);
        assert_eq!(count("I want to change my plan."), 0);
    }

    #[test]
    fn contributions_are_clamped_and_signed() {
        let staged = MEDIAN_GAP.signal(5.0, String::new());
        assert_eq!(staged.contribution, MAX_Z * MEDIAN_GAP.weight);
        let natural = DISFLUENCY.signal(9.0, String::new());
        assert_eq!(natural.contribution, -MAX_Z * DISFLUENCY.weight);
        let neutral = GAP_IQR.signal(GAP_IQR.neutral, String::new());
        assert_eq!(neutral.contribution, 0.0);
    }

    #[test]
    fn timing_speaks_only_for_staged_and_disfluency_only_for_natural() {
        let human_gaps = GAP_IQR.signal(2.0, String::new());
        assert_eq!(human_gaps.contribution, 0.0, "human timing is no evidence");
        let machine_gaps = GAP_IQR.signal(0.0, String::new());
        assert!(machine_gaps.contribution > 0.0);
        let no_fillers = DISFLUENCY.signal(0.0, String::new());
        assert_eq!(no_fillers.contribution, 0.0, "Whisper drops fillers");
    }

    fn text_turn<'a>(speaker: &'a str, text: &'a str) -> Turn<'a> {
        Turn {
            speaker,
            span: None,
            text: text.into(),
            words: Vec::new().into(),
        }
    }

    #[test]
    fn a_textbook_opening_is_counted_across_turns_in_three_languages() {
        let opening = |turns: &[Turn]| script_opening(turns).map(|s| s.value);
        let filler =
            "and then we went over the plan details for the whole next month together again";
        let en = [
            text_turn("agent", "Thank you for calling Acme, my name is Ann."),
            text_turn("agent", "How can I help you today?"),
            text_turn("customer", filler),
            text_turn("customer", filler),
        ];
        assert_eq!(opening(&en), Some(3.0));
        let ru = [
            text_turn(
                "agent",
                "Компания Ромашка, меня зовут Анна, чем могу помочь?",
            ),
            text_turn("customer", filler),
            text_turn("customer", filler),
        ];
        assert_eq!(opening(&ru), Some(2.0));
        let es = [
            text_turn(
                "agent",
                "Gracias por llamar, le atiende Ana, ¿en qué puedo ayudarle?",
            ),
            text_turn("customer", filler),
            text_turn("customer", filler),
        ];
        assert_eq!(opening(&es), Some(3.0));
        let chat = [text_turn("a", filler), text_turn("b", filler)];
        assert_eq!(opening(&chat), Some(0.0));
        assert_eq!(opening(&[text_turn("a", "too short")]), None);
    }

    #[test]
    fn a_formula_late_in_the_call_is_not_part_of_the_opening() {
        let filler =
            "and then we went over the plan details for the whole next month together again";
        let turns = [
            text_turn("a", filler),
            text_turn("b", filler),
            text_turn("a", "Thank you for calling, how can I help you?"),
        ];
        assert_eq!(script_opening(&turns).map(|s| s.value), Some(0.0));
    }

    #[test]
    fn script_formulas_alone_are_not_corroboration() {
        let formulas = [
            SCRIPT_OPENING.signal(4.0, String::new()),
            SCRIPT_DENSITY.signal(3.0, String::new()),
            SHORT_TURNS.signal(0.4, String::new()),
        ];
        assert!(score(&formulas) >= LIKELY_FROM);
        assert!(!corroborated(&formulas));
        let with_timing = [
            SCRIPT_OPENING.signal(4.0, String::new()),
            GAP_IQR.signal(0.0, String::new()),
        ];
        assert!(corroborated(&with_timing));
    }

    #[test]
    fn one_signal_alone_cannot_make_a_call_likely() {
        let one = [MEDIAN_GAP.signal(5.0, String::new())];
        assert!(score(&one) < LIKELY_FROM);
        assert_eq!(score(&[]), 1.0 / (1.0 + (-BIAS).exp()));
    }

    #[test]
    fn likely_needs_timing_and_enough_signals() {
        assert_eq!(likelihood(0.9, 6, true), Likelihood::Likely);
        assert_eq!(likelihood(0.9, 6, false), Likelihood::Possible);
        assert_eq!(likelihood(0.9, 2, true), Likelihood::Possible);
        assert_eq!(likelihood(0.1, 6, true), Likelihood::Unlikely);
    }
}
