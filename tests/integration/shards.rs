//! Past one process: `analyze --parts` (resume), `--shard K/N` and `--shard auto` from the job
//! engines' environment, and `merge`, whose report must equal one `analyze` run's byte for byte
//! apart from the provenance block.

use std::path::Path;
use std::process::Output;

use crate::util::{callqa, model, read_json, repo, stderr, Scratch};

/// The job-array variables `--shard auto` reads; cleared so that the host's own cannot leak in.
const ENGINE_VARS: [&str; 4] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// The acoustic samples plus a text file named `.wav` and an empty one, under `calls/`.
fn calls(scratch: &Scratch) {
    copy_dir(&repo("samples"), &scratch.path("calls"));
    scratch.file("calls/vendor-c/fake.wav", b"this is not audio, just text\n");
    scratch.file("calls/vendor-c/empty.wav", b"");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs callqa in the scratch folder with the engine variables set to `env` (and no others).
fn run_env(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = callqa();
    command.args(args).current_dir(scratch.path(""));
    for var in ENGINE_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("the callqa binary runs")
}

fn bytes(scratch: &Scratch, name: &str) -> Vec<u8> {
    std::fs::read(scratch.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A report.json without its provenance block (when and by which command it was made, the one
/// part that differs between `merge` and a single run), re-serialized for a textual comparison.
fn report_without_provenance(scratch: &Scratch, name: &str) -> String {
    let mut report: serde_json::Value =
        serde_json::from_slice(&bytes(scratch, name)).expect("report.json is JSON");
    let provenance = report.as_object_mut().and_then(|r| r.remove("provenance"));
    assert!(
        provenance.is_some_and(|p| p.is_object()),
        "{name} has a provenance block"
    );
    serde_json::to_string_pretty(&report).expect("serializable")
}

/// Shards 1..=3, each a separate process, as `setup(k)` says, plus `extra` arguments.
fn three_shards(scratch: &Scratch, extra: &[&str], setup: impl Fn(usize) -> ShardRun) {
    for k in 1..=3 {
        let run = setup(k);
        let mut args = vec!["analyze", "calls", "--quiet", "--parts", &run.parts];
        args.extend(run.args.iter().map(String::as_str));
        args.extend(extra);
        let env: Vec<(&str, &str)> = run.env.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let out = run_env(scratch, &args, &env);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "shard {k}: {code:?} {}",
            stderr(&out)
        );
    }
}

struct ShardRun {
    parts: String,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
}

fn analyze_once(scratch: &Scratch, extra: &[&str]) {
    let mut args = vec!["analyze", "calls", "--quiet", "--out", "one"];
    args.extend(extra);
    let out = run_env(scratch, &args, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

fn merge(scratch: &Scratch, dirs: &[&str]) {
    let mut args = vec!["merge"];
    args.extend(dirs);
    args.extend(["--out", "merged", "--quiet"]);
    let out = run_env(scratch, &args, &[]);
    assert_eq!(out.status.code(), Some(2), "merge: {}", stderr(&out));
}

fn assert_same_report(scratch: &Scratch) {
    let one = report_without_provenance(scratch, "one/report.json");
    assert!(
        one == report_without_provenance(scratch, "merged/report.json"),
        "merged report.json differs from one run's (provenance aside)"
    );
    assert_eq!(
        bytes(scratch, "one/summary.csv"),
        bytes(scratch, "merged/summary.csv")
    );
    let report = read_json(&scratch.path("merged/report.json"));
    assert!(report["recordings"].as_array().unwrap().len() >= 10);
    assert_eq!(report["errors"].as_array().unwrap().len(), 2);
    assert!(!report["skipped"].as_array().unwrap().is_empty());
}

clitest!(
    three_explicit_shards_in_separate_folders_merge_into_the_one_run_report,
    |scratch| {
        calls(&scratch);
        analyze_once(&scratch, &["--no-transcribe"]);
        three_shards(&scratch, &["--no-transcribe"], |k| ShardRun {
            parts: format!("parts-{k}"),
            args: vec!["--shard".into(), format!("{k}/3")],
            env: Vec::new(),
        });
        let sizes: Vec<usize> = (1..=3)
            .map(|k| {
                let dir = scratch.path(&format!("parts-{k}"));
                let parts = std::fs::read_dir(dir).unwrap().count();
                assert!(parts > 0, "shard {k} wrote no parts");
                parts
            })
            .collect();
        assert!(sizes.iter().all(|&s| s < sizes.iter().sum::<usize>()));
        merge(&scratch, &["parts-1", "parts-2", "parts-3"]);
        assert_same_report(&scratch);
    }
);

clitest!(
    kubernetes_indexed_job_shards_share_one_parts_folder,
    |scratch| {
        calls(&scratch);
        analyze_once(&scratch, &["--no-transcribe"]);
        three_shards(&scratch, &["--no-transcribe"], |k| ShardRun {
            parts: "parts".into(),
            args: vec![
                "--shard".into(),
                "auto".into(),
                "--shard-count".into(),
                "3".into(),
            ],
            env: vec![("JOB_COMPLETION_INDEX", (k - 1).to_string())],
        });
        merge(&scratch, &["parts"]);
        assert_same_report(&scratch);
    }
);

clitest!(
    slurm_and_aws_batch_array_indices_pick_the_shard,
    |scratch| {
        calls(&scratch);
        analyze_once(&scratch, &["--no-transcribe"]);
        three_shards(&scratch, &["--no-transcribe"], |k| {
            let env = if k == 2 {
                vec![("AWS_BATCH_JOB_ARRAY_INDEX", "1".to_string())]
            } else {
                vec![
                    ("SLURM_ARRAY_TASK_ID", k.to_string()),
                    ("SLURM_ARRAY_TASK_COUNT", "3".to_string()),
                ]
            };
            let mut args = vec!["--shard".to_string(), "auto".to_string()];
            if k == 2 {
                args.extend(["--shard-count".to_string(), "3".to_string()]);
            }
            ShardRun {
                parts: format!("parts-{k}"),
                args,
                env,
            }
        });
        merge(&scratch, &["parts-1", "parts-2", "parts-3"]);
        assert_same_report(&scratch);
    }
);

clitest!(shard_auto_outside_a_job_array_is_a_usage_error, |scratch| {
    scratch.file("calls/notes.txt", b"x");
    let out = run_env(&scratch, &["analyze", "calls", "--shard", "auto"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        stderr(&out)
    );
    let env = [("JOB_COMPLETION_INDEX", "0")];
    let out = run_env(&scratch, &["analyze", "calls", "--shard", "auto"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--shard-count"), "{}", stderr(&out));
});

/// Overwrites the `duration_s` stored in the part of the recording whose path ends with `name`.
fn set_part_duration(dir: &Path, name: &str, duration_s: f64) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let mut part: serde_json::Value = read_json(&path);
        let recording = &mut part["outcome"]["recording"]["recording"];
        if recording["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(name))
        {
            recording["duration_s"] = duration_s.into();
            std::fs::write(&path, serde_json::to_vec(&part).unwrap()).unwrap();
            return;
        }
    }
    panic!("no part for {name}");
}

fn durations(scratch: &Scratch, args: &[&str]) -> Vec<(String, f64)> {
    let mut all = vec![
        "analyze",
        "calls",
        "--no-transcribe",
        "--format",
        "json",
        "--parts",
        "parts",
    ];
    all.extend(args);
    let out = run_env(scratch, &all, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap().to_string();
            (path, r["duration_s"].as_f64().unwrap())
        })
        .collect()
}

clitest!(
    parts_are_reused_until_the_content_or_the_options_change,
    |scratch| {
        for name in ["a/one.wav", "a/two.wav"] {
            let tone = std::fs::read(repo("tests/fixtures/pcm_s16le_8k.wav")).unwrap();
            scratch.file(&format!("calls/{name}"), &tone);
        }
        let first = durations(&scratch, &[]);
        assert_eq!(first.len(), 2);
        // A marker only a reused part can carry: the next run must read it, not re-analyse.
        set_part_duration(&scratch.path("parts"), "one.wav", 999.0);
        let stereo = std::fs::read(repo("tests/fixtures/stereo_11k.wav")).unwrap();
        scratch.file("calls/a/three.wav", &stereo);
        let second = durations(&scratch, &[]);
        assert_eq!(second.len(), 3, "the new file is analysed");
        assert_eq!(second[0].1, 999.0, "one.wav came from its part: {second:?}");
        assert_eq!(second[2].1, first[1].1, "two.wav unchanged");
        scratch.file("bigger.toml", b"[thresholds]\nsnr_high_db = 11.0\n");
        let other_options = durations(&scratch, &["--config", "bigger.toml"]);
        assert_ne!(
            other_options[0].1, 999.0,
            "other thresholds: analysed again"
        );
        set_part_duration(&scratch.path("parts"), "one.wav", 999.0);
        scratch.file("calls/a/one.wav", &stereo);
        let changed = durations(&scratch, &["--config", "bigger.toml"]);
        assert_ne!(changed[0].1, 999.0, "new content: analysed again");
    }
);

clitest!(merge_refuses_parts_made_with_other_options, |scratch| {
    let tone = std::fs::read(repo("tests/fixtures/pcm_s16le_8k.wav")).unwrap();
    scratch.file("calls/one.wav", &tone);
    scratch.file("other.toml", b"[thresholds]\nsnr_high_db = 11.0\n");
    let run = |parts: &str, extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "calls",
            "--no-transcribe",
            "--quiet",
            "--parts",
            parts,
        ];
        args.extend(extra);
        assert_eq!(run_env(&scratch, &args, &[]).status.code(), Some(0));
    };
    run("p1", &[]);
    run("p2", &["--config", "other.toml"]);
    let out = run_env(&scratch, &["merge", "p1", "p2", "--quiet"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("different options") && err.contains("snr_high_db"),
        "{err}"
    );
    let out = run_env(&scratch, &["merge", "empty-folder"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty-folder"), "{}", stderr(&out));
});

clitest!(
    transcribed_shards_merge_into_the_one_run_report,
    |scratch| {
        let Some(model) = model() else { return };
        let model = model.display().to_string();
        for name in ["clean_call.wav", "clipped.flac"] {
            let speech = std::fs::read(repo("samples").join(name)).unwrap();
            scratch.file(&format!("calls/vendor-a/{name}"), &speech);
        }
        scratch.file("calls/vendor-c/fake.wav", b"not audio\n");
        scratch.file("calls/vendor-c/empty.wav", b"");
        let extra = [
            "--model",
            model.as_str(),
            "--fast",
            "--jobs",
            "1",
            "--lang",
            "en",
        ];
        analyze_once(&scratch, &extra);
        three_shards(&scratch, &extra, |k| ShardRun {
            parts: "parts".into(),
            args: vec!["--shard".into(), format!("{k}/3")],
            env: Vec::new(),
        });
        merge(&scratch, &["parts"]);
        let one = report_without_provenance(&scratch, "one/report.json");
        assert!(
            one == report_without_provenance(&scratch, "merged/report.json"),
            "reports differ (provenance aside)"
        );
        let report = read_json(&scratch.path("merged/report.json"));
        let recordings = report["recordings"].as_array().unwrap();
        assert_eq!(recordings.len(), 2);
        assert!(recordings.iter().all(|r| r["transcript"].is_object()));
    }
);
