//! Numbers published in Guo, Zhu, Wang, Chen, "Discriminative Sample Generation for Deep
//! Imbalanced Learning", IJCAI 2019 (pages 2406–2412, doi:10.24963/ijcai.2019/334), shown
//! beside ours in the tables.
//!
//! Only numbers read from the paper itself belong here, each with the table it comes from:
//!
//! - Table 1: test ROC-AUC at 1:5 on the paper's pairs (MNIST 5 vs 6, Fashion-MNIST sandal
//!   vs sneaker, CIFAR-10 cat vs dog, TIS). The paper prints percentages; they are stored as
//!   fractions, like ours.
//! - Table 2: test ROC-AUC, one class against all others at the class's natural share
//!   (about 1:9 in a ten-class set). Our one-vs-all cells are `<dataset>-ovaK` at ratio 1 (no
//!   positive removed), so the rows are keyed by `<dataset>-ova` and ratio 1 and match any K:
//!   the paper does not say which class it made positive.
//! - Table 3: reconstruction MSE at 1:5. The paper lists two VAE-GAN rows and three DVAAN
//!   rows with numeric suffixes it does not explain; each method's value here is the lowest
//!   of its rows (VAE-GAN-1/-2, DVAAN-1/-2/-3), the one most favourable to the paper. Its
//!   scale (what is averaged, over which pixel range) is not stated either.
//!
//! The paper reports no PR-AUC, G-mean, F1 or balanced accuracy, and no ratio other than 1:5
//! and the one-vs-all share in its tables (its Figure 5 plots other ratios on TIS only).
//! Rows are `(metric key, dataset, ratio, method, value)`.

use super::grid::split_ova;
use super::outcome::Metric;

/// `(metric key, dataset, ratio, method, value)`.
pub const PUBLISHED: &[(&str, &str, f64, &str, f64)] = &[
    // Table 1: ROC-AUC (%) at 1:5, as fractions.
    ("roc_auc", "mnist", 5.0, "vae-gan", 0.9152),
    ("roc_auc", "mnist", 5.0, "vae-gan-b", 0.9617),
    ("roc_auc", "mnist", 5.0, "ac-gan", 0.9849),
    ("roc_auc", "mnist", 5.0, "cvae-gan", 0.9683),
    ("roc_auc", "mnist", 5.0, "dvaan-mu", 0.9628),
    ("roc_auc", "mnist", 5.0, "dvaan-a", 0.9776),
    ("roc_auc", "mnist", 5.0, "dvaan", 0.9871),
    ("roc_auc", "fashion-mnist", 5.0, "vae-gan", 0.8712),
    ("roc_auc", "fashion-mnist", 5.0, "vae-gan-b", 0.8835),
    ("roc_auc", "fashion-mnist", 5.0, "ac-gan", 0.9207),
    ("roc_auc", "fashion-mnist", 5.0, "cvae-gan", 0.9144),
    ("roc_auc", "fashion-mnist", 5.0, "dvaan-mu", 0.9034),
    ("roc_auc", "fashion-mnist", 5.0, "dvaan-a", 0.9175),
    ("roc_auc", "fashion-mnist", 5.0, "dvaan", 0.9233),
    ("roc_auc", "cifar10", 5.0, "vae-gan", 0.8987),
    ("roc_auc", "cifar10", 5.0, "vae-gan-b", 0.9219),
    ("roc_auc", "cifar10", 5.0, "ac-gan", 0.9426),
    ("roc_auc", "cifar10", 5.0, "cvae-gan", 0.9505),
    ("roc_auc", "cifar10", 5.0, "dvaan-mu", 0.9337),
    ("roc_auc", "cifar10", 5.0, "dvaan-a", 0.9483),
    ("roc_auc", "cifar10", 5.0, "dvaan", 0.9617),
    ("roc_auc", "tis", 5.0, "vae-gan", 0.7138),
    ("roc_auc", "tis", 5.0, "vae-gan-b", 0.7414),
    ("roc_auc", "tis", 5.0, "ac-gan", 0.8062),
    ("roc_auc", "tis", 5.0, "cvae-gan", 0.7845),
    ("roc_auc", "tis", 5.0, "dvaan-mu", 0.8356),
    ("roc_auc", "tis", 5.0, "dvaan-a", 0.8469),
    ("roc_auc", "tis", 5.0, "dvaan", 0.8551),
    // Table 2: ROC-AUC (%), one against all at the natural share, as fractions.
    ("roc_auc", "mnist-ova", 1.0, "vae-gan", 0.9394),
    ("roc_auc", "mnist-ova", 1.0, "vae-gan-b", 0.9703),
    ("roc_auc", "mnist-ova", 1.0, "ac-gan", 0.9861),
    ("roc_auc", "mnist-ova", 1.0, "cvae-gan", 0.9876),
    ("roc_auc", "mnist-ova", 1.0, "dvaan-mu", 0.9690),
    ("roc_auc", "mnist-ova", 1.0, "dvaan-a", 0.9833),
    ("roc_auc", "mnist-ova", 1.0, "dvaan", 0.9913),
    ("roc_auc", "fashion-mnist-ova", 1.0, "vae-gan", 0.8814),
    ("roc_auc", "fashion-mnist-ova", 1.0, "vae-gan-b", 0.8875),
    ("roc_auc", "fashion-mnist-ova", 1.0, "ac-gan", 0.8930),
    ("roc_auc", "fashion-mnist-ova", 1.0, "cvae-gan", 0.9026),
    ("roc_auc", "fashion-mnist-ova", 1.0, "dvaan-mu", 0.8971),
    ("roc_auc", "fashion-mnist-ova", 1.0, "dvaan-a", 0.9181),
    ("roc_auc", "fashion-mnist-ova", 1.0, "dvaan", 0.9259),
    ("roc_auc", "cifar10-ova", 1.0, "vae-gan", 0.9108),
    ("roc_auc", "cifar10-ova", 1.0, "vae-gan-b", 0.9414),
    ("roc_auc", "cifar10-ova", 1.0, "ac-gan", 0.9807),
    ("roc_auc", "cifar10-ova", 1.0, "cvae-gan", 0.9696),
    ("roc_auc", "cifar10-ova", 1.0, "dvaan-mu", 0.9577),
    ("roc_auc", "cifar10-ova", 1.0, "dvaan-a", 0.9628),
    ("roc_auc", "cifar10-ova", 1.0, "dvaan", 0.9791),
    // Table 3: reconstruction MSE at 1:5; the lowest of each method's rows.
    ("recon_mse", "mnist", 5.0, "vae-gan", 0.0137),
    ("recon_mse", "mnist", 5.0, "cvae-gan", 0.0031),
    ("recon_mse", "mnist", 5.0, "dvaan", 0.0059),
    ("recon_mse", "fashion-mnist", 5.0, "vae-gan", 0.0824),
    ("recon_mse", "fashion-mnist", 5.0, "cvae-gan", 0.0427),
    ("recon_mse", "fashion-mnist", 5.0, "dvaan", 0.0503),
    ("recon_mse", "cifar10", 5.0, "vae-gan", 0.0932),
    ("recon_mse", "cifar10", 5.0, "cvae-gan", 0.0371),
    ("recon_mse", "cifar10", 5.0, "dvaan", 0.0569),
    ("recon_mse", "tis", 5.0, "vae-gan", 0.4213),
    ("recon_mse", "tis", 5.0, "cvae-gan", 0.4136),
    ("recon_mse", "tis", 5.0, "dvaan", 0.3836),
];

/// Where the numbers come from, for the notes under each table.
pub const SOURCE: &str = "Guo, Zhu, Wang, Chen, IJCAI 2019 (doi:10.24963/ijcai.2019/334): \
    ROC-AUC from its Table 1 (1:5) and Table 2 (one class against all at its natural share, \
    our `-ovaK` cells at 1:1; the paper does not name the class), reconstruction MSE from its \
    Table 3 (1:5, the lowest of each method's rows); a paper column appears where the paper \
    reports the metric for that dataset and ratio, `–` where it has no such row \
    (crates/dvaan/src/experiment/paper.rs)";

pub fn published(metric: Metric, dataset: &str, ratio: f64, method: &str) -> Option<f64> {
    lookup(PUBLISHED, metric, dataset, ratio, method)
}

/// True when the paper reports `metric` for some method on `dataset` at `ratio`, i.e. the
/// table has a paper column there.
pub fn reports(metric: Metric, dataset: &str, ratio: f64) -> bool {
    PUBLISHED
        .iter()
        .any(|(k, d, r, _, _)| *k == metric.key() && matches(d, dataset) && *r == ratio)
}

/// True when the paper's dataset name `published` stands for ours: the same name, or for a
/// one-vs-all cell `<base>-ovaK` the row `<base>-ova`.
fn matches(published: &str, ours: &str) -> bool {
    match split_ova(ours) {
        (base, Some(_)) => published.strip_suffix("-ova") == Some(base.as_str()),
        (_, None) => published == ours,
    }
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
        .find(|(k, d, r, m, _)| {
            *k == metric.key() && matches(d, dataset) && *r == ratio && *m == method
        })
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
        assert_eq!(lookup(&t, Metric::RocAuc, "mnist-ova5", 5.0, "dvaan"), None);
    }

    #[test]
    fn one_vs_all_cells_find_table_2_for_any_class() {
        assert_eq!(
            published(Metric::RocAuc, "mnist-ova3", 1.0, "dvaan"),
            Some(0.9913)
        );
        assert_eq!(
            published(Metric::RocAuc, "fashion-mnist-ova0", 1.0, "ac-gan"),
            Some(0.8930)
        );
        assert_eq!(published(Metric::RocAuc, "mnist-ova3", 5.0, "dvaan"), None);
        assert_eq!(published(Metric::RocAuc, "mnist", 1.0, "dvaan"), None);
        assert!(reports(Metric::RocAuc, "cifar10-ova9", 1.0));
        assert!(!reports(Metric::GMean, "mnist", 5.0));
    }

    #[test]
    fn every_row_is_unique_and_in_range() {
        for (i, a) in PUBLISHED.iter().enumerate() {
            assert!(Metric::ALL.iter().any(|m| m.key() == a.0), "{a:?}");
            assert!(a.4 > 0.0 && a.4 < 1.0, "{a:?}");
            for b in &PUBLISHED[i + 1..] {
                assert!((a.0, a.1, a.2, a.3) != (b.0, b.1, b.2, b.3), "{a:?} twice");
            }
        }
        // Tables 1 and 2 have 7 methods on 4 and 3 datasets, Table 3 three methods on 4.
        assert_eq!(PUBLISHED.len(), 7 * 4 + 7 * 3 + 3 * 4);
    }
}
