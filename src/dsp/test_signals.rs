//! Test support, the one place for test signals: one seeded generator ([`Rng`]), synthetic
//! talkers, babble and noises, so the detectors can be checked against known truth.
//!
//! A talker is a glottal pulse train with a wandering f0, shaped by three formant resonators that
//! move from vowel to vowel, gated by a syllabic (3-6 Hz) envelope and grouped into words and
//! phrases separated by pauses. The generator returns the word intervals, which define the truth.

use std::f32::consts::PI;

/// A small seeded generator (SplitMix64): reproducible, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1) with 53 random bits.
    pub fn bipolar(&mut self) -> f64 {
        2.0 * self.unit_f64() - 1.0
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box-Muller).
    pub fn gauss(&mut self) -> f32 {
        let u1 = self.unit().max(1e-7);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

/// A synthesized talker and where its words are, in samples.
pub struct Speech {
    pub samples: Vec<f32>,
    pub words: Vec<(usize, usize)>,
}

impl Speech {
    /// Mean power over the word intervals (the truth for the active speech level).
    pub fn active_power(&self) -> f64 {
        let (sum, n) = self.words.iter().fold((0.0f64, 0usize), |(s, n), &(a, b)| {
            let p: f64 = self.samples[a..b].iter().map(|&x| f64::from(x * x)).sum();
            (s + p, n + b - a)
        });
        sum / n.max(1) as f64
    }

    /// Scales the signal so its active level is `dbfs`.
    pub fn set_active_level(&mut self, dbfs: f64) {
        let gain = (10f64.powf(dbfs / 10.0) / self.active_power()).sqrt() as f32;
        self.samples.iter_mut().for_each(|x| *x *= gain);
    }
}

/// Vowel formant targets (F1, F2, F3) in Hz.
const VOWELS: [[f32; 3]; 6] = [
    [730.0, 1090.0, 2440.0],
    [270.0, 2290.0, 3010.0],
    [530.0, 1840.0, 2480.0],
    [570.0, 840.0, 2410.0],
    [440.0, 1020.0, 2240.0],
    [300.0, 870.0, 2240.0],
];

/// A two-pole resonator whose centre frequency can move (retuned every few samples).
#[derive(Default)]
struct Resonator {
    a1: f32,
    a2: f32,
    gain: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn tune(&mut self, freq_hz: f32, bandwidth_hz: f32, rate: f32) {
        let r = (-PI * bandwidth_hz / rate).exp();
        self.a1 = 2.0 * r * (2.0 * PI * freq_hz / rate).cos();
        self.a2 = -r * r;
        self.gain = 1.0 - r;
    }

    fn step(&mut self, x: f32) -> f32 {
        let y = self.gain * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// Samples between formant retunings.
const RETUNE: usize = 16;

/// One syllable: duration, vowel, peak amplitude, f0 multiplier, fricative onset.
struct Syllable {
    start: usize,
    len: usize,
    vowel: usize,
    amp: f32,
    f0_scale: f32,
    fricative: bool,
}

/// Lays out words (1-4 syllables of 120-300 ms) with word pauses and longer phrase pauses.
fn plan_syllables(rng: &mut Rng, rate: f32, total: usize) -> (Vec<Syllable>, Vec<(usize, usize)>) {
    let mut syllables = Vec::new();
    let mut words = Vec::new();
    let mut t = (rng.range(0.1, 0.6) * rate) as usize;
    let mut words_in_phrase = 0;
    let phrase_len = |rng: &mut Rng| 2 + (rng.unit() * 5.0) as usize;
    let mut phrase_target = phrase_len(rng);
    while t < total {
        let word_start = t;
        let word_amp = rng.range(0.7, 1.3);
        for _ in 0..1 + (rng.unit() * 4.0) as usize {
            let len = (rng.range(0.12, 0.3) * rate) as usize;
            if t + len >= total {
                break;
            }
            syllables.push(Syllable {
                start: t,
                len,
                vowel: (rng.unit() * VOWELS.len() as f32) as usize % VOWELS.len(),
                amp: word_amp * rng.range(0.6, 1.0),
                f0_scale: rng.range(0.85, 1.2),
                fricative: rng.unit() < 0.3,
            });
            t += len;
        }
        if t > word_start {
            words.push((word_start, t.min(total)));
        }
        words_in_phrase += 1;
        let pause_s = if words_in_phrase >= phrase_target {
            words_in_phrase = 0;
            phrase_target = phrase_len(rng);
            rng.range(0.5, 1.5)
        } else {
            rng.range(0.08, 0.35)
        };
        t += (pause_s * rate) as usize;
    }
    (syllables, words)
}

/// A talker with base pitch `f0_hz`, `seconds` long, at `rate` Hz, active level -26 dBFS.
pub fn talker(seed: u64, rate: u32, seconds: f32, f0_hz: f32) -> Speech {
    let mut rng = Rng::new(seed);
    let fs = rate as f32;
    let total = (seconds * fs) as usize;
    let (syllables, words) = plan_syllables(&mut rng, fs, total);
    let mut samples = vec![0.0f32; total];
    let mut formants: [Resonator; 3] = Default::default();
    let mut tilt = 0.0f32;
    let mut phase = 0.0f32;
    let top = 0.45 * fs;
    for (i, syl) in syllables.iter().enumerate() {
        let next_vowel = syllables.get(i + 1).map_or(syl.vowel, |s| s.vowel);
        for k in 0..syl.len {
            let pos = k as f32 / syl.len as f32;
            let env = (PI * pos).sin().powf(0.7);
            let glide = (pos - 0.6).max(0.0) / 0.4;
            let target = |j: usize| {
                let f = VOWELS[syl.vowel][j] * (1.0 - glide) + VOWELS[next_vowel][j] * glide;
                f.min(top)
            };
            let f0 = f0_hz * syl.f0_scale * (1.0 + 0.1 * (1.0 - 2.0 * pos));
            phase += f0 / fs;
            let pulse = if phase >= 1.0 {
                phase -= 1.0;
                1.0
            } else {
                0.0
            };
            tilt = 0.9 * tilt + pulse;
            let mut x = if syl.fricative && pos < 0.25 {
                0.3 * rng.gauss()
            } else {
                tilt + 0.02 * rng.gauss()
            };
            for (j, formant) in formants.iter_mut().enumerate() {
                if k % RETUNE == 0 {
                    formant.tune(target(j), 80.0 + 40.0 * j as f32, fs);
                }
                x = formant.step(x) * 4.0;
            }
            samples[syl.start + k] = x * env;
        }
        equalize(&mut samples[syl.start..syl.start + syl.len], syl.amp);
    }
    let mut speech = Speech { samples, words };
    speech.set_active_level(-26.0);
    speech
}

/// Scales a syllable to RMS `amp` / 10, so that vowels differ in level no more than real ones
/// (the resonators alone would make close vowels far louder than open ones).
fn equalize(syllable: &mut [f32], amp: f32) {
    let power = syllable.iter().map(|v| v * v).sum::<f32>() / syllable.len().max(1) as f32;
    if power > 0.0 {
        let gain = amp * 0.1 / power.sqrt();
        syllable.iter_mut().for_each(|v| *v *= gain);
    }
}

/// Several talkers summed (continuous babble), scaled to mean power `dbfs`.
pub fn babble(seed: u64, rate: u32, seconds: f32, talkers: usize, dbfs: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let total = (seconds * rate as f32) as usize;
    let mut sum = vec![0.0f32; total];
    for k in 0..talkers {
        let voice = talker(seed * 31 + k as u64, rate, seconds, rng.range(90.0, 230.0));
        sum.iter_mut()
            .zip(&voice.samples)
            .for_each(|(s, v)| *s += v);
    }
    scale_to_power(sum, dbfs)
}

/// Uniform white noise in [-amplitude, amplitude) (full scale = 1.0), `len` samples.
pub fn uniform(seed: u64, len: usize, amplitude: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| (rng.bipolar() * amplitude) as f32)
        .collect()
}

/// Gaussian white noise at mean power `dbfs`.
pub fn white(seed: u64, len: usize, dbfs: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    scale_to_power((0..len).map(|_| rng.gauss()).collect(), dbfs)
}

/// Pink (1/f) noise above 10 Hz at sample rate `rate`, Paul Kellet's filter, at mean power `dbfs`.
pub fn pink(seed: u64, rate: u32, len: usize, dbfs: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut b = [0.0f32; 7];
    let noise = (0..len)
        .map(|_| {
            let w = rng.gauss();
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let y = b[..6].iter().sum::<f32>() + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            y
        })
        .collect();
    scale_to_power(infrasound_removed(noise, rate), dbfs)
}

/// Brown (1/f²) noise above 10 Hz, a leaky integrator: the rumble of a fan; mean power `dbfs`.
pub fn brown(seed: u64, rate: u32, len: usize, dbfs: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut y = 0.0f32;
    let noise = (0..len)
        .map(|_| {
            y = 0.995 * y + rng.gauss();
            y
        })
        .collect();
    scale_to_power(infrasound_removed(noise, rate), dbfs)
}

/// A sine of `hz` with peak `amplitude` (full scale = 1.0) lasting `seconds` at `rate` Hz.
pub fn sine(rate: u32, hz: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| {
            (amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin())
                as f32
        })
        .collect()
}

/// Mains hum: `hz` and its first harmonics, at mean power `dbfs`.
pub fn hum(rate: u32, len: usize, hz: f32, dbfs: f64) -> Vec<f32> {
    let fs = rate as f32;
    let tone = (0..len)
        .map(|i| {
            let t = i as f32 / fs;
            (1..=5)
                .map(|h| (2.0 * PI * hz * h as f32 * t).sin() / h as f32)
                .sum()
        })
        .collect();
    scale_to_power(tone, dbfs)
}

/// Removes what lies below 10 Hz (where the meters stop listening) with a one-pole high-pass.
fn infrasound_removed(x: Vec<f32>, rate: u32) -> Vec<f32> {
    let pole = 1.0 - 2.0 * PI * 10.0 / rate as f32;
    let (mut x1, mut y1) = (0.0f32, 0.0f32);
    x.into_iter()
        .map(|v| {
            y1 = v - x1 + pole * y1;
            x1 = v;
            y1
        })
        .collect()
}

/// Scales a signal to mean power `dbfs` (a no-op on silence).
pub fn scale_to_power(mut x: Vec<f32>, dbfs: f64) -> Vec<f32> {
    let power = x.iter().map(|&v| f64::from(v * v)).sum::<f64>() / x.len().max(1) as f64;
    if power > 0.0 {
        let gain = (10f64.powf(dbfs / 10.0) / power).sqrt() as f32;
        x.iter_mut().for_each(|v| *v *= gain);
    }
    x
}

/// `a + b` sample by sample over the length of `a`.
pub fn mix(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter()
        .zip(b.iter().chain(std::iter::repeat(&0.0)))
        .map(|(x, y)| x + y)
        .collect()
}
