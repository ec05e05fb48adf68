//! Idle staging textures, kept by height in rows so that a steady state creates none (the
//! lending itself is in `texels.rs`). Like the buffer pool, it lends the lowest idle
//! texture, so each step stages into the same textures as the step before.

use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
pub(crate) struct TexelPool {
    free: HashMap<u32, BTreeSet<(wgpu::Texture, wgpu::TextureView)>>,
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
