//! Scoring new data with a trained run: the input is read for the shape the model was
//! trained on, scaled (pixels) or standardised (features, with the statistics of the run's
//! own training set that its checkpoint records), and scored by the classifier in evaluation mode
//! through the same path as `eval` ([`super::test_metrics`]). With labels, the samples that
//! belong to the run's task are evaluated like the test split. Every sample is labelled at
//! the run's decision threshold, rebuilt as `eval` rebuilds it: logit 0, or for a run trained
//! with `--threshold validation` the logit chosen on its validation slice.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dvaan_tensor::GpuOptions;

use super::engine_guard::{guard, EngineContext};
use super::record::MetricsRecord;
use super::restore::{restore, Restored};
use super::test_metrics::{decision_threshold, score_and_evaluate, Decision};
use crate::data::{read_inputs, DataError, Dataset, InputSpec, Inputs, Standardiser, TaskSpec};
use crate::io::atomic::write_atomic;
use crate::metrics::ImbalancedReport;
use crate::{Error, Result};

/// A standardised feature this many training standard deviations from the training mean is
/// reported: it is far more likely a column in other units or order than a real sample.
const FAR_OUT_STD: f32 = 100.0;

pub struct PredictRun {
    pub checkpoint: PathBuf,
    pub input: PathBuf,
    /// An IDX label file for image inputs.
    pub labels: Option<PathBuf>,
    pub out: PathBuf,
    pub data_dir: Option<PathBuf>,
    pub gpu: GpuOptions,
}

/// What a prediction did.
pub struct Prediction {
    pub restored: Restored,
    pub format: &'static str,
    /// The threshold rule and logit threshold every sample was labelled at.
    pub decision: Decision,
    pub samples: usize,
    pub predicted_positive: usize,
    /// Samples whose class is not part of the run's task (scored, not evaluated).
    pub outside_task: usize,
    /// Metrics over the labelled samples of the task, when both classes are present.
    pub evaluated: Option<Evaluated>,
    /// Why labels gave no metrics, when they did not.
    pub no_metrics: Option<String>,
}

pub struct Evaluated {
    pub samples: usize,
    pub positive: usize,
    pub metrics: MetricsRecord,
    pub per_class: ImbalancedReport,
}

pub fn predict(run: &PredictRun) -> Result<Prediction> {
    guard("prediction", |context| predict_guarded(run, context))
}

fn predict_guarded(run: &PredictRun, context: &EngineContext) -> Result<Prediction> {
    let r = restore(&run.checkpoint, run.data_dir.as_deref(), &run.gpu)?;
    context.set_adapter(&r.gpu.summary().to_string());
    context.injected_failure();
    let decision = decision_threshold(&r.trainer, r.validation.as_ref())?;
    let spec = r
        .record
        .task
        .spec(r.record.config.seed, run.data_dir.as_deref())?;
    let shape = r.task.train.shape.clone();
    let mut inputs = read_inputs(
        &run.input,
        &InputSpec {
            shape: &shape,
            labels: run.labels.as_deref(),
            label_column: &spec.csv.label,
        },
    )?;
    if let Some(s) = run_standardiser(&r, &run.checkpoint)? {
        s.apply(&mut inputs.x);
        warn_far_out(&inputs, shape[0], &run.input);
    }
    let roles = roles(&inputs, &spec, &run.input)?;
    let d: usize = shape.iter().product();
    let sample = |i: usize| &inputs.x[i * d..(i + 1) * d];

    let mut logits = vec![0f32; inputs.n];
    let (mut evaluated, mut no_metrics) = (None, None);
    let member: Vec<usize> = (0..inputs.n)
        .filter(|&i| roles.as_ref().is_some_and(|r| r[i].is_some()))
        .collect();
    let mut unscored: Vec<usize> = (0..inputs.n).collect();
    if let Some(roles) = &roles {
        let labels: Vec<f32> = member
            .iter()
            .map(|&i| f32::from(u8::from(roles[i] == Some(true))))
            .collect();
        let positive = labels.iter().filter(|&&l| l == 1.0).count();
        if positive == 0 || positive == member.len() {
            no_metrics = Some(format!(
                "the labelled samples of the task hold {positive} positive and {} negative; \
                 metrics need both classes",
                member.len() - positive
            ));
        } else {
            let x = member.iter().flat_map(|&i| sample(i)).copied().collect();
            let data = Dataset::new("input (labelled)", x, labels, shape.clone())?;
            let scored = score_and_evaluate(&r.trainer, &data, decision)?;
            for (&i, &l) in member.iter().zip(&scored.logits) {
                logits[i] = l;
            }
            unscored.retain(|i| member.binary_search(i).is_err());
            evaluated = Some(Evaluated {
                samples: member.len(),
                positive,
                metrics: scored.metrics,
                per_class: scored.per_class,
            });
        }
    }
    if !unscored.is_empty() {
        let x = unscored.iter().flat_map(|&i| sample(i)).copied().collect();
        // Scores never see the labels; the zeros only fill the dataset's label slot.
        let data = Dataset::new("input", x, vec![0.0; unscored.len()], shape.clone())?;
        let (scores, _) = r.trainer.score(&data)?;
        for (&i, &l) in unscored.iter().zip(&scores) {
            logits[i] = l;
        }
    }

    write_atomic(
        &run.out,
        write_scores(&inputs, roles.as_deref(), &logits, decision).as_bytes(),
    )?;
    Ok(Prediction {
        format: inputs.format,
        decision,
        samples: inputs.n,
        predicted_positive: logits
            .iter()
            .filter(|&&l| decision.predicts_positive(l))
            .count(),
        outside_task: roles.map_or(0, |r| r.iter().filter(|x| x.is_none()).count()),
        evaluated,
        no_metrics,
        restored: r,
    })
}

/// The task's view of each labelled sample (`None`: not part of the task); `None` when the
/// input has no labels. A binary tabular task knows classes 0 and 1 only, as in training.
fn roles(inputs: &Inputs, spec: &TaskSpec, input: &Path) -> Result<Option<Vec<Option<bool>>>> {
    let Some(classes) = &inputs.classes else {
        return Ok(None);
    };
    let tabular_pair = inputs.format == "CSV" && spec.positive_class.is_none();
    if let Some(first) = classes.iter().position(|&c| c > 1).filter(|_| tabular_pair) {
        let at = match &inputs.lines {
            Some(lines) => format!("line {}", lines[first]),
            None => format!("sample {first}"),
        };
        return Err(DataError::UnknownLabels {
            path: inputs.class_file.clone().unwrap_or_else(|| input.into()),
            at,
            values: vec![classes[first].to_string()],
            expected: "0 (negative) or 1 (positive), as the run was trained on".into(),
        }
        .into());
    }
    Ok(Some(classes.iter().map(|&c| spec.role(c)).collect()))
}

/// The standardisation the run trained with: the one its checkpoint records; for a
/// checkpoint written before that was recorded, the one fitted again on its training data,
/// which is the run's only when that data is unchanged (checked by its class counts).
fn run_standardiser<'a>(r: &'a Restored, checkpoint: &Path) -> Result<Option<&'a Standardiser>> {
    if let Some(recorded) = &r.recorded_standardiser {
        return Ok(Some(recorded));
    }
    let now = r.record.task.train;
    if r.task.standardiser.is_none() || r.recorded_train.samples == 0 || r.recorded_train == now {
        return Ok(r.task.standardiser.as_ref());
    }
    Err(Error::Usage(format!(
        "{}: the run was trained on {} samples ({} positive), but {} now holds {} ({} \
         positive), so the standardisation the run used cannot be rebuilt.\nfix: pass \
         --data-dir with the data the run was trained on",
        checkpoint.display(),
        r.recorded_train.samples,
        r.recorded_train.positive,
        r.task.source.display(),
        now.samples,
        now.positive
    )))
}

/// A note on stderr for features far outside the training data (after standardising).
fn warn_far_out(inputs: &Inputs, d: usize, input: &Path) {
    let mut far: Vec<usize> = (0..d)
        .filter(|&j| {
            inputs
                .x
                .iter()
                .skip(j)
                .step_by(d)
                .any(|v| v.abs() > FAR_OUT_STD)
        })
        .map(|j| j + 1)
        .collect();
    if far.is_empty() {
        return;
    }
    far.truncate(10);
    eprintln!(
        "note: {}: feature column(s) {far:?} hold values more than {FAR_OUT_STD} training \
         standard deviations from the training mean; check that the columns are the training \
         features, in training order and units",
        input.display()
    );
}

/// The output CSV: one row per sample, in input order. `threshold` repeats the logit
/// threshold on every row, so that each `predicted` (logit > threshold) can be checked from
/// the file alone.
fn write_scores(
    inputs: &Inputs,
    roles: Option<&[Option<bool>]>,
    logits: &[f32],
    decision: Decision,
) -> String {
    let mut out = String::from("index");
    if inputs.names.is_some() {
        out.push_str(",file");
    }
    if roles.is_some() {
        out.push_str(",class,label");
    }
    out.push_str(",probability,logit,threshold,predicted\n");
    for (i, &logit) in logits.iter().enumerate() {
        let _ = write!(out, "{i}");
        if let Some(names) = &inputs.names {
            let _ = write!(out, ",{}", csv_field(&names[i]));
        }
        if let (Some(roles), Some(classes)) = (roles, &inputs.classes) {
            let label = match roles[i] {
                Some(positive) => u8::from(positive).to_string(),
                None => String::new(),
            };
            let _ = write!(out, ",{},{label}", classes[i]);
        }
        let probability = 1.0 / (1.0 + (-(logit as f64)).exp());
        let predicted = u8::from(decision.predicts_positive(logit));
        let _ = writeln!(
            out,
            ",{probability:.9},{logit},{},{predicted}",
            decision.threshold
        );
    }
    out
}

/// A file name as one CSV field: quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
