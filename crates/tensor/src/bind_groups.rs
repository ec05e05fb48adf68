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

use std::collections::HashMap;

/// What one binding of a dispatch refers to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    /// A buffer range: (buffer, byte offset, byte size).
    Buffer(wgpu::Buffer, u64, u64),
    Texels(wgpu::TextureView),
}

/// A dispatch's bindings, in binding order, and the pipeline whose layout they fill.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct BindingKey {
    pub pipeline: u64,
    pub resources: Vec<Resource>,
}

/// More than a step of distinct dispatches several times over; past it, old entries are
/// dropped together rather than tracked one by one.
const MOST_KEPT: usize = 4096;

#[derive(Default)]
pub(crate) struct BindGroupCache {
    groups: HashMap<BindingKey, wgpu::BindGroup>,
    pub created: u64,
}

impl BindGroupCache {
    /// The bind group for `key`, created with `layout` when it is not held yet.
    pub fn get(
        &mut self,
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        key: BindingKey,
    ) -> wgpu::BindGroup {
        if let Some(group) = self.groups.get(&key) {
            return group.clone();
        }
        if self.groups.len() >= MOST_KEPT {
            self.groups.clear();
        }
        let entries: Vec<wgpu::BindGroupEntry> = key
            .resources
            .iter()
            .enumerate()
            .map(|(binding, resource)| wgpu::BindGroupEntry {
                binding: binding as u32,
                resource: match resource {
                    Resource::Buffer(buffer, offset, size) => {
                        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer,
                            offset: *offset,
                            size: std::num::NonZeroU64::new(*size),
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
        self.groups.insert(key, group.clone());
        group
    }

    /// Drops every held bind group (and with them the hold on their buffers).
    pub fn clear(&mut self) {
        self.groups.clear();
    }
}
