// Batch normalisation reading x and dy from storage buffers, what GPUs run: the passes of
// prelude/batch_norm_passes.wgsl (composed before this file) and the eval forward.

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;

fn x_at(i: u32) -> f32 {
    return x[i];
}

fn x_quad(q: u32) -> vec4<f32> {
    return x4[q];
}

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bdy: array<f32>;
@group(0) @binding(1) var<storage, read> bx4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bdy4: array<vec4<f32>>;

fn bx_at(i: u32) -> f32 {
    return bx[i];
}

fn bdy_at(i: u32) -> f32 {
    return bdy[i];
}

fn bx_quad(q: u32) -> vec4<f32> {
    return bx4[q];
}

fn bdy_quad(q: u32) -> vec4<f32> {
    return bdy4[q];
}

// ---- eval forward: y = (x − running_mean)·gamma/sqrt(running_var + eps) + beta ----
@group(0) @binding(1) var<storage, read> ex: array<f32>;
@group(0) @binding(2) var<storage, read> egamma: array<f32>;
@group(0) @binding(3) var<storage, read> ebeta: array<f32>;
@group(0) @binding(4) var<storage, read> emean: array<f32>;
@group(0) @binding(5) var<storage, read> evar: array<f32>;
@group(0) @binding(6) var<storage, read_write> ey: array<f32>;

@compute @workgroup_size(WG)
fn bn_eval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.count) { return; }
    let c = (i / p.hw) % p.channels;
    let g = egamma[c] / sqrt(evar[c] + p.eps);
    ey[i] = (ex[i] - emean[c]) * g + ebeta[c];
}
