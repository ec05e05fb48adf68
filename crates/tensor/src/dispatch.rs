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
//! aligned offsets, written once just before the submit (`recorder.rs`): no buffer is
//! created per dispatch. Bind groups are kept and reused when a dispatch binds the same
//! resources again (`bind_groups.rs`; the parameters' slot is a dynamic offset, not part of
//! the bind group), and consecutive dispatches share one compute pass.

use smallvec::SmallVec;

use crate::bind_groups::Resource;
use crate::recorder::CapturedDispatch;
use crate::{Gpu, Shader, Tensor};

/// Inline room for a dispatch's parameter bytes (128) and its resources (9), so that
/// recording one allocates less; a larger one spills to the heap. The fields of
/// [`Dispatch`] that borrow stay `Vec`s, whose drop, unlike an inline array's, lets the
/// borrowed values die first (a caller may declare the tensors it binds after the
/// `Dispatch`).
type Inline<T, const N: usize> = SmallVec<[T; N]>;

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
    params: Inline<u8, 128>,
    args: Vec<Arg<'a>>,
    groups: [u32; 3],
}

impl<'a> Dispatch<'a> {
    pub fn new(shader: &'a Shader, entry: &'a str) -> Self {
        Dispatch {
            shader,
            entry,
            constants: Vec::new(),
            params: Inline::new(),
            args: Vec::with_capacity(4),
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
        self.params = Inline::from_slice(bytemuck::bytes_of(params));
        self
    }

    /// The next binding (1, 2, …): a storage buffer.
    pub fn arg(mut self, tensor: &'a Tensor) -> Self {
        self.args.push(Arg::Tensor(tensor));
        self
    }

    /// The next binding if there is one: for an entry point that declares one binding more
    /// than its sibling (e.g. `gemm_texel_row_sums` beside `gemm_texel`).
    pub fn arg_if(self, tensor: Option<&'a Tensor>) -> Self {
        match tensor {
            Some(t) => self.arg(t),
            None => self,
        }
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
        let max = gpu.limits().max_compute_workgroups_per_dimension;
        assert!(
            self.groups.iter().all(|&g| g <= max),
            "{}::{}: grid {:?} exceeds the device's {max} workgroups per dimension",
            self.shader.name,
            self.entry,
            self.groups
        );
        let compiled = gpu
            .pipelines()
            .get(gpu.device(), self.shader, self.entry, &self.constants);
        for arg in &self.args {
            let Arg::Tensor(t) = arg else { continue };
            assert!(
                t.gpu().same(gpu),
                "{}::{}: tensor from another device",
                self.shader.name,
                self.entry
            );
        }
        // After compilation, so a profile counts only execution.
        let profiled = gpu.profile_start();
        let mut rec = gpu.recorder();
        // An entry without parameters still binds a (zeroed) 16-byte struct.
        let params: &[u8] = if self.params.is_empty() {
            &[0; 16]
        } else {
            &self.params
        };
        let (offset, size) = rec.stage_params(gpu.queue(), params);
        let mut resources: Inline<Resource, 9> = Inline::new();
        // The parameters' binding is the arena's first `size` bytes, moved to this dispatch's
        // slot by a dynamic offset, so the bind group does not depend on the slot.
        resources.push(Resource::Buffer(rec.arena(), 0, size));
        resources.extend(self.args.iter().map(|arg| match arg {
            Arg::Tensor(t) => t.resource(),
            Arg::Texels(view) => Resource::Texels(view),
        }));
        let bind_group =
            gpu.bind_groups()
                .get(gpu.device(), &compiled.layout, compiled.id, &resources);
        drop(resources);
        let pass = rec.pass(gpu.device());
        pass.set_pipeline(&compiled.pipeline);
        pass.set_bind_group(0, &bind_group, &[offset as u32]);
        pass.dispatch_workgroups(self.groups[0], self.groups[1], self.groups[2]);
        rec.count_dispatch();
        rec.capture(|| CapturedDispatch {
            pipeline: compiled.pipeline.clone(),
            bind_group,
            offset: offset as u32,
            groups: self.groups,
        });
        for (binding, arg) in (1..).zip(&self.args) {
            match arg {
                Arg::Tensor(t) if compiled.writes & 1 << binding != 0 => t.mark_written(),
                _ => {}
            }
        }
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
    /// Bind groups made for dispatches; none in a steady state, where each dispatch binds
    /// what the same dispatch of the previous step bound.
    pub bind_groups_created: u64,
    /// Staging textures ([`Gpu::stage_texels`]); like buffers, none in a steady state.
    pub textures_created: u64,
    pub dispatches: u64,
    /// Compute passes begun: consecutive dispatches share one, and each copy or clear
    /// ends it. Both cost the host more than a dispatch recorded into an open pass.
    pub passes: u64,
    /// Copies and clears recorded in the encoder (staging textures, region copies, fills).
    pub transfers: u64,
    /// Of `transfers`, the tensors copied into staging textures ([`Gpu::stage_texels`]).
    pub stagings: u64,
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
        self.recorder().submit(self.queue());
    }

    /// Submits all recorded work and calls `done` once the GPU has finished it, without
    /// waiting and without a readback: for progress that follows the GPU rather than the
    /// host's recording. wgpu runs such callbacks only while the device is polled, so this
    /// polls once without blocking (running the callbacks of work already finished); a
    /// later [`Gpu::poll`], [`Gpu::sync`] or readback runs the rest.
    pub fn flush_then(&self, done: impl FnOnce() + Send + 'static) {
        self.flush();
        self.queue().on_submitted_work_done(done);
        self.poll();
    }

    /// Runs the callbacks of finished work (see [`Gpu::flush_then`]) without waiting for any.
    pub fn poll(&self) {
        // Polling only asks what has finished; a lost device is reported by the next
        // blocking call, which has a caller to tell.
        let _ = self.device().poll(wgpu::PollType::Poll);
    }

    /// Submits all recorded work and waits until the GPU has finished it.
    pub fn sync(&self) {
        self.flush();
        self.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("the GPU device was lost while waiting for work to finish");
    }

    /// Compiles a pipeline now (it is cached), so a later first dispatch is not slowed by
    /// shader compilation: useful before timing, and to check a shader on this adapter.
    pub fn prepare(&self, shader: &Shader, entry: &str, constants: &[(&str, f64)]) {
        self.pipelines()
            .get(self.device(), shader, entry, constants);
    }

    pub fn counters(&self) -> Counters {
        let (buffers_created, bytes_created, buffer_reuses) = {
            let p = self.pool();
            (p.buffers_created, p.bytes_created, p.reuses)
        };
        let pipelines_created = self.pipelines().created;
        let bind_groups_created = self.bind_groups().created;
        let textures_created = self.texel_pool().created();
        let [dispatches, passes, transfers, stagings, submits] = self.recorder().counts();
        let tally = self.tally();
        Counters {
            buffers_created,
            bytes_created,
            buffer_reuses,
            pipelines_created,
            bind_groups_created,
            textures_created,
            dispatches,
            passes,
            transfers,
            stagings,
            submits,
            readbacks: tally.readbacks(),
            uploads: tally.uploads(),
            flops: tally.flops(),
        }
    }

    /// Adds an op's nominal floating-point operations to [`Counters::flops`].
    pub(crate) fn count_flops(&self, flops: usize) {
        self.tally().add_flops(flops as u64);
    }

    /// Bytes of idle pooled buffers; [`Gpu::trim_pool`] releases them.
    pub fn pool_idle_bytes(&self) -> u64 {
        self.pool().idle_bytes()
    }

    /// Releases idle pooled buffers, the idle staging textures and the kept bind groups (work
    /// already recorded keeps what it uses alive, and a live tensor its staged copies).
    pub fn trim_pool(&self) {
        self.bind_groups().clear();
        self.texel_pool().clear();
        self.pool().trim();
    }
}
