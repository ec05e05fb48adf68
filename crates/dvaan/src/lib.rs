//! DVAAN (Guo et al., IJCAI 2019) and its baselines, trained on the `dvaan-tensor` engine:
//! data loading and the binary-task protocol (`data`), the method's own GPU kernels
//! (`kernels`), evaluation metrics (`metrics`) and the `dvaan` command line (`cli`).

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
