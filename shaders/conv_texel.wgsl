// The convolutions on CPU adapters: forward and weight gradient with gemm_texel's tiling
// (gemm_texel.wgsl), and the input gradient as forwards, one per stride phase. Composed after
// prelude/texel_layout.wgsl, texel_operands.wgsl (a_texel, b_texel), subgroup_tile.wgsl
// (rank4, TILE_COLS) and conv_texel_params.wgsl (tp, the sizes of one GEMM) and conv_texel_phases.wgsl.
//
// On CPU adapters (lavapipe) a storage load is a bounds-checked loop over the lanes for every
// float, while a texel fetch gathers four floats per lane at once. This variant reads both
// GEMM operands from staged rgba32float textures (crates/tensor/src/texels.rs) whose texels
// are four consecutive reduction terms. That needs the channels innermost, so small layout
// kernels (conv_layout.wgsl) first write
//   x_pad   [N, H+2·PAD, W+2·PAD, C]  x in NHWC with its zero padding written out: no tap
//                                      needs a bounds test;
//   w_khwc  [O, KH, KW, C]            (forward);
//   dy_rows [O, KP]                   dy with k = (n, oh, ow) contiguous per row, zero from
//                                      K = N·OH·OW up to KP, the next multiple of 4
//                                      (weight gradient);
// and every quad of channels is one texel: C % 4 == 0.
//
// The input gradient runs MODE 0 on every stride phase in one dispatch (PHASES, grid z = the
// phase): within a phase it is a stride-1 convolution of dy (laid out as x_pad is, with the
// padding its reads need) by the phase's taps reversed (w laid out per phase as
// [C, KHP, KWP, O] by x_padded_and_weight_phases); `phase_gemm` turns the convolution's
// sizes in tp into the phase's GEMM: off_h/off_w place the first read, b_base the phase's
// weights, out_* the phase's outputs in dx. Workgroups past a phase's rows (phases differ in
// size by a row or column of pixels) return at once.
//
//   MODE 0, forward:      rows p = (n, oh, ow), columns o, r = (kh, kw, c)
//                         A = x_pad texel at pixel (oh·S + kh, ow·S + kw), B = w_khwc texel
//   MODE 2, weight grad:  rows o, columns j = (kh, kw, c), r = (n, oh, ow)
//                         A = dy_rows texel, B = the x_pad texels of four consecutive k
//
// A workgroup of SG_WG invocations computes TX_ROWS rows x TILE_COLS·SG_WG columns;
// invocation `lid` owns TILE_COLS columns of all rows. Per step of four reduction terms, lane l (0..7) of
// each subgroup fetches the A texel of rows 8g + l (g = 0..TX_ROWS/8) and broadcasts share
// them; each invocation fetches its own B texels. Broadcasts name lanes 0..7 only, so any subgroup size
// of at least 8 works; lanes are never assumed to match local_invocation_index. Rows and
// columns past the matrix read the last row or column: computed, never stored. Every output
// is one serial sum in a fixed order; the weight gradient's long reductions are split in
// pieces of r_chunk terms (a multiple of 4) summed by `sum_splits`.

override MODE: u32 = 0u;
override SG_WG: u32 = 8u;
// The workgroup's tile: TX_ROWS rows (64 or 128) by SG_WG·TILE_COLS columns (TILE_COLS 8, or
// 4 for GEMMs of at most 32 columns, which would leave half of an 8-column tile idle). A
// taller tile feeds each fetched B texel to more multiply-adds.
override TX_ROWS: u32 = 64u;
// Whether this dispatch is the input gradient, one phase per grid z.
override PHASES: bool = false;

// The sizes of this workgroup's GEMM: tp, or with PHASES the GEMM of phase z.
var<private> gp: TexelParams;

fn phase_gemm(z: u32) -> TexelParams {
    var g = tp;
    let h = phase_axis(z / tp.stride, tp.dx_h, tp.kh);
    let w = phase_axis(z % tp.stride, tp.dx_w, tp.kw);
    g.stride = 1u;
    g.kh = h.taps;
    g.kw = w.taps;
    g.oh = h.len;
    g.ow = w.len;
    // dy index d + i - a, in dy padded by tp.pad, for tap a = taps - 1 (the first, reversed).
    g.off_h = select(0u, h.d + tp.pad - (h.taps - 1u), h.taps > 0u);
    g.off_w = select(0u, w.d + tp.pad - (w.taps - 1u), w.taps > 0u);
    g.rows = tp.n * h.len * w.len;
    g.steps = h.taps * w.taps * (tp.c / 4u);
    g.b_base = phase_rows_before(z, tp.cols) * (tp.c / 4u);
    g.out_0 = h.first * tp.dx_w + w.first;
    return g;
}

fn gemm_params(z: u32) -> TexelParams {
    if (PHASES) {
        return phase_gemm(z);
    }
    return tp;
}

@group(0) @binding(3) var<storage, read> bias: array<f32>; // read only when gp.has_bias
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

// The x_pad texel of channels 0..3 at the top-left tap of output pixel (oy, ox) of image n.
fn tx_pixel(p: vec3<u32>) -> u32 {
    return ((p.x * gp.hp + p.y * gp.stride + gp.off_h) * gp.wp + p.z * gp.stride + gp.off_w) * (gp.c / 4u);
}

// (n, oh, ow) of flat output pixel i.
fn tx_decode(i: u32) -> vec3<u32> {
    let ohw = gp.oh * gp.ow;
    let pix = i % ohw;
    return vec3(i / ohw, pix / gp.ow, pix % gp.ow);
}

// The next output pixel in (n, oh, ow) order, without a division.
fn tx_next(p: vec3<u32>) -> vec3<u32> {
    let wrap_x = p.z + 1u == gp.ow;
    let y = p.y + select(0u, 1u, wrap_x);
    let wrap_y = y == gp.oh;
    return vec3(p.x + select(0u, 1u, wrap_y), select(y, 0u, wrap_y), select(p.z + 1u, 0u, wrap_x));
}

// Where row `row` of the GEMM output starts in dst (NCHW y, or dw [O, C, KH, KW])...
fn tx_row_at(row: u32) -> u32 {
    if (MODE == 0u) {
        let p = tx_decode(row);
        return gp.out_0 + p.x * gp.out_n + p.y * gp.out_i + p.z * gp.out_j;
    }
    return row * gp.c * gp.kh * gp.kw;
}

// ... and how far from there column `col` sits.
fn tx_col_at(col: u32) -> u32 {
    if (MODE == 0u) {
        return col * gp.out_q;
    }
    return (col % gp.c) * gp.kh * gp.kw + col / gp.c;
}

// Row `row` of this invocation's eight columns j0 .. j0+7, which sit at `at` plus c_lo / c_hi.
fn tx_store_row8(row: u32, at: u32, j0: u32, c_lo: vec4<u32>, c_hi: vec4<u32>, lo: vec4<f32>,
                 hi: vec4<f32>) {
    if (row < gp.rows) {
        if (j0 < gp.cols) { dst[at + c_lo.x] = lo.x; }
        if (j0 + 1u < gp.cols) { dst[at + c_lo.y] = lo.y; }
        if (j0 + 2u < gp.cols) { dst[at + c_lo.z] = lo.z; }
        if (j0 + 3u < gp.cols) { dst[at + c_lo.w] = lo.w; }
        if (TILE_COLS == 8u) {
            if (j0 + 4u < gp.cols) { dst[at + c_hi.x] = hi.x; }
            if (j0 + 5u < gp.cols) { dst[at + c_hi.y] = hi.y; }
            if (j0 + 6u < gp.cols) { dst[at + c_hi.z] = hi.z; }
            if (j0 + 7u < gp.cols) { dst[at + c_hi.w] = hi.w; }
        }
    }
}

// Stores rows i0 .. i0+7 of this invocation's 8 columns (offsets c_lo / c_hi from the row
// start, bias b_lo / b_hi). acc[0] holds rows 0-3 x columns 0-3 as acc[0][column][row], so
// its transpose's row r is row i0 + r. Every index is a constant: an accumulator indexed by
// a loop variable is copied to scratch memory and gathered lane by lane, which on lavapipe
// cost as much as a few hundred reduction steps.
fn tx_store_rows(acc: array<mat4x4<f32>, 4>, i0: u32, j0: u32, c_lo: vec4<u32>, c_hi: vec4<u32>,
                 b_lo: vec4<f32>, b_hi: vec4<f32>, split: u32) {
    let base = split * gp.len;
    let t0 = transpose(acc[0]);
    let t1 = transpose(acc[1]);
    let t2 = transpose(acc[2]);
    let t3 = transpose(acc[3]);
    tx_store_row8(i0, base + tx_row_at(i0), j0, c_lo, c_hi, t0[0] + b_lo, t1[0] + b_hi);
    tx_store_row8(i0 + 1u, base + tx_row_at(i0 + 1u), j0, c_lo, c_hi, t0[1] + b_lo, t1[1] + b_hi);
    tx_store_row8(i0 + 2u, base + tx_row_at(i0 + 2u), j0, c_lo, c_hi, t0[2] + b_lo, t1[2] + b_hi);
    tx_store_row8(i0 + 3u, base + tx_row_at(i0 + 3u), j0, c_lo, c_hi, t0[3] + b_lo, t1[3] + b_hi);
    tx_store_row8(i0 + 4u, base + tx_row_at(i0 + 4u), j0, c_lo, c_hi, t2[0] + b_lo, t3[0] + b_hi);
    tx_store_row8(i0 + 5u, base + tx_row_at(i0 + 5u), j0, c_lo, c_hi, t2[1] + b_lo, t3[1] + b_hi);
    tx_store_row8(i0 + 6u, base + tx_row_at(i0 + 6u), j0, c_lo, c_hi, t2[2] + b_lo, t3[2] + b_hi);
    tx_store_row8(i0 + 7u, base + tx_row_at(i0 + 7u), j0, c_lo, c_hi, t2[3] + b_lo, t3[3] + b_hi);
}

// Where columns j .. j+3 sit from a row's start (columns past the last repeat it: never
// stored), and their bias (MODE 0 only; zero without one).
fn tx_cols4(j: u32) -> vec4<u32> {
    let last = gp.cols - 1u;
    return vec4(tx_col_at(min(j, last)), tx_col_at(min(j + 1u, last)),
                tx_col_at(min(j + 2u, last)), tx_col_at(min(j + 3u, last)));
}

fn tx_bias4(j: u32) -> vec4<f32> {
    if (MODE != 0u || gp.has_bias == 0u) {
        return vec4(0.0);
    }
    let last = gp.cols - 1u;
    return vec4(bias[min(j, last)], bias[min(j + 1u, last)], bias[min(j + 2u, last)],
                bias[min(j + 3u, last)]);
}

@compute @workgroup_size(SG_WG)
fn conv_texel(@builtin(local_invocation_index) lid: u32,
              @builtin(subgroup_invocation_id) lane: u32,
              @builtin(workgroup_id) wg: vec3<u32>) {
    gp = gemm_params(wg.z);
    let row0 = wg.y * TX_ROWS;
    if (row0 >= gp.rows) {
        return;
    }
    let j0 = (wg.x * SG_WG + lid) * TILE_COLS;
    let split = select(wg.z, 0u, PHASES);
    let l = lane % 8u;
    let c4 = gp.c / 4u;
    let last_row = gp.rows - 1u;
    let last_col = gp.cols - 1u;
    // One accumulator set per group of eight rows, spelled out so each stays a plain value
    // (acc8 .. acc15 only in the 128-row tile; the compiler drops what a tile leaves unused).
    var acc0: array<mat4x4<f32>, 4>;
    var acc1: array<mat4x4<f32>, 4>;
    var acc2: array<mat4x4<f32>, 4>;
    var acc3: array<mat4x4<f32>, 4>;
    var acc4: array<mat4x4<f32>, 4>;
    var acc5: array<mat4x4<f32>, 4>;
    var acc6: array<mat4x4<f32>, 4>;
    var acc7: array<mat4x4<f32>, 4>;
    var acc8: array<mat4x4<f32>, 4>;
    var acc9: array<mat4x4<f32>, 4>;
    var acc10: array<mat4x4<f32>, 4>;
    var acc11: array<mat4x4<f32>, 4>;
    var acc12: array<mat4x4<f32>, 4>;
    var acc13: array<mat4x4<f32>, 4>;
    var acc14: array<mat4x4<f32>, 4>;
    var acc15: array<mat4x4<f32>, 4>;
    if (MODE == 0u) {
        // A: the texel of this lane's pixel in each row group; a step adds the tap's offset.
        let a0 = tx_pixel(tx_decode(min(row0 + l, last_row)));
        let a1 = tx_pixel(tx_decode(min(row0 + 8u + l, last_row)));
        let a2 = tx_pixel(tx_decode(min(row0 + 16u + l, last_row)));
        let a3 = tx_pixel(tx_decode(min(row0 + 24u + l, last_row)));
        let a4 = tx_pixel(tx_decode(min(row0 + 32u + l, last_row)));
        let a5 = tx_pixel(tx_decode(min(row0 + 40u + l, last_row)));
        let a6 = tx_pixel(tx_decode(min(row0 + 48u + l, last_row)));
        let a7 = tx_pixel(tx_decode(min(row0 + 56u + l, last_row)));
        let a8 = tx_pixel(tx_decode(min(row0 + 64u + l, last_row)));
        let a9 = tx_pixel(tx_decode(min(row0 + 72u + l, last_row)));
        let a10 = tx_pixel(tx_decode(min(row0 + 80u + l, last_row)));
        let a11 = tx_pixel(tx_decode(min(row0 + 88u + l, last_row)));
        let a12 = tx_pixel(tx_decode(min(row0 + 96u + l, last_row)));
        let a13 = tx_pixel(tx_decode(min(row0 + 104u + l, last_row)));
        let a14 = tx_pixel(tx_decode(min(row0 + 112u + l, last_row)));
        let a15 = tx_pixel(tx_decode(min(row0 + 120u + l, last_row)));
        // B: row o of w_khwc, for this invocation's output channels.
        let b_lo = min(vec4(j0) + vec4(0u, 1u, 2u, 3u), vec4(last_col)) * gp.steps + gp.b_base;
        let b_hi = min(vec4(j0) + vec4(4u, 5u, 6u, 7u), vec4(last_col)) * gp.steps + gp.b_base;
        // For one kernel row kh the taps (kw, c) are KW·C/4 consecutive texels in both x_pad
        // and w_khwc.
        let run = gp.kw * c4;
        for (var kh = 0u; kh < gp.kh; kh++) {
            let a_kh = kh * gp.wp * c4;
            let b_kh = kh * run;
            for (var t = 0u; t < run; t++) {
                let bt = b_kh + t;
                let b0 = mat4x4<f32>(b_texel(b_lo.x + bt), b_texel(b_lo.y + bt),
                                     b_texel(b_lo.z + bt), b_texel(b_lo.w + bt));
                var b1: mat4x4<f32>;
                if (TILE_COLS == 8u) {
                    b1 = mat4x4<f32>(b_texel(b_hi.x + bt), b_texel(b_hi.y + bt),
                                     b_texel(b_hi.z + bt), b_texel(b_hi.w + bt));
                }
                let at = a_kh + t;
                rank4(&acc0, a_texel(a0 + at), b0, b1);
                rank4(&acc1, a_texel(a1 + at), b0, b1);
                rank4(&acc2, a_texel(a2 + at), b0, b1);
                rank4(&acc3, a_texel(a3 + at), b0, b1);
                rank4(&acc4, a_texel(a4 + at), b0, b1);
                rank4(&acc5, a_texel(a5 + at), b0, b1);
                rank4(&acc6, a_texel(a6 + at), b0, b1);
                rank4(&acc7, a_texel(a7 + at), b0, b1);
                if (TX_ROWS == 128u) {
                    rank4(&acc8, a_texel(a8 + at), b0, b1);
                    rank4(&acc9, a_texel(a9 + at), b0, b1);
                    rank4(&acc10, a_texel(a10 + at), b0, b1);
                    rank4(&acc11, a_texel(a11 + at), b0, b1);
                    rank4(&acc12, a_texel(a12 + at), b0, b1);
                    rank4(&acc13, a_texel(a13 + at), b0, b1);
                    rank4(&acc14, a_texel(a14 + at), b0, b1);
                    rank4(&acc15, a_texel(a15 + at), b0, b1);
                }
            }
        }
    } else {
        let begin = min(split * gp.r_chunk, gp.steps);
        let end = min(begin + gp.r_chunk, gp.steps);
        // A: row o of dy_rows, four k per texel.
        let row_texels = gp.kp / 4u;
        let a0 = min(row0 + l, last_row) * row_texels;
        let a1 = min(row0 + 8u + l, last_row) * row_texels;
        let a2 = min(row0 + 16u + l, last_row) * row_texels;
        let a3 = min(row0 + 24u + l, last_row) * row_texels;
        let a4 = min(row0 + 32u + l, last_row) * row_texels;
        let a5 = min(row0 + 40u + l, last_row) * row_texels;
        let a6 = min(row0 + 48u + l, last_row) * row_texels;
        let a7 = min(row0 + 56u + l, last_row) * row_texels;
        let a8 = min(row0 + 64u + l, last_row) * row_texels;
        let a9 = min(row0 + 72u + l, last_row) * row_texels;
        let a10 = min(row0 + 80u + l, last_row) * row_texels;
        let a11 = min(row0 + 88u + l, last_row) * row_texels;
        let a12 = min(row0 + 96u + l, last_row) * row_texels;
        let a13 = min(row0 + 104u + l, last_row) * row_texels;
        let a14 = min(row0 + 112u + l, last_row) * row_texels;
        let a15 = min(row0 + 120u + l, last_row) * row_texels;
        // B: this invocation's columns are one or two channel quads; each is a fixed offset
        // from the x_pad texel of the tap (0, 0) of pixel k.
        let q_last = last_col / 4u;
        let q0 = min(j0 / 4u, q_last);
        let q1 = min(j0 / 4u + 1u, q_last);
        let tap0 = q0 / c4;
        let tap1 = q1 / c4;
        let off0 = ((tap0 / gp.kw) * gp.wp + tap0 % gp.kw) * c4 + q0 % c4;
        let off1 = ((tap1 / gp.kw) * gp.wp + tap1 % gp.kw) * c4 + q1 % c4;
        var pix = tx_decode(begin);
        for (var k = begin; k < end; k += 4u) {
            // Pixels k .. k+3; those at or past K (n = N) read zero.
            let p0 = pix;
            let p1 = tx_next(p0);
            let p2 = tx_next(p1);
            let p3 = tx_next(p2);
            pix = tx_next(p3);
            let x0 = select(0u, tx_pixel(p0), p0.x < gp.n);
            let x1 = select(0u, tx_pixel(p1), p1.x < gp.n);
            let x2 = select(0u, tx_pixel(p2), p2.x < gp.n);
            let x3 = select(0u, tx_pixel(p3), p3.x < gp.n);
            let zero = vec4(0.0);
            let b0 = transpose(mat4x4<f32>(
                b_texel(x0 + off0), select(zero, b_texel(x1 + off0), p1.x < gp.n),
                select(zero, b_texel(x2 + off0), p2.x < gp.n), select(zero, b_texel(x3 + off0), p3.x < gp.n)));
            var b1: mat4x4<f32>;
            if (TILE_COLS == 8u) {
                b1 = transpose(mat4x4<f32>(
                    b_texel(x0 + off1), select(zero, b_texel(x1 + off1), p1.x < gp.n),
                    select(zero, b_texel(x2 + off1), p2.x < gp.n), select(zero, b_texel(x3 + off1), p3.x < gp.n)));
            }
            let at = k / 4u;
            rank4(&acc0, a_texel(a0 + at), b0, b1);
            rank4(&acc1, a_texel(a1 + at), b0, b1);
            rank4(&acc2, a_texel(a2 + at), b0, b1);
            rank4(&acc3, a_texel(a3 + at), b0, b1);
            rank4(&acc4, a_texel(a4 + at), b0, b1);
            rank4(&acc5, a_texel(a5 + at), b0, b1);
            rank4(&acc6, a_texel(a6 + at), b0, b1);
            rank4(&acc7, a_texel(a7 + at), b0, b1);
            if (TX_ROWS == 128u) {
                rank4(&acc8, a_texel(a8 + at), b0, b1);
                rank4(&acc9, a_texel(a9 + at), b0, b1);
                rank4(&acc10, a_texel(a10 + at), b0, b1);
                rank4(&acc11, a_texel(a11 + at), b0, b1);
                rank4(&acc12, a_texel(a12 + at), b0, b1);
                rank4(&acc13, a_texel(a13 + at), b0, b1);
                rank4(&acc14, a_texel(a14 + at), b0, b1);
                rank4(&acc15, a_texel(a15 + at), b0, b1);
            }
        }
    }
    let c_lo = tx_cols4(j0);
    let c_hi = tx_cols4(j0 + 4u);
    let b_lo = tx_bias4(j0);
    let b_hi = tx_bias4(j0 + 4u);
    tx_store_rows(acc0, row0, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc1, row0 + 8u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc2, row0 + 16u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc3, row0 + 24u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc4, row0 + 32u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc5, row0 + 40u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc6, row0 + 48u, j0, c_lo, c_hi, b_lo, b_hi, split);
    tx_store_rows(acc7, row0 + 56u, j0, c_lo, c_hi, b_lo, b_hi, split);
    if (TX_ROWS == 128u) {
        tx_store_rows(acc8, row0 + 64u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc9, row0 + 72u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc10, row0 + 80u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc11, row0 + 88u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc12, row0 + 96u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc13, row0 + 104u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc14, row0 + 112u, j0, c_lo, c_hi, b_lo, b_hi, split);
        tx_store_rows(acc15, row0 + 120u, j0, c_lo, c_hi, b_lo, b_hi, split);
    }
}

// ---- conv_texel_narrow: MODE 0 with at most 4 columns ----
//
// The input gradient into one channel (the first layers' C = 1) has a single column, of
// which conv_texel's 64-column tile would keep one. Here each invocation owns 8 consecutive
// rows and all (at most 4) columns: per step of four terms it fetches its rows' A texels and
// the columns' B texels (the same for every invocation; columns past the last read the last
// one), and needs no broadcasts. Each output is still one serial sum in a fixed order.

fn narrow_store(row: u32, v: vec4<f32>) {
    if (row >= gp.rows) {
        return;
    }
    let at = tx_row_at(row);
    let c = tx_cols4(0u);
    let r = v + tx_bias4(0u);
    dst[at + c.x] = r.x;
    if (gp.cols > 1u) { dst[at + c.y] = r.y; }
    if (gp.cols > 2u) { dst[at + c.z] = r.z; }
    if (gp.cols > 3u) { dst[at + c.w] = r.w; }
}

@compute @workgroup_size(64)
fn conv_texel_narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(workgroup_id) wg: vec3<u32>) {
    gp = gemm_params(wg.z);
    let row0 = tx_index(gid, nwg) * 8u;
    if (row0 >= gp.rows) {
        return;
    }
    let c4 = gp.c / 4u;
    let last_row = gp.rows - 1u;
    let a0 = tx_pixel(tx_decode(row0));
    let a1 = tx_pixel(tx_decode(min(row0 + 1u, last_row)));
    let a2 = tx_pixel(tx_decode(min(row0 + 2u, last_row)));
    let a3 = tx_pixel(tx_decode(min(row0 + 3u, last_row)));
    let a4 = tx_pixel(tx_decode(min(row0 + 4u, last_row)));
    let a5 = tx_pixel(tx_decode(min(row0 + 5u, last_row)));
    let a6 = tx_pixel(tx_decode(min(row0 + 6u, last_row)));
    let a7 = tx_pixel(tx_decode(min(row0 + 7u, last_row)));
    let bq = min(vec4(0u, 1u, 2u, 3u), vec4(gp.cols - 1u)) * gp.steps + gp.b_base;
    var acc0: vec4<f32>;
    var acc1: vec4<f32>;
    var acc2: vec4<f32>;
    var acc3: vec4<f32>;
    var acc4: vec4<f32>;
    var acc5: vec4<f32>;
    var acc6: vec4<f32>;
    var acc7: vec4<f32>;
    let run = gp.kw * c4;
    for (var kh = 0u; kh < gp.kh; kh++) {
        let a_kh = kh * gp.wp * c4;
        let b_kh = kh * run;
        for (var t = 0u; t < run; t++) {
            let bt = b_kh + t;
            // Column c of b is column c's four terms, so v * b sums a row's terms per column.
            let b = mat4x4<f32>(b_texel(bq.x + bt), b_texel(bq.y + bt), b_texel(bq.z + bt), b_texel(bq.w + bt));
            let at = a_kh + t;
            acc0 += a_texel(a0 + at) * b;
            acc1 += a_texel(a1 + at) * b;
            acc2 += a_texel(a2 + at) * b;
            acc3 += a_texel(a3 + at) * b;
            acc4 += a_texel(a4 + at) * b;
            acc5 += a_texel(a5 + at) * b;
            acc6 += a_texel(a6 + at) * b;
            acc7 += a_texel(a7 + at) * b;
        }
    }
    narrow_store(row0, acc0);
    narrow_store(row0 + 1u, acc1);
    narrow_store(row0 + 2u, acc2);
    narrow_store(row0 + 3u, acc3);
    narrow_store(row0 + 4u, acc4);
    narrow_store(row0 + 5u, acc5);
    narrow_store(row0 + 6u, acc6);
    narrow_store(row0 + 7u, acc7);
}
