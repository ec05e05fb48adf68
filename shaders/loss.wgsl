// Losses as batch means, and their gradients.
//
// Forward: `forward` writes one partial sum of per-element terms per workgroup (each
// invocation adds ITEMS strided terms in order, then a fixed tree), and `finish` sums the
// partials the same way in a single workgroup and multiplies by p.scale = 1 / count. A loss
// of at most WG·ITEMS terms has one workgroup, which writes the mean itself.
// The order never depends on timing, so the result is bit-identical on re-runs.
//
// OP (per-element term t_i of x = first input, y = second, aux = third):
//   0 bce_with_logits   w (max(l, 0) - l y + log(1 + exp(-|l|)))   w = aux if p.weighted else 1
//   1 bce on probs      -(y log q + (1 - y) log(1 - q)),  q = clamp(x, p.a, p.b)
//   2 mse               (x - y)^2
//   3 focal             -alpha_t (1 - q)^gamma log q,  q = sigmoid(s), s = (2y - 1) l,
//                       alpha_t = alpha (y = 1) or 1 - alpha (y = 0); p.a = gamma, p.b = alpha
// Backward: d loss / d x_i = dloss[0] * p.scale * d t_i / d x_i. dloss stays on the GPU.

override OP: u32 = 0u;
const WG: u32 = 256u;
const ITEMS: u32 = 16u;

struct Params {
    n: u32,        // elements
    groups: u32,   // partial sums (finish)
    weighted: u32, // bce_with_logits: aux holds weights
    scale: f32,    // 1 / count
    a: f32,
    b: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ln(1 + x) for x > -1 with a few ulp of relative error everywhere. For |x| < 1/4 it uses
// ln(1 + x) = 2 atanh(w), w = x / (2 + x), |w| < 1/7, as an odd series (truncation below
// 1e-9 relative): forming 1 + x would round away the low bits of a small x, and log near 1
// is only accurate in absolute terms on GPUs.
fn log1p(x: f32) -> f32 {
    if (abs(x) < 0.25) {
        let w = x / (2.0 + x);
        let w2 = w * w;
        return 2.0 * w * (1.0 + w2 * (0.33333334 + w2 * (0.2 + w2 * (0.14285715 + w2 * 0.11111111))));
    }
    return log(1.0 + x);
}

fn sigmoid(s: f32) -> f32 {
    if (s >= 0.0) { return 1.0 / (1.0 + exp(-s)); }
    let e = exp(s);
    return e / (1.0 + e);
}

// log(sigmoid(s)) = -(max(-s, 0) + log(1 + exp(-|s|))), finite for every finite s.
fn log_sigmoid(s: f32) -> f32 {
    return -(max(-s, 0.0) + log1p(exp(-abs(s))));
}

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
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

fn term(i: u32) -> f32 {
    let u = x[i];
    let t = y[i];
    switch OP {
        case 0u: {
            let w = select(1.0, aux[i], p.weighted != 0u);
            return w * (max(u, 0.0) - u * t + log1p(exp(-abs(u))));
        }
        case 1u: {
            let q = clamp(u, p.a, p.b);
            return -(t * log(q) + (1.0 - t) * log(1.0 - q));
        }
        case 2u: {
            let d = u - t;
            return d * d;
        }
        default: {
            let s = select(-u, u, t > 0.5);
            let alpha_t = select(1.0 - p.b, p.b, t > 0.5);
            return -alpha_t * exp(p.a * log_sigmoid(-s)) * log_sigmoid(s);
        }
    }
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = wid.x + wid.y * nwg.x;
    var acc = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = (g * ITEMS + k) * WG + lid;
        if (i < p.n) {
            acc += term(i);
        }
    }
    let total = tree_sum(lid, acc);
    // A single workgroup's sum is the whole sum: it is the mean, and `finish` does not run.
    if (lid == 0u && g < p.groups) {
        partials[g] = select(total, total * p.scale, p.groups == 1u);
    }
}

// ---- finish: one workgroup sums the partials and takes the mean ----
@group(0) @binding(1) var<storage, read> f_partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
    var acc = 0.0;
    for (var i = lid; i < p.groups; i += WG) {
        acc += f_partials[i];
    }
    let total = tree_sum(lid, acc);
    if (lid == 0u) {
        mean[0] = total * p.scale;
    }
}

// ---- backward: d loss / d x ----
@group(0) @binding(1) var<storage, read> b_x: array<f32>;
@group(0) @binding(2) var<storage, read> b_y: array<f32>;
@group(0) @binding(3) var<storage, read> b_aux: array<f32>;
@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    dx[i] = gradient(i);
}

// For a loss symmetric up to sign in its two inputs (MSE, with both differentiated): the
// gradient of the prediction and, negated, of the target, from one pass.
@group(0) @binding(6) var<storage, read_write> dy_target: array<f32>;

@compute @workgroup_size(WG)
fn backward_both(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let d = gradient(i);
    dx[i] = d;
    dy_target[i] = -d;
}

// d loss / d x_i for element i.
fn gradient(i: u32) -> f32 {
    let g = dloss[0] * p.scale;
    let u = b_x[i];
    let t = b_y[i];
    var d: f32;
    switch OP {
        case 0u: {
            let w = select(1.0, b_aux[i], p.weighted != 0u);
            d = w * (sigmoid(u) - t);
        }
        case 1u: {
            // The clamp passes the gradient straight through, so a saturated sigmoid output
            // still learns (its exact derivative there would be zero).
            let q = clamp(u, p.a, p.b);
            d = (q - t) / (q * (1.0 - q));
        }
        case 2u: {
            d = 2.0 * (u - t);
        }
        default: {
            // FL(s) = -alpha_t e^{gamma ls(-s)} ls(s) with ls = log sigmoid, ls' (s) = 1 - q:
            // dFL/ds = alpha_t (1 - q)^gamma (gamma q log q - (1 - q)), and ds/dl = 2y - 1.
            let pos = t > 0.5;
            let s = select(-u, u, pos);
            let alpha_t = select(1.0 - p.b, p.b, pos);
            let q = sigmoid(s);
            let one_minus_q = sigmoid(-s);
            let dfl = alpha_t * exp(p.a * log_sigmoid(-s)) * (p.a * q * log_sigmoid(s) - one_minus_q);
            d = select(-dfl, dfl, pos);
        }
    }
    return g * d;
}
