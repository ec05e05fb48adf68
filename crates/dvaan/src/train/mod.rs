//! Training: the loop (Algorithm 1 for DVAAN; the same loop drives every method), mini-batch
//! sampling, the loss history, the support pool, evaluation, generated positives, and the
//! state a checkpoint saves. The steps themselves are in `crate::methods`; the configuration both read is in
//! `crate::config` (re-exported here).
//!
//! ```ignore
//! let mut trainer = Trainer::new(&gpu, TrainConfig::default(), task.train)?;
//! for _ in 0..trainer.config().epochs {
//!     trainer.train_epoch(&mut |rows| println!("{rows:?}"))?;
//! }
//! let metrics = trainer.evaluate(&task.test)?;
//! ```

mod evaluate;
mod generate;
mod history;
mod sampling;
mod state;
mod support;
mod trainer;

pub use crate::config::{MethodKind, TrainConfig};
pub use evaluate::EvalMetrics;
pub use generate::{LatentSource, Positives};
pub use history::StepLog;
pub use state::NamedArray;
pub use trainer::{EpochStats, FinishedSteps, Trainer};
