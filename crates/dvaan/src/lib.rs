//! DVAAN (Guo et al., IJCAI 2019) and its baselines, trained on the `dvaan-tensor` engine
//! through the `dvaan-autograd` tape. The design, section by section, is `docs/DESIGN.md`.
//!
//! - [`data`]: IDX, CIFAR-10 binary and CSV readers, the binary tasks and imbalance ratios of
//!   the paper, seeded mini-batches, the MNIST JSON importer;
//! - [`models`]: the encoder, decoder and discriminator, convolutional or fully connected;
//! - [`methods`]: one training step per method — DVAAN and its variants, the baselines —
//!   behind the `Method` trait, and DVAAN's support samples;
//! - [`train`]: the configuration, the epoch loop, batching, the support pool, the loss
//!   history, evaluation and the state a checkpoint holds;
//! - [`metrics`]: ROC-AUC, PR-AUC, G-mean, F1 and balanced accuracy from scores and labels;
//! - [`io`]: a run's files — checkpoints (written atomically, checked when read), the history
//!   CSV, the PNG sample grid — and the progress bar;
//! - [`experiment`]: the grid of runs behind the paper's tables and figures, and their report;
//! - [`cli`]: the `dvaan` command line, one module per subcommand;
//! - [`error`]: the error every user-facing entry point returns.

pub mod cli;
pub mod data;
pub mod error;
pub mod experiment;
pub mod io;
pub mod methods;
pub mod metrics;
pub mod models;
pub mod train;

pub use error::{Error, Result};
