//! Spoken numbers in en/ru/es ("four two seven six", "восемь девятьсот шестнадцать",
//! "cinco cuatro seis nueve") turned into digits, keeping the span of the words they came from.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::normalize::Normalized;

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

const WORDS: &[(&str, Word)] = &[
    ("zero", Word::Unit(0)),
    ("oh", Word::Unit(0)),
    ("one", Word::Unit(1)),
    ("two", Word::Unit(2)),
    ("three", Word::Unit(3)),
    ("four", Word::Unit(4)),
    ("five", Word::Unit(5)),
    ("six", Word::Unit(6)),
    ("seven", Word::Unit(7)),
    ("eight", Word::Unit(8)),
    ("nine", Word::Unit(9)),
    ("ten", Word::Teen(10)),
    ("eleven", Word::Teen(11)),
    ("twelve", Word::Teen(12)),
    ("thirteen", Word::Teen(13)),
    ("fourteen", Word::Teen(14)),
    ("fifteen", Word::Teen(15)),
    ("sixteen", Word::Teen(16)),
    ("seventeen", Word::Teen(17)),
    ("eighteen", Word::Teen(18)),
    ("nineteen", Word::Teen(19)),
    ("twenty", Word::Tens(20)),
    ("thirty", Word::Tens(30)),
    ("forty", Word::Tens(40)),
    ("fifty", Word::Tens(50)),
    ("sixty", Word::Tens(60)),
    ("seventy", Word::Tens(70)),
    ("eighty", Word::Tens(80)),
    ("ninety", Word::Tens(90)),
    ("hundred", Word::HundredMul),
    ("thousand", Word::Thousand),
    ("double", Word::Repeat(2)),
    ("triple", Word::Repeat(3)),
    ("and", Word::Connector),
    ("ноль", Word::Unit(0)),
    ("нуль", Word::Unit(0)),
    ("один", Word::Unit(1)),
    ("одна", Word::Unit(1)),
    ("одно", Word::Unit(1)),
    ("одного", Word::Unit(1)),
    ("одних", Word::Unit(1)),
    ("два", Word::Unit(2)),
    ("две", Word::Unit(2)),
    ("двух", Word::Unit(2)),
    ("двое", Word::Unit(2)),
    ("три", Word::Unit(3)),
    ("трех", Word::Unit(3)),
    ("трое", Word::Unit(3)),
    ("четыре", Word::Unit(4)),
    ("четырех", Word::Unit(4)),
    ("четверо", Word::Unit(4)),
    ("пять", Word::Unit(5)),
    ("пяти", Word::Unit(5)),
    ("пятеро", Word::Unit(5)),
    ("шесть", Word::Unit(6)),
    ("шести", Word::Unit(6)),
    ("шестеро", Word::Unit(6)),
    ("семь", Word::Unit(7)),
    ("семи", Word::Unit(7)),
    ("семеро", Word::Unit(7)),
    ("восемь", Word::Unit(8)),
    ("восьми", Word::Unit(8)),
    ("девять", Word::Unit(9)),
    ("девяти", Word::Unit(9)),
    ("десять", Word::Teen(10)),
    ("десяти", Word::Teen(10)),
    ("одиннадцать", Word::Teen(11)),
    ("двенадцать", Word::Teen(12)),
    ("тринадцать", Word::Teen(13)),
    ("четырнадцать", Word::Teen(14)),
    ("пятнадцать", Word::Teen(15)),
    ("пятнадцати", Word::Teen(15)),
    ("шестнадцать", Word::Teen(16)),
    ("семнадцать", Word::Teen(17)),
    ("восемнадцать", Word::Teen(18)),
    ("девятнадцать", Word::Teen(19)),
    ("двадцать", Word::Tens(20)),
    ("двадцати", Word::Tens(20)),
    ("тридцать", Word::Tens(30)),
    ("тридцати", Word::Tens(30)),
    ("сорок", Word::Tens(40)),
    ("сорока", Word::Tens(40)),
    ("пятьдесят", Word::Tens(50)),
    ("шестьдесят", Word::Tens(60)),
    ("семьдесят", Word::Tens(70)),
    ("восемьдесят", Word::Tens(80)),
    ("девяносто", Word::Tens(90)),
    ("сто", Word::Hundreds(100)),
    ("двести", Word::Hundreds(200)),
    ("триста", Word::Hundreds(300)),
    ("четыреста", Word::Hundreds(400)),
    ("пятьсот", Word::Hundreds(500)),
    ("шестьсот", Word::Hundreds(600)),
    ("семьсот", Word::Hundreds(700)),
    ("восемьсот", Word::Hundreds(800)),
    ("девятьсот", Word::Hundreds(900)),
    ("тысяча", Word::Thousand),
    ("тысячи", Word::Thousand),
    ("тысяч", Word::Thousand),
    ("cero", Word::Unit(0)),
    ("uno", Word::Unit(1)),
    ("una", Word::Unit(1)),
    ("un", Word::Unit(1)),
    ("dos", Word::Unit(2)),
    ("tres", Word::Unit(3)),
    ("cuatro", Word::Unit(4)),
    ("cinco", Word::Unit(5)),
    ("seis", Word::Unit(6)),
    ("siete", Word::Unit(7)),
    ("ocho", Word::Unit(8)),
    ("nueve", Word::Unit(9)),
    ("diez", Word::Teen(10)),
    ("once", Word::Teen(11)),
    ("doce", Word::Teen(12)),
    ("trece", Word::Teen(13)),
    ("catorce", Word::Teen(14)),
    ("quince", Word::Teen(15)),
    ("dieciséis", Word::Teen(16)),
    ("diecisiete", Word::Teen(17)),
    ("dieciocho", Word::Teen(18)),
    ("diecinueve", Word::Teen(19)),
    ("veinte", Word::Tens(20)),
    ("veintiuno", Word::TensUnit(21)),
    ("veintiún", Word::TensUnit(21)),
    ("veintidós", Word::TensUnit(22)),
    ("veintitrés", Word::TensUnit(23)),
    ("veinticuatro", Word::TensUnit(24)),
    ("veinticinco", Word::TensUnit(25)),
    ("veintiséis", Word::TensUnit(26)),
    ("veintisiete", Word::TensUnit(27)),
    ("veintiocho", Word::TensUnit(28)),
    ("veintinueve", Word::TensUnit(29)),
    ("treinta", Word::Tens(30)),
    ("cuarenta", Word::Tens(40)),
    ("cincuenta", Word::Tens(50)),
    ("sesenta", Word::Tens(60)),
    ("setenta", Word::Tens(70)),
    ("ochenta", Word::Tens(80)),
    ("noventa", Word::Tens(90)),
    ("cien", Word::Hundreds(100)),
    ("ciento", Word::Hundreds(100)),
    ("doscientos", Word::Hundreds(200)),
    ("doscientas", Word::Hundreds(200)),
    ("trescientos", Word::Hundreds(300)),
    ("trescientas", Word::Hundreds(300)),
    ("cuatrocientos", Word::Hundreds(400)),
    ("quinientos", Word::Hundreds(500)),
    ("quinientas", Word::Hundreds(500)),
    ("seiscientos", Word::Hundreds(600)),
    ("setecientos", Word::Hundreds(700)),
    ("ochocientos", Word::Hundreds(800)),
    ("novecientos", Word::Hundreds(900)),
    ("mil", Word::Thousand),
    ("y", Word::Connector),
];

/// Looked up once per word of every transcript: a fast non-keyed hash is enough for short fixed keys.
type Dictionary = FxHashMap<String, Word>;

fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        WORDS
            .iter()
            .map(|(w, kind)| (Normalized::fold(w, false), *kind))
            .collect()
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
