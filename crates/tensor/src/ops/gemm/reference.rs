//! Plain f64 version of the kernels.

/// `op(a) · op(b) (+ bias)` with `a` [M,K] ([K,M] if `trans_a`) and `b` [K,N] ([N,K] if
/// `trans_b`), row-major; returns [M,N].
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    a: &[f64],
    b: &[f64],
    m: usize,
    n: usize,
    k: usize,
    trans_a: bool,
    trans_b: bool,
    bias: Option<&[f64]>,
) -> Vec<f64> {
    assert_eq!(
        a.len(),
        m * k,
        "reference::matmul: a has {} values, want {m}x{k}",
        a.len()
    );
    assert_eq!(
        b.len(),
        k * n,
        "reference::matmul: b has {} values, want {k}x{n}",
        b.len()
    );
    let a_at = |i: usize, kk: usize| {
        if trans_a {
            a[kk * m + i]
        } else {
            a[i * k + kk]
        }
    };
    let b_at = |kk: usize, j: usize| {
        if trans_b {
            b[j * k + kk]
        } else {
            b[kk * n + j]
        }
    };
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let s: f64 = (0..k).map(|kk| a_at(i, kk) * b_at(kk, j)).sum();
            c[i * n + j] = s + bias.map_or(0.0, |bias| bias[j]);
        }
    }
    c
}
