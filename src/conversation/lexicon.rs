//! Word lists (fillers, sales vocabulary) loaded from `lexicon.toml` and the tokenizer that matches them.

use std::sync::OnceLock;

use serde::Deserialize;

/// The shipped word lists, each entry already split into lower-case tokens.
#[derive(Debug)]
pub struct Lexicon {
    pub fillers: Vec<Vec<String>>,
    pub sales_terms: Vec<Vec<String>>,
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
            fillers: file.fillers.iter().map(|s| tokens(s)).collect(),
            sales_terms: file.sales_terms.iter().map(|s| tokens(s)).collect(),
        }
    })
}

/// Lower-case word tokens of a text: letters, digits and inner apostrophes; punctuation dropped.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|t| t.trim_matches(|c| c == '\'' || c == '’').to_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Number of (non-overlapping, longest first) occurrences of any phrase of `phrases` in `tokens`.
pub fn count_phrases(tokens: &[String], phrases: &[Vec<String>]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < tokens.len() {
        match longest_match_at(tokens, i, phrases) {
            Some(len) => {
                count += 1;
                i += len;
            }
            None => i += 1,
        }
    }
    count
}

/// Length in tokens of the longest phrase starting at `tokens[i]`, if any.
pub fn longest_match_at(tokens: &[String], i: usize, phrases: &[Vec<String>]) -> Option<usize> {
    phrases
        .iter()
        .filter(|p| !p.is_empty() && tokens[i..].starts_with(p))
        .map(Vec::len)
        .max()
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
    }

    #[test]
    fn multiword_fillers_count_once() {
        let lex = lexicon();
        assert_eq!(count_phrases(&tokens("ну это самое да"), &lex.fillers), 2);
        assert_eq!(count_phrases(&tokens("o sea, pues no sé"), &lex.fillers), 2);
        assert_eq!(
            count_phrases(&tokens("I would like to pay"), &lex.fillers),
            0
        );
    }

    #[test]
    fn sales_terms_in_three_languages() {
        let lex = lexicon();
        let text = "a special offer, скидка and una oferta";
        assert_eq!(count_phrases(&tokens(text), &lex.sales_terms), 3);
    }
}
