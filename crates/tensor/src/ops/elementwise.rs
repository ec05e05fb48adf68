//! Element-wise activations, their backward, and binary arithmetic.
//! Kernels: `shaders/elementwise.wgsl`, and their texel twins for adapters that prefer texel
//! reads, `shaders/elementwise_texel.wgsl`. CPU reference: [`reference`].

use crate::{grid_1d, Dispatch, Shader, Tensor, TEXELS_PER_ROW};

const SHADER: Shader = crate::composed_shader!("elementwise");
const TEXEL: Shader = crate::composed_shader!("elementwise_texel");
const WG: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    /// Negative slope; must be positive so the backward can be read off the output.
    LeakyRelu(f32),
    Sigmoid,
    Tanh,
}

impl Activation {
    /// (kind, slope) as `shaders/prelude/activation.wgsl` numbers them.
    pub(crate) fn op(self) -> (u32, f32) {
        match self {
            Activation::Relu => (0, 0.0),
            Activation::LeakyRelu(s) => {
                assert!(s > 0.0, "LeakyReLU slope must be positive, got {s}");
                (1, s)
            }
            Activation::Sigmoid => (2, 0.0),
            Activation::Tanh => (3, 0.0),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    alpha: f32,
    beta: f32,
    _pad: u32,
}

fn params(n: usize, alpha: f32, beta: f32) -> Params {
    Params {
        n: n as u32,
        alpha,
        beta,
        _pad: 0,
    }
}

/// Runs map `entry` (with `OP` = op) from `inputs` into `out`, all of one size: the buffer
/// kernel, one element per invocation, or `{entry}_texel`, four per invocation from staged
/// textures, where the adapter prefers texel reads and every tensor is whole texels.
fn map(
    entry: &'static str,
    texel_entry: &'static str,
    op: u32,
    (alpha, beta): (f32, f32),
    inputs: &[&Tensor],
    out: &Tensor,
) {
    let gpu = out.gpu();
    let n = out.numel();
    let staged = gpu.texel_reads(inputs);
    match &staged {
        Some(views) => {
            let mut d = Dispatch::new(&TEXEL, texel_entry)
                .constant("OP", op as f64)
                .constant("WG", WG as f64)
                .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
                .params(&params(n / 4, alpha, beta));
            for v in views {
                d = d.texels(v);
            }
            d.arg(out).groups(grid_1d(n / 4, WG)).run(gpu);
        }
        None => {
            let mut d = Dispatch::new(&SHADER, entry)
                .constant("OP", op as f64)
                .constant("WG", WG as f64)
                .params(&params(n, alpha, beta));
            for t in inputs {
                d = d.arg(t);
            }
            d.arg(out).groups(grid_1d(n, WG)).run(gpu);
        }
    }
}

fn unary(x: &Tensor, op: u32, alpha: f32) -> Tensor {
    let y = Tensor::uninit(x.gpu(), x.shape());
    map("unary", "unary_texel", op, (alpha, 0.0), &[x], &y);
    y
}

pub fn activation(x: &Tensor, act: Activation) -> Tensor {
    let (op, alpha) = act.op();
    unary(x, op, alpha)
}

/// dx from the forward output `y` and the upstream gradient `dy`.
pub fn activation_backward(y: &Tensor, dy: &Tensor, act: Activation) -> Tensor {
    assert_eq!(
        y.shape(),
        dy.shape(),
        "activation_backward: y {:?} vs dy {:?}",
        y.shape(),
        dy.shape()
    );
    let (op, alpha) = act.op();
    let dx = Tensor::uninit(y.gpu(), y.shape());
    map(
        "activation_backward",
        "activation_backward_texel",
        op,
        (alpha, 0.0),
        &[y, dy],
        &dx,
    );
    dx
}

/// `alpha * x`.
pub fn scale(x: &Tensor, alpha: f32) -> Tensor {
    unary(x, 4, alpha)
}

/// A new tensor with every element `value`.
pub fn full(gpu: &crate::Gpu, shape: &[usize], value: f32) -> Tensor {
    let y = Tensor::uninit(gpu, shape);
    let n = y.numel();
    Dispatch::new(&SHADER, "fill")
        .params(&params(n, value, 0.0))
        .arg(&y)
        .groups(grid_1d(n, WG))
        .run(gpu);
    y
}

fn binary(a: &Tensor, b: &Tensor, op: u32, alpha: f32, beta: f32, name: &str) -> Tensor {
    assert_eq!(
        a.shape(),
        b.shape(),
        "{name}: shapes {:?} and {:?} differ",
        a.shape(),
        b.shape()
    );
    let out = Tensor::uninit(a.gpu(), a.shape());
    map("binary", "binary_texel", op, (alpha, beta), &[a, b], &out);
    out
}

pub fn add(a: &Tensor, b: &Tensor) -> Tensor {
    binary(a, b, 0, 0.0, 0.0, "add")
}

pub fn sub(a: &Tensor, b: &Tensor) -> Tensor {
    binary(a, b, 1, 0.0, 0.0, "sub")
}

pub fn mul(a: &Tensor, b: &Tensor) -> Tensor {
    binary(a, b, 2, 0.0, 0.0, "mul")
}

/// `alpha * a + beta * b`.
pub fn axpby(alpha: f32, a: &Tensor, beta: f32, b: &Tensor) -> Tensor {
    binary(a, b, 3, alpha, beta, "axpby")
}

/// Plain f64 versions of the kernels above, line for line.
pub mod reference {
    use super::Activation;

    pub fn activation(x: &[f64], act: Activation) -> Vec<f64> {
        x.iter()
            .map(|&v| match act {
                Activation::Relu => v.max(0.0),
                Activation::LeakyRelu(s) => {
                    if v > 0.0 {
                        v
                    } else {
                        s as f64 * v
                    }
                }
                Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
                Activation::Tanh => v.tanh(),
            })
            .collect()
    }

    pub fn activation_backward(y: &[f64], dy: &[f64], act: Activation) -> Vec<f64> {
        y.iter()
            .zip(dy)
            .map(|(&v, &g)| {
                let d = match act {
                    Activation::Relu => {
                        if v > 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Activation::LeakyRelu(s) => {
                        if v > 0.0 {
                            1.0
                        } else {
                            s as f64
                        }
                    }
                    Activation::Sigmoid => v * (1.0 - v),
                    Activation::Tanh => 1.0 - v * v,
                };
                d * g
            })
            .collect()
    }

    pub fn axpby(alpha: f64, a: &[f64], beta: f64, b: &[f64]) -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(&u, &w)| alpha * u + beta * w)
            .collect()
    }

    pub fn mul(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(&u, &w)| u * w).collect()
    }
}
