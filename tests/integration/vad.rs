//! The voice activity detector the binary runs: Silero VAD when its model is installed, else the
//! energy VAD with a warning; the report says which one ran.

use std::path::PathBuf;

use crate::util::{callqa, json, repo, stderr};

/// The Silero model of the checkout (`callqa model fetch silero`, as scripts/test does), or `None`
/// with a SKIPPED line.
fn silero_model() -> Option<PathBuf> {
    let path = repo("models/silero_vad_openvino_16k.onnx");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("SKIPPED: no Silero VAD model at {}", path.display());
        None
    }
}

fn analyze(model: &std::ffi::OsStr, quiet: bool) -> std::process::Output {
    let sample = repo("samples/clean_call.wav");
    let mut args = vec![
        "analyze",
        sample.to_str().unwrap(),
        "--no-transcribe",
        "--format",
        "json",
    ];
    if quiet {
        args.push("--quiet");
    }
    callqa()
        .args(&args)
        .env("CALLQA_VAD_MODEL", model)
        .env_remove("CALLQA_VAD")
        .output()
        .expect("the callqa binary runs")
}

#[test]
fn without_the_model_the_energy_vad_runs_and_says_so() {
    let out = analyze("/nonexistent/silero.onnx".as_ref(), false);
    let report = json(&out);
    let rec = &report["recordings"][0];
    assert_eq!(rec["vad"], "energy");
    let warnings = rec["warnings"].to_string();
    assert!(warnings.contains("callqa model fetch silero"), "{warnings}");
    assert!(report["provenance"].get("vad_model").is_none());
    assert!(
        stderr(&out).contains("warning: the Silero VAD model"),
        "{}",
        stderr(&out)
    );
    assert!(rec["channels"][0]["speech_fraction"].as_f64().unwrap() > 0.3);
    let quiet = analyze("/nonexistent/silero.onnx".as_ref(), true);
    assert!(stderr(&quiet).is_empty(), "{}", stderr(&quiet));
}

#[test]
fn with_the_model_silero_finds_the_espeak_speech() {
    let Some(model) = silero_model() else { return };
    let out = analyze(model.as_os_str(), false);
    let report = json(&out);
    let rec = &report["recordings"][0];
    assert_eq!(rec["vad"], "silero", "{}", stderr(&out));
    assert_eq!(rec["warnings"], serde_json::json!([]));
    assert!(report["provenance"]["vad_model"]
        .as_str()
        .is_some_and(|p| p.ends_with("silero_vad_openvino_16k.onnx")));
    for channel in rec["channels"].as_array().unwrap() {
        let fraction = channel["speech_fraction"].as_f64().unwrap();
        assert!(fraction > 0.3, "{fraction}");
    }
}
