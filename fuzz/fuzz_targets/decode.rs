//! Fuzz target: arbitrary bytes through decode + every measurement. Any panic is a bug; a
//! `DecodeError` is the right answer for garbage.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Extensions given as probe hints; the first input byte picks one.
const EXTENSIONS: [&str; 7] = ["wav", "mp3", "flac", "ogg", "opus", "m4a", "webm"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let extension = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let _ = callqa::audio::harness::decode_and_measure(bytes.to_vec(), Some(extension));
});
