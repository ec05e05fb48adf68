// The convolutions' split reductions added up: conv_portable, conv_subgroup and conv_texel
// write one partial output per piece of a long reduction, and this adds them.

override HAS_BIAS: bool = false;

// ---- out[i] = sum over splits s, in split order, of partials[s, i] (+ bias) ----
struct SumParams {
    len: u32,
    splits: u32,
    bias_div: u32, // out[i] belongs to channel (i / bias_div) % bias_mod
    bias_mod: u32,
}

@group(0) @binding(0) var<uniform> sp: SumParams;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> sum_bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> summed: array<f32>;

@compute @workgroup_size(256)
fn sum_splits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= sp.len) {
        return;
    }
    var s = 0.0;
    for (var k = 0u; k < sp.splits; k++) {
        s += partials[k * sp.len + i];
    }
    if (HAS_BIAS) {
        s += sum_bias[(i / sp.bias_div) % sp.bias_mod];
    }
    summed[i] = s;
}
