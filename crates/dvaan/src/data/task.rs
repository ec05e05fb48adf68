//! Binary tasks built from a dataset: which classes are positive and negative, the imbalance
//! ratio applied to the training positives, and the conversion to f32 samples.
//!
//! - The paper's pairs (positive first): MNIST 5 vs 6, Fashion-MNIST sandal (5) vs sneaker (7),
//!   CIFAR-10 cat (3) vs dog (5), tabular 1 vs 0. Samples of other classes are left out.
//! - One-vs-all (`positive_class`): that class positive, every other class negative.
//! - Ratio 1:R keeps a seeded random `round(n_pos / R)` (at least 1) of the training positives
//!   and every training negative. The test set is the whole test split of the task's classes.
//! - Pixels are scaled to [0, 1]. Tabular features are standardised with the mean and std of
//!   the final training set (after subsampling: the data the model is trained on), and the
//!   same transformation is applied to the test set.

use std::path::PathBuf;

use super::csv::CsvOptions;
use super::dataset::Dataset;
use super::error::DataError;
use super::kind::{DatasetKind, RawSplit, Samples, SplitName};
use super::rng::{rng, shuffle, Purpose};
use super::standardise::Standardiser;

/// Everything that decides a task's data.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub dataset: DatasetKind,
    /// The root data folder (`data` by default); each dataset has a folder under it.
    pub data_dir: PathBuf,
    /// `Some(k)`: class k against all others. `None`: the dataset's paper pair.
    pub positive_class: Option<u32>,
    /// R in 1:R; 1 keeps every training positive.
    pub ratio: f64,
    pub seed: u64,
    pub csv: CsvOptions,
}

impl TaskSpec {
    fn classes(&self) -> Classes {
        match self.positive_class {
            Some(positive) => Classes::OneVsAll { positive },
            None => {
                let (positive, negative) = self.dataset.default_pair();
                Classes::Pair { positive, negative }
            }
        }
    }

    /// What a stored class is in this task: `Some(true)` positive, `Some(false)` negative,
    /// `None` left out (a class outside the paper's pair).
    pub fn role(&self, class: u32) -> Option<bool> {
        self.classes().role(class)
    }

    /// The stored class numbers to write for a positive and a negative sample so that the
    /// same task reads them back: the pair's classes, or for one-vs-all the positive class
    /// and the lowest other class.
    pub fn class_numbers(&self) -> (u32, u32) {
        match self.classes() {
            Classes::Pair { positive, negative } => (positive, negative),
            Classes::OneVsAll { positive } => (positive, u32::from(positive == 0)),
        }
    }

    /// The paper's pair, every positive kept, seed 0.
    pub fn new(dataset: DatasetKind, data_dir: impl Into<PathBuf>) -> TaskSpec {
        TaskSpec {
            dataset,
            data_dir: data_dir.into(),
            positive_class: None,
            ratio: 1.0,
            seed: 0,
            csv: CsvOptions::default(),
        }
    }
}

/// A loaded binary task.
#[derive(Debug, Clone)]
pub struct Task {
    /// E.g. `fashion-mnist sandal (5) vs sneaker (7)`.
    pub name: String,
    pub positive: String,
    pub negative: String,
    /// The folder the files were read from.
    pub source: PathBuf,
    pub train: Dataset,
    pub test: Dataset,
    /// Training positives before the imbalance ratio was applied.
    pub train_pos_available: usize,
    /// Set for tabular data; maps generated samples back to the original units.
    pub standardiser: Option<Standardiser>,
}

/// Which stored classes make up the task.
#[derive(Debug, Clone, Copy)]
enum Classes {
    Pair { positive: u32, negative: u32 },
    OneVsAll { positive: u32 },
}

impl Classes {
    /// `Some(true)` positive, `Some(false)` negative, `None` not part of the task.
    fn role(self, class: u32) -> Option<bool> {
        match self {
            Classes::Pair { positive, negative } => {
                (class == positive || class == negative).then_some(class == positive)
            }
            Classes::OneVsAll { positive } => Some(class == positive),
        }
    }
}

pub fn load_task(spec: &TaskSpec) -> Result<Task, DataError> {
    if !(spec.ratio.is_finite() && spec.ratio >= 1.0) {
        return Err(DataError::Ratio { ratio: spec.ratio });
    }
    let kind = &spec.dataset;
    if let Some(k) = spec.positive_class {
        if let Some(n) = kind.n_classes().filter(|&n| k >= n) {
            return Err(DataError::ClassOutOfRange {
                class: k,
                n_classes: n,
                dataset: kind.to_string(),
            });
        }
    }
    let classes = spec.classes();
    let (positive, negative) = match classes {
        Classes::Pair { positive, negative } => {
            (kind.class_name(positive), kind.class_name(negative))
        }
        Classes::OneVsAll { positive } => (kind.class_name(positive), "all other classes".into()),
    };
    let name = format!("{kind} {positive} vs {negative}");

    let source = kind.locate(&spec.data_dir)?;
    let train_raw = kind.read(&source, SplitName::Train, &spec.csv)?;
    let test_raw = kind.read(&source, SplitName::Test, &spec.csv)?;
    if train_raw.shape != test_raw.shape {
        return Err(DataError::ShapeMismatch {
            what: format!("{kind} train and test splits in {}", source.display()),
            first: train_raw.shape,
            second: test_raw.shape,
        });
    }
    if matches!(kind, DatasetKind::Csv(_)) && spec.positive_class.is_none() {
        check_binary_labels(&train_raw)?;
        check_binary_labels(&test_raw)?;
    }

    let empty = |split: SplitName, class: &str| DataError::EmptyClass {
        dataset: name.clone(),
        split: split.as_str(),
        class: class.to_string(),
    };
    let (mut train_pos, train_neg) = select(&train_raw, classes);
    let (test_pos, test_neg) = select(&test_raw, classes);
    for (split, pos, neg) in [
        (SplitName::Train, &train_pos, &train_neg),
        (SplitName::Test, &test_pos, &test_neg),
    ] {
        if pos.is_empty() {
            return Err(empty(split, &format!("positive ({positive})")));
        }
        if neg.is_empty() {
            return Err(empty(split, &format!("negative ({negative})")));
        }
    }
    let train_pos_available = train_pos.len();
    subsample(&mut train_pos, spec.ratio, spec.seed);

    let mut train = build(&format!("{kind}/train"), &train_raw, &train_pos, &train_neg)?;
    let mut test = build(&format!("{kind}/test"), &test_raw, &test_pos, &test_neg)?;
    let standardiser = matches!(train_raw.samples, Samples::Features(_)).then(|| {
        let s = Standardiser::fit(&train.x, train.sample_len());
        s.apply(&mut train.x);
        s.apply(&mut test.x);
        s
    });
    Ok(Task {
        name,
        positive,
        negative,
        source,
        train,
        test,
        train_pos_available,
        standardiser,
    })
}

/// Keeps `round(n / ratio)` (at least one) of `positives`, chosen by the seed, in their
/// original order.
fn subsample(positives: &mut Vec<usize>, ratio: f64, seed: u64) {
    let keep = ((positives.len() as f64 / ratio).round() as usize).max(1);
    shuffle(&mut rng(seed, Purpose::Subsample), positives);
    positives.truncate(keep);
    positives.sort_unstable();
}

/// Indices of the task's positive and negative samples, in file order.
fn select(raw: &RawSplit, classes: Classes) -> (Vec<usize>, Vec<usize>) {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    for (i, &c) in raw.classes.iter().enumerate() {
        match classes.role(c) {
            Some(true) => pos.push(i),
            Some(false) => neg.push(i),
            None => {}
        }
    }
    (pos, neg)
}

/// A stored pixel as the networks see it: scaled to [0, 1].
pub fn pixel_value(byte: u8) -> f32 {
    byte as f32 / 255.0
}

/// The stored byte of a value in [0, 1] (out-of-range values clamped); the inverse of
/// [`pixel_value`] on its image.
pub fn pixel_byte(value: f32) -> u8 {
    // NaN maps to 0; `as u8` saturates.
    (value.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Gathers the chosen samples (kept in file order) as f32, pixels scaled to [0, 1].
fn build(name: &str, raw: &RawSplit, pos: &[usize], neg: &[usize]) -> Result<Dataset, DataError> {
    let mut chosen: Vec<(usize, bool)> = pos
        .iter()
        .map(|&i| (i, true))
        .chain(neg.iter().map(|&i| (i, false)))
        .collect();
    chosen.sort_unstable();
    let d: usize = raw.shape.iter().product();
    let mut x = Vec::with_capacity(chosen.len() * d);
    for &(i, _) in &chosen {
        match &raw.samples {
            Samples::Pixels(p) => x.extend(p[i * d..(i + 1) * d].iter().map(|&b| pixel_value(b))),
            Samples::Features(f) => x.extend_from_slice(&f[i * d..(i + 1) * d]),
        }
    }
    let labels = chosen
        .iter()
        .map(|&(_, p)| if p { 1.0 } else { 0.0 })
        .collect();
    Dataset::new(name, x, labels, raw.shape.clone())
}

/// A binary tabular task understands labels 0 and 1 only; anything else is reported at its
/// first line rather than silently counted as negative.
fn check_binary_labels(raw: &RawSplit) -> Result<(), DataError> {
    let Some(first) = raw.classes.iter().position(|&c| c > 1) else {
        return Ok(());
    };
    let mut bad: Vec<u32> = raw.classes.iter().copied().filter(|&c| c > 1).collect();
    bad.sort_unstable();
    bad.dedup();
    let at = match &raw.lines {
        Some(lines) => format!("line {}", lines[first]),
        None => format!("sample {first}"),
    };
    Err(DataError::UnknownLabels {
        path: raw.label_file.clone(),
        at,
        values: bad.iter().map(u32::to_string).collect(),
        expected: "0 (negative) or 1 (positive); for a multi-class file choose the positive \
                   class with --positive-class K (one-vs-all)"
            .into(),
    })
}
