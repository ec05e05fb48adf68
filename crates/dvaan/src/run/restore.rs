//! Rebuilding a trained model from its checkpoint alone: the run record in the metadata names
//! the configuration and the data, the tensors hold the state. Used by `eval`, `sample` and
//! `train --resume`.

use std::path::Path;

use dvaan_tensor::{Gpu, GpuOptions};

use super::record::{ClassCounts, RunRecord};
use crate::data::{Dataset, Standardiser, Task};
use crate::io::checkpoint::{self, NamedArray};
use crate::io::OutputError;
use crate::train::Trainer;
use crate::{Error, Result};

pub struct Restored {
    pub record: RunRecord,
    /// The training set's class counts as the checkpoint recorded them (`record` holds those
    /// of the data loaded now).
    pub recorded_train: ClassCounts,
    /// The standardisation the checkpoint recorded (tabular runs; `None` in older ones).
    pub recorded_standardiser: Option<Standardiser>,
    pub task: Task,
    /// The validation slice of `--threshold validation`, held out of `task.train`.
    pub validation: Option<Dataset>,
    pub gpu: Gpu,
    pub trainer: Trainer,
}

pub fn restore(path: &Path, data_dir: Option<&Path>, gpu: &GpuOptions) -> Result<Restored> {
    let loaded = checkpoint::load::<RunRecord>(path)?;
    let mut record = loaded.run;
    let recorded_shape = record.task.sample_shape.clone();
    let recorded_train = record.task.train;
    let recorded_standardiser = record.task.standardiser.clone();
    let config = record.config.clone();
    let data = record.task.load(&config, data_dir)?;
    let (task, validation) = (data.task, data.validation);
    if task.train.shape != recorded_shape {
        return Err(OutputError::Incompatible {
            path: path.to_path_buf(),
            problem: format!(
                "the model was trained on samples of shape {recorded_shape:?}, but {} holds \
                 samples of shape {:?}",
                task.source.display(),
                task.train.shape
            ),
        }
        .into());
    }
    let gpu = Gpu::with_options(gpu)?;
    let trainer = build(&gpu, &record, &task, &loaded.tensors, path)?;
    Ok(Restored {
        record,
        recorded_train,
        recorded_standardiser,
        task,
        validation,
        gpu,
        trainer,
    })
}

/// A trainer for `record`'s configuration with the checkpoint's state loaded.
fn build(
    gpu: &Gpu,
    record: &RunRecord,
    task: &Task,
    state: &[NamedArray],
    path: &Path,
) -> Result<Trainer> {
    let mut trainer = Trainer::new(gpu, record.config.clone(), task.train.clone())?;
    trainer.load_state(state).map_err(|e| match e {
        Error::State(problem) => Error::Output(OutputError::Incompatible {
            path: path.to_path_buf(),
            problem: format!("its tensors do not fit the model its metadata describes: {problem}"),
        }),
        other => other,
    })?;
    Ok(trainer)
}
