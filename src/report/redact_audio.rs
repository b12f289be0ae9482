//! `--redact-audio DIR`, the pure part: personal-data times to sample ranges, a tone or silence
//! laid over those ranges block by block, and a streaming 16-bit PCM WAV writer. The decode loop
//! and the files are in `commands::redact_audio`.

use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;

/// Seconds added before and after every span (word timings from whisper are approximate).
pub const PAD_S: f64 = 0.15;

/// Frequency of the tone that replaces personal data, Hz.
pub const TONE_HZ: f64 = 1000.0;

/// Amplitude of the tone (full scale = 1.0): clearly audible, well below clipping.
pub const TONE_LEVEL: f32 = 0.25;

/// What replaces a redacted span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// A [`TONE_HZ`] sine at [`TONE_LEVEL`].
    Tone,
    Silence,
}

/// Sample ranges (frame indices, end exclusive) covering every span padded by `pad_s` on both
/// sides, clamped at 0, sorted and merged where they touch or overlap. Spans that are not finite
/// or end before they start are skipped.
pub fn sample_ranges(spans_s: &[(f64, f64)], rate_hz: u32, pad_s: f64) -> Vec<Range<u64>> {
    let rate = f64::from(rate_hz);
    let frames: Vec<(u64, u64)> = spans_s
        .iter()
        .filter(|(start, end)| start.is_finite() && end.is_finite() && end >= start)
        .map(|&(start, end)| {
            let from = ((start - pad_s).max(0.0) * rate).floor() as u64;
            let to = ((end + pad_s).max(0.0) * rate).ceil() as u64;
            (from, to)
        })
        .filter(|(from, to)| from < to)
        .collect();
    merge_overlapping(frames)
        .into_iter()
        .map(|(from, to)| from..to)
        .collect()
}

/// Ranges (start, end) sorted by start and merged where they touch or overlap.
fn merge_overlapping<T: PartialOrd + Copy>(mut list: Vec<(T, T)>) -> Vec<(T, T)> {
    list.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<(T, T)> = Vec::with_capacity(list.len());
    for (start, end) in list {
        match out.last_mut() {
            Some(last) if start <= last.1 => {
                if end > last.1 {
                    last.1 = end;
                }
            }
            _ => out.push((start, end)),
        }
    }
    out
}

/// Shortest stretch of speech without a transcribed word that counts as unheard, seconds.
pub const UNHEARD_MIN_S: f64 = 0.5;

/// Each transcribed word covers this much more on both sides when looking for unheard speech,
/// seconds (word timings from whisper are approximate).
pub const HEARD_PAD_S: f64 = 0.25;

/// An unheard stretch that starts at most this long after a personal-data cue word or a hidden
/// span is hidden too, seconds.
pub const UNHEARD_REACH_S: f64 = 10.0;

/// The stretches of speech (voice activity, seconds) that no transcribed word covers (`heard_s`
/// padded by [`HEARD_PAD_S`]), at least [`UNHEARD_MIN_S`] long, that start within
/// [`UNHEARD_REACH_S`] after an anchor (the end of a personal-data cue word or of a hidden span,
/// seconds). Whisper sometimes writes nothing for a number read out after "my phone is": what
/// it did not write, the text mask cannot hide, so the audio mask hides the whole stretch.
pub fn unheard_after_cues(
    speech_s: &[(f64, f64)],
    heard_s: &[(f64, f64)],
    anchors_s: &[f64],
) -> Vec<(f64, f64)> {
    let heard = merge_overlapping(
        heard_s
            .iter()
            .filter(|(s, e)| s.is_finite() && e.is_finite() && e >= s)
            .map(|&(start, end)| (start - HEARD_PAD_S, end + HEARD_PAD_S))
            .collect(),
    );
    let mut unheard = Vec::new();
    for &(start, end) in speech_s.iter().filter(|(s, e)| s.is_finite() && e >= s) {
        let mut from = start;
        for &(h_start, h_end) in heard.iter().filter(|(s, e)| *e > start && *s < end) {
            if h_start > from {
                unheard.push((from, h_start));
            }
            from = from.max(h_end);
        }
        if end > from {
            unheard.push((from, end));
        }
    }
    unheard.retain(|&(start, end)| {
        end - start >= UNHEARD_MIN_S
            && anchors_s
                .iter()
                .any(|&a| a <= start + HEARD_PAD_S && start - a <= UNHEARD_REACH_S)
    });
    unheard
}

/// Replaces, in a block of per-channel samples whose first frame is frame `start` of the
/// recording, every frame inside `ranges` by `fill` on every channel. The tone's phase follows the
/// frame index, so a span crossing blocks stays one continuous sine.
pub fn apply(block: &mut [Vec<f32>], start: u64, ranges: &[Range<u64>], fill: Fill, rate_hz: u32) {
    let frames = block.iter().map(Vec::len).max().unwrap_or(0) as u64;
    let end = start + frames;
    let step = std::f64::consts::TAU * TONE_HZ / f64::from(rate_hz.max(1));
    for range in ranges.iter().filter(|r| r.start < end && start < r.end) {
        let from = range.start.max(start);
        let to = range.end.min(end);
        for frame in from..to {
            let value = match fill {
                Fill::Tone => TONE_LEVEL * ((frame as f64 * step).sin() as f32),
                Fill::Silence => 0.0,
            };
            let at = (frame - start) as usize;
            for channel in block.iter_mut() {
                if let Some(sample) = channel.get_mut(at) {
                    *sample = value;
                }
            }
        }
    }
}

/// Bytes of the canonical PCM WAV header (RIFF, `fmt ` of 16 bytes, `data`).
pub const WAV_HEADER_BYTES: u64 = 44;

/// A 16-bit PCM WAV file written block by block; the RIFF and data sizes are patched in by
/// [`WavWriter::finish`].
pub struct WavWriter<W: Write + Seek> {
    out: W,
    channels: u16,
    data_bytes: u64,
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header with sizes 0 (to be patched).
    pub fn new(mut out: W, rate_hz: u32, channels: u16) -> std::io::Result<Self> {
        out.write_all(&header(rate_hz, channels, 0))?;
        Ok(Self {
            out,
            channels,
            data_bytes: 0,
        })
    }

    /// Appends one block of per-channel samples (full scale = 1.0), interleaved, clamped and
    /// rounded to 16 bits.
    pub fn write_block(&mut self, block: &[Vec<f32>]) -> std::io::Result<()> {
        let frames = block.iter().map(Vec::len).min().unwrap_or(0);
        let mut bytes = Vec::with_capacity(frames * usize::from(self.channels) * 2);
        for frame in 0..frames {
            for channel in 0..usize::from(self.channels) {
                let sample = block.get(channel).map_or(0.0, |c| c[frame]);
                let value = (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16;
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        self.out.write_all(&bytes)?;
        self.data_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Patches the sizes into the header and hands the writer back (flushed).
    pub fn finish(mut self) -> std::io::Result<W> {
        let data = u32::try_from(self.data_bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the redacted audio is over 4 GiB, more than a WAV file can hold",
            )
        })?;
        if data % 2 == 1 {
            self.out.write_all(&[0])?;
        }
        let riff = data + (data % 2) + (WAV_HEADER_BYTES as u32 - 8);
        self.out.seek(SeekFrom::Start(4))?;
        self.out.write_all(&riff.to_le_bytes())?;
        self.out.seek(SeekFrom::Start(40))?;
        self.out.write_all(&data.to_le_bytes())?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The 44-byte header of a 16-bit PCM WAV file holding `data_bytes` of samples.
pub fn header(rate_hz: u32, channels: u16, data_bytes: u32) -> [u8; 44] {
    let block_align = channels * 2;
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(data_bytes.saturating_add(36)).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&rate_hz.to_le_bytes());
    h[28..32].copy_from_slice(&(rate_hz * u32::from(block_align)).to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn ranges_are_padded_clamped_and_merged() {
        let ranges = sample_ranges(
            &[(1.0, 1.5), (0.05, 0.2), (1.6, 2.0), (f64::NAN, 1.0)],
            100,
            0.25,
        );
        assert_eq!(ranges, vec![0..45, 75..225]);
        assert!(sample_ranges(&[(2.0, 1.0)], 100, 0.0).is_empty());
    }

    #[test]
    fn speech_no_word_covers_after_a_cue_is_unheard() {
        // Speech 0-10 s; words until 4 s and from 7 s; a cue ends at 3.5 s.
        let speech = [(0.0, 10.0)];
        let heard = [(0.5, 3.5), (3.6, 4.0), (7.0, 9.5)];
        let unheard = unheard_after_cues(&speech, &heard, &[3.5]);
        assert_eq!(unheard.len(), 1);
        let (start, end) = unheard[0];
        assert!(
            (start - 4.25).abs() < 1e-9 && (end - 6.75).abs() < 1e-9,
            "{unheard:?}"
        );
        // No cue before it, or the cue too long before: nothing.
        assert!(unheard_after_cues(&speech, &heard, &[]).is_empty());
        assert!(unheard_after_cues(&speech, &heard, &[8.0]).is_empty());
        assert!(unheard_after_cues(&[(20.0, 30.0)], &[], &[5.0]).is_empty());
        // A gap shorter than the minimum, or outside speech, is not unheard.
        let close = [(0.5, 4.0), (4.8, 9.5)];
        assert!(unheard_after_cues(&speech, &close, &[3.5]).is_empty());
        assert!(unheard_after_cues(&[(0.0, 4.0)], &heard, &[3.5]).is_empty());
        // Unheard speech at the end of a region, and a whole region without words.
        let tail = unheard_after_cues(&[(0.0, 6.0), (8.0, 9.0)], &[(1.0, 3.0)], &[3.0]);
        assert_eq!(tail, vec![(3.25, 6.0), (8.0, 9.0)]);
    }

    #[test]
    fn header_bytes_are_canonical() {
        let h = header(8000, 2, 400);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 436);
        assert_eq!(&h[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([h[20], h[21]]), 1);
        assert_eq!(u16::from_le_bytes([h[22], h[23]]), 2);
        assert_eq!(u32::from_le_bytes(h[24..28].try_into().unwrap()), 8000);
        assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 32000);
        assert_eq!(u16::from_le_bytes([h[32], h[33]]), 4);
        assert_eq!(u16::from_le_bytes([h[34], h[35]]), 16);
        assert_eq!(&h[36..40], b"data");
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 400);
    }

    #[test]
    fn writer_streams_blocks_and_patches_sizes() {
        let mut writer = WavWriter::new(Cursor::new(Vec::new()), 16000, 2).unwrap();
        writer
            .write_block(&[vec![0.5, -1.0, 2.0], vec![0.0, 0.25, -2.0]])
            .unwrap();
        writer.write_block(&[vec![1.0], vec![-1.0]]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        assert_eq!(bytes.len(), 44 + 4 * 4);
        assert_eq!(&bytes[..44], &header(16000, 2, 16));
        let samples: Vec<i16> = bytes[44..]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(
            samples,
            vec![16384, 0, -32767, 8192, 32767, -32767, 32767, -32767]
        );
    }

    /// Zero crossings of a signal (sign changes).
    fn crossings(samples: &[f32]) -> usize {
        samples
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count()
    }

    #[test]
    fn tone_is_1khz_on_every_channel_and_continuous_across_blocks() {
        let rate = 16000;
        // One second of redaction split over blocks of 1000 frames, applied to a stereo signal
        // of ones.
        let ranges = std::slice::from_ref(&(0..16000u64));
        let mut left = Vec::new();
        let mut right = Vec::new();
        for b in 0..16u64 {
            let mut block = vec![vec![1.0f32; 1000], vec![1.0f32; 1000]];
            apply(&mut block, b * 1000, ranges, Fill::Tone, rate);
            left.extend_from_slice(&block[0]);
            right.extend_from_slice(&block[1]);
        }
        assert_eq!(left, right);
        // 1000 Hz for 1 s: 2000 sign changes (give or take one at the edges).
        let n = crossings(&left);
        assert!((1998..=2001).contains(&n), "{n} zero crossings");
        let peak = left.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((peak - TONE_LEVEL).abs() < 0.01);
        // Block edges do not jump: neighbouring samples differ by at most one step of the sine.
        let max_step = left
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < TONE_LEVEL * 0.4, "{max_step}");
    }

    #[test]
    fn silence_covers_exactly_the_range_across_a_block_boundary() {
        let ranges = std::slice::from_ref(&(7..13u64));
        let mut first = vec![vec![1.0f32; 10]];
        let mut second = vec![vec![1.0f32; 10]];
        apply(&mut first, 0, ranges, Fill::Silence, 8000);
        apply(&mut second, 10, ranges, Fill::Silence, 8000);
        let all: Vec<f32> = first[0].iter().chain(&second[0]).copied().collect();
        for (i, s) in all.iter().enumerate() {
            let expected = if (7..13).contains(&i) { 0.0 } else { 1.0 };
            assert_eq!(*s, expected, "frame {i}");
        }
    }
}
