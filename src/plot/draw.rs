//! Drawing a [`Picture`] with plotters, as SVG text or PNG bytes. The font,
//! DejaVu Sans, is compiled into the binary (`fonts/`), so drawing needs no
//! system library or font: plotters measures and rasterizes text with
//! ab_glyph from these bytes, and the SVG names the family `sans-serif`.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::report::table::figure;

/// DejaVu Sans (fonts/LICENSE): every glyph the pictures need.
static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The family every text of a picture is set in.
const FAMILY: &str = "sans-serif";

/// The width of a picture, and the height of one with a single panel.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 600;
/// The height of each panel of a picture with several.
const PANEL_HEIGHT: u32 = 320;

/// What a picture shows: one panel or several, one above the other.
#[derive(Debug, Clone)]
pub struct Picture {
    pub panels: Vec<Panel>,
}

/// One chart: its title, axis labels and what is drawn in it.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub content: Content,
}

#[derive(Debug, Clone)]
pub enum Content {
    /// Step-shaped lines: each value holds from its time to the next one's,
    /// and the last to the line's `end`.
    Steps(Vec<Line>),
    /// Points joined by lines, each with a 95% interval when it has one.
    Points(Vec<Line>),
    /// A histogram: bin `i` covers `[start + i width, start + (i + 1) width)`.
    Bars { start: f64, width: f64, counts: Vec<u64> },
}

/// One line of a chart and its name in the legend (none when alone).
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// The half-width of each point's 95% interval (NaN: none), or empty.
    pub intervals: Vec<f64>,
    /// Steps only: the time to which the last value holds.
    pub end: f64,
}

/// A point of a chart: (x, y).
type Point = (f64, f64);

/// Ten colours that tell lines apart (Tableau 10).
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Lines beyond this many get no legend (it would hide the chart).
const MAX_LEGEND: usize = 10;

/// The size of the picture of `panels` panels.
pub fn size(panels: usize) -> (u32, u32) {
    match panels {
        0 | 1 => (WIDTH, HEIGHT),
        n => (WIDTH, PANEL_HEIGHT * n as u32),
    }
}

fn register() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bytes are a valid font (a test draws with them): nothing to report.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// The picture as an SVG document.
pub fn svg(picture: &Picture) -> Result<String, String> {
    register();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size(picture.panels.len())).into_drawing_area();
        draw(&root, picture)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

/// The picture as a PNG image (RGB, 8 bits a channel).
pub fn png(picture: &Picture) -> Result<Vec<u8>, String> {
    register();
    let (width, height) = size(picture.panels.len());
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root, picture)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, picture: &Picture) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((picture.panels.len().max(1), 1));
    for (panel, area) in picture.panels.iter().zip(&areas) {
        draw_panel(area, panel).map_err(|e| format!("cannot draw `{}`: {e}", panel.title))?;
    }
    Ok(())
}

/// `[lo, hi]` widened by 5% on each side (by 1 around a single value), so
/// nothing sits on the frame.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi <= lo {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * 0.05;
    (lo - d, hi + d)
}

/// The least and greatest finite value of `values` (`(inf, -inf)` for none).
fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult<DB> {
    let (x_range, y_range) = ranges(&panel.content);
    // Whole numbers over a short range (a queue's length) get a tick per number.
    let whole = match &panel.content {
        Content::Steps(lines) => lines.iter().flat_map(|l| &l.points).all(|p| p.1.fract() == 0.0),
        _ => false,
    };
    let span = (y_range.1 - y_range.0) / 1.1;
    let y_labels = if whole && span <= 12.0 { span.round() as usize + 1 } else { 8 };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 22))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .bold_line_style(RGBColor(225, 225, 225))
        .max_light_lines(0)
        .x_labels(8)
        .y_labels(y_labels)
        .x_label_formatter(&|v| figure(*v))
        .y_label_formatter(&|v| figure(*v))
        .draw()?;
    let lines = match &panel.content {
        Content::Steps(lines) => {
            for (index, line) in lines.iter().enumerate() {
                let colour = COLOURS[index % COLOURS.len()];
                // The plot area is a little narrower than the picture.
                let (path, spans) = steps(line, (x_range.1 - x_range.0) / f64::from(WIDTH - 100));
                let series = chart.draw_series(std::iter::once(PathElement::new(path, colour.stroke_width(2))))?;
                series
                    .label(line.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
                chart.draw_series(spans.into_iter().map(|span| PathElement::new(span, colour.stroke_width(2))))?;
            }
            lines.len()
        }
        Content::Points(lines) => {
            for (index, line) in lines.iter().enumerate() {
                let colour = COLOURS[index % COLOURS.len()];
                let points: Vec<(f64, f64)> =
                    line.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
                let series =
                    chart.draw_series(std::iter::once(PathElement::new(points.clone(), colour.stroke_width(2))))?;
                series
                    .label(line.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                let cap = (x_range.1 - x_range.0) * 0.008;
                for (&(x, y), &half) in line.points.iter().zip(&line.intervals) {
                    if !(x.is_finite() && y.is_finite() && half.is_finite()) {
                        continue;
                    }
                    let style = colour.stroke_width(2);
                    chart.draw_series([
                        PathElement::new(vec![(x, y - half), (x, y + half)], style),
                        PathElement::new(vec![(x - cap, y - half), (x + cap, y - half)], style),
                        PathElement::new(vec![(x - cap, y + half), (x + cap, y + half)], style),
                    ])?;
                }
            }
            lines.len()
        }
        Content::Bars { start, width, counts } => {
            let colour = COLOURS[0];
            chart.draw_series(counts.iter().enumerate().map(|(i, &count)| {
                let left = start + i as f64 * width;
                Rectangle::new([(left, 0.0), (left + width, count as f64)], colour.mix(0.75).filled())
            }))?;
            chart.draw_series(counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &count)| {
                let left = start + i as f64 * width;
                Rectangle::new([(left, 0.0), (left + width, count as f64)], colour.stroke_width(1))
            }))?;
            0
        }
    };
    if (2..=MAX_LEGEND).contains(&lines) {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .position(legend_corner(&panel.content, x_range, y_range, lines))
            .draw()?;
    }
    Ok(())
}

/// The corner of the chart where the legend of `entries` lines hides the
/// least of them: the one with the fewest of the lines' samples under it
/// (the upper right among equals, then upper left, lower right, lower left).
fn legend_corner(content: &Content, x: (f64, f64), y: (f64, f64), entries: usize) -> SeriesLabelPosition {
    let (lines, stepped) = match content {
        Content::Steps(lines) => (lines, true),
        Content::Points(lines) => (lines, false),
        Content::Bars { .. } => return SeriesLabelPosition::UpperRight,
    };
    // Where each line is, in the chart's fractions: its points, its
    // intervals' ends, and 200 samples across the x axis.
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let fraction = |(px, py): Point| ((px - x.0) / (x.1 - x.0), (py - y.0) / (y.1 - y.0));
    for line in lines {
        let points: Vec<Point> = line.points.iter().copied().filter(|(a, b)| a.is_finite() && b.is_finite()).collect();
        for (index, &point) in points.iter().enumerate() {
            samples.push(fraction(point));
            if let Some(half) = line.intervals.get(index).filter(|h| h.is_finite()) {
                samples.extend([fraction((point.0, point.1 - half)), fraction((point.0, point.1 + half))]);
            }
        }
        for k in 0..=200 {
            let at = x.0 + (x.1 - x.0) * f64::from(k) / 200.0;
            let after = points.partition_point(|p| p.0 <= at);
            let before = after.checked_sub(1).map(|i| points[i]);
            let value = if stepped {
                // The value held at `at`, until the line's end.
                let end = points.last().map_or(at, |p| p.0).max(line.end);
                before.map(|held| held.1).filter(|_| at <= end)
            } else {
                match (before, points.get(after)) {
                    (Some(a), Some(b)) if b.0 > a.0 => Some(a.1 + (b.1 - a.1) * (at - a.0) / (b.0 - a.0)),
                    _ => None,
                }
            };
            if let Some(value) = value {
                samples.push(fraction((at, value)));
            }
        }
    }
    // The legend's box: about a quarter of the width, and a line of text per entry.
    let (width, height) = (0.28, (0.06 + 0.05 * entries as f64).min(0.9));
    let corners = [
        (SeriesLabelPosition::UpperRight, 1.0 - width, 1.0 - height),
        (SeriesLabelPosition::UpperLeft, 0.0, 1.0 - height),
        (SeriesLabelPosition::LowerRight, 1.0 - width, 0.0),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
    ];
    let under = |(left, bottom): (f64, f64)| {
        samples
            .iter()
            .filter(|(a, b)| *a >= left && *a <= left + width && *b >= bottom && *b <= bottom + height)
            .count()
    };
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (position, left, bottom) in corners {
        let count = under((left, bottom));
        if count < best.0 {
            best = (count, position);
        }
    }
    best.1
}

/// A step-shaped line: the corners of its path (each value held until the
/// next time, then a vertical jump; the last value held until the line's
/// end), and the vertical spans of the values held for no time (several
/// changes at one time), drawn apart so the path never turns back on itself.
/// Changes less than `resolution` (about a pixel) after the first of a
/// group count as at one time: a pulse narrower than a pixel is a span.
fn steps(line: &Line, resolution: f64) -> (Vec<Point>, Vec<[Point; 2]>) {
    let points: Vec<(f64, f64)> = line.points.iter().copied().filter(|(t, v)| t.is_finite() && v.is_finite()).collect();
    let mut path: Vec<(f64, f64)> = Vec::with_capacity(points.len() * 2 + 1);
    let mut spans = Vec::new();
    let mut at = 0;
    while at < points.len() {
        let t = points[at].0;
        let same = points[at..].iter().take_while(|p| p.0 - t < resolution || p.0 == t).count();
        let values = &points[at..at + same];
        let last = values[same - 1].1;
        let held = path.last().map(|p| p.1);
        match held {
            Some(held) => path.extend([(t, held), (t, last)]),
            None => path.push((t, last)),
        }
        let (lo, hi) = extent(values.iter().map(|p| p.1).chain(held));
        let (from, to) = (held.unwrap_or(last).min(last), held.unwrap_or(last).max(last));
        if lo < from || hi > to {
            spans.push([(t, lo), (t, hi)]);
        }
        at += same;
    }
    if let Some(&(t, v)) = path.last() {
        if line.end.is_finite() && line.end > t {
            path.push((line.end, v));
        }
    }
    (path, spans)
}

/// The axes' ranges of a panel's content.
fn ranges(content: &Content) -> ((f64, f64), (f64, f64)) {
    match content {
        Content::Steps(lines) => {
            let (_, t1) = extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0).chain([l.end])));
            let (v0, v1) = extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
            let x = if t1 > 0.0 { (0.0, t1) } else { padded(0.0, 0.0) };
            (x, padded(v0, v1))
        }
        Content::Points(lines) => {
            let (x0, x1) = extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)));
            let spread = |l: &Line| -> Vec<f64> {
                l.points
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &(_, y))| {
                        let half = l.intervals.get(i).copied().filter(|h| h.is_finite()).unwrap_or(0.0);
                        [y - half, y + half]
                    })
                    .collect()
            };
            let (y0, y1) = extent(lines.iter().flat_map(spread));
            (padded(x0, x1), padded(y0, y1))
        }
        Content::Bars { start, width, counts } => {
            let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
            ((*start, start + width * counts.len() as f64), (0.0, most * 1.05))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_each_value_until_the_next_time_and_the_last_until_the_end() {
        let line = Line { points: vec![(0.0, 0.0), (2.0, 1.0), (2.0, 2.0), (5.0, 0.0)], end: 8.0, ..Line::default() };
        let path = vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (5.0, 2.0), (5.0, 0.0), (8.0, 0.0)];
        assert_eq!(steps(&line, 0.0), (path, vec![]));
        // 1, then 0 and back to 1 at time 3: the path stays at 1, a span marks the dip.
        let line = Line { points: vec![(0.0, 1.0), (3.0, 0.0), (3.0, 1.0)], end: 4.0, ..Line::default() };
        let path = vec![(0.0, 1.0), (3.0, 1.0), (3.0, 1.0), (4.0, 1.0)];
        assert_eq!(steps(&line, 0.0), (path, vec![[(3.0, 0.0), (3.0, 1.0)]]));
        // A pulse narrower than the resolution is a span too.
        let line = Line { points: vec![(0.0, 0.0), (3.0, 1.0), (3.01, 0.0)], end: 4.0, ..Line::default() };
        let path = vec![(0.0, 0.0), (3.0, 0.0), (3.0, 0.0), (4.0, 0.0)];
        assert_eq!(steps(&line, 0.1), (path, vec![[(3.0, 0.0), (3.0, 1.0)]]));
    }

    #[test]
    fn the_embedded_font_is_a_font() {
        assert!(register_font("test-family", FontStyle::Normal, FONT).is_ok());
    }
}
