//! Small hand-written SVG charts: one `Chart` is a framed plot area with axes, ticks, labels,
//! a legend, and any number of series drawn as lines, markers (scatter) or both, optionally
//! with vertical error bars. `figure` places several charts side by side in one file,
//! `figure_rows` in rows. Each series is one `<g class="series" data-name="…">` group, so
//! a reader (or a test) finds it by name.
//!
//! Coordinates: data values map linearly (or logarithmically with `log_x`) onto the plot
//! area; SVG's y axis points down, so `py` flips it.

use std::fmt::Write;

/// Colour-blind-safe palette (Okabe–Ito), cycled by series index.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Line,
    Markers,
    LineMarkers,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: String,
    pub style: Style,
    pub points: Vec<(f64, f64)>,
    /// Half-height of an error bar per point (same length as `points`), or empty.
    pub errors: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, index: usize, style: Style) -> Series {
        Series {
            name: name.into(),
            color: PALETTE[index % PALETTE.len()].into(),
            style,
            points: Vec::new(),
            errors: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Fixed ticks `(value, label)` on x instead of computed ones (e.g. imbalance ratios).
    pub x_ticks: Option<Vec<(f64, String)>>,
    pub log_x: bool,
    /// Fixed y range instead of one fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// Shown in the middle of an empty chart.
    pub empty_note: String,
    /// Pixels between the series at one x (so error bars of equal x stay apart); 0 = none.
    pub dodge: f64,
    /// Only whole-number ticks on x (iteration counts).
    pub x_integer: bool,
}

pub const WIDTH: f64 = 480.0;
pub const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 52.0;

impl Chart {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Chart {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            x_ticks: None,
            log_x: false,
            y_range: None,
            empty_note: "no data".into(),
            dodge: 0.0,
            x_integer: false,
        }
    }

    /// A standalone SVG document holding this chart.
    pub fn to_svg(&self) -> String {
        figure(std::slice::from_ref(self))
    }

    fn fx(&self, x: f64) -> f64 {
        if self.log_x {
            x.max(f64::MIN_POSITIVE).ln()
        } else {
            x
        }
    }

    /// The chart's elements, with (0, 0) at its top-left corner.
    fn body(&self, out: &mut String) {
        let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        let _ = write!(
            out,
            r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"##,
            WIDTH / 2.0,
            esc(&self.title)
        );
        let pts: Vec<(f64, f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .enumerate()
                    .map(move |(i, &(x, y))| (x, y, s.errors.get(i).copied().unwrap_or(0.0)))
            })
            .filter(|(x, y, e)| x.is_finite() && y.is_finite() && e.is_finite())
            .collect();
        let frame = format!(
            r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
        );
        if pts.is_empty() {
            out.push_str(&frame);
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="#666">{}</text>"##,
                LEFT + pw / 2.0,
                TOP + ph / 2.0,
                esc(&self.empty_note)
            );
            return;
        }
        let xs = pts.iter().map(|p| self.fx(p.0));
        let (x0, x1) = widen(min_max(xs));
        let (y0, y1) = self
            .y_range
            .unwrap_or_else(|| widen(min_max(pts.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]))));
        let px = |x: f64| LEFT + (self.fx(x) - x0) / (x1 - x0) * pw;
        let py = |y: f64| TOP + ph - (y - y0) / (y1 - y0) * ph;
        out.push_str(r##"<g font-size="11" fill="#222">"##);
        for (v, label) in self.y_ticks(y0, y1) {
            let y = py(v);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
                LEFT + pw,
                LEFT - 6.0,
                y + 4.0
            );
        }
        for (v, label) in self.x_tick_list(x0, x1) {
            let x = px(v);
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{}" y2="{}" stroke="#444"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
                TOP + ph,
                TOP + ph + 5.0,
                TOP + ph + 18.0,
                esc(&label)
            );
        }
        out.push_str("</g>");
        out.push_str(&frame);
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text><text transform="translate(16 {}) rotate(-90)" text-anchor="middle" font-size="12">{}</text>"##,
            LEFT + pw / 2.0,
            HEIGHT - 12.0,
            esc(&self.x_label),
            TOP + ph / 2.0,
            esc(&self.y_label)
        );
        let centre = (self.series.len() as f64 - 1.0) / 2.0;
        for (i, s) in self.series.iter().enumerate() {
            let shift = (i as f64 - centre) * self.dodge;
            draw_series(out, s, &|x| px(x) + shift, &py);
        }
        // The legend goes into the corner of the plot area that hides the fewest points.
        let mut drawn: Vec<(f64, f64)> = pts.iter().map(|p| (px(p.0), py(p.1))).collect();
        for s in self.series.iter().filter(|s| s.style != Style::Markers) {
            for seg in s.points.windows(2) {
                let (a, b) = ((px(seg[0].0), py(seg[0].1)), (px(seg[1].0), py(seg[1].1)));
                drawn.extend((1..8).map(|k| {
                    let t = k as f64 / 8.0;
                    (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
                }));
            }
        }
        let (w, h) = self.legend_size();
        let corners = [
            (LEFT + pw - 8.0 - w, TOP + 8.0),
            (LEFT + 8.0, TOP + 8.0),
            (LEFT + pw - 8.0 - w, TOP + ph - 8.0 - h),
            (LEFT + 8.0, TOP + ph - 8.0 - h),
        ];
        let hidden = |&(x, y): &(f64, f64)| {
            drawn
                .iter()
                .filter(|p| p.0 >= x && p.0 <= x + w && p.1 >= y && p.1 <= y + h)
                .count()
        };
        let best = corners.iter().min_by_key(|c| hidden(c)).copied();
        if let Some((x, y)) = best {
            self.legend(out, x, y);
        }
    }

    fn named(&self) -> Vec<&Series> {
        self.series.iter().filter(|s| !s.name.is_empty()).collect()
    }

    fn legend_size(&self) -> (f64, f64) {
        let named = self.named();
        let longest = named
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        (34.0 + 6.5 * longest as f64, 8.0 + 16.0 * named.len() as f64)
    }

    fn y_ticks(&self, lo: f64, hi: f64) -> Vec<(f64, String)> {
        nice_ticks(lo, hi, 6)
    }

    fn x_tick_list(&self, lo: f64, hi: f64) -> Vec<(f64, String)> {
        match &self.x_ticks {
            Some(t) => t.clone(),
            None if self.log_x => Vec::new(),
            None if self.x_integer => nice_ticks(lo, hi, 6)
                .into_iter()
                .filter(|(v, _)| v.fract() == 0.0)
                .map(|(v, _)| (v, format!("{v:.0}")))
                .collect(),
            None => nice_ticks(lo, hi, 6),
        }
    }

    /// A boxed legend whose top-left corner is at (`x`, `top`).
    fn legend(&self, out: &mut String, x: f64, top: f64) {
        let named = self.named();
        if named.is_empty() {
            return;
        }
        let (w, h) = self.legend_size();
        let _ = write!(
            out,
            r##"<g class="legend" font-size="11"><rect x="{x:.1}" y="{top}" width="{w:.1}" height="{h}" fill="white" fill-opacity="0.85" stroke="#999"/>"##
        );
        for (i, s) in named.iter().enumerate() {
            let y = top + 12.0 + 16.0 * i as f64;
            if s.style == Style::Markers {
                let _ = write!(
                    out,
                    r##"<circle cx="{:.1}" cy="{y:.1}" r="3.5" fill="{}"/>"##,
                    x + 14.0,
                    s.color
                );
            } else {
                let _ = write!(
                    out,
                    r##"<line x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{}" stroke-width="2"/>"##,
                    x + 6.0,
                    x + 22.0,
                    s.color
                );
            }
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}">{}</text>"##,
                x + 28.0,
                y + 4.0,
                esc(&s.name)
            );
        }
        out.push_str("</g>");
    }
}

fn draw_series(out: &mut String, s: &Series, px: &dyn Fn(f64) -> f64, py: &dyn Fn(f64) -> f64) {
    let _ = write!(out, r##"<g class="series" data-name="{}">"##, esc(&s.name));
    let pts: Vec<(usize, f64, f64)> = s
        .points
        .iter()
        .enumerate()
        .filter(|(_, (x, y))| x.is_finite() && y.is_finite())
        .map(|(i, &(x, y))| (i, px(x), py(y)))
        .collect();
    if s.style != Style::Markers && pts.len() > 1 {
        let d: Vec<String> = pts
            .iter()
            .map(|(_, x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>"##,
            d.join(" "),
            s.color
        );
    }
    for &(i, x, y) in &pts {
        let e = s.errors.get(i).copied().unwrap_or(0.0);
        if e > 0.0 && e.is_finite() {
            let (y_hi, y_lo) = (py(s.points[i].1 + e), py(s.points[i].1 - e));
            let _ = write!(
                out,
                r##"<path class="error-bar" d="M{x:.1},{y_lo:.1}V{y_hi:.1}M{:.1},{y_lo:.1}h8M{:.1},{y_hi:.1}h8" stroke="{}" fill="none"/>"##,
                x - 4.0,
                x - 4.0,
                s.color
            );
        }
        if s.style != Style::Line {
            let _ = write!(
                out,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{}" fill-opacity="0.8"/>"##,
                s.color
            );
        }
    }
    out.push_str("</g>");
}

/// Charts side by side in one SVG document.
pub fn figure(charts: &[Chart]) -> String {
    figure_rows(charts, charts.len())
}

/// Charts in rows of `per_row` (the last row may be shorter), in one SVG document.
pub fn figure_rows(charts: &[Chart], per_row: usize) -> String {
    let per_row = per_row.clamp(1, charts.len().max(1));
    let rows = charts.len().div_ceil(per_row).max(1);
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"##,
        w = WIDTH * per_row as f64,
        h = HEIGHT * rows as f64
    );
    for (i, c) in charts.iter().enumerate() {
        let _ = write!(
            out,
            r##"<g class="chart" transform="translate({} {})">"##,
            WIDTH * (i % per_row) as f64,
            HEIGHT * (i / per_row) as f64
        );
        c.body(&mut out);
        out.push_str("</g>");
    }
    out.push_str("</svg>\n");
    out
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// Pads a range by 5% on each side, and gives a zero-width range some width.
fn widen((lo, hi): (f64, f64)) -> (f64, f64) {
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// About `target` ticks at 1, 2 or 5 times a power of ten, inside [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
    let raw = (hi - lo) / target.max(1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return Vec::new();
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            (v, format!("{v:.decimals$}"))
        })
        .collect()
}

/// Escapes text for SVG element content and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Pixels left of an image for its row labels.
const LABEL_WIDTH: f64 = 180.0;

/// An SVG document showing a PNG of `width × height` pixels at its size, embedded as a data
/// URI, with each `(y, text)` of `rows` written to its left, vertically centred on `y`.
pub fn labelled_rows(png: &[u8], width: usize, height: usize, rows: &[(f64, &str)]) -> String {
    let total = LABEL_WIDTH + width as f64;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" viewBox="0 0 {total} {height}"><rect width="{total}" height="{height}" fill="white"/>"#
    );
    for &(y, text) in rows {
        let _ = write!(
            out,
            r#"<text x="{}" y="{y}" text-anchor="end" dominant-baseline="middle" font-family="sans-serif" font-size="16">{}</text>"#,
            LABEL_WIDTH - 10.0,
            esc(text)
        );
    }
    let _ = write!(
        out,
        r#"<image x="{LABEL_WIDTH}" y="0" width="{width}" height="{height}" style="image-rendering:pixelated" href="data:image/png;base64,{}"/></svg>"#,
        base64(png)
    );
    out.push('\n');
    out
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648, padded), for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64_ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of the first base64 PNG data URI in `svg` (for tests that read a figure back).
#[cfg(test)]
pub fn embedded_png(svg: &str) -> Option<Vec<u8>> {
    let start = svg.find("data:image/png;base64,")? + "data:image/png;base64,".len();
    let text = &svg[start..start + svg[start..].find('"')?];
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        acc = acc << 6 | BASE64_ALPHABET.iter().position(|&a| a == c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod image_tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors_and_round_trips() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        let bytes: Vec<u8> = (0..=255).collect();
        let svg = format!(r#"href="data:image/png;base64,{}""#, base64(&bytes));
        assert_eq!(embedded_png(&svg).unwrap(), bytes);
    }
}
