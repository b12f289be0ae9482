//! People and places said aloud: full names (a given name from the language files' gazetteers,
//! a title, or an introduction before a capitalised name) and street addresses with a house
//! number (street-type words per language), as personal-data hits. The word lists live in
//! `[pii.names]` and `[pii.address]` of `src/lang/*.toml`; adding a language adds no code here.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::{alternation, hit, PiiHit};
use crate::lang;
use crate::model::Severity;
use crate::text::normalize::Normalized;

/// Most capitalised words a name runs over after its first word (a patronymic and a surname).
const MAX_NAME_TAIL: usize = 2;

/// Bytes of text before a name searched for a self-introduction ("this is", "soy").
const INTRO_LOOKBACK: usize = 48;

/// One word of a segment text: letters with inner apostrophes or hyphens ("O'Neil", "Jean-Luc").
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    capital: bool,
}

/// The words of `text`, in order.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<Word> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let letter = is_letter(c)
            || (matches!(c, '\'' | '’' | '-')
                && current.is_some()
                && chars.peek().is_some_and(|&(_, n)| is_letter(n)));
        if letter {
            let word = current.get_or_insert(Word {
                start: i,
                end: i,
                capital: is_capital(c),
            });
            word.end = i + c.len_utf8();
        } else if let Some(word) = current.take() {
            out.push(word);
        }
    }
    out.extend(current);
    out
}

/// `char::is_alphabetic`, without the Unicode table for Russian letters (most of a Russian text).
fn is_letter(c: char) -> bool {
    matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') || c.is_alphabetic()
}

/// `char::is_uppercase`, without the Unicode table for Russian letters.
fn is_capital(c: char) -> bool {
    match c {
        'а'..='я' | 'ё' => false,
        'А'..='Я' | 'Ё' => true,
        _ => c.is_uppercase(),
    }
}

/// The gazetteers of every language, folded: given names with their case forms, and titles.
struct Gazetteer {
    given: HashSet<String>,
    titles: HashSet<String>,
    /// Folded, each with a space in front (matched as whole words at the end of a text).
    self_intros: Vec<String>,
}

fn gazetteer() -> &'static Gazetteer {
    static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
    GAZETTEER.get_or_init(|| {
        let mut given = HashSet::new();
        for l in lang::all() {
            let names = &l.pii.names;
            for name in &names.given {
                given.extend(case_forms(
                    name,
                    &names.given_endings,
                    &names.given_stem_drop,
                ));
            }
        }
        let fold = |w: &str| Normalized::fold(w, false);
        Gazetteer {
            given,
            titles: lang::words(|l| &l.pii.names.titles).map(fold).collect(),
            self_intros: lang::words(|l| &l.pii.names.self_intros)
                .map(|w| format!(" {}", fold(w)))
                .collect(),
        }
    })
}

/// A given name and its case forms, folded: the name, the name + each ending, and the name less
/// a last letter in `stem_drop` + each ending ("анна" -> "анну", "анной").
fn case_forms(name: &str, endings: &[String], stem_drop: &[String]) -> Vec<String> {
    let name = Normalized::fold(name, false);
    let stem = stem_drop
        .iter()
        .map(|d| Normalized::fold(d, false))
        .find_map(|d| name.strip_suffix(d.as_str()).map(str::to_string));
    let mut forms = vec![name.clone()];
    for ending in endings.iter().map(|e| Normalized::fold(e, false)) {
        forms.push(format!("{name}{ending}"));
        if let Some(stem) = &stem {
            forms.push(format!("{stem}{ending}"));
        }
    }
    forms
}

/// Full names found by the gazetteers: a capitalised given name followed by capitalised words
/// ("Peter Collins", "Анну Сергеевну Петрову"), or the capitalised words after a title ("Mr.
/// Smith", "señora García"). Words must follow each other with only spaces between (a title may
/// end in a dot). `speaker_is_agent` leaves out a name right after a self-introduction ("this is
/// Anna Smith"): an agent's own name is the expected introduction.
pub(super) fn find_full_names(text: &str, speaker_is_agent: bool, hits: &mut Vec<PiiHit>) {
    let words = words(text);
    let g = gazetteer();
    let mut i = 0;
    while i < words.len() {
        let Some((first, reason)) = name_start(text, &words, i, g) else {
            i += 1;
            continue;
        };
        let mut last = first;
        while last + 1 < words.len()
            && last - first < MAX_NAME_TAIL
            && joined(text, &words, last)
            && is_surname(text, &words[last + 1])
        {
            last += 1;
        }
        let span = (words[first].start, words[last].end);
        if !(speaker_is_agent && after_self_intro(text, words[i].start, g)) {
            hits.push(name_hit(text, span, reason));
        }
        i = last + 1;
    }
}

/// Where a name starts at word `i`, and why it is one: a capitalised given name with a surname
/// after it (the name starts at `i`), or a title (any case) with a capitalised word after it (the
/// name starts after the title).
fn name_start(
    text: &str,
    words: &[Word],
    i: usize,
    g: &Gazetteer,
) -> Option<(usize, &'static str)> {
    let word = words[i];
    // Both shapes need a surname next: checked first, so most words are never folded.
    if !words.get(i + 1).is_some_and(|next| is_surname(text, next)) {
        return None;
    }
    let (given, title) = Normalized::with_folded(&text[word.start..word.end], false, |folded| {
        (g.given.contains(folded), g.titles.contains(folded))
    });
    if word.capital && given && joined(text, words, i) {
        Some((i, "a person's full name"))
    } else if title && after_title(text, words, i) {
        Some((i + 1, "a person's name after a title"))
    } else {
        None
    }
}

/// Whether words `i` and `i + 1` are separated by spaces only.
fn joined(text: &str, words: &[Word], i: usize) -> bool {
    only_spaces(&text[words[i].end..words[i + 1].start])
}

/// Whether words `i` (a title) and `i + 1` are separated by spaces, or a dot and spaces.
fn after_title(text: &str, words: &[Word], i: usize) -> bool {
    let gap = &text[words[i].end..words[i + 1].start];
    only_spaces(gap.strip_prefix('.').unwrap_or(gap))
}

/// A gap of one or more whitespace characters and nothing else.
fn only_spaces(gap: &str) -> bool {
    !gap.is_empty() && gap.chars().all(char::is_whitespace)
}

/// A capitalised word of at least two letters, not written all in capitals (an acronym).
fn is_surname(text: &str, word: &Word) -> bool {
    let s = &text[word.start..word.end];
    word.capital && s.chars().count() >= 2 && s.chars().any(char::is_lowercase)
}

/// Whether the text just before byte `at` ends with a self-introduction ("this is", "soy").
fn after_self_intro(text: &str, at: usize, g: &Gazetteer) -> bool {
    let mut from = at.saturating_sub(INTRO_LOOKBACK);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = format!(" {}", Normalized::fold(&text[from..at], false));
    g.self_intros.iter().any(|intro| before.ends_with(intro))
}

fn name_hit(text: &str, span: (usize, usize), reason: &'static str) -> PiiHit {
    let first = text[span.0..].chars().next().unwrap_or('*');
    hit(
        "person_name",
        span,
        format!("{first}***"),
        Severity::Low,
        reason,
    )
}

/// The name a caller gives after an introduction (`pii.name_intros`: "my name is Peter
/// Collins"), one to three capitalised words.
pub(super) fn find_introduced_names(text: &str, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(&format!(
            r"(?i:{})[\s,]+(\p{{Lu}}\p{{Ll}}+(?:[ -]\p{{Lu}}\p{{Ll}}+){{0,2}})",
            alternation(lang::words(|l| &l.pii.name_intros)),
        ))
        .expect("built-in name pattern compiles")
    });
    if !re.is_match(text) {
        return;
    }
    for caps in re.captures_iter(text) {
        let name = caps.get(1).expect("group 1");
        hits.push(name_hit(
            text,
            (name.start(), name.end()),
            "the caller's name",
        ));
    }
}

/// One regex (built once into `cell`) matching any language's `pattern` of its address shape.
fn every_language(
    cell: &'static OnceLock<Regex>,
    pattern: fn(&lang::Address) -> String,
) -> &'static Regex {
    cell.get_or_init(|| {
        let shapes: Vec<String> = lang::all()
            .iter()
            .map(|l| pattern(&l.pii.address))
            .collect();
        Regex::new(&shapes.join("|")).expect("built-in address patterns compile")
    })
}

/// Street addresses with a house number, by each language's `[pii.address]` shape: "221 Baker
/// Street" (number first) or "calle Mayor 5", "улица Ленина, дом 5" (street type first).
pub(super) fn find_addresses(text: &str, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    static STREET_TYPE: OnceLock<Regex> = OnceLock::new();
    // Every address shape holds a street type: texts without one (most lines with a number) skip
    // the full pattern, whose Unicode word boundaries are slow on non-ASCII text.
    if !every_language(&STREET_TYPE, street_type_pattern).is_match(text) {
        return;
    }
    let re = every_language(&RE, address_pattern);
    for m in re.find_iter(text) {
        let first_word = m.as_str().split_whitespace().next().unwrap_or("");
        let shown = if first_word.chars().all(|c| c.is_ascii_digit()) {
            "***".to_string()
        } else {
            format!("{first_word} ***")
        };
        hits.push(hit(
            "address",
            (m.start(), m.end()),
            shown,
            Severity::Medium,
            "a street address with a house number locates the caller",
        ));
    }
}

/// One language's address shape as a regex (see [`lang::Address`]). Street names are one to three
/// capitalised words.
fn address_pattern(a: &lang::Address) -> String {
    const NAME_WORD: &str = r"\p{Lu}[\p{L}'’-]*";
    let types = format!(
        "(?i:{})",
        a.street_types
            .iter()
            .map(|t| word_pattern(t))
            .collect::<Vec<_>>()
            .join("|")
    );
    if a.type_first {
        let joiners = match a.joiners.is_empty() {
            true => String::new(),
            false => format!(r"(?:(?i:{})\s+){{0,2}}", alternation(&a.joiners)),
        };
        let house = match a.house_words.is_empty() {
            true => String::new(),
            false => format!(r"(?:(?i:{})\s*)?", alternation(&a.house_words)),
        };
        format!(
            r"\b{types}\s+{joiners}{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}},?\s+{house}\d{{1,4}}[\p{{L}}]?\b"
        )
    } else {
        format!(r"\b\d{{1,5}}[A-Za-z]?(?:\s+{NAME_WORD}){{1,3}}\s+{types}\.?")
    }
}

/// What every match of one language's [`address_pattern`] holds, as a quick regex: one of its
/// street types (after a space when the number comes first), a word ending in a letter or a digit
/// followed by a non-word character. ASCII word boundaries only (they hold wherever Unicode ones
/// do), so that the test stays fast on non-ASCII text.
fn street_type_pattern(a: &lang::Address) -> String {
    let types = a
        .street_types
        .iter()
        .map(|t| match t.strip_suffix('*') {
            Some(stem) => regex::escape(stem),
            None if t.ends_with(char::is_alphanumeric) => format!(r"{}(?-u:\b)", regex::escape(t)),
            None => regex::escape(t),
        })
        .collect::<Vec<_>>()
        .join("|");
    if a.type_first {
        format!("(?i:{types})")
    } else {
        format!(r"\s(?i:{types})")
    }
}

/// A word list entry as a pattern: a trailing `*` makes it a word start, a word ending in a letter
/// must end there.
fn word_pattern(entry: &str) -> String {
    match entry.strip_suffix('*') {
        Some(stem) => format!(r"{}\p{{L}}*", regex::escape(stem)),
        None if entry.ends_with(char::is_alphanumeric) => format!(r"{}\b", regex::escape(entry)),
        None => regex::escape(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, agent: bool) -> Vec<String> {
        let mut hits = Vec::new();
        find_full_names(text, agent, &mut hits);
        hits.iter()
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    fn addresses(text: &str) -> Vec<String> {
        let mut hits = Vec::new();
        find_addresses(text, &mut hits);
        hits.iter()
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn full_names_by_given_name_or_title_in_three_languages() {
        assert_eq!(
            names("The account holder is Peter Collins, right?", false),
            ["Peter Collins"]
        );
        assert_eq!(names("I spoke to Mr. Smith yesterday", false), ["Smith"]);
        assert_eq!(
            names("Sí, a nombre de Lucía Fernández Ruiz.", false),
            ["Lucía Fernández Ruiz"]
        );
        assert_eq!(names("Hable con la señora García", false), ["García"]);
        assert_eq!(
            names("Запишите на Анну Сергеевну Петрову, пожалуйста", false),
            ["Анну Сергеевну Петрову"]
        );
        assert_eq!(names("Передайте Ивану Петрову", false), ["Ивану Петрову"]);
    }

    #[test]
    fn not_a_full_name() {
        for text in [
            "Peter, can you hear me?",
            "I met peter collins",
            "Maria is not here",
            "Call Anna NASA",
            "May I have your number?",
            "Victoria Station is closed",
            "Mr smith",
            "Надежда Умирает последней",
            "Don't worry, Sir",
        ] {
            assert!(
                names(text, false).is_empty(),
                "{text}: {:?}",
                names(text, false)
            );
        }
    }

    #[test]
    fn an_agents_own_name_after_a_self_introduction_is_not_a_leak() {
        let text = "Thank you for calling Acme, this is Anna Smith.";
        assert!(names(text, true).is_empty());
        assert_eq!(names(text, false), ["Anna Smith"]);
        assert_eq!(
            names("I will note it for Peter Collins", true),
            ["Peter Collins"]
        );
        assert!(names("Buenos días, soy María López", true).is_empty());
    }

    #[test]
    fn russian_case_forms_come_from_endings_and_stem_drop() {
        let fold = |w: &str| Normalized::fold(w, false);
        let forms = case_forms("Анна", &["у".into(), "ой".into()], &["а".into()]);
        assert!(forms.contains(&fold("анну")) && forms.contains(&fold("анной")));
        let forms = case_forms("иван", &["а".into()], &["а".into()]);
        assert_eq!(forms, [fold("иван"), fold("ивана")]);
    }

    #[test]
    fn addresses_in_both_shapes() {
        assert_eq!(
            addresses("Client: 221 Baker Street, London."),
            ["221 Baker Street"]
        );
        assert_eq!(
            addresses("vivo en la calle Mayor 5, segundo"),
            ["calle Mayor 5"]
        );
        assert_eq!(
            addresses("en avenida de la Paz, número 12"),
            ["avenida de la Paz, número 12"]
        );
        assert_eq!(
            addresses("улица Ленина, дом 5, квартира 3"),
            ["улица Ленина, дом 5"]
        );
        assert_eq!(addresses("на улице Гагарина 12"), ["улице Гагарина 12"]);
    }

    #[test]
    fn not_an_address() {
        for text in [
            "it takes 2 business days on the way",
            "we have 2 in place",
            "calle sin número",
            "улица была пустой 5 минут",
            "turn left at the next street",
            "3 Street",
        ] {
            assert!(addresses(text).is_empty(), "{text}: {:?}", addresses(text));
        }
    }
}
