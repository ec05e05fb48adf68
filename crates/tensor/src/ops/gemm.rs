//! Matrix multiply with optional transposed operands and a fused bias:
//! `C[M,N] = op(A) · op(B) + bias`, `C[i,j] = Σₖ op(A)[i,k] · op(B)[k,j] + bias[j]`.
//! Kernels: `shaders/gemm.wgsl`. CPU reference: [`reference`].
//!
//! Four variants compute the same sums (each output one serial K-term sum, so every variant
//! is deterministic, though variants may differ from each other in the last bits):
//! [`GemmVariant::Subgroup`] for CPU adapters such as lavapipe, where loads are costly and
//! shared memory and barriers hurt; [`GemmVariant::Texel`], the same tiling reading its
//! operands from staged textures (`crate::texels`), which lavapipe fetches four floats at a
//! time, for shapes whose dimensions allow it; [`GemmVariant::Tiled`] (shared memory) for real
//! GPUs; [`GemmVariant::Naive`] as the plain baseline. [`matmul`] picks with
//! [`default_variant`] and [`GemmVariant::fits`].

use crate::{shader, Dispatch, Gpu, Shader, Tensor, TEXELS_PER_ROW};

const SHADER: Shader = shader!("gemm");

/// Workgroup edge of the naive kernel (`NAIVE_WG` in the shader).
const NAIVE_WG: usize = 16;
/// Workgroup edge of the tiled kernel; each invocation computes 4x4 outputs.
const TILE_WG: usize = 16;
/// Rows of C per subgroup-kernel workgroup, and columns per invocation (fixed in the shader).
const SG_ROWS: usize = 64;
const SG_COLS: usize = 8;
/// The texel kernel's taller tile (`TEXEL_ROWS`), used from this many rows of C up: it
/// needs two row blocks, or one of lavapipe's two threads would sit idle on square-ish
/// products. At 1024³ on lavapipe it is ≈ 10 % faster per CPU-second than 64 rows.
const TEXEL_TALL_ROWS: usize = 128;
const TEXEL_TALL_FROM: usize = 2 * TEXEL_TALL_ROWS;
/// The subgroup kernel broadcasts from lanes 0..8.
const SG_MIN: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmVariant {
    Naive,
    Tiled,
    Subgroup,
    Texel,
}

impl GemmVariant {
    pub const ALL: [GemmVariant; 4] = [
        GemmVariant::Naive,
        GemmVariant::Tiled,
        GemmVariant::Subgroup,
        GemmVariant::Texel,
    ];

    /// Whether this variant can run on `gpu`.
    pub fn supported(self, gpu: &Gpu) -> bool {
        match self {
            GemmVariant::Subgroup | GemmVariant::Texel => {
                gpu.has_subgroups() && gpu.summary().subgroup_min_size >= SG_MIN
            }
            _ => true,
        }
    }

    /// Whether this variant takes an `M x N x K` product with these transposes. Only
    /// [`GemmVariant::Texel`] is particular: each quad of floats it fetches must be one whole
    /// texel (K and the rows of a transposed A are multiples of 4), it stores C in aligned
    /// quads (N is a multiple of 4), and each operand must fit the adapter's texture size.
    #[allow(clippy::too_many_arguments)]
    pub fn fits(
        self,
        gpu: &Gpu,
        m: usize,
        n: usize,
        k: usize,
        trans_a: bool,
        _trans_b: bool,
    ) -> bool {
        match self {
            GemmVariant::Texel => {
                k.is_multiple_of(4)
                    && (!trans_a || m.is_multiple_of(4))
                    && n.is_multiple_of(4)
                    && gpu.texels_fit(m * k)
                    && gpu.texels_fit(k * n)
            }
            _ => true,
        }
    }
}

/// The texel kernel on CPU adapters that have subgroups of at least 8 (shapes it does not
/// fit run the subgroup kernel), the tiled kernel everywhere else.
pub fn default_variant(gpu: &Gpu) -> GemmVariant {
    if gpu.summary().device_type == "Cpu" && GemmVariant::Texel.supported(gpu) {
        GemmVariant::Texel
    } else {
        GemmVariant::Tiled
    }
}

/// (M, N, K) of `op(a) · op(b)`, unchecked.
fn dims(a: &Tensor, b: &Tensor, trans_a: bool, trans_b: bool) -> (usize, usize, usize) {
    let (m, k) = match (a.shape(), trans_a) {
        ([r, c], false) => (*r, *c),
        ([r, c], true) => (*c, *r),
        _ => (0, 0),
    };
    let n = match (b.shape(), trans_b) {
        ([_, c], false) => *c,
        ([r, _], true) => *r,
        _ => 0,
    };
    (m, n, k)
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

/// `op(a) · op(b) (+ bias)`: `a` is [M,K] ([K,M] if `trans_a`), `b` is [K,N] ([N,K] if
/// `trans_b`), `bias` is [N] and added to every row; the result is [M,N].
pub fn matmul(
    a: &Tensor,
    b: &Tensor,
    trans_a: bool,
    trans_b: bool,
    bias: Option<&Tensor>,
) -> Tensor {
    let gpu = a.gpu();
    let (m, n, k) = dims(a, b, trans_a, trans_b);
    let mut variant = default_variant(gpu);
    if !variant.fits(gpu, m, n, k, trans_a, trans_b) {
        variant = GemmVariant::Subgroup;
    }
    matmul_with(a, b, trans_a, trans_b, bias, variant)
}

/// [`matmul`] with an explicit kernel variant (tests and benches compare them).
pub fn matmul_with(
    a: &Tensor,
    b: &Tensor,
    trans_a: bool,
    trans_b: bool,
    bias: Option<&Tensor>,
    variant: GemmVariant,
) -> Tensor {
    let shapes = || {
        format!(
            "a {:?} (trans {trans_a}), b {:?} (trans {trans_b})",
            a.shape(),
            b.shape()
        )
    };
    assert!(
        a.shape().len() == 2 && b.shape().len() == 2,
        "matmul: operands must be 2-d, got {}",
        shapes()
    );
    let (m, k) = if trans_a {
        (a.dim(1), a.dim(0))
    } else {
        (a.dim(0), a.dim(1))
    };
    let (kb, n) = if trans_b {
        (b.dim(1), b.dim(0))
    } else {
        (b.dim(0), b.dim(1))
    };
    assert_eq!(k, kb, "matmul: inner dimensions differ: {}", shapes());
    if let Some(bias) = bias {
        assert_eq!(
            bias.shape(),
            &[n],
            "matmul: bias {:?} must be [{n}] for {}",
            bias.shape(),
            shapes()
        );
    }
    let gpu = a.gpu();
    assert!(
        variant.supported(gpu),
        "matmul: variant {variant:?} is not supported on {}",
        gpu.summary()
    );
    assert!(
        variant.fits(gpu, m, n, k, trans_a, trans_b),
        "matmul: variant {variant:?} does not take {}",
        shapes()
    );
    let max = u32::MAX as usize;
    assert!(
        m <= max && n <= max && k <= max,
        "matmul: dimensions too large: {}",
        shapes()
    );
    let out = Tensor::uninit(gpu, &[m, n]);
    if m * n == 0 {
        return out;
    }
    gpu.count_flops(2 * m * n * k);
    // K = 0 still runs: every sum is empty and the output is the bias (or zero).
    let params = Params {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        _pad: 0,
    };
    let texel_rows = if m >= TEXEL_TALL_FROM {
        TEXEL_TALL_ROWS
    } else {
        SG_ROWS
    };
    let (entry, groups, wg_name, wg) = match variant {
        GemmVariant::Naive => (
            "gemm_naive",
            [n.div_ceil(NAIVE_WG), m.div_ceil(NAIVE_WG)],
            "NAIVE_WG",
            NAIVE_WG,
        ),
        GemmVariant::Tiled => {
            let span = 4 * TILE_WG;
            (
                "gemm_tiled",
                [n.div_ceil(span), m.div_ceil(span)],
                "TILE_WG",
                TILE_WG,
            )
        }
        GemmVariant::Subgroup | GemmVariant::Texel => {
            // Whole subgroups only: the broadcasts read lanes 0..8 of each subgroup.
            let wg = gpu.summary().subgroup_max_size.max(SG_MIN) as usize;
            (
                if variant == GemmVariant::Texel {
                    "gemm_texel"
                } else {
                    "gemm_subgroup"
                },
                [
                    n.div_ceil(wg * SG_COLS),
                    m.div_ceil(if variant == GemmVariant::Texel {
                        texel_rows
                    } else {
                        SG_ROWS
                    }),
                ],
                "SG_WG",
                wg,
            )
        }
    };
    let limit = gpu.limits().max_compute_workgroups_per_dimension as usize;
    assert!(
        groups.iter().all(|&g| g <= limit),
        "matmul: {} needs {groups:?} workgroups, over the device's {limit} per dimension",
        shapes()
    );
    let dispatch = Dispatch::new(&SHADER, entry)
        .constant("TRANS_A", trans_a as u32 as f64)
        .constant("TRANS_B", trans_b as u32 as f64)
        .constant("HAS_BIAS", bias.is_some() as u32 as f64)
        .constant(wg_name, wg as f64)
        .params(&params);
    let staged;
    let dispatch = if variant == GemmVariant::Texel {
        staged = (gpu.stage_texels(a), gpu.stage_texels(b));
        dispatch
            .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
            .constant("TEXEL_ROWS", texel_rows as f64)
            .texels(&staged.0)
            .texels(&staged.1)
    } else {
        dispatch.arg(a).arg(b)
    };
    dispatch
        // The shader never reads binding 3 without a bias; `a` is a valid read-only stand-in.
        .arg(bias.unwrap_or(a))
        .arg(&out)
        .groups([groups[0] as u32, groups[1] as u32, 1])
        .run(gpu);
    out
}

/// Plain f64 version of the kernels.
pub mod reference {
    /// `op(a) · op(b) (+ bias)` with `a` [M,K] ([K,M] if `trans_a`) and `b` [K,N] ([N,K] if
    /// `trans_b`), row-major; returns [M,N].
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(
        a: &[f64],
        b: &[f64],
        m: usize,
        n: usize,
        k: usize,
        trans_a: bool,
        trans_b: bool,
        bias: Option<&[f64]>,
    ) -> Vec<f64> {
        assert_eq!(
            a.len(),
            m * k,
            "reference::matmul: a has {} values, want {m}x{k}",
            a.len()
        );
        assert_eq!(
            b.len(),
            k * n,
            "reference::matmul: b has {} values, want {k}x{n}",
            b.len()
        );
        let a_at = |i: usize, kk: usize| {
            if trans_a {
                a[kk * m + i]
            } else {
                a[i * k + kk]
            }
        };
        let b_at = |kk: usize, j: usize| {
            if trans_b {
                b[j * k + kk]
            } else {
                b[kk * n + j]
            }
        };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|kk| a_at(i, kk) * b_at(kk, j)).sum();
                c[i * n + j] = s + bias.map_or(0.0, |bias| bias[j]);
            }
        }
        c
    }
}
