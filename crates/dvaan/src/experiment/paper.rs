//! Numbers published in Guo, Zhu, Wang, Chen, "Discriminative Sample Generation for Deep
//! Imbalanced Learning", IJCAI 2019 (pages 2406–2412, doi:10.24963/ijcai.2019/334), shown
//! beside ours in the tables.
//!
//! Only numbers read from the paper itself belong here, each with the table it comes from.
//! The list is empty: the paper's tables could not be retrieved where this code was written
//! (only its abstract was), so every "paper" column reads `n/a` until someone adds the values
//! from the PDF. Add rows as `(metric key, dataset, ratio, method, value)`.

use super::outcome::Metric;

/// `(metric key, dataset, ratio, method, value)`.
pub const PUBLISHED: &[(&str, &str, f64, &str, f64)] = &[];

/// Where the numbers come from, for the notes under each table.
pub const SOURCE: &str = "Guo, Zhu, Wang, Chen, IJCAI 2019 (doi:10.24963/ijcai.2019/334); \
    `n/a` where the value was not available to us (see crates/dvaan/src/experiment/paper.rs)";

pub fn published(metric: Metric, dataset: &str, ratio: f64, method: &str) -> Option<f64> {
    lookup(PUBLISHED, metric, dataset, ratio, method)
}

fn lookup(
    table: &[(&str, &str, f64, &str, f64)],
    metric: Metric,
    dataset: &str,
    ratio: f64,
    method: &str,
) -> Option<f64> {
    table
        .iter()
        .find(|(k, d, r, m, _)| *k == metric.key() && *d == dataset && *r == ratio && *m == method)
        .map(|row| row.4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_matches_every_key() {
        let t = [("roc_auc", "mnist", 5.0, "dvaan", 0.5)];
        assert_eq!(lookup(&t, Metric::RocAuc, "mnist", 5.0, "dvaan"), Some(0.5));
        assert_eq!(lookup(&t, Metric::PrAuc, "mnist", 5.0, "dvaan"), None);
        assert_eq!(lookup(&t, Metric::RocAuc, "mnist", 10.0, "dvaan"), None);
        assert_eq!(lookup(&t, Metric::RocAuc, "cifar10", 5.0, "dvaan"), None);
        assert_eq!(lookup(&t, Metric::RocAuc, "mnist", 5.0, "cnn"), None);
    }
}
