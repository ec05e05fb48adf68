// The two staged GEMM operands of the texel kernels (gemm_texel.wgsl, conv_texel.wgsl), at
// bindings 1 and 2. Needs texel_layout.wgsl before it.

@group(0) @binding(1) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b_tex: texture_storage_2d<rgba32float, read>;

fn a_texel(t: u32) -> vec4<f32> {
    return texel(a_tex, t);
}

fn b_texel(t: u32) -> vec4<f32> {
    return texel(b_tex, t);
}
