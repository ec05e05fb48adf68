// Batch normalisation over x viewed as [N, C, HW] (HW = 1 for [N, C] inputs): statistics
// per channel c over its R = N·HW values x[n, c, i].
//
// Training forward and backward run one workgroup per channel. Its invocations sum
// strided slices of the channel in order, then add their partial sums with a fixed
// pairwise tree in workgroup memory: deterministic, no atomics. The channel's values are
// read once per pass; on a CPU adapter they are still in cache for the later passes.
//
//   forward:  mean = Σx / R,  var = Σ(x − mean)² / R   (two passes, on values shifted by the
//             channel's first value: accurate even when |mean| ≫ std)
//             inv_std = 1 / sqrt(var + eps),  y = (x − mean)·inv_std·gamma + beta
//             running_mean ← (1 − m)·running_mean + m·mean
//             running_var  ← (1 − m)·running_var  + m·var·R/(R − 1)   (var itself when R = 1)
//   backward: xhat = (x − mean)·inv_std,  dbeta = Σdy,  dgamma = Σ dy·xhat
//             dx = gamma·inv_std·(dy − dbeta/R − xhat·dgamma/R)
//
// With p.relu set, a ReLU follows: the forward stores max(y, 0), and the backward first
// takes dy through the ReLU, dy·[out > 0] with `out` the stored output (binding 9), exactly
// as the element-wise ReLU and its backward would, without their dispatches. Without it the
// backward binds some other tensor there and never reads it.
//
// The passes are shared by two shaders that differ in how they read x and dy (x_at, x_quad,
// bx_at, bx_quad, bdy_at, bdy_quad, declared by each at bindings 1 and 2): batch_norm.wgsl
// from storage buffers, batch_norm_texel.wgsl from staged textures.

override WG: u32 = 256u;  // invocations per workgroup; a power of two, at most MAX_WG
const MAX_WG: u32 = 256u;

struct Params {
    channels: u32,
    hw: u32,
    count: u32,     // R = N·HW values per channel (for bn_eval: all N·C·HW elements)
    batch: u32,     // N
    momentum: f32,
    eps: f32,
    step_n: u32,    // WG / HW
    step_i: u32,    // WG % HW
    relu: u32,      // 1: a ReLU follows (training forward and backward only)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// One of a channel's values: sample n, offset i in its H·W plane, and its flat index.
// Invocation `lane` visits values e = lane, lane + WG, … with e = n·HW + i. Stepping (n, i)
// by (WG / HW, WG % HW) plus one carry avoids an integer division per value, which CPU
// adapters cannot vectorise.
struct Walk {
    n: u32,
    i: u32,
    index: u32,
}

fn walk_start(c: u32, lane: u32) -> Walk {
    let n = lane / p.hw;
    let i = lane % p.hw;
    return Walk(n, i, (n * p.channels + c) * p.hw + i);
}

fn walk_next(w: Walk) -> Walk {
    let plane = p.channels * p.hw;
    var n = w.n + p.step_n;
    var i = w.i + p.step_i;
    var index = w.index + p.step_n * plane + p.step_i;
    if (i >= p.hw) {
        n += 1u;
        i -= p.hw;
        index += plane - p.hw;
    }
    return Walk(n, i, index);
}

fn channel_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

var<workgroup> red: array<f32, MAX_WG>;
var<workgroup> red2: array<vec2<f32>, MAX_WG>;

// The workgroup's total of v, the same in every invocation.
fn workgroup_sum(lane: u32, v: f32) -> f32 {
    red[lane] = v;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half >>= 1u) {
        if (lane < half) {
            red[lane] += red[lane + half];
        }
        workgroupBarrier();
    }
    let total = red[0];
    // Nobody may overwrite red[0] for the next sum before everyone has read it.
    workgroupBarrier();
    return total;
}

fn workgroup_sum2(lane: u32, v: vec2<f32>) -> vec2<f32> {
    red2[lane] = v;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half >>= 1u) {
        if (lane < half) {
            red2[lane] += red2[lane + half];
        }
        workgroupBarrier();
    }
    return red2[0];
}

// ---- training forward: batch statistics, y, running statistics ----
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> saved_mean: array<f32>;
@group(0) @binding(8) var<storage, read_write> saved_inv_std: array<f32>;

@compute @workgroup_size(WG)
fn bn_train(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    // Surplus workgroups of a grid folded into y leave together, before any barrier.
    let c = channel_of(wid, nwg);
    if (c >= p.channels) { return; }
    let r = f32(p.count);

    // Sums of x − x0, with x0 the channel's first value: when |mean| ≫ std the shifted
    // values are of the size of the spread, so neither the mean nor the centred values
    // below lose digits to the offset (x − x0 is exact for values within a factor 2).
    let x0 = x_at(c * p.hw);
    var s = 0.0;
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        s += x_at(w.index) - x0;
    }
    let shifted_mean = workgroup_sum(lane, s) / r;
    let mean = x0 + shifted_mean;

    var q = 0.0;
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let d = (x_at(w.index) - x0) - shifted_mean;
        q += d * d;
    }
    let m2 = workgroup_sum(lane, q);
    let inv_std = 1.0 / sqrt(m2 / r + p.eps);

    let g = gamma[c] * inv_std;
    let b = beta[c];
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let i = w.index;
        y[i] = relu_if_set(((x_at(i) - x0) - shifted_mean) * g + b);
    }

    if (lane == 0u) {
        save_statistics(c, mean, inv_std, m2);
    }
}

fn relu_if_set(v: f32) -> f32 {
    return select(v, max(v, 0.0), p.relu != 0u);
}

fn relu4_if_set(v: vec4<f32>) -> vec4<f32> {
    return select(v, max(v, vec4(0.0)), p.relu != 0u);
}

// The saved statistics for backward, and the running averages.
fn save_statistics(c: u32, mean: f32, inv_std: f32, m2: f32) {
    saved_mean[c] = mean;
    saved_inv_std[c] = inv_std;
    // One value has no unbiased variance; its biased one (0) keeps the average finite.
    let unbiased = select(m2 / f32(p.count), m2 / f32(p.count - 1u), p.count > 1u);
    let m = p.momentum;
    running_mean[c] = (1.0 - m) * running_mean[c] + m * mean;
    running_var[c] = (1.0 - m) * running_var[c] + m * unbiased;
}

// ---- the same with four values per read and write, where H·W is a multiple of 4 ----
// A quad (four neighbours in one plane) never straddles channels, so the walk visits quads:
// Params.hw and the steps count quads, Params.count still values. Each invocation keeps
// four running sums and adds them at the end (two more roundings than bn_train's order).
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;

fn total(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}

@compute @workgroup_size(WG)
fn bn_train4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let c = channel_of(wid, nwg);
    if (c >= p.channels) { return; }
    let r = f32(p.count);
    let x0 = x_quad(c * p.hw).x;
    var s = vec4(0.0);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        s += x_quad(w.index) - x0;
    }
    let shifted_mean = workgroup_sum(lane, total(s)) / r;
    let mean = x0 + shifted_mean;

    var q = vec4(0.0);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let d = (x_quad(w.index) - x0) - shifted_mean;
        q += d * d;
    }
    let m2 = workgroup_sum(lane, total(q));
    let inv_std = 1.0 / sqrt(m2 / r + p.eps);

    let g = gamma[c] * inv_std;
    let b = beta[c];
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        y4[w.index] = relu4_if_set(((x_quad(w.index) - x0) - shifted_mean) * g + b);
    }
    if (lane == 0u) {
        save_statistics(c, mean, inv_std, m2);
    }
}

// ---- backward: dx, dgamma, dbeta ----
@group(0) @binding(3) var<storage, read> bgamma: array<f32>;
@group(0) @binding(4) var<storage, read> bmean: array<f32>;
@group(0) @binding(5) var<storage, read> binv_std: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(9) var<storage, read> relu_out: array<f32>;

// dy at value i, taken through the ReLU when one follows.
fn dy_at(i: u32) -> f32 {
    let g = bdy_at(i);
    if (p.relu == 0u) {
        return g;
    }
    return select(0.0, 1.0, relu_out[i] > 0.0) * g;
}

@compute @workgroup_size(WG)
fn bn_backward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let c = channel_of(wid, nwg);
    if (c >= p.channels) { return; }
    let mean = bmean[c];
    let inv_std = binv_std[c];

    // (Σdy, Σdy·xhat) in one pass.
    var s = vec2<f32>(0.0, 0.0);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let i = w.index;
        let g = dy_at(i);
        s += vec2<f32>(g, g * (x_hat(bx_at(i), mean, inv_std)));
    }
    let sums = workgroup_sum2(lane, s);

    let t = dx_terms(c, inv_std, sums);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let i = w.index;
        dx[i] = t.k * (dy_at(i) - t.mean_dy - x_hat(bx_at(i), mean, inv_std) * t.mean_dy_xhat);
    }
    if (lane == 0u) {
        save_parameter_grads(c, sums);
    }
}

// dx = k·(dy − mean_dy − xhat·mean_dy_xhat), from sums = (Σdy, Σdy·xhat).
struct DxTerms {
    k: f32,
    mean_dy: f32,
    mean_dy_xhat: f32,
}

fn dx_terms(c: u32, inv_std: f32, sums: vec2<f32>) -> DxTerms {
    let r = f32(p.count);
    return DxTerms(bgamma[c] * inv_std, sums.x / r, sums.y / r);
}

// dbeta = Σdy, dgamma = Σdy·xhat.
fn save_parameter_grads(c: u32, sums: vec2<f32>) {
    dbeta[c] = sums.x;
    dgamma[c] = sums.y;
}

// bn_backward four values at a time (see bn_train4).
@group(0) @binding(6) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> relu_out4: array<vec4<f32>>;

fn dy_quad(q: u32) -> vec4<f32> {
    let g = bdy_quad(q);
    if (p.relu == 0u) {
        return g;
    }
    return select(vec4(0.0), vec4(1.0), relu_out4[q] > vec4(0.0)) * g;
}

@compute @workgroup_size(WG)
fn bn_backward4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let c = channel_of(wid, nwg);
    if (c >= p.channels) { return; }
    let mean = bmean[c];
    let inv_std = binv_std[c];

    var s_dy = vec4(0.0);
    var s_dy_xhat = vec4(0.0);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let g = dy_quad(w.index);
        s_dy += g;
        s_dy_xhat += g * ((bx_quad(w.index) - mean) * inv_std);
    }
    let sums = workgroup_sum2(lane, vec2(total(s_dy), total(s_dy_xhat)));

    let t = dx_terms(c, inv_std, sums);
    for (var w = walk_start(c, lane); w.n < p.batch; w = walk_next(w)) {
        let xhat = (bx_quad(w.index) - mean) * inv_std;
        dx4[w.index] = t.k * (dy_quad(w.index) - t.mean_dy - xhat * t.mean_dy_xhat);
    }
    if (lane == 0u) {
        save_parameter_grads(c, sums);
    }
}

fn x_hat(v: f32, mean: f32, inv_std: f32) -> f32 {
    return (v - mean) * inv_std;
}
