// The conv layout kernels (prelude/conv_layout_kernels.wgsl, composed before this file)
// reading their source tensors from their storage buffers.

@group(0) @binding(1) var<storage, read> src: array<f32>;

fn src_at(i: u32) -> f32 {
    return src[i];
}

// The weight of a paired layout (x_padded_and_weight_*).
@group(0) @binding(3) var<storage, read> w_src: array<f32>;

fn w_at(i: u32) -> f32 {
    return w_src[i];
}
