//! Seeded randomness for data handling. Shuffles are written out here, on top of the raw
//! Pcg64 stream, rather than taken from `rand`'s helpers, so that a seed picks the same
//! samples and batches whatever version of `rand` a build resolves to.

use rand::{RngCore, SeedableRng};
use rand_pcg::Pcg64;

/// What a generator is for; each gets its own stream so that, e.g., changing the batch size
/// does not change which positives the imbalance ratio keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Subsample,
    Batches,
    Split,
    Validation,
}

pub fn rng(seed: u64, purpose: Purpose) -> Pcg64 {
    let salt = match purpose {
        Purpose::Subsample => 0x5ab5_a3b1_e000_0001,
        Purpose::Batches => 0xba7c_4e5d_0000_0002,
        Purpose::Split => 0x5b11_7000_0000_0003,
        Purpose::Validation => 0x7a11_da7e_0000_0004,
    };
    Pcg64::seed_from_u64(seed ^ salt)
}

/// A uniform integer in `0..n` (n > 0), without modulo bias: draws falling in the incomplete
/// last block of 2^64 are rejected.
pub fn below(rng: &mut Pcg64, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let v = rng.next_u64();
        if v < zone {
            return (v % n) as usize;
        }
    }
}

/// Fisher–Yates shuffle.
pub fn shuffle<T>(rng: &mut Pcg64, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(rng, i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        shuffle(&mut rng(7, Purpose::Batches), &mut a);
        shuffle(&mut rng(7, Purpose::Batches), &mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..100).collect::<Vec<_>>());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        let mut c: Vec<usize> = (0..100).collect();
        shuffle(&mut rng(8, Purpose::Batches), &mut c);
        assert_ne!(a, c);
    }

    #[test]
    fn below_covers_its_range_evenly() {
        let mut r = rng(1, Purpose::Split);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[below(&mut r, 3)] += 1;
        }
        // Each count is Binomial(30000, 1/3): sd ≈ 82, so ±500 is > 6 sd.
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
