//! One full DVAAN training step (docs/DESIGN.md §5.2): batch 64 of 28×28×1 images, the encoder,
//! decoder on `[z; z_p]`, discriminator on `[x; x̃; x_p]`, the backward passes of
//! `Dvaan::gradients` (discriminator shared), three Adam updates and the margin update, as
//! the trainer records it. Reported as samples/s, and first as ms/step with the step's GEMM
//! and convolution FLOPs (`Counters::flops`) and the effective rate they give. Beside them:
//! the dispatches, compute passes, copies and submits of a step (`Gpu::counters`), the
//! parameter count of each network, and the host's cost of a step: the wall time of recording it up to and
//! including the flush, without waiting for the GPU, per step and per dispatch, and the
//! recording thread's CPU time over the same span (which load on the machine does not
//! inflate), and beside it the adapter's floor: the host's cost of the smallest dispatch.
//! After the timings, the replay floor: the host's cost of the step's own dispatches
//! recorded again with nothing else, a floor under any engine that records them.
//!
//! `cargo bench -p dvaan-benches --bench dvaan_step`
//!
//! `benches/peer/torch_dvaan_step.py` runs the same step in PyTorch, and
//! `tools/step-vs-torch.sh` runs both back to back.
//!
//! Set `DVAAN_CONV_VARIANT` (`portable`, `tiled=M,N,K`, …) to run the step's convolutions
//! on another kernel than the adapter's default, e.g. the tile `gpu_sweep` chose.
//!
//! Set `DVAAN_PROFILE=1` to also time each forward/backward stage of the step separately,
//! and each kernel (every dispatch waited for on its own, so the kernel total exceeds a
//! step's time by the lost overlap and submit overhead).

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use dvaan_autograd::{Layer, Tape};
use dvaan_benches::{gpu, thread_cpu_seconds, time_gpu};
use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::ops::elementwise;
use dvaan_tensor::{Gpu, Tensor};

const BATCH: usize = 64;

fn batch(gpu: &Gpu) -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..BATCH * 784)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    let y: Vec<f32> = (0..BATCH).map(|i| (i % 6 == 0) as u8 as f32).collect();
    (
        Tensor::from_slice(gpu, &[BATCH, 1, 28, 28], &x),
        Tensor::from_slice(gpu, &[BATCH], &y),
    )
}

/// Wall time of `f` until the GPU has finished it, in ms.
fn ms(gpu: &Gpu, f: impl FnOnce()) -> f64 {
    gpu.sync();
    let t = Instant::now();
    f();
    gpu.sync();
    t.elapsed().as_secs_f64() * 1e3
}

/// Steps timed after warm-up for the per-step figures; each is waited for on its own.
const MEASURED_STEPS: u64 = 3;

/// Per-step averages over [`MEASURED_STEPS`] steps.
struct StepCost {
    /// Until the GPU has finished the step.
    wall_ms: f64,
    /// Recording the step and submitting it, not waiting for the GPU.
    host_us: f64,
    /// The recording thread's CPU time over the same span.
    host_cpu_us: f64,
    dispatches: f64,
    passes: f64,
    transfers: f64,
    stagings: f64,
    submits: f64,
    flops: f64,
}

/// Runs [`MEASURED_STEPS`] steps from global step `*step`, each started on an idle GPU.
fn step_cost(gpu: &Gpu, model: &mut Dvaan, x: &Tensor, y: &Tensor, step: &mut u64) -> StepCost {
    let before = gpu.counters();
    let (mut wall, mut host, mut host_cpu) = (0.0, 0.0, 0.0);
    for _ in 0..MEASURED_STEPS {
        gpu.sync();
        let t = Instant::now();
        let cpu = thread_cpu_seconds();
        model.step(x, y, *step);
        gpu.flush();
        host_cpu += thread_cpu_seconds() - cpu;
        host += t.elapsed().as_secs_f64();
        gpu.sync();
        wall += t.elapsed().as_secs_f64();
        *step += 1;
    }
    let after = gpu.counters();
    let per_step = |a: u64, b: u64| (a - b) as f64 / MEASURED_STEPS as f64;
    StepCost {
        wall_ms: wall * 1e3 / MEASURED_STEPS as f64,
        host_us: host * 1e6 / MEASURED_STEPS as f64,
        host_cpu_us: host_cpu * 1e6 / MEASURED_STEPS as f64,
        dispatches: per_step(after.dispatches, before.dispatches),
        passes: per_step(after.passes, before.passes),
        transfers: per_step(after.transfers, before.transfers),
        stagings: per_step(after.stagings, before.stagings),
        submits: per_step(after.submits, before.submits),
        flops: per_step(after.flops, before.flops),
    }
}

/// The host's floor per dispatch on this adapter: [`FLOOR_DISPATCHES`] fills of a 64-float
/// tensor (one binding, the smallest kernel the engine has), recorded and then submitted, as
/// (µs to record one, µs to submit one) of the recording thread's CPU time, in the
/// cheapest of [`ROUNDS`] rounds. What a step costs the host beyond `dispatches × floor` is
/// the engine's own work and the larger bind groups of real kernels.
fn host_floor(gpu: &Gpu) -> (f64, f64) {
    let (record, submit) = cheapest_round(gpu, || {
        (0..FLOOR_DISPATCHES)
            .map(|_| elementwise::full(gpu, &[64], 1.0))
            .collect::<Vec<_>>()
    });
    let per = |s: f64| s * 1e6 / FLOOR_DISPATCHES as f64;
    (per(record), per(submit))
}

/// The host's cost of a command stream shaped like a step's, every command the smallest of
/// its kind: `cost.dispatches` fills of 64 floats in `cost.passes` compute passes, and
/// between the passes `cost.stagings` copies of a fill's output into a staging texture and
/// the rest of `cost.transfers` as 64-float buffer copies. As (µs to record, µs to submit)
/// per step, in the cheapest of [`ROUNDS`] rounds. It is what the step's command counts cost
/// the host before any kernel binds more than one buffer or any op does its own work, so the
/// host time of a step cannot fall below it without recording fewer commands.
fn stream_floor(gpu: &Gpu, cost: &StepCost) -> (f64, f64) {
    let passes = cost.passes.round().max(1.0) as usize;
    let dispatches = cost.dispatches.round() as usize;
    let stagings = cost.stagings.round() as usize;
    let copies = (cost.transfers - cost.stagings).round().max(0.0) as usize;
    // Command `i` of `total` spread evenly over the passes: how many fall in pass `p`.
    let share = |total: usize, p: usize| total * (p + 1) / passes - total * p / passes;
    let (from, to) = (Tensor::zeros(gpu, &[64]), Tensor::zeros(gpu, &[64]));
    let before = gpu.counters();
    let (record, submit) = cheapest_round(gpu, || {
        let mut made: Vec<Tensor> = Vec::with_capacity(dispatches);
        let mut staged = 0;
        let mut kept = Vec::with_capacity(stagings);
        for p in 0..passes {
            for _ in 0..share(dispatches, p) {
                made.push(elementwise::full(gpu, &[64], 1.0));
            }
            for _ in 0..share(copies, p) {
                to.copy_from(&from);
            }
            // Each staged tensor is a fill not staged before, so every staging copies.
            for _ in 0..share(stagings, p) {
                let fill = made.get(staged).unwrap_or_else(|| {
                    panic!("stream floor: more stagings than dispatches before them")
                });
                kept.push(gpu.stage_texels(fill));
                staged += 1;
            }
        }
        (made, kept)
    });
    // The stream must have the step's shape, or the comparison says nothing: a gap that
    // rounding left without copies would merge two passes.
    let after = gpu.counters();
    let per_round = |a: u64, b: u64| (a - b) as f64 / ROUNDS as f64;
    let got = [
        per_round(after.dispatches, before.dispatches),
        per_round(after.passes, before.passes),
        per_round(after.transfers, before.transfers),
        per_round(after.stagings, before.stagings),
    ];
    let want = [dispatches, passes, copies + stagings, stagings].map(|n| n as f64);
    if got != want {
        eprintln!(
            "note: the stream floor recorded (dispatches, passes, copies, stagings) {got:?} \
             per round, the step {want:?}"
        );
    }
    (record * 1e6, submit * 1e6)
}

/// The host's cost of the step's own dispatches and nothing else: one step captured
/// ([`Gpu::capture_dispatches`]), then recorded again in one compute pass with its pipelines,
/// bind groups and grids ([`replay`](dvaan_tensor::CapturedDispatches::replay)), in µs of the recording thread's
/// CPU time to record and submit, the cheapest of [`ROUNDS`] rounds, with the number of
/// dispatches: a floor, on this adapter, under any recording of these dispatches through
/// wgpu that sets each one's pipeline and bind group. Replays rewrite what the step wrote
/// (its parameters too), so this runs after the step's timings.
fn replay_floor(
    gpu: &Gpu,
    model: &mut Dvaan,
    x: &Tensor,
    y: &Tensor,
    step: u64,
) -> Option<(usize, f64)> {
    let (_, captured) = gpu.capture_dispatches(|| model.step(x, y, step));
    let captured = captured?;
    let (record, submit) = cheapest_round(gpu, || captured.replay());
    Some((captured.dispatch_count(), (record + submit) * 1e6))
}

/// Rounds of a floor measurement; the cheapest one counts.
const ROUNDS: usize = 5;

/// (seconds to record, seconds to submit) of what `record` records, in the one of
/// [`ROUNDS`] rounds with the least recording-thread CPU time in all; what it returns is kept
/// until the GPU has run it.
fn cheapest_round<T>(gpu: &Gpu, mut record: impl FnMut() -> T) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..ROUNDS {
        gpu.sync();
        let start = thread_cpu_seconds();
        let kept = record();
        let recorded = thread_cpu_seconds();
        gpu.flush();
        let submitted = thread_cpu_seconds();
        gpu.sync();
        drop(kept);
        let round = (recorded - start, submitted - recorded);
        if round.0 + round.1 < best.0 + best.1 {
            best = round;
        }
    }
    best
}

const FLOOR_DISPATCHES: usize = 200;

fn param_count(net: &dyn Layer) -> usize {
    net.params()
        .iter()
        .map(|(_, p)| p.shape().iter().product::<usize>())
        .sum()
}

/// Where a step's time goes: forward, then each backward pass, then the updates.
fn profile(gpu: &Gpu, model: &mut Dvaan, x: &Tensor, y: &Tensor) {
    let tape = Tape::new();
    let mut losses = None;
    let fwd = ms(gpu, || losses = Some(model.losses(&tape, x, y, 1000)));
    let l = losses.unwrap();
    let mut g = None;
    let back = ms(gpu, || g = Some(model.gradients(tape, &l)));
    let [enc, dec, dis] = g.unwrap();
    let upd = ms(gpu, || {
        model.opt_enc.step(&enc);
        model.opt_dec.step(&dec);
        model.opt_dis.step(&dis);
    });
    eprintln!(
        "stages (ms): forward {fwd:.0}, backward (all three networks) {back:.0}, Adam x3 {upd:.0}"
    );

    gpu.profile_kernels(true);
    model.step(x, y, 2000);
    let kernels = gpu.kernel_profile();
    gpu.profile_kernels(false);
    let total: f64 = kernels.iter().map(|k| k.seconds).sum();
    eprintln!(
        "kernels of one step, dispatched one at a time: {:.0} ms",
        total * 1e3
    );
    for k in kernels.iter().take(25) {
        eprintln!(
            "  {:>8.1} ms {:>5.1} % {:>5} x  {}",
            k.seconds * 1e3,
            100.0 * k.seconds / total,
            k.dispatches,
            k.kernel
        );
    }
}

/// The convolution kernel the step runs: `DVAAN_CONV_VARIANT` (`portable`, `tiled=M,N,K`, …)
/// or the engine's choice for the adapter.
fn conv_variant() -> Option<Variant> {
    let name = std::env::var("DVAAN_CONV_VARIANT").ok()?;
    match Variant::parse(&name) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("error: DVAAN_CONV_VARIANT: {e}");
            std::process::exit(2);
        }
    }
}

fn dvaan_step(c: &mut Criterion) {
    let variant = conv_variant();
    conv::with_variant(variant, || dvaan_step_with(c, variant));
}

fn dvaan_step_with(c: &mut Criterion, variant: Option<Variant>) {
    let gpu = gpu();
    eprintln!(
        "conv variant: {:?}{}",
        Variant::best(&gpu),
        if variant.is_some() {
            " (DVAAN_CONV_VARIANT)"
        } else {
            ""
        }
    );
    let cfg = TrainConfig {
        batch: BATCH,
        ..TrainConfig::default()
    };
    let mut model = Dvaan::new(&gpu, &cfg, &[1, 28, 28]).expect("28x28 networks");
    let (x, y) = batch(&gpu);
    let mut step = 0u64;
    // Warm-up: pipelines compiled and the buffer pool filled.
    for _ in 0..2 {
        model.step(&x, &y, step);
        step += 1;
    }
    let cost = step_cost(&gpu, &mut model, &x, &y, &mut step);
    let (one, gflop) = (cost.wall_ms, cost.flops / 1e9);
    eprintln!(
        "dvaan step, batch {BATCH}, 28x28: {one:.0} ms/step, {gflop:.1} GFLOP of GEMMs and \
         convolutions ({:.1} GFLOP/s effective) on {}",
        gflop / (one / 1e3),
        gpu.summary()
    );
    eprintln!(
        "per step (mean of {MEASURED_STEPS}): {:.0} dispatches in {:.0} compute passes, {:.0} \
         copies and clears ({:.0} into staging textures, the rest region copies and fills), \
         {:.0} submits; host time to record and submit {:.0} us/step, {:.2} us/dispatch \
         (wall); {:.0} us/step, {:.2} us/dispatch (the recording thread's CPU time)",
        cost.dispatches,
        cost.passes,
        cost.transfers,
        cost.stagings,
        cost.submits,
        cost.host_us,
        cost.host_us / cost.dispatches.max(1.0),
        cost.host_cpu_us,
        cost.host_cpu_us / cost.dispatches.max(1.0)
    );
    let (record, submit) = host_floor(&gpu);
    let per_dispatch = record + submit;
    eprintln!(
        "host floor on this adapter: {record:.2} us to record and {submit:.2} us to submit one \
         dispatch of the smallest kernel ({per_dispatch:.2} us in all; x {:.0} dispatches = \
         {:.0} us/step)",
        cost.dispatches,
        per_dispatch * cost.dispatches
    );
    let (record, submit) = stream_floor(&gpu, &cost);
    // Beyond its dispatches at the one-pass floor, the stream's cost is its pass breaks and
    // the copies in them.
    let breaks = record + submit - per_dispatch * cost.dispatches;
    eprintln!(
        "the step's command counts, each command the smallest of its kind: {record:.0} us to \
         record and {submit:.0} us to submit ({:.0} us/step, its cheapest of {ROUNDS} rounds; the \
         step's mean above it: {:.0} us); beyond its dispatches at the floor, {breaks:.0} us \
         for {:.0} pass breaks and the {:.0} copies in them",
        record + submit,
        cost.host_cpu_us - (record + submit),
        (cost.passes - 1.0).max(0.0),
        cost.transfers
    );
    eprintln!(
        "parameters: enc {}, dec {}, dis {}",
        param_count(model.nets.enc.as_ref()),
        param_count(model.nets.dec.as_ref()),
        param_count(model.nets.dis.as_ref())
    );
    if std::env::var_os("DVAAN_PROFILE").is_some() {
        profile(&gpu, &mut model, &x, &y);
    }

    let mut group = c.benchmark_group("dvaan_step");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("batch64_28x28", |b| {
        b.iter_custom(|iters| {
            time_gpu(&gpu, iters, || {
                model.step(&x, &y, step);
                step += 1;
            })
        })
    });
    group.finish();
    match replay_floor(&gpu, &mut model, &x, &y, step) {
        Some((dispatches, floor)) => eprintln!(
            "the step's own {dispatches} dispatches recorded again in one compute pass, with \
             their pipelines and bind groups and nothing else (no op, no lookup, no copy): \
             {floor:.0} us to record and submit (the cheapest of {ROUNDS} rounds); the step's \
             mean above costs {:.0} us beyond it",
            cost.host_cpu_us - floor
        ),
        None => {
            eprintln!("note: the step's dispatches spanned more than one submit; no replay floor")
        }
    }
}

criterion_group!(benches, dvaan_step);
criterion_main!(benches);
