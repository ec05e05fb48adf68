//! The paper's tables from the finished cells: per metric, one Markdown table per imbalance
//! ratio (methods as rows, datasets as columns, mean ± std over seeds, the published value in
//! a column beside ours wherever the paper reports one for that dataset and ratio), and one
//! long-format CSV with a row per (ratio, dataset, method).

use std::fmt::Write;

use super::grid::{ratio_label, split_ova, Grid};
use super::outcome::{group, summarise, Metric, Outcome, Status, Summary};
use super::paper;
use crate::config::ThresholdRule;

/// Methods with an encoder–decoder, the rows of Table 3.
pub const VAE_BASED: [&str; 6] = [
    "dvaan",
    "dvaan-mu",
    "dvaan-a",
    "vae-gan",
    "vae-gan-b",
    "cvae-gan",
];

/// One (dataset, ratio, method) entry of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub summary: Option<Summary>,
    /// `ok`, `partial`, `not implemented`, `diverged`, `failed`, `not run`, or `not in grid`.
    pub status: String,
    pub note: String,
}

pub fn entry(
    outcomes: &[Outcome],
    metric: Metric,
    dataset: &str,
    ratio: f64,
    method: &str,
) -> Entry {
    let g = group(outcomes, dataset, ratio, method);
    let values: Vec<f64> = g
        .iter()
        .filter_map(|o| o.metrics.as_ref().map(|m| metric.value(m)))
        .collect();
    let count = |f: fn(&Status) -> bool| g.iter().filter(|o| f(&o.status)).count();
    let done = count(|s| *s == Status::Done);
    let diverged = count(|s| matches!(s, Status::Diverged(_)));
    let failed = count(|s| matches!(s, Status::Failed(_)));
    let status = if g.is_empty() {
        "not in grid"
    } else if g.iter().all(|o| o.status == Status::NotImplemented) {
        "not implemented"
    } else if done == g.len() {
        "ok"
    } else if done > 0 {
        "partial"
    } else if diverged > 0 {
        "diverged"
    } else if failed > 0 {
        "failed"
    } else {
        "not run"
    };
    let mut notes = Vec::new();
    if done > 0 && done < g.len() {
        notes.push(format!("{done} of {} seeds", g.len()));
    }
    if diverged > 0 {
        notes.push(format!("{diverged} diverged"));
    }
    if failed > 0 {
        notes.push(format!("{failed} failed"));
    }
    Entry {
        summary: summarise(&values),
        status: status.into(),
        note: notes.join(", "),
    }
}

fn cell_text(e: &Entry) -> String {
    let base = match (&e.summary, e.status.as_str()) {
        (Some(s), _) => match s.std {
            Some(sd) => format!("{:.4} ± {sd:.4}", s.mean),
            None => format!("{:.4}", s.mean),
        },
        (None, "not in grid") => "–".into(),
        (None, "ok") => "n/a".into(),
        (None, status) => status.into(),
    };
    if e.note.is_empty() {
        base
    } else {
        format!("{base} ({})", e.note)
    }
}

/// The paper's value at our precision; `–` where the paper has no row for the method.
fn fmt_paper(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.4}"))
}

/// `Imbalance 1:R`; at 1:1 with one-vs-all datasets, what 1:1 means there.
fn ratio_heading(ratio: f64, datasets: &[String]) -> String {
    let head = format!("Imbalance 1:{}", ratio_label(ratio));
    if ratio == 1.0 && datasets.iter().any(|d| split_ova(d).1.is_some()) {
        format!(
            "{head} (no positive removed: a one-vs-all task keeps the class's natural share, \
             about 1:9 in a ten-class set)"
        )
    } else {
        head
    }
}

/// The rows of a metric's tables.
pub fn rows(grid: &Grid, outcomes: &[Outcome], metric: Metric) -> Vec<String> {
    let methods = grid.methods();
    if metric != Metric::ReconMse {
        return methods;
    }
    methods
        .into_iter()
        .filter(|m| {
            VAE_BASED.contains(&m.as_str())
                || outcomes.iter().any(|o| {
                    &o.cell.method == m && o.metrics.is_some_and(|x| x.recon_mse.is_finite())
                })
        })
        .collect()
}

/// The threshold rule of the finished cells, as every table states it: one rule, or each
/// rule with its number of cells when they differ.
pub fn threshold_rules(outcomes: &[Outcome]) -> String {
    let mut counts: Vec<(ThresholdRule, usize)> = Vec::new();
    for m in outcomes.iter().filter_map(|o| o.metrics.as_ref()) {
        match counts.iter_mut().find(|(r, _)| *r == m.threshold_rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((m.threshold_rule, 1)),
        }
    }
    match &counts[..] {
        [] => "none yet (no finished cell)".into(),
        [(rule, _)] => rule_text(*rule).into(),
        _ => {
            let parts: Vec<String> = counts
                .iter()
                .map(|(r, n)| format!("{} in {n} cells", r.label()))
                .collect();
            format!("mixed: {}", parts.join(", "))
        }
    }
}

fn rule_text(rule: ThresholdRule) -> &'static str {
    match rule {
        ThresholdRule::Fixed => "0.5 (probability 0.5, i.e. logit 0, fixed in advance)",
        ThresholdRule::Validation => {
            "validation G-mean (the logit that maximises G-mean on a stratified validation \
             slice held out of each cell's training data; the test set does not choose it)"
        }
    }
}

/// The rules of one group's finished cells, for the CSV (`;` between different ones).
fn group_rules(outcomes: &[Outcome], dataset: &str, ratio: f64, method: &str) -> String {
    let mut rules: Vec<&str> = Vec::new();
    for o in group(outcomes, dataset, ratio, method) {
        if let Some(m) = &o.metrics {
            if !rules.contains(&m.threshold_rule.label()) {
                rules.push(m.threshold_rule.label());
            }
        }
    }
    rules.join(";")
}

pub fn markdown(grid: &Grid, outcomes: &[Outcome], metric: Metric) -> String {
    let mut out = format!("# {}\n\n", metric.title());
    let _ = writeln!(
        out,
        "Threshold rule: {}{}.\n",
        threshold_rules(outcomes),
        if metric.thresholded() {
            ""
        } else {
            "; this metric itself uses no threshold, the rule changes it only through the \
             validation slice it holds out of training"
        }
    );
    let rows = rows(grid, outcomes, metric);
    for ratio in grid.ratios() {
        let datasets: Vec<String> = grid
            .datasets()
            .into_iter()
            .filter(|d| {
                outcomes
                    .iter()
                    .any(|o| &o.cell.dataset == d && o.cell.ratio == ratio)
            })
            .collect();
        let _ = writeln!(out, "## {}\n", ratio_heading(ratio, &datasets));
        let mut head = "| method |".to_string();
        let mut rule = "|---|".to_string();
        for d in &datasets {
            let _ = write!(head, " {d} |");
            rule.push_str("---|");
            if paper::reports(metric, d, ratio) {
                let _ = write!(head, " {d} (paper) |");
                rule.push_str("---|");
            }
        }
        let _ = writeln!(out, "{head}\n{rule}");
        for m in &rows {
            let mut line = format!("| {m} |");
            for d in &datasets {
                let e = entry(outcomes, metric, d, ratio, m);
                let _ = write!(line, " {} |", cell_text(&e));
                if paper::reports(metric, d, ratio) {
                    let p = paper::published(metric, d, ratio, m);
                    let _ = write!(line, " {} |", fmt_paper(p));
                }
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Ours: mean ± sample standard deviation over seeds of the final test metrics in \
         cells/*/metrics.json; \"not implemented\" marks a method this build does not have yet.  \n\
         Paper: {}.",
        paper::SOURCE
    );
    out
}

pub fn csv(grid: &Grid, outcomes: &[Outcome], metric: Metric) -> String {
    let mut out =
        String::from("metric,ratio,dataset,method,status,n,mean,std,paper,threshold_rule\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for ratio in grid.ratios() {
        for d in grid.datasets() {
            for m in rows(grid, outcomes, metric) {
                let e = entry(outcomes, metric, &d, ratio, &m);
                if e.status == "not in grid" {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    metric.key(),
                    ratio_label(ratio),
                    csv_field(&d),
                    m,
                    e.status,
                    e.summary.map_or(0, |s| s.n),
                    num(e.summary.map(|s| s.mean)),
                    num(e.summary.and_then(|s| s.std)),
                    num(paper::published(metric, &d, ratio, &m)),
                    csv_field(&group_rules(outcomes, &d, ratio, &m)),
                );
            }
        }
    }
    out
}

/// Quotes a field that holds a comma or a quote.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into()
    }
}
