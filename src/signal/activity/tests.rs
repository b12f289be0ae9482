//! Checks of the voice activity analysis against synthesized talkers, noises and their known truth.

use super::*;
use crate::dsp::test_signals::{self as synth, Speech};

const RATE: u32 = 16000;

fn analyze(x: &[f32], rate: u32) -> ActivityStats {
    let mut analyzer = ActivityAnalyzer::new(rate);
    analyzer.push(x);
    analyzer.finish(false)
}

fn speech(seed: u64, seconds: f32) -> Speech {
    synth::talker(seed, RATE, seconds, 100.0 + (seed % 7) as f32 * 20.0)
}

fn noise(kind: &str, seed: u64, len: usize, dbfs: f64) -> Vec<f32> {
    match kind {
        "white" => synth::white(seed, len, dbfs),
        "pink" => synth::pink(seed, RATE, len, dbfs),
        "babble" => synth::babble(seed, RATE, len as f32 / RATE as f32, 6, dbfs),
        "brown" => synth::brown(seed, RATE, len, dbfs),
        "hum" => synth::hum(RATE, len, 50.0, dbfs),
        _ => unreachable!("unknown noise {kind}"),
    }
}

/// (SNR error, noise floor error) in dB for one mix.
fn snr_errors(kind: &str, snr: f64, seed: u64) -> (f64, f64) {
    let clean = speech(seed, 20.0);
    let truth_active = 10.0 * clean.active_power().log10();
    let noise_db = truth_active - snr;
    let n = noise(kind, seed + 100, clean.samples.len(), noise_db);
    let stats = analyze(&synth::mix(&clean.samples, &n), RATE);
    let floor = stats.noise_floor_dbfs.expect("noise is measurable");
    let measured = stats.snr_db.expect("speech and noise present");
    (measured - snr, floor - noise_db)
}

#[test]
fn snr_and_noise_floor_match_the_truth_for_white_pink_and_babble() {
    let mut worst: f64 = 0.0;
    for kind in ["white", "pink", "babble"] {
        for snr in [0.0, 5.0, 10.0, 20.0, 30.0] {
            for seed in [1, 2] {
                let (snr_err, floor_err) = snr_errors(kind, snr, seed);
                eprintln!("{kind:6} {snr:4} dB seed {seed}: SNR error {snr_err:+.2} dB, floor error {floor_err:+.2} dB");
                // Known gap: babble as loud as the talker is only met within ±4.5 dB.
                let tolerance = if kind == "babble" && snr == 0.0 {
                    4.5
                } else {
                    3.0
                };
                assert!(
                    snr_err.abs() <= tolerance,
                    "{kind} {snr} dB: SNR off by {snr_err:.2} dB"
                );
                assert!(
                    floor_err.abs() <= 2.0,
                    "{kind} {snr} dB: floor off by {floor_err:.2} dB"
                );
                worst = worst.max(snr_err.abs());
            }
        }
    }
    eprintln!("worst SNR error {worst:.2} dB");
}

#[test]
fn snr_holds_at_telephone_and_studio_rates() {
    for rate in [8000, 44100] {
        let clean = synth::talker(21, rate, 12.0, 140.0);
        let truth_active = 10.0 * clean.active_power().log10();
        let len = clean.samples.len();
        for (name, n, snr) in [
            ("white", synth::white(22, len, truth_active - 20.0), 20.0),
            (
                "pink",
                synth::pink(23, rate, len, truth_active - 10.0),
                10.0,
            ),
        ] {
            let stats = analyze(&synth::mix(&clean.samples, &n), rate);
            let error = stats.snr_db.expect("speech and noise") - snr;
            let floor_error = stats.noise_floor_dbfs.expect("noise") - (truth_active - snr);
            eprintln!("{rate} Hz {name} {snr} dB: SNR error {error:+.2} dB, floor error {floor_error:+.2} dB");
            assert!(
                error.abs() <= 3.0 && floor_error.abs() <= 2.0,
                "{rate} Hz {name}: {error:.2} / {floor_error:.2}"
            );
        }
    }
}

#[test]
fn speech_regions_cover_the_words_of_clean_speech() {
    let clean = speech(3, 15.0);
    let stats = analyze(&clean.samples, RATE);
    let covered = clean
        .words
        .iter()
        .filter(|&&(a, b)| {
            let mid = (a + b) as f64 / 2.0 / f64::from(RATE);
            stats
                .speech_regions
                .iter()
                .any(|r| r.start_s <= mid && mid <= r.end_s)
        })
        .count();
    assert!(
        covered * 10 >= clean.words.len() * 9,
        "{covered} of {} words",
        clean.words.len()
    );
    let word_share =
        clean.words.iter().map(|&(a, b)| b - a).sum::<usize>() as f64 / clean.samples.len() as f64;
    assert!(
        stats.speech_fraction >= word_share && stats.speech_fraction < word_share + 0.3,
        "{} vs {word_share}",
        stats.speech_fraction
    );
    assert_eq!(
        stats.snr_db, None,
        "digital silence in the pauses: no measurable noise"
    );
    assert_eq!(stats.noise_label, "none");
    assert!(stats.dropouts.is_empty(), "{:?}", stats.dropouts);
    assert!(!stats.background_voices.detected);
}

#[test]
fn chunked_input_gives_the_same_result_as_whole() {
    let clean = speech(4, 6.0);
    let x = synth::mix(
        &clean.samples,
        &synth::pink(5, RATE, clean.samples.len(), -50.0),
    );
    let whole = analyze(&x, RATE);
    let mut analyzer = ActivityAnalyzer::new(RATE);
    for chunk in x.chunks(777) {
        analyzer.push(chunk);
    }
    assert_eq!(analyzer.finish(false), whole);
    assert!(whole.snr_db.is_some());
}

/// A recording longer than one stretch, analysed stretch by stretch, gives nearly what one
/// offline pass over it gives (the split of speech and noise differs only near the boundaries).
#[test]
fn stretch_by_stretch_agrees_with_one_pass() {
    let clean = speech(12, 40.0);
    let mut x = synth::mix(
        &clean.samples,
        &synth::pink(13, RATE, clean.samples.len(), -45.0),
    );
    let cut = mid_speech_cut_after(&clean, 20 * RATE as usize);
    x[cut..cut + 960].fill(0.0);
    let whole = analyze(&x, RATE);
    // 7 s stretches: six boundaries inside the 40 s.
    let mut analyzer = ActivityAnalyzer::with_stretch(RATE, 700);
    for block in x.chunks(4096) {
        analyzer.push(block);
        assert!(analyzer.extractor.ready().len() <= 700 + 4096 / 160 + 1);
    }
    let parts = analyzer.finish(false);
    eprintln!("whole: {whole:?}\nstretches: {parts:?}");
    let close = |a: Option<f64>, b: Option<f64>, tolerance: f64| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= tolerance,
        (a, b) => a == b,
    };
    assert!((whole.speech_fraction - parts.speech_fraction).abs() < 0.03);
    assert!(close(whole.noise_floor_dbfs, parts.noise_floor_dbfs, 0.5));
    assert!(close(whole.active_level_dbfs, parts.active_level_dbfs, 0.5));
    assert!(close(whole.snr_db, parts.snr_db, 1.0));
    assert_eq!(whole.noise_label, parts.noise_label);
    assert_eq!(whole.dropouts.len(), 1, "{:?}", whole.dropouts);
    assert_eq!(whole.dropouts, parts.dropouts);
    assert_eq!(
        whole.background_voices.detected,
        parts.background_voices.detected
    );
    let regions = |s: &ActivityStats| s.speech_regions.len() as f64;
    assert!((regions(&whole) - regions(&parts)).abs() <= 1.0);
}

/// A stretch ends at the whole second whose surrounding 300 ms are quietest: here the one pause
/// in the last 10 s of steady loud noise.
#[test]
fn a_stretch_ends_in_a_pause() {
    let rate = RATE as usize;
    let mut x = synth::white(17, 30 * rate, -20.0);
    x[24 * rate + 4 * rate / 5..25 * rate + rate / 5].fill(0.0);
    let frames = |x: &[f32]| {
        let mut extractor = FrameExtractor::new(RATE);
        extractor.push(x);
        extractor.take(3000)
    };
    assert_eq!(quiet_cut(&frames(&x)), 2500);
    // Digital silence throughout: the earliest candidate second, 10 s before the end.
    assert_eq!(quiet_cut(&frames(&vec![0.0; 30 * rate])), 2000);
}

/// Stretches are cut by frame count, not by the blocks fed: any block size gives the same result.
#[test]
fn stretch_by_stretch_is_independent_of_block_size() {
    let clean = speech(15, 30.0);
    let x = synth::mix(
        &clean.samples,
        &synth::pink(16, RATE, clean.samples.len(), -40.0),
    );
    let run = |block: usize| {
        let mut analyzer = ActivityAnalyzer::with_stretch(RATE, 500);
        for chunk in x.chunks(block) {
            analyzer.push(chunk);
        }
        analyzer.finish(false)
    };
    let whole = run(x.len());
    assert!(!whole.speech_regions.is_empty());
    for block in [37, 160, 4096, 80_001] {
        assert_eq!(run(block), whole, "block of {block} samples");
    }
}

/// Ten hours of speech-like noise bursts (at 1 kHz, the lowest rate, to keep the test fast):
/// the frames held never exceed one stretch, and what is kept across stretches grows with the
/// number of bursts (a few entries each), not with the number of frames.
#[test]
fn ten_hours_keep_at_most_one_stretch_of_frames() {
    let rate = 1000;
    let minute: Vec<f32> = {
        let noise = synth::white(14, 60 * rate, -20.0);
        // A steady tone in the pauses (white noise at 1 kHz has too few bins per band to be steady).
        let quiet = synth::hum(rate as u32, 60 * rate, 100.0, -60.0);
        // A 0.3-1.5 s burst every 3 s: 20 a minute.
        (0..60 * rate)
            .map(|i| {
                let (second, within) = (i / (3 * rate), i % (3 * rate));
                let burst = 300 + (second * 137) % 1200;
                if within < burst {
                    noise[i]
                } else {
                    quiet[i]
                }
            })
            .collect()
    };
    let mut analyzer = ActivityAnalyzer::new(rate as u32);
    let mut most = 0;
    for _ in 0..600 {
        for block in minute.chunks(4096) {
            analyzer.push(block);
            most = most.max(analyzer.extractor.ready().len());
        }
    }
    let bursts = 600 * 20;
    let kept = (
        analyzer.segments.len(),
        analyzer.regions.len(),
        analyzer.dropouts.len(),
        analyzer.background.len(),
    );
    eprintln!("most frames held {most}; segments, regions, dropout candidates, background stretches: {kept:?}");
    assert!(most <= STRETCH_FRAMES + 4096 / 10 + 1, "{most}");
    assert!(kept.0 <= 2 * bursts && kept.1 <= 2 * bursts, "{kept:?}");
    assert!(kept.2 <= 2 * bursts && kept.3 <= 2 * bursts, "{kept:?}");
    let stats = analyzer.finish(false);
    assert!(
        stats.speech_fraction > 0.2 && stats.speech_fraction < 0.7,
        "{stats:?}"
    );
    assert!(stats.noise_floor_dbfs.is_some());
}

#[test]
fn degenerate_inputs_give_finite_figures() {
    let clipped: Vec<f32> = speech(6, 3.0)
        .samples
        .iter()
        .map(|v| (v * 40.0).clamp(-1.0, 1.0))
        .collect();
    let inputs: Vec<(&str, Vec<f32>, u32)> = vec![
        ("silence", vec![0.0; 16000], 16000),
        ("dc", vec![0.3; 16000], 16000),
        ("clipped", clipped, 16000),
        ("10 ms", synth::white(7, 80, -20.0), 8000),
        ("empty", Vec::new(), 48000),
        ("nan", vec![f32::NAN; 4410], 44100),
    ];
    for (name, x, rate) in inputs {
        let stats = analyze(&x, rate);
        let figures = [
            stats.active_level_dbfs,
            stats.noise_floor_dbfs,
            stats.snr_db,
            stats.noise_flatness,
        ];
        assert!(
            figures.iter().flatten().all(|v| v.is_finite()),
            "{name}: {stats:?}"
        );
        assert!(stats.speech_fraction.is_finite(), "{name}");
    }
    assert_eq!(analyze(&[0.0; 16000], 16000).snr_db, None);
}

#[test]
fn noise_labels_name_the_kind_of_noise() {
    let clean = speech(8, 15.0);
    let len = clean.samples.len();
    let label = |n: Vec<f32>, hum: bool| {
        let mut analyzer = ActivityAnalyzer::new(RATE);
        analyzer.push(&synth::mix(&clean.samples, &n));
        analyzer.finish(hum).noise_label
    };
    assert_eq!(label(synth::white(9, len, -40.0), false), "hiss");
    assert_eq!(label(synth::pink(9, RATE, len, -40.0), false), "broadband");
    assert_eq!(label(synth::brown(9, RATE, len, -40.0), false), "broadband");
    assert_eq!(label(noise("babble", 9, len, -40.0), false), "babble");
    assert_eq!(label(synth::hum(RATE, len, 60.0, -40.0), true), "hum");
    assert_eq!(label(synth::white(9, len, -75.0), false), "none");
}

/// A spot inside a word where the 10 ms before and after a 60 ms gap are near the active level.
fn mid_speech_cut(clean: &Speech) -> usize {
    mid_speech_cut_after(clean, RATE as usize / 100)
}

/// The first sample at or after `from` where a 60 ms cut falls inside loud speech.
fn mid_speech_cut_after(clean: &Speech, from: usize) -> usize {
    let hop = RATE as usize / 100;
    let active = clean.active_power();
    let loud = |start: usize| {
        let p = clean.samples[start..start + hop]
            .iter()
            .map(|&v| f64::from(v * v))
            .sum::<f64>()
            / hop as f64;
        p > active * 0.5
    };
    (from.max(hop)..clean.samples.len() - 8 * hop)
        .step_by(hop / 2)
        .find(|&t| loud(t - hop) && loud(t + 6 * hop))
        .expect("a loud stretch")
}

#[test]
fn dropouts_are_found_inside_speech_and_not_in_natural_pauses() {
    let clean = speech(10, 10.0);
    let noisy = synth::mix(
        &clean.samples,
        &synth::white(11, clean.samples.len(), -55.0),
    );
    assert!(analyze(&noisy, RATE).dropouts.is_empty());
    let cut = mid_speech_cut(&clean);
    let gap = RATE as usize * 6 / 100;
    for x in [noisy.clone(), clean.samples.clone()] {
        let mut cut_signal = x;
        cut_signal[cut..cut + gap].fill(0.0);
        let dropouts = analyze(&cut_signal, RATE).dropouts;
        let start = cut as f64 / f64::from(RATE);
        assert_eq!(dropouts.len(), 1, "{dropouts:?}");
        assert!(
            (dropouts[0].start_s - start).abs() < 0.02
                && (dropouts[0].duration_s() - 0.06).abs() < 0.025,
            "{dropouts:?}"
        );
    }
}

/// A foreground talker (with a 3 s pause) plus a second talker 10-20 dB under it (`voice`), nothing (`clean`) or
/// steady noise 10-30 dB under it; returns the mix and, for `voice`, the truth in dB below.
fn background_mix(seed: u64, kind: &str) -> (Vec<f32>, f64) {
    let mut fg = speech(seed, 15.0);
    let len = fg.samples.len();
    // The main speaker pauses for 3 s, as an agent does while the customer talks on the other
    // line: background voices are judged in the main speaker's pauses only.
    fg.samples[5 * RATE as usize..8 * RATE as usize].fill(0.0);
    let mut rng = synth::Rng::new(seed);
    let below = f64::from(rng.range(10.0, 20.0));
    let other = match kind {
        "voice" => {
            let mut bg = synth::talker(seed + 1000, RATE, 15.0, rng.range(90.0, 230.0));
            bg.set_active_level(-26.0 - below);
            bg.samples
        }
        "clean" => vec![0.0; len],
        steady => noise(
            steady,
            seed + 2000,
            len,
            -26.0 - f64::from(rng.range(10.0, 30.0)),
        ),
    };
    (synth::mix(&fg.samples, &other), below)
}

/// Share of mixes of `kind` (seeds) where voices are reported, and the mean level error, dB.
fn background_rate(kind: &str, seeds: std::ops::Range<u64>) -> (f64, f64) {
    let runs = seeds.end - seeds.start;
    let (mut hits, mut level_error) = (0, 0.0);
    for seed in seeds {
        let (mix, below) = background_mix(seed, kind);
        let voices = analyze(&mix, RATE).background_voices;
        if voices.detected {
            hits += 1;
            level_error += (voices.level_db_below_foreground.unwrap() - below).abs();
        }
    }
    (
        f64::from(hits) / runs as f64,
        level_error / f64::from(hits.max(1)),
    )
}

fn check_background_rates(seeds: std::ops::Range<u64>, min_hits: f64) {
    let (hits, level_error) = background_rate("voice", seeds.clone());
    eprintln!("second talker 10-20 dB under: detected in {:.0}%, level off by {level_error:.1} dB on average", hits * 100.0);
    for control in ["clean", "white", "pink", "brown", "hum"] {
        let (false_alarms, _) = background_rate(control, seeds.clone());
        eprintln!("{control}: reported in {:.0}%", false_alarms * 100.0);
        assert!(false_alarms <= 0.05, "{control}: {false_alarms}");
    }
    assert!(hits >= min_hits, "{hits}");
    assert!(level_error <= 4.0, "{level_error}");
}

/// A quick smoke check on 10 mixes of each kind; the sweep below checks the rate over 20.
/// Since only the main speaker's pauses count (real talkers' own soft words made the older rule
/// fire on a third of clean real clips), a talker in the 3 s pause was found in about 60% of
/// the espeak-ng-like mixes; with long pauses judged by how much speech fills them, in 80% of
/// these 10 and 85% of the 20. The real-speech figures are printed by `scripts/eval-real`.
#[test]
fn background_voices_are_found_in_mixes_and_not_in_steady_noise() {
    check_background_rates(0..10, 0.7);
}

/// The full sweep of the accuracy target (20 mixes of each kind); run with `--ignored`.
#[test]
#[ignore = "statistical sweep, about a minute in debug builds"]
fn background_voice_rates_over_20_mixes_of_each_kind() {
    check_background_rates(100..120, 0.7);
}

/// A main speaker who stops for 3 s at 5 s and a colleague 12 dB under who talks from 4 s to
/// 9 s: already talking when the main speaker stops, still talking when it resumes.
fn talk_through_pause(seed: u64) -> Vec<f32> {
    let second = RATE as usize;
    let mut fg = speech(seed, 15.0);
    fg.samples[5 * second..8 * second].fill(0.0);
    let mut bg = synth::talker(seed + 1000, RATE, 15.0, 220.0 - (seed % 5) as f32 * 20.0);
    bg.set_active_level(-38.0);
    bg.samples[..4 * second].fill(0.0);
    bg.samples[9 * second..].fill(0.0);
    synth::mix(&fg.samples, &bg.samples)
}

/// The segment detector joins a colleague's talk that runs on across the main speaker's last
/// word to that word; in a long pause that the talk fills it still counts (the older rule, which
/// searched outside the speech regions only, found it in 2 of these 10 mixes; this one in 7).
#[test]
fn a_colleague_talking_through_a_long_pause_is_found() {
    let found = (0..10)
        .filter(|&seed| {
            analyze(&talk_through_pause(seed), RATE)
                .background_voices
                .detected
        })
        .count();
    assert!(found >= 6, "found in {found} of 10");
}

/// A call party's channel: three 3 s phrases, each followed 300 ms later by one soft word 12 dB
/// under and then silence while the other party talks on its own line (3 s in all).
fn lone_words_before_long_silences(seed: u64) -> Vec<f32> {
    let second = RATE as usize;
    let fg = speech(seed, 9.0);
    let mut soft = synth::talker(seed + 1000, RATE, 15.0, 220.0);
    soft.set_active_level(-38.0);
    let mut words = soft.words.clone();
    words.sort_by_key(|&(a, b)| std::cmp::Reverse(b - a));
    let mut x = Vec::new();
    for (phrase, &(a, b)) in fg.samples.chunks(3 * second).zip(&words) {
        x.extend_from_slice(phrase);
        let pause_start = x.len();
        x.extend(vec![0.0; 3 * second / 10]);
        x.extend_from_slice(&soft.samples[a..b]);
        x.resize(pause_start + 3 * second, 0.0);
    }
    x
}

/// One quiet word in a long pause that stays silent otherwise is a party's soft last word, not
/// a voice in the room, which would keep talking (the older rule reported these mixes).
#[test]
fn lone_soft_words_before_long_silences_are_no_voices() {
    for seed in 0..5 {
        let voices = analyze(&lone_words_before_long_silences(seed), RATE).background_voices;
        assert!(!voices.detected, "seed {seed}: {voices:?}");
    }
}

/// Throughput of the activity analysis at 48 kHz; run in an optimised build:
/// `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo test --lib activity_throughput -- --ignored --nocapture`.
#[test]
#[ignore = "timing, meaningful only in an optimised build"]
fn activity_throughput() {
    let rate = 48000;
    let voice = synth::talker(1, rate, 60.0, 120.0);
    let x = synth::mix(
        &voice.samples,
        &synth::pink(2, rate, voice.samples.len(), -50.0),
    );
    let started = std::time::Instant::now();
    let mut analyzer = ActivityAnalyzer::new(rate);
    for block in x.chunks(4096) {
        analyzer.push(block);
    }
    let stats = analyzer.finish(false);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "activity: 60 s at 48 kHz in {seconds:.3} s = {:.0}x real time ({:?} dB SNR)",
        60.0 / seconds,
        stats.snr_db
    );
    assert!(stats.snr_db.is_some());
}

/// Clatter (80 ms noise bursts every 250 ms, 40 dB over the floor): the energy
/// detector takes them for speech, Silero does not; and the neural analyser fed in odd chunks
/// gives what it gives fed whole.
#[test]
fn silero_rejects_clicks_the_energy_detector_calls_speech() {
    let Some(model) = super::super::neural_vad::tests::model() else {
        return;
    };
    let len = 6 * RATE as usize;
    let mut x = synth::white(4, len, -70.0);
    let burst = synth::white(5, 1280, -30.0);
    for start in (RATE as usize..len - RATE as usize).step_by(4000) {
        for (i, b) in burst.iter().enumerate() {
            x[start + i] += b;
        }
    }
    let energy = analyze(&x, RATE);
    let neural = |chunk: usize| {
        let mut analyzer = ActivityAnalyzer::with_neural(RATE, &model);
        for block in x.chunks(chunk) {
            analyzer.push_16k(block);
            analyzer.push(block);
        }
        analyzer.finish(false)
    };
    let (whole, chunked) = (neural(len), neural(777));
    eprintln!(
        "speech fraction: energy {:.2}, silero {:.2}",
        energy.speech_fraction, whole.speech_fraction
    );
    assert!(whole.neural && !energy.neural);
    assert!(energy.speech_fraction > 0.3, "{}", energy.speech_fraction);
    assert!(whole.speech_fraction < 0.05, "{}", whole.speech_fraction);
    assert_eq!(whole, chunked);
}
