//! Per-feature standardisation of tabular data, (x - mean) / std, with statistics taken from
//! the training set only so that nothing about the test set leaks into training.

/// Per-feature mean and standard deviation (population std, i.e. divided by n).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardiser {
    pub mean: Vec<f32>,
    /// 1.0 for a constant column, so that it maps to zeros instead of dividing by zero.
    pub std: Vec<f32>,
}

impl Standardiser {
    /// Statistics of `x`, rows of `d` features; sums in f64 so that large columns keep
    /// their precision.
    pub fn fit(x: &[f32], d: usize) -> Standardiser {
        let n = (x.len() / d).max(1) as f64;
        let mut mean = vec![0f64; d];
        for row in x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0f64; d];
        for row in x.chunks_exact(d) {
            for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        let std = var
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let sd = (s / n).sqrt();
                // Identical values can leave a spread of f64 rounding noise (~1e-16 relative);
                // anything that small is a constant column.
                if sd > 1e-7 * m.abs().max(f64::MIN_POSITIVE) {
                    sd as f32
                } else {
                    1.0
                }
            })
            .collect();
        Standardiser {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        }
    }

    pub fn apply(&self, x: &mut [f32]) {
        for row in x.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Maps standardised values back to the original units (e.g. to write generated rows).
    pub fn invert(&self, x: &mut [f32]) {
        for row in x.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = *v * s + m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_with_train_statistics_and_leaves_constant_columns_finite() {
        // Column 0: 1, 2, 3 → mean 2, population std sqrt(2/3). Column 1 constant 5.
        let train = [1.0, 5.0, 2.0, 5.0, 3.0, 5.0];
        let s = Standardiser::fit(&train, 2);
        assert_eq!(s.mean, vec![2.0, 5.0]);
        assert!((s.std[0] - (2.0f32 / 3.0).sqrt()).abs() < 1e-6);
        assert_eq!(s.std[1], 1.0);
        let mut test = [4.0, 7.0];
        s.apply(&mut test);
        assert!((test[0] - 2.0 / (2.0f32 / 3.0).sqrt()).abs() < 1e-5);
        assert_eq!(test[1], 2.0);
        s.invert(&mut test);
        assert!((test[0] - 4.0).abs() < 1e-5 && test[1] == 7.0);
    }
}
