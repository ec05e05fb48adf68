//! Training methods: the rows of the paper's Table 1 and the reference classifiers of
//! docs/DESIGN.md §5.4. Each is a [`Method`] — its networks (the shared ones of
//! `crate::models`) and its losses; the trainer's loop, batching, history, evaluation and
//! checkpoints serve all.
//!
//! - [`dvaan`]: the DVAAN step of docs/DESIGN.md §5.2 (`dvaan`, `dvaan-mu`, `dvaan-a`),
//!   [`augment`] its support samples (§5.3);
//! - [`vae_gan`]: `vae-gan`, `vae-gan-b`; [`ac_gan`]: `ac-gan`; [`cvae_gan`]: `cvae-gan`;
//! - [`cnn`]: `cnn`, `cnn-weighted`, `cnn-ros`, `cnn-focal`;
//! - [`condition`]: how the conditional networks see a label.

pub mod ac_gan;
pub mod augment;
mod build;
pub mod cnn;
mod common;
pub mod condition;
pub mod cvae_gan;
pub mod dvaan;
mod dvaan_method;
mod method;
pub mod vae_gan;

pub use augment::Generated;
pub use build::build;
pub use dvaan::{Dvaan, Losses};
pub use method::{
    objective_values, per_objective_gradients, train_step, Forward, Method, Sampling, StepLosses,
};
