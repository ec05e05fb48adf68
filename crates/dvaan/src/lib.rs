//! DVAAN (Guo et al., IJCAI 2019) and its baselines, trained on the `dvaan-tensor` engine:
//! data loading and the binary-task protocol (`data`), the method's own GPU kernels
//! (`kernels`), the run configuration (`config`), the methods (`methods`) and the loop that
//! trains them (`train`), a training run in its folder (`run`), the paper's experiment grid
//! (`experiment`), evaluation metrics (`metrics`) and the `dvaan` command line (`cli`).
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
