//! The decision threshold of `--threshold validation`: after training, the classifier scores
//! a validation slice held out of the training data, and the threshold that maximises G-mean
//! on it is used on the test set. The test set never decides it.
//!
//! Only the partition of the validation scores matters, so the candidates are the cuts
//! between consecutive distinct scores (plus "none positive" and "all positive"). The
//! threshold returned lies strictly between the lowest score of the cut's positive side and
//! the highest of its negative side (their midpoint when f32 can hold one), so that the
//! predictions on the validation slice are exactly the maximising partition and a test score
//! is not decided by where one validation sample happened to fall. Ties between cuts go to
//! the highest threshold (fewest predicted positives).

use super::{by_score_desc, check, tie_groups, MetricError};

/// The threshold `t` (predict positive when `score > t`) that maximises G-mean on
/// `(scores, labels)`.
pub fn best_g_mean_threshold(scores: &[f32], labels: &[f32]) -> Result<f32, MetricError> {
    let (n_pos, n_neg) = check(scores, labels)?;
    let order = by_score_desc(scores);
    let groups = tie_groups(scores, &order);
    // `cut` = how many tie groups, from the top, are predicted positive; none has G-mean 0.
    let (mut best_g, mut best_cut) = (0.0f64, 0usize);
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &(start, end)) in groups.iter().enumerate() {
        for &i in &order[start..end] {
            if labels[i] == 1.0 {
                tp += 1;
            } else {
                fp += 1;
            }
        }
        let tpr = tp as f64 / n_pos as f64;
        let tnr = (n_neg - fp) as f64 / n_neg as f64;
        let g = (tpr * tnr).sqrt();
        if g > best_g {
            (best_g, best_cut) = (g, k + 1);
        }
    }
    let score_of_group = |g: usize| scores[order[groups[g].0]];
    Ok(if best_cut == 0 {
        // Nothing is strictly above the highest score.
        score_of_group(0)
    } else if best_cut == groups.len() {
        score_of_group(groups.len() - 1).next_down()
    } else {
        between(score_of_group(best_cut - 1), score_of_group(best_cut))
    })
}

/// A threshold that puts `above` on the positive side and `below` (< `above`) on the
/// negative one: their midpoint, or `below` itself where f32 has nothing in between.
fn between(above: f32, below: f32) -> f32 {
    let mid = ((above as f64 + below as f64) / 2.0) as f32;
    if mid < above && mid >= below {
        mid
    } else {
        below
    }
}

#[cfg(test)]
mod tests {
    use super::super::evaluate_at;
    use super::*;

    /// Every partition a threshold can make, tried by brute force: each score itself (those
    /// above it positive) and one below the minimum (all positive).
    fn brute_force_best(scores: &[f32], labels: &[f32]) -> f64 {
        let mut candidates: Vec<f32> = scores.to_vec();
        candidates.push(scores.iter().copied().fold(f32::INFINITY, f32::min) - 1.0);
        candidates
            .iter()
            .map(|&t| evaluate_at(scores, labels, t).unwrap().g_mean)
            .fold(0.0, f64::max)
    }

    /// Deterministic pseudo-random scores with many ties and overlapping classes.
    fn case(n: usize, seed: u64, levels: u64) -> (Vec<f32>, Vec<f32>) {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let positive = i % 4 == 0 || next() % 7 == 0;
            let level = (next() % levels) as f32 - levels as f32 / 2.0;
            scores.push(level * 0.5 + if positive { 1.5 } else { 0.0 });
            labels.push(if positive { 1.0 } else { 0.0 });
        }
        (scores, labels)
    }

    #[test]
    fn chosen_threshold_reaches_the_brute_force_maximum() {
        for (n, seed, levels) in [(40, 1, 6), (200, 2, 30), (97, 3, 3), (500, 4, 1000)] {
            let (s, l) = case(n, seed, levels);
            let t = best_g_mean_threshold(&s, &l).unwrap();
            let got = evaluate_at(&s, &l, t).unwrap().g_mean;
            let want = brute_force_best(&s, &l);
            assert_eq!(got, want, "n {n} seed {seed}: threshold {t}");
            // The threshold is never a validation score itself: it sits in a gap.
            assert!(!s.contains(&t), "threshold {t} equals a score");
        }
    }

    #[test]
    fn separable_scores_split_in_the_middle_of_the_gap() {
        let s = [0.9, 0.8, 0.3, 0.1, -0.4];
        let l = [1.0, 1.0, 0.0, 0.0, 0.0];
        let t = best_g_mean_threshold(&s, &l).unwrap();
        assert!((t - 0.55).abs() < 1e-6, "{t}");
        assert_eq!(evaluate_at(&s, &l, t).unwrap().g_mean, 1.0);
        // Reversed scores: no cut has both rates above 0, so G-mean is 0 at best...
        let r = [-0.9, -0.8, 0.3, 0.1, 0.4];
        let t = best_g_mean_threshold(&r, &l).unwrap();
        let g = evaluate_at(&r, &l, t).unwrap().g_mean;
        assert_eq!(g, brute_force_best(&r, &l));
        // ...and adjacent floats still separate.
        let a = 1.0f32;
        let b = a.next_down();
        let t = best_g_mean_threshold(&[a, b], &[1.0, 0.0]).unwrap();
        assert!(a > t && b <= t, "{t}");
    }

    #[test]
    fn degenerate_input_is_an_error() {
        assert!(matches!(
            best_g_mean_threshold(&[0.1, 0.2], &[1.0, 1.0]),
            Err(MetricError::OneClass { .. })
        ));
    }
}
