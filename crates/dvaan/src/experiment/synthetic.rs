//! The smoke preset's data: a tiny MNIST-format task written as IDX files into
//! `OUT/data/mnist/`, so the whole pipeline runs without downloads. Digit 5 (positive) draws a
//! vertical stroke, digit 6 (negative) a horizontal one, at a seeded random place over noise.

use std::path::{Path, PathBuf};

use crate::data::{write_idx_images, write_idx_labels};
use crate::Result;

/// Training samples per class and test samples per class.
pub const TRAIN: (usize, usize) = (8, 16);
pub const TEST: (usize, usize) = (6, 6);

/// Writes the files unless they exist; returns the data folder for `--data-dir`.
pub fn write_smoke_data(root: &Path) -> Result<PathBuf> {
    let dir = root.join("mnist");
    std::fs::create_dir_all(&dir).map_err(crate::io::io_error(&dir, "create"))?;
    split(&dir, "train", TRAIN, 1)?;
    split(&dir, "t10k", TEST, 2)?;
    Ok(root.to_path_buf())
}

fn split(dir: &Path, prefix: &str, (pos, neg): (usize, usize), seed: u32) -> Result<()> {
    let images = dir.join(format!("{prefix}-images-idx3-ubyte"));
    let labels_path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    if images.is_file() && labels_path.is_file() {
        return Ok(());
    }
    // Spread evenly (exactly `pos` positives), so any prefix of the file holds both classes.
    let n = pos + neg;
    let labels: Vec<u8> = (0..n)
        .map(|i| {
            if i * pos / n != (i + 1) * pos / n {
                5
            } else {
                6
            }
        })
        .collect();
    let mut rng = XorShift(seed.wrapping_mul(2_654_435_761) | 1);
    let pixels: Vec<u8> = labels
        .iter()
        .flat_map(|&l| image(l == 5, &mut rng))
        .collect();
    write_idx_images(&images, 28, 28, &pixels)?;
    write_idx_labels(&labels_path, &labels)?;
    Ok(())
}

fn image(vertical: bool, rng: &mut XorShift) -> Vec<u8> {
    let mut px: Vec<u8> = (0..28 * 28).map(|_| (rng.next() % 50) as u8).collect();
    let across = 6 + (rng.next() % 14) as usize;
    let start = 4 + (rng.next() % 6) as usize;
    for t in start..start + 16 {
        for w in across..across + 3 {
            let (row, col) = if vertical { (t, w) } else { (w, t) };
            px[row * 28 + col] = 200 + (rng.next() % 56) as u8;
        }
    }
    px
}

struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}
