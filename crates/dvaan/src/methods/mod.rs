//! Training methods. [`dvaan`] holds the DVAAN step of DESIGN §5.2 (used by `dvaan`,
//! `dvaan-mu` and `dvaan-a`), [`augment`] its support-sample generation (§5.3).

pub mod augment;
pub mod dvaan;

pub use augment::Generated;
pub use dvaan::{Dvaan, Losses};
