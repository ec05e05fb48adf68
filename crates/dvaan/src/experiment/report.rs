//! Writes everything derived from the cells: runs.csv, the tables, the figures and an index
//! (README.md) that lists them with a note on every cell that did not finish.

use std::fmt::Write;
use std::path::Path;

use super::figures::{auc_vs_ratio, latent_panel, mu_curves};
use super::grid::{file_safe, ratio_label};
use super::latent::{read_latent, write_latent, LATENT};
use super::outcome::{Metric, Outcome, Status};
use super::{ablation, tables, Plan};
use crate::io::atomic::write_atomic;
use crate::io::io_error;
use crate::io::svg::{figure, Chart};
use crate::run::dir::SAMPLES;
use crate::Result;

pub fn write_all(plan: &Plan, data_dir: &Path, outcomes: &[Outcome]) -> Result<()> {
    let tables_dir = plan.out.join("tables");
    let figures_dir = plan.out.join("figures");
    for d in [&tables_dir, &figures_dir] {
        std::fs::create_dir_all(d).map_err(io_error(d, "create"))?;
    }
    write_atomic(&plan.out.join("runs.csv"), runs_csv(outcomes).as_bytes())?;
    let mut index = String::from("# Experiment results\n\n");
    index.push_str(&time_summary(outcomes));
    index.push_str("\n## Tables\n\n");
    for metric in Metric::ALL {
        let stem = tables_dir.join(metric.key());
        let md = stem.with_extension("md");
        write_atomic(
            &md,
            tables::markdown(&plan.grid, outcomes, metric).as_bytes(),
        )?;
        let csv = stem.with_extension("csv");
        write_atomic(&csv, tables::csv(&plan.grid, outcomes, metric).as_bytes())?;
        let _ = writeln!(
            index,
            "- {}: tables/{}.md, tables/{}.csv",
            metric.title(),
            metric.key(),
            metric.key()
        );
    }
    if ablation::applies(&plan.grid) {
        let stem = tables_dir.join("ablation");
        let md = ablation::markdown(&plan.grid, outcomes);
        write_atomic(&stem.with_extension("md"), md.as_bytes())?;
        let csv = ablation::csv(&plan.grid, outcomes);
        write_atomic(&stem.with_extension("csv"), csv.as_bytes())?;
        index.push_str(
            "- DVAAN against its ablations (paired by seed): tables/ablation.md, \
             tables/ablation.csv\n",
        );
    }
    index.push_str("\n## Figures\n\n");
    let mut notes = Vec::new();
    for dataset in plan.grid.datasets() {
        let safe = file_safe(&dataset);
        let fig5 = format!("fig5_auc_vs_ratio_{safe}.svg");
        save_svg(
            &figures_dir.join(&fig5),
            &auc_vs_ratio(&plan.grid, outcomes, &dataset).to_svg(),
        )?;
        let _ = writeln!(index, "- Figure 5 analogue ({dataset}): figures/{fig5}");
        let fig4 = format!("fig4_mu_{safe}.svg");
        let chart = mu_curves(&plan.grid, outcomes, &dataset)?;
        save_svg(&figures_dir.join(&fig4), &chart.to_svg())?;
        let _ = writeln!(index, "- Figure 4 analogue ({dataset}): figures/{fig4}");
        let fig1 = format!("fig1_latent_{safe}.svg");
        let panels = latent_panels(plan, data_dir, outcomes, &dataset, &mut notes);
        save_svg(&figures_dir.join(&fig1), &figure(&panels))?;
        let _ = writeln!(index, "- Figure 1 analogue ({dataset}): figures/{fig1}");
        if let Some(o) = first_done(outcomes, &dataset, "dvaan") {
            let src = o.dir.join(SAMPLES);
            if src.is_file() {
                let fig6 = format!("fig6_samples_{safe}.png");
                std::fs::copy(&src, figures_dir.join(&fig6)).map_err(io_error(&src, "copy"))?;
                let _ = writeln!(
                    index,
                    "- Figure 6 analogue ({dataset}, {}): figures/{fig6} — rows decoded from \
                     N(+μ1, I), N(0, I), N(0, I), N(−μ1, I)",
                    o.cell.name()
                );
            }
        }
    }
    index.push_str("\n## Cells that did not finish\n\n");
    let unfinished: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Done => None,
            Status::NotImplemented => Some(format!(
                "- {}: method not implemented in this build",
                o.cell.name()
            )),
            Status::Diverged(w) => Some(format!("- {}: diverged ({w})", o.cell.name())),
            Status::Failed(w) => Some(format!("- {}: failed ({w})", o.cell.name())),
            Status::NotRun => Some(format!("- {}: not run yet", o.cell.name())),
        })
        .collect();
    if unfinished.is_empty() {
        index.push_str("none\n");
    } else {
        index.push_str(&unfinished.join("\n"));
        index.push('\n');
    }
    if !notes.is_empty() {
        index.push_str("\n## Notes\n\n");
        for n in notes {
            let _ = writeln!(index, "- {n}");
        }
    }
    write_atomic(&plan.out.join("README.md"), index.as_bytes())?;
    Ok(())
}

fn save_svg(path: &Path, svg: &str) -> Result<()> {
    Ok(write_atomic(path, svg.as_bytes())?)
}

/// The finished cell of `method` on `dataset` at the smallest ratio, first seed.
fn first_done<'a>(outcomes: &'a [Outcome], dataset: &str, method: &str) -> Option<&'a Outcome> {
    outcomes
        .iter()
        .filter(|o| {
            o.cell.dataset == dataset && o.cell.method == method && o.status == Status::Done
        })
        .min_by(|a, b| a.cell.ratio.total_cmp(&b.cell.ratio))
}

/// Figure 1's panels: cvae-gan and dvaan, each from latent.csv (computed once per cell).
fn latent_panels(
    plan: &Plan,
    data_dir: &Path,
    outcomes: &[Outcome],
    dataset: &str,
    notes: &mut Vec<String>,
) -> Vec<Chart> {
    ["cvae-gan", "dvaan"]
        .iter()
        .map(|method| {
            let Some(o) = first_done(outcomes, dataset, method) else {
                let mut c = Chart::new(&format!("{method} ({dataset})"), "", "");
                c.empty_note = format!("no finished {method} cell");
                return c;
            };
            let dir = &o.dir;
            let title = format!(
                "{method}, {dataset} 1:{} (seed {})",
                ratio_label(o.cell.ratio),
                o.cell.seed
            );
            let codes =
                write_latent(dir, data_dir, &plan.gpu).and_then(|_| read_latent(&dir.join(LATENT)));
            match codes {
                Ok((labels, z, d)) => latent_panel(&title, &labels, &z, d),
                Err(e) => {
                    notes.push(format!(
                        "Figure 1, {}: latent codes unavailable: {e}",
                        o.cell.name()
                    ));
                    let mut c = Chart::new(&title, "", "");
                    c.empty_note = "latent codes unavailable (see README)".into();
                    c
                }
            }
        })
        .collect()
}

/// One row per cell.
pub fn runs_csv(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "cell,dataset,ratio,method,seed,status,epochs,roc_auc,pr_auc,g_mean,f1,balanced_accuracy,recon_mse,mu,wall_s,threshold_rule,threshold\n",
    );
    for o in outcomes {
        let status = match &o.status {
            Status::Done => "done",
            Status::NotImplemented => "not implemented",
            Status::Diverged(_) => "diverged",
            Status::Failed(_) => "failed",
            Status::NotRun => "not run",
        };
        let m = |f: fn(&crate::run::record::MetricsRecord) -> f64| {
            o.metrics
                .as_ref()
                .map_or(String::new(), |x| format!("{}", f(x)))
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{status},{},{},{},{},{},{},{},{},{:.1},{},{}",
            o.cell.name(),
            tables::csv_field(&o.cell.dataset),
            ratio_label(o.cell.ratio),
            o.cell.method,
            o.cell.seed,
            o.epochs,
            m(|x| x.roc_auc),
            m(|x| x.pr_auc),
            m(|x| x.g_mean),
            m(|x| x.f1),
            m(|x| x.balanced_accuracy),
            m(|x| x.recon_mse),
            o.mu.map_or(String::new(), |v| format!("{v}")),
            o.wall_s,
            o.metrics.as_ref().map_or("", |x| x.threshold_rule.label()),
            m(|x| x.threshold)
        );
    }
    out
}

/// How many cells finished and the training time they took, in all and per dataset: the sum
/// of each finished cell's wall time (`wall_s` in runs.csv; a resumed cell counts every run).
pub(super) fn time_summary(outcomes: &[Outcome]) -> String {
    let done: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status == Status::Done)
        .collect();
    let hours = |os: &[&Outcome]| os.iter().map(|o| o.wall_s).sum::<f64>() / 3600.0;
    let mut out = format!(
        "{} of {} cells finished; their training took {:.2} h in all (the sum of the cells' \
         wall times, `wall_s` in runs.csv)",
        done.len(),
        outcomes.len(),
        hours(&done)
    );
    let mut datasets: Vec<&str> = Vec::new();
    for o in &done {
        if !datasets.contains(&o.cell.dataset.as_str()) {
            datasets.push(&o.cell.dataset);
        }
    }
    let parts: Vec<String> = datasets
        .iter()
        .map(|d| {
            let of: Vec<&Outcome> = done
                .iter()
                .copied()
                .filter(|o| o.cell.dataset == *d)
                .collect();
            format!("{d} {} cells, {:.2} h", of.len(), hours(&of))
        })
        .collect();
    if !parts.is_empty() {
        let _ = write!(out, ": {}", parts.join("; "));
    }
    out.push_str(".\n");
    out
}
