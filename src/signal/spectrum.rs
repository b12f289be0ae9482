//! Spectral figures of one channel: effective bandwidth, mains hum, long-term noise spectrum, spectrogram.
//!
//! Two streaming STFTs run over the channel at its native rate:
//! - a short one (~40-64 ms frames, 50% hop) whose frames are averaged into ~0.15 s segments on a
//!   1/12-octave grid. Per band it keeps a histogram of segment levels (the 10th percentile is the
//!   noise spectrum, a minimum-statistics estimate that needs no VAD) and, per segment-level class,
//!   the summed spectrum (so that the long-term spectrum of the louder segments can be formed at the
//!   end). Its frames also feed the adaptive spectrogram thumbnail.
//! - a long one (~0.5-0.75 s frames, 1.3-2 Hz bins, no overlap) up to [`HUM_MAX_HZ`], whose per-bin
//!   30th-percentile level shows steady lines: mains hum is a line at 50 or 60 Hz or their harmonics
//!   that stands out of its neighbourhood in most frames, which speech harmonics (moving pitch) do not.
//!   Mains hum is also there in the speaker's pauses, at the exact multiple of the mains frequency,
//!   so the line must stand out in the quietest long frames too (the long frames' bin powers are
//!   summed per frame-level class) and its peak must lie on the harmonic: a voice held on one note
//!   vanishes in its pauses, and a fan's or a motor's steady tone lies off the mains grid.
//!
//! Memory does not grow with the file length.

use crate::model::{Spectrogram, SpectrumPoint};

use super::stft::Stft;
use crate::dsp::{db, quantile};

/// Lowest frequency of the 1/12-octave analysis grid, Hz.
pub const GRID_MIN_HZ: f64 = 50.0;
/// Bands per octave of the analysis grid (bandwidth, noise spectrum).
pub const BANDS_PER_OCTAVE: f64 = 12.0;
/// Duration over which short frames are averaged before percentiles and level classes, seconds.
pub const SEGMENT_S: f64 = 0.15;
/// Percentile of segment levels taken as the noise spectrum (0..1).
pub const NOISE_PERCENTILE: f64 = 0.1;
/// Segments within this many dB of the 95th-percentile segment level form the "louder" spectrum.
pub const LOUD_RANGE_DB: f64 = 15.0;
/// A band belongs to the effective bandwidth when its loud-segment level is within this many dB
/// of the strongest speech-range band (200-4000 Hz). Noise is not subtracted: noise that the channel
/// passes shows its bandwidth as well as speech does (so speech above 4 kHz masked by hiss still
/// reads as wideband; the price is that broadband noise added after band-limiting reads wide too).
pub const BANDWIDTH_RANGE_DB: f64 = 50.0;
/// The bandwidth ends at the first run of this many consecutive bands below that range.
const BANDWIDTH_GAP_BANDS: usize = 3;
/// Speech range where the in-band reference level is taken, Hz.
const REFERENCE_BAND_HZ: (f64, f64) = (200.0, 4000.0);
/// Highest frequency examined for hum, Hz (eighth harmonic of 60 Hz plus its neighbourhood).
pub const HUM_MAX_HZ: f64 = 520.0;
/// Mains fundamentals told apart, Hz.
pub const MAINS_HZ: [u32; 2] = [50, 60];
/// Harmonics examined for each mains frequency.
const HUM_HARMONICS: u32 = 8;
/// Percentile of long-frame levels used for hum (0..1): a line must be present in most frames.
pub const HUM_PERCENTILE: f64 = 0.3;
/// A hum line must stand this many dB above the median of its neighbourhood.
pub const HUM_MIN_PROMINENCE_DB: f64 = 15.0;
/// ...and be audible: its level at least this, dBFS (as a tone's power in its bin). Lines further
/// down (-90 to -107 dBFS behind a noise gate, as on real read-speech clips) stand out of an empty
/// neighbourhood but nobody hears them.
pub const HUM_MIN_LINE_DBFS: f64 = -80.0;
/// ...and this many dB above the best line of the other mains frequency.
const HUM_MARGIN_DB: f64 = 3.0;
/// Neighbourhood of a hum line, Hz from the line (inner, outer).
const HUM_RING_HZ: (f64, f64) = (4.0, 20.0);
/// A hum line's peak (interpolated between bins) must lie this close to its harmonic, as a fraction
/// of the harmonic's frequency. Grids hold the mains frequency within about ±0.2% in normal
/// operation and recorders' clocks are off by ±0.1% at most; the rest is the estimate's error.
pub const HUM_FREQUENCY_TOLERANCE: f64 = 0.005;
/// The quietest long frames that a hum line must stand out in too: the frame-level classes from the
/// bottom that hold at least this share of the frames (0..1); in speech, the pauses.
pub const HUM_QUIET_SHARE: f64 = 0.1;
/// Fewest long frames (a few seconds) before hum is judged.
const HUM_MIN_FRAMES: u64 = 4;
/// Most time columns of the spectrogram thumbnail.
pub const SPECTROGRAM_MAX_COLUMNS: usize = 400;
/// Frequency rows of the spectrogram thumbnail (0 Hz to Nyquist).
pub const SPECTROGRAM_ROWS: usize = 64;

/// The spectral figures of one channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpectrumStats {
    /// Effective bandwidth, Hz: the highest 1/12-octave band (its centre) of the louder segments'
    /// long-term spectrum still within [`BANDWIDTH_RANGE_DB`] of the strongest speech-range band,
    /// capped at Nyquist; `None` for silence.
    pub bandwidth_hz: Option<f64>,
    /// Mains hum fundamental, Hz (50 or 60); `None` when no hum stands out.
    pub hum_hz: Option<u32>,
    /// How far the strongest hum line stands above its spectral neighbourhood, dB.
    pub hum_level_db: Option<f64>,
    /// Long-term noise spectrum (10th percentile per 1/12-octave band) as power spectral density,
    /// dBFS per Hz (10·log10 of mean square per Hz), from [`GRID_MIN_HZ`] to Nyquist.
    pub noise_spectrum: Vec<SpectrumPoint>,
    /// At most [`SPECTROGRAM_MAX_COLUMNS`] × [`SPECTROGRAM_ROWS`] thumbnail; `None` for an empty stream.
    pub spectrogram: Option<Spectrogram>,
}

/// Streaming spectral analyser.
pub struct SpectrumAnalyzer {
    short: Stft,
    grid: BandGrid,
    segment: SegmentAverager,
    noise: DbHistogram,
    loud: LevelClassSpectra,
    spectrogram: SpectrogramBuilder,
    long: Stft,
    hum_bins: usize,
    hum: DbHistogram,
    hum_by_level: LevelClassSpectra,
}

impl SpectrumAnalyzer {
    /// An analyser for a channel sampled at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32) -> Self {
        let rate = f64::from(sample_rate_hz);
        let short_len = ((0.04 * rate).ceil() as usize).next_power_of_two();
        let short = Stft::with_lengths(sample_rate_hz, short_len, short_len / 2);
        let long_len = ((0.5 * rate).ceil() as usize).next_power_of_two();
        let long = Stft::with_lengths(sample_rate_hz, long_len, long_len);
        let grid = BandGrid::new(&short);
        let frames_per_segment = (SEGMENT_S / short.hop_s()).round().max(1.0) as usize;
        let hum_bins = long.hz_to_bin(HUM_MAX_HZ) + 1;
        Self {
            segment: SegmentAverager::new(grid.len(), frames_per_segment),
            noise: DbHistogram::new(grid.len()),
            loud: LevelClassSpectra::new(grid.len()),
            spectrogram: SpectrogramBuilder::new(&short),
            hum: DbHistogram::new(hum_bins),
            hum_by_level: LevelClassSpectra::new(hum_bins),
            hum_bins,
            grid,
            short,
            long,
        }
    }

    /// Feeds the next samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        let Self {
            short,
            grid,
            segment,
            noise,
            loud,
            spectrogram,
            long,
            hum_bins,
            hum,
            hum_by_level,
        } = self;
        short.push(samples, |frame| {
            spectrogram.add_frame(frame.power);
            if let Some(bands) = segment.add_frame(grid, frame.power) {
                let psd_db = grid.psd_db(bands);
                for (band, db) in psd_db.iter().enumerate() {
                    noise.add(band, *db);
                }
                loud.add(bands);
            }
        });
        long.push(samples, |frame| {
            let hum_power = &frame.power[..*hum_bins];
            for (bin, power) in hum_power.iter().enumerate() {
                hum.add(
                    bin,
                    Some(db::power_db_floored(f64::from(*power), db::FLOOR_POWER)),
                );
            }
            let frame_power: f64 = frame.power.iter().map(|p| f64::from(*p)).sum();
            hum_by_level.add_at(
                db::power_db_floored(frame_power, db::FLOOR_POWER),
                hum_power.iter().map(|p| f64::from(*p)),
            );
        });
    }

    /// The channel's spectral figures.
    pub fn finish(self) -> SpectrumStats {
        let noise_db: Vec<Option<f64>> = (0..self.grid.len())
            .map(|band| self.noise.percentile(band, NOISE_PERCENTILE))
            .collect();
        let loud_db = self
            .loud
            .loud_spectrum()
            .map(|bands| self.grid.psd_db(&bands));
        let (hum_hz, hum_level_db) = self.detect_hum().unzip();
        SpectrumStats {
            bandwidth_hz: loud_db
                .and_then(|loud| effective_bandwidth(&self.grid, &loud))
                .map(|hz| hz.min(f64::from(self.short.sample_rate_hz()) / 2.0)),
            hum_hz,
            hum_level_db,
            noise_spectrum: self.grid.points(&noise_db),
            spectrogram: self.spectrogram.finish(),
        }
    }

    /// The mains frequency whose lines stand out most, and by how much (dB).
    fn detect_hum(&self) -> Option<(u32, f64)> {
        if self.long.frames_emitted() < HUM_MIN_FRAMES {
            return None;
        }
        let levels: Vec<f64> = (0..self.hum_bins)
            .map(|bin| self.hum.percentile(bin, HUM_PERCENTILE).unwrap_or(f64::MIN))
            .collect();
        let quiet: Vec<f64> = self
            .hum_by_level
            .quietest(HUM_QUIET_SHARE)?
            .iter()
            .map(|p| db::power_db_floored(*p, db::FLOOR_POWER))
            .collect();
        let spectra = HumSpectra {
            stft: &self.long,
            levels: &levels,
            quiet: &quiet,
        };
        let scores: Vec<(u32, Line)> = MAINS_HZ
            .iter()
            .map(|&mains| (mains, spectra.prominence(mains)))
            .collect();
        let (best, runner_up) = if scores[0].1.prominence_db >= scores[1].1.prominence_db {
            (scores[0], scores[1])
        } else {
            (scores[1], scores[0])
        };
        let line = best.1;
        let stands_out = line.prominence_db >= HUM_MIN_PROMINENCE_DB
            && line.prominence_db >= runner_up.1.prominence_db + HUM_MARGIN_DB;
        let audible = line.level_dbfs >= HUM_MIN_LINE_DBFS;
        (stands_out && audible).then_some((best.0, line.prominence_db))
    }
}

/// A spectral line: how far it stands above its neighbourhood and how loud it is.
#[derive(Debug, Clone, Copy)]
struct Line {
    prominence_db: f64,
    /// Level of the line's loudest bin, dBFS.
    level_dbfs: f64,
}

/// No line at all.
const NO_LINE: Line = Line {
    prominence_db: f64::MIN,
    level_dbfs: f64::MIN,
};

/// The long STFT's per-bin levels (dB) over the whole recording ([`HUM_PERCENTILE`]) and in its
/// quietest frames ([`HUM_QUIET_SHARE`]), from 0 Hz to [`HUM_MAX_HZ`].
struct HumSpectra<'a> {
    stft: &'a Stft,
    levels: &'a [f64],
    quiet: &'a [f64],
}

impl HumSpectra<'_> {
    /// The most prominent mains line among the harmonics of `mains_hz`, leaving out harmonics
    /// shared with the other mains frequency (300 Hz).
    fn prominence(&self, mains_hz: u32) -> Line {
        (1..=HUM_HARMONICS)
            .map(|h| f64::from(h * mains_hz))
            .filter(|hz| *hz + HUM_RING_HZ.1 <= self.stft.bin_hz(self.levels.len() - 1))
            .filter(|hz| {
                MAINS_HZ
                    .iter()
                    .filter(|m| hz % f64::from(**m) == 0.0)
                    .count()
                    == 1
            })
            .map(|hz| self.mains_line(hz))
            .fold(NO_LINE, |best, line| {
                if line.prominence_db > best.prominence_db {
                    line
                } else {
                    best
                }
            })
    }

    /// The line at the harmonic `hz`: its prominence is the smaller of the two spectra's (it must
    /// stand out over the recording and in its pauses); no line when its peak lies off `hz`.
    fn mains_line(&self, hz: f64) -> Line {
        let whole = line_prominence(self.stft, self.levels, hz);
        let on_harmonic = whole
            .peak_hz
            .is_some_and(|peak| (peak - hz).abs() <= HUM_FREQUENCY_TOLERANCE * hz);
        if !on_harmonic {
            return NO_LINE;
        }
        let quiet = line_prominence(self.stft, self.quiet, hz);
        Line {
            prominence_db: whole.line.prominence_db.min(quiet.line.prominence_db),
            level_dbfs: whole.line.level_dbfs,
        }
    }
}

/// A line near a harmonic and where its peak lies.
struct Measured {
    line: Line,
    /// Frequency of the peak, Hz, interpolated between bins; `None` when the loudest bin near the
    /// harmonic is no local maximum (the slope of something else).
    peak_hz: Option<f64>,
}

/// How far the level near `hz` stands above the median level of its neighbourhood, its level, and
/// where its peak lies.
fn line_prominence(stft: &Stft, levels: &[f64], hz: f64) -> Measured {
    let width = stft.bin_width_hz();
    let reach = width.max(0.004 * hz);
    let peak_bin = (0..levels.len())
        .filter(|bin| (stft.bin_hz(*bin) - hz).abs() <= reach)
        .max_by(|a, b| levels[*a].total_cmp(&levels[*b]))
        .expect("a harmonic below HUM_MAX_HZ has bins");
    let line = levels[peak_bin];
    let mut ring: Vec<f64> = (0..levels.len())
        .filter(|bin| {
            let distance = (stft.bin_hz(*bin) - hz).abs();
            distance >= HUM_RING_HZ.0.max(reach + 2.0 * width) && distance <= HUM_RING_HZ.1
        })
        .map(|bin| levels[bin])
        .collect();
    let peak_hz = peak_offset(levels, peak_bin).map(|offset| (peak_bin as f64 + offset) * width);
    if ring.is_empty() {
        return Measured {
            line: Line {
                prominence_db: f64::MIN,
                level_dbfs: line,
            },
            peak_hz,
        };
    }
    ring.sort_by(f64::total_cmp);
    Measured {
        line: Line {
            prominence_db: line - quantile::at_fraction(&ring, 1, 2).expect("ring is not empty"),
            level_dbfs: line,
        },
        peak_hz,
    }
}

/// Where the peak at `bin` of `levels` (dB) lies, in bins from `bin` (-0.5..0.5), by a parabola
/// through it and its neighbours; `None` when `bin` is no local maximum.
fn peak_offset(levels: &[f64], bin: usize) -> Option<f64> {
    let (below, at, above) = (
        *levels.get(bin.checked_sub(1)?)?,
        levels[bin],
        *levels.get(bin + 1)?,
    );
    let curvature = below - 2.0 * at + above;
    (at >= below && at >= above && curvature < 0.0)
        .then(|| (0.5 * (below - above) / curvature).clamp(-0.5, 0.5))
}

/// Effective bandwidth, Hz, from the loud-segment spectrum (dB per band). Walks up from the
/// strongest speech-range band and stops at the first gap of [`BANDWIDTH_GAP_BANDS`] bands more
/// than [`BANDWIDTH_RANGE_DB`] below it; the
/// answer is the centre of the last band that passed, which absorbs the window's leakage just
/// above a sharp cut-off.
fn effective_bandwidth(grid: &BandGrid, loud_db: &[Option<f64>]) -> Option<f64> {
    let reference = (0..grid.len())
        .filter(|b| {
            let hz = grid.centre_hz(*b);
            hz >= REFERENCE_BAND_HZ.0 && hz <= REFERENCE_BAND_HZ.1
        })
        .filter_map(|b| loud_db[b].map(|db| (b, db)))
        .max_by(|x, y| x.1.total_cmp(&y.1))?;
    let (reference_band, reference_db) = reference;
    let mut last_meaningful = reference_band;
    let mut failures = 0;
    for (band, level) in loud_db.iter().enumerate().skip(reference_band) {
        match level.map(|db| db >= reference_db - BANDWIDTH_RANGE_DB) {
            Some(true) => {
                last_meaningful = band;
                failures = 0;
            }
            Some(false) => {
                failures += 1;
                if failures >= BANDWIDTH_GAP_BANDS {
                    break;
                }
            }
            None => {}
        }
    }
    Some(grid.mean_hz[last_meaningful])
}

/// The 1/12-octave grid over the short STFT's bins; bands narrower than a bin hold no bin.
struct BandGrid {
    /// Band of each bin (`None` below [`GRID_MIN_HZ`]).
    band_of_bin: Vec<Option<usize>>,
    /// Bins per band.
    bins_in_band: Vec<usize>,
    /// Mean frequency of the bins of each band, Hz.
    mean_hz: Vec<f64>,
    bin_width_hz: f64,
}

impl BandGrid {
    fn new(stft: &Stft) -> Self {
        let nyquist = f64::from(stft.sample_rate_hz()) / 2.0;
        let bands = (BANDS_PER_OCTAVE * (nyquist / GRID_MIN_HZ).log2())
            .ceil()
            .max(1.0) as usize;
        let band_of_bin: Vec<Option<usize>> = (0..stft.bins())
            .map(|bin| {
                let hz = stft.bin_hz(bin);
                (hz >= GRID_MIN_HZ).then(|| {
                    ((BANDS_PER_OCTAVE * (hz / GRID_MIN_HZ).log2()) as usize).min(bands - 1)
                })
            })
            .collect();
        let mut bins_in_band = vec![0; bands];
        let mut hz_sum = vec![0.0; bands];
        for (bin, band) in band_of_bin.iter().enumerate() {
            if let Some(b) = band {
                bins_in_band[*b] += 1;
                hz_sum[*b] += stft.bin_hz(bin);
            }
        }
        let mean_hz = hz_sum
            .iter()
            .zip(&bins_in_band)
            .map(|(sum, n)| if *n == 0 { 0.0 } else { sum / *n as f64 })
            .collect();
        Self {
            band_of_bin,
            bins_in_band,
            mean_hz,
            bin_width_hz: stft.bin_width_hz(),
        }
    }

    fn len(&self) -> usize {
        self.bins_in_band.len()
    }

    fn centre_hz(&self, band: usize) -> f64 {
        GRID_MIN_HZ * 2f64.powf((band as f64 + 0.5) / BANDS_PER_OCTAVE)
    }

    /// Adds a frame's bin powers into per-band sums.
    fn accumulate(&self, power: &[f32], sums: &mut [f64]) {
        for (p, band) in power.iter().zip(&self.band_of_bin) {
            if let Some(b) = band {
                sums[*b] += f64::from(*p);
            }
        }
    }

    /// Band powers as power spectral density, dBFS per Hz; `None` for bands without bins.
    fn psd_db(&self, band_power: &[f64]) -> Vec<Option<f64>> {
        band_power
            .iter()
            .zip(&self.bins_in_band)
            .map(|(p, n)| {
                (*n > 0).then(|| {
                    db::power_db_floored(p / (*n as f64 * self.bin_width_hz), db::FLOOR_POWER)
                })
            })
            .collect()
    }

    /// One plot point per band that holds bins and has a value.
    fn points(&self, db: &[Option<f64>]) -> Vec<SpectrumPoint> {
        db.iter()
            .zip(&self.mean_hz)
            .filter_map(|(db, hz)| db.map(|dbfs| SpectrumPoint { hz: *hz, dbfs }))
            .collect()
    }
}

/// Averages consecutive frames' band powers into segments.
struct SegmentAverager {
    sums: Vec<f64>,
    frames: usize,
    frames_per_segment: usize,
    finished: Vec<f64>,
}

impl SegmentAverager {
    fn new(bands: usize, frames_per_segment: usize) -> Self {
        Self {
            sums: vec![0.0; bands],
            frames: 0,
            frames_per_segment,
            finished: vec![0.0; bands],
        }
    }

    /// Adds a frame; returns the mean band powers when it completes a segment.
    fn add_frame(&mut self, grid: &BandGrid, power: &[f32]) -> Option<&[f64]> {
        grid.accumulate(power, &mut self.sums);
        self.frames += 1;
        if self.frames < self.frames_per_segment {
            return None;
        }
        let count = self.frames as f64;
        for (out, sum) in self.finished.iter_mut().zip(self.sums.iter_mut()) {
            *out = *sum / count;
            *sum = 0.0;
        }
        self.frames = 0;
        Some(&self.finished)
    }
}

/// Lowest level tracked by the histograms, dB.
const HISTOGRAM_FLOOR_DB: f64 = -200.0;
/// Resolution of the histograms, dB (values are interpolated within a step).
const HISTOGRAM_STEP_DB: f64 = 1.0;
/// Steps of the histograms, up to +20 dB.
const HISTOGRAM_STEPS: usize = 220;

/// Per-row histograms of levels in dB, for streaming percentiles.
struct DbHistogram {
    counts: Vec<u32>,
    totals: Vec<u64>,
}

impl DbHistogram {
    fn new(rows: usize) -> Self {
        Self {
            counts: vec![0; rows * HISTOGRAM_STEPS],
            totals: vec![0; rows],
        }
    }

    fn add(&mut self, row: usize, db: Option<f64>) {
        let Some(db) = db else { return };
        let step = ((db - HISTOGRAM_FLOOR_DB) / HISTOGRAM_STEP_DB).floor();
        let step = step.clamp(0.0, (HISTOGRAM_STEPS - 1) as f64) as usize;
        self.counts[row * HISTOGRAM_STEPS + step] += 1;
        self.totals[row] += 1;
    }

    /// The `q` quantile (0..1) of row `row`, dB; `None` when the row is empty.
    fn percentile(&self, row: usize, q: f64) -> Option<f64> {
        let total = self.totals[row];
        if total == 0 {
            return None;
        }
        let target = q * total as f64;
        let counts = &self.counts[row * HISTOGRAM_STEPS..(row + 1) * HISTOGRAM_STEPS];
        let mut below = 0.0;
        for (step, count) in counts.iter().enumerate() {
            let count = f64::from(*count);
            if count > 0.0 && below + count >= target {
                let within = ((target - below) / count).clamp(0.0, 1.0);
                return Some(HISTOGRAM_FLOOR_DB + (step as f64 + within) * HISTOGRAM_STEP_DB);
            }
            below += count;
        }
        Some(HISTOGRAM_FLOOR_DB + HISTOGRAM_STEPS as f64 * HISTOGRAM_STEP_DB)
    }
}

/// Width of a segment-level class, dB.
const CLASS_STEP_DB: f64 = 2.0;
/// Level of the lowest class, dB.
const CLASS_FLOOR_DB: f64 = -160.0;
/// Classes up to +20 dB.
const CLASSES: usize = 90;

/// Summed spectra (band or bin powers) of segments or frames, grouped by their level.
struct LevelClassSpectra {
    bands: usize,
    sums: Vec<f64>,
    counts: Vec<u64>,
}

impl LevelClassSpectra {
    fn new(bands: usize) -> Self {
        Self {
            bands,
            sums: vec![0.0; bands * CLASSES],
            counts: vec![0; CLASSES],
        }
    }

    /// Adds a spectrum (band powers) in the class of its own summed level.
    fn add(&mut self, band_power: &[f64]) {
        let level = db::power_db_floored(band_power.iter().sum(), db::FLOOR_POWER);
        self.add_at(level, band_power.iter().copied());
    }

    /// Adds a spectrum (powers, linear) in the class of `level_db`.
    fn add_at(&mut self, level_db: f64, power: impl IntoIterator<Item = f64>) {
        let class = ((level_db - CLASS_FLOOR_DB) / CLASS_STEP_DB).floor();
        let class = class.clamp(0.0, (CLASSES - 1) as f64) as usize;
        self.counts[class] += 1;
        let sums = &mut self.sums[class * self.bands..(class + 1) * self.bands];
        for (sum, p) in sums.iter_mut().zip(power) {
            *sum += p;
        }
    }

    /// Mean powers of the lowest classes that hold at least `share` (0..1) of the spectra; `None`
    /// when there is none.
    fn quietest(&self, share: f64) -> Option<Vec<f64>> {
        let total: u64 = self.counts.iter().sum();
        let mut spectrum = vec![0.0; self.bands];
        let mut count = 0;
        for class in 0..CLASSES {
            if count > 0 && count as f64 >= share * total as f64 {
                break;
            }
            count += self.counts[class];
            let sums = &self.sums[class * self.bands..(class + 1) * self.bands];
            for (out, sum) in spectrum.iter_mut().zip(sums) {
                *out += sum;
            }
        }
        (count > 0).then(|| spectrum.iter().map(|p| p / count as f64).collect())
    }

    /// Mean band powers of the segments within [`LOUD_RANGE_DB`] of the 95th-percentile level;
    /// `None` when there is no segment or every segment is silent.
    fn loud_spectrum(&self) -> Option<Vec<f64>> {
        let total: u64 = self.counts.iter().sum();
        let mut above = 0;
        let top_class = (0..CLASSES).rev().find(|c| {
            above += self.counts[*c];
            above > 0 && above as f64 >= 0.05 * total as f64
        })?;
        if top_class == 0 {
            return None;
        }
        let lowest_class = top_class
            .saturating_sub((LOUD_RANGE_DB / CLASS_STEP_DB) as usize)
            .max(1);
        let mut spectrum = vec![0.0; self.bands];
        let mut count = 0;
        for class in lowest_class..CLASSES {
            count += self.counts[class];
            let sums = &self.sums[class * self.bands..(class + 1) * self.bands];
            for (out, sum) in spectrum.iter_mut().zip(sums) {
                *out += sum;
            }
        }
        spectrum.iter_mut().for_each(|p| *p /= count as f64);
        Some(spectrum)
    }
}

/// Builds the thumbnail: frames are pooled into columns, and pairs of columns merge (doubling the
/// frames per column) whenever [`SPECTROGRAM_MAX_COLUMNS`] (an even number) are full.
struct SpectrogramBuilder {
    row_of_bin: Vec<usize>,
    row_hz: f64,
    hop_s: f64,
    frames_per_column: usize,
    columns: Vec<Vec<f32>>,
    current: Vec<f64>,
    current_frames: usize,
}

impl SpectrogramBuilder {
    fn new(stft: &Stft) -> Self {
        let row_hz = f64::from(stft.sample_rate_hz()) / 2.0 / SPECTROGRAM_ROWS as f64;
        let row_of_bin = (0..stft.bins())
            .map(|bin| ((stft.bin_hz(bin) / row_hz) as usize).min(SPECTROGRAM_ROWS - 1))
            .collect();
        Self {
            row_of_bin,
            row_hz,
            hop_s: stft.hop_s(),
            frames_per_column: 1,
            columns: Vec::new(),
            current: vec![0.0; SPECTROGRAM_ROWS],
            current_frames: 0,
        }
    }

    fn add_frame(&mut self, power: &[f32]) {
        for (p, row) in power.iter().zip(&self.row_of_bin) {
            self.current[*row] += f64::from(*p);
        }
        self.current_frames += 1;
        if self.current_frames == self.frames_per_column {
            self.close_column();
        }
    }

    fn close_column(&mut self) {
        let count = self.current_frames as f64;
        let column = self
            .current
            .iter()
            .map(|sum| (sum / count) as f32)
            .collect();
        self.columns.push(column);
        self.current.iter_mut().for_each(|sum| *sum = 0.0);
        self.current_frames = 0;
        if self.columns.len() == SPECTROGRAM_MAX_COLUMNS {
            self.merge_pairs();
        }
    }

    fn merge_pairs(&mut self) {
        self.columns = self
            .columns
            .chunks(2)
            .map(|pair| {
                let n = pair.len() as f32;
                (0..SPECTROGRAM_ROWS)
                    .map(|row| pair.iter().map(|c| c[row]).sum::<f32>() / n)
                    .collect()
            })
            .collect();
        self.frames_per_column *= 2;
    }

    fn finish(mut self) -> Option<Spectrogram> {
        if self.current_frames > 0 {
            self.close_column();
        }
        if self.columns.is_empty() {
            return None;
        }
        let columns_db = self
            .columns
            .iter()
            .map(|column| {
                column
                    .iter()
                    .map(|p| db::power_db_floored(f64::from(*p), db::FLOOR_POWER) as f32)
                    .collect()
            })
            .collect();
        Some(Spectrogram {
            time_step_s: self.frames_per_column as f64 * self.hop_s,
            freq_step_hz: self.row_hz,
            columns_db,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::num_complex::Complex;
    use realfft::RealFftPlanner;
    use std::f64::consts::PI;

    use crate::dsp::test_signals::Rng;

    /// Deterministic uniform noise in [-1, 1).
    struct Noise(Rng);

    fn noise(seed: u64) -> Noise {
        Noise(Rng::new(seed))
    }

    impl Noise {
        fn next(&mut self) -> f64 {
            self.0.bipolar()
        }

        /// White noise with the given RMS, dBFS.
        fn white(&mut self, n: usize, rms_dbfs: f64) -> Vec<f32> {
            let scale = db::db_to_amplitude(rms_dbfs) * 3f64.sqrt();
            (0..n).map(|_| (self.next() * scale) as f32).collect()
        }

        /// Pink noise (Paul Kellet's economy filter) with the given RMS, dBFS.
        fn pink(&mut self, n: usize, rms_dbfs: f64) -> Vec<f32> {
            let mut b = [0.0f64; 3];
            let raw: Vec<f64> = (0..n)
                .map(|_| {
                    let white = self.next();
                    b[0] = 0.99765 * b[0] + white * 0.0990460;
                    b[1] = 0.96300 * b[1] + white * 0.2965164;
                    b[2] = 0.57000 * b[2] + white * 1.0526913;
                    b[0] + b[1] + b[2] + white * 0.1848
                })
                .collect();
            scale_to_rms(&raw, rms_dbfs)
        }

        /// Noise with energy only between `low_hz` and `high_hz` (an ideally upsampled band-limited
        /// signal), made by an inverse FFT of random phases.
        fn band_limited(&mut self, rate: u32, n: usize, low_hz: f64, high_hz: f64) -> Vec<f64> {
            let inverse = RealFftPlanner::<f64>::new().plan_fft_inverse(n);
            let mut bins = inverse.make_input_vec();
            for (k, bin) in bins.iter_mut().enumerate().take(n / 2) {
                let hz = k as f64 * f64::from(rate) / n as f64;
                if hz >= low_hz && hz <= high_hz {
                    let phase = PI * self.next();
                    *bin = Complex::new(phase.cos(), phase.sin());
                }
            }
            let mut signal = inverse.make_output_vec();
            inverse.process(&mut bins, &mut signal).unwrap();
            signal
        }
    }

    fn scale_to_rms(raw: &[f64], rms_dbfs: f64) -> Vec<f32> {
        let rms = (raw.iter().map(|x| x * x).sum::<f64>() / raw.len() as f64).sqrt();
        let gain = db::db_to_amplitude(rms_dbfs) / rms;
        raw.iter().map(|x| (x * gain) as f32).collect()
    }

    /// Speech rhythm, 0..1: 4 Hz syllables in phrases of 2 s separated by 0.5 s pauses (the gates
    /// fall on syllable troughs, so they add no clicks).
    fn syllabic(t: f64) -> f64 {
        let in_phrase = t % 2.5 < 2.0;
        let syllable = (0.5 - 0.5 * (2.0 * PI * 4.0 * t).cos()).powi(2);
        if in_phrase {
            syllable
        } else {
            0.0
        }
    }

    /// Speech-like signal: a glottal pulse train with moving pitch (95-165 Hz), a -6 dB/octave tilt
    /// and a syllabic envelope, at the given RMS, dBFS.
    fn speech_like(rate: u32, seconds: f64, rms_dbfs: f64) -> Vec<f32> {
        let pitch =
            |t: f64| 130.0 + 25.0 * (2.0 * PI * 0.31 * t).sin() + 10.0 * (2.0 * PI * 1.7 * t).sin();
        scale_to_rms(&pulse_voice(rate, seconds, pitch, syllabic), rms_dbfs)
    }

    /// A glottal pulse train at `pitch_hz(t)` (t in seconds) with a -6 dB/octave tilt, its DC
    /// removed, times `envelope(t)`: the voice the hum tests speak with, unscaled.
    fn pulse_voice(
        rate: u32,
        seconds: f64,
        pitch_hz: impl Fn(f64) -> f64,
        envelope: impl Fn(f64) -> f64,
    ) -> Vec<f64> {
        let n = (f64::from(rate) * seconds) as usize;
        let (mut phase, mut tilt) = (0.0f64, 0.0f64);
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let pitch = pitch_hz(t);
                phase += pitch / f64::from(rate);
                let pulse = if phase >= 1.0 {
                    phase -= 1.0;
                    1.0
                } else {
                    0.0
                };
                tilt = 0.95 * tilt + pulse;
                (tilt - 1.0 / 0.05 * pitch / f64::from(rate)) * envelope(t)
            })
            .collect()
    }

    fn mix(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }

    fn tone(rate: u32, n: usize, hz: f64, peak_dbfs: f64) -> Vec<f32> {
        let amplitude = db::db_to_amplitude(peak_dbfs);
        (0..n)
            .map(|i| (amplitude * (2.0 * PI * hz * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn analyse(samples: &[f32], rate: u32) -> SpectrumStats {
        let mut analyzer = SpectrumAnalyzer::new(rate);
        analyzer.push(samples);
        analyzer.finish()
    }

    /// Telephone audio: band-limited noise with a syllabic envelope, as if upsampled, with dither.
    fn telephone(rate: u32, seconds: f64, low_hz: f64, high_hz: f64, noise_dbfs: f64) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        let mut noise = noise(5);
        let band = noise.band_limited(rate, n, low_hz, high_hz);
        let shaped: Vec<f64> = band
            .iter()
            .enumerate()
            .map(|(i, x)| x * syllabic(i as f64 / f64::from(rate)))
            .collect();
        mix(&scale_to_rms(&shaped, -20.0), &noise.white(n, noise_dbfs))
    }

    #[test]
    fn telephone_band_upsampled_reads_as_narrowband() {
        for (low, high, noise_dbfs) in [
            (300.0, 3400.0, -95.0),
            (100.0, 3800.0, -95.0),
            (300.0, 3400.0, -75.0),
        ] {
            let bandwidth = analyse(&telephone(44_100, 8.0, low, high, noise_dbfs), 44_100)
                .bandwidth_hz
                .unwrap();
            assert!(
                (3400.0..=4000.0).contains(&bandwidth),
                "{low}-{high} Hz band with noise at {noise_dbfs} dBFS: {bandwidth} Hz"
            );
        }
    }

    #[test]
    fn wideband_and_fullband_speech_read_wide() {
        let wideband = analyse(&speech_like(16_000, 6.0, -20.0), 16_000)
            .bandwidth_hz
            .unwrap();
        assert!((7000.0..=8000.0).contains(&wideband), "{wideband}");
        let fullband = analyse(&speech_like(44_100, 6.0, -20.0), 44_100)
            .bandwidth_hz
            .unwrap();
        assert!(fullband > 15_000.0, "{fullband}");
        let hissy = mix(
            &speech_like(16_000, 6.0, -20.0),
            &noise(4).white(96_000, -35.0),
        );
        let hissy = analyse(&hissy, 16_000).bandwidth_hz.unwrap();
        assert!((7000.0..=8000.0).contains(&hissy), "{hissy}");
        let telephone_rate = analyse(&speech_like(8_000, 6.0, -20.0), 8_000)
            .bandwidth_hz
            .unwrap();
        assert!(
            (3400.0..=4000.0).contains(&telephone_rate),
            "{telephone_rate}"
        );
    }

    #[test]
    fn silence_has_no_bandwidth_and_no_hum() {
        let stats = analyse(&vec![0.0; 80_000], 16_000);
        assert_eq!(stats.bandwidth_hz, None);
        assert_eq!(stats.hum_hz, None);
        assert!(stats.spectrogram.is_some());
    }

    /// Speech at -20 dBFS with a little noise, plus `hum`.
    fn speech_with(rate: u32, seconds: f64, hum: &[(f64, f64)]) -> Vec<f32> {
        let speech = speech_like(rate, seconds, -20.0);
        let mut noisy = mix(&speech, &noise(9).white(speech.len(), -65.0));
        for (hz, peak_dbfs) in hum {
            noisy = mix(&noisy, &tone(rate, noisy.len(), *hz, *peak_dbfs));
        }
        noisy
    }

    #[test]
    fn mains_hum_under_speech_is_told_apart() {
        for rate in [8_000, 16_000, 44_100, 48_000] {
            for mains in [50.0, 60.0] {
                let stats = analyse(&speech_with(rate, 20.0, &[(mains, -40.0)]), rate);
                assert_eq!(
                    stats.hum_hz,
                    Some(mains as u32),
                    "{mains} Hz hum at {rate} Hz"
                );
                assert!(stats.hum_level_db.unwrap() >= HUM_MIN_PROMINENCE_DB);
            }
        }
    }

    #[test]
    fn a_steady_tone_off_the_mains_grid_is_no_hum() {
        for hz in [58.8, 61.2, 51.0, 178.0] {
            let stats = analyse(&speech_with(16_000, 20.0, &[(hz, -40.0)]), 16_000);
            assert_eq!(stats.hum_hz, None, "{hz} Hz: {:?}", stats.hum_level_db);
        }
    }

    /// A voice held on one note (`pitch_hz`, a glottal pulse train with a -6 dB/octave tilt) in
    /// 3 s phrases with 1.2 s pauses, at -20 dBFS, over white noise at -65 dBFS.
    fn one_note_voice(rate: u32, seconds: f64, pitch_hz: f64) -> Vec<f32> {
        let phrases = |t: f64| if t % 4.2 < 3.0 { 1.0 } else { 0.0 };
        let raw = pulse_voice(rate, seconds, |_| pitch_hz, phrases);
        mix(
            &scale_to_rms(&raw, -20.0),
            &noise(10).white(raw.len(), -65.0),
        )
    }

    #[test]
    fn a_voice_held_on_a_harmonic_of_the_mains_is_no_hum() {
        for pitch in [60.0, 100.0, 120.0] {
            let stats = analyse(&one_note_voice(16_000, 30.0, pitch), 16_000);
            assert_eq!(stats.hum_hz, None, "{pitch} Hz: {:?}", stats.hum_level_db);
        }
    }

    #[test]
    fn hum_in_the_pauses_of_a_voice_held_on_one_note_is_found() {
        let voice = one_note_voice(16_000, 30.0, 120.0);
        let hum = tone(16_000, voice.len(), 60.0, -45.0);
        assert_eq!(analyse(&mix(&voice, &hum), 16_000).hum_hz, Some(60));
    }

    #[test]
    fn an_inaudible_line_is_no_hum() {
        let faint = speech_with(16_000, 20.0, &[(60.0, -95.0)]);
        let stats = analyse(&faint, 16_000);
        assert_eq!(stats.hum_hz, None, "{:?}", stats.hum_level_db);
    }

    #[test]
    fn hum_without_its_fundamental_is_found_by_its_harmonics() {
        let fifty = speech_with(16_000, 20.0, &[(150.0, -45.0), (250.0, -50.0)]);
        assert_eq!(analyse(&fifty, 16_000).hum_hz, Some(50));
        let sixty = speech_with(16_000, 20.0, &[(180.0, -45.0), (420.0, -50.0)]);
        assert_eq!(analyse(&sixty, 16_000).hum_hz, Some(60));
    }

    #[test]
    fn no_hum_on_clean_speech_or_steady_noise() {
        let rate = 16_000;
        let n = 20 * rate as usize;
        let signals = [
            ("speech", speech_with(rate, 20.0, &[])),
            ("white", noise(1).white(n, -30.0)),
            ("pink", noise(2).pink(n, -30.0)),
            (
                "speech over pink",
                mix(&speech_like(rate, 20.0, -20.0), &noise(3).pink(n, -40.0)),
            ),
            ("short white", noise(4).white(3 * rate as usize, -30.0)),
        ];
        for (name, samples) in signals {
            let stats = analyse(&samples, rate);
            assert_eq!(stats.hum_hz, None, "{name}: {:?}", stats.hum_level_db);
        }
        let pink_48k = analyse(&noise(6).pink(20 * 48_000, -30.0), 48_000);
        assert_eq!(pink_48k.hum_hz, None, "{:?}", pink_48k.hum_level_db);
    }

    #[test]
    fn noise_spectrum_follows_the_noise_between_syllables() {
        let rate = 16_000;
        let speech = speech_like(rate, 10.0, -20.0);
        let noisy = mix(&speech, &noise(8).white(speech.len(), -50.0));
        let spectrum = analyse(&noisy, rate).noise_spectrum;
        assert!(
            (64..=128).contains(&spectrum.len()),
            "{} points",
            spectrum.len()
        );
        assert!(spectrum.windows(2).all(|w| w[1].hz > w[0].hz));
        let white_psd_db = -50.0 - 10.0 * (f64::from(rate) / 2.0).log10();
        for point in spectrum.iter().filter(|p| p.hz > 1000.0) {
            assert!(
                (point.dbfs - white_psd_db).abs() < 3.0,
                "{point:?} vs {white_psd_db}"
            );
        }
    }

    #[test]
    fn spectrogram_stays_small_and_keeps_time() {
        let rate = 8_000;
        let seconds = 120.0;
        let n = (f64::from(rate) * seconds) as usize;
        let mut samples = noise(12).white(n, -60.0);
        let burst_start = n / 2;
        let burst = tone(rate, rate as usize * 4, 2000.0, -6.0);
        for (s, b) in samples[burst_start..].iter_mut().zip(&burst) {
            *s += b;
        }
        let spectrogram = analyse(&samples, rate).spectrogram.unwrap();
        let columns = spectrogram.columns_db.len();
        assert!(
            (200..=SPECTROGRAM_MAX_COLUMNS).contains(&columns),
            "{columns}"
        );
        assert!(spectrogram
            .columns_db
            .iter()
            .all(|c| c.len() == SPECTROGRAM_ROWS));
        assert!(
            (columns as f64 * spectrogram.time_step_s - seconds).abs()
                < 2.0 * spectrogram.time_step_s
        );
        let row = (2000.0 / spectrogram.freq_step_hz) as usize;
        let column = (seconds / 2.0 / spectrogram.time_step_s) as usize + 1;
        let loudest_row =
            |c: &Vec<f32>| (0..c.len()).max_by(|a, b| c[*a].total_cmp(&c[*b])).unwrap();
        assert_eq!(loudest_row(&spectrogram.columns_db[column]), row);
        assert_ne!(loudest_row(&spectrogram.columns_db[column - 3]), row);
    }

    /// CPU time this thread has used, seconds (Linux `schedstat`; wall time elsewhere).
    fn thread_cpu_s(wall: std::time::Instant) -> f64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
            .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns / 1e9)
    }

    /// CPU cost of the level and spectral measurements on one hour of speech-like audio with noise:
    /// `cargo test --release --lib signal::spectrum::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, run in release by hand"]
    fn throughput() {
        let wall = std::time::Instant::now();
        for rate in [8_000, 16_000, 44_100, 48_000] {
            let minute = mix(
                &speech_like(rate, 60.0, -20.0),
                &noise(1).pink(60 * rate as usize, -45.0),
            );
            let started = thread_cpu_s(wall);
            let mut levels = super::super::levels::LevelMeter::new(rate);
            for _ in 0..60 {
                minute.chunks(4096).for_each(|block| levels.push(block));
            }
            let level_stats = levels.finish();
            let level_s = thread_cpu_s(wall) - started;
            let started = thread_cpu_s(wall);
            let mut spectrum = SpectrumAnalyzer::new(rate);
            for _ in 0..60 {
                minute.chunks(4096).for_each(|block| spectrum.push(block));
            }
            let spectrum_stats = spectrum.finish();
            let spectrum_s = thread_cpu_s(wall) - started;
            eprintln!(
                "{rate} Hz, 1 h: CPU levels {level_s:.2} s, spectrum {spectrum_s:.2} s: \
                 {:.0}x real time (bandwidth {:?} Hz, loudness {:?} LUFS)",
                3600.0 / (level_s + spectrum_s),
                spectrum_stats.bandwidth_hz,
                level_stats.loudness_lufs,
            );
        }
    }

    #[test]
    fn percentile_of_a_histogram() {
        let mut histogram = DbHistogram::new(2);
        for db in 0..100 {
            histogram.add(1, Some(-f64::from(db) - 0.5));
        }
        histogram.add(0, None);
        assert_eq!(histogram.percentile(0, 0.5), None);
        let tenth = histogram.percentile(1, 0.1).unwrap();
        assert!((tenth + 90.0).abs() <= 1.0, "{tenth}");
    }

    #[test]
    fn too_short_for_a_segment_has_no_bandwidth() {
        assert_eq!(
            analyse(&speech_like(16_000, 0.1, -20.0), 16_000).bandwidth_hz,
            None
        );
        assert_eq!(analyse(&[], 16_000), SpectrumStats::default());
    }

    #[test]
    fn non_finite_samples_do_not_panic() {
        let mut samples = speech_with(16_000, 3.0, &[]);
        samples[1000..1100].fill(f32::INFINITY);
        samples[5000] = f32::NAN;
        let stats = analyse(&samples, 16_000);
        assert!(stats.spectrogram.is_some());
    }

    #[test]
    fn chunked_equals_whole() {
        let rate = 16_000;
        let samples = speech_with(rate, 6.0, &[(60.0, -40.0)]);
        let whole = analyse(&samples, rate);
        let mut analyzer = SpectrumAnalyzer::new(rate);
        for chunk in samples.chunks(999) {
            analyzer.push(chunk);
        }
        assert_eq!(analyzer.finish(), whole);
        assert!(whole.bandwidth_hz.is_some() && whole.hum_hz.is_some());
    }

    #[test]
    fn band_limited_helper_is_band_limited() {
        let rate = 16_000;
        let samples = scale_to_rms(&noise(1).band_limited(rate, 32_000, 300.0, 3400.0), -20.0);
        let mut stft = Stft::new(rate, 0.064, 0.064);
        let first_outside = stft.hz_to_bin(4000.0);
        let mut loudest_outside = 0.0f64;
        stft.push(&samples, |frame| {
            let outside: f32 = frame.power[first_outside..].iter().sum();
            loudest_outside = loudest_outside.max(f64::from(outside));
        });
        assert!(
            db::power_db_floored(loudest_outside, db::FLOOR_POWER) < -70.0,
            "{}",
            db::power_db_floored(loudest_outside, db::FLOOR_POWER)
        );
    }
}
