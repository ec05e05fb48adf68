// The sizes the conv texel kernels (conv_texel.wgsl) and their layout kernels
// (conv_layout.wgsl) share: one struct for all, each kernel reading its fields.

struct TexelParams {
    n: u32, c: u32, h: u32, w: u32,
    o: u32, oh: u32, ow: u32, kh: u32,
    kw: u32, stride: u32, pad: u32, hp: u32,
    wp: u32, rows: u32, cols: u32, steps: u32, // steps: texels per row (MODE 0), K (MODE 2)
    kp: u32, r_chunk: u32, len: u32, has_bias: u32, // len: output size, or texels to lay out
    // MODE 0 only: where the A pixels start (x_pad pixel (oh·S + off_h, ow·S + off_w)), where
    // B's rows start, and out[p, q] at out_0 + n·out_n + q·out_q + oh·out_i + ow·out_j.
    off_h: u32, off_w: u32, b_base: u32, out_0: u32,
    out_n: u32, out_q: u32, out_i: u32, out_j: u32,
    // unused
    kh0: u32, kw0: u32, khp: u32, kwp: u32,
    // x_padded_nhwc and weight_khwc: channels of the source (c ≥ c_src rounds it up to whole
    // quads; channels c_src .. c are laid out as zeros).
    c_src: u32,
    // The input gradient's phases (conv_texel_phases.wgsl): the convolution's padding and
    // the size of dx.
    conv_pad: u32, dx_h: u32, dx_w: u32,
    // The weight's half of a paired layout (x_padded_and_weight_*): its rows, channels and
    // source channels.
    w_len: u32, w_c: u32, w_c_src: u32, _pad: u32,
}

@group(0) @binding(0) var<uniform> tp: TexelParams;

// The flat index of a 64-invocation, grid_1d-folded dispatch.
fn tx_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}
