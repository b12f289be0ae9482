//! Spoken numbers in en/ru/es ("four two seven six", "восемь девятьсот шестнадцать",
//! "cinco cuatro seis nueve") turned into digits, keeping the span of the words they came from.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::normalize::Normalized;
use crate::lang;

/// One number as written or spoken: its value, its digits, and the folded byte range of its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// The value; `None` when written digits overflow u64.
    pub value: Option<u64>,
    /// The digits as they would be written (written digits keep leading zeros).
    pub digits: String,
    /// Folded byte range `[start, end)` in [`Normalized::text`].
    pub start: usize,
    pub end: usize,
    /// Whether it was written in digits rather than words.
    pub written: bool,
}

/// Consecutive numbers read as one digit string (a card or phone number read out in groups).
#[derive(Debug, Clone, PartialEq)]
pub struct DigitRun {
    pub digits: String,
    /// Original byte range `[start, end)` in the source text.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    Unit(u64),
    Teen(u64),
    Tens(u64),
    /// A compound 21-99 in one word (Spanish "veintiuno").
    TensUnit(u64),
    Hundreds(u64),
    HundredMul,
    Thousand,
    Repeat(usize),
    Connector,
}

/// Looked up once per word of every transcript: a fast non-keyed hash is enough for short fixed keys.
type Dictionary = FxHashMap<String, Word>;

/// Groups of number words, their meaning, the first group's value and the step between groups.
type Groups<'a> = (&'a [Vec<String>], fn(u64) -> Word, u64, u64);

/// Every language's number words (`[numbers]` in src/lang/), folded. A group's position in its
/// list gives its value.
fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut dict = Dictionary::default();
        for l in lang::all() {
            let n = &l.numbers;
            // (groups, meaning, value of the first group, step between groups)
            let groups: [Groups; 5] = [
                (&n.units, Word::Unit, 0, 1),
                (&n.teens, Word::Teen, 10, 1),
                (&n.tens, Word::Tens, 20, 10),
                (&n.compound_tens, Word::TensUnit, 21, 1),
                (&n.hundreds, Word::Hundreds, 100, 100),
            ];
            for (list, kind, first, step) in groups {
                for (i, group) in (0u64..).zip(list) {
                    for w in group {
                        dict.insert(Normalized::fold(w, false), kind(first + i * step));
                    }
                }
            }
            let singles: [(&[String], Word); 5] = [
                (&n.hundred, Word::HundredMul),
                (&n.thousand, Word::Thousand),
                (&n.double, Word::Repeat(2)),
                (&n.triple, Word::Repeat(3)),
                (&n.connectors, Word::Connector),
            ];
            for (list, kind) in singles {
                for w in list {
                    dict.insert(Normalized::fold(w, false), kind);
                }
            }
        }
        dict
    })
}

/// A number being composed from words: thousands part, the current group, and what came last.
#[derive(Default)]
struct Composer {
    start: usize,
    end: usize,
    thousands: u64,
    group: u64,
    last: Option<Word>,
    repeat: usize,
}

impl Composer {
    fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// Whether `word` extends the number being composed (else it starts a new one).
    fn accepts(&self, word: Word) -> bool {
        use Word::*;
        let Some(last) = self.last else {
            return true;
        };
        if self.repeat > 0 {
            return false;
        }
        match (last, word) {
            (Tens(_), Unit(u)) => u > 0,
            (Hundreds(_) | HundredMul | Thousand | Connector, Unit(u)) => u > 0,
            (Hundreds(_) | HundredMul | Thousand | Connector, Teen(_) | Tens(_) | TensUnit(_)) => {
                true
            }
            (Thousand, Hundreds(_)) => true,
            (Tens(_) | Hundreds(_) | HundredMul | Thousand, Connector) => true,
            (Unit(u), HundredMul) => u > 0 && self.group < 10,
            // "fifteen hundred", "twenty five hundred": hundreds counted in a two-digit number.
            (Teen(_) | TensUnit(_), HundredMul) => self.group < 100 && self.thousands == 0,
            (Unit(_) | Teen(_) | Tens(_) | TensUnit(_) | Hundreds(_) | HundredMul, Thousand) => {
                self.thousands == 0
            }
            _ => false,
        }
    }

    fn push(&mut self, word: Word, start: usize, end: usize) {
        if self.is_empty() {
            self.start = start;
        }
        if word != Word::Connector {
            self.end = end;
        }
        match word {
            Word::Unit(v) | Word::Teen(v) | Word::Tens(v) | Word::TensUnit(v) => self.group += v,
            Word::Hundreds(v) => self.group += v,
            Word::HundredMul => self.group = self.group.max(1) * 100,
            Word::Thousand => {
                self.thousands = self.group.max(1) * 1000;
                self.group = 0;
            }
            Word::Repeat(_) | Word::Connector => {}
        }
        self.last = Some(word);
    }

    fn finish(&mut self) -> Option<Number> {
        if self.is_empty() {
            return None;
        }
        let value = self.thousands + self.group;
        let digits = value.to_string();
        let number = Number {
            value: Some(value),
            digits,
            start: self.start,
            end: self.end,
            written: false,
        };
        *self = Composer::default();
        Some(number)
    }
}

/// Every number in the folded text, written or spoken, in order.
pub fn numbers(norm: &Normalized) -> Vec<Number> {
    let text = norm.text();
    let dict = dictionary();
    let mut out = Vec::new();
    let mut composer = Composer::default();
    let mut pending_repeat: Option<(usize, usize)> = None;
    for (start, end) in norm.words() {
        let word = &text[start..end];
        if word.as_bytes()[0].is_ascii_digit() {
            out.extend(composer.finish());
            out.push(Number {
                value: word.parse().ok(),
                digits: word.to_string(),
                start,
                end,
                written: true,
            });
            pending_repeat = None;
            continue;
        }
        let Some(&kind) = dict.get(word) else {
            out.extend(composer.finish());
            pending_repeat = None;
            continue;
        };
        if let Word::Repeat(times) = kind {
            out.extend(composer.finish());
            pending_repeat = Some((times, start));
            continue;
        }
        if let (Some((times, rep_start)), Word::Unit(u)) = (pending_repeat.take(), kind) {
            out.extend(composer.finish());
            out.push(Number {
                value: Some(u),
                digits: u.to_string().repeat(times),
                start: rep_start,
                end,
                written: false,
            });
            continue;
        }
        if kind == Word::Connector && composer.is_empty() {
            continue;
        }
        if !composer.accepts(kind) {
            out.extend(composer.finish());
            if kind == Word::Connector {
                continue;
            }
        }
        composer.push(kind, start, end);
    }
    out.extend(composer.finish());
    out
}

/// Adjacent numbers joined into digit strings (commas allowed: ASR writes "four two, seven six");
/// a semicolon, colon, question or exclamation mark, or any word between two numbers ends a run.
pub fn digit_runs(norm: &Normalized, source: &str) -> Vec<DigitRun> {
    let mut runs: Vec<DigitRun> = Vec::new();
    let mut last_end_folded = usize::MAX;
    for number in numbers(norm) {
        let (start, end) = norm.original_span(number.start, number.end, source);
        let adjacent = last_end_folded != usize::MAX
            && norm.text()[last_end_folded..number.start].trim().is_empty()
            && runs
                .last()
                .is_some_and(|run| !has_run_break(&source[run.end.min(start)..start]));
        match runs.last_mut() {
            Some(run) if adjacent => {
                run.digits.push_str(&number.digits);
                run.end = end;
            }
            _ => runs.push(DigitRun {
                digits: number.digits.clone(),
                start,
                end,
            }),
        }
        last_end_folded = number.end;
    }
    runs
}

fn has_run_break(between: &str) -> bool {
    between
        .chars()
        .any(|c| matches!(c, ';' | ':' | '?' | '!' | '\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_number_word_means_two_things() {
        // Every number word of every language folds to a word of its own: no word means two
        // numbers, and the order of the language files does not matter.
        let total: usize = lang::all()
            .iter()
            .map(|l| {
                let n = &l.numbers;
                [&n.units, &n.teens, &n.tens, &n.compound_tens, &n.hundreds]
                    .iter()
                    .map(|g| g.iter().flatten().count())
                    .sum::<usize>()
                    + [&n.hundred, &n.thousand, &n.double, &n.triple, &n.connectors]
                        .iter()
                        .map(|g| g.len())
                        .sum::<usize>()
            })
            .sum();
        assert_eq!(dictionary().len(), total, "two number words fold alike");
        let meaning = |w: &str| dictionary().get(&Normalized::fold(w, false)).copied();
        assert_eq!(meaning("veintiún"), Some(Word::TensUnit(21)));
        assert_eq!(meaning("novecientos"), Some(Word::Hundreds(900)));
        assert_eq!(meaning("oh"), Some(Word::Unit(0)));
        assert_eq!(meaning("triple"), Some(Word::Repeat(3)));
        assert_eq!(meaning("пятнадцати"), Some(Word::Teen(15)));
    }

    fn runs(text: &str) -> Vec<String> {
        digit_runs(&Normalized::new(text), text)
            .into_iter()
            .map(|r| r.digits)
            .collect()
    }

    #[test]
    fn spoken_digits_become_a_run() {
        assert_eq!(runs("my card is four two seven six, thanks"), ["4276"]);
        assert_eq!(runs("cinco cuatro seis nueve"), ["5469"]);
        assert_eq!(
            runs("восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"),
            ["89161234567"]
        );
    }

    #[test]
    fn composes_tens_hundreds_and_thousands() {
        let values = |t: &str| -> Vec<u64> {
            numbers(&Normalized::new(t))
                .into_iter()
                .filter_map(|n| n.value)
                .collect()
        };
        assert_eq!(values("one hundred and five"), [105]);
        assert_eq!(values("treinta y dos"), [32]);
        assert_eq!(values("три тысячи пятьсот рублей"), [3500]);
        assert_eq!(values("двое суток"), [2]);
        assert_eq!(values("twenty twenty six"), [20, 26]);
        assert_eq!(values("two thousand twenty six"), [2026]);
        assert_eq!(values("fifteen hundred"), [1500]);
        assert_eq!(values("четырнадцати дней"), [14]);
    }

    #[test]
    fn written_groups_join_and_keep_zeros() {
        assert_eq!(runs("4276 1234 5678 9080"), ["4276123456789080"]);
        assert_eq!(runs("code 0042"), ["0042"]);
        assert_eq!(runs("double seven oh one"), ["7701"]);
    }

    #[test]
    fn commas_and_words_break_runs() {
        assert_eq!(runs("5, then 1234"), ["5", "1234"]);
        assert_eq!(runs("3 days and 20 percent"), ["3", "20"]);
    }

    #[test]
    fn run_spans_cover_the_spoken_words() {
        let text = "it is four two seven six ok";
        let run = &digit_runs(&Normalized::new(text), text)[0];
        assert_eq!(&text[run.start..run.end], "four two seven six");
    }
}
