//! Reverse-mode automatic differentiation over the `dvaan-tensor` engine: a gradient
//! [`Tape`], differentiable ops (methods on the tape, one file per kernel family in
//! [`ops`]), [`layers`] that own their parameters, parameter [`init`], and [`Adam`].
//!
//! ```ignore
//! let tape = Tape::new();
//! let h = tape.relu(&fc1.forward(&tape, &Var::constant(x)));
//! let loss = tape.bce_with_logits(&fc2.forward(&tape, &h), &y, None);
//! let grads = tape.backward(&loss, opt.params());
//! opt.step(&grads);
//! ```
//!
//! From a layer call to the WGSL: `Linear::forward` → `Tape::linear` (`ops/linear.rs`) →
//! `dvaan_tensor::ops::gemm` → `shaders/gemm_*.wgsl`.

mod adam;
pub mod init;
pub mod layers;
pub mod ops;
mod param;
mod tape;

pub use adam::{Adam, AdamConfig};
pub use dvaan_tensor::ops::elementwise::Activation;
pub use init::Init;
pub use layers::{
    prefixed, BatchNorm, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Layer, Linear,
};
pub use param::Param;
pub use tape::{single, Backward, Gradients, Tape, Var};
