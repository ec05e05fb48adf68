// The mean of DVAAN's class-conditional prior per sample: out[n] = (2 y[n] - 1) * mu[0].
// mu stays on the GPU, so a step reads nothing back to sample from the prior.

override WG: u32 = 256u;

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> labels: array<f32>;
@group(0) @binding(2) var<storage, read> mu: array<f32>;
@group(0) @binding(3) var<storage, read_write> prior_mean: array<f32>;

@compute @workgroup_size(WG)
fn class_prior_mean(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    prior_mean[i] = (2.0 * labels[i] - 1.0) * mu[0];
}
