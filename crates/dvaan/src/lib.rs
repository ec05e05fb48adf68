//! DVAAN (Guo et al., IJCAI 2019) and its baselines, trained on the `dvaan-tensor` engine
//! through the `dvaan-autograd` tape. The design, section by section, is `docs/DESIGN.md`.
//!
//! - [`data`]: IDX, CIFAR-10 binary and CSV readers, the binary tasks and imbalance ratios of
//!   the paper, seeded mini-batches, the MNIST JSON importer;
//! - [`kernels`]: the method's own GPU kernels (the margin update of Eq. 10, the class-prior
//!   mean, the KL divergence to a shifted prior), run through the engine's `Dispatch`;
//! - [`models`]: the encoder, decoder and discriminator, convolutional or fully connected;
//! - [`config`]: every hyper-parameter of a run, with its default;
//! - [`methods`]: one training step per method — DVAAN and its variants, the baselines —
//!   behind the `Method` trait, and DVAAN's support samples;
//! - [`train`]: the epoch loop, batching, the support pool, the loss history, evaluation and
//!   the state a checkpoint holds;
//! - [`run`]: a training run in its folder: records, resuming, the lock, the checkpoints;
//! - [`metrics`]: ROC-AUC, PR-AUC, G-mean, F1, balanced accuracy and the per-class report;
//! - [`io`]: a run's files — checkpoints (written atomically, checked when read), the history
//!   CSV, the PNG sample grid — and the progress bar;
//! - [`experiment`]: the grid of runs behind the paper's tables and figures, and their report;
//! - [`cli`]: the `dvaan` command line, one module per subcommand;
//! - [`error`]: the error every user-facing entry point returns.
//!
//! Modules depend on each other one way (`tests/tests/module_cycles.rs` checks it): the
//! command line and the experiment build plain `run` values; `run` drives `train`, which
//! drives `methods`; both read `config`.

pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod experiment;
pub mod io;
pub mod kernels;
pub mod methods;
pub mod metrics;
pub mod models;
pub mod run;
pub mod train;

pub use error::{Error, Result};
