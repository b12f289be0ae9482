//! Where a channel's kept speech waits between the decoding pass and the recogniser: in memory
//! while it is short, in an unnamed temporary file once it passes [`IN_MEMORY_SAMPLES`], so the
//! memory a recording needs does not grow with its amount of speech (issue 17, "Memory budget").
//! Samples are stored as they are (f32), so what the recogniser reads back is bit for bit what
//! the gate kept. Without a writable temporary folder (`$TMPDIR`, else `/tmp`) they stay in
//! memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

/// Kept samples beyond this many go to a temporary file: 1 minute at 16 kHz (3.84 MB).
pub const IN_MEMORY_SAMPLES: usize = 60 * 16_000;
/// Samples gathered in memory before one write to the file (1 MB).
const WRITE_BLOCK: usize = 256 * 1024;
const BYTES: usize = std::mem::size_of::<f32>();

/// An append-only store of f32 samples with reads of any range.
#[derive(Debug)]
pub struct SampleStore {
    /// Every sample while nothing was spilled; afterwards the ones not yet written to `file`.
    memory: Vec<f32>,
    /// The unnamed temporary file holding the first `written` samples.
    file: Option<File>,
    written: usize,
    /// Samples beyond which the store spills (tests use small values).
    spill_at: usize,
}

impl Default for SampleStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SampleStore {
    /// An empty store that spills past [`IN_MEMORY_SAMPLES`].
    pub fn new() -> Self {
        Self::spilling_at(IN_MEMORY_SAMPLES)
    }

    /// An empty store that spills once it holds more than `spill_at` samples.
    pub fn spilling_at(spill_at: usize) -> Self {
        Self {
            memory: Vec::new(),
            file: None,
            written: 0,
            spill_at,
        }
    }

    /// A store holding `samples` in memory (and keeping them there).
    pub fn from_vec(samples: Vec<f32>) -> Self {
        Self {
            memory: samples,
            file: None,
            written: 0,
            spill_at: usize::MAX,
        }
    }

    /// Samples stored.
    pub fn len(&self) -> usize {
        self.written + self.memory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the samples live in a temporary file.
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Appends `samples`; past the spill size they go to the temporary file in blocks.
    pub fn extend(&mut self, samples: &[f32]) -> io::Result<()> {
        self.memory.extend_from_slice(samples);
        if self.file.is_none() && self.memory.len() > self.spill_at {
            match tempfile::tempfile() {
                Ok(file) => self.file = Some(file),
                // No writable temporary folder: the samples stay in memory, as before the store.
                Err(_) => self.spill_at = usize::MAX,
            }
        }
        if self.file.is_some() && self.memory.len() >= WRITE_BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is still in memory to the file (when there is one) and frees that memory.
    pub fn flush(&mut self) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        let mut bytes = Vec::with_capacity(self.memory.len() * BYTES);
        for x in &self.memory {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        file.seek(SeekFrom::Start((self.written * BYTES) as u64))?;
        file.write_all(&bytes)?;
        self.written += self.memory.len();
        self.memory = Vec::new();
        Ok(())
    }

    /// Calls `f` with the samples of `range` (clipped to what is stored): borrowed when they are
    /// in memory, read into a buffer of their own from the file otherwise.
    pub fn with<R>(&self, range: Range<usize>, f: impl FnOnce(&[f32]) -> R) -> io::Result<R> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let Some(file) = self.file.as_ref() else {
            return Ok(f(&self.memory[start..end]));
        };
        let mut out = Vec::with_capacity(end - start);
        if start < self.written {
            let upto = end.min(self.written);
            let mut bytes = vec![0u8; (upto - start) * BYTES];
            let mut reader = file;
            reader.seek(SeekFrom::Start((start * BYTES) as u64))?;
            reader.read_exact(&mut bytes)?;
            out.extend(
                bytes
                    .chunks_exact(BYTES)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        if end > self.written {
            out.extend_from_slice(
                &self.memory[start.max(self.written) - self.written..end - self.written],
            );
        }
        Ok(f(&out))
    }

    /// Every sample, in memory (tests and short audio).
    pub fn to_vec(&self) -> io::Result<Vec<f32>> {
        self.with(0..self.len(), <[f32]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| i as f32 * 0.25 - 3.0).collect()
    }

    #[test]
    fn a_spilled_store_reads_back_what_was_put_in() {
        let samples = ramp(3 * WRITE_BLOCK + 123);
        let mut store = SampleStore::spilling_at(1000);
        for block in samples.chunks(7777) {
            store.extend(block).unwrap();
        }
        assert!(store.spilled());
        // before the last flush part of it is still in memory
        assert_eq!(store.to_vec().unwrap(), samples);
        store.flush().unwrap();
        assert_eq!(store.len(), samples.len());
        assert_eq!(store.to_vec().unwrap(), samples);
        let read = |r: Range<usize>| store.with(r, <[f32]>::to_vec).unwrap();
        assert_eq!(read(5..17), samples[5..17]);
        assert_eq!(
            read(WRITE_BLOCK - 3..WRITE_BLOCK + 3),
            samples[WRITE_BLOCK - 3..WRITE_BLOCK + 3]
        );
        assert_eq!(
            read(samples.len() - 2..samples.len() + 50),
            samples[samples.len() - 2..]
        );
        assert!(read(samples.len() + 1..samples.len() + 9).is_empty());
    }

    #[test]
    fn a_short_store_stays_in_memory() {
        let mut store = SampleStore::new();
        store.extend(&ramp(1000)).unwrap();
        store.flush().unwrap();
        assert!(!store.spilled());
        assert_eq!(store.to_vec().unwrap(), ramp(1000));
        assert_eq!(store.with(10..12, |s| s.len()).unwrap(), 2);
    }
}
