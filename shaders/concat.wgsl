// Concatenation and splitting along one axis, with tensors viewed as [outer, mid, inner].
//
// Both are the same copy of a "slab": a part of `outer` rows of `row` contiguous elements,
// where row i of the part starts at `i * src_stride + src_offset` in the source and at
// `i * dst_stride + dst_offset` in the destination. Concat copies each part into its
// place in the output (the part is the source); split copies each place out of the input.
// One invocation per element of the part.

override WG: u32 = 256u;

struct Params {
    n: u32,          // elements in the part: outer * row
    row: u32,        // mid_part * inner
    src_stride: u32,
    src_offset: u32,
    dst_stride: u32,
    dst_offset: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn copy_slab(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if (i >= p.n) { return; }
    let o = i / p.row;
    let j = i % p.row;
    dst[o * p.dst_stride + p.dst_offset + j] = src[o * p.src_stride + p.src_offset + j];
}
