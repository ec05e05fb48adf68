//! Helpers shared by the criterion benches: one device, and timing that waits for the GPU.

use std::time::{Duration, Instant};

use dvaan_tensor::Gpu;

/// The bench device; exits with the engine's message when there is none.
pub fn gpu() -> Gpu {
    match Gpu::new() {
        Ok(g) => {
            eprintln!("bench adapter: {}", g.summary());
            g
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
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
