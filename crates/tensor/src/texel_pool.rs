//! Idle staging textures, kept by height in rows so that a steady state creates none (the
//! lending itself is in `texels.rs`). Like the buffer pool, it lends the lowest idle
//! texture, so each step stages into the same textures as the step before. Also the lease
//! a lent texture comes in ([`Texels`]), and the staged copies a storage keeps
//! ([`StagedCopies`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

#[derive(Default)]
pub(crate) struct TexelPool {
    free: FxHashMap<u32, BTreeSet<(wgpu::Texture, wgpu::TextureView)>>,
    created: u64,
}

impl TexelPool {
    /// An idle texture of `rows` rows, if there is one.
    pub fn take(&mut self, rows: u32) -> Option<(wgpu::Texture, wgpu::TextureView)> {
        self.free.get_mut(&rows).and_then(BTreeSet::pop_first)
    }

    /// Takes a texture of `rows` rows back for reuse.
    pub fn give(&mut self, rows: u32, texture: (wgpu::Texture, wgpu::TextureView)) {
        self.free.entry(rows).or_default().insert(texture);
    }

    /// Counts a texture created because none was idle.
    pub fn count_created(&mut self) {
        self.created += 1;
    }

    /// Textures created so far.
    pub fn created(&self) -> u64 {
        self.created
    }

    pub fn clear(&mut self) {
        self.free.clear();
    }
}

/// A lent staging texture; clones share the lease, and it goes back to the pool when the
/// last is dropped.
#[derive(Clone)]
pub struct Texels(Arc<Lease>);

struct Lease {
    pool: Arc<Mutex<TexelPool>>,
    rows: u32,
    texture: Option<(wgpu::Texture, wgpu::TextureView)>,
}

impl Texels {
    pub(crate) fn new(
        pool: Arc<Mutex<TexelPool>>,
        rows: u32,
        texture: (wgpu::Texture, wgpu::TextureView),
    ) -> Texels {
        Texels(Arc::new(Lease {
            pool,
            rows,
            texture: Some(texture),
        }))
    }

    pub(crate) fn texture(&self) -> &wgpu::Texture {
        &self.0.texture.as_ref().expect("a lent texture").0
    }
}

impl std::ops::Deref for Texels {
    type Target = wgpu::TextureView;

    fn deref(&self) -> &wgpu::TextureView {
        &self.0.texture.as_ref().expect("a lent texture").1
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(t) = self.texture.take() {
            // A poisoned pool only loses the texture, which is then freed.
            if let Ok(mut pool) = self.pool.lock() {
                pool.give(self.rows, t);
            }
        }
    }
}

/// The staged copies of ranges of one storage, each with the storage's write count when it
/// was recorded: a copy serves again only while that count is unchanged.
#[derive(Default)]
pub(crate) struct StagedCopies(Mutex<Vec<StagedCopy>>);

struct StagedCopy {
    byte_offset: u64,
    numel: usize,
    writes: u64,
    texels: Texels,
}

impl StagedCopies {
    /// The copy of that range staged since the last write, if any; on a miss, releases the
    /// copies that earlier writes made stale, so that they go back to the pool.
    pub fn find(&self, byte_offset: u64, numel: usize, writes: u64) -> Option<Texels> {
        let mut kept = self.0.lock().expect("staged copies");
        let found = kept
            .iter()
            .find(|c| c.byte_offset == byte_offset && c.numel == numel && c.writes == writes)
            .map(|c| c.texels.clone());
        if found.is_none() {
            kept.retain(|c| c.writes == writes);
        }
        found
    }

    /// Keeps `texels`, after [`StagedCopies::find`] missed that range (and so released what
    /// was stale) under the same recorder lock.
    pub fn keep(&self, byte_offset: u64, numel: usize, writes: u64, texels: Texels) {
        self.0.lock().expect("staged copies").push(StagedCopy {
            byte_offset,
            numel,
            writes,
            texels,
        });
    }

    /// Releases every kept copy.
    pub fn clear(&self) {
        self.0.lock().expect("staged copies").clear();
    }
}
