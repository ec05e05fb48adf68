//! Matrix multiply with optional transposed operands and a fused bias:
//! `C[M,N] = op(A) · op(B) + bias`, `C[i,j] = Σₖ op(A)[i,k] · op(B)[k,j] + bias[j]`.
//! CPU reference: [`reference`].
//!
//! Four variants compute the same sums (each output one serial K-term sum, so every variant
//! is deterministic, though variants may differ from each other in the last bits):
//! [`GemmVariant::Subgroup`] for CPU adapters such as lavapipe, where loads are costly and
//! shared memory and barriers hurt; [`GemmVariant::Texel`], the same tiling reading its
//! operands from staged textures (`crate::texels`), which lavapipe fetches four floats at a
//! time, for shapes whose dimensions allow it; [`GemmVariant::Tiled`] (shared memory) for real
//! GPUs; [`GemmVariant::Naive`] as the plain baseline. [`matmul`] picks with
//! [`default_variant`] and [`GemmVariant::fits`].
//!
//! Read in this order: [`reference`]; `gpu.rs`, the kernels that read storage buffers
//! (`shaders/gemm_portable.wgsl`: naive and tiled; `shaders/gemm_subgroup.wgsl`); `texel.rs`,
//! the texel kernel (`shaders/gemm_texel.wgsl`). The subgroup and texel kernels share their
//! register tile's rank-4 update with the convolution's texel kernel
//! (`shaders/prelude/subgroup_tile.wgsl`).

mod gpu;
pub mod reference;
mod texel;

use crate::ops::elementwise::Activation;
use crate::{AdapterClass, Dispatch, Gpu, Tensor};

/// Columns of C per invocation of the subgroup and texel kernels (fixed in the shaders).
const SG_COLS: usize = 8;
/// The subgroup kernels broadcast from lanes 0..8.
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
    if gpu.summary().class == AdapterClass::Cpu && GemmVariant::Texel.supported(gpu) {
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
    matmul_activated(a, b, trans_a, trans_b, bias, None)
}

/// [`matmul`] followed by `act` on every element, in the same dispatch: the product's
/// epilogue applies the activation kernel's formulas (`shaders/prelude/activation.wgsl`)
/// to the values it would have stored, so the result is the same bits as [`matmul`] then
/// `elementwise::activation`.
pub fn matmul_activated(
    a: &Tensor,
    b: &Tensor,
    trans_a: bool,
    trans_b: bool,
    bias: Option<&Tensor>,
    act: Option<Activation>,
) -> Tensor {
    let variant = chosen(a, b, trans_a, trans_b);
    matmul_activated_with(a, b, trans_a, trans_b, Epilogue { bias, act }, variant)
}

/// The variant [`matmul`] runs: the adapter's default where it takes the shape, else the
/// subgroup kernel (only the texel kernel is particular about shapes).
fn chosen(a: &Tensor, b: &Tensor, trans_a: bool, trans_b: bool) -> GemmVariant {
    let gpu = a.gpu();
    let (m, n, k) = dims(a, b, trans_a, trans_b);
    let variant = default_variant(gpu);
    if variant.fits(gpu, m, n, k, trans_a, trans_b) {
        variant
    } else {
        GemmVariant::Subgroup
    }
}

/// What a product does to each value of C before storing it: adds the bias of its column,
/// then applies the activation.
#[derive(Clone, Copy, Default)]
pub struct Epilogue<'a> {
    pub bias: Option<&'a Tensor>,
    pub act: Option<Activation>,
}

impl Epilogue<'_> {
    /// The override constants that select this epilogue in `shaders/prelude/gemm_params.wgsl`.
    fn constants<'d>(&self, dispatch: Dispatch<'d>) -> Dispatch<'d> {
        let dispatch = dispatch.constant("HAS_BIAS", self.bias.is_some() as u32 as f64);
        match self.act {
            Some(act) => {
                let (kind, slope) = act.op();
                dispatch
                    .constant("ACT", kind as f64)
                    .constant("ACT_SLOPE", slope as f64)
            }
            None => dispatch,
        }
    }
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
    let epilogue = Epilogue { bias, act: None };
    matmul_activated_with(a, b, trans_a, trans_b, epilogue, variant)
}

/// [`matmul_activated`] with an explicit kernel variant.
pub fn matmul_activated_with(
    a: &Tensor,
    b: &Tensor,
    trans_a: bool,
    trans_b: bool,
    epilogue: Epilogue,
    variant: GemmVariant,
) -> Tensor {
    let params = checked((a, b), (trans_a, trans_b), epilogue.bias, variant);
    let gpu = a.gpu();
    let out = Tensor::uninit(gpu, &[params.m as usize, params.n as usize]);
    if out.numel() == 0 {
        return out;
    }
    // K = 0 still runs: every sum is empty and the output is the bias (or zero).
    record(
        variant,
        (a, b),
        (trans_a, trans_b),
        epilogue,
        &params,
        (&out, None),
    );
    out
}

/// Records the product on `variant`'s kernel into `out`, with the row sums where given
/// (texel and tiled kernels), and counts its FLOPs.
fn record(
    variant: GemmVariant,
    (a, b): (&Tensor, &Tensor),
    trans: Transposes,
    epilogue: Epilogue,
    params: &Params,
    (out, row_sums): (&Tensor, Option<&Tensor>),
) {
    let (m, n, k) = (params.m as usize, params.n as usize, params.k as usize);
    a.gpu().count_flops(2 * m * n * k);
    match variant {
        GemmVariant::Texel => texel::run(a, b, trans, epilogue, params, out, row_sums),
        _ => gpu::run(variant, a, b, trans, epilogue, params, out, row_sums),
    }
}

/// The product's dimensions, after checking that the operands, the bias and the variant
/// go together (panics with both shapes otherwise).
fn checked(
    (a, b): (&Tensor, &Tensor),
    (trans_a, trans_b): Transposes,
    bias: Option<&Tensor>,
    variant: GemmVariant,
) -> Params {
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
    Params {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        _pad: 0,
    }
}

/// `op(a) · op(b)` and each row's sum of `op(a)`, `s[i] = Σₖ op(a)[i,k]` ([M]): with
/// `a = dy` transposed, a linear layer's weight gradient `dyᵀ·x` and its bias gradient.
/// Where [`matmul`] runs the texel or the tiled kernel, that one dispatch writes both (each
/// sum serial in k, like C's entries) for up to [`ROW_SUMS_MAX_TERMS`] terms; elsewhere the
/// sums are a separate reduction.
pub fn matmul_and_row_sums(
    a: &Tensor,
    b: &Tensor,
    trans_a: bool,
    trans_b: bool,
) -> (Tensor, Tensor) {
    let (m, n, k) = dims(a, b, trans_a, trans_b);
    let variant = chosen(a, b, trans_a, trans_b);
    // With no column of C no workgroup would run to write the sums.
    let fused = matches!(variant, GemmVariant::Texel | GemmVariant::Tiled)
        && m * n > 0
        && k <= ROW_SUMS_MAX_TERMS;
    if !fused {
        return (matmul(a, b, trans_a, trans_b, None), row_sums(a, trans_a));
    }
    let params = checked((a, b), (trans_a, trans_b), None, variant);
    let out = Tensor::uninit(a.gpu(), &[m, n]);
    let sums = Tensor::uninit(a.gpu(), &[m]);
    let plain = Epilogue::default();
    record(
        variant,
        (a, b),
        (trans_a, trans_b),
        plain,
        &params,
        (&out, Some(&sums)),
    );
    (out, sums)
}

/// The longest row sums a product makes beside itself. Lavapipe ends an invocation after
/// 65,535 loop iterations in all, and the sums' K iterations come on top of the product's own
/// (about 1.3·K in the tiled kernel: K/16 panels of 16 steps plus their loads), so K stays
/// well under 65,535 / 2.3; a batch, the K of a layer's bias gradient, is far shorter.
pub const ROW_SUMS_MAX_TERMS: usize = 16_384;

/// Each row's sum of `op(a)`, by the reduction kernels.
fn row_sums(a: &Tensor, trans_a: bool) -> Tensor {
    assert_eq!(
        a.shape().len(),
        2,
        "matmul: operands must be 2-d, got a {:?}",
        a.shape()
    );
    crate::ops::reduce::sum_axis(a, usize::from(!trans_a))
}

/// Whether each operand is read transposed: (A, B).
type Transposes = (bool, bool);

/// Panics unless `groups` (columns, rows) fit the device's grid.
fn check_grid(gpu: &Gpu, groups: [usize; 2], a: &Tensor, b: &Tensor, trans: Transposes) {
    let limit = gpu.limits().max_compute_workgroups_per_dimension as usize;
    assert!(
        groups.iter().all(|&g| g <= limit),
        "matmul: a {:?} (trans {}), b {:?} (trans {}) needs {groups:?} workgroups, over the \
         device's {limit} per dimension",
        a.shape(),
        trans.0,
        b.shape(),
        trans.1
    );
}
