//! The kernel families. Each module holds a dispatcher and a `reference` CPU version.
pub mod adam;
pub mod batch_norm;
pub mod concat;
pub mod conv;
pub mod conv_transpose;
pub mod elementwise;
pub mod gemm;
pub mod loss;
pub mod random;
pub mod reduce;
pub mod reparam;
