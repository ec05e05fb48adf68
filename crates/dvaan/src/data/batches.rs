//! Seeded, epoch-based mini-batches.
//!
//! Each epoch is a fresh permutation of the training set cut into batches. By default the last,
//! partial batch is dropped: the models normalise with batch statistics, and a batch of one (or
//! of a handful) gives a zero or wildly noisy variance. Because every epoch reshuffles, the
//! samples left out differ from epoch to epoch, so none is ignored for good.

use std::ops::Range;

use rand_pcg::Pcg64;

use super::error::DataError;
use super::rng::{rng, shuffle, Purpose};

/// What to do with the `n % batch_size` samples left after the full batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastBatch {
    #[default]
    Drop,
    Keep,
}

pub struct BatchSampler {
    batch_size: usize,
    last: LastBatch,
    rng: Pcg64,
}

impl BatchSampler {
    pub fn new(batch_size: usize, seed: u64, last: LastBatch) -> Result<BatchSampler, DataError> {
        if batch_size == 0 {
            return Err(DataError::BatchSize { batch: 0, n: 0 });
        }
        Ok(BatchSampler {
            batch_size,
            last,
            rng: rng(seed, Purpose::Batches),
        })
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// One epoch over `n` samples: a permutation of `0..n` cut into batches. `n` may change
    /// between epochs (the training set grows with augmentation).
    pub fn epoch(&mut self, n: usize) -> Result<Vec<Vec<usize>>, DataError> {
        if self.batch_size > n {
            return Err(DataError::BatchSize {
                batch: self.batch_size,
                n,
            });
        }
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut self.rng, &mut order);
        let keep = match self.last {
            LastBatch::Drop => n - n % self.batch_size,
            LastBatch::Keep => n,
        };
        Ok(order[..keep]
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect())
    }
}

/// Batches per epoch over `n` samples.
pub fn batches_per_epoch(n: usize, batch_size: usize, last: LastBatch) -> usize {
    match last {
        LastBatch::Drop => n / batch_size,
        LastBatch::Keep => n.div_ceil(batch_size),
    }
}

/// In-order ranges covering `0..n`, the last one possibly short: for evaluation, where every
/// sample must be scored once and batch statistics are not used.
pub fn sequential(n: usize, batch_size: usize) -> impl Iterator<Item = Range<usize>> {
    let batch_size = batch_size.max(1);
    (0..n)
        .step_by(batch_size)
        .map(move |s| s..(s + batch_size).min(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_gives_full_batches_of_distinct_samples() {
        let mut s = BatchSampler::new(4, 3, LastBatch::Drop).unwrap();
        let epoch = s.epoch(10).unwrap();
        assert_eq!(epoch.len(), 2);
        assert_eq!(epoch.len(), batches_per_epoch(10, 4, LastBatch::Drop));
        assert!(epoch.iter().all(|b| b.len() == 4));
        let mut seen: Vec<usize> = epoch.concat();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 8);
        assert!(seen.iter().all(|&i| i < 10));
    }

    #[test]
    fn keep_covers_every_sample_once() {
        let mut s = BatchSampler::new(4, 3, LastBatch::Keep).unwrap();
        let epoch = s.epoch(10).unwrap();
        assert_eq!(
            epoch.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        assert_eq!(epoch.len(), batches_per_epoch(10, 4, LastBatch::Keep));
        let mut all = epoch.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn epochs_reshuffle_and_seeds_repeat() {
        let mut a = BatchSampler::new(5, 11, LastBatch::Drop).unwrap();
        let mut b = BatchSampler::new(5, 11, LastBatch::Drop).unwrap();
        let (a1, a2) = (a.epoch(20).unwrap(), a.epoch(20).unwrap());
        assert_ne!(a1, a2, "each epoch must be a new permutation");
        assert_eq!(a1, b.epoch(20).unwrap());
        assert_eq!(a2, b.epoch(20).unwrap());
        let mut c = BatchSampler::new(5, 12, LastBatch::Drop).unwrap();
        assert_ne!(a1, c.epoch(20).unwrap());
    }

    #[test]
    fn batch_size_errors() {
        assert!(matches!(
            BatchSampler::new(0, 0, LastBatch::Drop),
            Err(DataError::BatchSize { batch: 0, .. })
        ));
        let mut s = BatchSampler::new(8, 0, LastBatch::Keep).unwrap();
        let err = s.epoch(5).unwrap_err();
        assert!(err.to_string().contains("batch size 8"), "{err}");
        assert_eq!(s.epoch(8).unwrap().len(), 1);
    }

    #[test]
    fn sequential_ranges_cover_everything_in_order() {
        let r: Vec<_> = sequential(10, 4).collect();
        assert_eq!(r, vec![0..4, 4..8, 8..10]);
        assert_eq!(sequential(0, 4).count(), 0);
    }
}
