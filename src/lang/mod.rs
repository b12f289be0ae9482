//! What callqa knows about each spoken language, as data: one TOML file per language
//! (`src/lang/{en,ru,es}.toml`) with every word list the stages use, so that adding a language is
//! adding a file (plus phrase packs in `src/text/packs/`), not editing code.
//!
//! The files are compiled into the binary and parsed once. The stages ask for one language's
//! lists ([`get`]) or for the union over all languages ([`words`]), in file order (see [`FILES`]).
//! This module sits below the stages: it uses nothing of the crate.

use std::sync::LazyLock;

use serde::Deserialize;

/// The language files, in the order their lists are joined by [`words`]. A new language is one
/// more line here and one more file; nothing else in the code names a language.
const FILES: &[(&str, &str)] = &[
    ("en.toml", include_str!("en.toml")),
    ("ru.toml", include_str!("ru.toml")),
    ("es.toml", include_str!("es.toml")),
];

/// One language file. Every section and list is required (an empty list where the language has
/// no such words); unknown keys are errors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// ISO 639-1 code; the file is named after it.
    pub code: String,
    pub normalize: Normalize,
    pub staged: Staged,
    pub speakers: Speakers,
    pub whisper: Whisper,
    pub numbers: Numbers,
    pub facts: Facts,
    pub pii: Pii,
    pub guess: Guess,
    pub manipulation_cues: ManipulationCues,
}

/// `text/normalize.rs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalize {
    /// Words dropped before phrase matching.
    pub fillers: Vec<String>,
}

/// `conversation/` (staged-call signals).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staged {
    /// Filled pauses and discourse fillers, counted per speaker.
    pub disfluencies: Vec<String>,
    /// Sales vocabulary (odd in a customer's mouth).
    pub sales_terms: Vec<String>,
    /// Call-center script formulas (textbook opening, offer of help, hold, apology, closing).
    pub script_formulas: Vec<String>,
}

/// Who is the agent (`asr/speakers.rs`, `text/scan.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speakers {
    /// Phrases an agent opens with.
    pub introductions: Vec<String>,
    /// Speaker labels that mean "the vendor's agent".
    pub agent_names: Vec<String>,
}

/// `asr/filter.rs`: whisper's inventions on silence and noise.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whisper {
    pub stock_phrases: Vec<String>,
    pub credit_fragments: Vec<String>,
}

/// `text/numbers.rs`: number words; a group's position in its list gives its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numbers {
    /// 0..9.
    pub units: Vec<Vec<String>>,
    /// 10..19.
    pub teens: Vec<Vec<String>>,
    /// 20, 30 .. 90.
    pub tens: Vec<Vec<String>>,
    /// 21..29 in one word.
    pub compound_tens: Vec<Vec<String>>,
    /// 100, 200 .. 900 in one word.
    pub hundreds: Vec<Vec<String>>,
    /// "hundred" after a unit.
    pub hundred: Vec<String>,
    pub thousand: Vec<String>,
    pub double: Vec<String>,
    pub triple: Vec<String>,
    /// Words allowed inside a number.
    pub connectors: Vec<String>,
}

/// `text/facts.rs`: claims about time, money and percentages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub range_words: Vec<String>,
    /// Word starts.
    pub free_words: Vec<String>,
    pub hour: Vec<String>,
    pub day: Vec<String>,
    pub week: Vec<String>,
    pub month: Vec<String>,
    pub year: Vec<String>,
    pub percent: Vec<String>,
    /// Two words each.
    pub percent_phrases: Vec<String>,
    /// Word starts of currency names.
    pub rub: Vec<String>,
    pub usd: Vec<String>,
    pub eur: Vec<String>,
    /// Word starts of the hundredth of a currency ("cents", "копеек", "céntimos").
    pub cents: Vec<String>,
    /// Words between a currency and its cents ("nine euros con noventa").
    pub cents_connectors: Vec<String>,
    /// Words for a half before a bare unit ("half a year", "medio año").
    pub half: Vec<String>,
    /// Word starts meaning half of the unit that follows in the same word ("полгода").
    pub half_prefix: Vec<String>,
    /// Phrases after a number or unit that add a half ("two and a half", "два с половиной").
    pub half_tail: Vec<String>,
    /// Words meaning one and a half ("полтора года", "полторы тысячи").
    pub one_and_half: Vec<String>,
    /// Words before a bare unit that mean one of it ("a week", "за неделю").
    pub one_before: Vec<String>,
    /// Words between an amount and a time unit that make the amount a rate ("$9.99 a month").
    pub per_words: Vec<String>,
    /// Phrases just before a quantity meaning "at most" ("up to", "до", "hasta").
    pub at_most: Vec<String>,
    /// Phrases just before a quantity meaning "at least" ("at least", "не меньше", "como mínimo").
    pub at_least: Vec<String>,
    /// Phrases just before a quantity meaning "about" ("about", "около", "unos").
    pub approx: Vec<String>,
    /// Words that may stand between a quantity and the subject after it ("two years of
    /// warranty"), or between a subject and a noun that only qualifies it ("delivery of the router").
    pub link_words: Vec<String>,
    /// Words that start a new clause ("and", "а", "pero"), unless they join two numbers.
    pub conjunctions: Vec<String>,
    /// Unit words used as adjectives before the subject they measure ("a 24-month warranty").
    pub attributive_units: Vec<String>,
    /// Articles before a quantity used as an adjective ("a 10% discount").
    pub articles: Vec<String>,
}

/// `text/pii.rs`: personal data said aloud.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pii {
    pub plus_words: Vec<String>,
    pub email_at: Vec<String>,
    pub email_dot: Vec<String>,
    pub months: Vec<String>,
    /// Word starts of ordinal days and spoken years ("fifth", "пятого", "девяност"): parts of a
    /// date said around a month name.
    pub date_words: Vec<String>,
    /// Whole words between the parts of a spoken date ("of", "de", "года").
    pub date_joiners: Vec<String>,
    pub name_intros: Vec<String>,
    pub names: Names,
    pub address: Address,
    pub cues: Cues,
}

/// `text/pii/people.rs`: people's names found without an introduction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Given names: one, capitalised and followed by a capitalised word, starts a full name
    /// ("Peter Collins"). Names that are also common words, places or brands are left out.
    pub given: Vec<String>,
    /// Case endings a given name takes ("ивана", "анну"): every ending is also tried after the
    /// name, and after the name without a last letter from `given_stem_drop`.
    pub given_endings: Vec<String>,
    pub given_stem_drop: Vec<String>,
    /// Titles before a name ("mr", "señora", "господин"), without a trailing dot.
    pub titles: Vec<String>,
    /// What a speaker says before their own name ("this is", "soy"): an agent's own name after
    /// these is the expected self-introduction, not a leak.
    pub self_intros: Vec<String>,
}

/// `text/pii/people.rs`: street addresses with a house number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street-type words ("street", "calle", "улица"); a trailing `*` makes an entry a word start
    /// ("улиц*" also matches "улице").
    pub street_types: Vec<String>,
    /// Whether the street type comes before the street's name and the house number after it
    /// ("calle Mayor 5", "улица Ленина, дом 5") rather than the house number first and the type
    /// last ("221 Baker Street").
    pub type_first: bool,
    /// Short words that may stand between the type and the name ("de la").
    pub joiners: Vec<String>,
    /// Words before the house number ("дом", "número", "nº").
    pub house_words: Vec<String>,
}

/// Cue words (word starts) per group of personal data.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cues {
    pub card: Vec<String>,
    pub cvv: Vec<String>,
    pub expiry: Vec<String>,
    pub passport: Vec<String>,
    pub snils: Vec<String>,
    pub inn: Vec<String>,
    pub ssn: Vec<String>,
    pub birth: Vec<String>,
    pub account: Vec<String>,
    pub account_number: Vec<String>,
    pub routing: Vec<String>,
    /// Words that announce a phone number, an e-mail address or a street address: the detectors
    /// find those by their shape, `--redact-audio` also hides speech the transcript missed after them.
    pub phone: Vec<String>,
    pub email: Vec<String>,
    pub address: Vec<String>,
}

impl Cues {
    /// Every cue list, for whatever needs all personal-data cue words (`--redact-audio`).
    pub fn every_list(&self) -> [&[String]; 14] {
        [
            &self.card,
            &self.cvv,
            &self.expiry,
            &self.passport,
            &self.snils,
            &self.inn,
            &self.ssn,
            &self.birth,
            &self.account,
            &self.account_number,
            &self.routing,
            &self.phone,
            &self.email,
            &self.address,
        ]
    }
}

/// `text/scan.rs`: guessing a pasted transcript's language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guess {
    pub marker_words: Vec<String>,
}

/// `text/cues.rs`: the manipulation cue lexicon, one list per cue kind (`[manipulation_cues.*]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManipulationCues {
    /// Deadlines and rush: "final notice", "act now", "expires today".
    pub urgency: ManipulationCueList,
    /// Threats: suspension, disconnection, legal action, arrest.
    pub threat: ManipulationCueList,
    /// Speaking for an authority or a brand: tax office, police, the bank's security service.
    pub authority: ManipulationCueList,
    /// Offers too good to be true: pre-approved, guaranteed, you have won, a free gift.
    pub too_good: ManipulationCueList,
    /// Pressure to act on the call itself: "press one now", "call back immediately".
    pub call_to_action: ManipulationCueList,
}

/// One cue kind's patterns (the phrase-pack syntax: `stem*`, `a|b`, `[optional]`, `..` / `..N`
/// gaps) and the sentences that must and must not raise it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManipulationCueList {
    pub patterns: Vec<String>,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
}

static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(file, text)| match parse(file, text) {
            Ok(language) => language,
            Err(e) => panic!("shipped language file src/lang/{file}: {e}"),
        })
        .collect()
});

fn parse(file: &str, text: &str) -> Result<Language, String> {
    let language: Language = toml::from_str(text).map_err(|e| e.to_string())?;
    if file.strip_suffix(".toml") != Some(language.code.as_str()) {
        return Err(format!(
            "code {:?} does not match the file name",
            language.code
        ));
    }
    Ok(language)
}

/// Every shipped language, in file order.
pub fn all() -> &'static [Language] {
    &LANGUAGES
}

/// A shipped language's file: its name and TOML text (for messages that point into it).
pub fn file(code: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(name, _)| name.strip_suffix(".toml") == Some(code))
        .copied()
}

/// One language by its ISO 639-1 code.
pub fn get(code: &str) -> Option<&'static Language> {
    all().iter().find(|l| l.code == code)
}

/// One list joined over all languages, in file order (duplicates across languages kept).
pub fn words<F>(list: F) -> impl Iterator<Item = &'static str>
where
    F: Fn(&'static Language) -> &'static [String],
{
    all()
        .iter()
        .flat_map(move |l| list(l).iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word list of a language with its name, for the checks below.
    fn lists(l: &Language) -> Vec<(String, Vec<&str>)> {
        let s = |v: &'static [String]| v.iter().map(String::as_str).collect::<Vec<_>>();
        let l: &'static Language = get(&l.code).expect("shipped");
        let mut out = vec![
            ("normalize.fillers", s(&l.normalize.fillers)),
            ("staged.disfluencies", s(&l.staged.disfluencies)),
            ("staged.sales_terms", s(&l.staged.sales_terms)),
            ("staged.script_formulas", s(&l.staged.script_formulas)),
            ("speakers.introductions", s(&l.speakers.introductions)),
            ("speakers.agent_names", s(&l.speakers.agent_names)),
            ("whisper.stock_phrases", s(&l.whisper.stock_phrases)),
            ("whisper.credit_fragments", s(&l.whisper.credit_fragments)),
            ("numbers.hundred", s(&l.numbers.hundred)),
            ("numbers.thousand", s(&l.numbers.thousand)),
            ("numbers.double", s(&l.numbers.double)),
            ("numbers.triple", s(&l.numbers.triple)),
            ("numbers.connectors", s(&l.numbers.connectors)),
            ("facts.range_words", s(&l.facts.range_words)),
            ("facts.free_words", s(&l.facts.free_words)),
            ("facts.hour", s(&l.facts.hour)),
            ("facts.day", s(&l.facts.day)),
            ("facts.week", s(&l.facts.week)),
            ("facts.month", s(&l.facts.month)),
            ("facts.year", s(&l.facts.year)),
            ("facts.percent", s(&l.facts.percent)),
            ("facts.percent_phrases", s(&l.facts.percent_phrases)),
            ("facts.rub", s(&l.facts.rub)),
            ("facts.usd", s(&l.facts.usd)),
            ("facts.eur", s(&l.facts.eur)),
            ("facts.cents", s(&l.facts.cents)),
            ("facts.cents_connectors", s(&l.facts.cents_connectors)),
            ("facts.half", s(&l.facts.half)),
            ("facts.half_prefix", s(&l.facts.half_prefix)),
            ("facts.half_tail", s(&l.facts.half_tail)),
            ("facts.one_and_half", s(&l.facts.one_and_half)),
            ("facts.one_before", s(&l.facts.one_before)),
            ("facts.per_words", s(&l.facts.per_words)),
            ("facts.at_most", s(&l.facts.at_most)),
            ("facts.at_least", s(&l.facts.at_least)),
            ("facts.approx", s(&l.facts.approx)),
            ("facts.link_words", s(&l.facts.link_words)),
            ("facts.conjunctions", s(&l.facts.conjunctions)),
            ("facts.attributive_units", s(&l.facts.attributive_units)),
            ("facts.articles", s(&l.facts.articles)),
            ("pii.plus_words", s(&l.pii.plus_words)),
            ("pii.email_at", s(&l.pii.email_at)),
            ("pii.email_dot", s(&l.pii.email_dot)),
            ("pii.months", s(&l.pii.months)),
            ("pii.name_intros", s(&l.pii.name_intros)),
            ("pii.names.given", s(&l.pii.names.given)),
            ("pii.names.given_endings", s(&l.pii.names.given_endings)),
            ("pii.names.given_stem_drop", s(&l.pii.names.given_stem_drop)),
            ("pii.names.titles", s(&l.pii.names.titles)),
            ("pii.names.self_intros", s(&l.pii.names.self_intros)),
            ("pii.address.street_types", s(&l.pii.address.street_types)),
            ("pii.address.joiners", s(&l.pii.address.joiners)),
            ("pii.address.house_words", s(&l.pii.address.house_words)),
            ("pii.cues.card", s(&l.pii.cues.card)),
            ("pii.cues.cvv", s(&l.pii.cues.cvv)),
            ("pii.cues.expiry", s(&l.pii.cues.expiry)),
            ("pii.cues.passport", s(&l.pii.cues.passport)),
            ("pii.cues.snils", s(&l.pii.cues.snils)),
            ("pii.cues.inn", s(&l.pii.cues.inn)),
            ("pii.cues.ssn", s(&l.pii.cues.ssn)),
            ("pii.cues.birth", s(&l.pii.cues.birth)),
            ("pii.cues.account", s(&l.pii.cues.account)),
            ("pii.cues.account_number", s(&l.pii.cues.account_number)),
            ("pii.cues.routing", s(&l.pii.cues.routing)),
            ("pii.cues.phone", s(&l.pii.cues.phone)),
            ("pii.cues.email", s(&l.pii.cues.email)),
            ("pii.cues.address", s(&l.pii.cues.address)),
            ("guess.marker_words", s(&l.guess.marker_words)),
            (
                "manipulation_cues.urgency",
                s(&l.manipulation_cues.urgency.patterns),
            ),
            (
                "manipulation_cues.threat",
                s(&l.manipulation_cues.threat.patterns),
            ),
            (
                "manipulation_cues.authority",
                s(&l.manipulation_cues.authority.patterns),
            ),
            (
                "manipulation_cues.too_good",
                s(&l.manipulation_cues.too_good.patterns),
            ),
            (
                "manipulation_cues.call_to_action",
                s(&l.manipulation_cues.call_to_action.patterns),
            ),
        ];
        let numbers = &l.numbers;
        for (name, groups) in [
            ("numbers.units", &numbers.units),
            ("numbers.teens", &numbers.teens),
            ("numbers.tens", &numbers.tens),
            ("numbers.compound_tens", &numbers.compound_tens),
            ("numbers.hundreds", &numbers.hundreds),
        ] {
            out.push((name, groups.iter().flatten().map(String::as_str).collect()));
        }
        out.into_iter().map(|(n, v)| (n.to_string(), v)).collect()
    }

    #[test]
    fn every_file_parses_with_its_code() {
        assert_eq!(all().len(), FILES.len());
        for l in all() {
            assert!(std::ptr::eq(get(&l.code).expect("found by its code"), l));
        }
    }

    #[test]
    fn every_language_file_in_the_folder_is_shipped() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lang");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("src/lang is readable")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut shipped: Vec<String> = FILES.iter().map(|(f, _)| f.to_string()).collect();
        shipped.sort();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn a_missing_section_or_unknown_key_is_an_error() {
        let (file, en) = FILES[0];
        let without_guess = en.replace("[guess]", "[guessing]");
        assert!(parse(file, &without_guess).is_err());
        let cut = &en[..en.find("[guess]").expect("en has [guess]")];
        assert!(parse(file, cut).is_err());
        assert!(
            parse("xx.toml", en).is_err(),
            "the code must match the file name"
        );
    }

    #[test]
    fn entries_are_lower_case_trimmed_single_spaced_and_unique() {
        for l in all() {
            for (name, list) in lists(l) {
                let mut seen = std::collections::HashSet::new();
                for w in list {
                    let at = format!("{}: {name}: {w:?}", l.code);
                    assert!(!w.is_empty(), "{at}");
                    assert_eq!(w, w.to_lowercase(), "{at}");
                    assert_eq!(
                        w,
                        w.split_whitespace().collect::<Vec<_>>().join(" "),
                        "{at}"
                    );
                    assert!(seen.insert(w), "{at} twice");
                }
            }
        }
    }

    #[test]
    fn number_groups_have_their_fixed_sizes() {
        for l in all() {
            let n = &l.numbers;
            let sizes = [
                ("units", &n.units, 10),
                ("teens", &n.teens, 10),
                ("tens", &n.tens, 8),
                ("compound_tens", &n.compound_tens, 9),
                ("hundreds", &n.hundreds, 9),
            ];
            for (name, groups, size) in sizes {
                assert!(
                    groups.is_empty() || groups.len() == size,
                    "{}: numbers.{name} has {} groups, not 0 or {size}",
                    l.code,
                    groups.len()
                );
                assert!(groups.iter().all(|g| !g.is_empty()), "{}: {name}", l.code);
            }
        }
    }

    #[test]
    fn percent_phrases_are_two_words() {
        for w in words(|l| &l.facts.percent_phrases) {
            assert_eq!(w.split(' ').count(), 2, "{w:?}");
        }
    }

    #[test]
    fn union_keeps_file_order() {
        let agents: Vec<&str> = words(|l| &l.speakers.agent_names).collect();
        let first_of = |code: &str| get(code).expect("shipped").speakers.agent_names[0].as_str();
        let pos = |w: &str| agents.iter().position(|a| *a == w).expect("in the union");
        assert!(pos(first_of("en")) < pos(first_of("ru")));
        assert!(pos(first_of("ru")) < pos(first_of("es")));
    }
}
