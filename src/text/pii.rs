//! Personal data said aloud: validators (Luhn, IBAN mod-97, SNILS, INN, DNI/NIE, SSN, phone
//! numbering plans), cue words that make a bare number personal, and the masks shown instead.
//!
//! Numbers are read from both digits and spoken words (see [`super::numbers`]); a number that
//! fails its checksum (an order number, a price, an invoice) is not personal data.

mod people;

use std::cell::OnceCell;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::normalize::Normalized;
use super::numbers::{digit_runs, DigitRun};
use super::rules::dfa_builder;
use crate::lang;
use crate::model::Severity;

/// One piece of personal data: where it is in the segment text and how to show it masked.
#[derive(Debug, Clone, PartialEq)]
pub struct PiiHit {
    /// `card_number`, `phone`, `email` ... (the finding category).
    pub category: &'static str,
    /// Byte range `[start, end)` in the segment text.
    pub start: usize,
    pub end: usize,
    /// The value with most of it hidden (`4276 **** **** 9080`, `j***@gmail.com`).
    pub masked: String,
    pub severity: Severity,
    /// Why this counts as personal data (shown to the user).
    pub reason: &'static str,
}

/// Groups of cue words that turn a bare number into personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Card,
    Cvv,
    Expiry,
    Passport,
    Snils,
    Inn,
    Ssn,
    Birth,
    /// Broad words for an account (with a 20-digit Russian account number).
    Account,
    /// Words that make any 8-17 digit number an account number.
    AccountNumber,
    Routing,
    /// Words for an e-mail address: a written address whose `@` whisper lost follows one.
    Email,
}

/// One list of every language file's `[pii.cues]`.
type CueList = fn(&lang::Cues) -> &[String];

/// Cue words (word starts) per group: each group's list in the language files' `[pii.cues]`.
const CUE_LISTS: [(Cue, CueList); 12] = [
    (Cue::Card, |c| &c.card),
    (Cue::Cvv, |c| &c.cvv),
    (Cue::Expiry, |c| &c.expiry),
    (Cue::Passport, |c| &c.passport),
    (Cue::Snils, |c| &c.snils),
    (Cue::Inn, |c| &c.inn),
    (Cue::Ssn, |c| &c.ssn),
    (Cue::Birth, |c| &c.birth),
    (Cue::Account, |c| &c.account),
    (Cue::AccountNumber, |c| &c.account_number),
    (Cue::Routing, |c| &c.routing),
    (Cue::Email, |c| &c.email),
];

/// All cue words in one automaton over folded text (" stem" matches a word start).
struct CueIndex {
    automaton: AhoCorasick,
    patterns: Vec<String>,
    cue_of: Vec<Cue>,
}

fn cue_index() -> &'static CueIndex {
    static INDEX: OnceLock<CueIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut cue_of = Vec::new();
        for (cue, list) in CUE_LISTS {
            for word in lang::all().iter().flat_map(|l| list(&l.pii.cues)) {
                patterns.push(format!(" {}", Normalized::fold(word, false)));
                cue_of.push(cue);
            }
        }
        CueIndex {
            automaton: dfa_builder()
                .build(&patterns)
                .expect("cue words build an automaton"),
            patterns,
            cue_of,
        }
    })
}

/// Each cue word as looked up in folded text (" stem"), with its group's bit (as in
/// [`Context::cue_groups`]), for `RuleSet::line_words`.
pub(crate) fn cue_words() -> impl Iterator<Item = (&'static str, u32)> {
    let index = cue_index();
    index
        .patterns
        .iter()
        .zip(&index.cue_of)
        .map(|(word, &cue)| (word.as_str(), 1 << cue as u32))
}

/// Bit set of the cue groups whose words occur in a folded text.
fn cue_mask(norm: &Normalized) -> u32 {
    let index = cue_index();
    index
        .automaton
        .find_overlapping_iter(norm.text())
        .fold(0, |mask, m| {
            mask | 1 << index.cue_of[m.pattern().as_usize()] as u32
        })
}

/// The folded text of a segment and of the one before it, where cue words are looked up.
pub struct Context<'a> {
    here: &'a Normalized,
    before: Option<&'a Normalized>,
    /// Cue groups found in `here`, computed on first use.
    here_mask: OnceCell<u32>,
    /// Cue groups found in `before`, when the caller already knows them.
    before_mask: Option<u32>,
}

impl<'a> Context<'a> {
    pub fn new(here: &'a Normalized, before: Option<&'a Normalized>) -> Self {
        Self {
            here,
            before,
            here_mask: OnceCell::new(),
            before_mask: None,
        }
    }

    /// [`Context::new`] with the cue groups of `here` known (from `RuleSet::line_words`) and
    /// those of `before` (its [`Context::cue_groups`] as the segment scanned before): a
    /// transcript's lines are looked up once each.
    pub(crate) fn with_groups(
        here: &'a Normalized,
        here_groups: u32,
        before: Option<(&'a Normalized, u32)>,
    ) -> Self {
        Self {
            here,
            before: before.map(|(b, _)| b),
            here_mask: OnceCell::from(here_groups),
            before_mask: before.map(|(_, groups)| groups),
        }
    }

    /// The cue groups found in this segment's own text (for [`Context::after`] on the next one).
    pub fn cue_groups(&self) -> u32 {
        *self.here_mask.get_or_init(|| cue_mask(self.here))
    }

    /// Of the cue groups `among`, the one whose word comes last before byte `offset` of `source`
    /// (the segment text), else the last one in the segment before: an expiry and a security code
    /// said in one breath are told apart by the cue word each follows.
    fn nearest_before(&self, source: &str, offset: usize, among: &[Cue]) -> Option<Cue> {
        let index = cue_index();
        let cues_in = |norm: &'a Normalized| {
            index
                .automaton
                .find_overlapping_iter(norm.text())
                .map(|m| (m.start() + 1, index.cue_of[m.pattern().as_usize()]))
                .filter(|(_, cue)| among.contains(cue))
        };
        cues_in(self.here)
            .filter(|&(at, _)| self.here.original_span(at, at + 1, source).0 < offset)
            .last()
            .or_else(|| self.before.and_then(|b| cues_in(b).last()))
            .map(|(_, cue)| cue)
    }

    fn has(&self, cue: Cue) -> bool {
        let before = match self.before_mask {
            Some(mask) => mask,
            None => self.before.map_or(0, cue_mask),
        };
        (self.cue_groups() | before) & (1 << cue as u32) != 0
    }
}

/// Every piece of personal data in one segment text, in order, without overlaps.
///
/// `speaker_is_agent` suppresses the names an agent gives after a self-introduction (their own
/// name is the expected introduction, not a leak); a customer's name the agent says still counts.
pub fn find_pii(text: &str, ctx: &Context, speaker_is_agent: bool) -> Vec<PiiHit> {
    let mut hits = Vec::new();
    find_emails(text, &mut hits);
    find_spoken_emails(text, ctx.here, &mut hits);
    if ctx.has(Cue::Email) {
        find_emails_without_at(text, &mut hits);
    }
    let has_digits = text.bytes().any(|b| b.is_ascii_digit());
    if has_digits {
        find_ibans(text, &mut hits);
        find_spanish_ids(text, &mut hits);
    }
    if ctx.has(Cue::Birth) {
        if has_digits {
            find_numeric_dates(text, &mut hits);
        }
        find_spoken_dates(text, ctx.here, &mut hits);
    }
    if has_digits {
        people::find_addresses(text, &mut hits);
    }
    let runs = digit_runs(ctx.here, text);
    if ctx.has(Cue::Passport) {
        if has_digits {
            find_passports(text, ctx.here, &mut hits);
        }
        find_passport_in_runs(text, &runs, &mut hits);
    }
    if !speaker_is_agent {
        people::find_introduced_names(text, &mut hits);
    }
    people::find_full_names(text, speaker_is_agent, &mut hits);
    for run in &runs {
        if let Some(hit) = classify_run(run, text, ctx) {
            hits.push(hit);
        }
    }
    remove_overlaps(hits)
}

/// Whether one of the first (`at_end` false) or last two words of a folded text is a number
/// (digits or a number word): where a number said across two lines would be cut.
pub fn number_at_edge(norm: &Normalized, at_end: bool) -> bool {
    let is_number =
        |w: &&str| w.as_bytes()[0].is_ascii_digit() || date_lexicon().numbers.contains(*w);
    let words = norm.text().split_ascii_whitespace();
    if at_end {
        words.rev().take(2).any(|w| is_number(&w))
    } else {
        words.take(2).any(|w| is_number(&w))
    }
}

/// A number said across two consecutive lines of one speaker ("4111 1111" / "1111 1111" when
/// whisper cut the segment at a pause) that is personal data only as a whole: its part in
/// `before` and its part in `here`, each with the whole value's mask.
pub fn find_pii_across(before: &str, here: &str) -> Vec<(PiiHit, PiiHit)> {
    let joined = format!("{before} {here}");
    let norm = Normalized::new(&joined);
    let ctx = Context::new(&norm, None);
    let seam = before.len();
    let here_start = seam + 1 + (here.len() - here.trim_start().len());
    digit_runs(&norm, &joined)
        .iter()
        .filter(|run| run.start < seam && run.end > here_start)
        .filter_map(|run| classify_run(run, &joined, &ctx))
        .map(|whole| {
            let first = PiiHit {
                start: whole.start,
                end: before.trim_end().len().max(whole.start),
                ..whole.clone()
            };
            let second = PiiHit {
                start: here_start - seam - 1,
                end: whole.end - seam - 1,
                ..whole
            };
            (first, second)
        })
        .collect()
}

fn remove_overlaps(mut hits: Vec<PiiHit>) -> Vec<PiiHit> {
    // Earlier detectors win: a DNI also reads as a digit run, an IBAN contains one.
    let mut kept: Vec<PiiHit> = Vec::with_capacity(hits.len());
    for hit in hits.drain(..) {
        if kept
            .iter()
            .all(|k| hit.end <= k.start || hit.start >= k.end)
        {
            kept.push(hit);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

fn hit(
    category: &'static str,
    (start, end): (usize, usize),
    masked: String,
    severity: Severity,
    reason: &'static str,
) -> PiiHit {
    PiiHit {
        category,
        start,
        end,
        masked,
        severity,
        reason,
    }
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in personal-data pattern compiles"))
}

fn find_emails(text: &str, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    if !text.contains('@') {
        return;
    }
    let re = regex(
        &RE,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    );
    for m in re.find_iter(text) {
        let (user, domain) = m.as_str().split_once('@').unwrap_or((m.as_str(), ""));
        hits.push(hit(
            "email",
            (m.start(), m.end()),
            mask_email(user, domain),
            Severity::Medium,
            "an e-mail address identifies the caller",
        ));
    }
}

fn find_spoken_emails(text: &str, norm: &Normalized, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let words = email_words();
    let re = RE.get_or_init(|| {
        // "john dot smith": only the English "dot" inside the user name.
        Regex::new(&format!(
            r" ([a-z0-9]+(?: dot [a-z0-9]+)?) (?:{}) ([a-z0-9]+) (?:{}) (com|net|org|ru|es|io|de|uk) ",
            alternation(&words.at),
            alternation(&words.dot),
        ))
        .expect("built-in spoken e-mail pattern compiles")
    });
    if !words
        .spelled_dot
        .iter()
        .any(|d| norm.text().contains(d.as_str()))
        || !re.is_match(norm.text())
    {
        return;
    }
    for caps in re.captures_iter(norm.text()) {
        let (whole, user, domain) = (
            caps.get(0).expect("group 0"),
            &caps[1],
            format!("{}.{}", &caps[2], &caps[3]),
        );
        let span = norm.original_span(whole.start() + 1, whole.end() - 1, text);
        hits.push(hit(
            "email",
            span,
            mask_email(user, &domain),
            Severity::Medium,
            "an e-mail address spelled out identifies the caller",
        ));
    }
}

/// An e-mail address written without its `@`, as whisper writes a spoken one it half heard
/// ("my email is john.milaretemampo.com"): after an e-mail cue, a name of at least two dotted
/// labels before a common top-level domain. A single label ("gmail.com", "brightline.com") is a
/// site, not an address, and is left alone; so is anything with an `@` (found above).
fn find_emails_without_at(text: &str, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)\b[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)+\.(?:com|net|org|edu|gov|info|biz|io|ru|es|mx|ar|co|de|uk|us)\b",
    );
    for m in re.find_iter(text) {
        let before_at = text[..m.start()].ends_with('@') || text[m.end()..].starts_with('@');
        if before_at || m.as_str().contains("..") {
            continue;
        }
        let (tld_at, first) = (
            m.as_str().rfind('.').unwrap_or(0),
            m.as_str().chars().next(),
        );
        hits.push(hit(
            "email",
            (m.start(), m.end()),
            format!("{}***{}", first.unwrap_or('*'), &m.as_str()[tld_at..]),
            Severity::Medium,
            "an e-mail address as heard (the @ lost in transcription) identifies the caller",
        ));
    }
}

/// The words of a spelled-out e-mail address (`pii.email_at`, `pii.email_dot`), folded.
struct EmailWords {
    at: Vec<String>,
    dot: Vec<String>,
    /// `dot` with a space on each side.
    spelled_dot: Vec<String>,
}

fn email_words() -> &'static EmailWords {
    static WORDS: OnceLock<EmailWords> = OnceLock::new();
    WORDS.get_or_init(|| {
        let folded = |list: fn(&lang::Pii) -> &[String]| -> Vec<String> {
            lang::all()
                .iter()
                .flat_map(|l| list(&l.pii))
                .map(|w| Normalized::fold(w, false))
                .collect()
        };
        let dot = folded(|p| &p.email_dot);
        EmailWords {
            at: folded(|p| &p.email_at),
            spelled_dot: dot.iter().map(|d| format!(" {d} ")).collect(),
            dot,
        }
    })
}

/// Words as a regex alternation (`a|b|c`), each escaped.
fn alternation<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> String {
    words
        .into_iter()
        .map(|w| regex::escape(w.as_ref()))
        .collect::<Vec<_>>()
        .join("|")
}

fn mask_email(user: &str, domain: &str) -> String {
    let first = user.chars().next().unwrap_or('*');
    format!("{first}***@{domain}")
}

/// IBAN lengths per country (ISO 13616 registry, the countries callers are likely to name).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IT", 27),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("RU", 33),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("TR", 26),
    ("UA", 29),
    ("BY", 28),
    ("KZ", 20),
    ("GE", 22),
    ("IL", 23),
    ("AE", 23),
    ("SA", 24),
    ("MX", 18),
];

/// Whether `compact` (letters and digits, no spaces) is a valid IBAN: country length and mod-97 = 1.
pub fn iban_valid(compact: &str) -> bool {
    let upper = compact.to_ascii_uppercase();
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| upper.starts_with(c)) else {
        return false;
    };
    if upper.len() != len || !upper.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let rearranged = upper[4..].bytes().chain(upper[..4].bytes());
    let mut rem: u32 = 0;
    for b in rearranged {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn find_ibans(text: &str, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(&RE, r"(?-u:\b)[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,32}");
    for m in re.find_iter(text) {
        let country = m.as_str()[..2].to_ascii_uppercase();
        let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country) else {
            continue;
        };
        let Some(end) = nth_alnum_end(&text[m.start()..m.end()], len) else {
            continue;
        };
        let compact: String = text[m.start()..m.start() + end]
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if iban_valid(&compact) {
            let masked = mask_keep(&compact, 4, 4, 4);
            hits.push(hit(
                "iban",
                (m.start(), m.start() + end),
                masked,
                Severity::High,
                "a bank account (IBAN, passes the mod-97 check)",
            ));
        }
    }
}

/// Byte offset just after the `n`-th ASCII letter or digit.
fn nth_alnum_end(s: &str, n: usize) -> Option<usize> {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_alphanumeric() {
            count += 1;
            if count == n {
                return Some(i + c.len_utf8());
            }
        }
    }
    None
}

/// The Spanish DNI/NIE check letter for a number.
pub fn dni_letter(number: u32) -> char {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    LETTERS[(number % 23) as usize] as char
}

fn find_spanish_ids(text: &str, hits: &mut Vec<PiiHit>) {
    static DNI: OnceLock<Regex> = OnceLock::new();
    static NIE: OnceLock<Regex> = OnceLock::new();
    // Eight (seven) digits, said or written in groups ("1234 5678 Z", "12.345.678-Z").
    let dni = regex(&DNI, r"(?-u:\b)(\d(?:[ .-]?\d){7})[ -]?([A-Za-z])(?-u:\b)");
    let nie = regex(
        &NIE,
        r"(?-u:\b)([XYZxyz])[ -]?(\d(?:[ .-]?\d){6})[ -]?([A-Za-z])(?-u:\b)",
    );
    let digits_of = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let dni_matches = dni.is_match(text).then(|| dni.captures_iter(text));
    for caps in dni_matches.into_iter().flatten() {
        let digits = digits_of(&caps[1]);
        let number: u32 = digits.parse().unwrap_or(0);
        push_id_if_valid(hits, &caps, number, &caps[2], &digits);
    }
    let nie_matches = nie.is_match(text).then(|| nie.captures_iter(text));
    for caps in nie_matches.into_iter().flatten() {
        let prefix = match caps[1].to_ascii_uppercase().as_str() {
            "X" => "0",
            "Y" => "1",
            _ => "2",
        };
        let digits = digits_of(&caps[2]);
        let number: u32 = format!("{prefix}{digits}").parse().unwrap_or(0);
        push_id_if_valid(hits, &caps, number, &caps[3], &digits);
    }
}

fn push_id_if_valid(
    hits: &mut Vec<PiiHit>,
    caps: &regex::Captures,
    number: u32,
    letter: &str,
    digits: &str,
) {
    if !letter.eq_ignore_ascii_case(&dni_letter(number).to_string()) {
        return;
    }
    let whole = caps.get(0).expect("group 0");
    hits.push(hit(
        "national_id",
        (whole.start(), whole.end()),
        format!("{}*", mask_keep(digits, 0, 2, 0)),
        Severity::High,
        "a Spanish DNI/NIE (check letter matches)",
    ));
}

fn find_numeric_dates(text: &str, hits: &mut Vec<PiiHit>) {
    static NUMERIC: OnceLock<Regex> = OnceLock::new();
    let numeric = regex(
        &NUMERIC,
        r"(?-u:\b)(?:(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})|(\d{4})-(\d{2})-(\d{2}))(?-u:\b)",
    );
    for caps in numeric.captures_iter(text) {
        let whole = caps.get(0).expect("group 0");
        let (day, month) = match (caps.get(1), caps.get(2), caps.get(5), caps.get(6)) {
            (Some(d), Some(m), _, _) => (d.as_str(), m.as_str()),
            (_, _, Some(m), Some(d)) => (d.as_str(), m.as_str()),
            _ => continue,
        };
        if plausible_day_month(day, month) || plausible_day_month(month, day) {
            hits.push(birth_hit((whole.start(), whole.end())));
        }
    }
}

/// What a folded word is to a spoken date.
#[derive(Clone, Copy, PartialEq)]
enum DateWord {
    Month,
    /// A day or a year: up to 4 digits, a number word, an ordinal (`pii.date_words`).
    Part,
    /// A word between the parts (`pii.date_joiners`: "of", "de", "года").
    Joiner,
    Other,
}

/// Month names, number words, date words (word starts) and joiners of every language, folded.
struct DateLexicon {
    months: rustc_hash::FxHashSet<String>,
    numbers: rustc_hash::FxHashSet<String>,
    starts: Vec<String>,
    joiners: rustc_hash::FxHashSet<String>,
}

fn date_lexicon() -> &'static DateLexicon {
    static LEXICON: OnceLock<DateLexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let fold = |w: &str| Normalized::fold(w, false);
        let numbers = lang::all().iter().flat_map(|l| {
            let n = &l.numbers;
            [&n.units, &n.teens, &n.tens, &n.compound_tens, &n.hundreds]
                .into_iter()
                .flatten()
                .flatten()
                .chain(n.hundred.iter().chain(&n.thousand))
        });
        DateLexicon {
            months: lang::words(|l| &l.pii.months).map(fold).collect(),
            numbers: numbers.map(|w| fold(w)).collect(),
            starts: lang::words(|l| &l.pii.date_words).map(fold).collect(),
            joiners: lang::words(|l| &l.pii.date_joiners).map(fold).collect(),
        }
    })
}

fn date_word(word: &str) -> DateWord {
    let lex = date_lexicon();
    if lex.months.contains(word) {
        DateWord::Month
    } else if (word.len() <= 4 && word.bytes().all(|b| b.is_ascii_digit()))
        || lex.numbers.contains(word)
        || lex.starts.iter().any(|s| word.starts_with(s.as_str()))
    {
        DateWord::Part
    } else if lex.joiners.contains(word) {
        DateWord::Joiner
    } else {
        DateWord::Other
    }
}

/// Words on each side of a month name that can still belong to its date.
const DATE_REACH_BEFORE: usize = 4;
const DATE_REACH_AFTER: usize = 8;

/// Dates said with a month name ("March fifth, nineteen ninety", "пятого марта тысяча девятьсот
/// девяностого года", "5 de marzo de 1990"): the month and the day, ordinal and year words around
/// it (at least one of them). Only called after a birth cue.
fn find_spoken_dates(text: &str, norm: &Normalized, hits: &mut Vec<PiiHit>) {
    let words: Vec<(usize, usize)> = norm.words().collect();
    let kinds: Vec<DateWord> = words
        .iter()
        .map(|&(a, b)| date_word(&norm.text()[a..b]))
        .collect();
    let mut covered = 0;
    for (i, _) in kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == DateWord::Month)
    {
        if i < covered {
            continue;
        }
        let inside = |k: DateWord| matches!(k, DateWord::Part | DateWord::Joiner);
        let mut first = i;
        while first > covered && i - first < DATE_REACH_BEFORE && inside(kinds[first - 1]) {
            first -= 1;
        }
        let mut last = i;
        while last + 1 < kinds.len() && last - i < DATE_REACH_AFTER && inside(kinds[last + 1]) {
            last += 1;
        }
        while kinds[first] == DateWord::Joiner {
            first += 1;
        }
        while kinds[last] == DateWord::Joiner {
            last -= 1;
        }
        if kinds[first..=last].contains(&DateWord::Part) {
            let span = norm.original_span(words[first].0, words[last].1, text);
            hits.push(birth_hit(span));
            covered = last + 1;
        }
    }
}

fn find_passports(text: &str, norm: &Normalized, hits: &mut Vec<PiiHit>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(&RE, r" (?:\d{4}|\d{2} \d{2}) (?:номер |n )?\d{6} ");
    for m in re.find_iter(norm.text()) {
        let span = norm.original_span(m.start() + 1, m.end() - 1, text);
        hits.push(hit(
            "passport",
            span,
            "** ** ******".to_string(),
            Severity::High,
            "a passport series and number",
        ));
    }
}

/// A Russian passport said as a 4-digit series and a 6-digit number with at most one word between
/// them ("сорок пять ноль восемь, номер шестьсот двенадцать триста сорок пять").
fn find_passport_in_runs(text: &str, runs: &[DigitRun], hits: &mut Vec<PiiHit>) {
    for pair in runs.windows(2) {
        let (series, number) = (&pair[0], &pair[1]);
        let between = text[series.end..number.start]
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        if series.digits.len() == 4 && number.digits.len() == 6 && between <= 1 {
            hits.push(hit(
                "passport",
                (series.start, number.end),
                "** ** ******".to_string(),
                Severity::High,
                "a passport series and number",
            ));
        }
    }
}

fn plausible_day_month(day: &str, month: &str) -> bool {
    let (d, m) = (
        day.parse::<u32>().unwrap_or(0),
        month.parse::<u32>().unwrap_or(0),
    );
    (1..=31).contains(&d) && (1..=12).contains(&m)
}

fn birth_hit(span: (usize, usize)) -> PiiHit {
    hit(
        "birth_date",
        span,
        "**.**.****".to_string(),
        Severity::Medium,
        "a date of birth identifies the caller",
    )
}

/// Luhn checksum over a digit string.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Russian SNILS control number (last two digits) over 11 digits.
pub fn snils_valid(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.len() != 11 {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, v)| v * (9 - i as u32))
        .sum();
    let control = match sum {
        s if s < 100 => s,
        100 | 101 => 0,
        s => (s % 101) % 100,
    };
    control == d[9] * 10 + d[10]
}

/// Russian INN check digits (10 digits for companies, 12 for people).
pub fn inn_valid(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let check = |weights: &[u32]| -> u32 {
        weights.iter().zip(&d).map(|(w, v)| w * v).sum::<u32>() % 11 % 10
    };
    match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => false,
    }
}

/// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
pub fn ssn_valid(digits: &str) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let area: u32 = digits[..3].parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && &digits[3..5] != "00" && &digits[5..] != "0000"
}

/// ABA routing number checksum (3-7-1 weights).
pub fn aba_valid(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    d.len() == 9
        && (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8])
            .is_multiple_of(10)
}

/// How many digits a phone number has, with its country code (E.164 allows at most 15).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 9..=15;

/// Whether the digits form a valid phone number in international form or in RU, ES or US.
pub fn phone_valid(digits: &str, international: bool) -> bool {
    use phonenumber::country::Id;
    if !PHONE_DIGITS.contains(&digits.len()) {
        return false;
    }
    if international {
        return phonenumber::parse(None, format!("+{digits}")).is_ok_and(|n| n.is_valid());
    }
    let (n, first) = (digits.len(), digits.as_bytes()[0]);
    let plausible = |region: &Id| match region {
        Id::RU => (n == 11 && matches!(first, b'7' | b'8')) || (n == 10 && first != b'0'),
        Id::ES => {
            (n == 9 && (b'6'..=b'9').contains(&first)) || (n == 11 && digits.starts_with("34"))
        }
        _ => n == 10 || (n == 11 && first == b'1'),
    };
    [Id::RU, Id::ES, Id::US]
        .into_iter()
        .filter(plausible)
        .any(|region| phonenumber::parse(Some(region), digits).is_ok_and(|n| n.is_valid()))
}

fn classify_run(run: &DigitRun, text: &str, ctx: &Context) -> Option<PiiHit> {
    let d = run.digits.as_str();
    let n = d.len();
    let span = (run.start, run.end);
    let payment_cue = match (ctx.has(Cue::Cvv), ctx.has(Cue::Expiry)) {
        (true, true) => ctx.nearest_before(text, run.start, &[Cue::Cvv, Cue::Expiry]),
        (true, false) => Some(Cue::Cvv),
        (false, true) => Some(Cue::Expiry),
        (false, false) => None,
    };
    if (3..=4).contains(&n) && payment_cue == Some(Cue::Cvv) {
        return Some(hit(
            "cvv",
            span,
            "***".into(),
            Severity::High,
            "a card security code",
        ));
    }
    if payment_cue == Some(Cue::Expiry) && is_expiry(d) {
        return Some(hit(
            "card_expiry",
            span,
            "**/**".into(),
            Severity::Medium,
            "a card expiry date",
        ));
    }
    if n == 20 && ctx.has(Cue::Account) && (d.starts_with("408") || d.starts_with("423")) {
        return Some(account_hit(span, d));
    }
    if let Some(card) = card_in_run(d, ctx.has(Cue::Card)) {
        return Some(card_hit(span, card, luhn_valid(card)));
    }
    if n == 11 && ctx.has(Cue::Snils) && snils_valid(d) {
        return Some(hit(
            "snils",
            span,
            mask_keep(d, 0, 2, 0),
            Severity::High,
            "a SNILS (checksum matches)",
        ));
    }
    if (9..=10).contains(&n) && ctx.has(Cue::Passport) {
        return Some(hit(
            "passport",
            span,
            mask_keep(d, 0, 2, 0),
            Severity::High,
            "a passport series and number",
        ));
    }
    if (n == 10 || n == 12) && ctx.has(Cue::Inn) && inn_valid(d) {
        return Some(hit(
            "inn",
            span,
            mask_keep(d, 0, 2, 0),
            Severity::High,
            "an INN (checksum matches)",
        ));
    }
    let formatted = &text[run.start..run.end];
    if n == 9 && ssn_valid(d) && (ctx.has(Cue::Ssn) || is_ssn_shaped(formatted)) {
        return Some(hit(
            "ssn",
            span,
            format!("***-**-{}", &d[5..]),
            Severity::High,
            "a US social security number",
        ));
    }
    if n == 9 && ctx.has(Cue::Routing) && aba_valid(d) {
        return Some(account_hit(span, d));
    }
    if PHONE_DIGITS.contains(&n) {
        let international = preceded_by_plus(text, run);
        if phone_valid(d, international) {
            let plus = text[..run.start].trim_end().strip_suffix('+');
            return Some(hit(
                "phone",
                (plus.map_or(run.start, str::len), run.end),
                mask_phone(d, international),
                Severity::Medium,
                "a phone number (valid numbering plan)",
            ));
        }
    }
    if n == 11 && is_snils_shaped(formatted) && snils_valid(d) {
        return Some(hit(
            "snils",
            span,
            mask_keep(d, 0, 2, 0),
            Severity::High,
            "a SNILS (checksum matches)",
        ));
    }
    if (8..=17).contains(&n) && ctx.has(Cue::AccountNumber) {
        return Some(account_hit(span, d));
    }
    None
}

/// A card expiry as digits: MMYY, MMYYYY, or MYY when the leading zero was not said ("four
/// twenty seven").
fn is_expiry(d: &str) -> bool {
    match d.len() {
        3 => plausible_day_month("1", &d[..1]),
        4 | 6 => plausible_day_month("1", &d[..2]),
        _ => false,
    }
}

/// Digits that read as a card number in a run: the whole run (13-19 digits, Luhn-valid; 16 digits
/// or a card cue or an Amex prefix), else its first 16 digits when they pass Luhn (ASR wrote
/// "4,111,111,111,111,111": a card with digits added; over 19 digits only after a card cue), else, after a card cue, 14-19 digits that
/// fail Luhn (a card the recogniser misheard).
fn card_in_run(d: &str, card_cue: bool) -> Option<&str> {
    let n = d.len();
    let card_prefix = |s: &str| matches!(s.as_bytes().first(), Some(b'2'..=b'6'));
    if (13..=19).contains(&n)
        && card_prefix(d)
        && luhn_valid(d)
        && (n == 16 || card_cue || (n == 15 && (d.starts_with("34") || d.starts_with("37"))))
    {
        return Some(d);
    }
    if (17..=24).contains(&n) && card_prefix(d) && luhn_valid(&d[..16]) && (n <= 19 || card_cue) {
        return Some(&d[..16]);
    }
    (card_cue && (14..=19).contains(&n) && card_prefix(d)).then_some(d)
}

fn card_hit(span: (usize, usize), card: &str, checksum_ok: bool) -> PiiHit {
    hit(
        "card_number",
        span,
        mask_keep(card, 4, 4, 4),
        Severity::High,
        if checksum_ok {
            "a payment card number (passes the Luhn check)"
        } else {
            "a payment card number as heard after a card cue (fails the Luhn check: misheard digits)"
        },
    )
}

fn account_hit(span: (usize, usize), digits: &str) -> PiiHit {
    hit(
        "bank_account",
        span,
        mask_keep(digits, 0, 4, 0),
        Severity::High,
        "a bank account number",
    )
}

fn is_ssn_shaped(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    regex(&RE, r"^\d{3}-\d{2}-\d{4}$").is_match(s)
}

fn is_snils_shaped(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    regex(&RE, r"^\d{3}-\d{3}-\d{3}[ -]\d{2}$").is_match(s)
}

fn preceded_by_plus(text: &str, run: &DigitRun) -> bool {
    if text[..run.start].trim_end().ends_with('+') {
        return true;
    }
    let before = text[..run.start].trim_end();
    let last_word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let folded = Normalized::fold(last_word, false);
    plus_words().contains(&folded)
}

/// Words before a number that mean "+" (`pii.plus_words`), folded (once).
fn plus_words() -> &'static [String] {
    static FOLDED: OnceLock<Vec<String>> = OnceLock::new();
    FOLDED.get_or_init(|| {
        lang::words(|l| &l.pii.plus_words)
            .map(|p| Normalized::fold(p, false))
            .collect()
    })
}

fn mask_phone(digits: &str, international: bool) -> String {
    let plus = if international { "+" } else { "" };
    format!("{plus}{}", mask_keep(digits, 1, 2, 0))
}

/// Digits with all but `head` leading and `tail` trailing replaced by `*`, grouped by `group` (0: no groups).
pub fn mask_keep(digits: &str, head: usize, tail: usize, group: usize) -> String {
    let n = digits.chars().count();
    let shown: Vec<char> = digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i < head || i + tail >= n { c } else { '*' })
        .collect();
    if group == 0 {
        return shown.into_iter().collect();
    }
    shown
        .chunks(group)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<(&'static str, String)> {
        let norm = Normalized::new(text);
        let ctx = Context::new(&norm, None);
        find_pii(text, &ctx, false)
            .into_iter()
            .map(|h| (h.category, h.masked))
            .collect()
    }

    #[test]
    fn validators_accept_known_good_and_reject_near_misses() {
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(iban_valid("ES9121000418450200051332"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("ES9121000418450200051333"));
        assert!(snils_valid("11223344595"));
        assert!(!snils_valid("11223344596"));
        assert!(inn_valid("7707083893"));
        assert!(inn_valid("500100732259"));
        assert!(!inn_valid("7707083894"));
        assert_eq!(dni_letter(12345678), 'Z');
        assert!(ssn_valid("123456789"));
        assert!(!ssn_valid("666456789"));
        assert!(!ssn_valid("123006789"));
        assert!(aba_valid("021000021"));
        assert!(phone_valid("79161234567", true));
        assert!(phone_valid("89161234567", false));
        assert!(phone_valid("612345678", false));
        assert!(phone_valid("2025550143", false) || phone_valid("2124567890", false));
    }

    #[test]
    fn spoken_card_is_found_and_masked() {
        let found =
            scan("my card is four one one one one one one one one one one one one one one one");
        assert_eq!(found, [("card_number", "4111 **** **** 1111".to_string())]);
    }

    #[test]
    fn failing_checksums_are_not_personal_data() {
        assert!(scan("order number 4111111111111112 please").is_empty());
        assert!(scan("invoice 123456789012 for 1500 rubles").is_empty());
    }

    #[test]
    fn emails_phones_and_ids() {
        assert_eq!(scan("write to john.doe@gmail.com")[0].1, "j***@gmail.com");
        let heard = scan("My email is john.milaretemampo.com. Thanks.");
        assert_eq!(heard, [("email", "j***.com".to_string())]);
        assert_eq!(scan("el correo es maria.lopez.gmail.com")[0].0, "email");
        assert!(scan("my email is on brightline.com").is_empty());
        assert!(scan("see john.smith.com for details").is_empty());
        assert_eq!(scan("мой номер +7 916 123-45-67")[0].0, "phone");
        assert_eq!(scan("mi DNI es 12345678Z")[0].0, "national_id");
        assert!(scan("mi DNI es 12345678A").is_empty());
        assert_eq!(scan("IBAN ES91 2100 0418 4502 0005 1332")[0].0, "iban");
        assert_eq!(
            scan("меня зовут Иван Петров")[0],
            ("person_name", "И***".to_string())
        );
    }

    #[test]
    fn cue_words_make_bare_numbers_personal() {
        assert_eq!(scan("паспорт серия 4510 номер 123456")[0].0, "passport");
        assert_eq!(scan("СНИЛС 112-233-445 95")[0].0, "snils");
        assert_eq!(scan("my date of birth is 15/03/1985")[0].0, "birth_date");
        assert_eq!(scan("дата рождения 15 марта 1985 года")[0].0, "birth_date");
        assert!(scan("the meeting is on 15/03/2025").is_empty());
    }

    #[test]
    fn expiry_and_security_code_are_told_apart_by_their_own_cue() {
        let found =
            scan("my card expires oh four twenty seven and the security code is one two three");
        let cats: Vec<&str> = found.iter().map(|f| f.0).collect();
        assert_eq!(cats, ["card_expiry", "cvv"]);
        let cats: Vec<&str> = scan("expiry 04/27 cvv 123").iter().map(|f| f.0).collect();
        assert_eq!(cats, ["card_expiry", "cvv"]);
    }

    #[test]
    fn cards_inside_longer_runs_misheard_and_fullwidth() {
        assert_eq!(
            scan("it's 4,111,111,111,111,111"),
            [("card_number", "4111 **** **** 1111".to_string())]
        );
        assert_eq!(
            scan("card ５４６９ ０４００ １２３４ ５６７８")[0].0,
            "card_number"
        );
        assert_eq!(
            scan("my card is 5.4.69, 0.4.001, 2.3.45, 6.7.8")[0].0,
            "card_number"
        );
        assert!(scan("reference 5469 0400 1234 5678 for the order").is_empty());
    }

    #[test]
    fn spoken_birth_dates_in_three_languages() {
        for text in [
            "I was born on March 5th, 1990",
            "my date of birth is the fifth of March nineteen ninety",
            "я родился пятого марта тысяча девятьсот девяностого года",
            "nací el cinco de marzo de mil novecientos noventa",
        ] {
            assert_eq!(scan(text)[0].0, "birth_date", "{text}");
        }
        assert!(scan("the offer ends on the fifth of March").is_empty());
        let text = "дата рождения пятого марта девяностого года, записали";
        let norm = Normalized::new(text);
        let hit = &find_pii(text, &Context::new(&norm, None), false)[0];
        assert_eq!(&text[hit.start..hit.end], "пятого марта девяностого");
    }

    #[test]
    fn grouped_document_numbers_near_their_cue() {
        assert_eq!(scan("passport number 123 456 789")[0].0, "passport");
        assert_eq!(
            scan("паспорт сорок пять ноль восемь, номер шестьсот двенадцать триста сорок пять"),
            [("passport", "** ** ******".to_string())]
        );
        assert_eq!(scan("mi DNI es 1234 5678 Z")[0].0, "national_id");
        assert_eq!(scan("NIE X 123 4567 L")[0].0, "national_id");
        assert!(scan("mi DNI es 1234 5678 A").is_empty());
    }

    #[test]
    fn a_masked_phone_leaves_no_letter_or_plus_of_its_value() {
        let text = "мой номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь записали";
        let norm = Normalized::new(text);
        let hit = &find_pii(text, &Context::new(&norm, None), false)[0];
        assert!(
            text[hit.end..].starts_with(" записали"),
            "{}",
            &text[hit.end..]
        );
        let text = "номер +7 (916) 123 45 67, да";
        let norm = Normalized::new(text);
        let hit = &find_pii(text, &Context::new(&norm, None), false)[0];
        assert_eq!(&text[hit.start..hit.end], "+7 (916) 123 45 67");
    }
}
