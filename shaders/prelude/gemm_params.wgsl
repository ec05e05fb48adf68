// What every GEMM kernel shares (after activation.wgsl) (gemm_portable.wgsl, gemm_subgroup.wgsl, gemm_texel.wgsl):
// C[M,N] = op(A) · op(B) (+ bias[N] on every row), op(X) = X or Xᵀ.
// A is [M,K] ([K,M] when TRANS_A), B is [K,N] ([N,K] when TRANS_B), all row-major f32.
// Each output is one serial K-term sum in a fixed order, so results are deterministic.
//
// Four entry points, one per variant (see crates/tensor/src/ops/gemm/ for the choice):
//   gemm_naive    one output per invocation; correct everywhere, the baseline.
//   gemm_tiled    shared-memory tiles with a 4x4 register block per invocation: what real
//                 GPUs reward.
//   gemm_subgroup no shared memory, no barriers: each invocation owns a 64x8 register tile,
//                 A values are loaded once per subgroup and shared with subgroupBroadcast.
//                 Built for CPU adapters (lavapipe), where every memory load is expensive and
//                 arithmetic is cheap. Needs subgroups of at least 8 invocations.
//   gemm_texel    the subgroup kernel reading its operands from textures (four floats per
//                 fetch): lavapipe's fastest; needs dimensions that are multiples of 4.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// An activation applied to each stored value after the bias (activation.wgsl's kinds;
// NO_ACT leaves C as it is), so a layer's product, bias and activation are one dispatch.
const NO_ACT: u32 = 4u;
override ACT: u32 = NO_ACT;
override ACT_SLOPE: f32 = 0.0;

fn act1(v: f32) -> f32 {
    if (ACT == NO_ACT) {
        return v;
    }
    return activate(ACT, ACT_SLOPE, v);
}

fn act4(v: vec4<f32>) -> vec4<f32> {
    return vec4(act1(v.x), act1(v.y), act1(v.z), act1(v.w));
}

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// Without a bias the dispatcher binds A here; HAS_BIAS = false never reads it.
@group(0) @binding(3) var<storage, read> bias: array<f32>;

// This invocation's bias for columns j .. j+3 (zero without a bias or past N), read once
// per kernel rather than once per stored value.
fn bias4(j: u32) -> vec4<f32> {
    if (!HAS_BIAS) {
        return vec4(0.0);
    }
    return vec4(select(0.0, bias[j], j < p.n), select(0.0, bias[j + 1u], j + 1u < p.n),
                select(0.0, bias[j + 2u], j + 2u < p.n), select(0.0, bias[j + 3u], j + 3u < p.n));
}
