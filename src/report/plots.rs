//! The report's plots as inline SVG strings, drawn with plotters (the only module that knows it):
//! speaker timeline, spectrogram thumbnail with marked regions, long-term noise spectrum.

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;

use crate::dsp::{db, quantile};
use crate::model::{Spectrogram, SpectrumPoint, TimeRange};

/// Width of every plot, pixels.
pub const PLOT_WIDTH_PX: u32 = 900;
/// The most points drawn on the noise spectrum line.
const MAX_SPECTRUM_POINTS: usize = 160;
/// Most and least dynamic range shown on the spectrogram below its loudest cell, dB.
const SPECTROGRAM_MAX_RANGE_DB: f32 = 80.0;
const SPECTROGRAM_MIN_RANGE_DB: f32 = 30.0;
/// The noise spectrum's y axis spans at most this far below its loudest point, dB; quieter points
/// sit on the bottom edge (a spectrum falling to -170 dBFS above the band edge must not squash the curve).
const SPECTRUM_MAX_RANGE_DB: f64 = 60.0;
/// Room left under the quietest tenth of the noise spectrum's points, dB (fewer points may fall lower).
const SPECTRUM_MARGIN_DB: f64 = 10.0;
/// Width of the spectrogram's dB colour scale (bar and labels), pixels.
const COLOUR_SCALE_PX: u32 = 92;
/// Font size of axis labels and plot texts, pixels.
const FONT_PX: u32 = 15;
/// Colour steps of the spectrogram; equal neighbours merge into one rectangle.
const SPECTROGRAM_LEVELS: usize = 12;
/// Pauses at least this long (nobody talking) are marked on the timeline, seconds.
pub const LONG_PAUSE_S: f64 = 2.0;
/// The most bars per timeline lane; closer regions merge to stay under it.
const MAX_BARS_PER_LANE: usize = 150;

type PlotResult = Result<String, String>;

fn font() -> FontDesc<'static> {
    ("sans-serif", FONT_PX).into_font()
}

fn plot_error(err: impl std::fmt::Display) -> String {
    format!("plot could not be drawn: {err}")
}

/// How finely a spectrogram thumbnail is drawn: the pooled grid of cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpectrogramGrid {
    pub columns: usize,
    pub rows: usize,
}

/// A time range to mark on a spectrogram, with what it is (shown as a label).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub range: TimeRange,
    pub label: String,
}

/// One row of the speaker timeline: a talker (or channel) and when it speaks, seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub name: String,
    pub regions: Vec<TimeRange>,
}

/// Palette of the timeline lanes.
const LANE_COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
const OVERLAP_COLOUR: RGBColor = RGBColor(214, 39, 40);
const PAUSE_COLOUR: RGBColor = RGBColor(170, 170, 170);
const MARK_COLOUR: RGBColor = RGBColor(255, 80, 0);

/// Sorted, merged ranges: regions closer than `gap_s` become one.
fn merged(regions: &[TimeRange], gap_s: f64) -> Vec<TimeRange> {
    let mut sorted: Vec<TimeRange> = regions
        .iter()
        .copied()
        .filter(|r| r.end_s > r.start_s)
        .collect();
    sorted.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let mut out: Vec<TimeRange> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start_s <= last.end_s + gap_s => last.end_s = last.end_s.max(r.end_s),
            _ => out.push(r),
        }
    }
    out
}

/// Merges with a growing gap until at most `max` bars remain.
fn limited(regions: &[TimeRange], duration_s: f64, max: usize) -> Vec<TimeRange> {
    let mut gap_s = 0.0;
    let mut out = merged(regions, gap_s);
    while out.len() > max {
        gap_s = if gap_s == 0.0 {
            duration_s / 2000.0
        } else {
            gap_s * 2.0
        };
        out = merged(&out, gap_s);
    }
    out
}

/// Times when two or more lanes speak at once.
pub fn overlaps(lanes: &[Lane]) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for (i, a) in lanes.iter().enumerate() {
        for b in &lanes[i + 1..] {
            for ra in &a.regions {
                for rb in &b.regions {
                    let start = ra.start_s.max(rb.start_s);
                    let end = ra.end_s.min(rb.end_s);
                    if end > start {
                        out.push(TimeRange::new(start, end));
                    }
                }
            }
        }
    }
    merged(&out, 0.0)
}

/// Gaps of at least [`LONG_PAUSE_S`] between the first and the last speech of any lane.
pub fn long_pauses(lanes: &[Lane]) -> Vec<TimeRange> {
    let all: Vec<TimeRange> = lanes.iter().flat_map(|l| l.regions.clone()).collect();
    merged(&all, 0.0)
        .windows(2)
        .filter(|w| w[1].start_s - w[0].end_s >= LONG_PAUSE_S)
        .map(|w| TimeRange::new(w[0].end_s, w[1].start_s))
        .collect()
}

/// The speaker timeline: one lane per talker, then overlaps and long pauses, over `duration_s` seconds.
pub fn timeline_svg(lanes: &[Lane], duration_s: f64) -> PlotResult {
    let mut rows: Vec<(String, Vec<TimeRange>, RGBColor)> = lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let colour = LANE_COLOURS[i % LANE_COLOURS.len()];
            (lane.name.clone(), lane.regions.clone(), colour)
        })
        .collect();
    rows.push(("overlap".into(), overlaps(lanes), OVERLAP_COLOUR));
    rows.push(("pause".into(), long_pauses(lanes), PAUSE_COLOUR));
    let duration_s = duration_s.max(1e-3);
    let height = 40 + 22 * rows.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_WIDTH_PX, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = framed_chart(&root, 80)
            .build_cartesian_2d(0.0..duration_s, 0.0..rows.len() as f64)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(WHITE)
            .label_style(font())
            .x_label_formatter(&|s| format!("{s:.0}"))
            .draw()
            .map_err(plot_error)?;
        for (i, (name, regions, colour)) in rows.iter().enumerate() {
            let top = (rows.len() - i) as f64 - 0.15;
            let bottom = top - 0.7;
            let bars = limited(regions, duration_s, MAX_BARS_PER_LANE);
            chart
                .draw_series(bars.iter().map(|r| {
                    Rectangle::new([(r.start_s, top), (r.end_s, bottom)], colour.filled())
                }))
                .map_err(plot_error)?;
            let (_, y) = chart.backend_coord(&(0.0, (top + bottom) / 2.0));
            root.draw(&Text::new(
                name.chars().take(12).collect::<String>(),
                (8, y - 8),
                font(),
            ))
            .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// The spectrogram pooled (mean power) onto at most `grid` cells: `[column][row]` in dBFS.
pub fn pooled(spectrogram: &Spectrogram, grid: SpectrogramGrid) -> Vec<Vec<f32>> {
    let columns = &spectrogram.columns_db;
    let rows = columns.first().map_or(0, Vec::len);
    if rows == 0 || grid.columns == 0 || grid.rows == 0 {
        return Vec::new();
    }
    let column_groups = groups(columns.len(), grid.columns);
    let row_groups = groups(rows, grid.rows);
    column_groups
        .iter()
        .map(|cols| {
            row_groups
                .iter()
                .map(|rs| {
                    mean_db(
                        cols.clone()
                            .flat_map(|c| columns[c].get(rs.clone()).unwrap_or_default()),
                    )
                })
                .collect()
        })
        .collect()
}

/// Splits `0..len` into at most `max` contiguous, nearly equal groups.
fn groups(len: usize, max: usize) -> Vec<std::ops::Range<usize>> {
    let count = len.min(max);
    (0..count)
        .map(|g| g * len / count..(g + 1) * len / count)
        .collect()
}

fn mean_db<'a>(values: impl Iterator<Item = &'a f32>) -> f32 {
    let (sum, n) = values.fold((0.0f64, 0usize), |(sum, n), level| {
        (sum + db::db_to_power(f64::from(*level)), n + 1)
    });
    if n == 0 || sum <= 0.0 {
        return -200.0;
    }
    db::power_db(sum / n as f64) as f32
}

/// A dark-to-bright colour for a level step (0 = quietest).
fn heat_colour(step: usize) -> RGBColor {
    const ANCHORS: [(f64, f64, f64); 5] = [
        (12.0, 7.0, 45.0),
        (90.0, 20.0, 120.0),
        (190.0, 55.0, 85.0),
        (250.0, 150.0, 40.0),
        (252.0, 250.0, 170.0),
    ];
    let t = step as f64 / (SPECTROGRAM_LEVELS - 1) as f64 * (ANCHORS.len() - 1) as f64;
    let i = (t.floor() as usize).min(ANCHORS.len() - 2);
    let f = t - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The dB range the colours span: from the loudest cell down to the quietest tenth of the cells,
/// kept between the least and the most range shown.
fn colour_range_db(cells: &[Vec<f32>]) -> (f32, f32) {
    let mut values: Vec<f32> = cells.iter().flatten().copied().collect();
    values.sort_by(f32::total_cmp);
    let top = values.last().copied().unwrap_or(0.0);
    let quiet = quantile::at_fraction(&values, 1, 10).unwrap_or(top);
    let range = (top - quiet).clamp(SPECTROGRAM_MIN_RANGE_DB, SPECTROGRAM_MAX_RANGE_DB);
    (top - range, top)
}

fn level_step(db: f32, (bottom_db, top_db): (f32, f32)) -> usize {
    let fraction = ((db - bottom_db) / (top_db - bottom_db)).clamp(0.0, 1.0);
    (fraction * (SPECTROGRAM_LEVELS - 1) as f32).round() as usize
}

/// One rectangle of equal colour along a frequency row: columns `start..end`, row, colour step.
fn runs_of_row(cells: &[Vec<f32>], row: usize, range_db: (f32, f32)) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (c, column) in cells.iter().enumerate() {
        let step = level_step(column[row], range_db);
        match runs.last_mut() {
            Some(last) if last.2 == step => last.1 = c + 1,
            _ => runs.push((c, c + 1, step)),
        }
    }
    runs
}

/// The spectrogram thumbnail (time across, frequency up) with `marks` shaded over their time ranges.
pub fn spectrogram_svg(
    spectrogram: &Spectrogram,
    marks: &[Mark],
    grid: SpectrogramGrid,
) -> PlotResult {
    let cells = pooled(spectrogram, grid);
    let Some(rows) = cells.first().map(Vec::len) else {
        return Err("The spectrogram has no cells.".into());
    };
    let source_columns = spectrogram.columns_db.len();
    let duration_s = (source_columns as f64 * spectrogram.time_step_s).max(1e-3);
    let top_hz =
        (spectrogram.columns_db[0].len() as f64 * spectrogram.freq_step_hz).max(1.0) / 1000.0;
    if !(duration_s.is_finite() && top_hz.is_finite()) {
        return Err("The spectrogram's time or frequency step is not a finite number.".into());
    }
    let column_s = duration_s / cells.len() as f64;
    let row_khz = top_hz / rows as f64;
    let range_db = colour_range_db(&cells);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_WIDTH_PX, 200)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (plot, scale) = root.split_horizontally(PLOT_WIDTH_PX - COLOUR_SCALE_PX);
        colour_scale(&scale, range_db)?;
        let mut chart = framed_chart(&plot, 52)
            .build_cartesian_2d(0.0..duration_s, 0.0..top_hz)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style(font())
            .x_label_formatter(&|s| format!("{s:.0}"))
            .draw()
            .map_err(plot_error)?;
        for row in 0..rows {
            let (low, high) = (row as f64 * row_khz, (row + 1) as f64 * row_khz);
            chart
                .draw_series(runs_of_row(&cells, row, range_db).into_iter().map(
                    |(start, end, step)| {
                        Rectangle::new(
                            [
                                (start as f64 * column_s, high),
                                (end as f64 * column_s, low),
                            ],
                            heat_colour(step).filled(),
                        )
                    },
                ))
                .map_err(plot_error)?;
        }
        for (number, mark) in marks.iter().enumerate() {
            let (start, end) = (
                mark.range.start_s.max(0.0),
                mark.range.end_s.min(duration_s),
            );
            if end <= start {
                continue;
            }
            chart
                .draw_series([
                    Rectangle::new(
                        [(start, top_hz), (end, 0.0)],
                        MARK_COLOUR.mix(0.25).filled(),
                    ),
                    Rectangle::new([(start, top_hz), (end, 0.0)], MARK_COLOUR.stroke_width(1)),
                ])
                .map_err(plot_error)?;
            chart
                .draw_series([Text::new(
                    mark.label.clone(),
                    (start, top_hz * (1.0 - 0.12 * (number % 4) as f64)),
                    font().color(&WHITE),
                )])
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// The dB colour scale of the spectrogram: one box per colour step, the loudest on top, labelled
/// with the dB (relative to full scale) of the top and the bottom step.
fn colour_scale<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    (bottom_db, top_db): (f32, f32),
) -> Result<(), String> {
    const TOP_PX: i32 = 8;
    const STEP_PX: i32 = 13;
    const BAR_PX: i32 = 14;
    for step in 0..SPECTROGRAM_LEVELS {
        let y = TOP_PX + (SPECTROGRAM_LEVELS - 1 - step) as i32 * STEP_PX;
        area.draw(&Rectangle::new(
            [(4, y), (4 + BAR_PX, y + STEP_PX)],
            heat_colour(step).filled(),
        ))
        .map_err(plot_error)?;
    }
    let bottom_px = TOP_PX + SPECTROGRAM_LEVELS as i32 * STEP_PX;
    for (text, y) in [
        (format!("{top_db:.0} dB"), TOP_PX),
        (format!("{bottom_db:.0} dB"), bottom_px - FONT_PX as i32),
        ("(dBFS)".to_string(), bottom_px + 4),
    ] {
        area.draw(&Text::new(text, (8 + BAR_PX, y), font()))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// The y range of the noise spectrum, dBFS: tens around the points, at most
/// [`SPECTRUM_MAX_RANGE_DB`] below the loudest and [`SPECTRUM_MARGIN_DB`] below the quietest tenth.
fn spectrum_range_db(points: &[SpectrumPoint]) -> (f64, f64) {
    let ceiling = points
        .iter()
        .map(|p| p.dbfs)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut levels: Vec<f64> = points.iter().map(|p| p.dbfs).collect();
    levels.sort_by(f64::total_cmp);
    let quiet = quantile::at_fraction(&levels, 1, 10).unwrap_or(ceiling);
    let floor = levels
        .first()
        .copied()
        .unwrap_or(ceiling)
        .max(ceiling - SPECTRUM_MAX_RANGE_DB)
        .max(quiet - SPECTRUM_MARGIN_DB);
    let (bottom, top) = (
        (floor / 10.0).floor() * 10.0,
        (ceiling / 10.0).ceil() * 10.0,
    );
    (bottom, if top > bottom { top } else { bottom + 10.0 })
}

/// At most `max` points, averaged (in power) within equal log-frequency bands; sorted by frequency.
pub fn thinned_spectrum(points: &[SpectrumPoint], max: usize) -> Vec<SpectrumPoint> {
    let mut positive: Vec<SpectrumPoint> = points
        .iter()
        .copied()
        .filter(|p| p.hz > 0.0 && p.dbfs.is_finite())
        .collect();
    positive.sort_by(|a, b| a.hz.total_cmp(&b.hz));
    if positive.len() <= max {
        return positive;
    }
    let (low, high) = (positive[0].hz.ln(), positive[positive.len() - 1].hz.ln());
    let band_of = |hz: f64| (((hz.ln() - low) / (high - low) * max as f64) as usize).min(max - 1);
    let mut bands: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); max];
    for p in &positive {
        let band = &mut bands[band_of(p.hz)];
        band.0 += p.hz;
        band.1 += db::db_to_power(p.dbfs);
        band.2 += 1;
    }
    bands
        .into_iter()
        .filter(|b| b.2 > 0)
        .map(|(hz, power, n)| SpectrumPoint {
            hz: hz / n as f64,
            dbfs: db::power_db_floored(power / n as f64, 1e-30),
        })
        .collect()
}

/// The long-term noise spectrum on a log-frequency axis, dBFS.
pub fn noise_spectrum_svg(points: &[SpectrumPoint]) -> PlotResult {
    let points = thinned_spectrum(points, MAX_SPECTRUM_POINTS);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err("No noise spectrum recorded.".into());
    };
    let low_hz = first.hz;
    let high_hz = last.hz.max(low_hz * 1.01);
    let (bottom, top) = spectrum_range_db(&points);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_WIDTH_PX, 200)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = framed_chart(&root, 52)
            .build_cartesian_2d((low_hz..high_hz).log_scale(), bottom..top)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .label_style(font())
            .x_label_formatter(&|hz| format!("{hz:.0}"))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.hz, p.dbfs.max(bottom))),
                LANE_COLOURS[0].stroke_width(2),
            ))
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// The frame every plot shares: margins and an x label area; `y_label_px` is the y label area width.
fn framed_chart<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    y_label_px: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(6)
        .margin_right(24)
        .x_label_area_size(26)
        .y_label_area_size(y_label_px);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start_s: f64, end_s: f64) -> TimeRange {
        TimeRange::new(start_s, end_s)
    }

    #[test]
    fn overlaps_and_long_pauses_between_two_speakers() {
        let lanes = [
            Lane {
                name: "agent".into(),
                regions: vec![range(0.0, 4.0), range(10.0, 12.0)],
            },
            Lane {
                name: "customer".into(),
                regions: vec![range(3.0, 5.0)],
            },
        ];
        assert_eq!(overlaps(&lanes), vec![range(3.0, 4.0)]);
        assert_eq!(long_pauses(&lanes), vec![range(5.0, 10.0)]);
    }

    #[test]
    fn many_regions_merge_under_the_bar_limit() {
        let regions: Vec<TimeRange> = (0..5000)
            .map(|i| range(i as f64 * 0.1, i as f64 * 0.1 + 0.05))
            .collect();
        let bars = limited(&regions, 500.0, 300);
        assert!(bars.len() <= 300 && !bars.is_empty(), "{}", bars.len());
        assert_eq!(bars[0].start_s, 0.0);
        assert!((bars.last().unwrap().end_s - 499.95).abs() < 1e-9);
    }

    #[test]
    fn pooling_averages_power_not_decibels() {
        let spectrogram = Spectrogram {
            time_step_s: 0.5,
            freq_step_hz: 100.0,
            columns_db: vec![vec![0.0, -60.0], vec![-100.0, -60.0]],
        };
        let cells = pooled(
            &spectrogram,
            SpectrogramGrid {
                columns: 1,
                rows: 2,
            },
        );
        assert_eq!(cells.len(), 1);
        assert!((cells[0][0] - (-3.0103)).abs() < 0.01, "{}", cells[0][0]);
        assert!((cells[0][1] - (-60.0)).abs() < 1e-3);
    }

    #[test]
    fn ragged_spectrogram_columns_are_skipped_not_a_panic() {
        let spectrogram = Spectrogram {
            time_step_s: 0.5,
            freq_step_hz: 100.0,
            columns_db: vec![vec![-20.0, -40.0], vec![-20.0]],
        };
        let grid = SpectrogramGrid {
            columns: 2,
            rows: 2,
        };
        let cells = pooled(&spectrogram, grid);
        assert!((cells[0][1] - (-40.0)).abs() < 1e-3);
        assert_eq!(cells[1][1], -200.0);
        assert!(spectrogram_svg(&spectrogram, &[], grid).is_ok());
    }

    #[test]
    fn thinned_spectrum_keeps_band_power_on_a_log_axis() {
        let points: Vec<SpectrumPoint> = (1..=4000)
            .map(|i| SpectrumPoint {
                hz: i as f64 * 2.0,
                dbfs: -60.0,
            })
            .collect();
        let thin = thinned_spectrum(&points, 100);
        assert!(thin.len() <= 100 && thin.len() > 50, "{}", thin.len());
        assert!(thin.iter().all(|p| (p.dbfs + 60.0).abs() < 1e-6));
        assert!(thin.windows(2).all(|w| w[0].hz < w[1].hz));
    }

    #[test]
    fn plots_are_svg_with_their_content() {
        let lanes = [Lane {
            name: "<b>&co".into(),
            regions: vec![range(1.0, 3.0)],
        }];
        let timeline = timeline_svg(&lanes, 10.0).unwrap();
        assert!(timeline.starts_with("<svg") && timeline.contains("&lt;b&gt;&amp;co"));
        let spectrogram = Spectrogram {
            time_step_s: 0.1,
            freq_step_hz: 250.0,
            columns_db: (0..100)
                .map(|c| (0..32).map(|r| -(c % 7 + r) as f32).collect())
                .collect(),
        };
        let marks = [Mark {
            range: range(2.0, 4.0),
            label: "noise".into(),
        }];
        let grid = SpectrogramGrid {
            columns: 50,
            rows: 16,
        };
        let svg = spectrogram_svg(&spectrogram, &marks, grid).unwrap();
        assert!(svg.contains("<rect") && svg.contains("noise"));
        let spectrum = [
            SpectrumPoint {
                hz: 50.0,
                dbfs: -70.0,
            },
            SpectrumPoint {
                hz: 4000.0,
                dbfs: -90.0,
            },
        ];
        assert!(noise_spectrum_svg(&spectrum).unwrap().contains("<polyline"));
        assert!(noise_spectrum_svg(&[]).is_err());
    }

    #[test]
    fn spectrogram_has_a_db_colour_scale() {
        let spectrogram = Spectrogram {
            time_step_s: 0.1,
            freq_step_hz: 250.0,
            columns_db: (0..40)
                .map(|c| (0..16).map(|r| -20.0 - (c % 5 + r) as f32 * 3.0).collect())
                .collect(),
        };
        let grid = SpectrogramGrid {
            columns: 40,
            rows: 16,
        };
        let svg = spectrogram_svg(&spectrogram, &[], grid).unwrap();
        let (bottom, top) = colour_range_db(&pooled(&spectrogram, grid));
        assert!(svg.contains(&format!("{top:.0} dB")), "{svg}");
        assert!(svg.contains(&format!("{bottom:.0} dB")));
    }

    #[test]
    fn a_spectrum_falling_far_below_keeps_the_axis_near_the_curve() {
        let mut spectrum: Vec<SpectrumPoint> = (1..=100)
            .map(|i| SpectrumPoint {
                hz: i as f64 * 40.0,
                dbfs: -60.0 - i as f64 * 0.2,
            })
            .collect();
        spectrum.push(SpectrumPoint {
            hz: 4100.0,
            dbfs: -170.0,
        });
        let (bottom, top) = spectrum_range_db(&spectrum);
        assert_eq!(top, -60.0);
        assert!(bottom >= top - SPECTRUM_MAX_RANGE_DB - 10.0, "{bottom}");
        assert!(bottom <= -80.0, "the curve itself stays inside: {bottom}");
    }
}
