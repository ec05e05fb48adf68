//! Differentiable ops: each file adds methods to [`Tape`](crate::Tape) that run an engine
//! kernel forward and record a [`Backward`](crate::Backward) that runs its gradient kernels.
//! Grouped like the engine's kernel families in `dvaan_tensor::ops`.

pub mod batch_norm;
pub mod conv;
pub mod elementwise;
pub mod linear;
pub mod loss;
pub mod reparam;
pub mod shape;
