//! Whisper's known failure modes, removed from its output: text on non-speech (high no-speech
//! probability), repeated-token loops, and the stock phrases it invents on silence and noise.

use crate::lang;
use crate::model::Word;

/// A segment as whisper produced it, times already in the original recording (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSegment {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    /// Whisper's probability that the window held no speech (0..1).
    pub no_speech_p: f32,
    pub words: Vec<Word>,
}

/// Above this no-speech probability a segment is dropped whatever its words say.
pub const NO_SPEECH_DROP: f32 = 0.8;
/// Above this no-speech probability a segment is dropped when its words are unsure too.
pub const NO_SPEECH_DOUBT: f32 = 0.5;
/// Mean word probability under which a doubtful segment is dropped.
pub const LOW_CONFIDENCE: f32 = 0.5;
/// A stock phrase is dropped unless whisper was at least this sure of its words.
pub const STOCK_PHRASE_CONFIDENCE: f32 = 0.85;
/// This many back-to-back repeats of the same 1..4-word group make a loop.
pub const LOOP_REPEATS: usize = 4;

/// A pause between two words longer than this starts a new segment, seconds (with VAD gating a
/// whisper segment can span several turns of one stereo channel).
pub const TURN_PAUSE_S: f64 = 1.0;

/// Splits a segment wherever its words pause for more than [`TURN_PAUSE_S`] and wherever whisper
/// marks a change of speaker with a dash word ("- Ну, ... - Что вас беспокоит?"); the dashes go.
pub fn split_at_turns(segment: RawSegment) -> Vec<RawSegment> {
    let mut runs: Vec<Vec<Word>> = Vec::new();
    let (mut new_turn, mut dashes) = (true, false);
    for word in segment.words.iter().cloned() {
        if is_speaker_dash(&word.text) {
            (new_turn, dashes) = (true, true);
            continue;
        }
        match runs.last_mut() {
            Some(run)
                if !new_turn
                    && run
                        .last()
                        .is_some_and(|w| word.start_s - w.end_s <= TURN_PAUSE_S) =>
            {
                run.push(word)
            }
            _ => runs.push(vec![word]),
        }
        new_turn = false;
    }
    if runs.len() <= 1 && !dashes {
        return vec![segment];
    }
    runs.into_iter()
        .map(|words| RawSegment {
            start_s: words[0].start_s,
            end_s: words[words.len() - 1].end_s,
            text: join_words(&words),
            no_speech_p: segment.no_speech_p,
            words,
        })
        .collect()
}

/// A word that is only a dash: whisper's mark of a new speaker in dialogue.
fn is_speaker_dash(text: &str) -> bool {
    matches!(text.trim(), "-" | "–" | "—")
}

/// The segment without loops, or `None` when it is a hallucination or becomes empty.
pub fn clean_segment(mut segment: RawSegment) -> Option<RawSegment> {
    let confidence = mean_p(&segment.words);
    if segment.no_speech_p > NO_SPEECH_DROP
        || (segment.no_speech_p > NO_SPEECH_DOUBT && confidence < LOW_CONFIDENCE)
    {
        return None;
    }
    let normal = normalise(&segment.text);
    // Credits never belong to a phone call: the segment goes whatever the confidence.
    if normal.is_empty() || lang::words(|l| &l.whisper.credit_fragments).any(|f| normal.contains(f))
    {
        return None;
    }
    // Stock phrases (whisper's words on silence, music and noise, from subtitled training videos)
    // go when they are the whole segment and whisper was unsure of them.
    if lang::words(|l| &l.whisper.stock_phrases).any(|p| p == normal)
        && confidence < STOCK_PHRASE_CONFIDENCE
    {
        return None;
    }
    let before = segment.words.len();
    segment.words = remove_loops(segment.words);
    if segment.words.len() != before {
        segment.text = join_words(&segment.words);
        segment.end_s = segment.words.last().map_or(segment.end_s, |w| w.end_s);
    }
    (!segment.words.is_empty() || !segment.text.is_empty()).then_some(segment)
}

/// Mean word probability; 1 for a segment without words.
fn mean_p(words: &[Word]) -> f32 {
    if words.is_empty() {
        return 1.0;
    }
    words.iter().map(|w| w.p).sum::<f32>() / words.len() as f32
}

/// Lowercase, punctuation removed, spaces collapsed.
fn normalise(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn word_key(word: &Word) -> String {
    normalise(&word.text)
}

/// Keeps the first copy of any 1..4-word group repeated [`LOOP_REPEATS`]+ times in a row.
pub fn remove_loops(words: Vec<Word>) -> Vec<Word> {
    let keys: Vec<String> = words.iter().map(word_key).collect();
    let mut keep = vec![true; words.len()];
    let mut i = 0;
    while i < words.len() {
        let mut skipped = false;
        for n in 1..=4 {
            let repeats = count_repeats(&keys, i, n);
            if repeats >= LOOP_REPEATS {
                keep[i + n..i + n * repeats]
                    .iter_mut()
                    .for_each(|k| *k = false);
                i += n * repeats;
                skipped = true;
                break;
            }
        }
        if !skipped {
            i += 1;
        }
    }
    words
        .into_iter()
        .zip(keep)
        .filter_map(|(w, k)| k.then_some(w))
        .collect()
}

/// How many times `keys[i..i+n]` occurs back to back from `i`.
fn count_repeats(keys: &[String], i: usize, n: usize) -> usize {
    if i + n > keys.len() {
        return 0;
    }
    let group = &keys[i..i + n];
    let mut repeats = 1;
    while i + n * (repeats + 1) <= keys.len()
        && &keys[i + n * repeats..i + n * (repeats + 1)] == group
    {
        repeats += 1;
    }
    repeats
}

/// A segment's text from its words.
pub fn join_words(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_phrases_and_credits_are_in_normalised_form() {
        let lists = lang::words(|l| &l.whisper.stock_phrases)
            .chain(lang::words(|l| &l.whisper.credit_fragments));
        for phrase in lists {
            assert_eq!(normalise(phrase), phrase, "{phrase:?} would never match");
        }
    }

    fn words(text: &str, p: f32) -> Vec<Word> {
        text.split_whitespace()
            .enumerate()
            .map(|(i, t)| Word {
                text: t.into(),
                start_s: i as f64,
                end_s: i as f64 + 0.5,
                p,
            })
            .collect()
    }

    fn segment(text: &str, no_speech_p: f32, p: f32) -> RawSegment {
        let words = words(text, p);
        RawSegment {
            start_s: 0.0,
            end_s: words.len() as f64,
            text: text.into(),
            no_speech_p,
            words,
        }
    }

    #[test]
    fn stock_phrases_on_doubtful_audio_are_dropped_but_confident_speech_stays() {
        assert!(clean_segment(segment("Thank you.", 0.1, 0.6)).is_none());
        assert!(clean_segment(segment("Спасибо.", 0.1, 0.4)).is_none());
        assert!(clean_segment(segment("Thank you.", 0.05, 0.95)).is_some());
        assert!(clean_segment(segment("Thank you for calling Acme.", 0.1, 0.6)).is_some());
        assert!(
            clean_segment(segment("Subtitles by the Amara.org community", 0.0, 0.99)).is_none()
        );
        assert!(clean_segment(segment("Редактор субтитров А.Семкин", 0.0, 0.9)).is_none());
    }

    #[test]
    fn long_pauses_split_segments() {
        let mut seg = segment("hello there how are you", 0.1, 0.9);
        seg.words[3].start_s += 5.0;
        seg.words[3].end_s += 5.0;
        seg.words[4].start_s += 5.0;
        seg.words[4].end_s += 5.0;
        let parts = split_at_turns(seg);
        let texts: Vec<_> = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["hello there how", "are you"]);
        assert_eq!((parts[1].start_s, parts[1].end_s), (8.0, 9.5));
        assert_eq!(split_at_turns(segment("one two", 0.1, 0.9)).len(), 1);
    }

    #[test]
    fn speaker_dashes_split_segments_and_go() {
        let texts = |text: &str| -> Vec<String> {
            split_at_turns(segment(text, 0.1, 0.9))
                .into_iter()
                .map(|p| p.text)
                .collect()
        };
        assert_eq!(
            texts("- Ну, я хочу тариф. - Что вас беспокоит?"),
            ["Ну, я хочу тариф.", "Что вас беспокоит?"]
        );
        assert_eq!(texts("- Hello there"), ["Hello there"]);
        assert_eq!(texts("a well-known plan"), ["a well-known plan"]);
        assert!(texts("-").is_empty());
    }

    #[test]
    fn no_speech_segments_are_dropped() {
        assert!(clean_segment(segment("hello there", 0.9, 0.99)).is_none());
        assert!(clean_segment(segment("hello there", 0.6, 0.3)).is_none());
        assert!(clean_segment(segment("hello there", 0.6, 0.9)).is_some());
    }

    #[test]
    fn loops_keep_one_copy_and_short_repeats_survive() {
        let looped = remove_loops(words(
            "I will call you back back back back back tomorrow",
            0.9,
        ));
        assert_eq!(join_words(&looped), "I will call you back tomorrow");
        let pairs = remove_loops(words(
            "ok so, thank you thank you thank you thank you bye",
            0.9,
        ));
        assert_eq!(join_words(&pairs), "ok so, thank you bye");
        let natural = remove_loops(words("no no no I said four four", 0.9));
        assert_eq!(natural.len(), 7);
        let cleaned = clean_segment(segment("la la la la la", 0.1, 0.9)).unwrap();
        assert_eq!(cleaned.text, "la");
        assert_eq!(cleaned.end_s, 0.5);
    }
}
