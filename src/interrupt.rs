//! Ctrl-C (SIGINT) and SIGTERM as a request to stop cleanly: the handler only raises a flag that
//! the pipeline, the transcription watchdog and the report writer read, so nothing is left half
//! written; a second signal ends the process at once (exit 130).

use std::sync::atomic::{AtomicBool, Ordering};

/// Raised by the first SIGINT or SIGTERM.
static STOP: AtomicBool = AtomicBool::new(false);

/// Whether the user asked the run to stop.
pub fn requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Raises the flag as a signal would (used by tests and by the handler).
pub fn request() {
    STOP.store(true, Ordering::Relaxed);
}

/// Installs the handler for SIGINT and SIGTERM (Linux with glibc; elsewhere the default
/// behaviour, an immediate stop, stays).
pub fn install() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only touches an atomic and calls the async-signal-safe `_exit`.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn on_signal(_signal: libc::c_int) {
    if STOP.swap(true, Ordering::Relaxed) {
        // SAFETY: `_exit` is async-signal-safe; the user insisted.
        unsafe { libc::_exit(130) }
    }
}
