//! Repeated wording: near-identical customer lines across recordings (token shingles, Jaccard similarity).

use std::collections::HashSet;

use super::lexicon::{lexicon, tokens};

/// Lines shorter than this (in tokens, fillers removed) are too common to compare.
pub const MIN_LINE_TOKENS: usize = 6;
/// Tokens per shingle.
pub const SHINGLE_TOKENS: usize = 3;
/// Two lines with at least this Jaccard similarity of their shingle sets count as the same wording.
pub const MIN_JACCARD: f64 = 0.6;

/// One customer line prepared for comparison.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    shingles: HashSet<Vec<String>>,
}

impl Line {
    /// A line's shingles; null when it is too short to compare.
    pub fn new(text: &str) -> Option<Line> {
        let toks = without_fillers(&tokens(text));
        if toks.len() < MIN_LINE_TOKENS {
            return None;
        }
        let shingles = toks
            .windows(SHINGLE_TOKENS)
            .map(<[String]>::to_vec)
            .collect();
        Some(Line {
            text: text.trim().to_string(),
            shingles,
        })
    }

    /// Jaccard similarity (0..1) of the two lines' shingle sets.
    pub fn similarity(&self, other: &Line) -> f64 {
        let shared = self.shingles.intersection(&other.shingles).count();
        let all = self.shingles.len() + other.shingles.len() - shared;
        if all == 0 {
            0.0
        } else {
            shared as f64 / all as f64
        }
    }
}

fn without_fillers(toks: &[String]) -> Vec<String> {
    let fillers = &lexicon().fillers;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match fillers.longest_match_at(toks, i) {
            Some(len) => i += len,
            None => {
                out.push(toks[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// A customer line of one recording that matches one of another recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub line: String,
    pub other_line: String,
    pub similarity: f64,
}

impl Match {
    /// The same match seen from the other recording.
    pub fn mirrored(&self) -> Match {
        Match {
            line: self.other_line.clone(),
            other_line: self.line.clone(),
            similarity: self.similarity,
        }
    }
}

/// Matching line pairs between two recordings' customer lines, best first.
pub fn matches(lines: &[Line], others: &[Line]) -> Vec<Match> {
    let mut out: Vec<Match> = Vec::new();
    for a in lines {
        let best = others
            .iter()
            .map(|b| (b, a.similarity(b)))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((b, similarity)) = best.filter(|(_, s)| *s >= MIN_JACCARD) {
            out.push(Match {
                line: a.text.clone(),
                other_line: b.text.clone(),
                similarity,
            });
        }
    }
    out.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_identical_lines_match_and_different_ones_do_not() {
        let a = Line::new("Hello, I saw your special offer and I want to know the price.").unwrap();
        let b =
            Line::new("Hello, um, I saw your special offer and I want to know the price").unwrap();
        let c =
            Line::new("My internet has been down since yesterday evening, please help.").unwrap();
        assert!(a.similarity(&b) > 0.95);
        assert!(a.similarity(&c) < 0.1);
        let m = matches(&[a.clone(), c.clone()], &[b]);
        assert_eq!(m.len(), 1);
        assert!(m[0].line.starts_with("Hello, I saw"));
    }

    #[test]
    fn short_lines_are_not_compared() {
        assert!(Line::new("yes, that's right").is_none());
    }
}
