//! Sample grids as PNG: `rows × cols` images of shape (C, H, W) with values in [0, 1], tiled
//! with a grey border between and around tiles. One channel gives a grayscale PNG, three an
//! RGB one. Single images (`encode_image`) are written the same way without the border.
//!
//! A run's grid is scaled up (nearest neighbour, border included) so a tile is at least
//! `MIN_TILE_HEIGHT` pixels tall, and `write_grid` puts an SVG beside it that shows the PNG
//! with each row's latent distribution named on its left. Single images keep the trained
//! size: `dvaan predict` reads them back as inputs.

use std::path::Path;

use super::atomic::write_atomic;
use super::error::OutputError;
use super::svg::labelled_rows;
use crate::data::pixel_byte;

/// Pixels between tiles and around the grid.
pub const BORDER: usize = 2;
/// Mid grey: visible against both the black background and the white strokes of the datasets.
const BORDER_VALUE: u8 = 128;
/// A 28- or 32-pixel digit is too small to judge on a screen; this is the least height a
/// tile of a written grid gets.
pub const MIN_TILE_HEIGHT: usize = 112;

/// The whole-number factor that makes a tile `h` pixels tall at least `MIN_TILE_HEIGHT`.
pub fn grid_scale(h: usize) -> usize {
    MIN_TILE_HEIGHT.div_ceil(h.max(1))
}

/// Encodes the grid; `images` holds `rows * cols` images of `chw`, row by row. Every pixel
/// (border included) becomes a `scale × scale` block.
pub fn encode_grid(
    images: &[f32],
    chw: [usize; 3],
    rows: usize,
    cols: usize,
    scale: usize,
) -> Result<Vec<u8>, String> {
    let [c, h, w] = chw;
    let color = color_type(c, "shown")?;
    if images.len() != rows * cols * c * h * w || rows * cols == 0 {
        return Err(format!(
            "{} values are not {rows}×{cols} images of shape {chw:?}",
            images.len()
        ));
    }
    if scale == 0 {
        return Err("a grid cannot be scaled by 0".into());
    }
    let width = cols * (w + BORDER) + BORDER;
    let height = rows * (h + BORDER) + BORDER;
    let mut pixels = vec![BORDER_VALUE; width * height * c];
    for (k, image) in images.chunks_exact(c * h * w).enumerate() {
        let (top, left) = (
            BORDER + (k / cols) * (h + BORDER),
            BORDER + (k % cols) * (w + BORDER),
        );
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    let v = image[(ch * h + y) * w + x];
                    pixels[((top + y) * width + left + x) * c + ch] = pixel_byte(v);
                }
            }
        }
    }
    let pixels = upscale(&pixels, width, c, scale);
    encode_png(&pixels, width * scale, height * scale, color)
}

/// Nearest-neighbour enlargement of interleaved rows of `width` pixels of `c` bytes.
fn upscale(pixels: &[u8], width: usize, c: usize, scale: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixels.len() * scale * scale);
    for row in pixels.chunks_exact(width * c) {
        let wide: Vec<u8> = row
            .chunks_exact(c)
            .flat_map(|p| std::iter::repeat_n(p, scale).flatten().copied())
            .collect();
        for _ in 0..scale {
            out.extend_from_slice(&wide);
        }
    }
    out
}

/// The PNG colour type of `c` channels; `verb` says what could not be done to others.
fn color_type(c: usize, verb: &str) -> Result<png::ColorType, String> {
    match c {
        1 => Ok(png::ColorType::Grayscale),
        3 => Ok(png::ColorType::Rgb),
        _ => Err(format!(
            "images with {c} channels cannot be {verb}; expected 1 or 3"
        )),
    }
}

/// One image of `chw` (values in [0, 1]) as a PNG of its own size, no border: the form
/// `dvaan predict` reads back from a folder.
pub fn encode_image(image: &[f32], chw: [usize; 3]) -> Result<Vec<u8>, String> {
    let [c, h, w] = chw;
    let color = color_type(c, "written")?;
    if image.len() != c * h * w {
        return Err(format!(
            "{} values are not one image of shape {chw:?}",
            image.len()
        ));
    }
    // Channel-major (CHW) to interleaved (HWC).
    let pixels: Vec<u8> = (0..h * w)
        .flat_map(|p| (0..c).map(move |ch| pixel_byte(image[ch * h * w + p])))
        .collect();
    encode_png(&pixels, w, h, color)
}

fn encode_png(
    pixels: &[u8],
    width: usize,
    height: usize,
    color: png::ColorType,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The labelled SVG written beside the grid PNG at `path`.
pub fn labelled_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("svg")
}

/// Writes the grid, scaled by [`grid_scale`], to `path` and the same grid with one label
/// per row (`row_labels`, which also gives the number of rows) to [`labelled_path`], both
/// atomically.
pub fn write_grid(
    path: &Path,
    images: &[f32],
    chw: [usize; 3],
    row_labels: &[&str],
    cols: usize,
) -> Result<(), OutputError> {
    let failed = |problem: String| OutputError::Io {
        path: path.to_path_buf(),
        action: "encode the sample grid",
        source: std::io::Error::other(problem),
    };
    let svg_path = labelled_path(path);
    if svg_path == path {
        return Err(failed(
            "the PNG needs a name other than .svg: the labelled grid goes there".into(),
        ));
    }
    let [_, h, w] = chw;
    let scale = grid_scale(h);
    let rows = row_labels.len();
    let png = encode_grid(images, chw, rows, cols, scale).map_err(failed)?;
    let (width, height) = (
        (cols * (w + BORDER) + BORDER) * scale,
        (rows * (h + BORDER) + BORDER) * scale,
    );
    let centres: Vec<(f64, &str)> = row_labels
        .iter()
        .enumerate()
        .map(|(r, &label)| {
            let centre = (BORDER + r * (h + BORDER)) as f64 + h as f64 / 2.0;
            (centre * scale as f64, label)
        })
        .collect();
    write_atomic(path, &png)?;
    write_atomic(
        &svg_path,
        labelled_rows(&png, width, height, &centres).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn grayscale_tiles_land_between_borders() {
        // 2 rows × 3 cols of 2×2 images; image k is filled with k/5.
        let images: Vec<f32> = (0..6).flat_map(|k| [k as f32 / 5.0; 4]).collect();
        let (info, px) = decode(&encode_grid(&images, [1, 2, 2], 2, 3, 1).unwrap());
        let (w, h) = (3 * (2 + BORDER) + BORDER, 2 * (2 + BORDER) + BORDER);
        assert_eq!((info.width as usize, info.height as usize), (w, h));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(px[0], BORDER_VALUE);
        // Image 4 is row 1, col 1; its top-left pixel.
        let (y, x) = (BORDER + (2 + BORDER), BORDER + (2 + BORDER));
        assert_eq!(px[y * w + x], (4.0f32 / 5.0 * 255.0).round() as u8);
        assert_eq!(px[(y - 1) * w + x], BORDER_VALUE);
    }

    #[test]
    fn rgb_planes_interleave_and_values_clamp() {
        // One 1×1 image with channels (R, G, B) = (1.5, 0, NaN) → (255, 0, 0).
        let (info, px) = decode(&encode_grid(&[1.5, 0.0, f32::NAN], [3, 1, 1], 1, 1, 1).unwrap());
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let w = 1 + 2 * BORDER;
        let at = (BORDER * w + BORDER) * 3;
        assert_eq!(&px[at..at + 3], &[255, 0, 0]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(encode_grid(&[0.0; 8], [2, 2, 2], 1, 1, 1)
            .unwrap_err()
            .contains("2 channels"));
        assert!(encode_grid(&[0.0; 3], [1, 2, 2], 1, 1, 1)
            .unwrap_err()
            .contains("not 1×1"));
    }

    #[test]
    fn scaled_grid_repeats_each_pixel_into_a_block() {
        assert_eq!(grid_scale(28), 4);
        assert_eq!(grid_scale(32), 4);
        assert!(28 * grid_scale(28) >= MIN_TILE_HEIGHT);
        // 1 row × 2 cols of 2×2 images with distinct pixels, scaled by 3.
        let images: Vec<f32> = (0..8).map(|k| k as f32 / 7.0).collect();
        let s = 3;
        let (info, px) = decode(&encode_grid(&images, [1, 2, 2], 1, 2, s).unwrap());
        let (w, h) = (2 * (2 + BORDER) + BORDER, 2 + 2 * BORDER);
        assert_eq!((info.width as usize, info.height as usize), (w * s, h * s));
        let unscaled = decode(&encode_grid(&images, [1, 2, 2], 1, 2, 1).unwrap()).1;
        for y in 0..h * s {
            for x in 0..w * s {
                assert_eq!(
                    px[y * w * s + x],
                    unscaled[(y / s) * w + x / s],
                    "({x}, {y})"
                );
            }
        }
        // Image 1's bottom-right pixel (7/7) fills a whole block.
        let (top, left) = (BORDER + 1, BORDER + (2 + BORDER) + 1);
        assert_eq!(px[(top * s + s - 1) * w * s + left * s + s - 1], 255);
    }

    #[test]
    fn written_grid_is_scaled_and_its_svg_labels_every_row() {
        let dir = std::env::temp_dir().join(format!("dvaan-grid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("samples.png");
        let labels = ["N(+μ1, I)", "N(0, I)", "a < b & c"];
        let images = vec![0.25; 3 * 2 * 28 * 28];
        write_grid(&path, &images, [1, 28, 28], &labels, 2).unwrap();
        let png = std::fs::read(&path).unwrap();
        let (info, _) = decode(&png);
        let s = grid_scale(28);
        assert_eq!(
            (info.width as usize, info.height as usize),
            ((2 * 30 + BORDER) * s, (3 * 30 + BORDER) * s)
        );
        let svg = std::fs::read_to_string(labelled_path(&path)).unwrap();
        for label in ["N(+μ1, I)", "N(0, I)", "a &lt; b &amp; c"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}: {svg}");
        }
        let embedded = crate::io::svg::embedded_png(&svg).expect("a PNG data URI");
        assert_eq!(embedded, png);
        assert!(write_grid(&dir.join("g.svg"), &images, [1, 28, 28], &labels, 2).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
