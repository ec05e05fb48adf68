//! The training loop, one epoch at a time, for every method: Algorithm 1 of the paper for
//! DVAAN, the same loop with another [`Method`]'s step for the baselines.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use dvaan_tensor::{Gpu, Tensor};

use super::history::{History, StepLog};
use super::sampling::epoch_batches;
use super::support::SupportPool;
use super::TrainConfig;
use crate::data::Dataset;
use crate::methods::{self, train_step, Method};
use crate::Error;

/// What one epoch did.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// 0-based index of the epoch just finished.
    pub epoch: usize,
    pub steps: usize,
    pub seconds: f64,
    pub samples_per_sec: f64,
    /// Samples in the support pool D⁺ at the end of the epoch.
    pub pool_size: usize,
    pub pool_positives: usize,
    /// The last step's losses and μ.
    pub last: Option<StepLog>,
}

/// How many steps (over all epochs) the GPU has finished, counted by completion callbacks
/// rather than readbacks, so it moves every step at no cost to the step. A clonable handle:
/// a progress display on another thread watches it.
#[derive(Clone)]
pub struct FinishedSteps {
    count: Arc<AtomicUsize>,
    gpu: Gpu,
}

impl FinishedSteps {
    /// Steps finished so far. Polls the device first (without waiting), since wgpu reports
    /// finished work only when polled.
    pub fn get(&self) -> usize {
        self.gpu.poll();
        self.count.load(Ordering::Relaxed)
    }
}

pub struct Trainer {
    pub(super) gpu: Gpu,
    pub(super) config: TrainConfig,
    pub(super) train: Dataset,
    pub(super) model: Box<dyn Method>,
    pub(super) pool: SupportPool,
    pub(super) epochs_done: usize,
    pub(super) global_step: usize,
    history: History,
    finished: Arc<AtomicUsize>,
    /// The batch, rewritten every step.
    x: Tensor,
    y: Tensor,
    host_x: Vec<f32>,
    host_y: Vec<f32>,
}

impl Trainer {
    /// Builds the networks from `config.seed` for `train`'s sample shape. Checks the
    /// configuration and that the data can fill a batch and has both classes.
    pub fn new(gpu: &Gpu, config: TrainConfig, train: Dataset) -> Result<Trainer, Error> {
        config.check().map_err(Error::Usage)?;
        if train.len() < config.batch {
            return Err(Error::Usage(format!(
                "--batch {} is larger than the {} training samples of {}",
                config.batch,
                train.len(),
                train.name
            )));
        }
        if train.n_pos == 0 || train.n_neg == 0 {
            return Err(Error::Usage(format!(
                "{} has {} positive and {} negative training samples; training needs both classes",
                train.name, train.n_pos, train.n_neg
            )));
        }
        let model = methods::build(gpu, &config, &train)?;
        let batch_shape = train.batch_shape(config.batch);
        Ok(Trainer {
            gpu: gpu.clone(),
            history: History::new(gpu, config.log_every),
            finished: Arc::new(AtomicUsize::new(0)),
            x: Tensor::zeros(gpu, &batch_shape),
            y: Tensor::zeros(gpu, &[config.batch]),
            host_x: Vec::new(),
            host_y: Vec::new(),
            pool: SupportPool::new(&train),
            epochs_done: 0,
            global_step: 0,
            model,
            config,
            train,
        })
    }

    /// One epoch of Algorithm 1 over D ∪ D⁺, shuffled from `(seed, epoch)`:
    /// for each mini-batch, one DVAAN step (forward, three updates, μ); every `aug_every`
    /// steps, a round of support samples into D⁺. `on_log` receives the loss history every
    /// `log_every` steps and at the end of the epoch.
    pub fn train_epoch(&mut self, on_log: &mut dyn FnMut(&[StepLog])) -> Result<EpochStats, Error> {
        let start = Instant::now();
        let epoch = self.epochs_done;
        let batches = self.epoch_batches()?;
        let mut last = None;
        for indices in &batches {
            self.upload_batch(indices);
            let step = self.global_step as u64;
            let losses = train_step(self.model.as_mut(), &self.x, &self.y, step, None);
            self.history
                .push(epoch, self.global_step, &losses, self.model.mu());
            self.global_step += 1;
            let (finished, done) = (self.finished.clone(), self.global_step);
            self.gpu.flush_then(move || {
                finished.fetch_max(done, Ordering::Relaxed);
            });
            if self.history.is_full() {
                last = self.report(on_log)?.or(last);
            }
            if self.config.method.augments()
                && self.global_step.is_multiple_of(self.config.aug_every)
            {
                self.augment();
            }
        }
        last = self.report(on_log)?.or(last);
        self.gpu.sync();
        self.epochs_done += 1;
        let seconds = start.elapsed().as_secs_f64();
        let samples = batches.len() * self.config.batch;
        Ok(EpochStats {
            epoch,
            steps: batches.len(),
            seconds,
            samples_per_sec: samples as f64 / seconds.max(1e-9),
            pool_size: self.pool.len(),
            pool_positives: self.pool.positives(),
            last,
        })
    }

    /// The epoch's mini-batches, drawn as the method asks (`Method::sampling`) from
    /// `(seed, epoch)` alone, so a run resumed at an epoch boundary sees the same batches.
    fn epoch_batches(&self) -> Result<Vec<Vec<usize>>, Error> {
        let seed =
            self.config.seed ^ (self.epochs_done as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        epoch_batches(
            self.model.sampling(),
            &self.train,
            self.pool.len(),
            self.config.batch,
            seed,
        )
    }

    fn upload_batch(&mut self, indices: &[usize]) {
        self.pool
            .gather(&self.train, indices, &mut self.host_x, &mut self.host_y);
        self.x.write(&self.host_x);
        self.y.write(&self.host_y);
    }

    /// Reads the history back and hands it to `on_log`; returns its last row.
    fn report(&mut self, on_log: &mut dyn FnMut(&[StepLog])) -> Result<Option<StepLog>, Error> {
        let rows = self.history.drain()?;
        if !rows.is_empty() {
            on_log(&rows);
        }
        Ok(rows.last().copied())
    }

    /// A round of support samples (docs/DESIGN.md §5.3) into D⁺. Reads back (see
    /// `methods::augment`).
    fn augment(&mut self) {
        let (n, step) = (self.config.aug_n, self.global_step as u64);
        if let Some(g) = self.model.generate_support(n, step, self.config.aug_both) {
            self.pool.add(&g);
        }
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// Steps taken so far over all epochs.
    pub fn global_step(&self) -> usize {
        self.global_step
    }

    /// The count of steps the GPU has finished, to watch while an epoch runs.
    pub fn finished_steps(&self) -> FinishedSteps {
        FinishedSteps {
            count: self.finished.clone(),
            gpu: self.gpu.clone(),
        }
    }

    /// Samples in D⁺.
    pub fn pool_size(&self) -> usize {
        self.pool.len()
    }

    /// The current margin μ (a readback: for logging only); 0 for methods without one.
    pub fn mu(&self) -> f32 {
        self.model.mu().map_or(0.0, |mu| mu.item())
    }

    /// The method being trained: its networks, optimisers and losses (for tests and tools).
    pub fn method(&self) -> &dyn Method {
        self.model.as_ref()
    }
}
