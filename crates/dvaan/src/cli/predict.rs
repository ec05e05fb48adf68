//! `dvaan predict`: scores new data with a trained run's classifier and writes one row per
//! sample; with labels, prints the metrics as `eval` does.

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::run::dir::checkpoint_path;
use crate::run::predict::{predict, PredictRun};
use crate::run::table::{print_metrics, print_per_class};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run folder, or its checkpoint.safetensors.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The data to score: an IDX image file (raw or .gz), a CSV file of the training
    /// features (with or without the label column), or a folder of PNG images of the trained
    /// size (grayscale or RGB as the run's data).
    #[arg(long)]
    pub input: PathBuf,
    /// An IDX label file for an IDX or PNG input (PNG images in file-name order); metrics are
    /// printed for the samples of the run's classes.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Where to write the scores (CSV: index, [file,] [class, label,] probability, logit,
    /// threshold, predicted). `predicted` is 1 when the logit is above `threshold`, the run's
    /// decision threshold: 0, or the one chosen on its validation slice
    /// (`--threshold validation`), as `eval` uses.
    #[arg(long, default_value = "scores.csv")]
    pub out: PathBuf,
    /// Root data folder of the run's training data, if it moved since training (the model
    /// and the standardisation of tabular features are rebuilt from it).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print the metrics as one JSON object, as `eval --json` does.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    let path = checkpoint_path(&args.checkpoint);
    let p = predict(&PredictRun {
        checkpoint: path.clone(),
        input: args.input.clone(),
        labels: args.labels.clone(),
        out: args.out.clone(),
        data_dir: args.data_dir.clone(),
        gpu: args.gpu.options(),
    })?;
    if let Some(why) = &p.no_metrics {
        eprintln!("note: no metrics: {why}");
    }
    if p.outside_task > 0 {
        eprintln!(
            "note: {} samples are of classes outside the task ({}); they are scored but not \
             evaluated",
            p.outside_task, p.restored.record.task.name
        );
    }
    if args.json {
        let mut json = serde_json::json!({
            "samples": p.samples,
            "predicted_positive": p.predicted_positive,
            "threshold_rule": p.decision.rule,
            "threshold": p.decision.threshold as f64,
            "out": args.out,
        });
        if let Some(e) = &p.evaluated {
            json["metrics"] = serde_json::to_value(e.metrics).expect("metrics serialise");
            json["metrics"]["per_class"] =
                serde_json::to_value(e.per_class).expect("the report serialises");
        }
        println!("{json}");
        return Ok(());
    }
    println!(
        "{}: scored {} samples of {} ({}) with {} after {} epochs on {}: {} predicted \
         positive (logit > {}, threshold rule {}); wrote {}",
        path.display(),
        p.samples,
        args.input.display(),
        p.format,
        p.restored.record.config.method,
        p.restored.trainer.epochs_done(),
        p.restored.gpu.summary(),
        p.predicted_positive,
        p.decision.threshold,
        p.decision.rule,
        args.out.display()
    );
    if let Some(e) = &p.evaluated {
        println!();
        print_metrics(
            &format!(
                "labelled samples of {} ({} samples, {} positive):",
                p.restored.record.task.name, e.samples, e.positive
            ),
            &e.metrics,
        );
        println!();
        print_per_class(
            &format!(
                "per class, at the decision threshold (logit > {}, threshold rule {}; IBA \
                 with α = {}):",
                p.decision.threshold,
                p.decision.rule,
                crate::metrics::IBA_ALPHA
            ),
            &e.per_class,
        );
    }
    Ok(())
}
