// The staged-tensor layout (crates/tensor/src/texels.rs): flat float f of a tensor sits in
// component f % 4 of texel t = f / 4, at (t % TEXELS_PER_ROW, t / TEXELS_PER_ROW).

override TEXELS_PER_ROW: u32 = 1024u;

fn texel_coords(t: u32) -> vec2<u32> {
    return vec2(t % TEXELS_PER_ROW, t / TEXELS_PER_ROW);
}

// Texel t of a staged tensor: its flat floats 4t .. 4t+3.
fn texel(tex: texture_storage_2d<rgba32float, read>, t: u32) -> vec4<f32> {
    return textureLoad(tex, texel_coords(t));
}
