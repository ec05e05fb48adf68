//! The engine itself: upload/readback, zero fill, copies, determinism, the buffer pool, the
//! pipeline cache, and capturing dispatches to replay.

use dvaan_tensor::ops::elementwise::{self as ew, Activation};
use dvaan_tensor::ops::{adam, conv, gemm};
use dvaan_tensor::{Gpu, Tensor};

use crate::common::*;

#[test]
fn upload_readback_roundtrip_and_zero_fill() {
    let data: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5 - 3.0).collect();
    let t = upload(&[10, 100], &data);
    assert_eq!(t.to_vec(), data);
    t.fill_zero();
    assert!(t.to_vec().iter().all(|&v| v == 0.0));
    let z = Tensor::zeros(gpu(), &[1]);
    assert_eq!(z.to_vec(), vec![0.0]);
}

#[test]
fn copy_and_reshape_share_or_duplicate_as_documented() {
    let t = upload(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let r = t.reshape(&[3, 2]);
    assert!(r.same_storage(&t));
    let d = t.duplicate();
    assert!(!d.same_storage(&t));
    t.fill_zero();
    assert_eq!(d.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(r.to_vec(), vec![0.0; 6]);
}

#[test]
fn same_op_twice_is_bit_identical() {
    let mut r = rng(9);
    let x = upload(&[4099], &uniform(&mut r, 4099, -5.0, 5.0));
    let a = ew::activation(&x, Activation::Tanh).to_vec();
    let b = ew::activation(&x, Activation::Tanh).to_vec();
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_repeated_chain_allocates_nothing_after_warm_up() {
    // A private device, so other tests running in parallel do not move its counters.
    let gpu = Gpu::new().unwrap();
    let x = Tensor::from_slice(&gpu, &[3, 1000], &vec![0.25; 3000]);
    let w = Tensor::from_slice(&gpu, &[100, 100], &vec![0.01; 10_000]);
    let chain = |x: &Tensor| {
        let h = ew::activation(x, Activation::Relu);
        let s = ew::activation(&h, Activation::Sigmoid);
        let d = ew::activation_backward(&s, &h, Activation::Sigmoid);
        // A product too, so that GEMM's staging textures (on CPU adapters) are counted.
        let p = gemm::matmul(&h.reshape(&[30, 100]), &w, false, false, None);
        ew::axpby(
            1.0,
            &ew::axpby(1.0, x, -0.1, &d),
            1e-3,
            &p.reshape(&[3, 1000]),
        )
    };
    // Three warm-up rounds: the second is the first in which the previous output is alive
    // while the next is made, as in every later round; from the third on, rounds alternate
    // between two buffers for their input and output, and the third is the first to bind
    // the pair the other way round.
    let mut y = chain(&x);
    y = chain(&y);
    y = chain(&y);
    gpu.flush();
    let warm = gpu.counters();
    for _ in 0..5 {
        y = chain(&y);
    }
    gpu.sync();
    let after = gpu.counters();
    assert_eq!(
        after.buffers_created, warm.buffers_created,
        "buffers were created after warm-up"
    );
    assert_eq!(
        after.pipelines_created, warm.pipelines_created,
        "pipelines were compiled after warm-up"
    );
    assert_eq!(
        after.textures_created, warm.textures_created,
        "staging textures were created after warm-up"
    );
    assert_eq!(
        after.bind_groups_created, warm.bind_groups_created,
        "bind groups were made after warm-up"
    );
    assert_eq!(after.readbacks, warm.readbacks);
    assert_eq!(
        after.dispatches - warm.dispatches,
        5 * 6,
        "six kernels per round"
    );
    assert!(
        after.submits - warm.submits <= 1,
        "a chain of ops should cost one submit"
    );
    assert!(after.buffer_reuses > warm.buffer_reuses);
}

#[test]
fn copy_region_moves_exactly_the_named_elements() {
    let src = upload(&[5], &[1.0, 2.0, 3.0, 4.0, 5.0]);
    let dst = Tensor::zeros(gpu(), &[2, 4]);
    dst.copy_region(3, &src, 1, 3);
    assert_eq!(dst.to_vec(), vec![0.0, 0.0, 0.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
}

/// A relocated tensor keeps its contents, and it, its clones, views and reshapes (made
/// before or after the move) all read and write the home range: a kernel writing the home
/// is seen through them, and a kernel writing through them lands in the home. Nothing
/// outside the home range changes, and a storage moves only once.
#[test]
fn a_relocated_tensor_and_its_clones_live_in_the_home_range() {
    let align = Tensor::view_alignment(gpu());
    let t = upload(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let before = t.clone();
    let flat = upload(&[3 * align], &vec![-1.0; 3 * align]);
    let home = flat.view(align, &[6]);
    assert!(t.relocate_into(&home));
    let after = before.reshape(&[6]);
    let mut want_flat = vec![-1.0; 3 * align];
    want_flat[align..align + 6].copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(
        flat.to_vec(),
        want_flat,
        "the move copies the contents into the home"
    );
    // A kernel writes the home; every handle sees it.
    let doubled = ew::scale(&home, 2.0);
    home.copy_from(&doubled);
    assert_eq!(t.to_vec(), vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    assert_eq!(after.to_vec(), t.to_vec());
    // Writes through a handle land in the home and nowhere else.
    before.fill_zero();
    want_flat[align..align + 6].copy_from_slice(&[0.0; 6]);
    assert_eq!(flat.to_vec(), want_flat);
    t.write(&[7.0; 6]);
    assert_eq!(home.to_vec(), vec![7.0; 6]);
    assert_eq!(
        ew::scale(&after, 1.0).to_vec(),
        vec![7.0; 6],
        "kernels bind the home"
    );
    assert!(
        !t.relocate_into(&flat.view(2 * align, &[6])),
        "a storage moves once"
    );
    let other = upload(&[6], &[0.0; 6]);
    assert!(
        !other.relocate_into(&after),
        "a home in a moved storage is refused"
    );
    assert!(
        !other.relocate_into(&other.reshape(&[2, 3])),
        "a storage is not its own home"
    );
    assert_eq!(other.to_vec(), vec![0.0; 6]);
    let elsewhere = upload(&[3 * align], &vec![0.0; 3 * align]);
    assert!(
        !flat.relocate_into(&elsewhere),
        "a storage that others moved into stays"
    );
    assert!(
        !other.view(0, &[4]).relocate_into(&elsewhere.view(0, &[4])),
        "a view stays"
    );
    assert_eq!(t.to_vec(), vec![7.0; 6], "a refused move changes nothing");
    assert_eq!(
        elsewhere.to_vec(),
        vec![0.0; 3 * align],
        "a refused move copies nothing"
    );
}

/// A staged copy serves every later read of the same tensor until the tensor is written:
/// the second read records no copy; after each kind of write (an in-place kernel, a region
/// copy, a zero fill, a queue write) the next read stages afresh and sees the new values.
#[test]
fn a_staged_copy_serves_until_its_tensor_is_written() {
    // A private device, so that other tests do not move its counters.
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    dvaan_tensor::with_texel_reads(Some(true), || {
        let n = 4096;
        let data = uniform(&mut rng(12), n, -1.0, 1.0);
        let x = Tensor::from_slice(&gpu, &[n], &data);
        let copies = || gpu.counters().transfers;
        let stagings = || gpu.counters().stagings;
        let doubled = |x: &Tensor| ew::scale(x, 2.0).to_vec();
        let twice = |v: &[f32]| v.iter().map(|a| 2.0 * a).collect::<Vec<_>>();
        assert_eq!(doubled(&x), twice(&data));
        let (before, staged_before) = (copies(), stagings());
        let again = ew::scale(&x, 3.0);
        assert_eq!(copies(), before, "the second read staged x again");
        assert_eq!(
            stagings(),
            staged_before,
            "a kept copy counted as a staging"
        );
        assert_eq!(
            again.to_vec(),
            data.iter().map(|a| 3.0 * a).collect::<Vec<_>>()
        );
        let writes: [(&str, &dyn Fn()); 4] = [
            ("an in-place kernel", &|| {
                let zeros = Tensor::zeros(&gpu, &[n]);
                let grad = Tensor::from_slice(&gpu, &[n], &vec![1.0; n]);
                adam::adam_step(
                    &x,
                    &grad,
                    &zeros,
                    &zeros.duplicate(),
                    1,
                    &adam::AdamConfig::default(),
                );
            }),
            ("a region copy", &|| {
                x.copy_region(8, &Tensor::from_slice(&gpu, &[4], &[9.0; 4]), 0, 4)
            }),
            ("a zero fill", &|| x.fill_zero()),
            ("a queue write", &|| x.write(&data)),
        ];
        for (what, write) in writes {
            write();
            let now = x.to_vec();
            let (before, staged_before) = (copies(), stagings());
            let fresh = doubled(&x) == twice(&now);
            assert!(fresh, "a read after {what} saw stale values");
            assert!(copies() > before, "{what}: no new staged copy");
            assert_eq!(stagings(), staged_before + 1, "{what}: stagings miscounted");
        }
        // A row and one texel more: one staging, recorded as two copies (whole rows, the rest).
        let m = 4 * dvaan_tensor::TEXELS_PER_ROW as usize + 4;
        let data = uniform(&mut rng(13), m, -1.0, 1.0);
        let y = Tensor::from_slice(&gpu, &[m], &data);
        let staged_before = stagings();
        assert_eq!(doubled(&y), twice(&data), "a staging of a row and a texel");
        assert_eq!(
            stagings(),
            staged_before + 1,
            "a two-copy staging miscounted"
        );
    });
}

/// `Counters::flops` adds each product's and convolution's nominal count: 2·M·N·K, and
/// 2·N·O·OH·OW·C·KH·KW for each of a convolution's three ops.
#[test]
fn flop_counter_counts_nominal_products() {
    // A private device: other tests' work must not move its counter.
    let gpu = Gpu::new().unwrap();
    let on = |shape: &[usize]| Tensor::zeros(&gpu, shape);
    let flops = |f: &dyn Fn()| {
        let before = gpu.counters().flops;
        f();
        gpu.counters().flops - before
    };
    let (a, b) = (on(&[5, 7]), on(&[7, 3]));
    assert_eq!(
        flops(&|| drop(gemm::matmul(&a, &b, false, false, None))),
        2 * 5 * 3 * 7
    );
    // x [2, 3, 9, 9], w [4, 3, 3, 3], stride 2, padding 1: a 5x5 output.
    let (x, w, dy) = (on(&[2, 3, 9, 9]), on(&[4, 3, 3, 3]), on(&[2, 4, 5, 5]));
    let conv = 2 * 2 * 4 * 5 * 5 * 3 * 3 * 3;
    assert_eq!(flops(&|| drop(conv::conv2d(&x, &w, None, 2, 1))), conv);
    assert_eq!(
        flops(&|| drop(conv::conv2d_backward_input(&dy, &w, (9, 9), 2, 1))),
        conv
    );
    assert_eq!(
        flops(&|| drop(conv::conv2d_backward_weight(&x, &dy, (3, 3), 2, 1))),
        conv
    );
}

/// A device without wgpu's shader runtime checks (what `DVAAN_SHADER_CHECKS=off` measures)
/// computes exactly what a checked one does on in-range work.
#[test]
fn shaders_without_runtime_checks_compute_the_same() {
    let checked = Gpu::new().unwrap();
    // SAFETY: the ops below index within their operands (their kernel tests hold them to
    // the references on these and more awkward shapes).
    let unchecked = unsafe { Gpu::without_shader_checks(&Default::default()) }.unwrap();
    assert!(checked.shader_checks() && !unchecked.shader_checks());
    let mut r = rng(41);
    let (x, w) = (
        uniform(&mut r, 2 * 5 * 9 * 9, -1.0, 1.0),
        uniform(&mut r, 7 * 5 * 9, -1.0, 1.0),
    );
    let run = |gpu: &Gpu| {
        let x = Tensor::from_slice(gpu, &[2, 5, 9, 9], &x);
        let w = Tensor::from_slice(gpu, &[7, 5, 3, 3], &w);
        let y = conv::conv2d(&x, &w, None, 2, 1);
        let p = gemm::matmul(
            &y.reshape(&[2, 7 * 25]),
            &y.reshape(&[2, 7 * 25]),
            true,
            false,
            None,
        );
        let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        (bits(&y), bits(&p))
    };
    assert_eq!(run(&checked), run(&unchecked));
}

/// A device of the test's own (another test's submits would rewrite its parameter arena)
/// and an input on it.
fn own_device_and_input() -> (Gpu, Tensor) {
    let gpu = Gpu::new().unwrap();
    let x = Tensor::from_slice(&gpu, &[1000], &[1.5; 1000]);
    (gpu, x)
}

/// `a = 2x`, then `b = a + 3x`, captured: the two products that a replay must remake.
fn captured_chain(gpu: &Gpu, x: &Tensor) -> (Tensor, Tensor, dvaan_tensor::CapturedDispatches) {
    let ((a, b), captured) = gpu.capture_dispatches(|| {
        let a = ew::axpby(2.0, x, 0.0, x);
        let b = ew::axpby(1.0, &a, 3.0, x);
        (a, b)
    });
    (a, b, captured.expect("two dispatches in one submit"))
}

#[test]
fn a_captured_chain_replays_its_dispatches_with_their_own_parameters() {
    let gpu = Gpu::new().unwrap();
    let data: Vec<f32> = (0..1000).map(|i| i as f32 * 0.25 - 7.0).collect();
    let x = Tensor::from_slice(&gpu, &[1000], &data);
    let (a, b, captured) = captured_chain(&gpu, &x);
    assert_eq!(captured.dispatch_count(), 2);
    let times = |k: f32| data.iter().map(|v| k * v).collect::<Vec<_>>();
    // Compared whole, reported by the first element (all are exact multiples).
    let holds = |t: &Tensor, k: f32| {
        let got = t.to_vec();
        assert!(got == times(k), "expected {k}x: {} for {}", got[0], data[0]);
    };
    holds(&b, 5.0);
    // Cleared, then made again by the replay alone; had both dispatches read the first one's
    // parameters (2, 0), b would come back as 4x.
    a.fill_zero();
    b.fill_zero();
    gpu.flush();
    captured.replay();
    holds(&a, 2.0);
    holds(&b, 5.0);
    // Replays are not the engine's dispatches.
    let before = gpu.counters().dispatches;
    captured.replay();
    gpu.sync();
    assert_eq!(gpu.counters().dispatches, before);
}

#[test]
fn a_capture_does_not_replay_after_the_engine_submitted_dispatches() {
    let (gpu, x) = own_device_and_input();
    let (_a, _b, captured) = captured_chain(&gpu, &x);
    let c = ew::axpby(4.0, &x, 0.0, &x);
    gpu.flush();
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| captured.replay()));
    let message = refused.expect_err("a replay after the arena was rewritten");
    let message = (message.downcast_ref::<&str>().copied())
        .or_else(|| message.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert!(
        message.contains("no longer holds the captured ones"),
        "{message}"
    );
    // The refusal left the device usable.
    assert_eq!(c.to_vec(), vec![6.0; 1000]);
    assert_eq!(ew::axpby(1.0, &c, 1.0, &x).to_vec(), vec![7.5; 1000]);
}

#[test]
#[should_panic(expected = "call Gpu::flush before replaying")]
fn a_capture_does_not_replay_behind_unsubmitted_work() {
    let (gpu, x) = own_device_and_input();
    let (a, _b, captured) = captured_chain(&gpu, &x);
    a.fill_zero();
    captured.replay();
}

#[test]
fn a_capture_spanning_two_submits_is_refused() {
    let (gpu, x) = own_device_and_input();
    let (_, captured) = gpu.capture_dispatches(|| {
        let a = ew::axpby(2.0, &x, 0.0, &x);
        // The first dispatch's parameters reach the arena here; the second's overwrite them.
        gpu.flush();
        ew::axpby(1.0, &a, 3.0, &x)
    });
    assert!(captured.is_none());
}

#[test]
fn a_capture_whose_work_panicked_ends_with_it() {
    let (gpu, x) = own_device_and_input();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        gpu.capture_dispatches(|| {
            let _a = ew::axpby(2.0, &x, 0.0, &x);
            panic!("inside the capture");
        })
    }));
    assert!(unwound.is_err());
    // Were the first capture still on, this one would refuse to nest in it.
    let (_, captured) = gpu.capture_dispatches(|| ew::axpby(2.0, &x, 0.0, &x));
    assert_eq!(captured.map(|c| c.dispatch_count()), Some(1));
}

#[test]
#[should_panic(expected = "captures do not nest")]
fn captures_do_not_nest() {
    let gpu = Gpu::new().unwrap();
    gpu.capture_dispatches(|| gpu.capture_dispatches(|| ()));
}
