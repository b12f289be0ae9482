//! Careless and hostile use (issue 14): output folders checked before any work and replaced whole,
//! Ctrl-C, absurd settings, injection through names and text, truncated files and named pipes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{callqa, fixture, json, model, read_json, stderr};

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A mono 16-bit 8 kHz WAV of `seconds` of deterministic noise.
fn noise_wav(seconds: usize) -> Vec<u8> {
    let samples = seconds * 8000;
    let mut bytes = Vec::with_capacity(44 + 2 * samples);
    let data_len = (2 * samples) as u32;
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&16000u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    let mut state = 12345u32;
    for _ in 0..samples {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let sample = ((state >> 16) as i16) / 8;
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    bytes
}

clitest!(
    out_that_is_a_file_is_refused_before_any_decoding,
    |scratch| {
        let call = scratch.file(
            "calls/call.wav",
            &std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap(),
        );
        scratch.file("taken", b"a file");
        let out = scratch.callqa(&["analyze", "calls", "--out", "taken", "--no-transcribe"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--out taken: is a file"),
            "{}",
            stderr(&out)
        );
        assert!(call.is_file());
    }
);

clitest!(
    out_holding_an_input_or_a_foreign_file_is_refused,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/report.html", b"the user's own page");
        scratch.file("calls/call.wav", &wav);
        let out = scratch.callqa(&["analyze", "calls", "--out", "calls", "--no-transcribe"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("holds the input"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(scratch.path("calls/report.html")).unwrap(),
            b"the user's own page"
        );

        scratch.file("mine/notes.txt", b"keep me");
        let out = scratch.callqa(&[
            "analyze",
            "calls/call.wav",
            "--out",
            "mine",
            "--no-transcribe",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("did not write (notes.txt)"),
            "{}",
            stderr(&out)
        );
        assert_eq!(names(&scratch.path("mine")), ["notes.txt"]);

        let out = scratch.callqa(&[
            "analyze",
            "calls/call.wav",
            "--out",
            "rep",
            "--transcripts",
            "rep/t",
            "--no-transcribe",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("separate folders"),
            "{}",
            stderr(&out)
        );
    }
);

clitest!(
    report_set_is_replaced_whole_with_nothing_left_beside,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/a.wav", &wav);
        scratch.file("calls/b.wav", &wav);
        let out = scratch.callqa(&[
            "analyze",
            "calls",
            "--out",
            "report",
            "--no-transcribe",
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            names(&scratch.path("report")),
            [
                ".callqa-files",
                "findings.csv",
                "report.html",
                "report.json",
                "summary.csv"
            ]
        );
        std::fs::remove_file(scratch.path("calls/b.wav")).unwrap();
        let out = scratch.callqa(&[
            "analyze",
            "calls",
            "--out",
            "report",
            "--no-transcribe",
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = read_json(&scratch.path("report/report.json"));
        assert_eq!(report["recordings"].as_array().unwrap().len(), 1);
        let csv = std::fs::read_to_string(scratch.path("report/summary.csv")).unwrap();
        assert_eq!(csv.lines().count(), 2, "the CSV is of the same run: {csv}");
        assert_eq!(
            names(&scratch.path("")),
            ["calls", "report"],
            "no staging or temp files"
        );
    }
);

clitest!(
    no_audio_exits_2_listing_the_paths_before_any_model,
    |scratch| {
        scratch.file("empty/notes.txt", b"meeting notes");
        let out = callqa()
            .args(["analyze", "empty"])
            .current_dir(scratch.path(""))
            .env("CALLQA_MODEL", "/nonexistent/model.bin")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("no audio found in empty (1 non-audio file(s) skipped)"),
            "{err}"
        );
        assert!(
            !err.contains("model"),
            "the model is never looked for: {err}"
        );
    }
);

clitest!(
    bad_settings_are_refused_before_the_model_naming_key_and_file,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/call.wav", &wav);
        scratch.file("nan.toml", b"[thresholds]\nsnr_medium_db = nan\n");
        scratch.file(
            "facts.toml",
            b"[[fact]]\nid = \"price\"\nabout = [\"price\"]\nvalue = nan\nunit = \"USD\"\n",
        );
        let run = |args: &[&str]| {
            callqa()
                .args(args)
                .current_dir(scratch.path(""))
                .env("CALLQA_MODEL", "/nonexistent/model.bin")
                .output()
                .unwrap()
        };
        let out = run(&["analyze", "calls", "--config", "nan.toml"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("nan.toml") && err.contains("snr_medium_db"),
            "{err}"
        );
        let out = run(&["analyze", "calls", "--facts", "facts.toml"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("facts.toml") && err.contains("finite"),
            "{err}"
        );
        assert!(
            !err.contains("nonexistent"),
            "facts are read before the model: {err}"
        );
        let out = run(&[
            "analyze",
            "calls",
            "--no-transcribe",
            "--jobs",
            "10000",
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--jobs 10000 is more than 4 per core"),
            "{}",
            stderr(&out)
        );
    }
);

clitest!(
    names_cannot_inject_formulas_or_terminal_escapes,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/=cmd|calc/call.wav", &wav);
        scratch.file("calls/v/\x1b[2J\x1b]0;owned\x07call\u{202e}.wav", &wav);
        let out = scratch.callqa(&["analyze", "calls", "--out", "report", "--no-transcribe"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(
            text.contains("\\x1b[2J\\x1b]0;owned\\x07call\\u{202e}.wav"),
            "{text}"
        );
        let csv = std::fs::read_to_string(scratch.path("report/summary.csv")).unwrap();
        assert!(csv.contains("\r\n'=cmd|calc,"), "{csv}");
    }
);

clitest!(pasted_transcript_times_of_1e308_are_refused, |scratch| {
    scratch.file(
        "t.json",
        br#"{"segments": [{"text": "hello", "start_s": -1e308, "end_s": 1e308}]}"#,
    );
    let out = scratch.callqa(&["scan", "t.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("segment 1"), "{}", stderr(&out));
});

clitest!(
    report_with_an_absurd_spectrogram_step_is_refused_at_once,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/call.wav", &wav);
        let out = scratch.callqa(&["analyze", "calls", "--format", "json", "--no-transcribe"]);
        let mut report = json(&out);
        report["recordings"][0]["plots"]["spectrogram"]["time_step_s"] = serde_json::json!(1e308);
        scratch.file("saved.json", report.to_string().as_bytes());
        let started = Instant::now();
        let out = scratch.callqa(&["report", "saved.json", "--out", "re"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("recordings[0].plots.spectrogram.time_step_s"),
            "{}",
            stderr(&out)
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
);

clitest!(
    a_truncated_file_is_a_finding_in_the_line_and_the_verdict,
    |scratch| {
        std::fs::copy(fixture("short_data.wav"), scratch.path("short.wav")).unwrap();
        let out = scratch.callqa(&["analyze", "short.wav", "--no-transcribe"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text.lines().next().unwrap();
        assert!(line.contains("truncated"), "{text}");
        let out = scratch.callqa(&[
            "analyze",
            "short.wav",
            "--no-transcribe",
            "--format",
            "json",
        ]);
        let report = json(&out);
        let recording = &report["recordings"][0];
        assert!((recording["truncated_s"].as_f64().unwrap() - 0.5).abs() < 0.01);
        let flags = recording["verdict"]["flags"].as_array().unwrap();
        assert!(
            flags.iter().any(|f| f == "poor_recording_quality"),
            "{flags:?}"
        );
    }
);

#[cfg(unix)]
clitest!(
    a_named_pipe_on_the_command_line_does_not_block_the_batch,
    |scratch| {
        let fifo = scratch.path("pipe.wav");
        if !Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
        std::fs::copy(fixture("pcm_s16le_8k.wav"), scratch.path("call.wav")).unwrap();
        let mut child = callqa()
            .args([
                "analyze",
                "pipe.wav",
                "call.wav",
                "--no-transcribe",
                "--format",
                "json",
            ])
            .current_dir(scratch.path(""))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("callqa blocked on a named pipe");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["recordings"].as_array().unwrap().len(), 1);
        assert!(report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"));
    }
);

#[cfg(all(target_os = "linux", target_env = "gnu"))]
clitest!(
    ctrl_c_stops_cleanly_with_130_and_writes_nothing,
    |scratch| {
        let wav = noise_wav(600);
        for name in ["a", "b", "c", "d"] {
            scratch.file(&format!("calls/{name}.wav"), &wav);
        }
        scratch.file("report/.callqa-files", b"report.json\n");
        scratch.file("report/report.json", b"the previous run");
        let child = callqa()
            .args([
                "analyze",
                "calls",
                "--out",
                "report",
                "--no-transcribe",
                "--jobs",
                "1",
                "-q",
            ])
            .current_dir(scratch.path(""))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Signal once the worker pool runs (the handler is installed before it starts): a fixed
        // sleep is either too short on a loaded machine or past the end of the run on an idle one.
        let tasks = format!("/proc/{}/task", child.id());
        let waiting = Instant::now();
        while std::fs::read_dir(&tasks).map_or(0, |d| d.count()) < 2
            && waiting.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let started = Instant::now();
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        eprintln!(
            "stopped {:.1} s after SIGINT",
            started.elapsed().as_secs_f64()
        );
        assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(scratch.path("report/report.json")).unwrap(),
            b"the previous run"
        );
        assert_eq!(
            names(&scratch.path("")),
            ["calls", "report"],
            "no staging left"
        );
    }
);

clitest!(
    the_watchdog_cuts_a_slow_transcription_with_a_warning,
    |scratch| {
        let Some(model) = model() else { return };
        std::fs::copy(
            crate::util::repo("samples/clean_call.wav"),
            scratch.path("call.wav"),
        )
        .unwrap();
        let run = |factor: &str| {
            let out = scratch.callqa(&[
                "analyze",
                "call.wav",
                "--model",
                model.to_str().unwrap(),
                "--lang",
                "en",
                "--fast",
                "--max-asr-factor",
                factor,
                "--format",
                "json",
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            json(&out)["recordings"][0].clone()
        };
        let cut = |recording: &serde_json::Value| {
            recording["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("transcription cut"))
        };
        let stopped = run("0.001");
        assert!(cut(&stopped), "{:?}", stopped["warnings"]);
        let whole = run("30");
        assert!(!cut(&whole), "{:?}", whole["warnings"]);
        let segments = whole["transcript"]["segments"].as_array().unwrap().len();
        assert!(
            segments > 3,
            "the default limit lets a normal call through: {whole}"
        );
    }
);

clitest!(
    report_rerender_keeps_its_json_and_refuses_foreign_folders,
    |scratch| {
        let wav = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
        scratch.file("calls/call.wav", &wav);
        let out = scratch.callqa(&[
            "analyze",
            "calls",
            "--out",
            "saved",
            "--no-transcribe",
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json_before = std::fs::read(scratch.path("saved/report.json")).unwrap();
        let out = scratch.callqa(&["report", "saved/report.json", "--out", "saved"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(scratch.path("saved/report.json")).unwrap(),
            json_before
        );
        assert!(scratch.path("saved/report.html").is_file());
        scratch.file("mine/notes.txt", b"keep me");
        let out = scratch.callqa(&["report", "saved/report.json", "--out", "mine"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(names(&scratch.path("mine")), ["notes.txt"]);
    }
);
