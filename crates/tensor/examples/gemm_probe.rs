//! GEMM timing probe for lavapipe: compares kernels back to back in one process, so machine
//! load affects them alike. Reports the best wall time of several runs and FLOP per CPU-second
//! (process user+system time, which includes lavapipe's worker threads).
//!
//! `cargo run --release -p dvaan-tensor --example gemm_probe -- [--size M,N,K] [--ta] [--tb]
//!  [--reps R] CANDIDATE...` where a candidate is a library variant (`naive`, `tiled`,
//! `subgroup`, `texel`), or `x:ENTRY:WG:ROWS:COLS[:NAME=VALUE...]`: entry point ENTRY of the
//! complete WGSL file named by `$GEMM_PROBE_WGSL` (the bindings of gemm_subgroup.wgsl),
//! workgroup size WG passed as `WG`, one workgroup per ROWS x COLS block of C; `xt:…` binds A
//! and B as staged texels (gemm_texel's bindings).

use dvaan_tensor::ops::gemm::{matmul_with, reference, GemmVariant};
use dvaan_tensor::{Dispatch, Gpu, Shader, Tensor};
use std::time::Instant;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

#[path = "common/cpu_time.rs"]
mod cpu_time;
use cpu_time::cpu_seconds;

fn main() {
    let gpu = Gpu::new().unwrap();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut m, mut n, mut k) = (1024usize, 1024usize, 1024usize);
    let (mut ta, mut tb, mut reps) = (false, false, 5usize);
    let mut cands = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--size" => {
                let v: Vec<usize> = it
                    .next()
                    .unwrap()
                    .split(',')
                    .map(|s| s.parse().unwrap())
                    .collect();
                (m, n, k) = (v[0], v[1], v[2]);
            }
            "--ta" => ta = true,
            "--tb" => tb = true,
            "--reps" => reps = it.next().unwrap().parse().unwrap(),
            _ => cands.push(a.clone()),
        }
    }
    let src: &'static str = match std::env::var("GEMM_PROBE_WGSL") {
        Ok(path) => Box::leak(std::fs::read_to_string(path).unwrap().into_boxed_str()),
        Err(_) => "",
    };
    let probe = Shader {
        name: "gemm_probe",
        source: src,
    };
    let fill = |len: usize, seed: usize| -> Vec<f32> {
        (0..len)
            .map(|i| (((i + seed) * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    };
    let a_host = fill(m * k, 1);
    let b_host = fill(k * n, 2);
    let a = Tensor::from_slice(&gpu, &if ta { [k, m] } else { [m, k] }, &a_host);
    let b = Tensor::from_slice(&gpu, &if tb { [n, k] } else { [k, n] }, &b_host);
    // Check a few rows against the f64 reference (a full reference at 1024³ is slow).
    let rows = 3.min(m);
    let a_rows: Vec<f64> = if ta {
        (0..rows * k)
            .map(|e| a_host[(e % k) * m + e / k] as f64)
            .collect()
    } else {
        a_host[..rows * k].iter().map(|&x| x as f64).collect()
    };
    let b64: Vec<f64> = b_host.iter().map(|&x| x as f64).collect();
    let want = reference::matmul(&a_rows, &b64, rows, n, k, false, tb, None);
    let flops = 2.0 * (m * n * k) as f64;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("{m}x{n}x{k} ta={ta} tb={tb} loadavg {}", load.trim());
    for cand in &cands {
        let run = || -> Tensor {
            let texel = cand.starts_with("xt:");
            if let Some(rest) = cand.strip_prefix("x:").or_else(|| cand.strip_prefix("xt:")) {
                let f: Vec<&str> = rest.split(':').collect();
                let (wg, rw, cw): (usize, usize, usize) = (
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                );
                let out = Tensor::uninit(&gpu, &[m, n]);
                let mut d = Dispatch::new(&probe, f[0])
                    .constant("TRANS_A", ta as u32 as f64)
                    .constant("TRANS_B", tb as u32 as f64)
                    .constant("HAS_BIAS", 0.0)
                    .constant("WG", wg as f64);
                for c in &f[4..] {
                    let (name, v) = c.split_once('=').unwrap();
                    d = d.constant(name, v.parse().unwrap());
                }
                d = d.params(&Params {
                    m: m as u32,
                    n: n as u32,
                    k: k as u32,
                    _pad: 0,
                });
                let staged;
                if texel {
                    staged = (gpu.stage_texels(&a), gpu.stage_texels(&b));
                    d = d
                        .constant("TEXELS_PER_ROW", dvaan_tensor::TEXELS_PER_ROW as f64)
                        .texels(&staged.0)
                        .texels(&staged.1);
                } else {
                    d = d.arg(&a).arg(&b);
                }
                d.arg(&a)
                    .arg(&out)
                    .groups([n.div_ceil(cw) as u32, m.div_ceil(rw) as u32, 1])
                    .run(&gpu);
                out
            } else {
                let v = match cand.as_str() {
                    "naive" => GemmVariant::Naive,
                    "tiled" => GemmVariant::Tiled,
                    "subgroup" => GemmVariant::Subgroup,
                    other => GemmVariant::ALL
                        .into_iter()
                        .find(|v| format!("{v:?}").eq_ignore_ascii_case(other))
                        .unwrap_or_else(|| panic!("unknown candidate {other}")),
                };
                matmul_with(&a, &b, ta, tb, None, v)
            }
        };
        let t0 = Instant::now();
        let out = run().to_vec();
        let first = t0.elapsed().as_secs_f64();
        let mut max_err = 0.0f64;
        for (i, w) in want.iter().enumerate() {
            max_err = max_err.max((out[i] as f64 - w).abs());
        }
        let mut best = f64::MAX;
        let mut wall_sum = 0.0;
        let c0 = cpu_seconds();
        for _ in 0..reps {
            let t = Instant::now();
            drop(run());
            gpu.sync();
            let dt = t.elapsed().as_secs_f64();
            best = best.min(dt);
            wall_sum += dt;
        }
        let cpu = cpu_seconds() - c0;
        println!(
            "{cand:40} best {:7.2} ms {:6.1} GFLOP/s | mean {:6.1} GFLOP/s | per CPU-s {:6.1} GFLOP | wall/cpu {:.2} | first {:.2}s err {max_err:.1e}",
            best * 1e3,
            flops / best / 1e9,
            flops * reps as f64 / wall_sum / 1e9,
            flops * reps as f64 / cpu / 1e9,
            wall_sum / cpu,
            first,
        );
    }
}
