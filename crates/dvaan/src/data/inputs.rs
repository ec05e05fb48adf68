//! New data to score with a trained model: an IDX image file, a CSV file or a folder of PNG
//! images, read by the same readers as the training data and checked against the shape the
//! model was trained on. Pixels are scaled as in training; features are returned in their
//! file's units (the caller applies the run's standardisation).

use std::path::{Path, PathBuf};

use super::csv::{read_csv, CsvOptions, LabelColumn};
use super::error::DataError;
use super::idx::{read_idx_images, read_idx_labels, IMAGES_MAGIC, LABELS_MAGIC};
use super::png_folder::read_png_folder;
use super::source::{be_u32, read_file};
use super::task::pixel_value;

/// Samples read for scoring.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `[n, …]` row-major, pixels in [0, 1], features as in the file.
    pub x: Vec<f32>,
    pub n: usize,
    /// The stored class of each sample, when the input carries labels.
    pub classes: Option<Vec<u32>>,
    /// Where the classes came from (for messages).
    pub class_file: Option<PathBuf>,
    /// The file name of each sample, for a folder of images.
    pub names: Option<Vec<String>>,
    /// The CSV line of each sample.
    pub lines: Option<Vec<usize>>,
    /// What was read: `IDX images`, `CSV`, `PNG folder`.
    pub format: &'static str,
}

/// How to read the input for a model trained on samples of `shape`.
pub struct InputSpec<'a> {
    pub shape: &'a [usize],
    /// An IDX label file for image inputs.
    pub labels: Option<&'a Path>,
    /// The run's label column for CSV inputs; used when the file has one.
    pub label_column: &'a LabelColumn,
}

pub fn read_inputs(path: &Path, spec: &InputSpec) -> Result<Inputs, DataError> {
    let unfit = |problem: String, fix: &str| DataError::Unfit {
        path: path.to_path_buf(),
        problem,
        fix: fix.into(),
    };
    if !path.exists() {
        return Err(unfit(
            "no such file or folder".into(),
            "pass an IDX image file, a CSV file or a folder of PNG images to --input",
        ));
    }
    let inputs = match spec.shape {
        &[c, h, w] if path.is_dir() => read_pngs(path, [c, h, w], spec)?,
        &[_, _, _] => {
            let file = read_file(path)?;
            match be_u32(&file.bytes, 0) {
                Some(IMAGES_MAGIC) => read_idx(path, spec)?,
                Some(LABELS_MAGIC) => {
                    return Err(unfit(
                        "this is an IDX label file (idx1), not images".into(),
                        "pass the image file (idx3) to --input and this one to --labels",
                    ))
                }
                _ => {
                    return Err(unfit(
                        format!(
                            "not an IDX image file, but the model was trained on images of \
                             shape {:?}",
                            spec.shape
                        ),
                        "pass an IDX image file (raw or .gz) or a folder of PNG images",
                    ))
                }
            }
        }
        &[d] if path.is_dir() => {
            return Err(unfit(
                format!("a folder, but the model was trained on table rows of {d} features"),
                "pass a CSV file of those features",
            ))
        }
        &[d] => read_table(path, d, spec)?,
        other => {
            return Err(unfit(
                format!("the model's sample shape {other:?} is neither an image nor a table row"),
                "the checkpoint is damaged; train the run again",
            ))
        }
    };
    if spec.labels.is_some() && inputs.format == "CSV" {
        return Err(unfit(
            "--labels reads IDX label files for image inputs; a CSV file carries its labels in \
             its label column"
                .into(),
            "leave --labels out",
        ));
    }
    Ok(inputs)
}

fn read_idx(path: &Path, spec: &InputSpec) -> Result<Inputs, DataError> {
    let images = read_idx_images(path)?;
    let (c, h, w) = (spec.shape[0], spec.shape[1], spec.shape[2]);
    if c != 1 {
        return Err(DataError::Unfit {
            path: path.to_path_buf(),
            problem: format!(
                "IDX files hold grayscale images, but the model was trained on {c}-channel \
                 images"
            ),
            fix: "pass a folder of RGB PNG images".into(),
        });
    }
    if (images.rows, images.cols) != (h, w) {
        return Err(DataError::Unfit {
            path: path.to_path_buf(),
            problem: format!(
                "the images are {}×{} pixels, but the model was trained on {w}×{h} images",
                images.cols, images.rows
            ),
            fix: format!("pass images of {w}×{h} pixels (the dataset the run was trained on)"),
        });
    }
    let classes = read_labels(spec.labels, images.n)?;
    Ok(Inputs {
        x: images.pixels.iter().map(|&b| pixel_value(b)).collect(),
        n: images.n,
        classes,
        class_file: spec.labels.map(Path::to_path_buf),
        names: None,
        lines: None,
        format: "IDX images",
    })
}

fn read_pngs(dir: &Path, chw: [usize; 3], spec: &InputSpec) -> Result<Inputs, DataError> {
    let images = read_png_folder(dir, chw)?;
    let n = images.names.len();
    Ok(Inputs {
        x: images.pixels.iter().map(|&b| pixel_value(b)).collect(),
        n,
        classes: read_labels(spec.labels, n)?,
        class_file: spec.labels.map(Path::to_path_buf),
        names: Some(images.names),
        lines: None,
        format: "PNG folder",
    })
}

/// The IDX label file's classes, one per sample (PNG images in file-name order).
fn read_labels(labels: Option<&Path>, n: usize) -> Result<Option<Vec<u32>>, DataError> {
    let Some(path) = labels else {
        return Ok(None);
    };
    let labels = read_idx_labels(path, 256)?;
    if labels.labels.len() != n {
        return Err(DataError::Unfit {
            path: path.to_path_buf(),
            problem: format!(
                "{} labels for {n} samples; there must be one label per sample",
                labels.labels.len()
            ),
            fix: "pass the label file that belongs to the input (for a PNG folder, one label \
                  per image in file-name order)"
                .into(),
        });
    }
    Ok(Some(labels.labels.iter().map(|&l| l as u32).collect()))
}

/// A CSV of `d` features, with the run's label column when the file has one: a file whose
/// rows have `d` fields is unlabelled, `d + 1` labelled.
fn read_table(path: &Path, d: usize, spec: &InputSpec) -> Result<Inputs, DataError> {
    let plain = read_csv(
        path,
        &CsvOptions {
            label: LabelColumn::Absent,
            header: None,
        },
    )?;
    let has_named_label = match (spec.label_column, &plain.names) {
        (LabelColumn::Name(name), Some(names)) => names.contains(name),
        _ => false,
    };
    let table = if plain.n_features == d && !has_named_label {
        plain
    } else if plain.n_features == d + 1 {
        read_csv(
            path,
            &CsvOptions {
                label: spec.label_column.clone(),
                header: None,
            },
        )?
    } else {
        let label = match spec.label_column {
            LabelColumn::Name(name) => format!("the label column {name:?}"),
            _ => "the label column (last)".into(),
        };
        return Err(DataError::Unfit {
            path: path.to_path_buf(),
            problem: format!(
                "the rows have {} columns, but the model was trained on {d} features",
                plain.n_features
            ),
            fix: format!(
                "pass rows of the {d} training features in training order, optionally with \
                 {label}"
            ),
        });
    };
    let labelled = !table.classes.is_empty();
    Ok(Inputs {
        n: table.lines.len(),
        x: table.features,
        classes: labelled.then_some(table.classes),
        class_file: labelled.then(|| table.path.clone()),
        names: None,
        lines: Some(table.lines),
        format: "CSV",
    })
}
