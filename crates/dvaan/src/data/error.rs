//! Everything that can be wrong with the data a user hands over, each variant carrying what a
//! message needs: the file, where in it (byte offset, or line and column), what was expected,
//! and how to fix it. Readers never panic on bad input; they return one of these.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where the datasets come from when they are missing.
pub const FETCH_HINT: &str = "run `tools/fetch-data.sh` (MNIST and Fashion-MNIST), or put the \
     files there yourself";

#[derive(Debug)]
pub enum DataError {
    /// A file the task needs is not in any of the places looked at.
    Missing {
        what: String,
        looked: Vec<PathBuf>,
        fix: String,
    },
    /// The operating system refused to read or write a file.
    Io { path: PathBuf, source: io::Error },
    /// A `.gz` file whose compressed stream is damaged or cut short.
    Gzip {
        path: PathBuf,
        decompressed: u64,
        source: io::Error,
    },
    /// The file ends before the header or record that must start at `offset` is complete.
    Truncated {
        path: PathBuf,
        offset: u64,
        expected: String,
        compressed: bool,
    },
    /// The file is longer than its header says.
    TrailingBytes {
        path: PathBuf,
        offset: u64,
        extra: u64,
        compressed: bool,
    },
    /// The first four bytes of an IDX file are not the ones its name promises.
    BadMagic {
        path: PathBuf,
        found: u32,
        expected: u32,
        hint: String,
    },
    /// A header field that makes no sense (zero-sized images, an unsupported element type).
    BadHeader {
        path: PathBuf,
        offset: u64,
        message: String,
    },
    /// An image file and its label file disagree on how many samples there are.
    CountMismatch {
        images: PathBuf,
        n_images: usize,
        labels: PathBuf,
        n_labels: usize,
    },
    /// A CIFAR-10 binary file whose size is not a whole number of records.
    RecordSize {
        path: PathBuf,
        len: u64,
        record: usize,
    },
    /// A CSV cell or row that cannot be read; `line` and `column` are 1-based.
    Csv {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A label column named on the command line that the CSV header lacks.
    LabelColumn {
        path: PathBuf,
        wanted: String,
        available: Vec<String>,
    },
    /// Labels outside the set the task understands; `at` says where the first one is.
    UnknownLabels {
        path: PathBuf,
        at: String,
        values: Vec<String>,
        expected: String,
    },
    /// Train and test splits (or two CSV files) whose samples have different shapes.
    ShapeMismatch {
        what: String,
        first: Vec<usize>,
        second: Vec<usize>,
    },
    /// A JSON file that does not have the expected layout.
    Json { path: PathBuf, message: String },
    /// A dataset name this program does not know.
    UnknownDataset { name: String },
    /// A positive class outside the dataset's classes.
    ClassOutOfRange {
        class: u32,
        n_classes: u32,
        dataset: String,
    },
    /// An imbalance ratio 1:R with R < 1 (or not a number).
    Ratio { ratio: f64 },
    /// A class with no sample left after filtering and subsampling.
    EmptyClass {
        dataset: String,
        split: &'static str,
        class: String,
    },
    /// A mini-batch size of zero or larger than the training set.
    BatchSize { batch: usize, n: usize },
    /// A validation slice that cannot hold a sample of each class and leave one to train on.
    ValidationSplit {
        class: &'static str,
        available: usize,
        fraction: f64,
    },
    /// Data to score (or its labels) that does not fit the trained model: the wrong shape,
    /// channels or format for it.
    Unfit {
        path: PathBuf,
        problem: String,
        fix: String,
    },
    /// Values handed to `Dataset::new` that do not fit together (a caller's mistake).
    Inconsistent(String),
}

fn place(path: &Path, offset: u64, compressed: bool) -> String {
    if compressed {
        format!("{}: byte {offset} (after decompression)", path.display())
    } else {
        format!("{}: byte {offset}", path.display())
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataError::*;
        match self {
            Missing { what, looked, fix } => {
                write!(f, "{what} not found; looked at:")?;
                for p in looked {
                    write!(f, "\n  {}", p.display())?;
                }
                write!(f, "\nfix: {fix}")
            }
            Io { path, source } => write!(f, "{}: {source}", path.display()),
            Gzip {
                path,
                decompressed,
                source,
            } => write!(
                f,
                "{}: the gzip stream is damaged or cut short after {decompressed} decompressed \
                 bytes ({source}).\nfix: the download is incomplete; delete the file and fetch \
                 it again ({FETCH_HINT})",
                path.display()
            ),
            Truncated {
                path,
                offset,
                expected,
                compressed,
            } => write!(
                f,
                "{}: the file ends here, but {expected} was expected.\nfix: the file is \
                 incomplete; delete it and fetch it again ({FETCH_HINT})",
                place(path, *offset, *compressed)
            ),
            TrailingBytes {
                path,
                offset,
                extra,
                compressed,
            } => write!(
                f,
                "{}: {extra} bytes follow the last sample the header announces.\nfix: the \
                 header and the data disagree, so the file is damaged; fetch it again",
                place(path, *offset, *compressed)
            ),
            BadMagic {
                path,
                found,
                expected,
                hint,
            } => write!(
                f,
                "{}: byte 0: magic number 0x{found:08x}, expected 0x{expected:08x}. {hint}",
                path.display()
            ),
            BadHeader {
                path,
                offset,
                message,
            } => {
                write!(f, "{}: byte {offset}: {message}", path.display())
            }
            CountMismatch {
                images,
                n_images,
                labels,
                n_labels,
            } => write!(
                f,
                "{} holds {n_images} images but {} holds {n_labels} labels; they must match.\n\
                 fix: the two files come from different releases or one is damaged; fetch both \
                 again",
                images.display(),
                labels.display()
            ),
            RecordSize { path, len, record } => write!(
                f,
                "{}: byte {}: the file is {len} bytes, not a whole number of {record}-byte \
                 CIFAR-10 records (1 label byte + 3072 pixel bytes); {} bytes are left over.\n\
                 fix: use the binary version of CIFAR-10 (data_batch_*.bin), complete and \
                 unmodified",
                path.display(),
                len - len % *record as u64,
                len % *record as u64
            ),
            Csv {
                path,
                line,
                column,
                message,
            } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            LabelColumn {
                path,
                wanted,
                available,
            } => write!(
                f,
                "{}: no column named {wanted:?}; the header has: {}.\nfix: pass one of those \
                 names to --label-column",
                path.display(),
                available.join(", ")
            ),
            UnknownLabels {
                path,
                at,
                values,
                expected,
            } => write!(
                f,
                "{}: {at}: unknown label value(s) {}; expected {expected}",
                path.display(),
                values.join(", ")
            ),
            ShapeMismatch {
                what,
                first,
                second,
            } => write!(
                f,
                "{what}: sample shapes differ ({first:?} vs {second:?}); every sample of a task \
                 must have the same shape"
            ),
            Json { path, message } => write!(f, "{}: {message}", path.display()),
            UnknownDataset { name } => write!(
                f,
                "unknown dataset {name:?}; expected one of: mnist, fashion-mnist, cifar10, tis, \
                 csv:DIR (a folder holding train.csv and test.csv)"
            ),
            ClassOutOfRange {
                class,
                n_classes,
                dataset,
            } => write!(
                f,
                "positive class {class} does not exist in {dataset}, whose classes are 0..={}",
                n_classes - 1
            ),
            Ratio { ratio } => write!(
                f,
                "imbalance ratio 1:{ratio} is invalid; R must be a number >= 1 (1 keeps every \
                 positive, 10 keeps one in ten)"
            ),
            EmptyClass {
                dataset,
                split,
                class,
            } => write!(
                f,
                "{dataset}: the {split} split has no {class} sample after filtering; a binary \
                 task needs both classes.\nfix: check the class numbers and the label column"
            ),
            BatchSize { batch, n } => write!(
                f,
                "mini-batch size {batch} does not fit a training set of {n} samples; choose a \
                 batch size between 1 and {n}"
            ),
            ValidationSplit {
                class,
                available,
                fraction,
            } => write!(
                f,
                "a validation slice of {fraction} needs at least one {class} training sample \
                 to hold out and one to train on, but the training set has {available}; \
                 fix: use a milder imbalance ratio, or --threshold fixed"
            ),
            Unfit { path, problem, fix } => {
                write!(f, "{}: {problem}.\nfix: {fix}", path.display())
            }
            Inconsistent(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } | DataError::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}
