// The conv layout kernels (prelude/conv_layout_kernels.wgsl, composed before this file)
// reading their source tensors from staged copies (flat float f in texel f / 4), a fraction
// of a storage-buffer load's cost on lavapipe.

@group(0) @binding(1) var src_tex: texture_storage_2d<rgba32float, read>;

fn src_at(i: u32) -> f32 {
    return texel(src_tex, i / 4u)[i % 4u];
}

// The weight of a paired layout (x_padded_and_weight_*).
@group(0) @binding(3) var w_tex: texture_storage_2d<rgba32float, read>;

fn w_at(i: u32) -> f32 {
    return texel(w_tex, i / 4u)[i % 4u];
}
