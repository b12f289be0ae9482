//! Folds transcript text into a matching form that survives case, punctuation, ё/е, accents,
//! filler words and small ASR spelling slips, with a byte map back to the original text.
//!
//! The matching form is lowercase words separated by single spaces, with a space at both ends.
//! Letters are folded to a skeleton: accents dropped, ё→е, й→и, ъ/ь dropped, v→b, z→s,
//! doubled letters collapsed. Filler words ("uh", "ну", "pues" ...; `normalize.fillers` in src/lang/) are removed. Currency and
//! percent signs become words (`usd`, `eur`, `rub`, `percent`).

use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use crate::lang;

/// Text folded for matching, with a map from each of its bytes to the original byte offset.
#[derive(Debug, Clone)]
pub struct Normalized {
    text: String,
    /// Original byte offset of the character each byte of `text` came from (spaces: the next one).
    map: Vec<u32>,
    /// Byte length of the original text.
    source_len: usize,
}

enum Fold {
    Letter(char),
    Digit(char),
    Drop,
    Word(&'static str),
    Boundary,
}

fn fold_char(c: char) -> Fold {
    match c {
        'a'..='z' => Fold::Letter(match c {
            'v' => 'b',
            'z' => 's',
            _ => c,
        }),
        'A'..='Z' => fold_char(c.to_ascii_lowercase()),
        '0'..='9' => Fold::Digit(c),
        '\'' | '’' | '`' => Fold::Drop,
        '%' => Fold::Word("percent"),
        '$' => Fold::Word("usd"),
        '€' => Fold::Word("eur"),
        '₽' => Fold::Word("rub"),
        _ if c.is_ascii() => Fold::Boundary,
        _ => fold_non_ascii(c),
    }
}

fn fold_non_ascii(c: char) -> Fold {
    // Cyrillic fast path: the bulk of Russian text, no Unicode table lookups.
    match c {
        'а'..='и' | 'к'..='щ' | 'ы' | 'э'..='я' => return Fold::Letter(c),
        'А'..='И' | 'К'..='Щ' | 'Ы' | 'Э'..='Я' => {
            return Fold::Letter(char::from_u32(c as u32 + 32).unwrap_or(c))
        }
        _ => {}
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'ё' => Fold::Letter('е'),
        'й' => Fold::Letter('и'),
        'ъ' | 'ь' => Fold::Drop,
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => Fold::Letter('a'),
        'é' | 'è' | 'ê' | 'ë' => Fold::Letter('e'),
        'í' | 'ì' | 'î' | 'ï' => Fold::Letter('i'),
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => Fold::Letter('o'),
        'ú' | 'ù' | 'û' | 'ü' => Fold::Letter('u'),
        'ñ' => Fold::Letter('n'),
        'ç' => Fold::Letter('c'),
        '\u{0300}'..='\u{036f}' => Fold::Drop,
        // Fullwidth digits (CJK input methods, some ASR outputs) read as ASCII digits.
        '０'..='９' => Fold::Digit(char::from(b'0' + (lower as u32 - '０' as u32) as u8)),
        _ if lower.is_numeric() => Fold::Boundary,
        _ if lower.is_alphabetic() => Fold::Letter(lower),
        _ => Fold::Boundary,
    }
}

/// Filler words dropped before matching (every language's `normalize.fillers`), so that
/// "what, uh, worries you" matches "what worries you".
fn fillers() -> &'static FxHashSet<String> {
    static FILLER_SET: OnceLock<FxHashSet<String>> = OnceLock::new();
    FILLER_SET.get_or_init(|| {
        lang::words(|l| &l.normalize.fillers)
            .map(|w| Normalized::fold(w, false))
            .collect()
    })
}

struct Builder {
    text: String,
    map: Vec<u32>,
    word_start: Option<usize>,
    last_letter: Option<char>,
    last_was_digit: bool,
    drop_fillers: bool,
}

impl Builder {
    fn push_char(&mut self, c: char, orig: usize) {
        self.text.push(c);
        match c.len_utf8() {
            1 => self.map.push(orig as u32),
            bytes => self.map.extend(std::iter::repeat_n(orig as u32, bytes)),
        }
    }

    fn start_word_if_needed(&mut self, is_digit: bool, orig: usize) {
        if self.word_start.is_some() && self.last_was_digit != is_digit {
            self.end_word(orig);
        }
        if self.word_start.is_none() {
            self.word_start = Some(self.text.len());
            self.last_letter = None;
        }
        self.last_was_digit = is_digit;
    }

    fn letter(&mut self, c: char, orig: usize) {
        self.start_word_if_needed(false, orig);
        if self.last_letter != Some(c) {
            self.push_char(c, orig);
        }
        self.last_letter = Some(c);
    }

    fn digit(&mut self, c: char, orig: usize) {
        self.start_word_if_needed(true, orig);
        self.push_char(c, orig);
        self.last_letter = None;
    }

    fn end_word(&mut self, orig: usize) {
        let Some(start) = self.word_start.take() else {
            return;
        };
        let word = &self.text[start..];
        if self.drop_fillers && word.len() <= 12 && fillers().contains(word) {
            self.text.truncate(start);
            self.map.truncate(start);
            return;
        }
        self.push_char(' ', orig);
    }

    fn symbol_word(&mut self, word: &str, orig: usize) {
        self.end_word(orig);
        for c in word.chars() {
            self.push_char(c, orig);
        }
        self.push_char(' ', orig);
    }
}

impl Normalized {
    /// Folds `source` into the matching form.
    pub fn new(source: &str) -> Self {
        let (text, map) = Self::build(source, true, String::new(), Vec::new());
        Self {
            text,
            map,
            source_len: source.len(),
        }
    }

    /// Folds `source` into this value's buffers (one allocation for a whole transcript's segments).
    pub fn refill(&mut self, source: &str) {
        let text = std::mem::take(&mut self.text);
        let map = std::mem::take(&mut self.map);
        (self.text, self.map) = Self::build(source, true, text, map);
        self.source_len = source.len();
    }

    /// The folded form of a word or phrase, without the spaces around it, as used to compile
    /// patterns and word lists (filler words kept unless `drop_fillers`).
    pub fn fold(source: &str, drop_fillers: bool) -> String {
        let text = Self::build(source, drop_fillers, String::new(), Vec::new()).0;
        text.trim().to_string()
    }

    /// Calls `f` with [`Normalized::fold`] of `source`, folded into buffers kept per thread (no
    /// allocation for the many single words that are looked up and dropped).
    pub fn with_folded<R>(source: &str, drop_fillers: bool, f: impl FnOnce(&str) -> R) -> R {
        thread_local! {
            static BUFFERS: std::cell::Cell<(String, Vec<u32>)> =
                const { std::cell::Cell::new((String::new(), Vec::new())) };
        }
        let (text, map) = BUFFERS.take();
        let (text, map) = Self::build(source, drop_fillers, text, map);
        let out = f(text.trim());
        BUFFERS.set((text, map));
        out
    }

    /// Folds `source` into `text` and `map`, cleared first.
    fn build(
        source: &str,
        drop_fillers: bool,
        mut text: String,
        mut map: Vec<u32>,
    ) -> (String, Vec<u32>) {
        text.clear();
        text.reserve(source.len() + 2);
        map.clear();
        map.reserve(source.len() + 2);
        let mut b = Builder {
            text,
            map,
            word_start: None,
            last_letter: None,
            last_was_digit: false,
            drop_fillers,
        };
        b.push_char(' ', 0);
        for (i, c) in source.char_indices() {
            match fold_char(c) {
                Fold::Letter(l) => b.letter(l, i),
                Fold::Digit(d) => b.digit(d, i),
                Fold::Drop => {}
                Fold::Word(w) => b.symbol_word(w, i),
                Fold::Boundary => b.end_word(i),
            }
        }
        b.end_word(source.len());
        if b.text.len() == 1 {
            b.push_char(' ', source.len());
        }
        (b.text, b.map)
    }

    /// The folded text: words separated by single spaces, a space at both ends.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The original byte range `[start, end)` of the folded bytes `[a, b)` (which must cover whole
    /// words). The end takes in the characters the fold dropped right after the last one (the soft
    /// sign of "семь", an apostrophe, a combining accent), so a masked span never leaves a letter of
    /// its word behind.
    pub fn original_span(&self, a: usize, b: usize, source: &str) -> (usize, usize) {
        let start = self.map[a] as usize;
        let last = self.map[b.saturating_sub(1).max(a)] as usize;
        let mut end = source[last..]
            .chars()
            .next()
            .map_or(self.source_len, |c| last + c.len_utf8());
        let last_letter = match source[last..].chars().next().map(fold_char) {
            Some(Fold::Letter(l)) => Some(l),
            _ => None,
        };
        while let Some(c) = source[end.min(source.len())..].chars().next() {
            let swallowed = match fold_char(c) {
                Fold::Drop => !matches!(c, '\'' | '’' | '`'),
                Fold::Letter(l) => last_letter == Some(l),
                _ => false,
            };
            if !swallowed {
                break;
            }
            end += c.len_utf8();
        }
        (start, end.max(start))
    }

    /// Folded byte ranges of the words, in order.
    pub fn words(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let bytes = self.text.as_bytes();
        let mut pos = 1;
        std::iter::from_fn(move || {
            while pos < bytes.len() && bytes[pos] == b' ' {
                pos += 1;
            }
            if pos >= bytes.len() {
                return None;
            }
            let start = pos;
            while pos < bytes.len() && bytes[pos] != b' ' {
                pos += 1;
            }
            Some((start, pos))
        })
    }

    /// Whether a folded phrase (from [`Normalized::fold`]) occurs as whole words.
    pub fn contains_phrase(&self, folded: &str) -> bool {
        self.text.contains(folded)
    }

    /// Whether some word starts with the folded stem.
    pub fn has_word_starting(&self, folded_stem: &str) -> bool {
        let stem = folded_stem.trim();
        self.text
            .match_indices(stem)
            .any(|(i, _)| i > 0 && self.text.as_bytes()[i - 1] == b' ')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refilling_equals_folding_afresh() {
        let mut reused = Normalized::new("Ну, это очень длинная строка: 4276 3800 1234 9085, да?");
        for text in ["Hola, ¿qué tal?", "", "uh what worries you, $5"] {
            reused.refill(text);
            let fresh = Normalized::new(text);
            assert_eq!(reused.text(), fresh.text());
            assert_eq!(reused.map, fresh.map);
            assert_eq!(reused.source_len, fresh.source_len);
        }
    }

    #[test]
    fn folds_case_punctuation_accents_and_yo() {
        assert_eq!(Normalized::new("Ёлки, ПАЛКИ!").text(), " елки палки ");
        assert_eq!(
            Normalized::new("¿Qué te preocupa?").text(),
            " que te preocupa "
        );
        assert_eq!(
            Normalized::new("Ну, что вас беспокоит?").text(),
            " что вас беспокоит "
        );
    }

    #[test]
    fn drops_fillers_and_collapses_doubles() {
        assert_eq!(
            Normalized::new("What, uh, worries you").text(),
            " what wories you "
        );
        assert_eq!(
            Normalized::new("Hello").text(),
            Normalized::new("helo").text()
        );
        assert_eq!(
            Normalized::new("vamos").text(),
            Normalized::new("bamos").text()
        );
    }

    #[test]
    fn spans_take_in_dropped_and_collapsed_letters_and_fullwidth_digits_fold() {
        let span = |text: &str, word: &str| {
            let norm = Normalized::new(text);
            let at = norm.text().find(word).expect("word folded");
            let (s, e) = norm.original_span(at, at + word.len(), text);
            text[s..e].to_string()
        };
        assert_eq!(span("шестьдесят семь записали", "сем"), "семь");
        assert_eq!(span("the mall, ok", "mal"), "mall");
        assert_eq!(span("it's 'ten' now", "ten"), "ten");
        assert_eq!(Normalized::new("карта ４１１１").text(), " карта 4111 ");
    }

    #[test]
    fn keeps_digits_apart_from_letters() {
        assert_eq!(Normalized::new("3дня, 5%").text(), " 3 дня 5 percent ");
        assert_eq!(Normalized::new("4455").text(), " 4455 ");
    }

    #[test]
    fn maps_back_to_original_bytes() {
        let src = "Привет, Ёжик!";
        let n = Normalized::new(src);
        let (a, b) = n.words().nth(1).unwrap();
        let (s, e) = n.original_span(a, b, src);
        assert_eq!(&src[s..e], "Ёжик");
    }

    #[test]
    fn empty_text_is_a_single_space_pair() {
        assert_eq!(Normalized::new("").text(), "  ");
        assert_eq!(Normalized::new("?!").text(), "  ");
    }
}
