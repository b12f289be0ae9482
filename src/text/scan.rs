//! One pass over a transcript: personal data, phrase rules, the manipulation cue layer, missing
//! required phrases and fact claims, turned into `Finding`s with masked excerpts, byte spans, lines
//! and time ranges.

use super::cues;
use super::facts::{self, Claim, FactSet};
use super::normalize::Normalized;
use super::pii::{find_pii, find_pii_across, number_at_edge, Context, PiiHit};
use super::rules::{PatternBits, PhraseHit, RuleSet, TurnScope, REQUIRED_CATEGORIES};
use crate::lang;
use crate::model::{
    Finding, FindingKind, Segment, Severity, TimeRange, Transcript, Word, LOW_CONFIDENCE_P,
};

/// What to look for and how to show it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions<'a> {
    /// Languages of the phrase rules to run (ISO 639-1). Empty: the transcript's language, else a guess.
    pub languages: &'a [String],
    /// Show personal data unmasked in excerpts (the user asked for it).
    pub show_pii: bool,
    /// Facts to check claims against (`misinformation`).
    pub facts: Option<&'a FactSet>,
}

/// Characters of context kept on each side of a match in an excerpt.
const EXCERPT_CONTEXT: usize = 60;

/// The speaker taken as the agent: one named like an agent, else the first speaker; `None` when
/// the transcript has no speakers at all (then every segment counts as the agent's).
pub fn agent_speaker(transcript: &Transcript) -> Option<&str> {
    let speakers = || {
        transcript
            .segments
            .iter()
            .filter_map(|s| s.speaker.as_deref())
    };
    speakers()
        .find(|s| is_agent_name(s))
        .or_else(|| speakers().next())
}

/// Whether a speaker label means "the vendor's agent" (`speakers.agent_names`, any language).
fn is_agent_name(name: &str) -> bool {
    let name = name.trim();
    let mut names = lang::words(|l| &l.speakers.agent_names);
    if name.is_ascii() {
        return names.any(|a| a.eq_ignore_ascii_case(name));
    }
    names.any(|a| name.chars().flat_map(char::to_lowercase).eq(a.chars()))
}

/// Whether a segment is the agent's: spoken by the agent speaker (or, when that one is named like
/// an agent, by any agent-named speaker); every segment when there are no speakers.
fn is_agent(segment: &Segment, agent: Option<&str>) -> bool {
    match (agent, segment.speaker.as_deref()) {
        (None, _) => true,
        (Some(a), Some(s)) => s == a || (is_agent_name(s) && is_agent_name(a)),
        (Some(_), None) => false,
    }
}

/// [`is_agent`] for each segment, worked out once per distinct speaker label.
fn agent_segments(transcript: &Transcript, agent: Option<&str>) -> Vec<bool> {
    let mut known: Vec<(Option<&str>, bool)> = Vec::new();
    transcript
        .segments
        .iter()
        .map(|seg| {
            let speaker = seg.speaker.as_deref();
            match known.iter().find(|(s, _)| *s == speaker) {
                Some(&(_, is)) => is,
                None => {
                    let is = is_agent(seg, agent);
                    known.push((speaker, is));
                    is
                }
            }
        })
        .collect()
}

/// A best guess of the language of a text: ru (Cyrillic), es (Spanish marks and words) or en.
pub fn guess_language(transcript: &Transcript) -> String {
    let (mut cyrillic, mut latin, mut spanish) = (0usize, 0usize, 0usize);
    for seg in transcript.segments.iter().take(200) {
        for c in seg.text.chars() {
            match c {
                'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => cyrillic += 1,
                'a'..='z' | 'A'..='Z' => latin += 1,
                'ñ' | 'á' | 'é' | 'í' | 'ó' | 'ú' | '¿' | '¡' => spanish += 10,
                _ => {}
            }
        }
        let norm = Normalized::new(&seg.text);
        for w in spanish_markers() {
            spanish += norm.text().matches(w.as_str()).count() * 5;
        }
    }
    if cyrillic > latin {
        "ru".into()
    } else if spanish * 10 > latin {
        "es".into()
    } else {
        "en".into()
    }
}

/// Spanish `guess.marker_words`, folded, with a space on each side (whole words).
fn spanish_markers() -> &'static [String] {
    static MARKERS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    MARKERS.get_or_init(|| {
        lang::get("es")
            .map_or(&[][..], |es| &es.guess.marker_words)
            .iter()
            .map(|w| format!(" {} ", Normalized::fold(w, false)))
            .collect()
    })
}

fn resolve_languages(transcript: &Transcript, options: &ScanOptions) -> Vec<String> {
    if !options.languages.is_empty() {
        return options.languages.to_vec();
    }
    match &transcript.language {
        Some(lang) if !lang.is_empty() => vec![lang.to_lowercase()],
        _ => vec![guess_language(transcript)],
    }
}

/// Everything learned from one segment.
struct SegmentScan {
    pii: Vec<PiiHit>,
    phrases: Vec<PhraseHit>,
    /// Original byte ranges of the phrase hits.
    phrase_spans: Vec<(usize, usize)>,
    claims: Vec<facts::RawClaim>,
    /// The personal-data cue groups of the segment's text (see [`Context::cue_groups`]).
    cue_groups: u32,
    /// The cue-layer patterns whose anchor occurs in the segment's text.
    cue_candidates: PatternBits,
}

/// Findings of a transcript: personal data, phrase rules, missing required phrases and, with
/// facts, misinformation. `line` is the segment index + 1; `span` is in the segment text.
pub fn scan_transcript(
    rules: &RuleSet,
    transcript: &Transcript,
    options: &ScanOptions,
) -> Vec<Finding> {
    scan_with_claims(rules, transcript, options).0
}

/// [`scan_transcript`] plus the claims on facts (for cross-source [`facts::inconsistencies`]).
pub fn scan_with_claims(
    rules: &RuleSet,
    transcript: &Transcript,
    options: &ScanOptions,
) -> (Vec<Finding>, Vec<Claim>) {
    let languages = resolve_languages(transcript, options);
    let agent = agent_speaker(transcript);
    let agent_turns = agent_segments(transcript, agent);
    let mut findings = Vec::new();
    let mut claims = Vec::new();
    let mut required_said = Vec::with_capacity(transcript.segments.len());
    let mut found_cues: Vec<cues::FoundCue> = Vec::new();
    let mut previous: Option<Normalized> = None;
    let mut previous_pii: Vec<PiiHit> = Vec::new();
    let mut previous_groups = 0;
    let mut spare: Option<Normalized> = None;
    for (i, seg) in transcript.segments.iter().enumerate() {
        let norm = match spare.take() {
            Some(mut reused) => {
                reused.refill(&seg.text);
                reused
            }
            None => Normalized::new(&seg.text),
        };
        let mut scan = scan_segment(
            rules,
            &languages,
            seg,
            &norm,
            previous.as_ref().map(|p| (p, previous_groups)),
            agent_turns[i],
            options.facts,
        );
        if let Some(prev_norm) = previous.as_ref() {
            let before = &transcript.segments[i - 1];
            if before.speaker == seg.speaker
                && number_at_edge(prev_norm, true)
                && number_at_edge(&norm, false)
            {
                let split = split_pii(before, i - 1, seg, &previous_pii, &mut scan.pii, options);
                insert_in_order(&mut findings, split);
            }
        }
        let first = findings.len();
        emit_segment_findings(rules, seg, i, &scan, options, &mut findings);
        if let Some(facts) = options.facts {
            for raw in &scan.claims {
                let [start, end] = raw.evidence();
                let words = words_in_span(seg, (start, end));
                let claim = make_claim(facts, seg, i, raw, &words, &scan.pii, options.show_pii);
                findings.extend(facts::misinformation(&facts.facts[raw.fact], &claim).map(
                    |mut f| {
                        mark_if_misheard(&mut f, &words);
                        f
                    },
                ));
                claims.push(claim);
            }
        }
        findings[first..].sort_by_key(reading_order);
        if agent_turns[i] {
            let hits = cues::find_among(&languages, &norm, &scan.cue_candidates);
            found_cues.extend(hits.into_iter().map(|hit| {
                let span = norm.original_span(hit.start, hit.end, &seg.text);
                cues::FoundCue {
                    kind: hit.kind,
                    segment: i,
                    span,
                    text: cue_words(seg, span, &scan.pii, options.show_pii),
                }
            }));
        }
        required_said.push(required_categories(rules, &scan.phrases));
        spare = previous.replace(norm);
        previous_pii = scan.pii;
        previous_groups = scan.cue_groups;
    }
    if !findings.is_sorted_by_key(reading_order) {
        findings.sort_by_key(reading_order);
    }
    if let Some(f) = cue_finding(transcript, &found_cues, options) {
        insert_in_order(&mut findings, vec![f]);
    }
    if agent.is_some() {
        let missing = missing_required(
            rules,
            &languages,
            transcript,
            &agent_turns,
            &required_said,
            options,
        );
        insert_in_order(&mut findings, missing);
    }
    (findings, claims)
}

/// A cue's words as said, or its masked excerpt where it overlaps personal data.
fn cue_words(seg: &Segment, span: (usize, usize), pii: &[PiiHit], show_pii: bool) -> String {
    if !show_pii && pii.iter().any(|h| h.start < span.1 && h.end > span.0) {
        excerpt(&seg.text, span, pii, false)
    } else {
        seg.text[span.0..span.1].to_string()
    }
}

/// The transcript's one `manipulation` finding from the cue layer ([`cues::finding`]), placed at
/// its first cue.
fn cue_finding(
    transcript: &Transcript,
    found: &[cues::FoundCue],
    options: &ScanOptions,
) -> Option<Finding> {
    let mut f = cues::finding(found)?;
    let first = &found[0];
    let seg = &transcript.segments[first.segment];
    locate(
        &mut f,
        seg,
        first.segment,
        first.span,
        &words_in_span(seg, first.span),
        &segment_pii(transcript, first.segment, true),
        options.show_pii,
    );
    Some(f)
}

/// Findings are listed by line, then by where they start in it.
fn reading_order(f: &Finding) -> (Option<usize>, Option<usize>) {
    (f.line, f.span.map(|s| s[0]))
}

/// Inserts `extra` into `findings` (already in [`reading_order`]), each after the findings that
/// sort equal to it: the order a stable sort of `findings` followed by `extra` gives, without
/// moving every finding through a merge.
fn insert_in_order(findings: &mut Vec<Finding>, mut extra: Vec<Finding>) {
    extra.sort_by_key(reading_order);
    for f in extra {
        let key = reading_order(&f);
        let at = findings.partition_point(|g| reading_order(g) <= key);
        findings.insert(at, f);
    }
}

fn scan_segment(
    rules: &RuleSet,
    languages: &[String],
    seg: &Segment,
    norm: &Normalized,
    previous: Option<(&Normalized, u32)>,
    agent_turn: bool,
    facts: Option<&FactSet>,
) -> SegmentScan {
    let words = rules.line_words(norm);
    let ctx = Context::with_groups(norm, words.pii_groups, previous);
    let pii = find_pii(&seg.text, &ctx, agent_turn);
    let phrases = rules.find_among(languages, norm, agent_turn, words.rules);
    let phrase_spans = phrases
        .iter()
        .map(|h| norm.original_span(h.start, h.end, &seg.text))
        .collect();
    let claims = match facts {
        Some(f) if agent_turn => facts::raw_claims(f, norm, &seg.text),
        _ => Vec::new(),
    };
    SegmentScan {
        pii,
        phrases,
        phrase_spans,
        claims,
        cue_groups: words.pii_groups,
        cue_candidates: words.cues,
    }
}

/// Personal data said across the end of segment `before` (index `before_index`) and the start of
/// `here`: adds its part in `here` to `here_pii` and returns the finding on its part in `before`.
/// A part that overlaps what either segment's own scan found is left to that scan.
fn split_pii(
    before: &Segment,
    before_index: usize,
    here: &Segment,
    before_pii: &[PiiHit],
    here_pii: &mut Vec<PiiHit>,
    options: &ScanOptions,
) -> Vec<Finding> {
    let overlaps =
        |hit: &PiiHit, hits: &[PiiHit]| hits.iter().any(|h| h.start < hit.end && hit.start < h.end);
    let mut out = Vec::new();
    for (first, second) in find_pii_across(&before.text, &here.text) {
        if overlaps(&first, before_pii) || overlaps(&second, here_pii) {
            continue;
        }
        let mut masks = before_pii.to_vec();
        masks.push(first.clone());
        let mut f = pii_finding(before, before_index, &first, &masks, options.show_pii);
        f.details
            .insert("continues_on_line".into(), (before_index + 2).into());
        out.push(f);
        here_pii.push(second);
    }
    here_pii.sort_by_key(|h| h.start);
    out
}

/// The finding of one piece of personal data in a segment whose personal data is `pii`.
fn pii_finding(
    seg: &Segment,
    index: usize,
    hit: &PiiHit,
    pii: &[PiiHit],
    show_pii: bool,
) -> Finding {
    let mut f = Finding::new(FindingKind::Pii, hit.category, hit.severity, hit.reason);
    f.rule = Some(format!("pii.{}", hit.category));
    let span = (hit.start, hit.end);
    let words = words_in_span(seg, span);
    locate(&mut f, seg, index, span, &words, pii, show_pii);
    mark_if_misheard(&mut f, &words);
    f
}

fn emit_segment_findings(
    rules: &RuleSet,
    seg: &Segment,
    index: usize,
    scan: &SegmentScan,
    options: &ScanOptions,
    out: &mut Vec<Finding>,
) {
    for hit in &scan.pii {
        out.push(pii_finding(seg, index, hit, &scan.pii, options.show_pii));
    }
    for (hit, &span) in scan.phrases.iter().zip(&scan.phrase_spans) {
        let rule = &rules.rules()[hit.rule];
        if rule.kind == FindingKind::MissingRequiredPhrase {
            continue;
        }
        let words = words_in_span(seg, span);
        if let Some(least) = rule.min_confidence {
            if words.iter().any(|w| w.p < least) {
                continue;
            }
        }
        let mut f = Finding::new(
            rule.kind,
            rule.category.clone(),
            rule.severity,
            rule.rationale.clone(),
        );
        f.rule = Some(rule.id.clone());
        locate(
            &mut f,
            seg,
            index,
            span,
            &words,
            &scan.pii,
            options.show_pii,
        );
        mark_if_misheard(&mut f, &words);
        out.push(f);
    }
}

/// Fills span, line, speaker, excerpt and time ranges of a finding about `span` of a segment,
/// whose timed words are `words` (from [`words_in_span`]).
fn locate(
    f: &mut Finding,
    seg: &Segment,
    index: usize,
    span: (usize, usize),
    words: &[&Word],
    pii: &[PiiHit],
    show_pii: bool,
) {
    f.span = Some([span.0, span.1]);
    f.line = Some(index + 1);
    f.speaker = seg.speaker.clone();
    f.excerpt = Some(excerpt(&seg.text, span, pii, show_pii));
    f.time_ranges = time_ranges(seg, words);
}

fn make_claim(
    facts: &FactSet,
    seg: &Segment,
    index: usize,
    raw: &facts::RawClaim,
    words: &[&Word],
    pii: &[PiiHit],
    show_pii: bool,
) -> Claim {
    let [start, end] = raw.evidence();
    let span = (start, end);
    Claim {
        fact: facts.facts[raw.fact].id.clone(),
        value: raw.value,
        qualifier: raw.qualifier,
        slack: raw.slack,
        unit: facts.facts[raw.fact].unit.name().to_string(),
        stated: seg.text[raw.start..raw.end].to_string(),
        subject: seg.text[raw.subject[0]..raw.subject[1]].to_string(),
        span: [start, end],
        line: index + 1,
        speaker: seg.speaker.clone(),
        excerpt: excerpt(&seg.text, span, pii, show_pii),
        time_ranges: time_ranges(seg, words),
    }
}

/// Claims on facts in a transcript (agent turns only), for [`facts::inconsistencies`].
pub fn claims(
    rules: &RuleSet,
    facts: &FactSet,
    transcript: &Transcript,
    show_pii: bool,
) -> Vec<Claim> {
    let options = ScanOptions {
        languages: &[],
        show_pii,
        facts: Some(facts),
    };
    scan_with_claims(rules, transcript, &options).1
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The text around `span` with personal data replaced by its mask (unless `show_pii`).
pub fn excerpt(text: &str, span: (usize, usize), pii: &[PiiHit], show_pii: bool) -> String {
    let mut start = floor_boundary(text, span.0.saturating_sub(EXCERPT_CONTEXT));
    let mut end = ceil_boundary(text, (span.1 + EXCERPT_CONTEXT).min(text.len()));
    if let Some(space) = text[start..span.0].find(' ').filter(|_| start > 0) {
        start += space + 1;
    }
    if let Some(space) = text[span.1..end].rfind(' ').filter(|_| end < text.len()) {
        end = span.1 + space;
    }
    for hit in pii {
        if hit.start < end && hit.end > start {
            start = start.min(hit.start);
            end = end.max(hit.end);
        }
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut cursor = start;
    for hit in pii.iter().filter(|h| h.start >= start && h.end <= end) {
        if show_pii || hit.start < cursor {
            continue;
        }
        out.push_str(&text[cursor..hit.start]);
        out.push_str(&hit.masked);
        cursor = hit.end;
    }
    out.push_str(&text[cursor..end]);
    if end < text.len() {
        out.push('…');
    }
    out.trim().to_string()
}

/// The timed words of a segment that overlap `span` (byte offsets in the segment text), in order.
fn words_in_span(seg: &Segment, span: (usize, usize)) -> Vec<&Word> {
    let mut cursor = 0;
    let mut inside = Vec::new();
    for word in &seg.words {
        let w = word.text.trim();
        let Some(found) = (!w.is_empty())
            .then(|| seg.text[cursor..].find(w))
            .flatten()
        else {
            continue;
        };
        let (ws, we) = (cursor + found, cursor + found + w.len());
        cursor = we;
        if ws < span.1 && we > span.0 {
            inside.push(word);
        }
    }
    inside
}

/// Seconds covered by a span whose timed words are `words`: from their timestamps when the
/// segment has them, else the segment's.
fn time_ranges(seg: &Segment, words: &[&Word]) -> Vec<TimeRange> {
    match (words.first(), words.last(), seg.start_s, seg.end_s) {
        (Some(first), Some(last), _, _) => vec![TimeRange::new(first.start_s, last.end_s)],
        (None, _, Some(s), Some(e)) => vec![TimeRange::new(s, e)],
        _ => Vec::new(),
    }
}

/// A finding that rests on words the recogniser was unsure of (mean probability below
/// [`LOW_CONFIDENCE_P`]) is capped at low severity and says it may be misheard. Text without word
/// timing (pasted transcripts) has no words here and is left as it is.
fn mark_if_misheard(f: &mut Finding, words: &[&Word]) {
    if words.is_empty() {
        return;
    }
    let mean = words.iter().map(|w| w.p).sum::<f32>() / words.len() as f32;
    if mean >= LOW_CONFIDENCE_P {
        return;
    }
    f.severity = f.severity.min(Severity::Low);
    f.message.push_str(&format!(
        " (may be misheard: ASR word confidence {mean:.2})"
    ));
    let rounded = (f64::from(mean) * 100.0).round() / 100.0;
    f.details.insert("asr_confidence".into(), rounded.into());
}

/// Bit set of the required-phrase categories (bit = index in REQUIRED_CATEGORIES) a segment says.
fn required_categories(rules: &RuleSet, phrases: &[PhraseHit]) -> u8 {
    phrases
        .iter()
        .map(|h| &rules.rules()[h.rule])
        .filter(|r| r.kind == FindingKind::MissingRequiredPhrase)
        .filter_map(|r| REQUIRED_CATEGORIES.iter().position(|c| *c == r.category))
        .fold(0, |bits, i| bits | 1 << i)
}

/// Personal data of one segment, looked up again for the excerpt of a missing-phrase finding.
fn segment_pii(transcript: &Transcript, index: usize, agent_turn: bool) -> Vec<PiiHit> {
    let seg = &transcript.segments[index];
    let here = Normalized::new(&seg.text);
    let before = index
        .checked_sub(1)
        .map(|i| Normalized::new(&transcript.segments[i].text));
    find_pii(&seg.text, &Context::new(&here, before.as_ref()), agent_turn)
}

/// Fewest segments (lines) a whole call has: an opening, an exchange and a closing.
const WHOLE_CALL_MIN_SEGMENTS: usize = 4;

/// Whether the transcript looks like a whole call rather than a pasted fragment of a few lines:
/// at least 4 lines, the other party speaks, and the agent has an opening turn and a later closing
/// turn (two separate turns), so that both windows exist. (Terse whole calls of 5 short lines are
/// real: "Слушаю." ... "Угу." is exactly what the rules are for.)
fn looks_like_whole_call(transcript: &Transcript, agent_turns: &[bool]) -> bool {
    transcript.segments.len() >= WHOLE_CALL_MIN_SEGMENTS
        && agent_turns.contains(&false)
        && agent_runs(agent_turns).len() >= 2
}

/// Maximal runs of consecutive agent segments, as index ranges.
fn agent_runs(agent_turns: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut turns: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, _) in agent_turns.iter().enumerate().filter(|(_, a)| **a) {
        match turns.last_mut() {
            Some(t) if t.end == i => t.end = i + 1,
            _ => turns.push(i..i + 1),
        }
    }
    turns
}

fn missing_required(
    rules: &RuleSet,
    languages: &[String],
    transcript: &Transcript,
    agent_turns: &[bool],
    required_said: &[u8],
    options: &ScanOptions,
) -> Vec<Finding> {
    let turns = agent_runs(agent_turns);
    if turns.is_empty() || !looks_like_whole_call(transcript, agent_turns) {
        return Vec::new();
    }
    let opening = turns[0].start..turns[1.min(turns.len() - 1)].end;
    let closing = turns[turns.len().saturating_sub(2)].start..turns[turns.len() - 1].end;
    let said_in = |window: &std::ops::Range<usize>| {
        let joined = window
            .clone()
            .filter(|&i| agent_turns[i])
            .map(|i| transcript.segments[i].text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        required_categories(
            rules,
            &rules.find(languages, &Normalized::new(&joined), true),
        )
    };
    let (opening_said, closing_said) = (said_in(&opening), said_in(&closing));
    let mut out = Vec::new();
    for (bit, category) in REQUIRED_CATEGORIES.iter().enumerate() {
        let required: Vec<usize> = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind == FindingKind::MissingRequiredPhrase
                    && r.category == *category
                    && r.languages.iter().any(|l| languages.contains(l))
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&example_rule) = required.first() else {
            continue;
        };
        let (scope, said) = match rules.rules()[example_rule].scope {
            Some(TurnScope::FirstTurn) => (opening.clone(), opening_said & (1 << bit) != 0),
            Some(TurnScope::LastTurns) => (closing.clone(), closing_said & (1 << bit) != 0),
            _ => {
                let all = 0..transcript.segments.len();
                let said = all
                    .clone()
                    .any(|i| agent_turns[i] && required_said[i] & (1 << bit) != 0);
                (all, said)
            }
        };
        if !said {
            out.push(missing_finding(
                rules,
                example_rule,
                transcript,
                scope.start,
                agent_turns[scope.start],
                options,
            ));
        }
    }
    out
}

fn missing_finding(
    rules: &RuleSet,
    rule_index: usize,
    transcript: &Transcript,
    segment: usize,
    agent_turn: bool,
    options: &ScanOptions,
) -> Finding {
    let rule = &rules.rules()[rule_index];
    let where_ = match rule.scope {
        Some(TurnScope::FirstTurn) => "in the agent's opening turns",
        Some(TurnScope::LastTurns) => "in the agent's last turns",
        _ => "anywhere in the agent's speech",
    };
    let mut f = Finding::new(
        FindingKind::MissingRequiredPhrase,
        rule.category.clone(),
        rule.severity,
        format!(
            "no {} {where_}: {}",
            rule.category.replace('_', " "),
            rule.rationale
        ),
    );
    f.rule = Some(rule.id.clone());
    let seg = &transcript.segments[segment];
    let head = ceil_boundary(&seg.text, seg.text.len().min(80));
    locate(
        &mut f,
        seg,
        segment,
        (0, head),
        &words_in_span(seg, (0, head)),
        &segment_pii(transcript, segment, agent_turn),
        options.show_pii,
    );
    f.span = None;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    #[test]
    fn inserting_in_order_equals_a_stable_sort() {
        let finding = |line: Option<usize>, start: Option<usize>, id: usize| {
            let mut f = Finding::new(FindingKind::Pii, "phone", Severity::Low, id.to_string());
            f.line = line;
            f.span = start.map(|s| [s, s + 1]);
            f
        };
        let keys = [None, Some(1), Some(2), Some(2), Some(5)];
        let mut sorted: Vec<Finding> = Vec::new();
        for (id, line) in keys.iter().enumerate() {
            sorted.push(finding(*line, Some(id % 2), id));
        }
        sorted.sort_by_key(reading_order);
        let extra: Vec<Finding> = [Some(2), None, Some(9), Some(2), Some(1)]
            .iter()
            .enumerate()
            .map(|(i, line)| finding(*line, line.map(|_| 1), 10 + i))
            .collect();
        let mut reference = sorted.clone();
        reference.extend(extra.clone());
        reference.sort_by_key(reading_order);
        insert_in_order(&mut sorted, extra);
        let ids = |v: &[Finding]| v.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&sorted), ids(&reference));
    }
    use crate::model::Word;

    fn seg(speaker: &str, text: &str) -> Segment {
        Segment {
            speaker: Some(speaker.into()),
            start_s: None,
            end_s: None,
            text: text.into(),
            words: Vec::new(),
        }
    }

    fn kinds(findings: &[Finding]) -> Vec<(FindingKind, String)> {
        findings
            .iter()
            .map(|f| (f.kind, f.category.clone()))
            .collect()
    }

    #[test]
    fn clean_call_has_no_findings() {
        let t = Transcript {
            language: Some("en".into()),
            language_probability: None,
            segments: vec![
                seg("agent", "Good morning, my name is Anna from Acme."),
                seg("customer", "Hi, I want to change my plan."),
                seg(
                    "agent",
                    "Sure, done. Is there anything else I can help you with?",
                ),
                seg("customer", "No, thanks."),
                seg("agent", "Have a nice day, goodbye!"),
            ],
            low_confidence_share: None,
        };
        let found = scan_transcript(&RuleSet::builtin(), &t, &ScanOptions::default());
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn flags_phrases_missing_phrases_and_masks_pii() {
        let t = Transcript {
            language: None,
            language_probability: None,
            segments: vec![
                seg("Оператор", "Что вас беспокоит? Давайте подумаем вместе."),
                seg("Клиент", "Моя карта 4111 1111 1111 1111."),
                seg("Оператор", "Хорошо."),
            ],
            low_confidence_share: None,
        };
        let found = scan_transcript(&RuleSet::builtin(), &t, &ScanOptions::default());
        let k = kinds(&found);
        assert!(
            k.contains(&(FindingKind::OutdatedPhrase, "old_script".into())),
            "{k:?}"
        );
        assert!(k.contains(&(FindingKind::Pii, "card_number".into())));
        assert!(
            !found
                .iter()
                .any(|f| f.kind == FindingKind::MissingRequiredPhrase),
            "a fragment of three lines is no whole call: {k:?}"
        );
        let card = found.iter().find(|f| f.category == "card_number").unwrap();
        assert_eq!(
            card.excerpt.as_deref(),
            Some("Моя карта 4111 **** **** 1111.")
        );
        assert_eq!(card.line, Some(2));
        let [s, e] = card.span.unwrap();
        assert_eq!(&t.segments[1].text[s..e], "4111 1111 1111 1111");
    }

    #[test]
    fn a_card_split_across_two_lines_of_one_speaker_is_found_on_both() {
        let t = Transcript {
            language: Some("en".into()),
            segments: vec![
                seg("customer", "My card is 4111 1111"),
                seg("customer", "1111 1111, that's it."),
                seg("agent", "Thanks, 1111 1111 noted."),
            ],
            ..Transcript::default()
        };
        let found = scan_transcript(&RuleSet::builtin(), &t, &ScanOptions::default());
        let cards: Vec<_> = found
            .iter()
            .filter(|f| f.category == "card_number")
            .collect();
        assert_eq!(cards.len(), 2, "{found:?}");
        let text_at = |f: &Finding| {
            let [s, e] = f.span.unwrap();
            t.segments[f.line.unwrap() - 1].text[s..e].to_string()
        };
        assert_eq!(text_at(cards[0]), "4111 1111");
        assert_eq!(text_at(cards[1]), "1111 1111");
        assert_eq!(cards[0].details["continues_on_line"], 2);
        assert!(!cards[1].excerpt.as_deref().unwrap().contains("1111 1111"));
    }

    /// A whole call whose agent says `opening` (two segments) and `closing` (two segments).
    fn whole_call(opening: [&str; 2], closing: [&str; 2]) -> Transcript {
        let middle = "I would like to move my internet plan to the cheaper one from next month, \
                      because I hardly use it during the week and the price went up again.";
        Transcript {
            language: Some("en".into()),
            segments: vec![
                seg("agent", opening[0]),
                seg("agent", opening[1]),
                seg("customer", middle),
                seg(
                    "agent",
                    "Sure, I have changed it, the new price starts on the first of the month.",
                ),
                seg(
                    "customer",
                    "Great, that is all I needed today, thanks a lot.",
                ),
                seg("agent", closing[0]),
                seg("agent", closing[1]),
            ],
            ..Transcript::default()
        }
    }

    fn missing(t: &Transcript) -> Vec<String> {
        scan_transcript(&RuleSet::builtin(), t, &ScanOptions::default())
            .into_iter()
            .filter(|f| f.kind == FindingKind::MissingRequiredPhrase)
            .map(|f| f.category)
            .collect()
    }

    #[test]
    fn required_phrases_are_judged_on_joined_turns_of_a_whole_call() {
        let split = whole_call(
            [
                "Thank you for calling Acme Telecom,",
                "this is Anna. Good evening!",
            ],
            ["Can I help you", "with anything else? Have a nice day."],
        );
        assert!(missing(&split).is_empty(), "{:?}", missing(&split));
        let rude = whole_call(["Yes.", "What do you want?"], ["Done.", "Right."]);
        assert_eq!(
            missing(&rude),
            [
                "greeting",
                "self_introduction",
                "offer_more_help",
                "farewell"
            ]
        );
    }

    /// A segment whose words carry whisper's probabilities, one per word of `text`.
    fn heard(speaker: &str, text: &str, p: &[f32]) -> Segment {
        let mut s = seg(speaker, text);
        s.words = text
            .split(' ')
            .zip(p)
            .enumerate()
            .map(|(i, (w, &p))| Word {
                text: format!(" {w}"),
                start_s: i as f64,
                end_s: i as f64 + 0.5,
                p,
            })
            .collect();
        s
    }

    fn one_segment(segment: Segment) -> Transcript {
        Transcript {
            language: Some("en".into()),
            segments: vec![segment],
            ..Transcript::default()
        }
    }

    #[test]
    fn profanity_needs_a_confidently_heard_word() {
        let scan = |p: &[f32]| {
            let t = one_segment(heard("agent", "It's shit today.", p));
            scan_transcript(&RuleSet::builtin(), &t, &ScanOptions::default())
        };
        let profanity = |found: &[Finding]| found.iter().any(|f| f.category == "profanity");
        assert!(
            !profanity(&scan(&[0.8, 0.4, 0.42])),
            "misheard: no profanity"
        );
        assert!(
            profanity(&scan(&[0.9, 0.95, 0.9])),
            "heard clearly: profanity"
        );
    }

    #[test]
    fn findings_on_unsure_words_are_capped_and_say_so() {
        let text = "But only today and only two at that price.";
        let scan = |p: f32| {
            let t = one_segment(heard("agent", text, &[p; 9]));
            let found = scan_transcript(&RuleSet::builtin(), &t, &ScanOptions::default());
            found
                .into_iter()
                .find(|f| f.kind == FindingKind::Manipulation)
                .expect("false urgency found")
        };
        let unsure = scan(0.3);
        assert_eq!(unsure.severity, Severity::Low);
        assert!(
            unsure.message.contains("may be misheard"),
            "{}",
            unsure.message
        );
        assert_eq!(unsure.details["asr_confidence"], 0.3);
        let sure = scan(0.9);
        assert!(sure.severity > Severity::Low);
        assert!(!sure.message.contains("misheard"));
    }

    #[test]
    fn low_confidence_share_counts_unsure_words() {
        let t = one_segment(heard("agent", "a b c d", &[0.9, 0.2, 0.9, 0.4]));
        assert_eq!(t.measure_low_confidence_share(), Some(0.5));
        assert_eq!(Transcript::default().measure_low_confidence_share(), None);
    }

    #[test]
    fn time_ranges_come_from_words() {
        let mut s = seg("agent", "only today, really");
        s.start_s = Some(10.0);
        s.end_s = Some(12.0);
        s.words = vec![
            Word {
                text: " only".into(),
                start_s: 10.0,
                end_s: 10.4,
                p: 0.9,
            },
            Word {
                text: " today,".into(),
                start_s: 10.4,
                end_s: 10.9,
                p: 0.9,
            },
            Word {
                text: " really".into(),
                start_s: 11.0,
                end_s: 12.0,
                p: 0.9,
            },
        ];
        let located = |s: &Segment| time_ranges(s, &words_in_span(s, (0, 10)));
        assert_eq!(located(&s), [TimeRange::new(10.0, 10.9)]);
        s.words.clear();
        assert_eq!(located(&s), [TimeRange::new(10.0, 12.0)]);
    }

    #[test]
    fn guesses_language() {
        let t = |text: &str| Transcript {
            segments: vec![seg("a", text)],
            ..Default::default()
        };
        assert_eq!(guess_language(&t("Здравствуйте, чем могу помочь?")), "ru");
        assert_eq!(
            guess_language(&t("¿Qué te preocupa? Vamos a pensar juntos")),
            "es"
        );
        assert_eq!(
            guess_language(&t("What worries you? Let's think together")),
            "en"
        );
    }
}
