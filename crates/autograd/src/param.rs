//! `Param`: a trainable tensor with an identity, so a tape can recognise it wherever a
//! network uses it and an optimiser can update it in place.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dvaan_tensor::Tensor;

static NEXT_PARAM: AtomicU64 = AtomicU64::new(1);

/// A trainable tensor. Clones are handles to the same parameter (same identity, same
/// storage), so a layer and an optimiser can both hold it.
#[derive(Clone)]
pub struct Param {
    id: u64,
    value: Tensor,
    /// Bumped by every in-place update, so a tape can refuse to run backward through
    /// values that changed after it saved them.
    version: Arc<AtomicU64>,
}

impl Param {
    pub fn new(value: Tensor) -> Param {
        Param {
            id: NEXT_PARAM.fetch_add(1, Ordering::Relaxed),
            value,
            version: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn value(&self) -> &Tensor {
        &self.value
    }

    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// A number unique to this parameter (shared by its clones).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Overwrites the value from the host (checkpoint loading).
    pub fn load(&self, data: &[f32]) {
        self.value.write(data);
        self.mark_updated();
    }

    /// Records that the value was changed in place. Optimisers call this after a step.
    pub fn mark_updated(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Param#{}{:?}", self.id, self.value.shape())
    }
}
