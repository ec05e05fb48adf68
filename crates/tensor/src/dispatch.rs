//! The one way a kernel runs: [`Dispatch`] names a shader entry point, its override
//! constants, a small parameter struct and the tensors it binds, and records it into the
//! device's shared command encoder. Nothing reaches the GPU until [`Gpu::flush`] (or a
//! readback) submits the encoder, so a chain of ops costs one submit.
//!
//! Binding convention, followed by every shader in `shaders/`:
//! `@group(0) @binding(0)` is the entry's parameter struct (`var<uniform>`), and bindings
//! 1, 2, … are the tensors in the order they are added with [`Dispatch::arg`]. Each entry
//! point must use every binding it declares, because layouts are derived from the shader.
//!
//! Parameters of all dispatches of one submit live in a single uniform "arena" buffer at
//! aligned offsets, written once just before the submit: no buffer is created per dispatch.

use std::sync::atomic::Ordering;

use crate::gpu::Inner;
use crate::{Gpu, Shader, Tensor};

const ARENA_BYTES: u64 = 1 << 20;

pub(crate) struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    params: Vec<u8>,
    arena: wgpu::Buffer,
    align: u64,
    pub dispatches: u64,
    pub submits: u64,
}

impl Recorder {
    pub fn new(device: &wgpu::Device, limits: &wgpu::Limits) -> Recorder {
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("parameter arena"),
            size: ARENA_BYTES,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Recorder {
            encoder: None,
            params: Vec::new(),
            arena,
            align: limits.min_uniform_buffer_offset_alignment as u64,
            dispatches: 0,
            submits: 0,
        }
    }

    pub fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        })
    }

    pub fn has_pending(&self) -> bool {
        self.encoder.is_some()
    }

    /// Submits everything recorded so far.
    pub fn submit(&mut self, queue: &wgpu::Queue) {
        if let Some(encoder) = self.encoder.take() {
            if !self.params.is_empty() {
                queue.write_buffer(&self.arena, 0, &self.params);
                self.params.clear();
            }
            queue.submit([encoder.finish()]);
            self.submits += 1;
        }
    }

    /// Reserves space for one dispatch's parameters; returns (offset, size) in the arena.
    fn stage_params(&mut self, inner: &Inner, bytes: &[u8]) -> (u64, u64) {
        let size = (bytes.len() as u64).div_ceil(16).max(1) * 16;
        let offset = (self.params.len() as u64).div_ceil(self.align) * self.align;
        if offset + size > ARENA_BYTES {
            self.submit(&inner.queue);
            return self.stage_params(inner, bytes);
        }
        self.params.resize(offset as usize, 0);
        self.params.extend_from_slice(bytes);
        self.params.resize((offset + size) as usize, 0);
        (offset, size)
    }
}

/// A binding after the parameters: a tensor's storage buffer, or a staged texture
/// ([`Gpu::stage_texels`]).
enum Arg<'a> {
    Tensor(&'a Tensor),
    Texels(&'a wgpu::TextureView),
}

/// One kernel launch, built up and then [`run`](Dispatch::run).
///
/// ```ignore
/// Dispatch::new(&SHADER, "add")
///     .params(&Params { n })
///     .arg(&a).arg(&b).arg(&out)
///     .groups(grid_1d(n, 256))
///     .run(&gpu);
/// ```
pub struct Dispatch<'a> {
    shader: &'a Shader,
    entry: &'a str,
    constants: Vec<(&'a str, f64)>,
    params: Vec<u8>,
    args: Vec<Arg<'a>>,
    groups: [u32; 3],
}

impl<'a> Dispatch<'a> {
    pub fn new(shader: &'a Shader, entry: &'a str) -> Self {
        Dispatch {
            shader,
            entry,
            constants: Vec::new(),
            params: Vec::new(),
            args: Vec::new(),
            groups: [1, 1, 1],
        }
    }

    /// A WGSL `override` constant (tile size, workgroup size, …).
    pub fn constant(mut self, name: &'a str, value: f64) -> Self {
        self.constants.push((name, value));
        self
    }

    /// The entry's uniform parameter struct, bound at binding 0.
    pub fn params<P: bytemuck::Pod>(mut self, params: &P) -> Self {
        self.params = bytemuck::bytes_of(params).to_vec();
        self
    }

    /// The next binding (1, 2, …): a storage buffer.
    pub fn arg(mut self, tensor: &'a Tensor) -> Self {
        self.args.push(Arg::Tensor(tensor));
        self
    }

    /// The next binding: a texture made by [`Gpu::stage_texels`].
    pub fn texels(mut self, view: &'a wgpu::TextureView) -> Self {
        self.args.push(Arg::Texels(view));
        self
    }

    pub fn groups(mut self, groups: [u32; 3]) -> Self {
        self.groups = groups;
        self
    }

    /// Records the dispatch. Empty grids (zero-sized tensors) record nothing.
    pub fn run(self, gpu: &Gpu) {
        if self.groups.contains(&0) {
            return;
        }
        let max = gpu.0.limits.max_compute_workgroups_per_dimension;
        assert!(
            self.groups.iter().all(|&g| g <= max),
            "{}::{}: grid {:?} exceeds the device's {max} workgroups per dimension",
            self.shader.name,
            self.entry,
            self.groups
        );
        for arg in &self.args {
            let Arg::Tensor(t) = arg else { continue };
            assert!(
                t.gpu().same(gpu),
                "{}::{}: tensor from another device",
                self.shader.name,
                self.entry
            );
        }
        let inner = &*gpu.0;
        let compiled = inner.pipelines.lock().unwrap().get(
            &inner.device,
            self.shader,
            self.entry,
            &self.constants,
        );
        // After compilation, so a profile counts only execution.
        let profiled = gpu.profile_start();
        let mut rec = inner.recorder.lock().unwrap();
        let params = if self.params.is_empty() {
            vec![0u8; 16]
        } else {
            self.params
        };
        let (offset, size) = rec.stage_params(inner, &params);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &rec.arena,
                offset,
                size: std::num::NonZeroU64::new(size),
            }),
        }];
        for (i, arg) in self.args.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: match arg {
                    Arg::Tensor(t) => t.binding(),
                    Arg::Texels(view) => wgpu::BindingResource::TextureView(view),
                },
            });
        }
        let bind_group = inner.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &compiled.layout,
            entries: &entries,
        });
        let encoder = rec.encoder(&inner.device);
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: None,
            });
            pass.set_pipeline(&compiled.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(self.groups[0], self.groups[1], self.groups[2]);
        }
        rec.dispatches += 1;
        drop(rec);
        if let Some(start) = profiled {
            gpu.profile_end(start, self.shader.name, self.entry);
        }
    }
}

/// Workgroups for `n` threads in groups of `workgroup` along x, folded into y when x would
/// exceed the 65,535-per-dimension limit. Shaders recover the linear index as
/// `gid.x + gid.y * num_workgroups.x * WORKGROUP`.
pub fn grid_1d(n: usize, workgroup: u32) -> [u32; 3] {
    let groups = (n as u64).div_ceil(workgroup as u64);
    if groups <= 65_535 {
        [groups as u32, 1, 1]
    } else {
        let x = 65_535u64;
        [x as u32, groups.div_ceil(x) as u32, 1]
    }
}

/// Engine activity so far; tests diff two snapshots to prove a steady state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub buffers_created: u64,
    pub bytes_created: u64,
    pub buffer_reuses: u64,
    pub pipelines_created: u64,
    /// Staging textures ([`Gpu::stage_texels`]); like buffers, none in a steady state.
    pub textures_created: u64,
    pub dispatches: u64,
    pub submits: u64,
    pub readbacks: u64,
    pub uploads: u64,
    /// Nominal floating-point operations of the GEMMs and convolutions recorded: 2·M·N·K
    /// per product, 2·N·O·OH·OW·C·KH·KW per convolution op (padding taps included, the
    /// work a direct convolution does); for effective rates in benches.
    pub flops: u64,
}

impl Gpu {
    /// Submits all recorded work without waiting for it.
    pub fn flush(&self) {
        let inner = &*self.0;
        inner.recorder.lock().unwrap().submit(&inner.queue);
    }

    /// Submits all recorded work and waits until the GPU has finished it.
    pub fn sync(&self) {
        self.flush();
        self.0
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("the GPU device was lost while waiting for work to finish");
    }

    /// Compiles a pipeline now (it is cached), so a later first dispatch is not slowed by
    /// shader compilation: useful before timing, and to check a shader on this adapter.
    pub fn prepare(&self, shader: &Shader, entry: &str, constants: &[(&str, f64)]) {
        let inner = &*self.0;
        inner
            .pipelines
            .lock()
            .unwrap()
            .get(&inner.device, shader, entry, constants);
    }

    pub fn counters(&self) -> Counters {
        let inner = &*self.0;
        let (buffers_created, bytes_created, buffer_reuses) = {
            let p = inner.pool.lock().unwrap();
            (p.buffers_created, p.bytes_created, p.reuses)
        };
        let pipelines_created = inner.pipelines.lock().unwrap().created;
        let textures_created = inner.texels.lock().unwrap().created;
        let (dispatches, submits) = {
            let r = inner.recorder.lock().unwrap();
            (r.dispatches, r.submits)
        };
        Counters {
            buffers_created,
            bytes_created,
            buffer_reuses,
            pipelines_created,
            textures_created,
            dispatches,
            submits,
            readbacks: inner.readbacks.load(Ordering::Relaxed),
            uploads: inner.uploads.load(Ordering::Relaxed),
            flops: inner.flops.load(Ordering::Relaxed),
        }
    }

    /// Adds an op's nominal floating-point operations to [`Counters::flops`].
    pub(crate) fn count_flops(&self, flops: usize) {
        self.0.flops.fetch_add(flops as u64, Ordering::Relaxed);
    }

    /// Bytes of idle pooled buffers; [`Gpu::trim_pool`] releases them.
    pub fn pool_idle_bytes(&self) -> u64 {
        self.0.pool.lock().unwrap().idle_bytes()
    }

    /// Releases idle pooled buffers and the staging textures (work already recorded keeps
    /// what it uses alive).
    pub fn trim_pool(&self) {
        self.0.texels.lock().unwrap().clear();
        self.0.pool.lock().unwrap().trim();
    }
}
