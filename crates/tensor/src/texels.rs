//! Tensors staged in rgba32float textures, for kernels that read them with `textureLoad`.
//!
//! On CPU adapters (lavapipe) every storage-buffer load is a loop over the subgroup's lanes
//! with a bounds check per float, while a texel fetch gathers four floats per lane in one go;
//! GEMM reads its operands this way there (`ops::gemm`, variant `Texel`). Kernels bind the
//! textures as read-only storage textures (`texture_storage_2d<rgba32float, read>`), not as
//! sampled ones: lavapipe's image load is the cheaper fetch (the texel GEMM gained about 10 %,
//! a DVAAN step 10–20 %). Staging is a plain buffer-to-texture copy recorded in the shared
//! encoder, no kernel: the flat f32 data fills the texture row-major, [`TEXELS_PER_ROW`] texels
//! per row, so flat float `f` sits in texel `t = f / 4` at
//! `(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW)`, component `f % 4`.
//!
//! A kernel may also write a staging texture itself ([`Gpu::texel_target`], as a storage
//! texture in the same layout) where the data needs rearranging anyway: the convolutions'
//! channels-last operands (`ops::conv`, variant `Texel`). Shaders find the layout in
//! `shaders/prelude/texel_layout.wgsl`.
//!
//! Memory-bound kernels (batch norm, element-wise maps, the conv layout kernels) read
//! their inputs the same way on CPU adapters ([`Gpu::texel_reads`]): each has a texel twin,
//! its own shader (`shaders/*_texel.wgsl`) whose kernels bind the staged copies where the
//! buffer kernels bind the buffers, and falls back to its buffers for tensors that are not
//! whole texels and on GPUs, where storage loads are cheap; a buffer kernel declares no
//! texture.
//!
//! Textures are lent like pooled buffers: a [`Texels`] belongs to its holders until the last
//! drops it, which an op does only after recording the dispatches that read it; the next op,
//! on any thread, may then overwrite it, because commands run in recording order. Two
//! operands of one op are two leases, hence two textures, unless they are one staged range
//! (then one texture, bound read-only twice). A steady state creates none.
//!
//! A staged copy is also kept with the tensor's storage until the storage is written again
//! (`texel_pool::StagedCopies`): a batch norm's backward reads the x its forward staged, a product's
//! backward the operands its forward staged, without a second copy. Every write to a storage
//! goes through a copy, a clear, a queue write or a kernel's writable binding, and each of
//! those counts it (`Tensor::mark_written`), so a kept copy is never stale.

use std::cell::Cell;

use crate::texel_pool::Texels;
use crate::{AdapterClass, Gpu, Tensor};

/// Texture width in texels (4096 floats): 16 KiB per row, a multiple of the 256-byte row
/// alignment that buffer-to-texture copies require.
pub const TEXELS_PER_ROW: u32 = 1024;

thread_local! {
    static FORCED_READS: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Runs `f` with memory-bound kernels on this thread reading their inputs through staging
/// textures (`Some(true)`), from their buffers (`Some(false)`), or as the adapter prefers
/// (`None`): lets tests hold both paths to the reference on any adapter.
pub fn with_texel_reads<R>(reads: Option<bool>, f: impl FnOnce() -> R) -> R {
    crate::scoped::with_local(&FORCED_READS, reads, f)
}

impl Gpu {
    /// Whether a tensor of `numel` floats can be staged: a whole number of texels, and few
    /// enough rows for the adapter's largest 2-d texture.
    pub fn texels_fit(&self, numel: usize) -> bool {
        let rows = numel.div_ceil(4 * TEXELS_PER_ROW as usize);
        numel.is_multiple_of(4) && rows <= self.limits().max_texture_dimension_2d as usize
    }

    /// `tensor` in a staging texture: the copy staged before if its storage has not been
    /// written since, else a copy recorded now (and kept with the storage). Keep it until the
    /// dispatches that read it are recorded. Panics unless [`Gpu::texels_fit`].
    pub fn stage_texels(&self, tensor: &Tensor) -> Texels {
        let numel = tensor.numel();
        assert!(
            self.texels_fit(numel),
            "stage_texels: {:?} is not a whole number of texels within the adapter's texture size",
            tensor.shape()
        );
        // Held from reading the write count to keeping the copy, as every write holds it
        // until it is counted, so that no write can fall in between.
        let mut rec = self.recorder();
        let (copies, writes) = tensor.staged_copies();
        if let Some(kept) = copies.find(tensor.byte_offset(), numel, writes) {
            return kept;
        }
        let lent = self.lend_texels(numel);
        let texture = lent.texture();
        let texels = (numel / 4) as u32;
        let full_rows = texels / TEXELS_PER_ROW;
        let rest = texels % TEXELS_PER_ROW;
        let row_bytes = TEXELS_PER_ROW * 16;
        let encoder = rec.encoder(self.device());
        let mut copy = |first_row: u32, width: u32, height: u32| {
            encoder.copy_buffer_to_texture(
                wgpu::TexelCopyBufferInfo {
                    buffer: tensor.buffer(),
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: tensor.byte_offset() + first_row as u64 * row_bytes as u64,
                        bytes_per_row: Some(row_bytes),
                        rows_per_image: Some(height),
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d {
                        x: 0,
                        y: first_row,
                        z: 0,
                    },
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
            );
        };
        if full_rows > 0 {
            copy(0, TEXELS_PER_ROW, full_rows);
        }
        if rest > 0 {
            copy(full_rows, rest, 1);
        }
        rec.count_staging();
        copies.keep(tensor.byte_offset(), numel, writes, lent.clone());
        drop(rec);
        lent
    }

    /// A lent staging texture for `numel` floats, staging nothing: a kernel writes it as a
    /// `texture_storage_2d<rgba32float, write>` in the same layout (flat float `f` in texel
    /// `f / 4`), and a later kernel reads it like a staged tensor. That spares a buffer and
    /// the copy. Panics unless [`Gpu::texels_fit`].
    pub fn texel_target(&self, numel: usize) -> Texels {
        assert!(
            self.texels_fit(numel),
            "texel_target: {numel} floats are not a whole number of texels within the \
             adapter's texture size"
        );
        self.lend_texels(numel)
    }

    /// Whether memory-bound kernels read their large inputs through staging textures: on CPU
    /// adapters, where a texel fetch costs about a third of a storage-buffer load of one
    /// float (lavapipe), unless [`with_texel_reads`] says otherwise on this thread.
    pub fn prefers_texel_reads(&self) -> bool {
        FORCED_READS
            .with(Cell::get)
            .unwrap_or(self.summary().class == AdapterClass::Cpu)
    }

    /// `inputs` staged for a kernel that reads them as texels, when this adapter prefers
    /// texel reads and every input is whole texels; None otherwise.
    pub fn texel_reads(&self, inputs: &[&Tensor]) -> Option<Vec<Texels>> {
        let fit = inputs
            .iter()
            .all(|t| t.numel() > 0 && self.texels_fit(t.numel()));
        (self.prefers_texel_reads() && fit)
            .then(|| inputs.iter().map(|t| self.stage_texels(t)).collect())
    }

    /// A lent texture with room for `numel` floats.
    fn lend_texels(&self, numel: usize) -> Texels {
        let rows = ((numel / 4) as u32).div_ceil(TEXELS_PER_ROW).max(1);
        let idle = self.texel_pool().take(rows);
        let texture = idle.unwrap_or_else(|| {
            self.texel_pool().count_created();
            let texture = self.device().create_texture(&wgpu::TextureDescriptor {
                label: Some("staged texels"),
                size: wgpu::Extent3d {
                    width: TEXELS_PER_ROW,
                    height: rows,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba32Float,
                usage: wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            });
            let view = texture.create_view(&Default::default());
            (texture, view)
        });
        Texels::new(self.texel_pool_handle().clone(), rows, texture)
    }
}
