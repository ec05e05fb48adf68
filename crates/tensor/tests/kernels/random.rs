use dvaan_tensor::ops::random::{self, reference};

use crate::common::*;

const SEEDS: &[(u64, u64)] = &[(0, 0), (42, 1), (0xDEAD_BEEF_1234_5678, (7 << 32) | 5)];
const SIZES: &[usize] = &[1, 7, 1000, 92 * 28 * 28 + 3];

/// Known-answer vectors published with Random123 (kat_vectors): counter, key, output.
#[test]
fn reference_philox_matches_known_answers() {
    let kat: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        (
            [0; 4],
            [0; 2],
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];
    for (counter, key, want) in kat {
        assert_eq!(
            reference::philox(counter, key),
            want,
            "counter {counter:x?} key {key:x?}"
        );
    }
}

#[test]
fn gpu_uniform_reproduces_the_known_answer_for_zero_seed() {
    // seed 0, offset 0: block 0 is philox(0, 0); uniforms are its words' top 24 bits.
    let u = random::uniform(gpu(), &[4], 0, 0).to_vec();
    let want =
        [0x6627e8d5u32, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8].map(|w| (w >> 8) as f32 / 16_777_216.0);
    assert_eq!(u, want);
}

// Uniforms and Bernoulli draws are exact multiples of 2^-24 on both sides: compare exactly.
#[test]
fn uniform_and_bernoulli_match_reference_exactly() {
    for &n in SIZES {
        for &(seed, offset) in SEEDS {
            let u = random::uniform(gpu(), &[n], seed, offset).to_vec();
            let want = reference::uniform(n, seed, offset);
            assert!(
                u.len() == want.len() && u.iter().zip(&want).all(|(&g, &w)| g as f64 == w),
                "uniform n={n} seed={seed} offset={offset}"
            );
            assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
            let b = random::bernoulli(gpu(), &[n], 0.3, seed, offset).to_vec();
            assert_eq!(
                f64s(&b),
                reference::bernoulli(n, 0.3, seed, offset),
                "bernoulli n={n}"
            );
        }
    }
}

// The normals come from identical uniforms; what differs is f32 rounding in the transform.
// With radius r ≤ sqrt(2 ln 2^24) ≈ 5.8, the error is about r times the angle's error
// (f32 2π and one product: ≤ 3.3e-7), the sin/cos error (a few 1e-7 on lavapipe) and the
// radius's relative error (a few ulp: small u uses a series, so log near 1 cannot hurt):
// ≲ 5.8 · 7e-7 ≈ 4e-6. Measured on lavapipe: below 6e-7 · (1 + |z|). A wrong transform
// moves values by O(1).
#[test]
fn normal_matches_reference() {
    for &n in SIZES {
        for &(seed, offset) in SEEDS {
            let z = random::normal(gpu(), &[n], seed, offset).to_vec();
            let want = reference::normal(n, seed, offset);
            assert_close(&format!("normal n={n} seed={seed}"), &z, &want, 0.0, 4e-6);
        }
    }
}

#[test]
fn shorter_tensors_are_prefixes_of_longer_ones() {
    let long = random::normal(gpu(), &[1001], 9, 3).to_vec();
    let short = random::normal(gpu(), &[7], 9, 3).to_vec();
    assert_eq!(short[..], long[..7]);
}

#[test]
fn same_seed_and_offset_repeat_and_others_differ() {
    let n = 4096;
    let a = random::normal(gpu(), &[n], 5, 11).to_vec();
    let again = random::normal(gpu(), &[n], 5, 11).to_vec();
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        again.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    for (seed, offset) in [(5, 12), (6, 11), (5, 11 + (1 << 32)), (5 + (1 << 32), 11)] {
        let b = random::normal(gpu(), &[n], seed, offset).to_vec();
        let equal = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        // Independent continuous draws coincide essentially never.
        assert!(
            equal < 4,
            "seed {seed} offset {offset}: {equal} of {n} values equal to the (5, 11) stream"
        );
        // ... and are uncorrelated: |r| below 5 standard errors (1/sqrt(n)).
        let r = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| x as f64 * y as f64)
            .sum::<f64>()
            / n as f64;
        assert!(
            r.abs() < 5.0 / (n as f64).sqrt(),
            "seed {seed} offset {offset}: correlation {r}"
        );
    }
}

fn mean_var(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

// 10^5 draws: the standard error of the mean is sqrt(var / n), that of a normal sample's
// variance sqrt(2 / n). Every check allows 5 standard errors (a false alarm ~ 6e-7).
#[test]
fn statistics_of_10_to_the_5_draws() {
    let n = 100_000;
    let nf = n as f64;
    for offset in [0, 1] {
        let (mean, var) = mean_var(&random::normal(gpu(), &[n], 2024, offset).to_vec());
        assert!(mean.abs() < 5.0 / nf.sqrt(), "normal mean {mean}");
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(),
            "normal variance {var}"
        );

        let (mean, var) = mean_var(&random::uniform(gpu(), &[n], 2024, offset).to_vec());
        assert!(
            (mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / nf).sqrt(),
            "uniform mean {mean}"
        );
        // Var of a U(0,1) sample variance: (1/80 - 1/144) / n.
        assert!(
            (var - 1.0 / 12.0).abs() < 5.0 * ((1.0 / 80.0 - 1.0 / 144.0) / nf).sqrt(),
            "uniform variance {var}"
        );

        let p = 0.2;
        let (rate, _) = mean_var(&random::bernoulli(gpu(), &[n], p as f32, 2024, offset).to_vec());
        assert!(
            (rate - p).abs() < 5.0 * (p * (1.0 - p) / nf).sqrt(),
            "bernoulli rate {rate}"
        );
    }
    // The tails are there too: P(|z| > 3) = 0.0027, so 270 ± 5·16 of 10^5.
    let z = random::normal(gpu(), &[n], 77, 0).to_vec();
    let tail = z.iter().filter(|x| x.abs() > 3.0).count();
    assert!((190..=350).contains(&tail), "{tail} values beyond 3 sigma");
}

#[test]
fn bernoulli_extremes() {
    let zeros = random::bernoulli(gpu(), &[1000], 0.0, 1, 2).to_vec();
    let ones = random::bernoulli(gpu(), &[1000], 1.0, 1, 2).to_vec();
    assert!(zeros.iter().all(|&x| x == 0.0) && ones.iter().all(|&x| x == 1.0));
}
