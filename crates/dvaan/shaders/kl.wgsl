// KL divergence from the encoder's N(m, diag exp(lv)) to DVAAN's class prior N(pm_n 1, I),
// summed over the latent dimensions and averaged over the N samples, and its gradient.
//
//   term i (row n = i / cols):  (exp(lv) + (m - pm_n)^2 - 1 - lv) / 2
//   d/dm = m - pm_n,  d/dlv = (exp(lv) - 1) / 2, both times dloss[0] / N
//
// `kl_forward` writes one partial sum per workgroup (each invocation adds ITEMS strided
// terms in order, then a fixed tree); `kl_finish` sums the partials the same way in one
// workgroup and scales by p.scale = 1 / N; with one workgroup kl_forward writes the mean.
// The order never depends on timing, so the loss is bit-identical on re-runs. dloss stays on
// the GPU.

const WG: u32 = 256u;
const ITEMS: u32 = 16u;

struct Params {
    n: u32,       // elements N * D
    cols: u32,    // D
    groups: u32,  // partial sums
    scale: f32,   // 1 / N
}

@group(0) @binding(0) var<uniform> p: Params;

var<workgroup> scratch: array<f32, WG>;

// Sum of one value per invocation, always added in the same tree order.
fn tree_sum(lid: u32, v: f32) -> f32 {
    scratch[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            scratch[lid] = scratch[lid] + scratch[lid + s];
        }
        workgroupBarrier();
    }
    return scratch[0];
}

// ---- forward: partial sums of the terms ----
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> logvar: array<f32>;
@group(0) @binding(3) var<storage, read> prior_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn kl_forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = wid.x + wid.y * nwg.x;
    var acc = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = (g * ITEMS + k) * WG + lid;
        if (i < p.n) {
            let d = m[i] - prior_mean[i / p.cols];
            let lv = logvar[i];
            acc += 0.5 * (exp(lv) + d * d - 1.0 - lv);
        }
    }
    let total = tree_sum(lid, acc);
    // A single workgroup's sum is the whole sum: it is the mean, and `kl_finish` does not run.
    if (lid == 0u && g < p.groups) {
        partials[g] = select(total, total * p.scale, p.groups == 1u);
    }
}

// ---- finish: one workgroup sums the partials and takes the mean over samples ----
@group(0) @binding(1) var<storage, read> f_partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;

@compute @workgroup_size(WG)
fn kl_finish(@builtin(local_invocation_index) lid: u32) {
    var acc = 0.0;
    for (var i = lid; i < p.groups; i += WG) {
        acc += f_partials[i];
    }
    let total = tree_sum(lid, acc);
    if (lid == 0u) {
        mean[0] = total * p.scale;
    }
}

// ---- backward: (d/dm, d/dlogvar) ----
@group(0) @binding(1) var<storage, read> b_m: array<f32>;
@group(0) @binding(2) var<storage, read> b_logvar: array<f32>;
@group(0) @binding(3) var<storage, read> b_prior_mean: array<f32>;
@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dm: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogvar: array<f32>;

@compute @workgroup_size(WG)
fn kl_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let g = dloss[0] * p.scale;
    dm[i] = g * (b_m[i] - b_prior_mean[i / p.cols]);
    dlogvar[i] = g * 0.5 * (exp(b_logvar[i]) - 1.0);
}
