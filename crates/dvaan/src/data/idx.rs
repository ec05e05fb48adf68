//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one u32
//! per dimension) followed by the u8 elements in row-major order. Images have magic 0x00000803
//! and dimensions (n, rows, cols); labels have magic 0x00000801 and dimension (n).

use std::path::{Path, PathBuf};

use super::error::DataError;
use super::source::{be_u32, read_file, write_atomic, FileBytes};

pub const IMAGES_MAGIC: u32 = 0x0000_0803;
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// A stack of grey-scale images, pixels as stored (0..=255).
#[derive(Debug, Clone)]
pub struct IdxImages {
    pub path: PathBuf,
    pub n: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// One class number per image.
#[derive(Debug, Clone)]
pub struct IdxLabels {
    pub path: PathBuf,
    pub labels: Vec<u8>,
}

fn check_magic(file: &FileBytes, expected: u32) -> Result<(), DataError> {
    let Some(found) = be_u32(&file.bytes, 0) else {
        return Err(truncated(file, 0, "the 4-byte IDX magic number".into()));
    };
    if found == expected {
        return Ok(());
    }
    let hint = match found {
        IMAGES_MAGIC => "This is an image file (idx3); a label file (idx1) was expected here.",
        LABELS_MAGIC => "This is a label file (idx1); an image file (idx3) was expected here.",
        _ if found >> 16 != 0 => "This is not an IDX file (IDX starts with two zero bytes).",
        _ => "Only unsigned-byte IDX files (type 0x08) of the expected rank are supported.",
    };
    Err(DataError::BadMagic {
        path: file.path.clone(),
        found,
        expected,
        hint: format!("{hint}\nfix: check the file name, or fetch the data again"),
    })
}

fn truncated(file: &FileBytes, offset: usize, expected: String) -> DataError {
    DataError::Truncated {
        path: file.path.clone(),
        offset: offset as u64,
        expected,
        compressed: file.compressed,
    }
}

/// Reads the header dimensions after the magic number.
fn dims(file: &FileBytes, rank: usize) -> Result<Vec<usize>, DataError> {
    (0..rank)
        .map(|d| {
            let offset = 4 + 4 * d;
            be_u32(&file.bytes, offset)
                .map(|v| v as usize)
                .ok_or_else(|| {
                    truncated(
                        file,
                        offset,
                        format!("the {}-byte IDX header", 4 + 4 * rank),
                    )
                })
        })
        .collect()
}

/// The payload after a header of `header` bytes, which must hold exactly `len` bytes.
fn payload(file: &FileBytes, header: usize, len: usize, what: &str) -> Result<Vec<u8>, DataError> {
    let have = file.bytes.len() - header;
    if have < len {
        return Err(truncated(
            file,
            file.bytes.len(),
            format!("{what}: {len} bytes, found {have}"),
        ));
    }
    if have > len {
        return Err(DataError::TrailingBytes {
            path: file.path.clone(),
            offset: (header + len) as u64,
            extra: (have - len) as u64,
            compressed: file.compressed,
        });
    }
    Ok(file.bytes[header..].to_vec())
}

pub fn read_idx_images(path: &Path) -> Result<IdxImages, DataError> {
    let file = read_file(path)?;
    check_magic(&file, IMAGES_MAGIC)?;
    let d = dims(&file, 3)?;
    let (n, rows, cols) = (d[0], d[1], d[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::BadHeader {
            path: file.path.clone(),
            offset: 8,
            message: format!("images of {rows}x{cols} pixels; both sides must be at least 1"),
        });
    }
    let Some(len) = n.checked_mul(rows).and_then(|v| v.checked_mul(cols)) else {
        return Err(DataError::BadHeader {
            path: file.path.clone(),
            offset: 4,
            message: format!("{n} images of {rows}x{cols} pixels do not fit in memory"),
        });
    };
    let what = format!("{n} images of {rows}x{cols} pixels");
    let pixels = payload(&file, 16, len, &what)?;
    Ok(IdxImages {
        path: file.path,
        n,
        rows,
        cols,
        pixels,
    })
}

/// Reads labels and checks that each is a class below `n_classes`.
pub fn read_idx_labels(path: &Path, n_classes: u32) -> Result<IdxLabels, DataError> {
    let file = read_file(path)?;
    check_magic(&file, LABELS_MAGIC)?;
    let n = dims(&file, 1)?[0];
    let labels = payload(&file, 8, n, &format!("{n} labels"))?;
    if let Some(first) = labels.iter().position(|&l| l as u32 >= n_classes) {
        let mut bad: Vec<u8> = labels
            .iter()
            .copied()
            .filter(|&l| l as u32 >= n_classes)
            .collect();
        bad.sort_unstable();
        bad.dedup();
        return Err(DataError::UnknownLabels {
            path: file.path,
            at: format!("byte {} (sample {first})", 8 + first),
            values: bad.iter().map(|v| v.to_string()).collect(),
            expected: format!(
                "classes 0..={}; the file is damaged or not a label file",
                n_classes - 1
            ),
        });
    }
    Ok(IdxLabels {
        path: file.path,
        labels,
    })
}

/// Writes an uncompressed IDX image file; `pixels` holds `n * rows * cols` bytes.
pub fn write_idx_images(
    path: &Path,
    rows: usize,
    cols: usize,
    pixels: &[u8],
) -> Result<(), DataError> {
    let n = pixels.len() / (rows * cols);
    let mut bytes = Vec::with_capacity(16 + pixels.len());
    for v in [IMAGES_MAGIC, n as u32, rows as u32, cols as u32] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes.extend_from_slice(pixels);
    write_atomic(path, &bytes)
}

/// Writes an uncompressed IDX label file.
pub fn write_idx_labels(path: &Path, labels: &[u8]) -> Result<(), DataError> {
    let mut bytes = Vec::with_capacity(8 + labels.len());
    bytes.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    bytes.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    bytes.extend_from_slice(labels);
    write_atomic(path, &bytes)
}
