//! The one list of exit codes every subcommand ends with, and the help text that documents them.

use crate::model::{Level, Report};
use crate::verdict;

/// How a run of callqa ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every input was analysed or scanned (findings or not).
    Success,
    /// A usage or configuration error: nothing was analysed.
    GeneralError,
    /// A vendor's verdict reached the `--fail-on` level (and every input was analysed).
    FailOnReached,
    /// `rules test`: a rule's examples or counter-examples failed.
    ExamplesFailed,
    /// Some inputs could not be analysed (or none was found); the report covers the rest.
    InputErrors,
    /// Stopped by Ctrl-C or SIGTERM: no report written, no temporary files left.
    Interrupted,
}

impl ExitCode {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::GeneralError | ExitCode::FailOnReached | ExitCode::ExamplesFailed => 1,
            ExitCode::InputErrors => 2,
            ExitCode::Interrupted => 130,
        }
    }

    /// The exit code of a finished report: input errors first, then `--fail-on`, else success.
    pub fn of_report(report: &Report, fail_on: Option<Level>) -> ExitCode {
        let reached = fail_on.is_some_and(|level| {
            verdict::worst_vendor_level(report).is_some_and(|worst| worst >= level)
        });
        if !report.errors.is_empty() {
            ExitCode::InputErrors
        } else if reached {
            ExitCode::FailOnReached
        } else {
            ExitCode::Success
        }
    }
}

/// `--help` text of `analyze` and `report`.
pub const ANALYZE_HELP: &str = "Exit codes:
  0  every input was analysed
  1  a usage or configuration error (nothing analysed), or a vendor reached the --fail-on level
  2  some inputs could not be analysed (the report still covers the rest), or no audio was found
130  stopped by Ctrl-C or SIGTERM: nothing written, no temporary files left";

/// `--help` text of `scan`.
pub const SCAN_HELP: &str = "Exit codes:
  0  every input was scanned (findings or not)
  1  a usage or configuration error (bad --rules or --facts file, unknown language)
  2  some inputs could not be read (the others were still scanned)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SCHEMA;

    fn report(errors: usize) -> Report {
        Report {
            schema: SCHEMA.into(),
            recordings: Vec::new(),
            errors: (0..errors)
                .map(|i| crate::model::InputError {
                    path: format!("bad{i}.wav"),
                    message: "unreadable".into(),
                })
                .collect(),
            skipped: Vec::new(),
            vendors: Vec::new(),
            provenance: None,
        }
    }

    #[test]
    fn input_errors_win_over_success() {
        assert_eq!(ExitCode::of_report(&report(0), None), ExitCode::Success);
        assert_eq!(ExitCode::of_report(&report(1), None), ExitCode::InputErrors);
        assert_eq!(ExitCode::InputErrors.code(), 2);
        assert_eq!(ExitCode::FailOnReached.code(), 1);
    }
}
