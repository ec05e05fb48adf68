//! Sweeps the convolution kernels' tile shapes over every product of a DVAAN step and times
//! the GEMM at 1024³ and 4096³, printing rates as it goes and appending each measurement to
//! a CSV file (so a run cut short still leaves its data). Ends with the tile that minimises
//! the summed time of all products, written to `--choice FILE` for the step bench
//! (`DVAAN_CONV_VARIANT`). `tools/gpu-bench.sh` runs it; it works on any adapter.
//!
//! `cargo run --release -p dvaan-benches --bin gpu_sweep -- [--csv FILE] [--choice FILE]
//!  [--batch N] [--budget-s S] [--layers enc1,dis3,…] [--tiles M,N,K;M,N,K;…] [--gemm N,N]`
//!
//! The tiles default to `Tiles::SWEEP`, which the engine's tests hold to the f64 reference;
//! `--tiles` can name untested ones, for exploring only.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::Instant;

use dvaan_benches::layers::{random, LAYERS, OPS};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::conv::{self, Tiles, Variant};
use dvaan_tensor::ops::gemm::{matmul_with, GemmVariant};
use dvaan_tensor::{Gpu, Tensor};

struct Options {
    csv: Option<String>,
    choice: Option<String>,
    batch: usize,
    budget_s: f64,
    layers: Option<Vec<String>>,
    tiles: Vec<Tiles>,
    gemm: Vec<usize>,
}

fn parse_tiles(list: &str) -> Result<Vec<Tiles>, String> {
    list.split(';')
        .filter(|t| !t.trim().is_empty())
        .map(|t| match Variant::parse(&format!("tiled={}", t.trim()))? {
            Variant::Tiled(tiles) => Ok(tiles),
            other => Err(format!("{other:?} is not a tile")),
        })
        .collect()
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        csv: None,
        choice: None,
        batch: 64,
        budget_s: 300.0,
        layers: None,
        tiles: Tiles::SWEEP.to_vec(),
        gemm: vec![1024, 4096],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| {
            v.parse::<f64>()
                .map_err(|_| format!("{flag}: `{v}` is not a number"))
        };
        match flag.as_str() {
            "--csv" => o.csv = Some(value()?),
            "--choice" => o.choice = Some(value()?),
            "--batch" => o.batch = number(value()?)? as usize,
            "--budget-s" => o.budget_s = number(value()?)?,
            "--layers" => o.layers = Some(value()?.split(',').map(str::to_string).collect()),
            "--tiles" => o.tiles = parse_tiles(&value()?)?,
            "--gemm" => {
                o.gemm = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse()
                            .map_err(|_| format!("--gemm: `{s}` is not a size"))
                    })
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

/// First call (pipelines compiled) and the best per-call time of a few timed batches, in ms.
fn time(gpu: &Gpu, mut op: impl FnMut() -> Tensor) -> (f64, f64) {
    gpu.sync();
    let start = Instant::now();
    drop(op());
    gpu.sync();
    let first = start.elapsed().as_secs_f64() * 1e3;
    let one = time_gpu(gpu, 1, || drop(op())).as_secs_f64() * 1e3;
    // Batches of about 20 ms, at most 50 calls each: launch overhead amortised, sweep short.
    let iters = ((20.0 / one.max(1e-3)) as u64).clamp(1, 50);
    let best = (0..3)
        .map(|_| time_gpu(gpu, iters, || drop(op())).as_secs_f64() * 1e3 / iters as f64)
        .fold(one, f64::min);
    (first, best)
}

struct Csv(Option<File>);

impl Csv {
    fn row(&mut self, fields: &[String]) {
        if let Some(f) = self.0.as_mut() {
            // A failed write loses one row of a benchmark, not worth stopping the sweep.
            let _ = writeln!(f, "{}", fields.join(",")).and_then(|_| f.flush());
        }
    }
}

fn main() {
    let o = options().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let g = gpu();
    let l = g.limits();
    println!(
        "limits: workgroup storage {} B, invocations/workgroup {}, workgroup size {}x{}x{}, \
         storage binding {} MiB, default conv variant {}",
        l.max_compute_workgroup_storage_size,
        l.max_compute_invocations_per_workgroup,
        l.max_compute_workgroup_size_x,
        l.max_compute_workgroup_size_y,
        l.max_compute_workgroup_size_z,
        l.max_storage_buffer_binding_size >> 20,
        Variant::best(&g)
    );
    let mut csv = Csv(o.csv.as_ref().map(|path| {
        let fresh = std::fs::metadata(path)
            .map(|m| m.len() == 0)
            .unwrap_or(true);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
        if fresh {
            let _ = writeln!(
                f,
                "adapter,kind,shape,product,variant,first_ms,best_ms,gflops"
            );
        }
        f
    }));
    let adapter = g.summary().name.replace(',', " ");
    let started = Instant::now();
    let mut candidates: Vec<Variant> = Vec::new();
    let tiles = o
        .tiles
        .iter()
        .filter(|t| t.fit(&g))
        .map(|&t| Variant::Tiled(t));
    for v in [Variant::Portable, Variant::best(&g)]
        .into_iter()
        .chain(tiles)
    {
        if !candidates.contains(&v) {
            candidates.push(v);
        }
    }
    for t in o.tiles.iter().filter(|t| !t.fit(&g)) {
        println!("skipped {} (does not fit this adapter)", Variant::Tiled(*t));
    }
    // Summed best times per candidate over the products measured for all candidates.
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    let mut complete_products = 0;
    'layers: for layer in LAYERS {
        if let Some(wanted) = &o.layers {
            if !wanted.iter().any(|w| w == layer.name) {
                continue;
            }
        }
        for op in OPS {
            let flops = layer.flops(o.batch) as f64;
            let mut times = Vec::new();
            for &v in &candidates {
                if started.elapsed().as_secs_f64() > o.budget_s {
                    println!("budget of {} s spent; stopping the conv sweep", o.budget_s);
                    break 'layers;
                }
                let (first, best) = time(&g, layer.op(&g, o.batch, op, Some(v)));
                let gflops = flops / (best * 1e-3) / 1e9;
                println!(
                    "conv {:<5} {:<5} {:<16} {:>9.3} ms {:>9.1} GFLOP/s (first call {:.0} ms)",
                    layer.name,
                    op,
                    v.to_string(),
                    best,
                    gflops,
                    first
                );
                csv.row(&[
                    adapter.clone(),
                    "conv".into(),
                    layer.name.into(),
                    op.into(),
                    v.to_string(),
                    format!("{first:.3}"),
                    format!("{best:.5}"),
                    format!("{gflops:.2}"),
                ]);
                times.push((v.to_string(), best));
            }
            complete_products += 1;
            for (v, t) in times {
                *totals.entry(v).or_default() += t;
            }
        }
    }
    gemms(&g, &o, &adapter, &mut csv);
    let default = Variant::best(&g).to_string();
    let chosen = totals
        .iter()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(v, t)| (v.clone(), *t));
    if let Some((v, t)) = chosen {
        println!(
            "over {complete_products} products: fastest {v} {t:.3} ms summed, default {default} \
             {:.3} ms, portable {:.3} ms",
            totals.get(&default).copied().unwrap_or(f64::NAN),
            totals.get("portable").copied().unwrap_or(f64::NAN)
        );
        if let Some(path) = &o.choice {
            std::fs::write(path, format!("{v}\n"))
                .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        }
    }
}

/// Square products through every GEMM kernel the adapter runs, and through the conv core
/// as a 1×1 convolution (`x [M,K,1,1]`, `w [N,K,1,1]`: y = x·wᵀ) with the default tile.
fn gemms(g: &Gpu, o: &Options, adapter: &str, csv: &mut Csv) {
    for &n in &o.gemm {
        let flops = 2.0 * (n as f64).powi(3);
        let a = random(g, &[n, n], 1);
        let b = random(g, &[n, n], 2);
        let mut runs: Vec<(String, Box<dyn FnMut() -> Tensor + '_>)> = GemmVariant::ALL
            .into_iter()
            .filter(|v| v.supported(g) && v.fits(g, n, n, n, false, true))
            .map(|v| {
                let (a, b) = (&a, &b);
                let run: Box<dyn FnMut() -> Tensor> =
                    Box::new(move || matmul_with(a, b, false, true, None, v));
                (format!("{v:?}").to_lowercase(), run)
            })
            .collect();
        let (x, w) = (a.reshape(&[n, n, 1, 1]), b.reshape(&[n, n, 1, 1]));
        let tiled = Variant::Tiled(Tiles::DEFAULT);
        runs.push((
            format!("conv-core {}", tiled),
            Box::new(move || conv::conv2d_with(&x, &w, None, 1, 0, tiled)),
        ));
        for (label, run) in runs {
            let (first, best) = time(g, run);
            let gflops = flops / (best * 1e-3) / 1e9;
            println!(
                "gemm {n}^3 {label:<22} {best:>9.3} ms {gflops:>9.1} GFLOP/s (first call {first:.0} ms)"
            );
            csv.row(&[
                adapter.to_string(),
                "gemm".into(),
                format!("{n}x{n}x{n}"),
                "a.bT".into(),
                label,
                format!("{first:.3}"),
                format!("{best:.5}"),
                format!("{gflops:.2}"),
            ]);
        }
    }
}
