//! Reshaping, joining and cutting on the tape. Kernels: `dvaan_tensor::ops::concat`
//! (`shaders/concat.wgsl`); reshape moves no data.
//!
//! Concat and split are each other's backward: the gradient of a concat is the upstream
//! gradient split into the parts' sizes, and the gradient of a split is the pieces'
//! gradients concatenated (zeros for pieces that do not reach the loss).

use dvaan_tensor::ops::concat as k;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Reshape {
    input_shape: Vec<usize>,
}

impl Backward for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(single(dy).reshape(&self.input_shape))]
    }
}

struct Concat {
    axis: usize,
    sizes: Vec<usize>,
}

impl Backward for Concat {
    fn name(&self) -> &'static str {
        "concat"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let pieces = k::split(single(dy), self.axis, &self.sizes);
        pieces
            .into_iter()
            .zip(wants)
            .map(|(p, &w)| w.then_some(p))
            .collect()
    }
}

struct Split {
    axis: usize,
    shapes: Vec<Vec<usize>>,
}

impl Backward for Split {
    fn name(&self) -> &'static str {
        "split"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        let gpu = dy
            .iter()
            .flatten()
            .next()
            .expect("split backward without a gradient")
            .gpu()
            .clone();
        let parts: Vec<Tensor> = dy
            .iter()
            .zip(&self.shapes)
            .map(|(g, shape)| g.clone().unwrap_or_else(|| Tensor::zeros(&gpu, shape)))
            .collect();
        let refs: Vec<&Tensor> = parts.iter().collect();
        vec![Some(k::concat(&refs, self.axis))]
    }
}

/// A range of rows (axis 0) of a row-major tensor is one contiguous run of elements.
struct NarrowRows {
    input_shape: Vec<usize>,
    first: usize,
}

impl Backward for NarrowRows {
    fn name(&self) -> &'static str {
        "narrow(axis 0)"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let dx = Tensor::zeros(dy.gpu(), &self.input_shape);
        dx.copy_region(self.first, dy, 0, dy.numel());
        vec![Some(dx)]
    }
}

impl Tape {
    /// The same values seen with another shape of equal size (no copy).
    pub fn reshape(&self, x: &Var, shape: &[usize]) -> Var {
        let y = x.value().reshape(shape);
        self.record1(
            Reshape {
                input_shape: x.shape().to_vec(),
            },
            &[x],
            y,
        )
    }

    /// `[N, ...] -> [N, rest]`, the step between the convolutions and the linear layers.
    pub fn flatten(&self, x: &Var) -> Var {
        let n = x.shape()[0];
        let rest = x.value().numel() / n.max(1);
        self.reshape(x, &[n, rest])
    }

    /// Joins `parts` along `axis` (e.g. `[x; x̃; x_p]` along the batch axis 0).
    pub fn concat(&self, parts: &[&Var], axis: usize) -> Var {
        let values: Vec<&Tensor> = parts.iter().map(|v| v.value()).collect();
        let y = k::concat(&values, axis);
        let sizes = parts.iter().map(|v| v.shape()[axis]).collect();
        self.record1(Concat { axis, sizes }, parts, y)
    }

    /// Cuts `x` along `axis` into pieces of `sizes`.
    pub fn split(&self, x: &Var, axis: usize, sizes: &[usize]) -> Vec<Var> {
        let pieces = k::split(x.value(), axis, sizes);
        let shapes = pieces.iter().map(|p| p.shape().to_vec()).collect();
        self.record(Split { axis, shapes }, &[x], pieces)
    }

    /// `len` entries of `x` along `axis` from `start`. Along the batch axis this is a view of
    /// `x` or a plain buffer copy (`ops::concat::narrow`, no kernel); along other axes it is a
    /// split that keeps the middle piece.
    pub fn narrow(&self, x: &Var, axis: usize, start: usize, len: usize) -> Var {
        let total = x.shape()[axis];
        assert!(
            start + len <= total,
            "narrow: {start}..{} of an axis of {total}",
            start + len
        );
        if axis != 0 {
            return self
                .split(x, axis, &[start, len, total - start - len])
                .swap_remove(1);
        }
        let row: usize = x.shape()[1..].iter().product();
        let y = k::narrow(x.value(), 0, start, len);
        self.record1(
            NarrowRows {
                input_shape: x.shape().to_vec(),
                first: start * row,
            },
            &[x],
            y,
        )
    }
}
