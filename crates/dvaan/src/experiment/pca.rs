//! Principal component analysis on the host, for the 2-D latent projections of Figure 1.
//!
//! The covariance matrix of d-dimensional codes (d is the latent size, 32 by default) is
//! small, so its leading eigenvectors come from power iteration with deflation: repeatedly
//! multiply a start vector by C and normalise; the vector converges to the eigenvector of the
//! largest eigenvalue at a rate λ₂/λ₁. Removing λ₁·v₁v₁ᵀ from C and repeating gives the
//! second. A fixed start vector keeps the result deterministic; the sign of each component is
//! fixed by making its largest coordinate positive.

/// The top `k` principal axes of `n` rows of `d` values each (row-major `x`), with their
/// variances, largest first.
pub fn principal_axes(x: &[f32], d: usize, k: usize) -> Vec<(Vec<f64>, f64)> {
    assert!(
        d > 0 && x.len().is_multiple_of(d),
        "pca: {} values are not rows of {d}",
        x.len()
    );
    let n = x.len() / d;
    let mut cov = covariance(x, n, d);
    let mut axes = Vec::new();
    for _ in 0..k.min(d) {
        let (v, lambda) = leading_eigenvector(&cov, d);
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] -= lambda * v[i] * v[j];
            }
        }
        axes.push((v, lambda));
    }
    axes
}

/// Rows of `x` (d values each) projected onto the first two principal axes, centred.
pub fn project_2d(x: &[f32], d: usize) -> Vec<(f64, f64)> {
    let axes = principal_axes(x, d, 2);
    let mean = means(x, d);
    let axis = |k: usize| axes.get(k).map(|a| a.0.clone()).unwrap_or(vec![0.0; d]);
    let (a, b) = (axis(0), axis(1));
    x.chunks(d)
        .map(|row| {
            let c = |v: &[f64]| -> f64 {
                row.iter()
                    .zip(&mean)
                    .zip(v)
                    .map(|((&r, m), w)| (r as f64 - m) * w)
                    .sum()
            };
            (c(&a), c(&b))
        })
        .collect()
}

fn means(x: &[f32], d: usize) -> Vec<f64> {
    let n = (x.len() / d).max(1) as f64;
    let mut m = vec![0.0; d];
    for row in x.chunks(d) {
        for (acc, &v) in m.iter_mut().zip(row) {
            *acc += v as f64;
        }
    }
    m.iter_mut().for_each(|v| *v /= n);
    m
}

/// The sample covariance (divided by n − 1), d × d row-major.
fn covariance(x: &[f32], n: usize, d: usize) -> Vec<f64> {
    let mean = means(x, d);
    let mut c = vec![0.0; d * d];
    for row in x.chunks(d) {
        for i in 0..d {
            let a = row[i] as f64 - mean[i];
            for j in 0..d {
                c[i * d + j] += a * (row[j] as f64 - mean[j]);
            }
        }
    }
    let denom = (n.max(2) - 1) as f64;
    c.iter_mut().for_each(|v| *v /= denom);
    c
}

fn leading_eigenvector(c: &[f64], d: usize) -> (Vec<f64>, f64) {
    // Not all ones: a start orthogonal to the leading axis would never find it.
    let mut v: Vec<f64> = (0..d).map(|i| 1.0 + 0.1 * i as f64).collect();
    normalise(&mut v);
    let mut lambda = 0.0;
    for _ in 0..1000 {
        let w: Vec<f64> = (0..d)
            .map(|i| (0..d).map(|j| c[i * d + j] * v[j]).sum())
            .collect();
        let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm < 1e-300 {
            return (v, 0.0);
        }
        let next: Vec<f64> = w.iter().map(|a| a / norm).collect();
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        lambda = norm;
        if change < 1e-12 {
            break;
        }
    }
    let biggest = v
        .iter()
        .copied()
        .fold(0.0f64, |m, a| if a.abs() > m.abs() { a } else { m });
    if biggest < 0.0 {
        v.iter_mut().for_each(|a| *a = -*a);
    }
    (v, lambda)
}

fn normalise(v: &mut [f64]) {
    let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    v.iter_mut().for_each(|a| *a /= n);
}
