// A, B and C as storage buffers, for the kernels that read them so (gemm_portable.wgsl,
// gemm_subgroup.wgsl). Needs gemm_params.wgsl before it.

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// op(A)[i, kk], zero outside the matrix so partial tiles need no other special case.
fn a_at(i: u32, kk: u32) -> f32 {
    let idx = select(i * p.k + kk, kk * p.m + i, TRANS_A);
    return select(0.0, a[idx], i < p.m && kk < p.k);
}

// op(B)[kk, j], zero outside.
fn b_at(kk: u32, j: u32) -> f32 {
    let idx = select(kk * p.n + j, j * p.k + kk, TRANS_B);
    return select(0.0, b[idx], kk < p.k && j < p.n);
}

fn store(i: u32, j: u32, v: f32) {
    if (i < p.m && j < p.n) {
        var r = v;
        if (HAS_BIAS) {
            r += bias[j];
        }
        c[i * p.n + j] = act1(r);
    }
}
