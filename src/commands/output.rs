//! Small helpers for what the subcommands print: enum names as the JSON spells them, and a closed
//! pipe that is not an error.

use serde::Serialize;

/// The snake_case name serde gives an enum value (`outdated_phrase`, `high`).
pub(crate) fn enum_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A closed pipe (`callqa rules list | head`) is the reader's choice, not an error.
pub(crate) fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
