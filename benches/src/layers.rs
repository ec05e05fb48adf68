//! The convolution and transposed-convolution layers of the model (docs/DESIGN.md §5.1) at
//! 28×28, and each one's three products (forward, input gradient, weight gradient) as a
//! runnable op: what the conv bench and the tile sweep time.

use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::ops::conv_transpose as ct;
use dvaan_tensor::{Gpu, Tensor};
use rand::{Rng, SeedableRng};

/// A layer: name, in channels, out channels, input size, kernel, stride, padding, output
/// padding (transposed convolutions only), and whether it is transposed.
pub struct Layer {
    pub name: &'static str,
    pub c: usize,
    pub o: usize,
    pub size: usize,
    pub k: usize,
    pub s: usize,
    pub p: usize,
    pub op: usize,
    pub transposed: bool,
}

const fn conv(name: &'static str, c: usize, o: usize, size: usize, k: usize, p: usize) -> Layer {
    Layer {
        name,
        c,
        o,
        size,
        k,
        s: 2,
        p,
        op: 0,
        transposed: false,
    }
}

const fn deconv(
    name: &'static str,
    c: usize,
    o: usize,
    size: usize,
    k: usize,
    p: usize,
    op: usize,
) -> Layer {
    Layer {
        name,
        c,
        o,
        size,
        k,
        s: 2,
        p,
        op,
        transposed: true,
    }
}

/// Every strided layer of the encoder, discriminator and decoder, in that order.
pub const LAYERS: &[Layer] = &[
    conv("enc1", 1, 64, 28, 5, 2),
    conv("enc2", 64, 92, 14, 5, 2),
    conv("enc3", 92, 128, 7, 3, 1),
    conv("enc4", 128, 256, 4, 3, 1),
    conv("dis1", 1, 32, 28, 5, 2),
    conv("dis2", 32, 128, 14, 5, 2),
    conv("dis3", 128, 256, 7, 5, 2),
    deconv("dec1", 256, 128, 2, 3, 1, 1),
    deconv("dec2", 128, 92, 4, 3, 1, 0),
    deconv("dec3", 92, 64, 7, 5, 2, 1),
    deconv("dec4", 64, 1, 14, 5, 2, 1),
];

/// The three products of a layer's training step.
pub const OPS: [&str; 3] = ["fwd", "dgrad", "wgrad"];

impl Layer {
    /// Output size of one spatial axis.
    pub fn out(&self) -> usize {
        if self.transposed {
            (self.size - 1) * self.s + self.k + self.op - 2 * self.p
        } else {
            (self.size + 2 * self.p - self.k) / self.s + 1
        }
    }

    /// 2·N·O·OH·OW·C·KH·KW of the convolution (for a transposed one, of the convolution it
    /// transposes), the same for all three products.
    pub fn flops(&self, batch: usize) -> usize {
        let taps = self.k * self.k;
        if self.transposed {
            2 * batch * self.c * self.size * self.size * self.o * taps
        } else {
            2 * batch * self.o * self.out() * self.out() * self.c * taps
        }
    }

    /// Operands for `batch` samples and a closure that runs product `op` (one of [`OPS`])
    /// with `variant` (None: the engine's choice for the adapter).
    pub fn op<'a>(
        &self,
        gpu: &'a Gpu,
        batch: usize,
        op: &str,
        variant: Option<Variant>,
    ) -> impl FnMut() -> Tensor + 'a {
        let (c, o, h, oh) = (self.c, self.o, self.size, self.out());
        let w_shape = if self.transposed {
            [c, o, self.k, self.k]
        } else {
            [o, c, self.k, self.k]
        };
        let x = random(gpu, &[batch, c, h, h], 1);
        let w = random(gpu, &w_shape, 2);
        let b = random(gpu, &[o], 3);
        let dy = random(gpu, &[batch, o, oh, oh], 4);
        let (s, p, out_pad, k, transposed) = (self.s, self.p, self.op, self.k, self.transposed);
        let which = OPS
            .iter()
            .position(|&name| name == op)
            .unwrap_or_else(|| panic!("unknown product {op}: one of {OPS:?}"));
        move || {
            conv::with_variant(variant, || match (transposed, which) {
                (false, 0) => conv::conv2d(&x, &w, Some(&b), s, p),
                (false, 1) => conv::conv2d_backward_input(&dy, &w, (h, h), s, p),
                (false, _) => conv::conv2d_backward_weight(&x, &dy, (k, k), s, p),
                (true, 0) => ct::conv_transpose2d(&x, &w, Some(&b), s, p, out_pad),
                (true, 1) => ct::conv_transpose2d_backward_input(&dy, &w, s, p),
                (true, _) => ct::conv_transpose2d_backward_weight(&x, &dy, (k, k), s, p),
            })
        }
    }
}

/// Uniform values in [−1, 1) from a fixed seed.
pub fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Tensor {
    let mut r = rand_pcg::Pcg64::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_slice(gpu, shape, &data)
}
