//! The datasets this program knows: where their files live, what their classes are called,
//! and how to read one split of them into memory, all classes kept.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::cifar::{self, read_cifar_file, CifarRecords};
use super::csv::{read_csv, CsvOptions};
use super::error::{DataError, FETCH_HINT};
use super::idx::{read_idx_images, read_idx_labels};
use super::source::find_file;

/// Where Debian's `dataset-fashion-mnist` package puts its files; read directly when the data
/// directory has no copy, so that installing the package is enough.
pub const DEBIAN_FASHION_MNIST: &str = "/usr/share/datasets/fashion-mnist";

const FASHION: [&str; 10] = [
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle-boot",
];
const CIFAR: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetKind {
    Mnist,
    FashionMnist,
    Cifar10,
    /// A folder (relative to the data directory, or absolute) holding `train.csv` and
    /// `test.csv`. `tis` names the folder `tis`.
    Csv(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitName {
    Train,
    Test,
}

impl SplitName {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Test => "test",
        }
    }
}

/// One split as stored: every class, pixels not yet scaled.
pub(crate) struct RawSplit {
    pub samples: Samples,
    pub classes: Vec<u32>,
    pub shape: Vec<usize>,
    /// The file that holds the labels, for messages about them.
    pub label_file: PathBuf,
    /// CSV line of each row; `None` for binary formats.
    pub lines: Option<Vec<usize>>,
}

pub(crate) enum Samples {
    Pixels(Vec<u8>),
    Features(Vec<f32>),
}

impl FromStr for DatasetKind {
    type Err = DataError;

    fn from_str(name: &str) -> Result<DatasetKind, DataError> {
        match name.to_ascii_lowercase().as_str() {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion-mnist" | "fashion_mnist" | "fmnist" => Ok(DatasetKind::FashionMnist),
            "cifar10" | "cifar-10" => Ok(DatasetKind::Cifar10),
            "tis" => Ok(DatasetKind::Csv("tis".into())),
            _ => match name.strip_prefix("csv:") {
                Some(dir) if !dir.is_empty() => Ok(DatasetKind::Csv(dir.into())),
                _ => Err(DataError::UnknownDataset { name: name.into() }),
            },
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetKind::Mnist => write!(f, "mnist"),
            DatasetKind::FashionMnist => write!(f, "fashion-mnist"),
            DatasetKind::Cifar10 => write!(f, "cifar10"),
            DatasetKind::Csv(dir) if dir == "tis" => write!(f, "tis"),
            DatasetKind::Csv(dir) => write!(f, "csv:{dir}"),
        }
    }
}

impl DatasetKind {
    /// The paper's binary task: (positive, negative) class.
    pub fn default_pair(&self) -> (u32, u32) {
        match self {
            DatasetKind::Mnist => (5, 6),
            DatasetKind::FashionMnist => (5, 7),
            DatasetKind::Cifar10 => (3, 5),
            DatasetKind::Csv(_) => (1, 0),
        }
    }

    /// How many classes the format defines; `None` for CSV, whose labels are whatever the
    /// file holds.
    pub fn n_classes(&self) -> Option<u32> {
        match self {
            DatasetKind::Csv(_) => None,
            _ => Some(10),
        }
    }

    /// A readable class name, e.g. `sandal (5)` or `digit 5`.
    pub fn class_name(&self, class: u32) -> String {
        let table = match self {
            DatasetKind::FashionMnist => Some(&FASHION),
            DatasetKind::Cifar10 => Some(&CIFAR),
            _ => None,
        };
        match (self, table.and_then(|t| t.get(class as usize))) {
            (_, Some(name)) => format!("{name} ({class})"),
            (DatasetKind::Mnist, None) => format!("digit {class}"),
            _ => format!("class {class}"),
        }
    }

    /// Folders searched, in order, for the dataset's files.
    pub fn dirs(&self, data_dir: &Path) -> Vec<PathBuf> {
        match self {
            DatasetKind::Mnist => vec![data_dir.join("mnist")],
            DatasetKind::FashionMnist => {
                vec![
                    data_dir.join("fashion-mnist"),
                    PathBuf::from(DEBIAN_FASHION_MNIST),
                ]
            }
            DatasetKind::Cifar10 => {
                vec![
                    data_dir.join("cifar10"),
                    data_dir.join("cifar-10-batches-bin"),
                ]
            }
            DatasetKind::Csv(dir) => vec![data_dir.join(dir)],
        }
    }

    fn fix(&self) -> String {
        match self {
            DatasetKind::Mnist | DatasetKind::FashionMnist => FETCH_HINT.into(),
            DatasetKind::Cifar10 => "download the binary version of CIFAR-10 and unpack \
                data_batch_1.bin .. data_batch_5.bin and test_batch.bin into one of those folders"
                .into(),
            DatasetKind::Csv(_) => "put train.csv and test.csv (numeric features and an integer \
                label column, optionally gzip-compressed) into that folder"
                .into(),
        }
    }

    /// The folder the files will be read from: the first candidate holding the probe file.
    pub fn locate(&self, data_dir: &Path) -> Result<PathBuf, DataError> {
        let probe = match self {
            DatasetKind::Mnist | DatasetKind::FashionMnist => "train-images-idx3-ubyte",
            DatasetKind::Cifar10 => cifar::TRAIN_FILES[0],
            DatasetKind::Csv(_) => "train.csv",
        };
        let found = find_file(
            &self.dirs(data_dir),
            probe,
            &format!("{self} data"),
            &self.fix(),
        )?;
        Ok(found.parent().map(Path::to_path_buf).unwrap_or_default())
    }

    /// Reads one split from `dir` (as returned by `locate`).
    pub(crate) fn read(
        &self,
        dir: &Path,
        split: SplitName,
        csv: &CsvOptions,
    ) -> Result<RawSplit, DataError> {
        let dirs = [dir.to_path_buf()];
        let find = |name: &str| find_file(&dirs, name, &format!("{self} data"), &self.fix());
        match self {
            DatasetKind::Mnist | DatasetKind::FashionMnist => {
                let prefix = match split {
                    SplitName::Train => "train",
                    SplitName::Test => "t10k",
                };
                let images = read_idx_images(&find(&format!("{prefix}-images-idx3-ubyte"))?)?;
                let labels = read_idx_labels(&find(&format!("{prefix}-labels-idx1-ubyte"))?, 10)?;
                if images.n != labels.labels.len() {
                    return Err(DataError::CountMismatch {
                        images: images.path,
                        n_images: images.n,
                        labels: labels.path,
                        n_labels: labels.labels.len(),
                    });
                }
                Ok(RawSplit {
                    shape: vec![1, images.rows, images.cols],
                    samples: Samples::Pixels(images.pixels),
                    classes: labels.labels.iter().map(|&l| l as u32).collect(),
                    label_file: labels.path,
                    lines: None,
                })
            }
            DatasetKind::Cifar10 => {
                let names: &[&str] = match split {
                    SplitName::Train => &cifar::TRAIN_FILES,
                    SplitName::Test => &cifar::TEST_FILES,
                };
                let mut records = CifarRecords::default();
                for name in names {
                    read_cifar_file(&find(name)?, &mut records)?;
                }
                Ok(RawSplit {
                    shape: vec![3, 32, 32],
                    samples: Samples::Pixels(records.pixels),
                    classes: records.labels.iter().map(|&l| l as u32).collect(),
                    label_file: records.paths[0].clone(),
                    lines: None,
                })
            }
            DatasetKind::Csv(_) => {
                let table = read_csv(&find(&format!("{}.csv", split.as_str()))?, csv)?;
                Ok(RawSplit {
                    shape: vec![table.n_features],
                    samples: Samples::Features(table.features),
                    classes: table.classes,
                    label_file: table.path,
                    lines: Some(table.lines),
                })
            }
        }
    }
}
