//! Activations and arithmetic on the tape. Kernels: `dvaan_tensor::ops::elementwise`
//! (`shaders/elementwise.wgsl`).
//!
//! Activations save their *output*: every supported activation's derivative can be read off
//! it (ReLU: y > 0; sigmoid: y(1 − y); tanh: 1 − y²), so the input can be freed.

use dvaan_tensor::ops::elementwise::{self as k, Activation};
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Activate {
    y: Tensor,
    act: Activation,
}

impl Backward for Activate {
    fn name(&self) -> &'static str {
        "activation"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(k::activation_backward(&self.y, single(dy), self.act))]
    }
}

/// `alpha·a + beta·b` (add: 1, 1; sub: 1, −1).
struct Axpby {
    alpha: f32,
    beta: f32,
}

/// `c · dy`, without a dispatch when `c` is 1.
fn scaled(dy: &Tensor, c: f32) -> Tensor {
    if c == 1.0 {
        dy.clone()
    } else {
        k::scale(dy, c)
    }
}

impl Backward for Axpby {
    fn name(&self) -> &'static str {
        "axpby"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        vec![
            wants[0].then(|| scaled(dy, self.alpha)),
            wants[1].then(|| scaled(dy, self.beta)),
        ]
    }
}

struct Scale {
    alpha: f32,
}

impl Backward for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(scaled(single(dy), self.alpha))]
    }
}

struct Mul {
    a: Tensor,
    b: Tensor,
}

impl Backward for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        vec![
            wants[0].then(|| k::mul(dy, &self.b)),
            wants[1].then(|| k::mul(dy, &self.a)),
        ]
    }
}

impl Tape {
    pub fn activation(&self, x: &Var, act: Activation) -> Var {
        let y = k::activation(x.value(), act);
        self.record1(Activate { y: y.clone(), act }, &[x], y)
    }

    pub fn relu(&self, x: &Var) -> Var {
        self.activation(x, Activation::Relu)
    }

    pub fn leaky_relu(&self, x: &Var, slope: f32) -> Var {
        self.activation(x, Activation::LeakyRelu(slope))
    }

    pub fn sigmoid(&self, x: &Var) -> Var {
        self.activation(x, Activation::Sigmoid)
    }

    pub fn tanh(&self, x: &Var) -> Var {
        self.activation(x, Activation::Tanh)
    }

    /// `alpha·a + beta·b`.
    pub fn axpby(&self, alpha: f32, a: &Var, beta: f32, b: &Var) -> Var {
        let y = k::axpby(alpha, a.value(), beta, b.value());
        self.record1(Axpby { alpha, beta }, &[a, b], y)
    }

    pub fn add(&self, a: &Var, b: &Var) -> Var {
        let y = k::add(a.value(), b.value());
        self.record1(
            Axpby {
                alpha: 1.0,
                beta: 1.0,
            },
            &[a, b],
            y,
        )
    }

    pub fn sub(&self, a: &Var, b: &Var) -> Var {
        let y = k::sub(a.value(), b.value());
        self.record1(
            Axpby {
                alpha: 1.0,
                beta: -1.0,
            },
            &[a, b],
            y,
        )
    }

    /// Element-wise product.
    pub fn mul(&self, a: &Var, b: &Var) -> Var {
        let y = k::mul(a.value(), b.value());
        self.record1(
            Mul {
                a: a.value().clone(),
                b: b.value().clone(),
            },
            &[a, b],
            y,
        )
    }

    /// `alpha·x`.
    pub fn scale(&self, x: &Var, alpha: f32) -> Var {
        let y = k::scale(x.value(), alpha);
        self.record1(Scale { alpha }, &[x], y)
    }

    /// `Σ wᵢ·xᵢ`, e.g. a total loss `L_ele + L_KL + λ₁·L_fea` (values stay on the GPU).
    pub fn weighted_sum(&self, terms: &[(f32, &Var)]) -> Var {
        assert!(!terms.is_empty(), "weighted_sum: no terms");
        let (w0, x0) = terms[0];
        let mut acc = if w0 == 1.0 {
            x0.clone()
        } else {
            self.scale(x0, w0)
        };
        for &(w, x) in &terms[1..] {
            acc = self.axpby(1.0, &acc, w, x);
        }
        acc
    }
}
