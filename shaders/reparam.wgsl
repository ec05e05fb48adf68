// The reparameterisation trick, and noise shifted row by row.
//
//   reparameterize:  z = m + exp(logvar / 2) * eps
//   backward:        dm = dz,  dlogvar = dz * eps * exp(logvar / 2) / 2
//   shift_rows:      out[n, j] = eps[n, j] + shift[n]

override WG: u32 = 256u;

struct Params {
    n: u32,     // elements
    cols: u32,  // row length (shift_rows)
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn linear_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// ---- z = m + exp(logvar / 2) * eps ----
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> logvar: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(WG)
fn reparameterize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    z[i] = m[i] + exp(0.5 * logvar[i]) * eps[i];
}

// ---- (dm, dlogvar) from dz ----
@group(0) @binding(1) var<storage, read> b_logvar: array<f32>;
@group(0) @binding(2) var<storage, read> b_eps: array<f32>;
@group(0) @binding(3) var<storage, read> dz: array<f32>;
@group(0) @binding(4) var<storage, read_write> dm: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogvar: array<f32>;

@compute @workgroup_size(WG)
fn reparameterize_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    let g = dz[i];
    dm[i] = g;
    dlogvar[i] = 0.5 * g * b_eps[i] * exp(0.5 * b_logvar[i]);
}

// ---- eps + shift per row ----
@group(0) @binding(1) var<storage, read> s_eps: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> shifted: array<f32>;

@compute @workgroup_size(WG)
fn shift_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_index(gid, nwg);
    if (i >= p.n) { return; }
    shifted[i] = s_eps[i] + shift[i / p.cols];
}
