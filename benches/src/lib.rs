//! Helpers shared by the criterion benches: one device, and timing that waits for the GPU.

pub mod layers;

use std::time::{Duration, Instant};

use dvaan_tensor::{Gpu, GpuOptions};

/// The allocator the `dvaan` binary trains with (`crates/dvaan/src/bin/dvaan.rs`), so that
/// every bench measures the host cost a training run pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The bench device; exits with the engine's message when there is none. With
/// `DVAAN_SHADER_CHECKS=off` its shaders are built without wgpu's bounds checks and loop
/// bounding, to measure what they cost.
pub fn gpu() -> Gpu {
    let unchecked = std::env::var("DVAAN_SHADER_CHECKS").is_ok_and(|v| v == "off");
    let opened = if unchecked {
        // SAFETY: a benchmark runs the engine's kernels on the shapes of the model, which
        // the kernel tests cover in range; an out-of-range index would corrupt a timing
        // run, not a result anyone keeps.
        unsafe { Gpu::without_shader_checks(&GpuOptions::default()) }
    } else {
        Gpu::new()
    };
    match opened {
        Ok(g) => {
            eprintln!(
                "bench adapter: {}{}",
                g.summary(),
                if g.shader_checks() {
                    ""
                } else {
                    ", shaders without runtime checks"
                }
            );
            g
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

/// CPU time this thread has run, in seconds (NaN where the platform has no per-thread clock):
/// unlike wall time, it does not grow when other processes share the cores. Read from the
/// per-thread CPU clock, which the kernel brings up to date when asked, not from
/// `/proc/thread-self/schedstat`, which it updates only at scheduler ticks (4 ms apart at
/// 250 Hz), too coarse for the microseconds a step's recording takes.
pub fn thread_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec for the call to fill.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

/// Wall time of `iters` calls of `f`, including the GPU finishing the work they recorded.
/// Work recorded before the call is finished first so it is not counted. Use it as
/// criterion's `iter_custom` body.
pub fn time_gpu(gpu: &Gpu, iters: u64, mut f: impl FnMut()) -> Duration {
    gpu.sync();
    let start = Instant::now();
    for _ in 0..iters {
        f();
        gpu.flush();
    }
    gpu.sync();
    start.elapsed()
}
