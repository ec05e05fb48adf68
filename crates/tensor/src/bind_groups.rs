//! Keeps the bind groups that dispatches made, so a training step that repeats the last
//! one's dispatches reuses them instead of creating ~400 new ones.
//!
//! A repeat is the common case: the buffer pool hands the same buffers back in the same
//! roles every step, and the parameters' slot in the arena is a dynamic offset given at
//! dispatch, not part of the bind group, so (pipeline, parameter size, buffers) recur
//! exactly. The key names resources, not
//! tensors, so a recycled buffer under a new tensor still hits. Held bind groups keep their
//! buffers alive; the cache is emptied when it grows past a bound (a changed batch size,
//! evaluation) and when the pool is trimmed, so memory that callers release is released.
//!
//! Like the pipeline cache, a dispatch looks its bind group up by a hash of the resources it
//! borrows (Fx, as there), so a hit clones no handle and allocates nothing; the owned key is
//! made only for a new bind group, and kept to confirm later hits.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

/// What one binding of a dispatch refers to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resource<'a> {
    /// A buffer range: (buffer, byte offset, byte size).
    Buffer(&'a wgpu::Buffer, u64, u64),
    Texels(&'a wgpu::TextureView),
}

/// A [`Resource`] with its handle owned: what a kept bind group's key holds.
enum Owned {
    Buffer(wgpu::Buffer, u64, u64),
    Texels(wgpu::TextureView),
}

impl Owned {
    fn of(resource: &Resource) -> Owned {
        match *resource {
            Resource::Buffer(b, offset, size) => Owned::Buffer(b.clone(), offset, size),
            Resource::Texels(view) => Owned::Texels(view.clone()),
        }
    }

    /// The resource it holds, compared and hashed as a dispatch's own.
    fn borrow(&self) -> Resource<'_> {
        match self {
            Owned::Buffer(b, offset, size) => Resource::Buffer(b, *offset, *size),
            Owned::Texels(view) => Resource::Texels(view),
        }
    }
}

struct Kept {
    pipeline: u64,
    resources: Vec<Owned>,
    group: wgpu::BindGroup,
}

/// More than a step of distinct dispatches several times over; past it, old entries are
/// dropped together rather than tracked one by one.
const MOST_KEPT: usize = 4096;

#[derive(Default)]
pub(crate) struct BindGroupCache {
    groups: FxHashMap<u64, Vec<Kept>>,
    pub created: u64,
}

fn hash_of(pipeline: u64, resources: &[Resource]) -> u64 {
    let mut h = FxHasher::default();
    pipeline.hash(&mut h);
    resources.hash(&mut h);
    h.finish()
}

impl BindGroupCache {
    /// The bind group binding `resources` (in binding order) for `pipeline`, created with
    /// `layout` when it is not held yet.
    pub fn get(
        &mut self,
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        pipeline: u64,
        resources: &[Resource],
    ) -> wgpu::BindGroup {
        let hash = hash_of(pipeline, resources);
        let found = self.groups.get(&hash).and_then(|same_hash| {
            same_hash.iter().find(|k| {
                k.pipeline == pipeline
                    && k.resources
                        .iter()
                        .map(Owned::borrow)
                        .eq(resources.iter().copied())
            })
        });
        if let Some(kept) = found {
            return kept.group.clone();
        }
        if self.groups.values().map(Vec::len).sum::<usize>() >= MOST_KEPT {
            self.clear();
        }
        let entries: Vec<wgpu::BindGroupEntry> = resources
            .iter()
            .enumerate()
            .map(|(binding, resource)| wgpu::BindGroupEntry {
                binding: binding as u32,
                resource: match *resource {
                    Resource::Buffer(buffer, offset, size) => {
                        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer,
                            offset,
                            size: std::num::NonZeroU64::new(size),
                        })
                    }
                    Resource::Texels(view) => wgpu::BindingResource::TextureView(view),
                },
            })
            .collect();
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout,
            entries: &entries,
        });
        drop(entries);
        self.created += 1;
        self.groups.entry(hash).or_default().push(Kept {
            pipeline,
            resources: resources.iter().map(Owned::of).collect(),
            group: group.clone(),
        });
        group
    }

    /// Drops every held bind group (and with them the hold on their buffers).
    pub fn clear(&mut self) {
        self.groups.clear();
    }
}
