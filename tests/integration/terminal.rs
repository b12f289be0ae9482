//! The terminal side of the command line: colours and NO_COLOR, -q, JSON Lines, a closed pipe,
//! audio on stdin, completions, the man page, --version and the per-user model folder.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{callqa, fixture, json, repo, run, run_stdin, stderr, Scratch};

/// A scratch folder `calls/` holding one short real recording.
fn one_call(scratch: &Scratch) {
    let tone = std::fs::read(fixture("pcm_s16le_8k.wav")).unwrap();
    scratch.file("calls/tone.wav", &tone);
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `analyze` on the two vendor folders of the samples, acoustic only (no model needed).
fn analyze_samples(extra: &[&str]) -> std::process::Output {
    let (a, b) = (repo("samples/vendor-a"), repo("samples/vendor-b"));
    let mut args = vec![
        "analyze",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--no-transcribe",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn color_always_paints_the_verdicts_and_never_or_a_pipe_does_not() {
    let always = analyze_samples(&["--color", "always"]);
    assert_eq!(always.status.code(), Some(0), "{}", stderr(&always));
    let text = stdout(&always);
    assert!(text.contains("\x1b[32mGREEN"), "{text}");
    let never = analyze_samples(&["--color", "never"]);
    let auto_in_a_pipe = analyze_samples(&[]);
    for out in [&never, &auto_in_a_pipe] {
        let text = stdout(out);
        assert!(!text.contains('\x1b'), "{text}");
        // Each recording's line starts with its verdict.
        let first = text.lines().next().unwrap();
        assert!(
            ["GREEN", "YELLOW", "ORANGE", "RED"]
                .iter()
                .any(|v| first.starts_with(v)),
            "{first}"
        );
    }
}

#[test]
fn color_is_a_global_option_of_every_subcommand() {
    let out = run(&["--color", "always", "rules", "list", "--lang", "en"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\x1b["));
    let out = run(&["rules", "list", "--lang", "en", "--color", "never"]);
    assert!(!stdout(&out).contains('\x1b'));
}

/// Runs `rules list` with stdout on a pseudo-terminal (util-linux `script`), `NO_COLOR` as given.
fn rules_list_on_a_terminal(no_color: Option<&str>) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_callqa");
    let mut command = Command::new("script");
    command
        .args(["-qec", &format!("{bin} rules list --lang en"), "/dev/null"])
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    match command.output() {
        Ok(out) if out.status.success() => Some(stdout(&out)),
        _ => {
            eprintln!("SKIPPED: no working `script` (util-linux) to fake a terminal");
            None
        }
    }
}

#[test]
fn auto_colours_a_terminal_unless_no_color_is_set() {
    let Some(plain) = rules_list_on_a_terminal(None) else {
        return;
    };
    assert!(plain.contains("\x1b["), "a terminal gets colours: {plain}");
    let no_color = rules_list_on_a_terminal(Some("1")).unwrap();
    assert!(!no_color.contains("\x1b["), "NO_COLOR=1: {no_color}");
    let empty = rules_list_on_a_terminal(Some("")).unwrap();
    assert!(empty.contains("\x1b["), "an empty NO_COLOR does not count");
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn analyze_jsonl_gives_a_record_per_recording_then_the_summary() {
    let out = analyze_samples(&["--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = json_lines(&stdout(&out));
    let (last, recordings) = records.split_last().unwrap();
    assert_eq!(recordings.len(), 6, "vendor-a has 2 recordings, vendor-b 4");
    for record in recordings {
        assert_eq!(record["type"], "recording");
        assert!(record["recording"]["verdict"]["level"].is_string());
        assert!(record["recording"]["duration_s"].as_f64().unwrap() > 10.0);
    }
    assert_eq!(last["type"], "summary");
    assert_eq!(last["schema"], "callqa/1");
    assert_eq!(last["recordings"], 6);
    assert_eq!(last["vendors"].as_array().unwrap().len(), 2);
    assert_eq!(last["verdicts"].as_array().unwrap().len(), 6);
}

#[test]
fn scan_takes_format_jsonl_and_keeps_json_as_an_alias() {
    let (a, b) = (
        repo("tests/text-set/en/en01.txt"),
        repo("tests/text-set/en/en02.txt"),
    );
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = run(&["scan", a, b, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = json_lines(&stdout(&out));
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["type"], "source");
    assert_eq!(records[2]["type"], "summary");
    assert_eq!(records[2]["sources"], 2);
    let alias = json(&run(&["scan", a, b, "--json"]));
    let format = json(&run(&["scan", a, b, "--format", "json"]));
    assert_eq!(alias, format);
    assert_eq!(alias["sources"].as_array().unwrap().len(), 2);
}

/// Runs `args` with stdout a pipe whose reading end is closed before callqa writes anything.
fn with_closed_stdout(args: &[&str]) -> std::process::Output {
    let mut child = callqa()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    std::process::Output {
        status,
        stdout: Vec::new(),
        stderr: err.into_bytes(),
    }
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_no_error() {
    let samples = repo("samples");
    let samples = samples.to_str().unwrap();
    for format in ["text", "jsonl", "json"] {
        let out = with_closed_stdout(&["analyze", samples, "--no-transcribe", "--format", format]);
        let err = stderr(&out);
        assert!(
            !err.to_lowercase().contains("broken pipe"),
            "{format}: {err}"
        );
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
    }
    let out = with_closed_stdout(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn analyze_dash_reads_the_recording_from_stdin() {
    let audio = std::fs::read(repo("samples/vendor-a/natural_call.mp3")).unwrap();
    let out = run_stdin(
        &["analyze", "-", "--no-transcribe", "--format", "json"],
        &audio,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let recording = &report["recordings"][0];
    assert_eq!(recording["path"], "-");
    assert_eq!(recording["channels"].as_array().unwrap().len(), 2);
    assert!((recording["duration_s"].as_f64().unwrap() - 30.1).abs() < 0.2);
    let garbage = run_stdin(
        &["analyze", "-", "--no-transcribe", "--format", "json"],
        b"hello",
    );
    // Not audio: "no audio found", exit 2 before any model is looked for, the input named `-`.
    assert_eq!(garbage.status.code(), Some(2), "{}", stderr(&garbage));
    assert!(
        stderr(&garbage).contains("error: -: not an audio file"),
        "{}",
        stderr(&garbage)
    );
    let twice = callqa()
        .args(["analyze", "-", "-", "--no-transcribe"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(1), "{}", stderr(&twice));
}

#[test]
fn completions_and_the_man_page() {
    let bash = run(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    let script = stdout(&bash);
    assert!(
        script.contains("_callqa()") && script.contains("complete -F"),
        "{script}"
    );
    assert!(script.contains("--format") && script.contains("jsonl"));
    let zsh = stdout(&run(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef callqa"), "{zsh}");
    let man = run(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = stdout(&man);
    assert!(page.contains(".TH callqa 1"), "{page}");
    assert!(page.contains(".TH callqa-analyze 1") && page.contains("NO_COLOR"));
    assert!(run(&["completions", "tcsh"]).status.code() == Some(1));
}

#[test]
fn version_names_whisper_cpp_and_the_default_model() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("callqa {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("whisper.cpp 1."), "{text}");
    assert!(text.contains("default model: "), "{text}");
}

clitest!(
    models_live_in_the_user_cache_or_callqa_model_dir,
    |scratch| {
        let with_env = |vars: &[(&str, &std::path::Path)], args: &[&str]| {
            let mut command = callqa();
            command
                .args(args)
                .current_dir(scratch.path(""))
                .env_remove("CALLQA_MODEL_DIR")
                .env_remove("CALLQA_MODELS")
                .env_remove("CALLQA_MODEL");
            for (name, value) in vars {
                command.env(name, value);
            }
            command.output().unwrap()
        };
        let xdg = scratch.path("xdg");
        let out = with_env(&[("XDG_CACHE_HOME", &xdg)], &["model", "list"]);
        let expected = xdg.join("callqa");
        assert!(
            stdout(&out).contains(&format!("no models in {}", expected.display())),
            "{}",
            stdout(&out)
        );
        let version = stdout(&with_env(&[("XDG_CACHE_HOME", &xdg)], &["--version"]));
        assert!(
            version.contains(&format!("fetched into {}", expected.display())),
            "{version}"
        );
        let dir = scratch.path("my-models");
        scratch.file("my-models/ggml-tiny.en.bin", b"not a real model");
        let out = with_env(
            &[("CALLQA_MODEL_DIR", &dir), ("XDG_CACHE_HOME", &xdg)],
            &["model", "list"],
        );
        let listed = stdout(&out);
        assert!(
            listed.contains(&dir.join("ggml-tiny.en.bin").display().to_string())
                && listed.contains("DAMAGED")
                && listed.contains("(used by analyze)"),
            "{listed}"
        );
        // A checkout's models/ (the working directory's) still comes first when it holds a model.
        scratch.file("models/ggml-base.bin", b"x");
        let version = stdout(&with_env(&[("XDG_CACHE_HOME", &xdg)], &["--version"]));
        assert!(
            version.contains("models/ggml-base.bin (in use)"),
            "{version}"
        );
    }
);

clitest!(quiet_works_on_every_subcommand, |scratch| {
    let transcript = repo("tests/text-set/en/en02.txt");
    let loud = stdout(&run(&["scan", transcript.to_str().unwrap()]));
    let quiet = stdout(&run(&["scan", transcript.to_str().unwrap(), "-q"]));
    assert!(
        loud.contains("summary:") && !quiet.contains("summary:"),
        "{quiet}"
    );
    assert!(
        quiet.contains("pii/card_number"),
        "findings still print: {quiet}"
    );
    let tested = stdout(&run(&["rules", "test", "-q"]));
    assert!(tested.is_empty(), "{tested}");
    assert!(stdout(&run(&["rules", "test"])).contains("failure(s)"));
    one_call(&scratch);
    let out = scratch.callqa(&["-q", "analyze", "calls", "--no-transcribe"]);
    assert!(
        out.stdout.is_empty() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        scratch.callqa(&["report", "-q", "--help"]).status.code(),
        Some(0)
    );
});

clitest!(without_out_a_hint_says_nothing_was_saved, |scratch| {
    one_call(&scratch);
    let out = scratch.callqa(&["analyze", "calls", "--no-transcribe"]);
    assert!(stderr(&out).contains("add --out DIR"), "{}", stderr(&out));
    let saved = scratch.callqa(&["analyze", "calls", "--no-transcribe", "--out", "r"]);
    assert!(!stderr(&saved).contains("--out"), "{}", stderr(&saved));
});

/// Copies (or links) the checkout's `models/NAME` into `dir`; false (SKIPPED) when it is absent.
fn install_copy(name: &str, dir: &std::path::Path) -> bool {
    let source = repo("models").join(name);
    if !source.is_file() {
        eprintln!("SKIPPED: no {} (run scripts/test once)", source.display());
        return false;
    }
    std::fs::create_dir_all(dir).unwrap();
    let target = dir.join(name);
    std::fs::hard_link(&source, &target)
        .or_else(|_| std::fs::copy(&source, &target).map(drop))
        .unwrap();
    true
}

clitest!(
    model_fetch_installs_base_as_q8_0_and_analyze_takes_it,
    |scratch| {
        let fetch_offline = |dir: &std::path::Path| {
            callqa()
                .args(["model", "fetch", "base"])
                .env("CALLQA_MODEL_DIR", dir)
                .env_remove("CALLQA_MODEL")
                .env("PATH", "") // no pip: nothing may be downloaded
                .output()
                .unwrap()
        };
        let listed = |dir: &std::path::Path| {
            stdout(
                &callqa()
                    .args(["model", "list"])
                    .env("CALLQA_MODEL_DIR", dir)
                    .env_remove("CALLQA_MODEL")
                    .output()
                    .unwrap(),
            )
        };
        // Installed already: checked and kept, nothing fetched.
        let ready = scratch.path("ready");
        if !install_copy("ggml-base-q8_0.bin", &ready)
            || !install_copy("silero_vad_openvino_16k.onnx", &ready)
        {
            return;
        }
        let out = fetch_offline(&ready);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&ready.join("ggml-base-q8_0.bin").display().to_string())
                && stderr(&out).contains("is installed and checks out"),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        // Only the f16 file: `fetch base` quantizes it into the pinned q8_0 file, which analyze
        // then prefers.
        let older = scratch.path("older");
        if !install_copy("ggml-base.bin", &older)
            || !install_copy("silero_vad_openvino_16k.onnx", &older)
        {
            return;
        }
        let out = fetch_offline(&older);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let list = listed(&older);
        let q8 = older.join("ggml-base-q8_0.bin").display().to_string();
        assert!(
            list.lines().any(|line| line.starts_with(&q8)
                && line.contains("verified `base q8_0`")
                && line.ends_with("(used by analyze)")),
            "{list}"
        );
    }
);
