//! The training set of an epoch: the real samples D followed by the support pool D⁺ of
//! generated samples (docs/DESIGN.md §5.3). Generated positives enter a FIFO capped at
//! `n_neg − n_pos`, so the set moves toward balance; with `aug_both`, agreeing generated
//! negatives enter a second FIFO capped at the number of generated positives held, so they
//! never make the imbalance worse.

use std::collections::VecDeque;

use crate::data::Dataset;
use crate::methods::Generated;

pub struct SupportPool {
    sample_len: usize,
    cap: usize,
    pos: VecDeque<Vec<f32>>,
    neg: VecDeque<Vec<f32>>,
}

impl SupportPool {
    pub fn new(train: &Dataset) -> SupportPool {
        SupportPool {
            sample_len: train.sample_len(),
            cap: train.n_neg.saturating_sub(train.n_pos),
            pos: VecDeque::new(),
            neg: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.pos.len() + self.neg.len()
    }

    pub fn positives(&self) -> usize {
        self.pos.len()
    }

    /// Adds a round's kept samples, dropping the oldest beyond the caps.
    pub fn add(&mut self, g: &Generated) {
        for (x, &y) in g.x.chunks(self.sample_len).zip(&g.labels) {
            if y == 1.0 {
                self.pos.push_back(x.to_vec());
            } else {
                self.neg.push_back(x.to_vec());
            }
        }
        while self.pos.len() > self.cap {
            self.pos.pop_front();
        }
        while self.neg.len() > self.pos.len() {
            self.neg.pop_front();
        }
    }

    /// Sample `i` of D ∪ D⁺ (indices past D run through the positives, then the negatives).
    pub fn sample<'a>(&'a self, train: &'a Dataset, i: usize) -> (&'a [f32], f32) {
        let n = train.len();
        if i < n {
            (train.sample(i), train.labels[i])
        } else if i - n < self.pos.len() {
            (&self.pos[i - n], 1.0)
        } else {
            (&self.neg[i - n - self.pos.len()], 0.0)
        }
    }

    /// Fills `x` and `y` with the samples at `indices` of D ∪ D⁺.
    pub fn gather(&self, train: &Dataset, indices: &[usize], x: &mut Vec<f32>, y: &mut Vec<f32>) {
        x.clear();
        y.clear();
        for &i in indices {
            let (s, l) = self.sample(train, i);
            x.extend_from_slice(s);
            y.push(l);
        }
    }

    /// `(positives, negatives)` as flat arrays, oldest first: for checkpoints.
    pub fn export(&self) -> (Vec<f32>, Vec<f32>) {
        (
            self.pos.iter().flatten().copied().collect(),
            self.neg.iter().flatten().copied().collect(),
        )
    }

    /// Replaces the contents (from a checkpoint); the caps still apply.
    pub fn import(&mut self, pos: &[f32], neg: &[f32]) {
        self.pos = pos.chunks(self.sample_len).map(<[f32]>::to_vec).collect();
        self.neg = neg.chunks(self.sample_len).map(<[f32]>::to_vec).collect();
    }
}
