//! `Conv2d` and `ConvTranspose2d` with square kernels. Next hop toward the kernels: their tape
//! ops [`Tape::conv2d`] and [`Tape::conv_transpose2d`] (`crates/autograd/src/ops/conv.rs`).

use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use crate::init::{self, Init};
use crate::layers::Layer;
use crate::{Param, Tape, Var};

fn make(gpu: &Gpu, shape: [usize; 4], bias_len: usize, w: Init, rng: &mut Pcg64) -> (Param, Param) {
    let weight = Param::new(Tensor::from_slice(
        gpu,
        &shape,
        &init::weight(rng, &shape, w),
    ));
    let bias = Param::new(Tensor::from_slice(
        gpu,
        &[bias_len],
        &init::bias(rng, bias_len, &shape),
    ));
    (weight, bias)
}

fn list(weight: &Param, bias: &Option<Param>) -> Vec<(String, Param)> {
    let mut p = vec![("weight".to_string(), weight.clone())];
    p.extend(bias.iter().map(|b| ("bias".to_string(), b.clone())));
    p
}

pub struct Conv2d {
    /// `[out, in, k, k]`.
    pub weight: Param,
    /// `[out]`.
    pub bias: Option<Param>,
    pub stride: usize,
    pub padding: usize,
}

impl Conv2d {
    /// With bias, initialised like PyTorch's default.
    pub fn new(
        gpu: &Gpu,
        in_ch: usize,
        out_ch: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut Pcg64,
    ) -> Conv2d {
        let (weight, bias) = make(
            gpu,
            [out_ch, in_ch, kernel, kernel],
            out_ch,
            Init::KaimingUniform,
            rng,
        );
        Conv2d {
            weight,
            bias: Some(bias),
            stride,
            padding,
        }
    }

    /// Re-draws the weight with another initialisation (the bias keeps its default).
    pub fn init_weight(&self, w: Init, rng: &mut Pcg64) {
        self.weight.load(&init::weight(rng, self.weight.shape(), w));
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        let b = self.bias.as_ref().map(|b| tape.param(b));
        tape.conv2d(
            x,
            &tape.param(&self.weight),
            b.as_ref(),
            self.stride,
            self.padding,
        )
    }
}

impl Layer for Conv2d {
    fn params(&self) -> Vec<(String, Param)> {
        list(&self.weight, &self.bias)
    }
}

pub struct ConvTranspose2d {
    /// `[in, out, k, k]` (PyTorch's layout for transposed convolutions).
    pub weight: Param,
    /// `[out]`.
    pub bias: Option<Param>,
    pub stride: usize,
    pub padding: usize,
    pub output_padding: usize,
}

impl ConvTranspose2d {
    /// With bias, initialised like PyTorch's default.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gpu: &Gpu,
        in_ch: usize,
        out_ch: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
        rng: &mut Pcg64,
    ) -> ConvTranspose2d {
        let (weight, bias) = make(
            gpu,
            [in_ch, out_ch, kernel, kernel],
            out_ch,
            Init::KaimingUniform,
            rng,
        );
        ConvTranspose2d {
            weight,
            bias: Some(bias),
            stride,
            padding,
            output_padding,
        }
    }

    /// Re-draws the weight with another initialisation (the bias keeps its default).
    pub fn init_weight(&self, w: Init, rng: &mut Pcg64) {
        self.weight.load(&init::weight(rng, self.weight.shape(), w));
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        let b = self.bias.as_ref().map(|b| tape.param(b));
        tape.conv_transpose2d(
            x,
            &tape.param(&self.weight),
            b.as_ref(),
            self.stride,
            self.padding,
            self.output_padding,
        )
    }
}

impl Layer for ConvTranspose2d {
    fn params(&self) -> Vec<(String, Param)> {
        list(&self.weight, &self.bias)
    }
}
