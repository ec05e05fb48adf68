//! A rebalanced copy of a run's data: its task's training set (after the imbalance ratio, as
//! the run trained on it) plus generated positives, and its test split, written in the
//! dataset's own format under a new data folder, with `manifest.json` saying which rows are
//! generated and how. Training on that folder needs no other flag than `--data-dir`.

use std::path::{Path, PathBuf};

use dvaan_tensor::GpuOptions;
use serde::Serialize;

use super::engine_guard::{guard, EngineContext};
use super::restore::{restore, Restored};
use crate::data::{export_dir, exported_kind, write_split, Dataset, SplitData, SplitName};
use crate::io::atomic::write_atomic;
use crate::io::grid::encode_image;
use crate::io::{io_error, OutputError};
use crate::train::LatentSource;
use crate::{Error, Result};

pub const MANIFEST: &str = "manifest.json";
/// Where `--png` puts the generated images.
pub const GENERATED_PNGS: &str = "generated";

pub struct ResampleRun {
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    /// Generated positives to add; `None`: as many as balance the classes.
    pub n: Option<usize>,
    pub from: LatentSource,
    pub seed: Option<u64>,
    pub png: bool,
    pub data_dir: Option<PathBuf>,
    pub gpu: GpuOptions,
}

/// What was written.
pub struct Resampled {
    pub restored: Restored,
    /// The `--dataset` value to train on the folder with.
    pub dataset: String,
    pub manifest: Manifest,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub run: PathBuf,
    pub task: String,
    pub method: String,
    /// Train with `dvaan train --dataset <dataset> --data-dir <the folder>`.
    pub dataset: String,
    pub positive_class: Option<u32>,
    pub train: SplitManifest,
    pub test: SplitManifest,
    pub generated: GeneratedManifest,
}

#[derive(Debug, Serialize)]
pub struct SplitManifest {
    pub files: Vec<PathBuf>,
    pub rows: usize,
    pub positive: usize,
    pub negative: usize,
    /// Rows `[first_generated, rows)` are generated; those before are the run's real data.
    pub first_generated: usize,
}

#[derive(Debug, Serialize)]
pub struct GeneratedManifest {
    pub count: usize,
    /// `support` or `prior`.
    pub latent: &'static str,
    /// The latent distribution in words.
    pub rule: String,
    pub latent_points_drawn: usize,
    pub seed: u64,
    /// The margin μ of the run's model (0 for methods without one).
    pub mu: f32,
    pub pngs: Option<PathBuf>,
}

pub fn resample(run: &ResampleRun) -> Result<Resampled> {
    guard("resampling", |context| resample_guarded(run, context))
}

fn resample_guarded(run: &ResampleRun, context: &EngineContext) -> Result<Resampled> {
    check_empty(&run.out)?;
    let r = restore(&run.checkpoint, run.data_dir.as_deref(), &run.gpu)?;
    context.set_adapter(&r.gpu.summary().to_string());
    context.injected_failure();
    let images = r.task.train.shape.len() == 3;
    if run.png && !images {
        return Err(Error::Usage(format!(
            "--png writes images, but {} holds table rows of shape {:?}; leave --png out",
            r.record.task.name, r.task.train.shape
        )));
    }
    let train = &r.task.train;
    let n = run.n.unwrap_or(train.n_neg.saturating_sub(train.n_pos));
    let seed = run.seed.unwrap_or(r.record.config.seed);
    let mu = r.trainer.mu();
    let generated = r.trainer.generate_positives(n, run.from, seed)?;

    let spec = r
        .record
        .task
        .spec(r.record.config.seed, run.data_dir.as_deref())?;
    let kind = exported_kind(&spec.dataset);
    let dir = export_dir(&kind, &run.out);
    let (pos_class, neg_class) = spec.class_numbers();
    let class_of = |d: &Dataset| -> Vec<u32> {
        d.labels
            .iter()
            .map(|&l| if l == 1.0 { pos_class } else { neg_class })
            .collect()
    };
    let label_name = r.record.task.label_column.as_deref().unwrap_or("label");
    let to_file_units = |x: &[f32]| {
        let mut x = x.to_vec();
        if let Some(s) = &r.task.standardiser {
            s.invert(&mut x);
        }
        x
    };

    let mut train_x = to_file_units(&train.x);
    train_x.extend(to_file_units(&generated.x));
    let mut train_classes = class_of(train);
    train_classes.extend(std::iter::repeat_n(pos_class, generated.n));
    let shape = &train.shape;
    let train_files = write_split(
        &kind,
        &dir,
        SplitName::Train,
        &SplitData {
            x: &train_x,
            classes: &train_classes,
            shape,
            label_name,
        },
    )?;
    let test = &r.task.test;
    let test_files = write_split(
        &kind,
        &dir,
        SplitName::Test,
        &SplitData {
            x: &to_file_units(&test.x),
            classes: &class_of(test),
            shape,
            label_name,
        },
    )?;

    let pngs = if run.png {
        let pngs = run.out.join(GENERATED_PNGS);
        write_pngs(&pngs, &generated.x, shape)?;
        Some(pngs)
    } else {
        None
    };
    let (latent, rule) = match run.from {
        LatentSource::Support => (
            "support",
            "the support-sample rule: z ~ N(0, I), kept when sum(z) > 0 (nearer +mu than -mu) \
             and the classifier scores the decoded sample positive"
                .to_string(),
        ),
        LatentSource::Prior if r.record.config.method.is_dvaan() => (
            "prior",
            format!("the positive prior N(+mu·1, I), mu = {mu}"),
        ),
        LatentSource::Prior => (
            "prior",
            "z ~ N(0, I) with the positive class as the generator's condition".to_string(),
        ),
    };
    let manifest = Manifest {
        run: run.checkpoint.clone(),
        task: r.record.task.name.clone(),
        method: r.record.config.method.to_string(),
        dataset: kind.to_string(),
        positive_class: r.record.task.positive_class,
        train: SplitManifest {
            files: relative(&train_files, &run.out),
            rows: train.len() + generated.n,
            positive: train.n_pos + generated.n,
            negative: train.n_neg,
            first_generated: train.len(),
        },
        test: SplitManifest {
            files: relative(&test_files, &run.out),
            rows: test.len(),
            positive: test.n_pos,
            negative: test.n_neg,
            first_generated: test.len(),
        },
        generated: GeneratedManifest {
            count: generated.n,
            latent,
            rule,
            latent_points_drawn: generated.drawn,
            seed,
            mu,
            pngs: pngs.map(|p| relative(&[p], &run.out).remove(0)),
        },
    };
    let json = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    write_atomic(&run.out.join(MANIFEST), json.as_bytes())?;
    Ok(Resampled {
        dataset: kind.to_string(),
        manifest,
        restored: r,
    })
}

/// Writing into a folder that holds data already could mix two data sets; only a new or
/// empty folder is used. It is created when the data is written, so a refused run leaves
/// nothing behind.
fn check_empty(out: &Path) -> Result<()> {
    let busy = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_some(),
        Err(_) if !out.exists() => false,
        Err(e) => return Err(io_error(out, "read")(e).into()),
    };
    if busy {
        return Err(Error::Usage(format!(
            "{}: the folder is not empty; resample writes a whole data folder and does not mix              it with other files.\nfix: pass a new or empty folder to --out",
            out.display()
        )));
    }
    Ok(())
}

fn relative(paths: &[PathBuf], root: &Path) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .map_or_else(|_| p.clone(), Path::to_path_buf)
        })
        .collect()
}

/// One PNG per generated sample, numbered in row order.
fn write_pngs(dir: &Path, x: &[f32], shape: &[usize]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io_error(dir, "create"))?;
    let chw = [shape[0], shape[1], shape[2]];
    for (i, image) in x.chunks_exact(shape.iter().product()).enumerate() {
        let path = dir.join(format!("{i:05}.png"));
        let bytes = encode_image(image, chw).map_err(|problem| OutputError::Io {
            path: path.clone(),
            action: "encode a generated image",
            source: std::io::Error::other(problem),
        })?;
        write_atomic(&path, &bytes)?;
    }
    Ok(())
}
