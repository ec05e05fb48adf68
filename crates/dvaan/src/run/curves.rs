//! `curves.svg`: a run's course, epoch by epoch: the mean of each loss term over the epoch's
//! logged steps, μ at the epoch's end, and the test ROC-AUC. One chart per quantity, since
//! their scales differ by orders of magnitude; rewritten after every epoch.

use super::record::EpochRecord;
use crate::io::svg::{figure_rows, Chart, Series, Style};

/// The quantities drawn, as (series name, chart title, value of an epoch).
type Quantity = (&'static str, &'static str, fn(&EpochRecord) -> f64);

pub const QUANTITIES: [Quantity; 6] = [
    ("L_ele", "mean L_ele (reconstruction)", |e| e.losses.l_ele),
    ("L_KL", "mean L_KL", |e| e.losses.l_kl),
    ("L_adv", "mean L_adv (classifier)", |e| e.losses.l_adv),
    ("L_fea", "mean L_fea (feature match)", |e| e.losses.l_fea),
    ("mu", "μ at the end of the epoch", |e| e.mu as f64),
    ("ROC-AUC", "test ROC-AUC", |e| e.test.roc_auc),
];

/// Charts in a row of the document.
const PER_ROW: usize = 3;

/// The SVG document of `epochs`' curves.
pub fn curves_svg(epochs: &[EpochRecord]) -> String {
    let charts: Vec<Chart> = QUANTITIES
        .iter()
        .enumerate()
        .map(|(i, &(name, title, value))| {
            let mut chart = Chart::new(title, "epoch", name);
            chart.x_integer = true;
            let mut series = Series::new(name, i, Style::LineMarkers);
            series.points = epochs.iter().map(|e| (e.epoch as f64, value(e))).collect();
            chart.series.push(series);
            chart
        })
        .collect();
    figure_rows(&charts, PER_ROW)
}
