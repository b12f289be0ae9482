//! Path -> stream of planar f32 blocks per channel, plus the format facts a buyer wants to see.
//!
//! Decoding is packet by packet (memory stays flat on a two-hour file). A damaged packet is
//! skipped and becomes a warning with its time; a file that cannot be decoded at all becomes a
//! [`DecodeError`] whose message says what is wrong and what to do.
//!
//! Policy for short files: when the header announces more audio than the file holds (a WAV cut
//! short, a FLAC whose copy stopped midway), the audio that is there is decoded and a warning
//! says how much is missing. A file cut inside its header, or before its first audio packet,
//! is an error ([`DecodeError::Truncated`]).

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;

use super::codecs::{
    codec_registry, codec_short_name, extension_of, format_probe, hint_for,
    unsupported_format_name, wave_format_name,
};
use super::content::describe_unrecognised;
use super::resample::{sanitize_sample, MAX_SAMPLE_MAGNITUDE};

/// Frames per channel in a block handed to the caller (a block may exceed it by one packet).
pub const BLOCK_FRAMES: usize = 16_384;

/// Individual damaged-packet warnings kept; the rest are counted in one summary line.
const MAX_PACKET_WARNINGS: usize = 10;

/// Sample rates callqa analyses, Hz (call audio is 8-48 kHz; the rest is room to spare).
pub const SUPPORTED_RATES_HZ: std::ops::RangeInclusive<u32> = 4_000..=384_000;

/// Most channels callqa analyses (each channel gets its own analysers).
pub const MAX_CHANNELS: usize = 64;

/// Bytes read from the start of a file to explain why it could not be opened.
const HEAD_BYTES: usize = 4096;

/// Format facts of an opened audio stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// Decoded sample rate, Hz.
    pub sample_rate_hz: u32,
    pub channels: usize,
    /// Short codec name: pcm_s16le, pcm_mulaw, pcm_alaw, mp3, flac, vorbis, opus, aac, alac ...
    pub codec: String,
    /// Bits per coded sample for PCM and lossless codecs; `None` for lossy codecs.
    pub bits_per_sample: Option<u32>,
    /// Duration announced by the container, seconds (the measured one comes from the samples).
    pub duration_s: Option<f64>,
}

/// Why a file could not be decoded, in words a user understands.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty (0 bytes): the recording was never written or the copy failed; copy or export it again")]
    Empty,
    #[error("the file is truncated: {0}")]
    Truncated(String),
    #[error("not a recognised audio file: {0}")]
    NotAudio(String),
    /// An audio codec or container variant callqa cannot decode; the text names it.
    #[error("unsupported {0}")]
    Unsupported(String),
    #[error("the audio data is damaged: {0}")]
    Corrupt(String),
}

/// An open audio file, decoded packet by packet.
pub struct AudioStream {
    info: StreamInfo,
    warnings: Vec<String>,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// Frames the container announces, at the decoded rate.
    announced_frames: Option<u64>,
    /// The track's timestamp unit, seconds per tick (to spot data the demuxer skipped).
    tick_s: Option<f64>,
    /// Timestamp where the next packet should start, ticks.
    next_pts: Option<i64>,
    /// Decoded samples not yet handed out, one vector per channel.
    pending: Vec<Vec<f32>>,
    scratch: Vec<Vec<f32>>,
    frames_decoded: u64,
    damaged_packets: usize,
    first_damage: Option<String>,
    /// Samples that were NaN, infinite or beyond ±[`MAX_SAMPLE_MAGNITUDE`] (damaged float data).
    insane_samples: u64,
    ended: bool,
}

/// What one step of the packet loop produced.
enum Step {
    Audio,
    Nothing,
    End,
}

impl AudioStream {
    /// Opens a file and decodes its first audio packet (so a file without decodable audio fails
    /// here, with a message for the user).
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        let file = File::open(path)?;
        let byte_len = file.metadata()?.len();
        if byte_len == 0 {
            return Err(DecodeError::Empty);
        }
        let head = read_head(path, HEAD_BYTES)?;
        let ext = extension_of(path);
        Self::from_source(Box::new(file), &head, byte_len, ext.as_deref())
    }

    /// Opens audio held in memory; `extension` (without dot) is only a hint for the prober.
    pub fn from_bytes(bytes: Vec<u8>, extension: Option<&str>) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::Empty);
        }
        let head = bytes[..bytes.len().min(HEAD_BYTES)].to_vec();
        let byte_len = bytes.len() as u64;
        Self::from_source(Box::new(Cursor::new(bytes)), &head, byte_len, extension)
    }

    fn from_source(
        source: Box<dyn MediaSource>,
        head: &[u8],
        byte_len: u64,
        extension: Option<&str>,
    ) -> Result<Self, DecodeError> {
        let mss = MediaSourceStream::new(source, Default::default());
        let probed = guard(|| {
            format_probe().probe(
                &hint_for(extension),
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        });
        let format = match probed {
            Ok(result) => result.map_err(|err| probe_error(err, head, byte_len, extension))?,
            Err(crash) => {
                return Err(DecodeError::Corrupt(format!(
                    "the container reader failed on this file's header ({crash}); \
                     the file is damaged — check it with `ffprobe` or export it again"
                )))
            }
        };
        let mut stream = Self::with_reader(format)?;
        stream.prime()?;
        Ok(stream)
    }

    fn with_reader(format: Box<dyn FormatReader>) -> Result<Self, DecodeError> {
        let track = format
            .default_track(TrackType::Audio)
            .or_else(|| format.first_track(TrackType::Audio))
            .ok_or_else(|| {
                DecodeError::NotAudio("the file holds no audio track (video or data only)".into())
            })?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| DecodeError::NotAudio("the audio track has no codec parameters".into()))?
            .clone();
        let codec = codec_short_name(params.codec);
        let decoder = make_decoder(&params, &codec)?;
        let info = StreamInfo {
            sample_rate_hz: params.sample_rate.unwrap_or(0),
            channels: params.channels.as_ref().map_or(0, |c| c.count()),
            bits_per_sample: bits_per_sample(decoder.codec_params(), &codec),
            codec,
            duration_s: None,
        };
        Ok(Self {
            info,
            warnings: Vec::new(),
            track_id: track.id,
            announced_frames: track.num_frames,
            tick_s: track
                .time_base
                .map(|tb| f64::from(tb.numer.get()) / f64::from(tb.denom.get())),
            next_pts: None,
            decoder,
            format,
            pending: Vec::new(),
            scratch: Vec::new(),
            frames_decoded: 0,
            damaged_packets: 0,
            first_damage: None,
            insane_samples: 0,
            ended: false,
        })
    }

    /// Decodes until the first audio, which fixes the stream's rate and channel count.
    fn prime(&mut self) -> Result<(), DecodeError> {
        loop {
            match self.step()? {
                Step::Audio => break,
                Step::Nothing => {}
                Step::End => return Err(self.no_audio_error()),
            }
        }
        self.check_layout()?;
        self.info.duration_s = self
            .announced_frames
            .map(|frames| frames as f64 / f64::from(self.info.sample_rate_hz));
        Ok(())
    }

    /// Refuses rates and channel counts the analysers are not made for.
    fn check_layout(&self) -> Result<(), DecodeError> {
        let rate = self.info.sample_rate_hz;
        if !SUPPORTED_RATES_HZ.contains(&rate) {
            return Err(DecodeError::Unsupported(format!(
                "sample rate {rate} Hz: callqa analyses {} to {} Hz; {CONVERT_ADVICE}",
                SUPPORTED_RATES_HZ.start(),
                SUPPORTED_RATES_HZ.end()
            )));
        }
        if self.info.channels > MAX_CHANNELS {
            return Err(DecodeError::Unsupported(format!(
                "channel count {}: callqa analyses up to {MAX_CHANNELS} channels",
                self.info.channels
            )));
        }
        Ok(())
    }

    fn no_audio_error(&self) -> DecodeError {
        if let Some(first) = &self.first_damage {
            return DecodeError::Corrupt(format!(
                "none of its {} audio packets could be decoded (first problem: {first}); \
                 the file is damaged or is not really {} audio",
                self.damaged_packets, self.info.codec
            ));
        }
        if self.announced_frames.is_some_and(|n| n > 0) {
            return DecodeError::Truncated(
                "the header announces audio but the file ends before any of it; \
                 get a complete copy of the recording"
                    .into(),
            );
        }
        DecodeError::Corrupt("the file holds no audio samples (an empty recording)".into())
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The next block of samples, one vector per channel (all the same length), full scale = 1.0.
    /// `Ok(None)` at the end of the stream. A damaged packet is skipped and noted in `warnings`.
    pub fn next_block(&mut self) -> Result<Option<Vec<Vec<f32>>>, DecodeError> {
        while !self.ended && self.pending_frames() < BLOCK_FRAMES {
            if let Step::End = self.step()? {
                self.finish();
            }
        }
        if self.pending_frames() == 0 {
            return Ok(None);
        }
        let fresh = vec![Vec::with_capacity(BLOCK_FRAMES); self.info.channels];
        Ok(Some(std::mem::replace(&mut self.pending, fresh)))
    }

    /// Problems met so far that did not stop decoding.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// At the end of the stream: seconds of audio the header announced that the file does not
    /// hold (a truncated file), beyond what codec delay and padding explain.
    pub fn missing_s(&self) -> Option<f64> {
        let rate = f64::from(self.info.sample_rate_hz);
        self.missing_frames().map(|frames| frames as f64 / rate)
    }

    fn pending_frames(&self) -> usize {
        self.pending.first().map_or(0, Vec::len)
    }

    /// Seconds of audio decoded so far: where the next packet starts.
    fn position_s(&self) -> f64 {
        self.frames_decoded as f64 / f64::from(self.info.sample_rate_hz.max(1))
    }

    /// Reads and decodes one packet. Errors only before the first audio; afterwards every
    /// problem is a warning and at worst ends the stream early.
    fn step(&mut self) -> Result<Step, DecodeError> {
        let format = &mut self.format;
        let packet = match guard(|| format.next_packet()) {
            Ok(Ok(Some(packet))) => packet,
            Ok(Ok(None)) => return Ok(Step::End),
            Ok(Err(err)) => return self.container_problem(err),
            Err(crash) => return self.crashed(&crash),
        };
        if packet.track_id != self.track_id {
            return Ok(Step::Nothing);
        }
        self.check_continuity(packet.pts.get(), packet.dur.get());
        let (decoder, scratch) = (&mut self.decoder, &mut self.scratch);
        match guard(|| decode_into(decoder.as_mut(), &packet, scratch)) {
            Ok(Ok(Some((rate, channels)))) => Ok(self.accept_decoded(rate, channels)),
            Ok(Ok(None)) => Ok(Step::Nothing),
            Ok(Err(SymphoniaError::DecodeError(msg))) => {
                self.damaged_packet(msg.to_string());
                Ok(Step::Nothing)
            }
            Ok(Err(SymphoniaError::IoError(err))) => {
                self.damaged_packet(err.to_string());
                Ok(Step::Nothing)
            }
            Ok(Err(err)) if self.frames_decoded == 0 => Err(codec_error(err, &self.info.codec)),
            Ok(Err(err)) => {
                self.stopped_early(&err.to_string());
                Ok(Step::End)
            }
            Err(crash) => self.crashed(&crash),
        }
    }

    /// A panic inside the demuxer or decoder (a library bug met on odd data): fatal before the
    /// first audio, otherwise the end of the stream with a warning.
    fn crashed(&mut self, crash: &str) -> Result<Step, DecodeError> {
        let detail = format!(
            "the {} decoder failed on this data: {crash}",
            self.info.codec
        );
        if self.frames_decoded == 0 {
            return Err(DecodeError::Corrupt(format!(
                "{detail}; the file is damaged, convert it with ffmpeg to WAV or FLAC"
            )));
        }
        self.stopped_early(&detail);
        Ok(Step::End)
    }

    /// Appends the samples in `scratch` to `pending`, unless their format differs from the
    /// stream's (then the packet is skipped with a warning).
    fn accept_decoded(&mut self, rate: u32, channels: usize) -> Step {
        if self.frames_decoded == 0 {
            self.info.sample_rate_hz = rate;
            self.info.channels = channels;
            self.pending = vec![Vec::with_capacity(BLOCK_FRAMES); channels];
        } else if rate != self.info.sample_rate_hz || channels != self.info.channels {
            self.damaged_packet(format!(
                "the format changes to {channels} channel(s) at {rate} Hz"
            ));
            return Step::Nothing;
        }
        let frames = self.scratch.first().map_or(0, Vec::len);
        for (pending, decoded) in self.pending.iter_mut().zip(&self.scratch) {
            let start = pending.len();
            pending.extend(decoded.iter().copied().map(sanitize_sample));
            let changed = pending[start..]
                .iter()
                .zip(decoded)
                .filter(|(kept, raw)| kept.to_bits() != raw.to_bits())
                .count();
            self.insane_samples += changed as u64;
        }
        self.frames_decoded += frames as u64;
        Step::Audio
    }

    fn container_problem(&mut self, err: SymphoniaError) -> Result<Step, DecodeError> {
        match err {
            SymphoniaError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                Ok(Step::End)
            }
            SymphoniaError::ResetRequired => {
                self.warnings.push(format!(
                    "the stream changes its format at {:.2} s (a chained stream); \
                     only the part before was analysed",
                    self.position_s()
                ));
                Ok(Step::End)
            }
            err if self.frames_decoded == 0 => Err(DecodeError::Corrupt(format!(
                "the container is damaged before the first audio ({err}); \
                 re-export the recording or convert it with ffmpeg"
            ))),
            err => {
                self.stopped_early(&err.to_string());
                Ok(Step::End)
            }
        }
    }

    /// Notes a jump in packet timestamps once audio flows: data the demuxer skipped (it
    /// resynchronised after damage). Jumps under a millisecond are rounding, not loss.
    /// `dur` is the packet's duration in ticks (0 when the container does not say).
    fn check_continuity(&mut self, pts: i64, dur: u64) {
        if let (Some(expected), Some(tick_s), true) =
            (self.next_pts, self.tick_s, self.frames_decoded > 0)
        {
            let gap_s = pts.saturating_sub(expected) as f64 * tick_s;
            if gap_s > 0.001 {
                let message = format!(
                    "{gap_s:.3} s of audio missing at {:.2} s (damaged data skipped)",
                    self.position_s()
                );
                self.note_damage(message, "damaged data skipped by the demuxer".into());
            }
        }
        // Containers that give no packet duration (Matroska/WebM) cannot be checked this way.
        self.next_pts =
            (dur > 0).then(|| pts.saturating_add(i64::try_from(dur).unwrap_or(i64::MAX)));
    }

    fn damaged_packet(&mut self, detail: String) {
        let message = format!(
            "damaged audio packet at {:.2} s skipped ({detail})",
            self.position_s()
        );
        self.note_damage(message, detail);
    }

    fn note_damage(&mut self, message: String, detail: String) {
        self.damaged_packets += 1;
        if self.damaged_packets <= MAX_PACKET_WARNINGS {
            self.warnings.push(message);
        }
        self.first_damage.get_or_insert(detail);
    }

    fn stopped_early(&mut self, detail: &str) {
        self.warnings.push(format!(
            "decoding stopped at {:.2} s: the file is damaged after this point ({detail})",
            self.position_s()
        ));
    }

    /// End-of-stream bookkeeping: the damaged-packet summary and the truncation check.
    fn finish(&mut self) {
        self.ended = true;
        if self.damaged_packets > MAX_PACKET_WARNINGS {
            self.warnings.push(format!(
                "{} damaged stretches skipped in all (only the first {MAX_PACKET_WARNINGS} are listed)",
                self.damaged_packets
            ));
        }
        if self.insane_samples > 0 {
            self.warnings.push(format!(
                "{} samples were NaN, infinite or beyond ±{MAX_SAMPLE_MAGNITUDE} full scale \
                 (damaged float data) and were replaced by silence or clamped",
                self.insane_samples
            ));
        }
        if let Some(missing) = self.missing_frames() {
            let rate = f64::from(self.info.sample_rate_hz);
            self.warnings.push(format!(
                "the header announces {:.2} s of audio but the file ends after {:.2} s \
                 ({:.2} s missing): the file is probably truncated",
                self.announced_frames.unwrap_or(0) as f64 / rate,
                self.position_s(),
                missing as f64 / rate
            ));
        }
    }

    /// Frames announced but never decoded, when that is more than codec delay and padding
    /// explain (more than 1 % of the length and more than 0.1 s).
    fn missing_frames(&self) -> Option<u64> {
        let announced = self.announced_frames?;
        let missing = announced.checked_sub(self.frames_decoded)?;
        let tolerance = (announced / 100).max(u64::from(self.info.sample_rate_hz) / 10);
        (missing > tolerance).then_some(missing)
    }
}

/// Decodes one packet into `scratch` (planar f32); `None` when it yields no samples.
/// Returns the buffer's sample rate (Hz) and channel count.
fn decode_into(
    decoder: &mut dyn AudioDecoder,
    packet: &Packet,
    scratch: &mut Vec<Vec<f32>>,
) -> Result<Option<(u32, usize)>, SymphoniaError> {
    let buffer = decoder.decode(packet)?;
    let rate = buffer.spec().rate();
    let channels = buffer.spec().channels().count();
    if buffer.frames() == 0 || channels == 0 {
        return Ok(None);
    }
    buffer.copy_to_vecs_planar::<f32>(scratch);
    Ok(Some((rate, channels)))
}

/// Runs library code and turns a panic into an error text, so one odd file cannot bring down
/// a batch. Under `cargo fuzz` (`--cfg fuzzing`) panics go through, for the fuzzer to see.
pub(super) fn guard<T>(run: impl FnOnce() -> T) -> Result<T, String> {
    if cfg!(fuzzing) {
        return Ok(run());
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

fn read_head(path: &Path, max: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(max);
    File::open(path)?.take(max as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn make_decoder(
    params: &AudioCodecParameters,
    codec: &str,
) -> Result<Box<dyn AudioDecoder>, DecodeError> {
    if codec_registry().get_audio_decoder(params.codec).is_none() {
        return Err(DecodeError::Unsupported(format!(
            "codec {codec}: callqa has no decoder for it; {CONVERT_ADVICE}"
        )));
    }
    let made =
        guard(|| codec_registry().make_audio_decoder(params, &AudioDecoderOptions::default()));
    match made {
        Ok(result) => result.map_err(|err| codec_error(err, codec)),
        Err(crash) => Err(DecodeError::Corrupt(format!(
            "the {codec} decoder failed on this file's parameters ({crash}); the file is damaged"
        ))),
    }
}

const CONVERT_ADVICE: &str =
    "convert the file first, e.g. `ffmpeg -i INPUT -c:a pcm_s16le OUTPUT.wav`";

fn codec_error(err: SymphoniaError, codec: &str) -> DecodeError {
    match err {
        SymphoniaError::Unsupported(what) => {
            DecodeError::Unsupported(format!("codec {codec} ({what}); {CONVERT_ADVICE}"))
        }
        other => DecodeError::Corrupt(format!(
            "the {codec} decoder cannot start ({other}); the file is damaged"
        )),
    }
}

/// Bits per coded sample where the notion makes sense (PCM and lossless codecs; G.711 µ-law
/// and A-law code 8 bits per sample).
fn bits_per_sample(params: &AudioCodecParameters, codec: &str) -> Option<u32> {
    const LOSSY: [&str; 6] = ["mp1", "mp2", "mp3", "aac", "vorbis", "opus"];
    match codec {
        _ if LOSSY.contains(&codec) => None,
        "pcm_mulaw" | "pcm_alaw" => Some(8),
        _ => params.bits_per_coded_sample.or(params.bits_per_sample),
    }
}

/// Turns a failed probe into a message that says what the file is and what to do.
fn probe_error(
    err: SymphoniaError,
    head: &[u8],
    byte_len: u64,
    extension: Option<&str>,
) -> DecodeError {
    let unreadable_format = extension.and_then(unsupported_format_name);
    match err {
        SymphoniaError::Unsupported(msg) if msg.contains("no suitable format reader") => {
            match unreadable_format {
                Some(name) => DecodeError::Unsupported(format!(
                    "format {name}: callqa cannot read it; {CONVERT_ADVICE}"
                )),
                None => DecodeError::NotAudio(describe_unrecognised(head)),
            }
        }
        SymphoniaError::Unsupported("wav: unsupported wave format") => {
            DecodeError::Unsupported(match wave_format_tag(head) {
                Some(tag) => format!(
                    "codec {} in a WAV file; {CONVERT_ADVICE}",
                    wave_format_name(tag)
                ),
                None => format!("codec (unknown) in a WAV file; {CONVERT_ADVICE}"),
            })
        }
        SymphoniaError::Unsupported(msg) if msg.contains("missing moov atom") => {
            DecodeError::Truncated(
                "its index (the MP4 'moov' atom) is missing, as in an MP4/M4A whose recording or \
                 copy was interrupted; get a complete copy of the recording"
                    .into(),
            )
        }
        SymphoniaError::Unsupported(msg) if msg.contains("missing data chunk") => {
            DecodeError::Truncated(
                "the WAV header is there but its audio data chunk is missing; \
                 get a complete copy of the recording"
                    .into(),
            )
        }
        SymphoniaError::Unsupported(msg) => {
            DecodeError::Unsupported(format!("file variant ({msg}); {CONVERT_ADVICE}"))
        }
        SymphoniaError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated(format!(
                "it ends after {byte_len} bytes, inside its header, before any audio \
                 (an interrupted download or copy?); get a complete copy of the recording"
            ))
        }
        SymphoniaError::IoError(io) => DecodeError::Io(io),
        other => DecodeError::Corrupt(format!(
            "its header is malformed ({other}); the file is damaged or its name does not match \
             its content — check it with `ffprobe` or export it again"
        )),
    }
}

/// The format tag of a RIFF/WAVE file's `fmt ` chunk, if it is within `head`.
fn wave_format_tag(head: &[u8]) -> Option<u16> {
    if head.get(0..4)? != b"RIFF" || head.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut pos = 12;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32::from_le_bytes(head[pos + 4..pos + 8].try_into().ok()?) as usize;
        if id == b"fmt " {
            let tag = head.get(pos + 8..pos + 10)?;
            return Some(u16::from_le_bytes([tag[0], tag[1]]));
        }
        pos = pos.checked_add(8 + size + (size & 1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_header(format_tag: u16) -> Vec<u8> {
        let mut h = b"RIFF\x24\x00\x00\x00WAVE".to_vec();
        h.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        h.extend_from_slice(b"fmt \x10\x00\x00\x00");
        h.extend_from_slice(&format_tag.to_le_bytes());
        h.extend_from_slice(&[1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
        h
    }

    #[test]
    fn wave_format_tag_is_found_after_other_chunks() {
        assert_eq!(wave_format_tag(&wav_header(0x31)), Some(0x31));
    }

    #[test]
    fn wave_format_tag_ignores_other_files() {
        assert_eq!(wave_format_tag(b"OggS\0\0\0\0\0\0\0\0"), None);
        assert_eq!(wave_format_tag(b"RIFF"), None);
    }

    fn wav_with_rate(rate_hz: u32) -> Vec<u8> {
        let mut bytes = wav_header(1);
        bytes[36..40].copy_from_slice(&rate_hz.to_le_bytes());
        bytes[40..44].copy_from_slice(&(rate_hz * 2).to_le_bytes());
        bytes.extend_from_slice(b"data\x08\x00\x00\x00");
        bytes.extend_from_slice(&[0, 1, 0, 2, 0, 3, 0, 4]);
        let riff_len = (bytes.len() as u32 - 8).to_le_bytes();
        bytes[4..8].copy_from_slice(&riff_len);
        bytes
    }

    #[test]
    fn rates_outside_the_analysed_range_are_refused_by_name() {
        let err = AudioStream::from_bytes(wav_with_rate(2_000), Some("wav"))
            .err()
            .expect("2 kHz is refused");
        assert!(err.to_string().contains("sample rate 2000 Hz"), "{err}");
        assert!(AudioStream::from_bytes(wav_with_rate(8_000), Some("wav")).is_ok());
    }

    #[test]
    fn a_panic_in_library_code_becomes_an_error_text() {
        let caught = guard(|| -> u8 { panic!("boom") });
        assert_eq!(caught.unwrap_err(), "boom");
        assert_eq!(guard(|| 7), Ok(7));
    }

    #[test]
    fn empty_bytes_are_an_empty_file() {
        assert!(matches!(
            AudioStream::from_bytes(Vec::new(), Some("wav")),
            Err(DecodeError::Empty)
        ));
    }

    #[test]
    fn in_memory_wav_decodes_to_full_scale_floats() {
        let mut bytes = wav_header(1);
        // data chunk: 4 frames of 16-bit mono: 0, 16384, -16384, 32767
        bytes.extend_from_slice(b"data\x08\x00\x00\x00");
        for s in [0i16, 16384, -16384, 32767] {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        let riff_len = (bytes.len() as u32 - 8).to_le_bytes();
        bytes[4..8].copy_from_slice(&riff_len);
        let mut stream = AudioStream::from_bytes(bytes, Some("wav")).expect("valid wav");
        assert_eq!(stream.info().sample_rate_hz, 8000);
        assert_eq!(stream.info().codec, "pcm_s16le");
        let block = stream.next_block().unwrap().expect("one block");
        let expected = [0.0, 0.5, -0.5, 32767.0 / 32768.0];
        for (got, want) in block[0].iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert!(stream.next_block().unwrap().is_none());
    }
}
