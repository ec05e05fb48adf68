//! [`Variant::Tiled`](super::Variant::Tiled)'s tile shape: the `override` constants of
//! `shaders/conv_tiled.wgsl`, which the host passes at dispatch so that another shape needs
//! no rebuild, and what the shape asks of the adapter.

use crate::Gpu;

/// The output tile of one workgroup of the workgroup-tiled conv kernel (`m` rows p x `n`
/// columns q, 4x4 outputs per invocation, so `m*n/16` invocations) and the reduction terms
/// `k` it stages in workgroup memory per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiles {
    m: u32,
    n: u32,
    k: u32,
}

impl Tiles {
    /// 64x64 outputs by 256 invocations, 16 terms per step. 256 invocations (8 warps of 32)
    /// give each multiprocessor several independent warps to switch between; 16 outputs per
    /// invocation take 16 multiply-adds per two vec4 reads of workgroup memory; the two
    /// panels (8.4 KB) leave room for several workgroups per multiprocessor within the
    /// 48 KB a workgroup may have on NVIDIA's Vulkan driver; 16 terms per step make one
    /// invocation's H reads (16 consecutive terms of a row) contiguous.
    pub const DEFAULT: Tiles = Tiles {
        m: 64,
        n: 64,
        k: 16,
    };

    /// The shapes a tile sweep (`gpu_sweep` in the benches) tries, each tested against the
    /// f64 reference: square and oblong tiles of 64 to 1024 invocations, 8 or 16 terms per
    /// step, all within the half of lavapipe's workgroup memory that [`Tiles::fit`] allows,
    /// so that the tests run each one. A sweep's winner for an adapter class goes into
    /// [`Variant::best`](super::Variant::best).
    pub const SWEEP: &'static [Tiles] = &[
        Tiles { m: 32, n: 32, k: 8 },
        Tiles { m: 64, n: 32, k: 8 },
        Tiles { m: 32, n: 64, k: 8 },
        Tiles { m: 64, n: 64, k: 8 },
        Tiles::DEFAULT,
        Tiles {
            m: 32,
            n: 32,
            k: 16,
        },
        Tiles {
            m: 128,
            n: 64,
            k: 16,
        },
        Tiles {
            m: 64,
            n: 128,
            k: 16,
        },
        Tiles {
            m: 128,
            n: 128,
            k: 8,
        },
        Tiles {
            m: 128,
            n: 32,
            k: 8,
        },
        Tiles {
            m: 32,
            n: 128,
            k: 8,
        },
    ];

    /// The tile `m x n` with `k` terms per step, if the kernel can run it: `m` a multiple
    /// of 4, `n` a multiple of 16, both at most 1024, `k` at least 1 and dividing the
    /// invocation count `m*n/16`. (Whether an adapter runs it is [`Tiles::fit`].)
    pub fn new(m: u32, n: u32, k: u32) -> Result<Tiles, String> {
        let sizes = (4..=1024).contains(&m)
            && m.is_multiple_of(4)
            && (16..=1024).contains(&n)
            && n.is_multiple_of(16)
            && k >= 1;
        if !sizes || !(m * n / 16).is_multiple_of(k) {
            return Err(format!(
                "conv tiles {m}x{n}, {k} terms per step: m must be a multiple of 4 and n of 16, \
                 both at most 1024, and k must divide the invocation count m*n/16"
            ));
        }
        Ok(Tiles { m, n, k })
    }

    pub fn m(self) -> u32 {
        self.m
    }

    pub fn n(self) -> u32 {
        self.n
    }

    pub fn k(self) -> u32 {
        self.k
    }

    pub(super) fn invocations(self) -> u32 {
        self.m * self.n / 16
    }

    /// Bytes of workgroup memory one workgroup declares: the G panel (k x m floats) and the
    /// H panel (k rows of n floats, each padded by 4).
    pub fn workgroup_bytes(self) -> u32 {
        4 * self.k * (self.m + self.n + 4)
    }

    /// Whether `gpu` can run a workgroup of this shape. The kernel keeps to half of the
    /// adapter's workgroup memory, so several workgroups can share a multiprocessor.
    pub fn fit(self, gpu: &Gpu) -> bool {
        let limits = gpu.limits();
        self.invocations() <= limits.max_compute_invocations_per_workgroup
            && self.m / 4 <= limits.max_compute_workgroup_size_x
            && self.n / 4 <= limits.max_compute_workgroup_size_y
            && self.workgroup_bytes() <= limits.max_compute_workgroup_storage_size / 2
    }

    /// Reduction terms one invocation may walk: lavapipe stops a shader after 65,535 loop
    /// iterations in all, and a step of `k` terms costs 1 + k (multiply-adds) + 16k/n (H
    /// loads) + 16k/m (G loads) of them; half that budget leaves a margin.
    pub(super) fn max_steps(self) -> usize {
        let per_step = 1 + self.k + (16 * self.k).div_ceil(self.n) + (16 * self.k).div_ceil(self.m);
        (32_768 / per_step as usize).max(1) * self.k as usize
    }
}
