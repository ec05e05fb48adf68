//! The kernel families. Each module holds a dispatcher and a `reference` CPU version.
pub mod elementwise;
