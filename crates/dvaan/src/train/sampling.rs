//! An epoch's mini-batches for each [`Sampling`] a method asks for, drawn from one seed so
//! that a run resumed at an epoch boundary sees the same batches. Indices run over D and
//! then the support pool D⁺ (only DVAAN's shuffle has a pool). Partial batches are dropped:
//! batch norm needs real batch statistics.

use crate::data::{BatchSampler, Dataset, LastBatch};
use crate::methods::Sampling;
use crate::Error;

/// The batches of one epoch over D (`train`) and `pool` samples of D⁺.
pub fn epoch_batches(
    sampling: Sampling,
    train: &Dataset,
    pool: usize,
    batch: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>, Error> {
    match sampling {
        Sampling::Shuffle => {
            let mut sampler = BatchSampler::new(batch, seed, LastBatch::Drop)?;
            Ok(sampler.epoch(train.len() + pool)?)
        }
        Sampling::BalancedBatches => balanced(train, batch, seed),
        Sampling::Oversample => oversampled(train, batch, seed),
    }
}

/// Positive and negative indices of D.
fn classes(train: &Dataset) -> (Vec<usize>, Vec<usize>) {
    (0..train.len()).partition(|&i| train.labels[i] == 1.0)
}

/// Permutations of `0..n`, a fresh one per call, from the data module's seeded shuffle.
struct Permutations(BatchSampler);

impl Permutations {
    fn new(seed: u64) -> Result<Permutations, Error> {
        Ok(Permutations(BatchSampler::new(1, seed, LastBatch::Keep)?))
    }

    fn next(&mut self, n: usize) -> Result<Vec<usize>, Error> {
        Ok(self.0.epoch(n)?.concat())
    }
}

/// `batch − batch/2` negatives (each negative once per epoch) and `batch/2` positives per
/// batch; the positives come from back-to-back permutations of the positives, so each is
/// used about equally often.
fn balanced(train: &Dataset, batch: usize, seed: u64) -> Result<Vec<Vec<usize>>, Error> {
    let (pos, neg) = classes(train);
    let (n_pos, n_neg) = (batch / 2, batch - batch / 2);
    let mut perms = Permutations::new(seed)?;
    let negs = perms.next(neg.len())?;
    let batches = neg.len() / n_neg;
    let mut poss = Vec::with_capacity(batches * n_pos);
    while poss.len() < batches * n_pos {
        poss.extend(perms.next(pos.len())?);
    }
    Ok((0..batches)
        .map(|b| {
            let p = poss[b * n_pos..(b + 1) * n_pos].iter().map(|&i| pos[i]);
            let n = negs[b * n_neg..(b + 1) * n_neg].iter().map(|&i| neg[i]);
            p.chain(n).collect()
        })
        .collect())
}

/// Random oversampling: whole copies of the positives, plus a random subset of them for the
/// remainder, until there are as many as negatives; then everything shuffled.
fn oversampled(train: &Dataset, batch: usize, seed: u64) -> Result<Vec<Vec<usize>>, Error> {
    let (pos, neg) = classes(train);
    let mut perms = Permutations::new(seed)?;
    let mut all = neg.clone();
    let target = neg.len().max(pos.len());
    for _ in 0..target / pos.len() {
        all.extend(&pos);
    }
    let rest = perms.next(pos.len())?;
    all.extend(rest[..target % pos.len()].iter().map(|&i| pos[i]));
    let order = perms.next(all.len())?;
    let keep = all.len() - all.len() % batch;
    Ok(order[..keep]
        .chunks(batch)
        .map(|c| c.iter().map(|&i| all[i]).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n_pos: usize, n_neg: usize) -> Dataset {
        let labels: Vec<f32> = (0..n_pos + n_neg)
            .map(|i| {
                if i % 7 == 0 && i / 7 < n_pos {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let n = labels.len();
        Dataset::new("t", vec![0.0; n], labels, vec![1]).unwrap()
    }

    fn positives(d: &Dataset, b: &[usize]) -> usize {
        b.iter().filter(|&&i| d.labels[i] == 1.0).count()
    }

    #[test]
    fn balanced_batches_are_half_positive_and_use_every_negative_once() {
        let d = data(5, 45);
        let batches = epoch_batches(Sampling::BalancedBatches, &d, 0, 8, 3).unwrap();
        assert_eq!(batches.len(), d.n_neg / 4);
        assert!(batches
            .iter()
            .all(|b| b.len() == 8 && positives(&d, b) == 4));
        let mut negs: Vec<usize> = batches
            .concat()
            .into_iter()
            .filter(|&i| d.labels[i] == 0.0)
            .collect();
        negs.sort_unstable();
        negs.dedup();
        assert_eq!(negs.len(), batches.len() * 4);
        assert_eq!(
            batches,
            epoch_batches(Sampling::BalancedBatches, &d, 0, 8, 3).unwrap()
        );
    }

    #[test]
    fn oversampling_balances_the_classes() {
        let d = data(6, 44);
        let batches = epoch_batches(Sampling::Oversample, &d, 0, 8, 1).unwrap();
        assert_eq!(batches.len(), 88 / 8);
        let pos: usize = batches.iter().map(|b| positives(&d, b)).sum();
        assert_eq!(pos, 44, "every batch full, 44 positives among 88");
        let mut seen: Vec<usize> = batches
            .concat()
            .into_iter()
            .filter(|&i| d.labels[i] == 1.0)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 6, "every positive appears");
    }
}
