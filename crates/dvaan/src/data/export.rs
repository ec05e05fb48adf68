//! Writing a task's samples back in their dataset's own format, with the file names and
//! layout the readers expect, so that the written folder is a data directory to train on:
//! IDX for MNIST and Fashion-MNIST, CIFAR-10 binary, and CSV with the label last.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::cifar::{self, PIXELS};
use super::error::DataError;
use super::idx::{write_idx_images, write_idx_labels};
use super::kind::{DatasetKind, SplitName};
use super::source::write_atomic;
use super::task::pixel_byte;

/// The dataset to name for a copy under another data folder: the same, except that a CSV
/// folder given as a path is named by its last component (under the new root).
pub fn exported_kind(kind: &DatasetKind) -> DatasetKind {
    match kind {
        DatasetKind::Csv(dir) if dir != "tis" => {
            let name = Path::new(dir)
                .file_name()
                .map_or_else(|| "data".into(), |n| n.to_string_lossy().into_owned());
            DatasetKind::Csv(name)
        }
        other => other.clone(),
    }
}

/// The folder under `root` where the readers of `kind` look first.
pub fn export_dir(kind: &DatasetKind, root: &Path) -> PathBuf {
    kind.dirs(root).remove(0)
}

/// One split to write: `x` holds samples of `shape` in the training scale (pixels in
/// [0, 1]; features in the file's own units), `classes` the stored class of each.
pub struct SplitData<'a> {
    pub x: &'a [f32],
    pub classes: &'a [u32],
    pub shape: &'a [usize],
    /// CSV only: the label column's header name.
    pub label_name: &'a str,
}

/// Writes `split` of `kind` into `dir`; returns the files written.
pub fn write_split(
    kind: &DatasetKind,
    dir: &Path,
    split: SplitName,
    data: &SplitData,
) -> Result<Vec<PathBuf>, DataError> {
    let d: usize = data.shape.iter().product();
    if data.x.len() != data.classes.len() * d {
        return Err(DataError::Inconsistent(format!(
            "{} values are not {} samples of shape {:?}",
            data.x.len(),
            data.classes.len(),
            data.shape
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    match kind {
        DatasetKind::Mnist | DatasetKind::FashionMnist => write_idx(dir, split, data),
        DatasetKind::Cifar10 => write_cifar(dir, split, data),
        DatasetKind::Csv(_) => write_csv(dir, split, data),
    }
}

fn byte_class(class: u32) -> u8 {
    u8::try_from(class).unwrap_or(u8::MAX)
}

fn write_idx(dir: &Path, split: SplitName, data: &SplitData) -> Result<Vec<PathBuf>, DataError> {
    let &[1, rows, cols] = data.shape else {
        return Err(DataError::Inconsistent(format!(
            "IDX holds grayscale images; samples of shape {:?} cannot be written as IDX",
            data.shape
        )));
    };
    let prefix = match split {
        SplitName::Train => "train",
        SplitName::Test => "t10k",
    };
    let images = dir.join(format!("{prefix}-images-idx3-ubyte"));
    let labels = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    let pixels: Vec<u8> = data.x.iter().map(|&v| pixel_byte(v)).collect();
    write_idx_images(&images, rows, cols, &pixels)?;
    let classes: Vec<u8> = data.classes.iter().map(|&c| byte_class(c)).collect();
    write_idx_labels(&labels, &classes)?;
    Ok(vec![images, labels])
}

/// The training records are spread over the five batch files the reader expects, in order.
fn write_cifar(dir: &Path, split: SplitName, data: &SplitData) -> Result<Vec<PathBuf>, DataError> {
    if data.shape != [3, 32, 32] {
        return Err(DataError::Inconsistent(format!(
            "CIFAR-10 records hold 3×32×32 images, not samples of shape {:?}",
            data.shape
        )));
    }
    let names: &[&str] = match split {
        SplitName::Train => &cifar::TRAIN_FILES,
        SplitName::Test => &cifar::TEST_FILES,
    };
    let n = data.classes.len();
    if n < names.len() {
        return Err(DataError::Inconsistent(format!(
            "{n} samples cannot fill the {} CIFAR-10 files of the {} split (each needs at \
             least one record)",
            names.len(),
            split.as_str()
        )));
    }
    let mut written = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let (from, to) = (k * n / names.len(), (k + 1) * n / names.len());
        let mut bytes = Vec::with_capacity((to - from) * cifar::RECORD);
        for i in from..to {
            bytes.push(byte_class(data.classes[i]));
            bytes.extend(
                data.x[i * PIXELS..(i + 1) * PIXELS]
                    .iter()
                    .map(|&v| pixel_byte(v)),
            );
        }
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// A header row (`x1 … xD` and the label name) and one row per sample; values are written
/// in their shortest exact form, so reading them back gives the same f32.
fn write_csv(dir: &Path, split: SplitName, data: &SplitData) -> Result<Vec<PathBuf>, DataError> {
    let d: usize = data.shape.iter().product();
    let mut text = String::new();
    for j in 1..=d {
        let _ = write!(text, "x{j},");
    }
    let _ = writeln!(text, "{}", data.label_name);
    for (row, class) in data.x.chunks_exact(d).zip(data.classes) {
        for v in row {
            let _ = write!(text, "{v},");
        }
        let _ = writeln!(text, "{class}");
    }
    let path = dir.join(format!("{}.csv", split.as_str()));
    write_atomic(&path, text.as_bytes())?;
    Ok(vec![path])
}
