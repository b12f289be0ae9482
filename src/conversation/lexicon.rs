//! Word lists of the staged-call signals (disfluencies, sales vocabulary, script formulas; the `[staged]` section of
//! every language file in src/lang/) and the tokenizer that matches them.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::lang;

/// The shipped word lists of all languages, each entry already split into lower-case tokens.
#[derive(Debug)]
pub struct Lexicon {
    /// Filled pauses and discourse fillers (`staged.disfluencies`).
    pub fillers: Phrases,
    pub sales_terms: Phrases,
    /// Call-center script formulas (`staged.script_formulas`).
    pub script_formulas: Phrases,
}

/// A list of phrases (token sequences) indexed by their first token, so that matching costs one
/// hash lookup per token of the text rather than a pass over the whole list.
#[derive(Debug)]
pub struct Phrases {
    by_first: FxHashMap<String, Vec<Vec<String>>>,
}

impl Phrases {
    /// Tokenizes each entry; empty entries are dropped.
    pub fn new(entries: &[String]) -> Self {
        let mut by_first: FxHashMap<String, Vec<Vec<String>>> = FxHashMap::default();
        for phrase in entries.iter().map(|e| tokens(e)).filter(|p| !p.is_empty()) {
            by_first.entry(phrase[0].clone()).or_default().push(phrase);
        }
        Self { by_first }
    }

    /// Length in tokens of the longest phrase starting at `tokens[i]`, if any.
    pub fn longest_match_at<T: AsRef<str>>(&self, tokens: &[T], i: usize) -> Option<usize> {
        let rest = &tokens[i..];
        self.by_first
            .get(rest[0].as_ref())?
            .iter()
            .filter(|p| p.len() <= rest.len() && p.iter().zip(rest).all(|(a, b)| a == b.as_ref()))
            .map(Vec::len)
            .max()
    }

    /// Number of (non-overlapping, longest first) occurrences of any phrase in `tokens`.
    pub fn count<T: AsRef<str>>(&self, tokens: &[T]) -> usize {
        let mut count = 0;
        let mut i = 0;
        while i < tokens.len() {
            match self.longest_match_at(tokens, i) {
                Some(len) => {
                    count += 1;
                    i += len;
                }
                None => i += 1,
            }
        }
        count
    }
}

/// The lexicon of every shipped language (built once).
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let list = |words: Vec<String>| Phrases::new(&words);
        Lexicon {
            fillers: list(
                lang::words(|l| &l.staged.disfluencies)
                    .map(str::to_string)
                    .collect(),
            ),
            sales_terms: list(
                lang::words(|l| &l.staged.sales_terms)
                    .map(str::to_string)
                    .collect(),
            ),
            script_formulas: list(
                lang::words(|l| &l.staged.script_formulas)
                    .map(str::to_string)
                    .collect(),
            ),
        }
    })
}

/// Lower-case word tokens of a text: letters, digits and inner apostrophes; punctuation dropped.
pub fn tokens(text: &str) -> Vec<String> {
    LowerText::new(text)
        .tokens()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A text's [`tokens`], lower-cased in one pass into one buffer so that they can be borrowed
/// instead of copied one by one, and how many of its whitespace-separated words are cut off.
pub struct LowerText {
    lower: String,
    /// Byte ranges of the tokens in `lower`.
    spans: Vec<(usize, usize)>,
    cut_off: usize,
}

impl LowerText {
    pub fn new(text: &str) -> Self {
        let mut lower = Self {
            lower: String::new(),
            spans: Vec::new(),
            cut_off: 0,
        };
        lower.fill(text);
        lower
    }

    /// Replaces the content with `text`'s, reusing the buffers (one scratch for many texts).
    pub fn fill(&mut self, text: &str) {
        self.lower.clear();
        self.spans.clear();
        let mut scan = Scan {
            lower: &mut self.lower,
            spans: &mut self.spans,
            token_start: None,
            cut_off: CutOff::default(),
        };
        for c in text.chars() {
            scan.char(c);
        }
        scan.end_token();
        self.cut_off = scan.cut_off.count();
    }

    /// The text's [`tokens`], borrowed.
    pub fn tokens(&self) -> Vec<&str> {
        self.spans.iter().map(|&(a, b)| &self.lower[a..b]).collect()
    }

    /// Words (separated by whitespace) that end with a dash, cut off and restarted ("cha- change");
    /// the last word is not counted (a cut-off last word ends the text, it does not restart it).
    pub fn cut_off_words(&self) -> usize {
        self.cut_off
    }
}

/// The state of [`LowerText::fill`]'s pass.
struct Scan<'a> {
    lower: &'a mut String,
    spans: &'a mut Vec<(usize, usize)>,
    token_start: Option<usize>,
    cut_off: CutOff,
}

impl Scan<'_> {
    fn char(&mut self, c: char) {
        self.cut_off.char(c);
        if is_token_char(c) {
            if self.token_start.is_none() {
                self.token_start = Some(self.lower.len());
            }
            push_lowercase(self.lower, c);
        } else {
            self.end_token();
        }
    }

    /// Closes the open token, if any, without its leading and trailing apostrophes.
    fn end_token(&mut self) {
        let Some(start) = self.token_start.take() else {
            return;
        };
        let apostrophe = |c: char| c == '\'' || c == '’';
        let token = &self.lower[start..];
        let trimmed = token.trim_start_matches(apostrophe);
        let a = start + token.len() - trimmed.len();
        let b = a + trimmed.trim_end_matches(apostrophe).len();
        if b > a {
            self.spans.push((a, b));
        }
    }
}

/// Counts whitespace-separated words ending with a dash, all but the last word.
#[derive(Default)]
struct CutOff {
    /// Dash-ended words among the finished ones.
    ended: usize,
    /// Whether the last finished word ends with a dash.
    last: bool,
    /// Whether the current word ends with a dash so far (`None` between words).
    open: Option<bool>,
}

impl CutOff {
    fn char(&mut self, c: char) {
        if c.is_whitespace() {
            self.finish_word();
        } else {
            self.open = Some(c == '-' || c == '—');
        }
    }

    fn finish_word(&mut self) {
        if let Some(dash) = self.open.take() {
            self.ended += usize::from(dash);
            self.last = dash;
        }
    }

    fn count(mut self) -> usize {
        self.finish_word();
        self.ended - usize::from(self.last)
    }
}

/// Lower-case `c` onto `out`; ASCII and Cyrillic without the Unicode tables.
fn push_lowercase(out: &mut String, c: char) {
    match c {
        'a'..='z' | '0'..='9' | '\'' | 'а'..='я' | 'ё' => out.push(c),
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'Ё' => out.push('ё'),
        _ => out.extend(c.to_lowercase()),
    }
}

/// How many tokens [`tokens`] would return, without building them.
pub fn word_count(text: &str) -> usize {
    raw_tokens(text).count()
}

fn raw_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_token_char(c))
        .map(|t| t.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|t| !t.is_empty())
}

/// Letters, digits and apostrophes; ASCII and Cyrillic (the bulk of transcripts) skip the Unicode
/// table lookup.
fn is_token_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '\'' | '’' => true,
        'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        _ => !c.is_ascii() && c.is_alphanumeric(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_lowercase_and_drop_punctuation() {
        assert_eq!(
            tokens("Ну, это самое... I'm OK!"),
            ["ну", "это", "самое", "i'm", "ok"]
        );
        assert_eq!(tokens("ÁRBOL Ёлка SEÑOR"), ["árbol", "ёлка", "señor"]);
    }

    #[test]
    fn word_count_counts_what_tokens_returns() {
        for text in [
            "Ну, это самое... I'm OK!",
            "ÁRBOL Ёлка SEÑOR",
            "'' -- ' a'b ’c’",
            "",
            "один,два;три",
        ] {
            assert_eq!(word_count(text), tokens(text).len(), "{text:?}");
        }
    }

    #[test]
    fn one_pass_tokens_equal_lowercasing_then_splitting() {
        for text in [
            "Ну, ЭТО самое... I'm OK! Ёлка ÁRBOL, SEÑOR Çà",
            "'' -- ' a'b ’c’ 'quoted' it's",
            "ДОБРЫЙ день—Good DAY—buenos DÍAS",
            "  tabs\tand\nnew lines  ",
        ] {
            let reference: Vec<String> = raw_tokens(&text.to_lowercase())
                .map(str::to_string)
                .collect();
            assert_eq!(tokens(text), reference, "{text:?}");
        }
    }

    #[test]
    fn cut_off_words_skip_the_last_word() {
        let cut = |text: &str| LowerText::new(text).cut_off_words();
        assert_eq!(cut("I want to cha- change my plan"), 1);
        assert_eq!(cut("ya- ya quiero eh— este"), 2);
        assert_eq!(cut("I want to cha-"), 0);
        assert_eq!(cut("I want to cha- \n"), 0);
        assert_eq!(cut("a - b"), 1);
        assert_eq!(cut(""), 0);
    }

    #[test]
    fn multiword_fillers_count_once() {
        let lex = lexicon();
        assert_eq!(lex.fillers.count(&tokens("ну это самое да")), 2);
        assert_eq!(lex.fillers.count(&tokens("o sea, pues no sé")), 2);
        assert_eq!(lex.fillers.count(&tokens("I would like to pay")), 0);
    }

    #[test]
    fn sales_terms_in_three_languages() {
        let lex = lexicon();
        let text = "a special offer, скидка and una oferta";
        assert_eq!(lex.sales_terms.count(&tokens(text)), 3);
    }
}
