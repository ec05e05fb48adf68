// The stride phases of the texel input gradient, shared by its weight layout
// (phases_row, conv_layout_kernels.wgsl) and its GEMM (conv_texel.wgsl), which both run
// every phase in one dispatch. Phase z = ph·S + pw holds the dx pixels (ph + S·i, pw + S·j);
// along each axis it reads the taps k0 + S·a, a < taps, at dy index d + i - a. The sizes come
// from tp: the convolution's stride, kernel (kh, kw), padding (conv_pad) and dx size
// (dx_h, dx_w). Needs conv_texel_params.wgsl before it.

struct PhaseAxis {
    first: u32, // the phase's first dx index along the axis
    len: u32,   // how many dx indices it holds
    k0: u32,    // its first tap
    taps: u32,  // how many taps
    d: u32,     // where dx index `first` reads dy with tap k0
}

// Number of i >= 0 with first + S·i < n.
fn phase_count_from(first: u32, n: u32) -> u32 {
    return select(0u, (n - first + tp.stride - 1u) / tp.stride, first < n);
}

// Phase `first` of an axis of `size` dx indices and a kernel of `kernel` taps.
fn phase_axis(first: u32, size: u32, kernel: u32) -> PhaseAxis {
    let k0 = (first + tp.conv_pad) % tp.stride;
    return PhaseAxis(first, phase_count_from(first, size), k0, phase_count_from(k0, kernel),
                     (first + tp.conv_pad) / tp.stride);
}

// The rows (c, a, b) of the weight blocks of the phases before phase z, for `channels` dx
// channels: the blocks lie one after the other, in phase order.
fn phase_rows_before(z: u32, channels: u32) -> u32 {
    var taps = 0u;
    for (var q = 0u; q < z; q++) {
        taps += phase_axis(q / tp.stride, 1u, tp.kh).taps * phase_axis(q % tp.stride, 1u, tp.kw).taps;
    }
    return channels * taps;
}
