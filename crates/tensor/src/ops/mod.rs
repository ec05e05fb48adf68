//! The kernel families. Each module holds a dispatcher and a `reference` CPU version.
pub mod elementwise;
pub mod gemm;
pub mod conv;
pub mod conv_transpose;
pub mod batch_norm;
pub mod reduce;
pub mod concat;
pub mod random;
pub mod reparam;
pub mod loss;
pub mod adam;
