//! `Tensor`: an f32, contiguous, row-major array in a pooled GPU buffer (NCHW for images).
//!
//! Tensors are immutable values to the ops that read them; clones share storage. Kernels
//! that update in place (Adam, running statistics) write through a tensor they were given.
//!
//! A storage may move once into a range of another tensor ([`Tensor::relocate_into`]): an
//! optimiser gathers its parameters into one flat buffer that way, so that one dispatch
//! updates them all in place and nothing is copied per step. Every clone, view and reshape
//! follows the move, because they reach the buffer through the storage they share.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::bind_groups::Resource;
use crate::pool::BufferKind;
use crate::texel_pool::StagedCopies;
use crate::Gpu;

pub(crate) struct Storage {
    buffer: Option<wgpu::Buffer>,
    class: u64,
    gpu: Gpu,
    /// Elements the storage was made for (the pooled buffer may be larger).
    numel: usize,
    /// Where the elements live since [`Tensor::relocate_into`]: a range of another storage
    /// that never moves itself. `buffer` then idles until this storage is dropped (it held
    /// the same elements, so memory is as it was before the move).
    moved: OnceLock<Tensor>,
    /// Whether some storage moved into this one: then this one may not move.
    hosts: AtomicBool,
    /// Writes recorded into the buffer so far ([`Tensor::mark_written`]).
    writes: AtomicU64,
    /// Ranges of the buffer staged as textures, kept until the next write (`texels.rs`).
    staged: StagedCopies,
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            self.gpu
                .pool()
                .give(buffer, self.class, BufferKind::Storage);
        }
    }
}

#[derive(Clone)]
pub struct Tensor {
    shape: Vec<usize>,
    storage: Arc<Storage>,
    /// Where the elements start in the buffer, in elements: 0 except for [`Tensor::view`]s.
    offset: usize,
}

impl Tensor {
    /// A tensor whose contents are whatever the pooled buffer last held: for kernel outputs
    /// that write every element.
    pub fn uninit(gpu: &Gpu, shape: &[usize]) -> Tensor {
        let numel: usize = shape.iter().product();
        let bytes = (numel.max(1) * 4) as u64;
        let (buffer, class) = gpu.pool().take(gpu.device(), bytes, BufferKind::Storage);
        Tensor {
            shape: shape.to_vec(),
            storage: Arc::new(Storage {
                buffer: Some(buffer),
                class,
                gpu: gpu.clone(),
                numel,
                moved: OnceLock::new(),
                hosts: AtomicBool::new(false),
                writes: AtomicU64::new(0),
                staged: StagedCopies::default(),
            }),
            offset: 0,
        }
    }

    pub fn zeros(gpu: &Gpu, shape: &[usize]) -> Tensor {
        let t = Tensor::uninit(gpu, shape);
        t.fill_zero();
        t
    }

    pub fn from_slice(gpu: &Gpu, shape: &[usize], data: &[f32]) -> Tensor {
        let t = Tensor::uninit(gpu, shape);
        t.write(data);
        t
    }

    /// A tensor of one value, e.g. μ or a loss weight kept on the GPU.
    pub fn scalar(gpu: &Gpu, value: f32) -> Tensor {
        Tensor::from_slice(gpu, &[1], &[value])
    }

    /// Overwrites the contents from the host. Work already recorded is submitted first,
    /// because a queue write lands before any not-yet-submitted command would read it.
    pub fn write(&self, data: &[f32]) {
        assert_eq!(
            data.len(),
            self.numel(),
            "Tensor::write: {} values for shape {:?}",
            data.len(),
            self.shape
        );
        let gpu = self.gpu();
        let mut rec = gpu.recorder();
        if rec.has_pending() {
            rec.submit(gpu.queue());
        }
        if !data.is_empty() {
            gpu.queue().write_buffer(
                self.buffer(),
                self.byte_offset(),
                bytemuck::cast_slice(data),
            );
        }
        self.mark_written();
        drop(rec);
        gpu.tally().count_upload();
    }

    /// Records a zero fill (no host transfer).
    pub fn fill_zero(&self) {
        let gpu = self.gpu();
        let mut rec = gpu.recorder();
        rec.encoder(gpu.device()).clear_buffer(
            self.buffer(),
            self.byte_offset(),
            Some(self.byte_len()),
        );
        self.mark_written();
    }

    /// Records a copy of `src`'s contents into `self` (same number of elements).
    pub fn copy_from(&self, src: &Tensor) {
        assert_eq!(
            src.numel(),
            self.numel(),
            "copy_from: {:?} into {:?}",
            src.shape,
            self.shape
        );
        self.copy_region(0, src, 0, self.numel());
    }

    /// Records a copy of `len` elements of `src`, starting at element `src_start`, into
    /// `self` at element `dst_start`: e.g. appending a step's losses to a history slab that
    /// is read back only when logged.
    pub fn copy_region(&self, dst_start: usize, src: &Tensor, src_start: usize, len: usize) {
        assert!(
            src_start + len <= src.numel() && dst_start + len <= self.numel(),
            "copy_region: {len} elements from {src_start} of {:?} to {dst_start} of {:?}",
            src.shape,
            self.shape
        );
        if len == 0 {
            return;
        }
        let gpu = self.gpu();
        let mut rec = gpu.recorder();
        rec.encoder(gpu.device()).copy_buffer_to_buffer(
            src.buffer(),
            src.byte_offset() + (src_start * 4) as u64,
            self.buffer(),
            self.byte_offset() + (dst_start * 4) as u64,
            Some((len * 4) as u64),
        );
        self.mark_written();
    }

    /// A new tensor with the same contents (its own storage).
    pub fn duplicate(&self) -> Tensor {
        let t = Tensor::uninit(self.gpu(), &self.shape);
        t.copy_from(self);
        t
    }

    /// Submits pending work, waits for it, and copies the contents to the host.
    /// This is a CPU↔GPU synchronisation: never call it inside a training step.
    pub fn to_vec(&self) -> Vec<f32> {
        let gpu = self.gpu();
        let bytes = self.byte_len();
        let (staging, class) = gpu.pool().take(gpu.device(), bytes, BufferKind::Readback);
        {
            let mut rec = gpu.recorder();
            rec.encoder(gpu.device()).copy_buffer_to_buffer(
                self.buffer(),
                self.byte_offset(),
                &staging,
                0,
                Some(bytes),
            );
            rec.submit(gpu.queue());
        }
        gpu.tally().count_readback();
        let slice = staging.slice(0..bytes);
        slice.map_async(wgpu::MapMode::Read, |r| {
            r.expect("mapping a readback buffer failed")
        });
        gpu.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("the GPU device was lost during a readback");
        let out = {
            let view = slice.get_mapped_range().expect("a mapped readback buffer");
            bytemuck::cast_slice::<u8, f32>(&view)[..self.numel()].to_vec()
        };
        staging.unmap();
        gpu.pool().give(staging, class, BufferKind::Readback);
        out
    }

    /// The single value of a one-element tensor (a readback).
    pub fn item(&self) -> f32 {
        assert_eq!(
            self.numel(),
            1,
            "item() on a tensor of shape {:?}",
            self.shape
        );
        self.to_vec()[0]
    }

    /// The same storage seen with another shape of equal size.
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        let numel: usize = shape.iter().product();
        assert_eq!(
            numel,
            self.numel(),
            "reshape {:?} -> {:?}",
            self.shape,
            shape
        );
        Tensor {
            shape: shape.to_vec(),
            storage: self.storage.clone(),
            offset: self.offset,
        }
    }

    /// Elements `offset .. offset + numel(shape)` of this tensor seen as a tensor of `shape`,
    /// sharing its storage (no copy): e.g. one parameter's moments inside an optimiser's flat
    /// buffer. Kernels bind a view at its offset, so the offset must be a multiple of the
    /// device's storage-buffer offset alignment ([`Tensor::view_alignment`] elements).
    pub fn view(&self, offset: usize, shape: &[usize]) -> Tensor {
        let numel: usize = shape.iter().product();
        assert!(
            offset + numel <= self.numel(),
            "view of {shape:?} at {offset} is outside {:?}",
            self.shape
        );
        let align = Tensor::view_alignment(self.gpu());
        assert!(
            (self.offset + offset).is_multiple_of(align),
            "view at element {offset}: views start at multiples of {align} elements"
        );
        Tensor {
            shape: shape.to_vec(),
            storage: self.storage.clone(),
            offset: self.offset + offset,
        }
    }

    /// The element offsets a [`Tensor::view`] may start at are multiples of this.
    /// At least a texel (four floats), so a view can be staged into a texture.
    pub fn view_alignment(gpu: &Gpu) -> usize {
        (gpu.limits().min_storage_buffer_offset_alignment as usize)
            .div_ceil(4)
            .max(4)
    }

    /// Where the elements start in [`Tensor::buffer`], in bytes (0 unless a view or moved).
    pub fn byte_offset(&self) -> u64 {
        let moved = self.storage.moved.get().map_or(0, |home| home.offset);
        ((moved + self.offset) * 4) as u64
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Size of dimension `i`; negative counts from the end.
    pub fn dim(&self, i: isize) -> usize {
        let r = self.shape.len() as isize;
        let j = if i < 0 { r + i } else { i };
        assert!((0..r).contains(&j), "dim({i}) of shape {:?}", self.shape);
        self.shape[j as usize]
    }

    pub fn gpu(&self) -> &Gpu {
        &self.storage.gpu
    }

    /// The whole buffer; a view's elements start at [`Tensor::byte_offset`] in it.
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.home_storage()
            .buffer
            .as_ref()
            .expect("tensor storage is live")
    }

    /// Bytes the tensor's elements occupy (at least 4, so empty tensors still bind).
    pub fn byte_len(&self) -> u64 {
        (self.numel().max(1) * 4) as u64
    }

    /// True when both tensors share one storage (clones, reshapes and views do).
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// Moves this tensor's elements into `home` (a range of another tensor, same number of
    /// elements) and makes this tensor, every clone, view and reshape of it, now or later,
    /// read and write them there. Records the copy of the current contents. Returns false,
    /// and changes nothing, when this tensor is not its whole storage (a view, or a reshape of
    /// part of it), when this storage has moved before or another has moved into it, when
    /// `home` lives in a moved storage, or when `home` is this storage: a storage moves at
    /// most once, and whole, so no view of it is left behind.
    pub fn relocate_into(&self, home: &Tensor) -> bool {
        assert_eq!(
            home.numel(),
            self.numel(),
            "relocate_into: {:?} into {:?}",
            self.shape,
            home.shape
        );
        let movable = self.offset == 0
            && self.numel() == self.storage.numel
            && self.storage.moved.get().is_none()
            && !self.storage.hosts.load(Ordering::Relaxed)
            && home.storage.moved.get().is_none()
            && !self.same_storage(home);
        if !movable {
            return false;
        }
        home.storage.hosts.store(true, Ordering::Relaxed);
        home.copy_from(self);
        self.storage.staged.clear();
        let home = Tensor {
            shape: vec![home.numel()],
            storage: home.storage.clone(),
            offset: home.offset,
        };
        self.storage.moved.set(home).is_ok()
    }

    /// The storage the elements live in (another's after [`Tensor::relocate_into`]).
    fn home_storage(&self) -> &Storage {
        self.storage
            .moved
            .get()
            .map_or(&self.storage, |home| &home.storage)
    }

    /// Counts a write recorded into this tensor's storage: copies, clears and queue writes
    /// count themselves, a dispatch counts each tensor it binds writable. A staged copy of
    /// the storage made before the write no longer serves. Called while the recorder that
    /// recorded the write is still held, so that no staging on another thread can fall
    /// between the write and its count.
    pub(crate) fn mark_written(&self) {
        self.home_storage().writes.fetch_add(1, Ordering::Relaxed);
    }

    /// The staged copies of this tensor's storage and its write count now.
    pub(crate) fn staged_copies(&self) -> (&StagedCopies, u64) {
        let home = self.home_storage();
        (&home.staged, home.writes.load(Ordering::Relaxed))
    }

    /// What a dispatch binds for this tensor: its range of its buffer.
    pub(crate) fn resource(&self) -> Resource<'_> {
        Resource::Buffer(self.buffer(), self.byte_offset(), self.byte_len())
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?}", self.shape)
    }
}
