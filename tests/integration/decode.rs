//! Decoding every supported format, rejecting every kind of bad input with a clear message,
//! never panicking on mangled files, and the batch binary's error policy on a mixed folder.
//!
//! Fixtures come from `scripts/make-fixtures`: channel 0 is a 1 kHz sine at amplitude 0.5
//! (RMS -9.03 dBFS); a second channel is 500 Hz at amplitude 0.25 (RMS -15.05 dBFS).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use callqa::audio::decode::BLOCK_FRAMES;
use callqa::audio::harness::decode_and_measure;
use callqa::audio::{sniff, AudioStream, DecodeError, Sniff};

use crate::util::{callqa, fixture, mutate, read_json, Rng};

/// A whole file decoded: format facts, per-channel samples, warnings.
struct Decoded {
    rate: u32,
    codec: String,
    bits: Option<u32>,
    channels: Vec<Vec<f32>>,
    warnings: Vec<String>,
}

fn decode(name: &str) -> Decoded {
    let mut stream = AudioStream::open(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let info = stream.info().clone();
    let mut channels = vec![Vec::new(); info.channels];
    while let Some(block) = stream.next_block().unwrap() {
        assert_eq!(
            block.len(),
            info.channels,
            "{name}: planar block per channel"
        );
        for (all, part) in channels.iter_mut().zip(block) {
            all.extend(part);
        }
    }
    Decoded {
        rate: info.sample_rate_hz,
        codec: info.codec,
        bits: info.bits_per_sample,
        channels,
        warnings: stream.warnings().to_vec(),
    }
}

impl Decoded {
    fn duration_s(&self) -> f64 {
        self.channels[0].len() as f64 / f64::from(self.rate)
    }

    /// RMS of the middle half of a channel, dBFS (edges hold codec start-up and fades).
    fn rms_dbfs(&self, channel: usize) -> f64 {
        let x = &self.channels[channel];
        let mid = &x[x.len() / 4..x.len() * 3 / 4];
        let power = mid.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / mid.len() as f64;
        10.0 * power.log10()
    }

    /// Frequency of a channel from its interpolated upward zero crossings, Hz.
    fn frequency_hz(&self, channel: usize) -> f64 {
        let x = &self.channels[channel];
        let mid = &x[x.len() / 4..x.len() * 3 / 4];
        let crossings: Vec<f64> = mid
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
            .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
            .collect();
        let span = crossings.last().unwrap() - crossings.first().unwrap();
        (crossings.len() - 1) as f64 * f64::from(self.rate) / span
    }
}

/// What a good fixture must decode to.
struct Expect {
    file: &'static str,
    codec: &'static str,
    rate: u32,
    channels: usize,
    duration_s: f64,
    bits: Option<u32>,
    /// Level tolerance, dB (lossy codecs move the level a little).
    level_tol_db: f64,
}

const TONE_RMS_DBFS: f64 = -9.03;
const SECOND_CHANNEL_RMS_DBFS: f64 = -15.05;

#[rustfmt::skip]
const GOOD: &[Expect] = &[
    Expect { file: "pcm_u8_8k.wav", codec: "pcm_u8", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(8), level_tol_db: 0.2 },
    Expect { file: "pcm_s16le_8k.wav", codec: "pcm_s16le", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(16), level_tol_db: 0.05 },
    Expect { file: "pcm_s24le_8k.wav", codec: "pcm_s24le", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(24), level_tol_db: 0.05 },
    Expect { file: "pcm_s32le_8k.wav", codec: "pcm_s32le", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(32), level_tol_db: 0.05 },
    Expect { file: "pcm_f32le_8k.wav", codec: "pcm_f32le", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(32), level_tol_db: 0.05 },
    Expect { file: "pcm_f64le_8k.wav", codec: "pcm_f64le", rate: 8000, channels: 1, duration_s: 0.25, bits: Some(64), level_tol_db: 0.05 },
    Expect { file: "mulaw_8k.wav", codec: "pcm_mulaw", rate: 8000, channels: 1, duration_s: 1.0, bits: Some(8), level_tol_db: 0.2 },
    Expect { file: "alaw_8k.wav", codec: "pcm_alaw", rate: 8000, channels: 1, duration_s: 1.0, bits: Some(8), level_tol_db: 0.2 },
    Expect { file: "stereo_11k.wav", codec: "pcm_s16le", rate: 11025, channels: 2, duration_s: 0.25, bits: Some(16), level_tol_db: 0.05 },
    Expect { file: "quad_8k.wav", codec: "pcm_s16le", rate: 8000, channels: 4, duration_s: 0.25, bits: Some(16), level_tol_db: 0.05 },
    Expect { file: "tone_44k.mp3", codec: "mp3", rate: 44100, channels: 1, duration_s: 1.0, bits: None, level_tol_db: 0.5 },
    Expect { file: "tone_16k.flac", codec: "flac", rate: 16000, channels: 1, duration_s: 0.5, bits: Some(16), level_tol_db: 0.05 },
    Expect { file: "tone_22k.ogg", codec: "vorbis", rate: 22050, channels: 1, duration_s: 1.0, bits: None, level_tol_db: 0.5 },
    Expect { file: "tone_48k.opus", codec: "opus", rate: 48000, channels: 1, duration_s: 1.0, bits: None, level_tol_db: 0.5 },
    Expect { file: "tone_16k_input.opus", codec: "opus", rate: 48000, channels: 1, duration_s: 0.5, bits: None, level_tol_db: 0.5 },
    Expect { file: "tone_48k.webm", codec: "opus", rate: 48000, channels: 1, duration_s: 1.0, bits: None, level_tol_db: 0.5 },
    Expect { file: "aac_22k.m4a", codec: "aac", rate: 22050, channels: 1, duration_s: 1.0, bits: None, level_tol_db: 0.5 },
    Expect { file: "alac_16k.m4a", codec: "alac", rate: 16000, channels: 1, duration_s: 0.5, bits: None, level_tol_db: 0.05 },
];

#[test]
fn every_supported_format_decodes_with_the_right_facts_and_level() {
    for want in GOOD {
        let got = decode(want.file);
        let name = want.file;
        assert_eq!(got.codec, want.codec, "{name}");
        assert_eq!(got.rate, want.rate, "{name}");
        assert_eq!(got.channels.len(), want.channels, "{name}");
        assert_eq!(got.bits, want.bits, "{name}");
        // AAC has no gapless trimming in symphonia: up to ~70 ms of priming and padding remain.
        assert!(
            (got.duration_s() - want.duration_s).abs() < 0.08,
            "{name}: {} s",
            got.duration_s()
        );
        let level = got.rms_dbfs(0);
        assert!(
            (level - TONE_RMS_DBFS).abs() < want.level_tol_db,
            "{name}: {level} dBFS"
        );
        let freq = got.frequency_hz(0);
        assert!((freq - 1000.0).abs() < 5.0, "{name}: {freq} Hz");
        assert!(got.warnings.is_empty(), "{name}: {:?}", got.warnings);
    }
}

#[test]
fn stereo_channels_keep_their_order_and_levels() {
    for name in ["stereo_11k.wav", "quad_8k.wav"] {
        let got = decode(name);
        assert!((got.frequency_hz(1) - 500.0).abs() < 3.0, "{name}");
        assert!(
            (got.rms_dbfs(1) - SECOND_CHANNEL_RMS_DBFS).abs() < 0.05,
            "{name}"
        );
    }
}

#[test]
fn opus_made_by_ffmpeg_has_the_announced_duration() {
    let stream = AudioStream::open(&fixture("tone_48k.opus")).unwrap();
    let announced = stream
        .info()
        .duration_s
        .expect("ogg opus announces its length");
    // The Ogg granule position includes the 6.5 ms encoder pre-skip.
    assert!((announced - 1.0).abs() < 0.01, "{announced} s");
    assert!((decode("tone_48k.opus").duration_s() - 1.0).abs() < 0.001);
}

#[test]
fn a_damaged_stretch_is_a_warning_with_its_time() {
    let got = decode("damaged_frames.flac");
    assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
    assert!(
        got.warnings[0].contains("missing at 0.07 s"),
        "{:?}",
        got.warnings
    );
    assert!((got.duration_s() - 0.428).abs() < 0.01);
    assert!((got.rms_dbfs(0) - TONE_RMS_DBFS).abs() < 0.05);
}

#[test]
fn a_wav_holding_less_than_its_header_claims_decodes_what_is_there() {
    let got = decode("short_data.wav");
    assert!((got.duration_s() - 0.5).abs() < 1e-9);
    assert_eq!(got.warnings.len(), 1);
    assert!(
        got.warnings[0].contains("announces 1.00 s") && got.warnings[0].contains("truncated"),
        "{:?}",
        got.warnings
    );
}

/// A bad fixture, a test of the error kind it must give, and words its message must hold.
type BadInput = (&'static str, fn(&DecodeError) -> bool, &'static str);

fn bad_inputs() -> Vec<BadInput> {
    vec![
        (
            "empty.wav",
            |e| matches!(e, DecodeError::Empty),
            "empty (0 bytes)",
        ),
        (
            "truncated_header.wav",
            |e| matches!(e, DecodeError::Truncated(_)),
            "inside its header",
        ),
        (
            "truncated.m4a",
            |e| matches!(e, DecodeError::Truncated(_)),
            "'moov' atom) is missing",
        ),
        (
            "random.mp3",
            |e| matches!(e, DecodeError::NotAudio(_)),
            "matches no known audio format",
        ),
        (
            "text.wav",
            |e| matches!(e, DecodeError::NotAudio(_)),
            "plain text",
        ),
        (
            "gsm_8k.wav",
            |e| matches!(e, DecodeError::Unsupported(_)),
            "codec GSM 6.10",
        ),
    ]
}

#[test]
fn bad_inputs_give_errors_that_say_what_is_wrong() {
    for (name, kind, words) in bad_inputs() {
        let err = AudioStream::open(&fixture(name))
            .err()
            .unwrap_or_else(|| panic!("{name} must not open"));
        assert!(kind(&err), "{name}: wrong kind {err:?}");
        let message = err.to_string();
        assert!(message.contains(words), "{name}: {message}");
    }
}

#[test]
fn recorder_formats_callqa_cannot_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let amr = dir.path().join("call.amr");
    fs::write(&amr, b"#!AMR\n\x3c\x48\xf5\x1f\x96\x66\x79\xe1").unwrap();
    assert_eq!(sniff(&amr).unwrap(), Sniff::Audio);
    let err = AudioStream::open(&amr).err().unwrap();
    assert!(matches!(err, DecodeError::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("format AMR narrowband"), "{err}");
}

#[test]
fn fuzzer_findings_are_errors_not_crashes() {
    // Found by `cargo fuzz` in symphonia 0.6.1's WAV header reader (panics with overflow checks
    // on, as in debug builds): a WAVE_FORMAT_EXTENSIBLE header claiming 16383 channels overflows
    // a shift in the channel-mask fix-up; a plain PCM header claiming tens of thousands of
    // channels overflows the expected block alignment (channels x bytes per sample).
    for name in [
        "fuzz_wav_16383_channels.wav",
        "fuzz_wav_pcm_channel_overflow.wav",
    ] {
        let err = AudioStream::open(&fixture(name))
            .err()
            .expect("a damaged header is refused");
        assert!(
            matches!(err, DecodeError::Corrupt(_) | DecodeError::Unsupported(_)),
            "{name}: {err:?}"
        );
    }
    // An MP4 whose time-to-sample table's sample counts add up past u32 overflows a sum in
    // symphonia-format-isomp4 0.6.1 (stts.rs); without overflow checks it reads on, and callqa
    // grades the quarter-second it decodes (or refuses the file) without panicking.
    let m4a = fs::read(fixture("fuzz_m4a_stts_overflow.m4a")).unwrap();
    let measured = std::panic::catch_unwind(|| decode_and_measure(m4a, Some("m4a")));
    assert!(measured.is_ok(), "the stts overflow input panicked");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let err = AudioStream::open(&fixture("no-such-file.wav"))
        .err()
        .unwrap();
    assert!(matches!(err, DecodeError::Io(ref e) if e.kind() == std::io::ErrorKind::NotFound));
}

#[test]
fn sniffing_goes_by_content_and_audio_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("call.dat");
    fs::copy(fixture("pcm_s16le_8k.wav"), &renamed).unwrap();
    let renamed_mp3 = dir.path().join("call");
    fs::copy(fixture("tone_44k.mp3"), &renamed_mp3).unwrap();
    let blob = dir.path().join("blob.bin");
    fs::copy(fixture("random.mp3"), &blob).unwrap();
    assert_eq!(sniff(&renamed).unwrap(), Sniff::Audio);
    assert_eq!(sniff(&renamed_mp3).unwrap(), Sniff::Audio);
    assert!(matches!(sniff(&blob).unwrap(), Sniff::NotAudio(_)));
    assert!(matches!(
        sniff(&fixture("notes.txt")).unwrap(),
        Sniff::NotAudio(_)
    ));
    // Broken files with an audio extension stay audio, so the decoder explains them.
    for (name, _, _) in bad_inputs() {
        assert_eq!(sniff(&fixture(name)).unwrap(), Sniff::Audio, "{name}");
    }
}

/// A 16-bit mono WAV of `seconds` of a 1 kHz sine at `rate`, as bytes.
fn long_wav(rate: u32, seconds: u32) -> Vec<u8> {
    let frames = rate * seconds;
    let data_len = frames * 2;
    let mut bytes = Vec::with_capacity(44 + data_len as usize);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00");
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(b"\x02\x00\x10\x00data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let phase = 2.0 * std::f64::consts::PI * 1000.0 * f64::from(i) / f64::from(rate);
        bytes.extend_from_slice(&((phase.sin() * 16384.0) as i16).to_le_bytes());
    }
    bytes
}

#[test]
fn blocks_stay_bounded_on_a_long_file() {
    let mut stream = AudioStream::from_bytes(long_wav(48_000, 30), Some("wav")).unwrap();
    let (mut blocks, mut frames, mut largest) = (0, 0, 0);
    while let Some(block) = stream.next_block().unwrap() {
        blocks += 1;
        frames += block[0].len();
        largest = largest.max(block[0].len());
    }
    assert_eq!(frames, 48_000 * 30);
    assert!(blocks > 50, "{blocks} blocks");
    assert!(
        largest <= 2 * BLOCK_FRAMES,
        "largest block {largest} frames"
    );
}

#[test]
fn mutated_fixtures_never_panic() {
    let names: Vec<&str> = GOOD.iter().map(|e| e.file).collect();
    let originals: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(fixture(n)).unwrap())
        .collect();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut outcomes = BTreeMap::<&str, usize>::new();
    // CALLQA_MUTATION_CASES=20000 explores further than the default 400.
    let cases: usize = std::env::var("CALLQA_MUTATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for case in 0..cases {
        let pick = rng.below(names.len());
        let mut bytes = originals[pick].clone();
        for _ in 0..1 + rng.below(3) {
            if !bytes.is_empty() {
                mutate(&mut bytes, &mut rng);
            }
        }
        let ext = Path::new(names[pick]).extension().and_then(|e| e.to_str());
        let result = std::panic::catch_unwind(|| decode_and_measure(bytes, ext));
        let outcome = match result {
            Ok(Ok(_)) => "decoded",
            Ok(Err(_)) => "rejected",
            Err(_) => panic!("case {case} (mutated {}) panicked", names[pick]),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    // Both paths must be exercised, or the loop tests nothing.
    assert!(
        outcomes.get("decoded").copied().unwrap_or(0) > 50,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("rejected").copied().unwrap_or(0) > 10,
        "{outcomes:?}"
    );
}

#[test]
fn random_bytes_never_panic_under_any_audio_name() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for case in 0..200 {
        let len = rng.below(8192);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half the cases start with a real container signature to get past the prober.
        let signatures: [&[u8]; 5] = [
            b"RIFF\0\0\0\0WAVE",
            b"fLaC",
            b"OggS",
            b"ID3\x03\0",
            b"\0\0\0\x20ftypM4A ",
        ];
        if case % 2 == 0 {
            let sig = signatures[rng.below(signatures.len())];
            bytes.splice(0..0, sig.iter().copied());
        }
        let ext = ["wav", "flac", "ogg", "mp3", "m4a", "opus"][rng.below(6)];
        let result = std::panic::catch_unwind(|| decode_and_measure(bytes, Some(ext)));
        assert!(result.is_ok(), "case {case} ({ext}) panicked");
    }
}

/// Bytes and modification time of every file under `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let modified = fs::metadata(&path).unwrap().modified().unwrap();
            (path.clone(), (fs::read(&path).unwrap(), modified))
        })
        .collect()
}

#[test]
fn the_binary_reports_bad_files_and_analyses_the_good_ones() {
    let inputs = tempfile::tempdir().unwrap();
    let good = [
        "pcm_s16le_8k.wav",
        "tone_48k.opus",
        "aac_22k.m4a",
        "stereo_11k.wav",
        "mulaw_8k.wav",
    ];
    let bad: Vec<&str> = bad_inputs().into_iter().map(|(name, _, _)| name).collect();
    for name in good.iter().chain(&bad).chain(&["notes.txt"]) {
        fs::copy(fixture(name), inputs.path().join(name)).unwrap();
    }
    let before = snapshot(inputs.path());
    let out = tempfile::tempdir().unwrap();

    let status = callqa()
        .arg("analyze")
        .arg(inputs.path())
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        .status()
        .unwrap();

    assert_eq!(status.code(), Some(2), "some inputs failed: exit code 2");
    assert_eq!(
        snapshot(inputs.path()),
        before,
        "inputs must be left untouched"
    );
    let report = read_json(&out.path().join("report.json"));
    let file_name = |v: &serde_json::Value| {
        Path::new(v["path"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let mut analysed: Vec<String> = report["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(file_name)
        .collect();
    analysed.sort();
    let mut expected_good: Vec<String> = good.iter().map(|s| s.to_string()).collect();
    expected_good.sort();
    assert_eq!(analysed, expected_good);
    let errors = report["errors"].as_array().unwrap();
    for (name, _, words) in bad_inputs() {
        let entry = errors
            .iter()
            .find(|e| file_name(e) == name)
            .unwrap_or_else(|| panic!("{name} missing from errors"));
        assert!(
            entry["message"].as_str().unwrap().contains(words),
            "{entry}"
        );
    }
    assert_eq!(errors.len(), bad.len());
    let skipped = report["skipped"].as_array().unwrap();
    assert!(skipped.iter().any(|s| file_name(s) == "notes.txt"));
}

/// CPU seconds (user + system) this process has used so far, from /proc (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// Decode-only throughput of the file in CALLQA_BENCH_FILE, in seconds of audio per CPU second:
/// `CALLQA_BENCH_FILE=long.wav cargo test --release --test integration decode_throughput -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: needs CALLQA_BENCH_FILE"]
fn decode_throughput() {
    let path = PathBuf::from(std::env::var("CALLQA_BENCH_FILE").expect("CALLQA_BENCH_FILE"));
    let cpu_start = cpu_seconds().unwrap();
    let wall_start = std::time::Instant::now();
    let mut stream = AudioStream::open(&path).unwrap();
    let rate = f64::from(stream.info().sample_rate_hz);
    let channels = stream.info().channels;
    let mut frames = 0usize;
    while let Some(block) = stream.next_block().unwrap() {
        frames += block[0].len();
    }
    let cpu = cpu_seconds().unwrap() - cpu_start;
    let audio_s = frames as f64 / rate;
    println!(
        "{}: {audio_s:.0} s of audio, {channels} ch at {rate} Hz; decode {cpu:.2} s CPU \
         ({:.2} s wall): {:.0}x real time per core",
        path.display(),
        wall_start.elapsed().as_secs_f64(),
        audio_s / cpu.max(0.01)
    );
    assert!(frames > 0);
}
