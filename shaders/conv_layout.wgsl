// The conv layout kernels (prelude/conv_layout_kernels.wgsl, composed before this file)
// reading their source tensor from its storage buffer.

@group(0) @binding(1) var<storage, read> src: array<f32>;

fn src_at(i: u32) -> f32 {
    return src[i];
}
