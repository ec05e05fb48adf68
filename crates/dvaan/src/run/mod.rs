//! A training run and its folder: the files a run writes ([`dir`]) and the lock that keeps a
//! second process out of it ([`lock`]), the record that travels with it in every checkpoint
//! and in `metrics.json` ([`record`]), its curves ([`curves`]), rebuilding a trained model
//! from its checkpoint ([`restore`]), the test-split numbers it reports ([`test_metrics`]),
//! training a run epoch by epoch ([`train`]), scoring new data with it ([`predict`]) and
//! writing its data with generated positives ([`resample`]); in every command that drives
//! the engine, an engine failure is turned into an error ([`engine_guard`]). The command
//! line (`crate::cli`) and the experiment runner (`crate::experiment`) both use it, each
//! turning its own input into these plain types.

pub mod curves;
pub mod dir;
pub mod engine_guard;
pub mod lock;
pub mod predict;
pub mod record;
pub mod resample;
pub mod restore;
pub mod table;
pub mod test_metrics;
pub mod train;
