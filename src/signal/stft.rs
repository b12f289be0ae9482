//! Streaming short-time Fourier transform shared by the spectral, activity and crosstalk analyses.
//!
//! Push blocks of any size; every complete frame (Hann window, one real FFT plan reused) is handed to a
//! callback as a power spectrum whose bins sum to the frame's mean square, so that levels read directly
//! in dBFS. Chunking never changes the result: the same frames come out bit for bit.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

use crate::dsp::window;

/// One analysed frame, lent to the callback of [`Stft::push`].
#[derive(Debug)]
pub struct StftFrame<'a> {
    /// Frame number, 0-based.
    pub index: u64,
    /// Time of the frame's first sample, seconds from the start of the stream.
    pub start_s: f64,
    /// Power per bin from 0 Hz to Nyquist (full scale = 1.0). Summed over all bins it equals the mean
    /// square of the Hann-weighted frame, so a sine of amplitude `a` contributes `a²/2` spread over its
    /// main lobe (a full-scale sine: 0.5, -3.01 dBFS), and white noise of variance `v` gives `v` in total.
    pub power: &'a [f32],
    /// The complex spectrum of the windowed frame (unscaled FFT output), for cross-spectra and phase.
    pub spectrum: &'a [Complex32],
}

/// Streaming STFT over one channel at its native rate.
pub struct Stft {
    sample_rate_hz: u32,
    frame_len: usize,
    hop_len: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    pending: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
    power: Vec<f32>,
    scale_inner: f32,
    scale_edge: f32,
    frames: u64,
}

impl Stft {
    /// A frame of `frame_s` seconds every `hop_s` seconds (both rounded to whole samples at
    /// `sample_rate_hz`; the hop is clamped to 1..=frame length).
    pub fn new(sample_rate_hz: u32, frame_s: f64, hop_s: f64) -> Self {
        let rate = f64::from(sample_rate_hz);
        let frame_len = (frame_s * rate).round().max(2.0) as usize;
        let hop_len = (hop_s * rate).round().max(1.0) as usize;
        Self::with_lengths(sample_rate_hz, frame_len, hop_len)
    }

    /// A frame of `frame_len` samples every `hop_len` samples (clamped to 1..=frame_len).
    pub fn with_lengths(sample_rate_hz: u32, frame_len: usize, hop_len: usize) -> Self {
        let frame_len = frame_len.max(2);
        let hop_len = hop_len.clamp(1, frame_len);
        let window = window::periodic_hann(frame_len);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(frame_len);
        let window_energy: f64 = window.iter().map(|w| f64::from(*w).powi(2)).sum();
        let scale_edge = 1.0 / (frame_len as f64 * window_energy);
        Self {
            sample_rate_hz,
            frame_len,
            hop_len,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; frame_len / 2 + 1],
            pending: Vec::with_capacity(frame_len),
            window,
            fft,
            scale_inner: (2.0 * scale_edge) as f32,
            scale_edge: scale_edge as f32,
            frames: 0,
        }
    }

    /// The rate the stream is sampled at, Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Frame length, samples.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Hop between frame starts, samples.
    pub fn hop_len(&self) -> usize {
        self.hop_len
    }

    /// Frame length, seconds.
    pub fn frame_s(&self) -> f64 {
        self.frame_len as f64 / f64::from(self.sample_rate_hz)
    }

    /// Hop between frame starts, seconds.
    pub fn hop_s(&self) -> f64 {
        self.hop_len as f64 / f64::from(self.sample_rate_hz)
    }

    /// Number of bins in each power spectrum (0 Hz to Nyquist).
    pub fn bins(&self) -> usize {
        self.power.len()
    }

    /// Spacing between bins, Hz.
    pub fn bin_width_hz(&self) -> f64 {
        f64::from(self.sample_rate_hz) / self.frame_len as f64
    }

    /// Centre frequency of `bin`, Hz.
    pub fn bin_hz(&self, bin: usize) -> f64 {
        bin as f64 * self.bin_width_hz()
    }

    /// The bin nearest to `hz`, clamped to the spectrum.
    pub fn hz_to_bin(&self, hz: f64) -> usize {
        let bin = (hz / self.bin_width_hz()).round().max(0.0) as usize;
        bin.min(self.bins() - 1)
    }

    /// Time of the first sample of frame `index`, seconds.
    pub fn frame_start_s(&self, index: u64) -> f64 {
        index as f64 * self.hop_s()
    }

    /// How many frames have been emitted so far.
    pub fn frames_emitted(&self) -> u64 {
        self.frames
    }

    /// Feeds the next samples (full scale = 1.0) and calls `on_frame` for every frame they complete.
    /// A trailing incomplete frame waits for more samples (and is never emitted if none come).
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&StftFrame<'_>)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.frame_len - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == self.frame_len {
                self.transform_pending();
                on_frame(&StftFrame {
                    index: self.frames,
                    start_s: self.frame_start_s(self.frames),
                    power: &self.power,
                    spectrum: &self.spectrum,
                });
                self.frames += 1;
                self.pending.drain(..self.hop_len);
            }
        }
    }

    fn transform_pending(&mut self) {
        for ((x, s), w) in self.input.iter_mut().zip(&self.pending).zip(&self.window) {
            *x = s * w;
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .expect("buffers come from the plan, so their lengths match");
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr() * self.scale_inner;
        }
        self.power[0] = self.spectrum[0].norm_sqr() * self.scale_edge;
        if self.frame_len.is_multiple_of(2) {
            let nyquist = self.power.len() - 1;
            self.power[nyquist] = self.spectrum[nyquist].norm_sqr() * self.scale_edge;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals::sine;

    fn collect_frames(stft: &mut Stft, chunks: &[&[f32]]) -> Vec<Vec<f32>> {
        let mut frames = Vec::new();
        for chunk in chunks {
            stft.push(chunk, |f| frames.push(f.power.to_vec()));
        }
        frames
    }

    /// Pseudo-random noise in [-0.5, 0.5), deterministic.
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        crate::dsp::test_signals::uniform(seed, n, 0.5)
    }

    #[test]
    fn sine_lands_in_its_bin_with_its_power() {
        let rate = 16_000;
        let mut stft = Stft::new(rate, 0.032, 0.016);
        assert_eq!(
            (stft.frame_len(), stft.hop_len(), stft.bins()),
            (512, 256, 257)
        );
        let hz = stft.bin_hz(64); // 2000 Hz, exactly on a bin
        let signal = sine(rate, hz, 0.5, 0.5);
        for frame in collect_frames(&mut stft, &[&signal]) {
            let peak = (0..frame.len())
                .max_by(|a, b| frame[*a].total_cmp(&frame[*b]))
                .unwrap();
            assert_eq!(peak, 64);
            let lobe: f32 = frame[62..=66].iter().sum();
            assert!((lobe - 0.125).abs() < 1e-4, "lobe power {lobe}"); // 0.5² / 2
            assert!((frame[64] - 0.25 / 3.0).abs() < 1e-4); // Hann peak bin holds 2/3 of the lobe
        }
    }

    #[test]
    fn white_noise_total_power_is_its_variance() {
        let signal = noise(48_000, 7);
        let mut stft = Stft::new(48_000, 0.02, 0.01);
        let frames = collect_frames(&mut stft, &[&signal]);
        let mean_total: f64 = frames
            .iter()
            .map(|f| f.iter().map(|p| f64::from(*p)).sum::<f64>())
            .sum::<f64>()
            / frames.len() as f64;
        let variance = 1.0 / 12.0;
        assert!((mean_total / variance - 1.0).abs() < 0.03, "{mean_total}");
    }

    #[test]
    fn matches_a_direct_dft() {
        let rate = 8_000;
        let signal = noise(300, 3);
        let mut stft = Stft::with_lengths(rate, 100, 50); // not a power of two
        let frames = collect_frames(&mut stft, &[&signal]);
        assert_eq!(frames.len(), 5);
        let window = window::periodic_hann(100);
        let energy: f64 = window.iter().map(|w| f64::from(*w).powi(2)).sum();
        for (index, frame) in frames.iter().enumerate() {
            let start = index * 50;
            for (bin, got) in frame.iter().enumerate() {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for n in 0..100 {
                    let x = f64::from(signal[start + n]) * f64::from(window[n]);
                    let phase = -2.0 * std::f64::consts::PI * (bin * n) as f64 / 100.0;
                    re += x * phase.cos();
                    im += x * phase.sin();
                }
                let one_sided = if bin == 0 || bin == 50 { 1.0 } else { 2.0 };
                let want = one_sided * (re * re + im * im) / (100.0 * energy);
                assert!(
                    (f64::from(*got) - want).abs() <= 1e-5 * want.max(1e-3),
                    "frame {index} bin {bin}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn chunked_equals_whole() {
        let signal = noise(10_000, 11);
        let whole = collect_frames(&mut Stft::new(16_000, 0.025, 0.01), &[&signal]);
        let chunks: Vec<&[f32]> = signal.chunks(37).collect();
        let chunked = collect_frames(&mut Stft::new(16_000, 0.025, 0.01), &chunks);
        assert_eq!(whole.len(), (10_000 - 400) / 160 + 1);
        assert_eq!(whole, chunked);
    }

    #[test]
    fn frame_times_and_bins() {
        let mut stft = Stft::new(44_100, 0.05, 0.025);
        assert_eq!(stft.hop_len(), 1103);
        assert!((stft.bin_hz(stft.hz_to_bin(1000.0)) - 1000.0).abs() <= stft.bin_width_hz() / 2.0);
        assert_eq!(stft.hz_to_bin(1e9), stft.bins() - 1);
        let mut starts = Vec::new();
        stft.push(&vec![0.0; 44_100], |f| starts.push(f.start_s));
        assert_eq!(starts.len() as u64, stft.frames_emitted());
        assert!((starts[2] - 2.0 * 1103.0 / 44_100.0).abs() < 1e-12);
    }
}
