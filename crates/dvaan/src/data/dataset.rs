//! A labelled binary dataset held in host memory, ready to be cut into batches and uploaded.

use super::error::DataError;

/// Samples of one split of a binary task. `x` holds `len()` samples of `shape` each,
/// contiguous and row-major (NCHW for images, scaled to [0, 1]; standardised features for
/// tables). `labels[i]` is 1.0 for a positive (minority) sample and 0.0 for a negative one.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub x: Vec<f32>,
    pub labels: Vec<f32>,
    /// Shape of one sample: `[C, H, W]` for images, `[D]` for tables.
    pub shape: Vec<usize>,
    pub n_pos: usize,
    pub n_neg: usize,
}

impl Dataset {
    /// Checks that the pieces fit together and counts the classes.
    pub fn new(
        name: impl Into<String>,
        x: Vec<f32>,
        labels: Vec<f32>,
        shape: Vec<usize>,
    ) -> Result<Dataset, DataError> {
        let name = name.into();
        let sample_len: usize = shape.iter().product();
        if shape.is_empty() || sample_len == 0 || x.len() != labels.len() * sample_len {
            return Err(DataError::Inconsistent(format!(
                "dataset {name}: {} values do not make {} samples of shape {shape:?}",
                x.len(),
                labels.len()
            )));
        }
        if let Some(i) = labels.iter().position(|&l| l != 0.0 && l != 1.0) {
            return Err(DataError::Inconsistent(format!(
                "dataset {name}: label {} of sample {i} is not 0 or 1",
                labels[i]
            )));
        }
        let n_pos = labels.iter().filter(|&&l| l == 1.0).count();
        let n_neg = labels.len() - n_pos;
        Ok(Dataset {
            name,
            x,
            labels,
            shape,
            n_pos,
            n_neg,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of f32 values in one sample.
    pub fn sample_len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn sample(&self, i: usize) -> &[f32] {
        let d = self.sample_len();
        &self.x[i * d..(i + 1) * d]
    }

    /// The samples and labels at `indices`, in that order: one mini-batch.
    pub fn gather(&self, indices: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let mut x = Vec::with_capacity(indices.len() * self.sample_len());
        for &i in indices {
            x.extend_from_slice(self.sample(i));
        }
        (x, indices.iter().map(|&i| self.labels[i]).collect())
    }

    /// The tensor shape of a batch of `n` samples: `[n, C, H, W]` or `[n, D]`.
    pub fn batch_shape(&self, n: usize) -> Vec<usize> {
        std::iter::once(n)
            .chain(self.shape.iter().copied())
            .collect()
    }
}
