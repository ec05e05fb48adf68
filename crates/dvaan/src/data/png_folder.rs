//! A folder of PNG images to score: every `*.png` in it (not its subfolders), in file-name
//! order, each of the shape a model was trained on. Palette images are expanded and 16-bit
//! ones reduced to 8 bits, so every image arrives as bytes like the training pixels; an alpha
//! channel is accepted only when every pixel is opaque, since a transparent pixel has no
//! value the model has seen.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use png::{ColorType, Transformations};

use super::error::DataError;

/// The images of a folder, pixels channel-major (`[n, C, H, W]`) as stored (0..=255).
#[derive(Debug, Clone)]
pub struct PngImages {
    pub names: Vec<String>,
    pub pixels: Vec<u8>,
}

/// Reads every PNG of `dir`; each must be `chw` = (channels, height, width), with one
/// channel grayscale and three RGB.
pub fn read_png_folder(dir: &Path, chw: [usize; 3]) -> Result<PngImages, DataError> {
    let io_err = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(DataError::Unfit {
            path: dir.to_path_buf(),
            problem: "the folder holds no .png files".into(),
            fix: "pass a folder of PNG images, an IDX image file or a CSV file to --input".into(),
        });
    }
    let mut images = PngImages {
        names: Vec::with_capacity(paths.len()),
        pixels: Vec::with_capacity(paths.len() * chw.iter().product::<usize>()),
    };
    for path in &paths {
        read_png(path, chw, &mut images.pixels)?;
        images.names.push(
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into(),
        );
    }
    Ok(images)
}

/// Appends the pixels of one PNG, channel-major.
fn read_png(path: &Path, chw: [usize; 3], into: &mut Vec<u8>) -> Result<(), DataError> {
    let [c, h, w] = chw;
    let unfit = |problem: String, fix: &str| DataError::Unfit {
        path: path.to_path_buf(),
        problem,
        fix: fix.into(),
    };
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let not_png = |e: png::DecodingError| {
        unfit(
            format!("not a readable PNG image ({e})"),
            "remove the file from the folder or save it again as PNG",
        )
    };
    let mut decoder = png::Decoder::new(Cursor::new(&bytes));
    decoder.set_transformations(Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(not_png)?;
    let (width, height) = {
        let info = reader.info();
        (info.width as usize, info.height as usize)
    };
    if (height, width) != (h, w) {
        return Err(unfit(
            format!(
                "the image is {width}×{height} pixels, but the model was trained on {w}×{h} \
                 images"
            ),
            &format!("resize the images to {w}×{h} pixels"),
        ));
    }
    let (color, _) = reader.output_color_type();
    let (channels, alpha) = match color {
        ColorType::Grayscale => (1, false),
        ColorType::GrayscaleAlpha => (1, true),
        ColorType::Rgb => (3, false),
        ColorType::Rgba => (3, true),
        // Expanded by the transformation above; kept so a new colour type is reported.
        ColorType::Indexed => (0, false),
    };
    if channels != c {
        let name = |n: usize| if n == 1 { "grayscale" } else { "RGB" };
        return Err(unfit(
            format!(
                "the image is {}, but the model was trained on {} images",
                if channels == 0 {
                    "an unsupported colour type"
                } else {
                    name(channels)
                },
                name(c)
            ),
            &format!("convert the images to {}", name(c)),
        ));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| unfit("the image is too large to decode".into(), "resize it"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(not_png)?;
    buf.truncate(frame.buffer_size());
    let stride = channels + usize::from(alpha);
    if alpha && buf.chunks_exact(stride).any(|p| p[channels] != 255) {
        return Err(unfit(
            "the image has transparent pixels; the model was trained on opaque images".into(),
            "flatten the images onto a background (remove the alpha channel)",
        ));
    }
    // Interleaved (HWC) to channel-major (CHW).
    for ch in 0..c {
        into.extend(buf.chunks_exact(stride).map(|p| p[ch]));
    }
    Ok(())
}
