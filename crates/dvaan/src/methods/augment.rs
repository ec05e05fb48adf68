//! Support samples (docs/DESIGN.md §5.3): latent points drawn between the two class priors are
//! decoded and kept when the discriminator agrees with the side of the boundary they came
//! from. Runs with the decoder and discriminator in evaluation mode, and reads its result
//! back to the host (the support pool lives with the training set): the one place a
//! training epoch synchronises besides logging.

use dvaan_autograd::{Tape, Var};
use dvaan_tensor::ops::random;

use super::Dvaan;

/// Mixed into the seed so augmentation noise is a stream of its own.
const AUG_SALT: u64 = 0xa06_5eed_0000_0005;

/// The kept samples of one round, row-major `[n, …]`, with their labels (1 positive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generated {
    pub x: Vec<f32>,
    pub labels: Vec<f32>,
    /// Latent points drawn.
    pub drawn: usize,
}

impl Generated {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

impl Dvaan {
    /// One augmentation round at global step `step`: draw `n` points `z ~ N(0, I)`, label
    /// each by the nearer prior mean (`y = 1` iff `Σz > 0`, i.e. `‖z − μ1‖ < ‖z + μ1‖`),
    /// decode, and keep `x̃` where `[ℓ(x̃) > 0] = y` — positives always, negatives only
    /// with `keep_negatives`.
    pub fn generate_support(&self, n: usize, step: u64, keep_negatives: bool) -> Generated {
        let gpu = self.mu.gpu();
        let tape = Tape::eval();
        let z = random::normal(gpu, &[n, self.latent()], self.seed_for_support(), step);
        let x = self.nets.dec.forward(&tape, &Var::constant(z.clone()));
        let logits = self.nets.dis.forward(&tape, &x).logit;

        let (z, logits, x) = (z.to_vec(), logits.value().to_vec(), x.value().to_vec());
        let d = x.len() / n;
        let mut out = Generated {
            drawn: n,
            ..Generated::default()
        };
        for i in 0..n {
            let y = z[i * self.latent()..(i + 1) * self.latent()]
                .iter()
                .sum::<f32>()
                > 0.0;
            let agrees = (logits[i] > 0.0) == y;
            if agrees && (y || keep_negatives) {
                out.x.extend_from_slice(&x[i * d..(i + 1) * d]);
                out.labels.push(if y { 1.0 } else { 0.0 });
            }
        }
        out
    }

    fn seed_for_support(&self) -> u64 {
        self.seed ^ AUG_SALT
    }
}
