//! Sample grids as PNG: `rows × cols` images of shape (C, H, W) with values in [0, 1], tiled
//! with a grey border between and around tiles. One channel gives a grayscale PNG, three an
//! RGB one. Single images (`encode_image`) are written the same way without the border.

use std::path::Path;

use super::atomic::write_atomic;
use super::error::OutputError;
use crate::data::pixel_byte;

/// Pixels between tiles and around the grid.
pub const BORDER: usize = 2;
/// Mid grey: visible against both the black background and the white strokes of the datasets.
const BORDER_VALUE: u8 = 128;

/// Encodes the grid; `images` holds `rows * cols` images of `chw`, row by row.
pub fn encode_grid(
    images: &[f32],
    chw: [usize; 3],
    rows: usize,
    cols: usize,
) -> Result<Vec<u8>, String> {
    let [c, h, w] = chw;
    let color = match c {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => {
            return Err(format!(
                "images with {c} channels cannot be shown; expected 1 or 3"
            ))
        }
    };
    if images.len() != rows * cols * c * h * w || rows * cols == 0 {
        return Err(format!(
            "{} values are not {rows}×{cols} images of shape {chw:?}",
            images.len()
        ));
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
    encode_png(&pixels, width, height, color)
}

/// One image of `chw` (values in [0, 1]) as a PNG of its own size, no border: the form
/// `dvaan predict` reads back from a folder.
pub fn encode_image(image: &[f32], chw: [usize; 3]) -> Result<Vec<u8>, String> {
    let [c, h, w] = chw;
    let color = match c {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => {
            return Err(format!(
                "images with {c} channels cannot be written; expected 1 or 3"
            ))
        }
    };
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

/// Writes the grid to `path` atomically.
pub fn write_grid(
    path: &Path,
    images: &[f32],
    chw: [usize; 3],
    rows: usize,
    cols: usize,
) -> Result<(), OutputError> {
    let bytes = encode_grid(images, chw, rows, cols).map_err(|problem| OutputError::Io {
        path: path.to_path_buf(),
        action: "encode the sample grid",
        source: std::io::Error::other(problem),
    })?;
    write_atomic(path, &bytes)
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
        let (info, px) = decode(&encode_grid(&images, [1, 2, 2], 2, 3).unwrap());
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
        let (info, px) = decode(&encode_grid(&[1.5, 0.0, f32::NAN], [3, 1, 1], 1, 1).unwrap());
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let w = 1 + 2 * BORDER;
        let at = (BORDER * w + BORDER) * 3;
        assert_eq!(&px[at..at + 3], &[255, 0, 0]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(encode_grid(&[0.0; 8], [2, 2, 2], 1, 1)
            .unwrap_err()
            .contains("2 channels"));
        assert!(encode_grid(&[0.0; 3], [1, 2, 2], 1, 1)
            .unwrap_err()
            .contains("not 1×1"));
    }
}
