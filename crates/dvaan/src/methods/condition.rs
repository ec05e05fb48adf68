//! Conditioning a network on a label `c ∈ {0, 1}` by concatenation, so the shared network
//! constructors only need a wider input:
//! - images `[N, C, H, W]` get one constant plane of value `c` as an extra channel
//!   (`[N, C+1, H, W]`; the encoder is built for `C + 1` channels);
//! - flat inputs `[N, D]` (tabular samples) get `c` as an extra feature (`[N, D+1]`);
//! - latent codes `[N, d]` get the one-hot `[1 − c, c]` (`[N, d+2]`; the generator is built
//!   for `d + 2` inputs).
//!
//! The labels are data, not parameters: the label planes and one-hots are constants and
//! gradients flow only into the sample or code they are joined to.

use dvaan_autograd::{Tape, Var};
use dvaan_tensor::ops::{concat::concat, elementwise, random, reparam};
use dvaan_tensor::Tensor;

/// Extra inputs a conditional network takes besides the sample: one channel or feature.
pub const LABEL_CHANNELS: usize = 1;
/// Extra inputs a conditional generator takes besides `z`.
pub const ONE_HOT: usize = 2;

/// `[N, 2]` rows `[1 − c, c]`.
pub fn one_hot(c: &Tensor) -> Tensor {
    let n = c.dim(0);
    let ones = elementwise::full(c.gpu(), &[n], 1.0);
    let neg = elementwise::sub(&ones, c).reshape(&[n, 1]);
    concat(&[&neg, &c.reshape(&[n, 1])], 1)
}

/// The label as an input of the sample's shape minus its channels: `[N, 1, H, W]` planes of
/// `c` for images, `[N, 1]` for flat samples.
fn label_input(c: &Tensor, sample_shape: &[usize]) -> Tensor {
    let n = c.dim(0);
    let per_sample: usize = sample_shape[1..].iter().product();
    let zeros = Tensor::zeros(c.gpu(), &[n, per_sample]);
    let mut shape = vec![n, LABEL_CHANNELS];
    shape.extend(&sample_shape[1..]);
    reparam::shift_rows(&zeros, c).reshape(&shape)
}

/// `x [N, C, …]` joined with its label along axis 1.
pub fn with_label(tape: &Tape, x: &Var, c: &Tensor) -> Var {
    let sample_shape = match x.shape() {
        [_, rest @ ..] if rest.len() == 3 => rest.to_vec(),
        [_, d] => vec![*d],
        s => panic!("with_label: samples of shape {s:?}"),
    };
    let label = Var::constant(label_input(c, &sample_shape));
    tape.concat(&[x, &label], 1)
}

/// `z [N, d]` joined with the one-hot of `c`.
pub fn with_one_hot(tape: &Tape, z: &Var, c: &Tensor) -> Var {
    tape.concat(&[z, &Var::constant(one_hot(c))], 1)
}

/// `n` positives of a conditional generator `gen` (latent size `latent`): z ~ N(0, I) from
/// the stream (`seed`, `offset`), decoded with the positive class's one-hot label.
pub fn draw_positives(
    gpu: &dvaan_tensor::Gpu,
    gen: &dyn crate::models::Decoder,
    latent: usize,
    n: usize,
    seed: u64,
    offset: u64,
) -> Tensor {
    let labels = Tensor::from_slice(gpu, &[n], &vec![1.0; n]);
    let z = random::normal(gpu, &[n, latent], seed, offset);
    let tape = Tape::eval();
    super::common::eval_decode(gen, &with_one_hot(&tape, &Var::constant(z), &labels))
}

/// Labels for four rows of `per_row` generated samples: positive, positive, negative,
/// negative (the layout of the paper's Figure 6, positives on top).
pub fn grid_labels(gpu: &dvaan_tensor::Gpu, per_row: usize) -> Tensor {
    let labels: Vec<f32> = [1.0, 1.0, 0.0, 0.0]
        .iter()
        .flat_map(|&c| vec![c; per_row])
        .collect();
    Tensor::from_slice(gpu, &[4 * per_row], &labels)
}

/// Class labels for generated samples: Bernoulli(½) per row, so a conditional generator
/// learns both classes equally often however imbalanced the data is.
pub fn random_labels(gpu: &dvaan_tensor::Gpu, n: usize, seed: u64, offset: u64) -> Tensor {
    random::bernoulli(gpu, &[n], 0.5, seed, offset)
}
