//! Untrusted text made safe for where it goes: file names, transcript text, rule rationales and
//! error messages printed to a terminal with their control and bidi characters escaped (an ESC
//! sequence in a file name must not clear the screen or retitle the window), and spreadsheet cells
//! that cannot start a formula (OWASP CSV injection).

use std::borrow::Cow;

/// Whether a character can move the cursor, change colours, start an escape sequence or reorder
/// the text around it: C0 and C1 controls, DEL, and the Unicode bidi marks and overrides.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Text for a terminal: every unsafe character written as a visible escape (`\x1b`, `\r`,
/// `\u{202e}`); anything else unchanged.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A text cell for a spreadsheet: one starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading
/// `'` so that the spreadsheet shows it as text instead of running it as a formula. Use it on
/// text cells only (a negative number stays a number).
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_and_bidi_and_keeps_the_rest() {
        assert_eq!(terminal("vendor-a/call 1.wav"), "vendor-a/call 1.wav");
        assert_eq!(terminal("привет, ¿qué?"), "привет, ¿qué?");
        assert_eq!(terminal("\x1b[2Jx"), "\\x1b[2Jx");
        assert_eq!(terminal("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(terminal("a\rb\nc\td"), "a\\rb\\nc\\td");
        assert_eq!(terminal("\u{9b}31m"), "\\x9b31m");
        assert_eq!(terminal("evil\u{202e}vaw.exe"), "evil\\u{202e}vaw.exe");
        assert_eq!(
            terminal("\u{2066}x\u{2069}\u{7f}"),
            "\\u{2066}x\\u{2069}\\x7f"
        );
    }

    #[test]
    fn csv_cells_cannot_start_a_formula() {
        for bad in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        assert_eq!(csv_cell("vendor-a"), "vendor-a");
        assert_eq!(csv_cell(""), "");
    }
}
