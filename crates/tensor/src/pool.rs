//! Recycles GPU buffers by size class so that a training step, once warmed up, creates none.
//!
//! A dropped tensor hands its buffer back here; the next request of the same class takes it.
//! Classes are eight steps per power of two, so a buffer is at most 12.5% larger than asked.
//!
//! Among idle buffers of a class the pool always lends the lowest (in wgpu's handle order),
//! not the last returned: a step then receives the same buffers in the same roles as the
//! step before, whatever order the previous step dropped them in, so its dispatches find
//! their bind groups already made (`bind_groups.rs`).

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

/// The kind of buffer: compute storage, or a host-visible buffer for readback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BufferKind {
    Storage,
    Readback,
}

impl BufferKind {
    fn usage(self) -> wgpu::BufferUsages {
        match self {
            BufferKind::Storage => {
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST
            }
            BufferKind::Readback => wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        }
    }
}

/// Rounds a byte count up to its size class.
pub(crate) fn size_class(bytes: u64) -> u64 {
    const MIN: u64 = 256;
    if bytes <= MIN {
        return MIN;
    }
    let octave = bytes.next_power_of_two();
    let step = octave / 16;
    bytes.div_ceil(step) * step
}

#[derive(Default)]
pub(crate) struct BufferPool {
    free: FxHashMap<(u64, BufferKind), BTreeSet<wgpu::Buffer>>,
    pub buffers_created: u64,
    pub bytes_created: u64,
    pub reuses: u64,
}

impl BufferPool {
    pub fn take(
        &mut self,
        device: &wgpu::Device,
        bytes: u64,
        kind: BufferKind,
    ) -> (wgpu::Buffer, u64) {
        let class = size_class(bytes);
        if let Some(buffer) = self
            .free
            .get_mut(&(class, kind))
            .and_then(BTreeSet::pop_first)
        {
            self.reuses += 1;
            return (buffer, class);
        }
        self.buffers_created += 1;
        self.bytes_created += class;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: class,
            usage: kind.usage(),
            mapped_at_creation: false,
        });
        (buffer, class)
    }

    pub fn give(&mut self, buffer: wgpu::Buffer, class: u64, kind: BufferKind) {
        self.free.entry((class, kind)).or_default().insert(buffer);
    }

    /// Bytes held in free lists, waiting for reuse.
    pub fn idle_bytes(&self) -> u64 {
        self.free
            .iter()
            .map(|((class, _), v)| class * v.len() as u64)
            .sum()
    }

    /// Frees every idle buffer (e.g. after evaluation with a different batch size).
    pub fn trim(&mut self) {
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_the_request_with_bounded_waste() {
        for bytes in [
            1u64, 4, 255, 256, 257, 1000, 4096, 4097, 123_457, 10_000_000,
        ] {
            let c = size_class(bytes);
            assert!(c >= bytes, "{bytes} -> {c}");
            assert!(
                c <= 256.max(bytes + bytes / 8 + 1),
                "{bytes} -> {c} wastes over 12.5%"
            );
        }
        assert_eq!(size_class(4096), 4096);
        assert_eq!(size_class(4097), 4096 + 512);
    }
}
