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
    let mut scan = TranscriptScan::new(rules, transcript, options);
    scan.feed(&transcript.segments);
    let done = scan.finish();
    let mut findings = done.findings;
    insert_in_order(&mut findings, done.placed_late);
    (findings, done.claims)
}

/// What a [`TranscriptScan`] holds when the transcript has been fed whole.
pub struct ScanResult {
    /// Findings not yet taken with [`TranscriptScan::take_settled`], in reading order.
    pub findings: Vec<Finding>,
    /// Findings decided only at the end (the manipulation-cue finding, missing required phrases)
    /// about lines that may already have been taken: insert them with [`insert_in_order`].
    pub placed_late: Vec<Finding>,
    /// Claims not yet taken with [`TranscriptScan::take_claims`].
    pub claims: Vec<Claim>,
}

/// The scan of one transcript as a streaming accumulator: feed its segments in order, in as many
/// pieces as suits (a piece boundary changes nothing), take the findings that no later segment
/// can precede, and finish. Memory follows the findings and a few kept segments, not the
/// transcript. Segment indices (`line` = index + 1) count across pieces.
pub struct TranscriptScan<'r> {
    rules: &'r RuleSet,
    options: ScanOptions<'r>,
    languages: Vec<String>,
    agent: Option<String>,
    /// [`is_agent`] per distinct speaker label seen so far.
    known_speakers: Vec<(Option<String>, bool)>,
    /// Segments fed so far.
    fed: usize,
    /// The last segment fed, its folded text and personal data: a value said across a piece
    /// boundary is found as across any two segments.
    previous: Option<(Normalized, Vec<PiiHit>, u32)>,
    /// The last segment of the previous piece.
    carried: Option<Segment>,
    spare: Option<Normalized>,
    findings: Vec<Finding>,
    claims: Vec<Claim>,
    found_cues: cues::CueTally,
    turns: AgentTurns,
    /// Segments that a finding decided at the end will be placed on.
    anchors: Vec<Anchor>,
}

impl<'r> TranscriptScan<'r> {
    /// A scan whose languages and agent are judged on `head` (the whole transcript, or its first
    /// piece when it streams): the transcript's language, else a guess from its first 200
    /// segments; the speaker named like an agent, else the first speaker.
    pub fn new(rules: &'r RuleSet, head: &Transcript, options: &ScanOptions<'r>) -> Self {
        Self {
            rules,
            options: *options,
            languages: resolve_languages(head, options),
            agent: agent_speaker(head).map(str::to_string),
            known_speakers: Vec::new(),
            fed: 0,
            previous: None,
            carried: None,
            spare: None,
            findings: Vec::new(),
            claims: Vec::new(),
            found_cues: cues::CueTally::default(),
            turns: AgentTurns::default(),
            anchors: Vec::new(),
        }
    }

    /// Scans the next segments of the transcript.
    pub fn feed(&mut self, segments: &[Segment]) {
        let base = self.fed;
        let carried = match segments.last() {
            Some(last) => self.carried.replace(last.clone()),
            None => return,
        };
        for (j, seg) in segments.iter().enumerate() {
            let i = base + j;
            let agent_turn = self.is_agent_turn(seg);
            let norm = match self.spare.take() {
                Some(mut reused) => {
                    reused.refill(&seg.text);
                    reused
                }
                None => Normalized::new(&seg.text),
            };
            let previous = self.previous.as_ref().map(|(n, _, groups)| (n, *groups));
            let mut scan = scan_segment(
                self.rules,
                &self.languages,
                seg,
                &norm,
                previous,
                agent_turn,
                self.options.facts,
            );
            let before = match j {
                0 => carried.as_ref(),
                _ => Some(&segments[j - 1]),
            };
            if let (Some(before), Some((prev_norm, prev_pii, _))) = (before, &self.previous) {
                if before.speaker == seg.speaker
                    && number_at_edge(prev_norm, true)
                    && number_at_edge(&norm, false)
                {
                    let split =
                        split_pii(before, i - 1, seg, prev_pii, &mut scan.pii, &self.options);
                    insert_in_order(&mut self.findings, split);
                }
            }
            self.scan_findings(seg, i, &scan);
            if agent_turn {
                self.note_cues(seg, i, &norm, &scan);
            }
            let said = required_categories(self.rules, &scan.phrases);
            self.turns.add(i, agent_turn, &seg.text, said);
            self.fed = i + 1;
            let last = self.previous.replace((norm, scan.pii, scan.cue_groups));
            self.spare = last.map(|(n, _, _)| n);
        }
        self.keep_anchors(base, segments, carried);
    }

    /// Whether a segment is the agent's, worked out once per distinct speaker label.
    fn is_agent_turn(&mut self, seg: &Segment) -> bool {
        let speaker = seg.speaker.as_deref();
        if let Some(&(_, is)) = self
            .known_speakers
            .iter()
            .find(|(s, _)| s.as_deref() == speaker)
        {
            return is;
        }
        let is = is_agent(seg, self.agent.as_deref());
        self.known_speakers.push((seg.speaker.clone(), is));
        is
    }

    /// Personal data, phrase rules and misinformation of one segment, in reading order.
    fn scan_findings(&mut self, seg: &Segment, i: usize, scan: &SegmentScan) {
        let first = self.findings.len();
        emit_segment_findings(self.rules, seg, i, scan, &self.options, &mut self.findings);
        if let Some(facts) = self.options.facts {
            for raw in &scan.claims {
                let [start, end] = raw.evidence();
                let words = words_in_span(seg, (start, end));
                let claim =
                    make_claim(facts, seg, i, raw, &words, &scan.pii, self.options.show_pii);
                self.findings
                    .extend(
                        facts::misinformation(&facts.facts[raw.fact], &claim).map(|mut f| {
                            mark_if_misheard(&mut f, &words);
                            f
                        }),
                    );
                self.claims.push(claim);
            }
        }
        self.findings[first..].sort_by_key(reading_order);
    }

    fn note_cues(&mut self, seg: &Segment, i: usize, norm: &Normalized, scan: &SegmentScan) {
        let (show_pii, pii) = (self.options.show_pii, &scan.pii);
        let hits = cues::find_among(&self.languages, norm, &scan.cue_candidates);
        for hit in hits {
            self.found_cues.push(hit.kind, || {
                let span = norm.original_span(hit.start, hit.end, &seg.text);
                cues::FoundCue {
                    kind: hit.kind,
                    segment: i,
                    span,
                    text: cue_words(seg, span, pii, show_pii),
                }
            });
        }
    }

    /// Copies the segments of this piece that a finding decided at the end may be placed on.
    fn keep_anchors(&mut self, base: usize, segments: &[Segment], carried: Option<Segment>) {
        let wanted = self.anchor_indices();
        self.anchors.retain(|a| wanted.contains(&a.index));
        for index in wanted {
            let Some(j) = index.checked_sub(base).filter(|&j| j < segments.len()) else {
                continue;
            };
            if self.anchors.iter().any(|a| a.index == index) {
                continue;
            }
            let before = match j {
                0 => carried.clone(),
                _ => Some(segments[j - 1].clone()),
            };
            self.anchors.push(Anchor {
                index,
                segment: segments[j].clone(),
                before,
                agent_turn: index != 0 || self.turns.first_is_agent,
            });
        }
    }

    /// Indices of the segments a finding decided at the end may be placed on: the first cue,
    /// the first segment, the start of the opening window and of the closing window.
    pub fn anchor_indices(&self) -> Vec<usize> {
        let mut wanted: Vec<usize> = self
            .found_cues
            .first()
            .map(|c| c.segment)
            .into_iter()
            .collect();
        wanted.extend(self.turns.anchor_indices());
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }

    /// Removes and returns the findings that no later segment can precede (all but those on the
    /// last segment fed, which a number said on into the next segment may still add to).
    pub fn take_settled(&mut self) -> Vec<Finding> {
        let last_line = self.fed;
        let cut = self
            .findings
            .partition_point(|f| f.line.is_some_and(|l| l < last_line));
        self.findings.drain(..cut).collect()
    }

    /// Removes and returns the claims found so far.
    pub fn take_claims(&mut self) -> Vec<Claim> {
        std::mem::take(&mut self.claims)
    }

    /// The findings that need the whole transcript (the manipulation-cue finding, missing
    /// required phrases) and whatever was not taken yet. Call it once, after the last piece.
    pub fn finish(&mut self) -> ScanResult {
        if !self.findings.is_sorted_by_key(reading_order) {
            self.findings.sort_by_key(reading_order);
        }
        let mut placed_late = Vec::new();
        if let Some(f) = self.cue_finding() {
            placed_late.push(f);
        }
        if self.agent.is_some() {
            placed_late.extend(self.missing_required());
        }
        ScanResult {
            findings: std::mem::take(&mut self.findings),
            placed_late,
            claims: std::mem::take(&mut self.claims),
        }
    }
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
/// Findings are listed by line, then by where they start in it.
fn reading_order(f: &Finding) -> (Option<usize>, Option<usize>) {
    (f.line, f.span.map(|s| s[0]))
}

/// Inserts `extra` into `findings` (already in [`reading_order`]), each after the findings that
/// sort equal to it: the order a stable sort of `findings` followed by `extra` gives, without
/// moving every finding through a merge.
pub fn insert_in_order(findings: &mut Vec<Finding>, mut extra: Vec<Finding>) {
    extra.sort_by_key(reading_order);
    for f in extra {
        let key = reading_order(&f);
        let at = findings.partition_point(|g| reading_order(g) <= key);
        findings.insert(at, f);
    }
}

/// `sorted` (findings in [`reading_order`], or errors reading them) with `extra` merged in, each
/// after the findings that sort equal to it: what [`insert_in_order`] gives, for findings that are
/// read back one at a time instead of held in a vector.
pub fn merge_in_order<E>(
    sorted: impl Iterator<Item = Result<Finding, E>>,
    mut extra: Vec<Finding>,
) -> impl Iterator<Item = Result<Finding, E>> {
    extra.sort_by_key(reading_order);
    let mut extra = extra.into_iter().peekable();
    let mut sorted = sorted.peekable();
    std::iter::from_fn(move || {
        let extra_first = match (sorted.peek(), extra.peek()) {
            (Some(Ok(g)), Some(e)) => reading_order(g) > reading_order(e),
            (None, Some(_)) => true,
            _ => false,
        };
        if extra_first {
            extra.next().map(Ok)
        } else {
            sorted.next()
        }
    })
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

/// A segment kept so that a finding decided at the end (the manipulation-cue finding, a missing
/// required phrase) can be placed on it: the segment, the one before it (for the personal data
/// masked in the excerpt) and whether it is the agent's.
#[derive(Debug, Clone)]
struct Anchor {
    index: usize,
    segment: Segment,
    before: Option<Segment>,
    agent_turn: bool,
}

impl Anchor {
    /// The segment's personal data, looked up again for the excerpt.
    fn pii(&self, agent_turn: bool) -> Vec<PiiHit> {
        let here = Normalized::new(&self.segment.text);
        let before = self.before.as_ref().map(|s| Normalized::new(&s.text));
        find_pii(
            &self.segment.text,
            &Context::new(&here, before.as_ref()),
            agent_turn,
        )
    }
}

/// Fewest segments (lines) a whole call has: an opening, an exchange and a closing.
const WHOLE_CALL_MIN_SEGMENTS: usize = 4;

/// Most bytes of the agent's words kept for one required-phrase window; the closing window drops
/// its oldest words first (no real call comes near: this bounds a hostile monologue).
const MAX_WINDOW_BYTES: usize = 1 << 20;

/// The agent's words in a run of turns, and the segment where the run starts.
#[derive(Debug, Clone, Default)]
struct TurnWindow {
    start: Option<usize>,
    text: String,
    parts: usize,
}

impl TurnWindow {
    fn starting_at(index: usize) -> Self {
        Self {
            start: Some(index),
            ..Self::default()
        }
    }

    /// Appends one segment's text, as `join(" ")` would.
    fn push(&mut self, text: &str) {
        if self.parts > 0 {
            self.text.push(' ');
        }
        self.text.push_str(text);
        self.parts += 1;
    }

    /// Drops the oldest words beyond [`MAX_WINDOW_BYTES`].
    fn keep_tail(&mut self) {
        if self.text.len() > MAX_WINDOW_BYTES {
            let cut = ceil_boundary(&self.text, self.text.len() - MAX_WINDOW_BYTES / 2);
            self.text.drain(..cut);
        }
    }
}

/// The agent's turns (maximal runs of agent segments) as the required-phrase check needs them,
/// kept while the transcript streams by: the first two (the opening window), the last two (the
/// closing window) and the categories said anywhere.
#[derive(Debug, Default)]
struct AgentTurns {
    segments: usize,
    other_party_spoke: bool,
    first_is_agent: bool,
    runs: usize,
    in_run: bool,
    opening: TurnWindow,
    /// The run before the last, and the last.
    closing: [TurnWindow; 2],
    said_anywhere: u8,
}

impl AgentTurns {
    fn add(&mut self, index: usize, agent_turn: bool, text: &str, said: u8) {
        if self.segments == 0 {
            self.first_is_agent = agent_turn;
        }
        self.segments += 1;
        if !agent_turn {
            self.other_party_spoke = true;
            self.in_run = false;
            return;
        }
        self.said_anywhere |= said;
        if !self.in_run {
            self.in_run = true;
            self.runs += 1;
            if self.runs == 1 {
                self.opening = TurnWindow::starting_at(index);
            }
            self.closing.rotate_left(1);
            self.closing[1] = TurnWindow::starting_at(index);
        }
        if self.runs <= 2 && self.opening.text.len() <= MAX_WINDOW_BYTES {
            self.opening.push(text);
        }
        self.closing[1].push(text);
        self.closing[1].keep_tail();
    }

    /// Whether the transcript looks like a whole call rather than a pasted fragment of a few
    /// lines: at least 4 lines, the other party speaks, and the agent has an opening turn and a
    /// later closing turn (two separate turns), so that both windows exist. (Terse whole calls of
    /// 5 short lines are real: "Слушаю." ... "Угу." is exactly what the rules are for.)
    fn look_like_whole_call(&self) -> bool {
        self.segments >= WHOLE_CALL_MIN_SEGMENTS && self.other_party_spoke && self.runs >= 2
    }

    /// The words of the closing window (the last two turns).
    fn closing_text(&self) -> String {
        let [before, last] = &self.closing;
        match (before.parts, last.parts) {
            (0, _) => last.text.clone(),
            (_, 0) => before.text.clone(),
            _ => format!("{} {}", before.text, last.text),
        }
    }

    fn closing_start(&self) -> Option<usize> {
        self.closing[0].start.or(self.closing[1].start)
    }

    fn anchor_indices(&self) -> Vec<usize> {
        let mut wanted = vec![0];
        wanted.extend(self.opening.start);
        wanted.extend(self.closing.iter().filter_map(|w| w.start));
        wanted
    }
}

impl TranscriptScan<'_> {
    fn anchor(&self, index: usize) -> &Anchor {
        self.anchors
            .iter()
            .find(|a| a.index == index)
            .expect("every anchor index is kept while it is wanted")
    }

    /// The one manipulation finding of the cues, placed at the first cue.
    fn cue_finding(&self) -> Option<Finding> {
        let mut f = cues::finding(&self.found_cues)?;
        let first = self.found_cues.first()?;
        let at = self.anchor(first.segment);
        locate(
            &mut f,
            &at.segment,
            first.segment,
            first.span,
            &words_in_span(&at.segment, first.span),
            &at.pii(true),
            self.options.show_pii,
        );
        Some(f)
    }

    fn missing_required(&self) -> Vec<Finding> {
        let turns = &self.turns;
        if turns.runs == 0 || !turns.look_like_whole_call() {
            return Vec::new();
        }
        let said_in = |text: &str| {
            let found = self
                .rules
                .find(&self.languages, &Normalized::new(text), true);
            required_categories(self.rules, &found)
        };
        let opening_said = said_in(&turns.opening.text);
        let closing_said = said_in(&turns.closing_text());
        let mut out = Vec::new();
        for (bit, category) in REQUIRED_CATEGORIES.iter().enumerate() {
            let Some(example_rule) = self.rules.rules().iter().position(|r| {
                r.kind == FindingKind::MissingRequiredPhrase
                    && r.category == *category
                    && r.languages.iter().any(|l| self.languages.contains(l))
            }) else {
                continue;
            };
            let (start, said) = match self.rules.rules()[example_rule].scope {
                Some(TurnScope::FirstTurn) => (turns.opening.start, opening_said),
                Some(TurnScope::LastTurns) => (turns.closing_start(), closing_said),
                _ => (Some(0), turns.said_anywhere),
            };
            if let (Some(start), false) = (start, said & (1 << bit) != 0) {
                out.push(self.missing_finding(example_rule, self.anchor(start)));
            }
        }
        out
    }

    fn missing_finding(&self, rule_index: usize, at: &Anchor) -> Finding {
        let rule = &self.rules.rules()[rule_index];
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
        let seg = &at.segment;
        let head = ceil_boundary(&seg.text, seg.text.len().min(80));
        locate(
            &mut f,
            seg,
            at.index,
            (0, head),
            &words_in_span(seg, (0, head)),
            &at.pii(at.agent_turn),
            self.options.show_pii,
        );
        f.span = None;
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    #[test]
    fn inserting_or_merging_in_order_equals_a_stable_sort() {
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
        let merged: Vec<Finding> =
            merge_in_order(sorted.iter().cloned().map(Ok::<_, ()>), extra.clone())
                .collect::<Result<_, _>>()
                .unwrap();
        insert_in_order(&mut sorted, extra);
        let ids = |v: &[Finding]| v.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&sorted), ids(&reference));
        assert_eq!(ids(&merged), ids(&reference));
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
