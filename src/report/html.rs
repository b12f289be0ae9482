//! `report.html`: one self-contained page a buyer opens, prints or attaches (inline CSS, SVG and one
//! small inline script; no network): provenance, vendor scorecard, one front page per vendor, an
//! index grouped by vendor, then per recording its player, verdict, figures, plots, findings and
//! transcript. `--summary-only` keeps the front pages and the index.

mod front;
mod recording;

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::plots::SpectrogramGrid;
use super::Export;
use crate::model::{Level, Report};
use crate::verdict::{level_name, Flag};

/// The finest spectrogram thumbnail, cells (time columns x frequency rows).
const FULL_GRID: SpectrogramGrid = SpectrogramGrid {
    columns: 96,
    rows: 24,
};
/// The coarsest spectrogram thumbnail, however many recordings there are.
const COARSEST_GRID: SpectrogramGrid = SpectrogramGrid {
    columns: 24,
    rows: 8,
};
/// All spectrogram cells of one report together stay under this, so 200 recordings stay well under 20 MB.
const REPORT_SPECTROGRAM_CELLS: usize = 100_000;

/// What the page shows and how it reaches the recordings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlOptions {
    /// Only the front pages and the index (`--summary-only`).
    pub summary_only: bool,
    /// The absolute folder report.html is written to; the players link the recordings relative to
    /// it. None: no players.
    pub report_dir: Option<PathBuf>,
    /// The absolute folder that relative recording paths start from (the folder `analyze` ran in).
    pub base_dir: Option<PathBuf>,
}

/// The HTML report.
#[derive(Debug, Clone, Default)]
pub struct HtmlExport {
    pub options: HtmlOptions,
}

impl Export for HtmlExport {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(render(report, &self.options).as_bytes())
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The spectrogram grid for a report of `recordings`, shrunk evenly in both directions to the budget.
pub fn spectrogram_grid(recordings: usize) -> SpectrogramGrid {
    let full = FULL_GRID.columns * FULL_GRID.rows;
    let per_recording = REPORT_SPECTROGRAM_CELLS / recordings.max(1);
    if per_recording >= full {
        return FULL_GRID;
    }
    let scale = (per_recording as f64 / full as f64).sqrt();
    SpectrogramGrid {
        columns: ((FULL_GRID.columns as f64 * scale) as usize).max(COARSEST_GRID.columns),
        rows: ((FULL_GRID.rows as f64 * scale) as usize).max(COARSEST_GRID.rows),
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.4;padding:0 12px}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:1.6em}
h3{margin:.2em 0}h4{margin:1em 0 .3em;color:#444}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600}td.num{text-align:right}
.scorecard th.flag{writing-mode:vertical-rl;transform:rotate(180deg);font-size:.8em;white-space:nowrap}
.scorecard td.zero{color:#bbb}
.level{display:inline-block;padding:1px 9px;border-radius:9px;font-weight:700;text-transform:uppercase;font-size:.85em;border:1px solid #0003}
.green{background:#2e9d46;color:#fff}.yellow{background:#f2cf1d;color:#222}.orange{background:#f08a24;color:#222}.red{background:#d0312d;color:#fff}
.muted{color:#777}.recording{border:1px solid #ccc;border-radius:6px;padding:10px 16px;margin:18px 0}
.findings li{margin:.25em 0}.sev{font-weight:700;text-transform:uppercase;font-size:.8em}
.sev-high{color:#b00}.sev-medium{color:#b65c00}.sev-low{color:#666}.sev-info{color:#888}
.flag-tag{display:inline-block;background:#eef;border:1px solid #ccd;border-radius:4px;padding:0 5px;font-size:.85em;margin:1px 2px 1px 0;white-space:nowrap}
mark{padding:0 1px;border-radius:2px}mark.high{background:#ffb3b3}mark.medium{background:#ffd59e}mark.low,mark.info{background:#eee}
.transcript p{margin:.15em 0}.ts{font-family:ui-monospace,monospace;color:#555;font-size:.85em;margin-right:.4em}
a.ts{color:#1a5fb4}.speaker{font-weight:600;margin-right:.3em}.plot svg{width:100%;max-width:900px;height:auto;display:block}
.plot{break-inside:avoid}.provenance td,.provenance th{font-size:.9em}.provenance code{word-break:break-all}
.vendor-front{border:2px solid #ccc;border-radius:8px;padding:8px 18px;margin:18px 0}
.vendor-front h2{margin-top:.3em}.why li{margin:.2em 0}.figure-grid{display:flex;flex-wrap:wrap;gap:0 24px}
table.index{width:100%}table.index td.path{word-break:break-all}.sortbar button{margin-left:4px}
table.details{font-size:.85em}audio{width:100%;max-width:600px;margin:.3em 0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{body{margin:0;max-width:none}.recording{break-before:page;border:none}.vendor-front{break-before:page;border:none;padding:0}
a{color:inherit;text-decoration:none}audio,.sortbar,.noprint{display:none}}
";

/// The page's only script: timestamps seek the recording's player, the index sorts, and
/// `#check-audio` in the address loads the first players and marks them (`data-loaded`) for
/// `scripts/check-html`.
const SCRIPT: &str = "
document.addEventListener('click',function(e){
 var a=e.target.closest('a[data-t]');if(!a)return;
 var s=a.closest('section.recording');var p=s&&s.querySelector('audio');if(!p)return;
 e.preventDefault();p.currentTime=parseFloat(a.getAttribute('data-t'));
 var r=p.play();if(r&&r.catch)r.catch(function(){});
});
function sortIndex(key){
 document.querySelectorAll('table.index tbody').forEach(function(tb){
  var rows=Array.prototype.slice.call(tb.rows);
  rows.sort(function(a,b){
   if(key==='path')return a.getAttribute('data-path').localeCompare(b.getAttribute('data-path'));
   var d=key==='score'?b.getAttribute('data-score')-a.getAttribute('data-score'):0;
   return d||b.getAttribute('data-level')-a.getAttribute('data-level')||b.getAttribute('data-score')-a.getAttribute('data-score')||a.getAttribute('data-path').localeCompare(b.getAttribute('data-path'));
  });
  rows.forEach(function(r){tb.appendChild(r);});
 });
}
document.querySelectorAll('button[data-sort]').forEach(function(b){
 b.addEventListener('click',function(){sortIndex(b.getAttribute('data-sort'));});
});
if(location.hash==='#check-audio'){
 Array.prototype.slice.call(document.querySelectorAll('audio'),0,3).forEach(function(p){
  p.addEventListener('loadedmetadata',function(){p.setAttribute('data-loaded',String(p.duration));});
  p.addEventListener('error',function(){console.error('audio did not load: '+p.currentSrc);});
  p.preload='metadata';p.load();
 });
}
";

/// The whole page.
pub fn render(report: &Report, options: &HtmlOptions) -> String {
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>callqa report</title>\n<style>");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<h1>Call recording audit</h1>\n");
    let _ = writeln!(
        html,
        "<p class=\"muted\">{} recording(s), {} vendor(s), {} input error(s), {} non-audio file(s) skipped. Report schema {}.</p>",
        report.recordings.len(),
        report.vendors.len(),
        report.errors.len(),
        report.skipped.len(),
        escape(&report.schema)
    );
    front::scorecard(&mut html, report);
    front::provenance(&mut html, report);
    front::vendor_pages(&mut html, report, options.summary_only);
    front::index(&mut html, report, options.summary_only);
    front::errors_and_skipped(&mut html, report);
    if !options.summary_only {
        let grid = spectrogram_grid(report.recordings.len());
        for index in 0..report.recordings.len() {
            recording::section(&mut html, report, index, options, grid);
        }
    }
    html.push_str("<script>");
    html.push_str(SCRIPT);
    html.push_str("</script>\n</body>\n</html>\n");
    html
}

fn level_badge(level: Option<Level>) -> String {
    match level {
        Some(level) => {
            let name = level_name(level);
            format!("<span class=\"level {name}\">{name}</span>")
        }
        None => "<span class=\"muted\">no verdict</span>".into(),
    }
}

/// The one display form of a flag (`staged_call` -> "Staged call"), everywhere on the page.
pub fn flag_label(name: &str) -> String {
    Flag::ALL
        .iter()
        .find(|f| f.as_str() == name)
        .map_or_else(|| name.replace('_', " "), |f| f.label().to_string())
}

/// Flags as tags, or `none`.
fn flag_tags(flags: &[String]) -> String {
    if flags.is_empty() {
        return "<span class=\"muted\">none</span>".into();
    }
    flags
        .iter()
        .map(|f| format!("<span class=\"flag-tag\">{}</span>", escape(&flag_label(f))))
        .collect()
}

/// Seconds as m:ss.s (or h:mm:ss).
pub fn clock(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let minutes = (seconds / 60.0).floor();
    let rest = seconds - minutes * 60.0;
    if minutes >= 60.0 {
        let hours = (minutes / 60.0).floor();
        format!(
            "{hours:.0}:{:02.0}:{:02.0}",
            minutes - hours * 60.0,
            rest.floor()
        )
    } else {
        format!("{minutes:.0}:{rest:04.1}")
    }
}

/// A number with its unit, or a dash when unknown.
fn figure(value: Option<f64>, decimals: usize, unit: &str) -> String {
    // + 0.0 turns -0.0 into 0.0
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "–".into(), |v| format!("{:.decimals$} {unit}", v + 0.0))
}

/// `path` made absolute against `base` and cleared of `.` and `..`, without touching the disk.
fn absolute(path: &Path, base: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Percent-encodes one path segment for a URL (unreserved characters stay).
fn url_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URL of `target` relative to the folder `from_dir` (both absolute), for a link in a saved page.
pub fn relative_url(from_dir: &Path, target: &Path) -> String {
    let from: Vec<Component> = from_dir.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|c| url_segment(&c.as_os_str().to_string_lossy()));
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

/// The player's link to a recording, relative to the report folder; None without a report folder.
fn audio_url(path: &str, options: &HtmlOptions) -> Option<String> {
    let report_dir = options.report_dir.as_deref()?;
    let path = Path::new(path);
    let base = match (path.is_absolute(), options.base_dir.as_deref()) {
        (true, _) => Path::new("/"),
        (false, Some(base)) => base,
        (false, None) => return None,
    };
    Some(relative_url(
        &absolute(report_dir, Path::new("/")),
        &absolute(path, base),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(75.25), "1:15.2");
        assert_eq!(clock(3725.0), "1:02:05");
    }

    #[test]
    fn grid_shrinks_with_many_recordings_but_not_below_the_coarsest() {
        assert_eq!(spectrogram_grid(1), FULL_GRID);
        let grid = spectrogram_grid(200);
        assert!(grid.columns * grid.rows * 200 <= REPORT_SPECTROGRAM_CELLS);
        assert!(grid.columns < FULL_GRID.columns && grid.rows >= COARSEST_GRID.rows);
        assert_eq!(spectrogram_grid(100_000), COARSEST_GRID);
    }

    #[test]
    fn flags_have_one_display_form() {
        assert_eq!(flag_label("staged_call"), "Staged call");
        assert_eq!(flag_label("personal_data"), "Personal data");
        assert_eq!(flag_label("something_new"), "something new");
    }

    #[test]
    fn players_link_recordings_relative_to_the_report_folder() {
        let options = HtmlOptions {
            summary_only: false,
            report_dir: Some("/work/run/report".into()),
            base_dir: Some("/work/run".into()),
        };
        assert_eq!(
            audio_url("samples/vendor a/call #1.wav", &options).unwrap(),
            "../samples/vendor%20a/call%20%231.wav"
        );
        assert_eq!(audio_url("./in/../x.mp3", &options).unwrap(), "../x.mp3");
        assert_eq!(
            audio_url("/data/calls/x.wav", &options).unwrap(),
            "../../../data/calls/x.wav"
        );
        assert_eq!(audio_url("x.wav", &HtmlOptions::default()), None);
    }
}
