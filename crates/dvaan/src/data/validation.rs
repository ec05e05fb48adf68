//! The validation slice of `--threshold validation`: a stratified part of the training set,
//! held out before training, on which the decision threshold is chosen so that the test set
//! never decides it. Which samples are held out depends on the seed alone (its own random
//! stream), so a resumed run, `eval` and `sample` rebuild the same slice.
//!
//! Each class gives `round(n_class · fraction)` of its samples, at least one and never all:
//! the slice has both classes (G-mean needs them) and training keeps both.

use super::dataset::Dataset;
use super::error::DataError;
use super::rng::{rng, shuffle, Purpose};

/// Indices of the samples that stay for training and of those held out, each in increasing
/// order; `labels` are 0 or 1.
pub fn stratified_holdout(
    labels: &[f32],
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(DataError::Inconsistent(format!(
            "--validation-fraction is {fraction}; it must lie strictly between 0 and 1"
        )));
    }
    let mut random = rng(seed, Purpose::Validation);
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (label, class) in [(1.0, "positive"), (0.0, "negative")] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        let n = members.len();
        if n < 2 {
            return Err(DataError::ValidationSplit {
                class,
                available: n,
                fraction,
            });
        }
        let take = ((n as f64 * fraction).round() as usize).clamp(1, n - 1);
        shuffle(&mut random, &mut members);
        held.extend_from_slice(&members[..take]);
        train.extend_from_slice(&members[take..]);
    }
    train.sort_unstable();
    held.sort_unstable();
    Ok((train, held))
}

/// `data` cut into the part that trains and the validation slice.
pub fn split_validation(
    data: &Dataset,
    fraction: f64,
    seed: u64,
) -> Result<(Dataset, Dataset), DataError> {
    let (train, held) = stratified_holdout(&data.labels, fraction, seed)?;
    let part = |indices: &[usize], name: String| {
        let (x, labels) = data.gather(indices);
        Dataset::new(name, x, labels, data.shape.clone())
    };
    Ok((
        part(&train, data.name.clone())?,
        part(&held, format!("{} (validation slice)", data.name))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1:9 labels in a shuffled-looking order.
    fn labels() -> Vec<f32> {
        (0..200)
            .map(|i| if (i * 37) % 10 == 3 { 1.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn holdout_is_stratified_disjoint_complete_and_seeded() {
        let l = labels();
        let (n_pos, n_neg) = (20, 180);
        assert_eq!(l.iter().filter(|&&v| v == 1.0).count(), n_pos);
        let (train, held) = stratified_holdout(&l, 0.25, 3).unwrap();
        let count = |idx: &[usize], v: f32| idx.iter().filter(|&&i| l[i] == v).count();
        // Each class gives round(n · 0.25): 5 of 20 positives, 45 of 180 negatives.
        assert_eq!((count(&held, 1.0), count(&held, 0.0)), (5, 45));
        assert_eq!(
            (count(&train, 1.0), count(&train, 0.0)),
            (n_pos - 5, n_neg - 45)
        );
        let mut all: Vec<usize> = train.iter().chain(&held).copied().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..l.len()).collect::<Vec<_>>(),
            "disjoint and complete"
        );
        assert_eq!(stratified_holdout(&l, 0.25, 3).unwrap().1, held);
        assert_ne!(stratified_holdout(&l, 0.25, 4).unwrap().1, held);
        // Not simply the first samples of each class.
        let first_pos: Vec<usize> = (0..l.len()).filter(|&i| l[i] == 1.0).take(5).collect();
        assert_ne!(
            held.iter()
                .copied()
                .filter(|&i| l[i] == 1.0)
                .collect::<Vec<_>>(),
            first_pos
        );
    }

    #[test]
    fn a_class_too_small_to_split_is_an_error() {
        // Two positives and a fraction that rounds to zero still hold one out...
        let l = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let (train, held) = stratified_holdout(&l, 0.1, 0).unwrap();
        assert_eq!(held.iter().filter(|&&i| l[i] == 1.0).count(), 1);
        assert_eq!(train.iter().filter(|&&i| l[i] == 1.0).count(), 1);
        // ...but one positive cannot be both held out and trained on.
        let err = stratified_holdout(&[1.0, 0.0, 0.0], 0.5, 0).unwrap_err();
        assert!(err.to_string().contains("positive"), "{err}");
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(stratified_holdout(&l, bad, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn split_datasets_keep_their_samples() {
        let l = labels();
        let x: Vec<f32> = (0..l.len() * 2).map(|v| v as f32).collect();
        let d = Dataset::new("t", x, l.clone(), vec![2]).unwrap();
        let (train, val) = split_validation(&d, 0.25, 1).unwrap();
        let (_, held) = stratified_holdout(&l, 0.25, 1).unwrap();
        assert_eq!((train.len(), val.len()), (150, 50));
        assert_eq!((val.n_pos, val.n_neg), (5, 45));
        for (k, &i) in held.iter().enumerate() {
            assert_eq!(val.sample(k), d.sample(i));
            assert_eq!(val.labels[k], l[i]);
        }
    }
}
