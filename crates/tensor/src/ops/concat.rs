//! Concatenation and splitting along any axis. Kernel: `shaders/concat.wgsl`.
//! CPU reference: [`reference`].
//!
//! With every tensor viewed as `[outer, mid, inner]` around the axis, part p (of `mid_p`
//! along the axis, starting at `off_p` in the whole) is `outer` rows of `mid_p·inner`
//! contiguous elements; in the whole, row o of part p starts at `o·mid·inner + off_p·inner`.
//! Both directions are one copy per part, so each copy is a single pass: a kernel, or, where
//! the part is one contiguous run (`outer` = 1, e.g. along the batch axis), a plain buffer
//! copy recorded in the same encoder, which needs no kernel launch.

use crate::{grid_1d, shader, Dispatch, Shader, Tensor};

const SHADER: Shader = shader!("concat");
const WG: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    row: u32,
    src_stride: u32,
    src_offset: u32,
    dst_stride: u32,
    dst_offset: u32,
    _pad0: u32,
    _pad1: u32,
}

fn outer_inner(shape: &[usize], axis: usize) -> (usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis + 1..].iter().product(),
    )
}

fn copy_slab(
    src: &Tensor,
    dst: &Tensor,
    outer: usize,
    row: usize,
    src_at: (usize, usize),
    dst_at: (usize, usize),
) {
    if outer == 1 {
        dst.copy_region(dst_at.1, src, src_at.1, row);
        return;
    }
    let n = outer * row;
    assert!(
        src.numel().max(dst.numel()) < u32::MAX as usize,
        "concat/split: {:?} is too large for 32-bit indexing",
        if src.numel() > dst.numel() {
            src.shape()
        } else {
            dst.shape()
        }
    );
    Dispatch::new(&SHADER, "copy_slab")
        .constant("WG", WG as f64)
        .params(&Params {
            n: n as u32,
            row: row.max(1) as u32,
            src_stride: src_at.0 as u32,
            src_offset: src_at.1 as u32,
            dst_stride: dst_at.0 as u32,
            dst_offset: dst_at.1 as u32,
            _pad0: 0,
            _pad1: 0,
        })
        .arg(src)
        .arg(dst)
        .groups(grid_1d(n, WG))
        .run(src.gpu());
}

/// Joins `parts` along `axis`; every other dimension must agree.
pub fn concat(parts: &[&Tensor], axis: usize) -> Tensor {
    assert!(!parts.is_empty(), "concat: no tensors given");
    let first = parts[0].shape();
    assert!(
        axis < first.len(),
        "concat: axis {axis} out of range for {first:?}"
    );
    for t in parts {
        let s = t.shape();
        let same_rank = s.len() == first.len();
        let others_agree = same_rank
            && s.iter()
                .zip(first)
                .enumerate()
                .all(|(i, (a, b))| i == axis || a == b);
        assert!(
            others_agree,
            "concat along axis {axis}: shapes {:?} differ outside the axis",
            parts.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>()
        );
    }
    let mid: usize = parts.iter().map(|t| t.shape()[axis]).sum();
    let mut shape = first.to_vec();
    shape[axis] = mid;
    let out = Tensor::uninit(parts[0].gpu(), &shape);
    let (outer, inner) = outer_inner(&shape, axis);
    let mut offset = 0;
    for part in parts {
        let row = part.shape()[axis] * inner;
        copy_slab(
            part,
            &out,
            outer,
            row,
            (row, 0),
            (mid * inner, offset * inner),
        );
        offset += part.shape()[axis];
    }
    out
}

/// Cuts `x` along `axis` into pieces of `sizes` (which must add up to the axis length).
/// A piece is a view of `x` where [`narrow`] can make one, else a copy.
pub fn split(x: &Tensor, axis: usize, sizes: &[usize]) -> Vec<Tensor> {
    let shape = x.shape();
    assert!(
        axis < shape.len(),
        "split: axis {axis} out of range for {shape:?}"
    );
    let mid = shape[axis];
    assert_eq!(
        sizes.iter().sum::<usize>(),
        mid,
        "split of {shape:?} along axis {axis}: sizes {sizes:?} do not add up to {mid}"
    );
    let mut offset = 0;
    sizes
        .iter()
        .map(|&size| {
            let start = offset;
            offset += size;
            narrow(x, axis, start, size)
        })
        .collect()
}

/// Entries `start .. start + len` of `x` along `axis`: one piece of [`split`]. Where they are
/// one contiguous run (`outer` = 1, e.g. along the batch axis) that starts where a view may
/// ([`Tensor::view_alignment`]), the piece is a view of `x`, sharing its storage: no copy,
/// and safe because ops write only the outputs they make (the in-place kernels, Adam, the
/// running statistics and DVAAN's margin μ, write state they own, never an op's output);
/// otherwise a copy.
pub fn narrow(x: &Tensor, axis: usize, start: usize, len: usize) -> Tensor {
    let shape = x.shape();
    assert!(
        axis < shape.len() && start + len <= shape[axis],
        "narrow: {start}..{} along axis {axis} is outside {shape:?}",
        start + len
    );
    let (outer, inner) = outer_inner(shape, axis);
    let mut piece_shape = shape.to_vec();
    piece_shape[axis] = len;
    let first = start * inner;
    if outer == 1 && len > 0 && first.is_multiple_of(Tensor::view_alignment(x.gpu())) {
        return x.view(first, &piece_shape);
    }
    let piece = Tensor::uninit(x.gpu(), &piece_shape);
    let row = len * inner;
    copy_slab(
        x,
        &piece,
        outer,
        row,
        (shape[axis] * inner, start * inner),
        (row, 0),
    );
    piece
}

/// Plain versions of the kernels above (copies are exact, so f64 only for uniformity).
pub mod reference {
    fn outer_inner(shape: &[usize], axis: usize) -> (usize, usize) {
        (
            shape[..axis].iter().product(),
            shape[axis + 1..].iter().product(),
        )
    }

    /// `parts` are (data, shape) pairs that agree outside `axis`.
    pub fn concat(parts: &[(&[f64], &[usize])], axis: usize) -> Vec<f64> {
        let (outer, inner) = outer_inner(parts[0].1, axis);
        let mut out = Vec::new();
        for o in 0..outer {
            for (data, shape) in parts {
                let row = shape[axis] * inner;
                out.extend_from_slice(&data[o * row..(o + 1) * row]);
            }
        }
        out
    }

    pub fn split(x: &[f64], shape: &[usize], axis: usize, sizes: &[usize]) -> Vec<Vec<f64>> {
        let (outer, inner) = outer_inner(shape, axis);
        let whole_row = shape[axis] * inner;
        let mut offset = 0;
        sizes
            .iter()
            .map(|&size| {
                let row = size * inner;
                let piece = (0..outer)
                    .flat_map(|o| x[o * whole_row + offset..][..row].iter().copied())
                    .collect();
                offset += row;
                piece
            })
            .collect()
    }
}
