//! Convolution timing probe for lavapipe: runs one layer's forward, input gradient and weight
//! gradient on the chosen variants back to back in one process, so machine load affects them
//! alike. Reports the first call (pipeline compilation included), the best wall time of
//! several runs and FLOP per CPU-second (process user+system time, which includes lavapipe's
//! worker threads). The FLOP count is 2·N·O·OH·OW·C·KH·KW for every op.
//!
//! `cargo run --release -p dvaan-tensor --example conv_probe -- N,C,H,O,K,S,P [--reps R]
//!  [--ops fwd,dgrad,wgrad] VARIANT...` with VARIANT `portable`, `subgroup`, `texel`, `tiled`
//! (the default tile) or `tiled=M,N,K` (a tile of M x N outputs, K terms per step: a sweep
//! over tiles needs no rebuild).

use dvaan_tensor::ops::conv::{self, Variant};
use dvaan_tensor::{Gpu, Tensor};
use std::time::Instant;

#[path = "common/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;

fn main() {
    let gpu = Gpu::new().unwrap();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    let dims: Vec<usize> = it
        .next()
        .expect("N,C,H,O,K,S,P")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let [n, c, h, o, k, s, p] = dims[..] else {
        panic!("want N,C,H,O,K,S,P")
    };
    let (mut reps, mut ops) = (5usize, "fwd,dgrad,wgrad".to_string());
    let mut variants = Vec::new();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reps" => reps = it.next().unwrap().parse().unwrap(),
            "--ops" => ops = it.next().unwrap().clone(),
            other => variants.push(Variant::parse(other).unwrap_or_else(|e| panic!("{e}"))),
        }
    }
    let out = (h + 2 * p - k) / s + 1;
    let fill = |shape: &[usize], seed: usize| {
        let len: usize = shape.iter().product();
        let v: Vec<f32> = (0..len)
            .map(|i| (((i + seed) * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        Tensor::from_slice(&gpu, shape, &v)
    };
    let x = fill(&[n, c, h, h], 1);
    let w = fill(&[o, c, k, k], 2);
    let b = fill(&[o], 3);
    let dy = fill(&[n, o, out, out], 4);
    let flops = 2.0 * (n * o * out * out * c * k * k) as f64;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "N{n} C{c} H{h} O{o} k{k} s{s} p{p}: {:.2} GFLOP per op; loadavg {}",
        flops / 1e9,
        load.trim()
    );
    for op in ops.split(',') {
        for &v in &variants {
            let run = || -> Tensor {
                match op {
                    "fwd" => conv::conv2d_with(&x, &w, Some(&b), s, p, v),
                    "dgrad" => conv::conv2d_backward_input_with(&dy, &w, (h, h), s, p, v),
                    "wgrad" => conv::conv2d_backward_weight_with(&x, &dy, (k, k), s, p, v),
                    other => panic!("unknown op {other}"),
                }
            };
            let t0 = Instant::now();
            drop(run());
            gpu.sync();
            let first = t0.elapsed().as_secs_f64();
            let mut best = f64::MAX;
            let c0 = cpu_seconds();
            for _ in 0..reps {
                let t = Instant::now();
                drop(run());
                gpu.sync();
                let dt = t.elapsed().as_secs_f64();
                best = best.min(dt);
            }
            let cpu = cpu_seconds() - c0;
            println!(
                "{op:6} {:9} best {:8.2} ms {:6.1} GFLOP/s | per CPU-s {:6.1} GFLOP | first {:.2}s",
                format!("{v:?}"),
                best * 1e3,
                flops / best / 1e9,
                flops * reps as f64 / cpu / 1e9,
                first,
            );
        }
    }
}
