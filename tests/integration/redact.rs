//! `analyze --redact-audio`: the redacted copy, transcribed again, holds none of the planted
//! digits while the other words stay; `--no-transcribe` refuses the option.

use crate::util::{callqa, model, repo, stderr, Scratch};
use serde_json::Value;

/// Every word the recording's transcript holds, lower-case, joined by spaces.
fn transcript_text(report: &Value) -> String {
    let mut words = Vec::new();
    for segment in report["recordings"][0]["transcript"]["segments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        words.push(segment["text"].as_str().unwrap_or("").to_lowercase());
    }
    words.join(" ")
}

/// Digit words and digits of the planted card number and phone, in order, as one string.
fn digit_runs(text: &str) -> String {
    const WORDS: [&str; 10] = [
        "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
    ];
    let mut digits = String::new();
    for token in text.split(|c: char| !c.is_alphanumeric()) {
        if let Some(d) = WORDS.iter().position(|w| *w == token) {
            digits.push(char::from(b'0' + d as u8));
        } else if token.chars().all(|c| c.is_ascii_digit()) {
            digits.push_str(token);
        } else if !token.is_empty() {
            digits.push(' ');
        }
    }
    digits
}

fn analyze_json(scratch: &Scratch, model: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--format", "json", "--fast", "--jobs", "1", "-q"];
    all.push("--model");
    let model = model.to_string_lossy().into_owned();
    all.push(&model);
    all.extend_from_slice(args);
    let out = scratch.callqa(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The planted card and phone numbers of es_call are gone from the redacted copy (as heard by the
/// same model again), while ordinary words stay audible.
#[test]
fn redacted_copy_holds_no_planted_digits_but_keeps_other_words() {
    let scratch = Scratch::new();
    {
        let Some(model) = model() else { return };
        let call = repo("samples/vendor-b/es_call.ogg");
        let call = call.to_string_lossy().into_owned();
        analyze_json(
            &scratch,
            &model,
            &["--lang", "es", "--redact-audio", "redacted", &call],
        );
        let copy = scratch.path("redacted/es_call.ogg.wav");
        let bytes = std::fs::read(&copy).expect("the redacted copy is written");
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        let copy = copy.to_string_lossy().into_owned();
        let report = analyze_json(&scratch, &model, &["--lang", "es", "--show-pii", &copy]);
        let text = transcript_text(&report);
        let digits = digit_runs(&text);
        for planted in ["5469040011223343", "612345678"] {
            for part in planted.as_bytes().chunks(4) {
                let part = std::str::from_utf8(part).unwrap();
                assert!(
                    part.len() < 4 || !digits.contains(part),
                    "{part} of {planted} is heard in the redacted copy: {text}"
                );
            }
        }
        let kept = ["buenos", "sofá", "precio", "gracias"];
        let heard = kept.iter().filter(|w| text.contains(*w)).count();
        assert!(heard >= 2, "the other words are gone: {text}");
    }
}

clitest!(redact_audio_needs_transcription, |scratch| {
    let out = callqa()
        .current_dir(scratch.path(""))
        .args(["analyze", "--no-transcribe", "--redact-audio", "r"])
        .arg(repo("samples/vendor-b/es_call.ogg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--redact-audio needs transcription"),
        "{}",
        stderr(&out)
    );
    assert!(!scratch.path("r").exists());
});
