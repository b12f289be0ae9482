//! Word lists (fillers, sales vocabulary) loaded from `lexicon.toml` and the tokenizer that matches them.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde::Deserialize;

/// The shipped word lists, each entry already split into lower-case tokens.
#[derive(Debug)]
pub struct Lexicon {
    pub fillers: Phrases,
    pub sales_terms: Phrases,
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

#[derive(Deserialize)]
struct LexiconFile {
    fillers: Vec<String>,
    sales_terms: Vec<String>,
}

/// The lexicon compiled into the binary (parsed once).
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let file: LexiconFile = toml::from_str(include_str!("lexicon.toml"))
            .expect("shipped conversation/lexicon.toml is valid");
        Lexicon {
            fillers: Phrases::new(&file.fillers),
            sales_terms: Phrases::new(&file.sales_terms),
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

/// A text lower-cased once, so that its [`tokens`] can be borrowed instead of copied one by one.
pub struct LowerText(String);

impl LowerText {
    pub fn new(text: &str) -> Self {
        Self(text.to_lowercase())
    }

    /// The text's [`tokens`], borrowed.
    pub fn tokens(&self) -> Vec<&str> {
        raw_tokens(&self.0).collect()
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
