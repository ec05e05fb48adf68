//! Convolution throughput for every conv and deconv layer of the model (docs/DESIGN.md §5.1) at
//! batch 64, each through the variant the engine picks on this adapter. Throughput is the
//! layer's FLOP count 2·N·O·OH·OW·C·KH·KW (the same for forward and both gradients), so
//! criterion's "elem/s" reads as FLOP/s.
//!
//! Ids: `conv/<layer>/<op>` with op `fwd`, `dgrad` (input gradient), `wgrad` (weight
//! gradient). For the decoder's transposed convolutions `fwd` is `conv_transpose2d`, `dgrad`
//! its input gradient and `wgrad` its weight gradient. The layers are `dvaan_benches::layers`;
//! `gpu_sweep` times the same products under every tile shape.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dvaan_benches::layers::{LAYERS, OPS};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::conv;
use dvaan_tensor::{Gpu, Tensor};

const BATCH: usize = 64;

fn bench_op(c: &mut Criterion, g: &Gpu, id: String, flops: usize, mut op: impl FnMut() -> Tensor) {
    // Compile the pipelines before timing: lavapipe takes seconds for the first dispatch.
    drop(op());
    g.sync();
    let mut group = c.benchmark_group("conv");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(flops as u64));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| time_gpu(g, iters, || drop(op())))
    });
    group.finish();
}

fn convs(c: &mut Criterion) {
    let g = gpu();
    eprintln!("conv variant: {:?}", conv::Variant::best(&g));
    for layer in LAYERS {
        for op in OPS {
            let run = layer.op(&g, BATCH, op, None);
            bench_op(
                c,
                &g,
                format!("{}/{op}", layer.name),
                layer.flops(BATCH),
                run,
            );
        }
    }
}

criterion_group!(benches, convs);
criterion_main!(benches);
