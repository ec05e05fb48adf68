// The layout kernels of conv_texel (conv_texel.wgsl): they write the staging textures it
// reads. Shared by conv_layout.wgsl, which reads the source tensors from their buffers, and
// conv_layout_texel.wgsl, which reads staged copies (both declare src_at at binding 1 and
// w_at, a paired layout's weight, at binding 3).
// Needs texel_layout.wgsl and conv_texel_params.wgsl before it.
//
// Each writes a texture_storage_2d in the staged-tensor layout (flat float f in texel f / 4,
// see texels.rs), so no buffer copy follows. Indices come from a few divisions per
// invocation, not per texel: integer division is slow on CPU adapters.

@group(0) @binding(2) var texels_out: texture_storage_2d<rgba32float, write>;

fn put_texel(t: u32, v: vec4<f32>) {
    textureStore(texels_out, texel_coords(t), v);
}

// Which sources have channels that are not whole quads (FILL_CHANNELS): only they need a
// check per channel.
override FILL_CHANNELS: bool = false;

// The four source floats of one laid-out texel: where each is read, and which are real. The
// others are laid out as zeros; their index is 0 (in bounds), read and dropped.
struct Gather {
    at: vec4<u32>,
    real: vec4<bool>,
}

const QUAD = vec4(0u, 1u, 2u, 3u);

// Channels ch .. ch+3 of a source with c_src channels, the first at `at`, channels `plane`
// apart: those past c_src are not real.
fn channel_quad(at: u32, plane: u32, ch: u32, c_src: u32) -> Gather {
    let chans = vec4(ch) + QUAD;
    let real = select(vec4(true), chans < vec4(c_src), FILL_CHANNELS);
    return Gather(select(vec4(0u), vec4(at) + chans * plane, real), real);
}

fn gather_src(g: Gather) -> vec4<f32> {
    let v = vec4(src_at(g.at.x), src_at(g.at.y), src_at(g.at.z), src_at(g.at.w));
    return select(vec4(0.0), v, g.real);
}

// Pixel px of x_pad [N, H+2·PAD, W+2·PAD, C] from x [N, C_src, H, W]: where its channel 0
// sits in x, and whether it is inside x (padding pixels read x[0] and lay out zeros).
struct PaddedPixel {
    at: u32,
    inside: bool,
}

fn padded_pixel(px: u32, c_src: u32) -> PaddedPixel {
    let iw = i32(px % tp.wp) - i32(tp.pad);
    let ih = i32((px / tp.wp) % tp.hp) - i32(tp.pad);
    let n = px / (tp.wp * tp.hp);
    let inside = ih >= 0 && ih < i32(tp.h) && iw >= 0 && iw < i32(tp.w);
    return PaddedPixel(select(0u, n * c_src * tp.h * tp.w + u32(ih) * tp.w + u32(iw), inside), inside);
}

// Channels ch .. ch+3 of a padded pixel.
fn padded_quad(p: PaddedPixel, ch: u32, c_src: u32) -> Gather {
    let g = channel_quad(p.at, tp.h * tp.w, ch, c_src);
    let real = g.real & vec4(p.inside);
    return Gather(select(vec4(0u), g.at, real), real);
}

// x [N, C_src, H, W] -> x_pad [N, H+2·PAD, W+2·PAD, C], zero in the padding and in channels
// C_src .. C (C_src rounded up to whole quads, for the first convolution of an image): one
// invocation per pixel of x_pad, walking its channel quads.
@compute @workgroup_size(64)
fn x_padded_nhwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let px = tx_index(gid, nwg);
    if (px < tp.len) {
        lay_out_pixel(px);
    }
}

fn lay_out_pixel(px: u32) {
    let c4 = tp.c / 4u;
    let pixel = padded_pixel(px, tp.c_src);
    for (var q = 0u; q < c4; q++) {
        put_texel(px * c4 + q, gather_src(padded_quad(pixel, 4u * q, tp.c_src)));
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
    let total = lay_out_and_sum_quad(wid.x, lane);
    for (var k = 0u; k < 4u; k++) {
        if (lane == 0u && 4u * wid.x + k < tp.c_src) {
            row_sums[4u * wid.x + k] = total[k];
        }
    }
}

// Lays out channel quad q of x_pad, invocation `lane` of 64 taking pixels lane, lane + 64, …,
// and gives lane 0 the quad's sums: each lane's in pixel order, then the 64 partial sums in
// lane order.
fn lay_out_and_sum_quad(q: u32, lane: u32) -> vec4<f32> {
    let c4 = tp.c / 4u;
    var sum = vec4(0.0);
    for (var px = lane; px < tp.len; px += 64u) {
        let texel = gather_src(padded_quad(padded_pixel(px, tp.c_src), 4u * q, tp.c_src));
        put_texel(px * c4 + q, texel);
        sum += texel;
    }
    quad_partials[lane] = sum;
    workgroupBarrier();
    var total = vec4(0.0);
    if (lane == 0u) {
        for (var i = 0u; i < 64u; i++) {
            total += quad_partials[i];
        }
    }
    return total;
}

// Texel q of row r = (o, kh, kw) of w_khwc [O, KH, KW, C]: channels 4q .. 4q+3 of
// w [O, C_src, KH, KW].
fn khwc_quad(r: u32, q: u32, c_src: u32) -> Gather {
    let khw = tp.kh * tp.kw;
    return channel_quad((r / khw) * c_src * khw + r % khw, khw, 4u * q, c_src);
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
    for (var q = 0u; q < c4; q++) {
        put_texel(r * c4 + q, gather_src(khwc_quad(r, q, tp.c_src)));
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

// Row r = (c, a, b) of the blocks of the input gradient's phases (conv_texel_phases.wgsl),
// which lie one after the other in phase order: phase z's block is [C, KHP, KWP, O] with its
// taps reversed, (a, b) holding tap (kh0 + S·(KHP-1-a), kw0 + S·(KWP-1-b)). Gives where the
// row's output channel 0 sits in w [O, C, KH, KW], and the stride between output channels.
fn phases_row(r: u32, c: u32) -> vec2<u32> {
    // The phase whose block holds row r, and r's place in it.
    var z = 0u;
    var before = 0u;
    var h = phase_axis(0u, 1u, tp.kh);
    var w = phase_axis(0u, 1u, tp.kw);
    loop {
        h = phase_axis(z / tp.stride, 1u, tp.kh);
        w = phase_axis(z % tp.stride, 1u, tp.kw);
        let rows = c * h.taps * w.taps;
        if (r < before + rows || z + 1u >= tp.stride * tp.stride) {
            break;
        }
        before += rows;
        z++;
    }
    let taps = h.taps * w.taps;
    let local = r - before;
    let t = local % taps;
    let kh = h.k0 + tp.stride * (h.taps - 1u - t / w.taps);
    let kw = w.k0 + tp.stride * (w.taps - 1u - t % w.taps);
    let khw = tp.kh * tp.kw;
    return vec2((local / taps) * khw + kh * tp.kw + kw, c * khw);
}

// Texel q of a phase block's row: output channels 4q .. 4q+3 (O is whole quads).
fn phases_quad(row: vec2<u32>, q: u32) -> Gather {
    return Gather(vec4(row.x) + (vec4(4u * q) + QUAD) * row.y, vec4(true));
}

// ---- x and a weight in one dispatch ----
// A convolution whose x (or dy) and weight are both laid out anew lays them out together:
// invocations [0, len) lay out x's pixels as x_padded_nhwc does, the next w_len a weight's
// rows, as weight_khwc does (forward) or as the phase blocks of the input gradient
// (phases_row), with w_c and w_c_src for the weight's channels. The weight is read through
// w_at (binding 3, declared by each shader beside src_at) and written to binding 4: one
// dispatch instead of two. Where the weight's layout is kept from an earlier product,
// x_padded_nhwc runs alone; the phase blocks are only ever laid out beside dy.
@group(0) @binding(4) var weights_out: texture_storage_2d<rgba32float, write>;

fn gather_w(g: Gather) -> vec4<f32> {
    let v = vec4(w_at(g.at.x), w_at(g.at.y), w_at(g.at.z), w_at(g.at.w));
    return select(vec4(0.0), v, g.real);
}

fn put_weight_texel(t: u32, v: vec4<f32>) {
    textureStore(weights_out, texel_coords(t), v);
}

// Invocation i of a paired layout: lays out x's pixel i, or gives the weight row i − len to
// lay out (w_len or more: none).
fn pixel_or_weight_row(i: u32) -> u32 {
    if (i < tp.len) {
        lay_out_pixel(i);
        return tp.w_len;
    }
    return i - tp.len;
}

fn lay_out_khwc_row(r: u32) {
    let c4 = tp.w_c / 4u;
    for (var q = 0u; q < c4; q++) {
        put_weight_texel(r * c4 + q, gather_w(khwc_quad(r, q, tp.w_c_src)));
    }
}

@compute @workgroup_size(64)
fn x_padded_and_weight_khwc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = pixel_or_weight_row(tx_index(gid, nwg));
    if (r < tp.w_len) {
        lay_out_khwc_row(r);
    }
}

@compute @workgroup_size(64)
fn x_padded_and_weight_phases(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = pixel_or_weight_row(tx_index(gid, nwg));
    if (r >= tp.w_len) {
        return;
    }
    let row = phases_row(r, tp.w_c);
    let o4 = tp.o / 4u;
    for (var q = 0u; q < o4; q++) {
        put_weight_texel(r * o4 + q, gather_w(phases_quad(row, q)));
    }
}

// x_padded_nhwc_summed and weight_khwc in one dispatch: workgroups [0, C/4) lay out and sum
// x's channel quads (the sums to binding 5), the rest lay out the weight's rows, 64 each.
@group(0) @binding(5) var<storage, read_write> paired_sums: array<f32>;

@compute @workgroup_size(64)
fn x_padded_summed_and_weight_khwc(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let c4 = tp.c / 4u;
    if (wid.x < c4) {
        let total = lay_out_and_sum_quad(wid.x, lane);
        for (var k = 0u; k < 4u; k++) {
            if (lane == 0u && 4u * wid.x + k < tp.c_src) {
                paired_sums[4u * wid.x + k] = total[k];
            }
        }
        return;
    }
    let r = (wid.x - c4) * 64u + lane;
    if (r < tp.w_len) {
        lay_out_khwc_row(r);
    }
}
