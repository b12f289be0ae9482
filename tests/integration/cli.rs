//! The command line as a user meets it: arguments, exit codes, report files, skipped and bad inputs.

use crate::util::{json, read_json, stderr};

clitest!(a_missing_input_is_a_usage_error_that_names_it, |scratch| {
    let out = scratch.callqa(&["analyze", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no-such-folder"), "{}", stderr(&out));
});

clitest!(zero_jobs_is_refused, |scratch| {
    scratch.file("calls/notes.txt", b"x");
    let out = scratch.callqa(&["analyze", "calls", "--jobs", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--jobs"));
});

clitest!(
    an_invalid_config_file_is_an_error_naming_the_file,
    |scratch| {
        scratch.file("calls/notes.txt", b"x");
        scratch.file("bad.toml", b"[thresholds]\nsnr_typo_db = 3\n");
        let out = scratch.callqa(&["analyze", "calls", "--config", "bad.toml"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("bad.toml") && err.contains("snr_typo_db"),
            "{err}"
        );
    }
);

clitest!(
    non_audio_files_in_folders_are_skipped_and_listed,
    |scratch| {
        scratch.file("calls/vendor-a/notes.txt", b"meeting notes");
        scratch.file(
            "calls/vendor-a/call.wav",
            &std::fs::read(crate::util::fixture("pcm_s16le_8k.wav")).unwrap(),
        );
        let out = scratch.callqa(&["analyze", "calls", "--format", "json", "--no-transcribe"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["schema"], "callqa/1");
        assert_eq!(report["recordings"].as_array().unwrap().len(), 1);
        let skipped = report["skipped"].as_array().unwrap();
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0]["path"].as_str().unwrap().ends_with("notes.txt"));
    }
);

clitest!(
    a_text_file_named_wav_is_an_error_record_and_exit_2,
    |scratch| {
        scratch.file("calls/fake.wav", b"this is not audio at all, just text\n");
        scratch.file("calls/notes.txt", b"x");
        let out = scratch.callqa(&["analyze", "calls", "--out", "report", "--quiet"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("fake.wav"));
        let report = read_json(&scratch.path("report/report.json"));
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1);
        assert!(errors[0]["path"].as_str().unwrap().ends_with("fake.wav"));
        assert!(!errors[0]["message"].as_str().unwrap().is_empty());
    }
);

clitest!(
    report_files_are_written_without_temporary_leftovers,
    |scratch| {
        scratch.file(
            "calls/call.wav",
            &std::fs::read(crate::util::fixture("pcm_s16le_8k.wav")).unwrap(),
        );
        let out = scratch.callqa(&[
            "analyze",
            "calls",
            "--out",
            "report",
            "--quiet",
            "--no-transcribe",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let names: Vec<String> = std::fs::read_dir(scratch.path("report"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"report.json".to_string()));
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    }
);

clitest!(help_documents_the_exit_codes, |scratch| {
    let out = scratch.callqa(&["analyze", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Exit codes") && help.contains("2  some inputs"),
        "{help}"
    );
});
