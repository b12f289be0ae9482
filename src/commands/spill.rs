//! Findings that `scan` keeps until it prints them: in memory up to a budget for the whole run,
//! past it in one unnamed temporary file as JSON lines, so that a long transcript with a finding
//! every few lines costs disk space, not memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use crate::model::Finding;

/// Findings the whole run holds in memory (about 0.5 kB each) before the one being kept goes to
/// the temporary file, with every later finding of its source.
pub const IN_MEMORY: usize = 20_000;

/// The run's temporary file (made when first needed) and how many findings are in memory.
pub struct FindingSpill {
    file: Option<File>,
    /// Bytes written to the file.
    written: u64,
    in_memory: usize,
    budget: usize,
    /// No writable temporary folder: everything stays in memory, as before the spill.
    unwritable: bool,
}

/// One source's findings in reading order: those in the temporary file (a byte range of it), then
/// those in memory.
#[derive(Debug, Default)]
pub struct KeptFindings {
    spilled: Option<Range<u64>>,
    memory: Vec<Finding>,
    count: usize,
}

impl KeptFindings {
    /// How many findings are kept.
    pub fn len(&self) -> usize {
        self.count
    }
}

impl FindingSpill {
    /// A spill that writes to the temporary file once more than `budget` findings are in memory.
    pub fn new(budget: usize) -> Self {
        Self {
            file: None,
            written: 0,
            in_memory: 0,
            budget,
            unwritable: false,
        }
    }

    /// Keeps `batch`, the next findings of `kept`'s source in reading order. Only the source
    /// being scanned may be given findings: its part of the file must be one range.
    pub fn keep(&mut self, kept: &mut KeptFindings, batch: Vec<Finding>) -> io::Result<()> {
        kept.count += batch.len();
        self.in_memory += batch.len();
        kept.memory.extend(batch);
        if self.in_memory > self.budget && !kept.memory.is_empty() && !self.unwritable {
            if self.file.is_none() {
                match tempfile::tempfile() {
                    Ok(file) => self.file = Some(file),
                    Err(_) => {
                        self.unwritable = true;
                        return Ok(());
                    }
                }
            }
            self.write_out(kept)?;
        }
        Ok(())
    }

    /// Drops the findings of a source that failed part-way (what it wrote stays unread in the file).
    pub fn discard(&mut self, kept: KeptFindings) {
        self.in_memory -= kept.memory.len();
    }

    /// Moves `kept`'s findings in memory to the end of the file.
    fn write_out(&mut self, kept: &mut KeptFindings) -> io::Result<()> {
        let file = self.file.as_ref().expect("the file is made before writing");
        let mut out = BufWriter::new(file);
        out.seek(SeekFrom::Start(self.written))?;
        let start = self.written;
        let moved = kept.memory.len();
        for finding in kept.memory.drain(..) {
            serde_json::to_writer(&mut out, &finding)?;
            out.write_all(b"\n")?;
        }
        self.written = out.stream_position()?;
        out.flush()?;
        self.in_memory -= moved;
        kept.spilled = Some(match kept.spilled.take() {
            Some(range) => range.start..self.written,
            None => start..self.written,
        });
        Ok(())
    }

    /// `kept`'s findings in reading order, read back where they were written out.
    pub fn read<'a>(
        &'a self,
        kept: &'a KeptFindings,
    ) -> impl Iterator<Item = io::Result<Finding>> + 'a {
        let spilled = kept.spilled.clone().map(|range| {
            let file = self.file.as_ref().expect("a spilled range has its file");
            lines(file, range)
        });
        spilled
            .into_iter()
            .flatten()
            .chain(kept.memory.iter().cloned().map(Ok))
    }
}

/// The findings written in `range` of `file`, one JSON object per line.
fn lines(file: &File, range: Range<u64>) -> impl Iterator<Item = io::Result<Finding>> + '_ {
    let mut reader = BufReader::new(file);
    let mut failed = reader.seek(SeekFrom::Start(range.start)).err();
    let mut reader = reader.take(range.end - range.start);
    let mut line = String::new();
    std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            return Some(Err(e));
        }
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_str(&line).map_err(io::Error::from)),
            Err(e) => Some(Err(e)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingKind, Severity};

    fn finding(i: usize) -> Finding {
        let mut f = Finding::new(FindingKind::Pii, "phone", Severity::High, format!("n{i}"));
        f.line = Some(i);
        f.excerpt = Some("call me on ***".into());
        f.details
            .insert("score".into(), (0.1 + i as f64 / 3.0).into());
        f
    }

    fn read_all(spill: &FindingSpill, kept: &KeptFindings) -> Vec<Finding> {
        spill.read(kept).collect::<io::Result<_>>().unwrap()
    }

    #[test]
    fn findings_read_back_as_kept_across_memory_and_file() {
        let mut spill = FindingSpill::new(5);
        let mut small = KeptFindings::default();
        let mut big = KeptFindings::default();
        spill
            .keep(&mut small, (0..3).map(finding).collect())
            .unwrap();
        let expected: Vec<Finding> = (0..40).map(finding).collect();
        for batch in expected.chunks(7) {
            spill.keep(&mut big, batch.to_vec()).unwrap();
        }
        assert!(big.spilled.is_some() && big.memory.is_empty());
        assert!(spill.in_memory <= 5, "{}", spill.in_memory);
        assert_eq!(read_all(&spill, &big), expected);
        assert_eq!(big.len(), 40);
        assert_eq!(
            read_all(&spill, &small),
            (0..3).map(finding).collect::<Vec<_>>()
        );
        // A later source appends after the first one's range, and the first reads the same.
        let mut later = KeptFindings::default();
        spill
            .keep(&mut later, (50..60).map(finding).collect())
            .unwrap();
        assert_eq!(
            read_all(&spill, &later),
            (50..60).map(finding).collect::<Vec<_>>()
        );
        assert_eq!(read_all(&spill, &big), expected);
    }

    #[test]
    fn under_the_budget_nothing_is_written() {
        let mut spill = FindingSpill::new(100);
        let mut kept = KeptFindings::default();
        spill
            .keep(&mut kept, (0..100).map(finding).collect())
            .unwrap();
        assert!(spill.file.is_none() && kept.spilled.is_none());
        assert_eq!(read_all(&spill, &kept).len(), 100);
        spill.discard(kept);
        assert_eq!(spill.in_memory, 0);
    }
}
