// The layout kernels of conv_texel (conv_texel.wgsl): they write the staging textures it
// reads. Shared by conv_layout.wgsl, which reads the source tensor from its buffer, and
// conv_layout_texel.wgsl, which reads a staged copy (both declare src_at and binding 1).
// Needs texel_layout.wgsl and conv_texel_params.wgsl before it.
//
// Each writes a texture_storage_2d in the staged-tensor layout (flat float f in texel f / 4,
// see texels.rs), so no buffer copy follows. Indices come from a few divisions per
// invocation, not per texel: integer division is slow on CPU adapters.

@group(0) @binding(2) var texels_out: texture_storage_2d<rgba32float, write>;

fn put_texel(t: u32, v: vec4<f32>) {
    textureStore(texels_out, texel_coords(t), v);
}

// src_at for channel ch of a source with tp.c_src channels: zero (read nowhere) past them.
// Only sources whose channels are not whole quads need the check (FILL_CHANNELS).
override FILL_CHANNELS: bool = false;

fn src_channel(at: u32, ch: u32) -> f32 {
    if (!FILL_CHANNELS) {
        return src_at(at);
    }
    return select(0.0, src_at(select(0u, at, ch < tp.c_src)), ch < tp.c_src);
}

// x [N, C_src, H, W] -> x_pad [N, H+2·PAD, W+2·PAD, C], zero in the padding and in channels
// C_src .. C (C_src rounded up to whole quads, for the first convolution of an image): one
// invocation per pixel of x_pad, walking its channel quads.
@compute @workgroup_size(64)
fn x_padded_nhwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let px = tx_index(gid, nwg);
    if (px >= tp.len) {
        return;
    }
    let c4 = tp.c / 4u;
    let iw = i32(px % tp.wp) - i32(tp.pad);
    let ih = i32((px / tp.wp) % tp.hp) - i32(tp.pad);
    let n = px / (tp.wp * tp.hp);
    let inside = ih >= 0 && ih < i32(tp.h) && iw >= 0 && iw < i32(tp.w);
    // Padding pixels read x[0] (in bounds) and write zeros.
    let plane = select(0u, tp.h * tp.w, inside);
    var at = select(0u, n * tp.c_src * tp.h * tp.w + u32(ih) * tp.w + u32(iw), inside);
    for (var ch = 0u; ch < tp.c; ch += 4u) {
        let v = vec4(src_channel(at, ch), src_channel(at + plane, ch + 1u),
                     src_channel(at + 2u * plane, ch + 2u), src_channel(at + 3u * plane, ch + 3u));
        put_texel(px * c4 + ch / 4u, select(vec4(0.0), v, inside));
        at += 4u * plane;
    }
}

// x_padded_nhwc, and each channel's sum Σ_{n, h, w} x[n, c, h, w] into row_sums[c] (the bias
// gradient of the transposed convolution whose input gradient lays its dy out this way). One
// workgroup per channel quad: invocation i lays out pixels i, i + 64, … of the quad and adds
// them in that order, then invocation 0 adds the 64 partial sums in lane order, so the sums are
// the same on every run. Padding adds zeros.
var<workgroup> quad_partials: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn x_padded_nhwc_summed(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let q = wid.x;
    let c4 = tp.c / 4u;
    let plane = tp.h * tp.w;
    var sum = vec4(0.0);
    for (var px = lane; px < tp.len; px += 64u) {
        let iw = i32(px % tp.wp) - i32(tp.pad);
        let ih = i32((px / tp.wp) % tp.hp) - i32(tp.pad);
        let n = px / (tp.wp * tp.hp);
        let inside = ih >= 0 && ih < i32(tp.h) && iw >= 0 && iw < i32(tp.w);
        // Padding pixels read x[0] (in bounds) and write zeros.
        let at = select(0u, (n * tp.c_src + 4u * q) * plane + u32(ih) * tp.w + u32(iw), inside);
        let ch = 4u * q;
        let v = vec4(src_channel(at, ch), src_channel(at + plane, ch + 1u),
                     src_channel(at + 2u * plane, ch + 2u), src_channel(at + 3u * plane, ch + 3u));
        let texel = select(vec4(0.0), v, inside);
        put_texel(px * c4 + q, texel);
        sum += texel;
    }
    quad_partials[lane] = sum;
    workgroupBarrier();
    if (lane == 0u) {
        var total = vec4(0.0);
        for (var i = 0u; i < 64u; i++) {
            total += quad_partials[i];
        }
        for (var k = 0u; k < 4u; k++) {
            if (4u * q + k < tp.c_src) {
                row_sums[4u * q + k] = total[k];
            }
        }
    }
}

// w [O, C_src, KH, KW] -> w_khwc [O, KH, KW, C], channels past C_src zero: one invocation per
// (o, kh, kw).
@compute @workgroup_size(64)
fn weight_khwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = tx_index(gid, nwg);
    if (r >= tp.len) {
        return;
    }
    let c4 = tp.c / 4u;
    let khw = tp.kh * tp.kw;
    let at = (r / khw) * tp.c_src * khw + r % khw;
    for (var q = 0u; q < c4; q++) {
        let ch = 4u * q;
        put_texel(r * c4 + q, vec4(src_channel(at + ch * khw, ch), src_channel(at + (ch + 1u) * khw, ch + 1u),
                                   src_channel(at + (ch + 2u) * khw, ch + 2u), src_channel(at + (ch + 3u) * khw, ch + 3u)));
    }
}

// dy [N, O, OH, OW] -> dy_rows [O, KP]: element (o, k) is dy[n, o, oh, ow] for k = (n, oh, ow),
// zero for k >= N·OH·OW. One invocation per texel.
@compute @workgroup_size(64)
fn dy_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = tx_index(gid, nwg);
    if (t >= tp.len) {
        return;
    }
    put_texel(t, dy_rows_texel(t));
}

// Texel t of dy_rows: four consecutive k of one row o.
fn dy_rows_texel(t: u32) -> vec4<f32> {
    let row_texels = tp.kp / 4u;
    let o = t / row_texels;
    let k = 4u * (t % row_texels);
    let ohw = tp.oh * tp.ow;
    let count = tp.n * ohw;
    // (n, pixel) of k .. k+3, the pixel wrapping into the next image.
    var n = k / ohw;
    var pix = k % ohw;
    var v: vec4<f32>;
    for (var i = 0u; i < 4u; i++) {
        let at = (n * tp.o + o) * ohw + pix;
        v[i] = select(0.0, src_at(select(0u, at, k + i < count)), k + i < count);
        pix += 1u;
        let wrap = pix == ohw;
        pix = select(pix, 0u, wrap);
        n += select(0u, 1u, wrap);
    }
    return v;
}

// dy_rows, and each row's sum Σ_{n, oh, ow} dy[n, o, oh, ow] (a convolution's bias gradient)
// into row_sums[o], from the values it lays out anyway. One workgroup per row: invocation i
// adds texels i, i + 64, … of the row in that order, then invocation 0 adds the 64 partial
// sums in lane order, so the sum is the same on every run.
@group(0) @binding(3) var<storage, read_write> row_sums: array<f32>;
var<workgroup> row_partials: array<f32, 64>;

@compute @workgroup_size(64)
fn dy_rows_summed(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let o = wid.x;
    let row_texels = tp.kp / 4u;
    var sum = 0.0;
    for (var j = lane; j < row_texels; j += 64u) {
        let t = o * row_texels + j;
        let v = dy_rows_texel(t);
        put_texel(t, v);
        sum += (v.x + v.y) + (v.z + v.w);
    }
    row_partials[lane] = sum;
    workgroupBarrier();
    if (lane == 0u) {
        var total = 0.0;
        for (var i = 0u; i < 64u; i++) {
            total += row_partials[i];
        }
        row_sums[o] = total;
    }
}

// w [O, C, KH, KW] -> the blocks of the input gradient's phases (conv_texel_phases.wgsl), one
// after the other in phase order: phase z's block is [C, KHP, KWP, O] with its taps reversed,
// (a, b) holding tap (kh0 + S·(KHP-1-a), kw0 + S·(KWP-1-b)). One invocation per row (c, a, b)
// of all the blocks, C·KH·KW in all, since every tap belongs to exactly one phase.
@compute @workgroup_size(64)
fn weight_phases(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = tx_index(gid, nwg);
    if (r >= tp.len) {
        return;
    }
    // The phase whose block holds row r, and r's place in it.
    var z = 0u;
    var before = 0u;
    var h = phase_axis(0u, 1u, tp.kh);
    var w = phase_axis(0u, 1u, tp.kw);
    loop {
        h = phase_axis(z / tp.stride, 1u, tp.kh);
        w = phase_axis(z % tp.stride, 1u, tp.kw);
        let rows = tp.c * h.taps * w.taps;
        if (r < before + rows || z + 1u >= tp.stride * tp.stride) {
            break;
        }
        before += rows;
        z++;
    }
    let o4 = tp.o / 4u;
    let taps = h.taps * w.taps;
    let local = r - before;
    let t = local % taps;
    let kh = h.k0 + tp.stride * (h.taps - 1u - t / w.taps);
    let kw = w.k0 + tp.stride * (w.taps - 1u - t % w.taps);
    let khw = tp.kh * tp.kw;
    let step = tp.c * khw;
    var at = (local / taps) * khw + kh * tp.kw + kw;
    for (var q = 0u; q < o4; q++) {
        put_texel(r * o4 + q, vec4(src_at(at), src_at(at + step), src_at(at + 2u * step), src_at(at + 3u * step)));
        at += 4u * step;
    }
}
