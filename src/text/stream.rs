//! A pasted transcript scanned piece by piece, so that `scan` holds a piece and the findings, not
//! the transcript: each piece goes through the [`TranscriptScan`], the personal-data mask and the
//! move to input coordinates, with the few segments at its edge kept for the next piece. Fed as
//! one piece, the result is exactly that of scanning the whole transcript.

use super::facts::Claim;
use super::parse::{ParsedInput, SegmentSource};
use super::redact;
use super::rules::RuleSet;
use super::scan::{merge_in_order, ScanOptions, TranscriptScan};
use crate::model::{Finding, FindingKind, Segment, Transcript};

/// What is left of a [`PieceScan`] when its input has ended, masked and in input coordinates.
pub struct ScanEnd {
    /// The findings not taken with [`PieceScan::take_masked`], in reading order after those.
    pub findings: Vec<Finding>,
    /// Findings decided at the end (manipulation cues, missing required phrases) and placed on
    /// earlier lines: they join the others in reading order ([`merge_in_order`]).
    pub placed_late: Vec<Finding>,
    /// Findings about the whole call (no line), listed after every other.
    pub whole_call: Vec<Finding>,
    /// The claims on facts, in input lines.
    pub claims: Vec<Claim>,
}

impl ScanEnd {
    /// Every finding of the input in its order, given those taken earlier (`taken`, in reading
    /// order; read back from wherever the caller kept them): the end's own findings after them,
    /// the late-placed ones merged in, the whole-call ones last (copies of the end's).
    pub fn in_order<'a, E: 'a>(
        &'a self,
        taken: impl Iterator<Item = Result<Finding, E>> + 'a,
    ) -> impl Iterator<Item = Result<Finding, E>> + 'a {
        let sorted = taken.chain(self.findings.iter().cloned().map(Ok));
        merge_in_order(sorted, self.placed_late.clone())
            .chain(self.whole_call.iter().cloned().map(Ok))
    }

    /// How many findings [`ScanEnd::in_order`] adds to those taken.
    pub fn count(&self) -> usize {
        self.findings.len() + self.placed_late.len() + self.whole_call.len()
    }
}

/// Segments before a piece that the mask looks back at: a value quoted up to two lines after it
/// was said, a number said across a segment split.
const EDGE_SEGMENTS: usize = 3;

/// A parsed piece waiting for its mask: the findings on its last segment are not final until the
/// next piece has been scanned.
struct Piece {
    /// Index of its first segment in the transcript.
    start: usize,
    segments: Vec<Segment>,
    sources: Vec<SegmentSource>,
}

/// The scan of one input fed in pieces; see the module documentation.
pub struct PieceScan<'r> {
    scan: TranscriptScan<'r>,
    show_pii: bool,
    held: Option<Piece>,
    /// Findings taken from the scan and not yet masked (segment coordinates).
    unmasked: Vec<Finding>,
    /// Whole-call findings given with the first piece: masked with it, listed last.
    whole_call: Vec<Finding>,
    /// The last segments before the held piece (text unmasked) and their sources.
    edge: Vec<(Segment, SegmentSource)>,
    /// The personal-data findings on the edge segments (segment coordinates).
    edge_pii: Vec<Finding>,
    /// Sources of the segments a finding decided at the end may be placed on.
    anchor_sources: Vec<(usize, SegmentSource)>,
    fed: usize,
    /// Masked findings in input coordinates, in reading order.
    findings: Vec<Finding>,
    claims: Vec<Claim>,
}

impl<'r> PieceScan<'r> {
    /// A scan whose languages and agent are judged on `head` (the first piece).
    pub fn new(rules: &'r RuleSet, head: &Transcript, options: &ScanOptions<'r>) -> Self {
        Self {
            scan: TranscriptScan::new(rules, head, options),
            show_pii: options.show_pii,
            held: None,
            unmasked: Vec::new(),
            whole_call: Vec::new(),
            edge: Vec::new(),
            edge_pii: Vec::new(),
            anchor_sources: Vec::new(),
            fed: 0,
            findings: Vec::new(),
            claims: Vec::new(),
        }
    }

    /// Scans the next piece; `whole_call` findings (about the whole transcript, `line` none) are
    /// masked with this piece and listed after every other finding.
    pub fn feed(&mut self, piece: ParsedInput, whole_call: Vec<Finding>) {
        let start = self.fed;
        let segments = piece.transcript.segments;
        self.scan.feed(&segments);
        self.fed += segments.len();
        for mut claim in self.scan.take_claims() {
            if let Some(source) = piece.sources.get(claim.line - 1 - start) {
                claim.line = source.line;
            }
            self.claims.push(claim);
        }
        // An index the scan no longer wants (a closing window that moved on) never comes back.
        let wanted = self.scan.anchor_indices();
        self.anchor_sources.retain(|(i, _)| wanted.contains(i));
        for index in wanted {
            let kept = self.anchor_sources.iter().any(|(i, _)| *i == index);
            if let (false, Some(source)) = (kept, index.checked_sub(start)) {
                if let Some(source) = piece.sources.get(source) {
                    self.anchor_sources.push((index, *source));
                }
            }
        }
        let settled = self.scan.take_settled();
        if let Some(previous) = self.held.take() {
            let end = previous.start + previous.segments.len();
            self.unmasked.extend(settled);
            let later = self
                .unmasked
                .partition_point(|f| f.line.is_some_and(|l| l <= end));
            let later = self.unmasked.split_off(later);
            let ready = std::mem::replace(&mut self.unmasked, later);
            self.mask_piece(previous, ready);
        } else {
            self.unmasked.extend(settled);
        }
        self.whole_call.extend(whole_call);
        self.held = Some(Piece {
            start,
            segments,
            sources: piece.sources,
        });
    }

    /// The findings masked so far that no later piece changes, in reading order: masked (unless
    /// personal data is to be shown), in input coordinates (input line, byte offsets in the input).
    /// A caller that takes them after each piece holds no findings of its own.
    pub fn take_masked(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// The rest of the scan once the input has ended; see [`ScanEnd`].
    pub fn finish(mut self) -> ScanEnd {
        let done = self.scan.finish();
        let mut ready = std::mem::take(&mut self.unmasked);
        ready.extend(done.findings);
        let late = done.placed_late.len();
        ready.extend(done.placed_late);
        let mut placed_late = Vec::new();
        if let Some(piece) = self.held.take() {
            self.mask_piece(piece, ready);
            placed_late = self.findings.split_off(self.findings.len() - late);
        }
        ScanEnd {
            findings: self.findings,
            placed_late,
            whole_call: self.whole_call,
            claims: self.claims,
        }
    }

    /// Masks `findings` (segment coordinates; those on lines before the piece's edge are masked
    /// with the whole piece's values) with `piece` and the edge before it, moves them to input
    /// coordinates and appends them; the whole-call findings are masked with the first piece.
    fn mask_piece(&mut self, piece: Piece, findings: Vec<Finding>) {
        let base = piece.start - self.edge.len();
        let end = piece.start + piece.segments.len();
        let mut next_edge: Vec<(Segment, SegmentSource)> = self
            .edge
            .iter()
            .cloned()
            .chain(
                piece
                    .segments
                    .iter()
                    .cloned()
                    .zip(piece.sources.iter().copied()),
            )
            .skip((end - base).saturating_sub(EDGE_SEGMENTS))
            .collect();
        let next_edge_start = end - next_edge.len();
        let in_next_edge =
            |f: &Finding| f.kind == FindingKind::Pii && f.line.is_some_and(|l| l > next_edge_start);
        let next_edge_pii: Vec<Finding> = self
            .edge_pii
            .iter()
            .chain(findings.iter())
            .filter(|f| in_next_edge(f))
            .cloned()
            .collect();
        let mut sources: Vec<SegmentSource> = self.edge.iter().map(|(_, s)| *s).collect();
        sources.extend(&piece.sources);
        let mut transcript = Transcript {
            segments: self.edge.drain(..).map(|(s, _)| s).collect(),
            ..Transcript::default()
        };
        transcript.segments.extend(piece.segments);
        let first_piece = piece.start == 0;
        let mut findings = self.masked(&mut transcript, findings, base, first_piece);
        for f in &mut findings {
            self.to_input_coordinates(f, base, &sources);
        }
        self.findings.extend(findings);
        std::mem::swap(&mut self.edge, &mut next_edge);
        self.edge_pii = next_edge_pii;
    }

    /// The mask over `transcript` (the edge and a piece, its first segment at index `base`).
    fn masked(
        &mut self,
        transcript: &mut Transcript,
        findings: Vec<Finding>,
        base: usize,
        first_piece: bool,
    ) -> Vec<Finding> {
        let end = base + transcript.segments.len();
        if self.show_pii {
            return findings;
        }
        let context = self.edge_pii.len();
        let mut all: Vec<Finding> = std::mem::take(&mut self.edge_pii);
        all.extend(findings);
        let whole_call = if first_piece {
            std::mem::take(&mut self.whole_call)
        } else {
            Vec::new()
        };
        let whole_call_at = all.len();
        all.extend(whole_call);
        // Lines in the piece's own numbering; a finding on a line before it (decided at the end,
        // placed on an early line) is masked against every value of the piece, as a whole-call
        // finding is.
        let lines: Vec<Option<usize>> = all.iter().map(|f| f.line).collect();
        for f in &mut all {
            f.line = f
                .line
                .and_then(|l| l.checked_sub(base).filter(|&l| l >= 1 && l + base <= end));
        }
        redact::mask_transcript_findings(transcript, &mut all);
        for (f, line) in all.iter_mut().zip(lines) {
            f.line = line;
        }
        self.whole_call.extend(all.drain(whole_call_at..));
        all.drain(..context);
        all
    }

    fn to_input_coordinates(&self, f: &mut Finding, base: usize, sources: &[SegmentSource]) {
        let Some(line) = f.line else { return };
        let source = line
            .checked_sub(base + 1)
            .and_then(|i| sources.get(i))
            .or_else(|| {
                self.anchor_sources
                    .iter()
                    .find(|(i, _)| *i + 1 == line)
                    .map(|(_, s)| s)
            });
        if let Some(src) = source {
            if let (Some(offset), Some([s, e])) = (src.offset, f.span) {
                f.span = Some([s + offset, e + offset]);
            }
            f.line = Some(src.line);
        }
    }
}
