//! A training run and its folder: the files a run writes ([`dir`]), the record that travels
//! with it in every checkpoint and in `metrics.json` ([`record`]), rebuilding a trained model
//! from its checkpoint ([`restore`]), and training a run epoch by epoch ([`train`]). The
//! command line (`crate::cli`) and the experiment runner (`crate::experiment`) both use it,
//! each turning its own input into these plain types.

pub mod dir;
pub mod record;
pub mod restore;
pub mod table;
pub mod train;
