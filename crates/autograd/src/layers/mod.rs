//! Layers: small structs that own their parameters and call one tape op each. A model is a
//! plain struct of layers; its `forward` calls them in order, and its parameter list is the
//! layers' lists with prefixes (see [`prefixed`]).

mod batch_norm;
mod conv;
mod linear;

pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{Conv2d, ConvTranspose2d};
pub use linear::Linear;

use dvaan_tensor::Tensor;

use crate::Param;

/// What every layer (and every model) lists for optimisers and checkpoints.
pub trait Layer {
    /// Trainable parameters, named as PyTorch names them (`weight`, `bias`).
    fn params(&self) -> Vec<(String, Param)>;

    /// Non-trainable state a checkpoint must keep (batch norm's running statistics).
    fn buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }
}

/// Names each entry `prefix.name`, for building a model's list from its layers'.
pub fn prefixed<T>(prefix: &str, items: Vec<(String, T)>) -> Vec<(String, T)> {
    items
        .into_iter()
        .map(|(n, t)| (format!("{prefix}.{n}"), t))
        .collect()
}
