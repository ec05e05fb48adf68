//! `dvaan eval`: re-evaluates a checkpoint on the test split of the data it was trained on
//! and prints the metrics.

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::run::dir::checkpoint_path;
use crate::run::engine_guard::{guard, EngineContext};
use crate::run::restore::restore;
use crate::run::table::{print_metrics, print_per_class};
use crate::run::test_metrics::evaluate_test;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run folder, or its checkpoint.safetensors.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Root data folder, if it moved since training (default: the one recorded in the run).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print the metrics as one JSON object instead of tables (the per-class report under
    /// `per_class`).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    guard("evaluation", |context| run_guarded(args, context))
}

fn run_guarded(args: &Args, context: &EngineContext) -> Result<()> {
    let path = checkpoint_path(&args.checkpoint);
    let r = restore(&path, args.data_dir.as_deref(), &args.gpu.options())?;
    context.set_adapter(&r.gpu.summary().to_string());
    context.injected_failure();
    let (metrics, per_class) = evaluate_test(&r.trainer, &r.task.test, r.validation.as_ref())?;
    if args.json {
        let mut json = serde_json::to_value(metrics).expect("metrics serialise");
        json["per_class"] = serde_json::to_value(per_class).expect("the report serialises");
        println!("{json}");
    } else {
        print_metrics(
            &format!(
                "{}: {} after {} epochs, test split ({} samples, {} positive), on {}",
                path.display(),
                r.record.config.method,
                r.trainer.epochs_done(),
                r.task.test.len(),
                r.task.test.n_pos,
                r.gpu.summary()
            ),
            &metrics,
        );
        println!();
        print_per_class(
            &format!(
                "per class, at the decision threshold (logit > {}, threshold rule {}; IBA \
                 with α = {}):",
                metrics.threshold,
                metrics.threshold_rule,
                crate::metrics::IBA_ALPHA
            ),
            &per_class,
        );
    }
    Ok(())
}
