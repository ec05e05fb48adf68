// The activations, once: the element-wise maps (elementwise_ops.wgsl) and the epilogues of
// the GEMMs (gemm_params.wgsl) apply the same formulas, so a product with a fused
// activation gives the bits of the product followed by the activation kernel.
//
// kind: 0 relu, 1 leaky relu (negative slope `slope`), 2 sigmoid, 3 tanh.

fn activate(kind: u32, slope: f32, v: f32) -> f32 {
    switch kind {
        case 0u: { return max(v, 0.0); }
        case 1u: { return select(slope * v, v, v > 0.0); }
        case 2u: {
            // Split by sign so exp never overflows.
            if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
            let e = exp(v);
            return e / (1.0 + e);
        }
        default: { return tanh(v); }
    }
}
