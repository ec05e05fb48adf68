//! The tape's behaviour: routing gradients to requested parameters only (and skipping the
//! work for the rest), accumulation, repeated backward on one tape, no-grad and detach,
//! train/eval batch norm, and the guard against stepping an optimiser too early.

use dvaan_autograd::{Adam, AdamConfig, BatchNorm2d, Conv2d, Gradients, Layer, Param, Tape, Var};
use dvaan_tensor::ops::{batch_norm as bn, conv, elementwise, loss};
use dvaan_tensor::{Gpu, Tensor};

use crate::common::*;

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

fn grad_bits(g: &Gradients, p: &Param) -> Vec<u32> {
    bits(g.get(p).expect("a gradient"))
}

/// conv 1→3 k3 s1 p1 → ReLU → conv 3→2 k3 s2 p1 → MSE against a fixed target.
struct TwoConv {
    c1: Conv2d,
    c2: Conv2d,
    x: Tensor,
    target: Tensor,
}

impl TwoConv {
    fn new(gpu: &Gpu, seed: u64) -> TwoConv {
        let mut r = rng(seed);
        let c1 = Conv2d::new(gpu, 1, 3, 3, 1, 1, &mut r);
        let c2 = Conv2d::new(gpu, 3, 2, 3, 2, 1, &mut r);
        let x = Tensor::from_slice(gpu, &[2, 1, 5, 5], &uniform(&mut r, 50, -1.0, 1.0));
        let target = Tensor::from_slice(gpu, &[2, 2, 3, 3], &uniform(&mut r, 36, -1.0, 1.0));
        TwoConv { c1, c2, x, target }
    }

    fn loss(&self, tape: &Tape) -> Var {
        let h = tape.relu(&self.c1.forward(tape, &Var::constant(self.x.clone())));
        let y = self.c2.forward(tape, &h);
        tape.mse(&y, &Var::constant(self.target.clone()))
    }
}

/// Dispatches that `f` records.
fn dispatches(gpu: &Gpu, f: impl FnOnce()) -> u64 {
    let before = gpu.counters().dispatches;
    f();
    gpu.counters().dispatches - before
}

#[test]
fn backward_routes_to_requested_params_and_skips_the_rest() {
    // A private device: the dispatch counter must see only this test's work.
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    let net = TwoConv::new(&gpu, 11);
    let tape = Tape::new();
    let loss = net.loss(&tape);
    let (p1, p2) = (net.c1.params(), net.c2.params());
    let all: Vec<Param> = p1.iter().chain(&p2).map(|(_, p)| p.clone()).collect();

    let full = tape.backward(&loss, &all);
    let mut only2 = Gradients::default();
    let d_only2 = dispatches(&gpu, || {
        only2 = tape.backward(&loss, p2.iter().map(|(_, p)| p))
    });
    let mut only1 = Gradients::default();
    let d_only1 = dispatches(&gpu, || {
        only1 = tape.backward(&loss, p1.iter().map(|(_, p)| p))
    });
    let mut full2 = Gradients::default();
    let d_full = dispatches(&gpu, || full2 = tape.backward(&loss, &all));

    assert_eq!((full.len(), only2.len(), only1.len()), (4, 2, 2));
    for (_, p) in &p1 {
        assert!(
            only2.get(p).is_none(),
            "conv 1 got a gradient it did not ask for"
        );
        assert_eq!(grad_bits(&only1, p), grad_bits(&full, p));
    }
    for (_, p) in &p2 {
        assert!(
            only1.get(p).is_none(),
            "conv 2 got a gradient it did not ask for"
        );
        assert_eq!(grad_bits(&only2, p), grad_bits(&full, p));
        assert_eq!(
            grad_bits(&full2, p),
            grad_bits(&full, p),
            "a second backward differs"
        );
    }

    // The cost of each kernel the backward may run, measured on the same shapes.
    let dy2 = Tensor::zeros(&gpu, &[2, 2, 3, 3]);
    let dy1 = Tensor::zeros(&gpu, &[2, 3, 5, 5]);
    let h = Tensor::zeros(&gpu, &[2, 3, 5, 5]);
    let one = elementwise::full(&gpu, &[1], 1.0);
    let w2 = net.c2.weight.value();
    let seed = dispatches(&gpu, || drop(elementwise::full(&gpu, &[1], 1.0)));
    let mse = dispatches(&gpu, || drop(loss::mse_backward(&dy2, &net.target, &one)));
    let dx2 = dispatches(&gpu, || {
        drop(conv::conv2d_backward_input(&dy2, w2, (5, 5), 2, 1))
    });
    // A weight gradient reads its input as the forward laid it out, where the kernel keeps it,
    // and gives the bias gradient from the same pass over dy where the kernel can.
    let (_, h_staged) = conv::conv2d_keeping(&h, w2, None, 2, 1);
    let wb2 = dispatches(&gpu, || {
        drop(conv::conv2d_backward_weight_and_bias_from(
            &h_staged,
            &h,
            &dy2,
            (3, 3),
            2,
            1,
        ))
    });
    let relu = dispatches(&gpu, || {
        drop(elementwise::activation_backward(
            &h,
            &dy1,
            elementwise::Activation::Relu,
        ))
    });
    let (_, x_staged) = conv::conv2d_keeping(&net.x, net.c1.weight.value(), None, 1, 1);
    let wb1 = dispatches(&gpu, || {
        drop(conv::conv2d_backward_weight_and_bias_from(
            &x_staged,
            &net.x,
            &dy1,
            (3, 3),
            1,
            1,
        ))
    });

    // Only conv 2 requested: no input gradient through conv 2, nothing below it.
    assert_eq!(d_only2, seed + mse + wb2);
    // Only conv 1 requested: conv 2's input gradient but not its weight or bias gradients;
    // conv 1's input (the data) gets no gradient.
    assert_eq!(d_only1, seed + mse + dx2 + relu + wb1);
    assert_eq!(d_full, seed + mse + dx2 + wb2 + relu + wb1);
}

#[test]
fn a_network_used_twice_accumulates_its_gradients() {
    let g = gpu();
    let net = TwoConv::new(g, 12);
    let other = TwoConv::new(g, 13);
    let params: Vec<Param> = net
        .c1
        .params()
        .into_iter()
        .chain(net.c2.params())
        .map(|(_, p)| p)
        .collect();
    // The second pass uses net's layers on other's data.
    let second = TwoConv {
        c1: clone_conv(&net.c1),
        c2: clone_conv(&net.c2),
        ..other
    };

    let tape = Tape::new();
    let both = tape.add(&net.loss(&tape), &second.loss(&tape));
    let together = tape.backward(&both, &params);

    let (ta, tb) = (Tape::new(), Tape::new());
    let ga = ta.backward(&net.loss(&ta), &params);
    let gb = tb.backward(&second.loss(&tb), &params);
    for p in &params {
        let (a, b) = (ga.get(p).unwrap().to_vec(), gb.get(p).unwrap().to_vec());
        let sum: Vec<f64> = a.iter().zip(&b).map(|(x, y)| (x + y) as f64).collect();
        // The same kernels on the same inputs, then one f32 addition: identical up to the
        // order of the two addends, which f32 addition does not care about.
        let got = together.get(p).unwrap().to_vec();
        assert_eq!(
            (a.len(), b.len()),
            (got.len(), got.len()),
            "gradient lengths"
        );
        for (i, (&x, &y)) in got.iter().zip(&sum).enumerate() {
            assert_eq!(
                x as f64,
                y,
                "element {i} of a shape-{:?} gradient",
                p.shape()
            );
        }
    }
}

/// The same parameters (same identity) in a second layer value.
fn clone_conv(c: &Conv2d) -> Conv2d {
    Conv2d {
        weight: c.weight.clone(),
        bias: c.bias.clone(),
        stride: c.stride,
        padding: c.padding,
    }
}

#[test]
fn backward_last_gives_the_same_gradients() {
    let net = TwoConv::new(gpu(), 14);
    let params: Vec<Param> = net
        .c1
        .params()
        .into_iter()
        .chain(net.c2.params())
        .map(|(_, p)| p)
        .collect();
    let tape = Tape::new();
    let loss = net.loss(&tape);
    let kept = tape.backward(&loss, &params);
    let last = tape.backward_last(&loss, &params);
    for p in &params {
        assert_eq!(grad_bits(&kept, p), grad_bits(&last, p));
    }
}

/// One backward cut in two at an intermediate value: the gradient that reaches `h` is read
/// out of the first pass and seeds the second beside another loss on `h`. Both must give
/// the bits of a single pass over the summed loss (the seed enters where that pass would
/// have accumulated it, and addition commutes exactly).
#[test]
fn seeding_an_intermediate_continues_the_backward_exactly() {
    let net = TwoConv::new(gpu(), 16);
    let p1: Vec<Param> = net.c1.params().into_iter().map(|(_, p)| p).collect();
    let p2: Vec<Param> = net.c2.params().into_iter().map(|(_, p)| p).collect();
    let tape = Tape::new();
    let h = tape.relu(&net.c1.forward(&tape, &Var::constant(net.x.clone())));
    let y = net.c2.forward(&tape, &h);
    let fit = tape.mse(&y, &Var::constant(net.target.clone()));
    let small = tape.mse(&h, &Var::constant(Tensor::zeros(gpu(), h.shape())));
    let both = tape.weighted_sum(&[(1.0, &fit), (1.0, &small)]);
    let whole = tape.backward(&both, p1.iter().chain(&p2));

    let one = || elementwise::full(gpu(), &[1], 1.0);
    let head = tape.backward_seeded(&[(&fit, one())], &p2, &[&h]);
    let dh = head.of_value(&h).expect("fit depends on h").clone();
    assert_eq!(dh.shape(), h.shape());
    let tail = tape.backward_seeded_last(&[(&small, one()), (&h, dh)], &p1, &[]);
    for p in &p2 {
        assert_eq!(grad_bits(&head, p), grad_bits(&whole, p), "{p:?}");
    }
    for p in &p1 {
        assert_eq!(grad_bits(&tail, p), grad_bits(&whole, p), "{p:?}");
        assert!(head.get(p).is_none(), "not requested from the first pass");
    }
}

#[test]
fn no_grad_and_detach() {
    let net = TwoConv::new(gpu(), 15);
    let params: Vec<Param> = net
        .c1
        .params()
        .into_iter()
        .chain(net.c2.params())
        .map(|(_, p)| p)
        .collect();

    let eval = Tape::eval();
    let loss = net.loss(&eval);
    assert!(
        eval.is_empty() && !loss.is_tracked(),
        "an evaluation tape recorded {} ops",
        eval.len()
    );
    assert!(eval.backward(&loss, &params).is_empty());

    // Detaching the hidden layer cuts conv 1 off: only conv 2 gets gradients.
    let tape = Tape::new();
    let h = tape
        .relu(&net.c1.forward(&tape, &Var::constant(net.x.clone())))
        .detach();
    let y = net.c2.forward(&tape, &h);
    let loss = tape.mse(&y, &Var::constant(net.target.clone()));
    let g = tape.backward(&loss, &params);
    assert_eq!(g.len(), 2);
    assert!(net.c1.params().iter().all(|(_, p)| g.get(p).is_none()));
}

#[test]
#[should_panic(expected = "updated after this tape used it")]
fn stepping_before_the_last_backward_is_refused() {
    let net = TwoConv::new(gpu(), 16);
    let mut opt = Adam::new(net.c1.params(), AdamConfig::default());
    let tape = Tape::new();
    let loss = net.loss(&tape);
    let g = tape.backward(&loss, opt.params());
    opt.step(&g);
    let _ = tape.backward(&loss, opt.params());
}

#[test]
fn batch_norm_modes() {
    let g = gpu();
    let mut r = rng(17);
    let shape = [3, 2, 2, 2];
    let x = uniform(&mut r, 24, -1.0, 2.0);
    let layer = BatchNorm2d::new(g, 2);
    let x_var = Var::constant(upload(&shape, &x));

    let train = Tape::new();
    let y = layer.forward(&train, &x_var).value().to_vec();
    let want = bn::reference::batch_norm_train(
        &f64s(&x),
        &shape,
        &[1.0; 2],
        &[0.0; 2],
        &[0.0; 2],
        &[1.0; 2],
        0.1,
        1e-5,
    );
    // Normalisation of 12 values per channel: a few f32 roundings of O(1) numbers.
    let close = |what: &str, got: &[f32], want: &[f64]| {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
            assert!(
                (a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{what}[{i}]: {a} vs {b}"
            );
        }
    };
    close("train y", &y, &want.y);
    close(
        "running mean",
        &layer.running_mean.to_vec(),
        &want.running_mean,
    );
    close(
        "running var",
        &layer.running_var.to_vec(),
        &want.running_var,
    );

    let (rm, rv) = (layer.running_mean.to_vec(), layer.running_var.to_vec());
    let y = layer.forward(&Tape::eval(), &x_var).value().to_vec();
    let want = bn::reference::batch_norm_eval(
        &f64s(&x),
        &shape,
        &[1.0; 2],
        &[0.0; 2],
        &f64s(&rm),
        &f64s(&rv),
        1e-5,
    );
    close("eval y", &y, &want);
    assert_eq!(
        layer.running_mean.to_vec(),
        rm,
        "evaluation changed the running mean"
    );
    assert_eq!(
        layer.running_var.to_vec(),
        rv,
        "evaluation changed the running variance"
    );
}

#[test]
fn three_losses_three_groups_on_one_tape() {
    // A miniature of DVAAN's step: "enc" and "dec" feed both losses, "dis" only the second.
    // Each backward must equal what the group's own loss combination gives, and the
    // combined loss's gradient is the weighted sum of the parts' (linearity).
    let g = gpu();
    let mut r = rng(18);
    let enc = Conv2d::new(g, 1, 2, 3, 1, 1, &mut r);
    let dec = Conv2d::new(g, 2, 1, 3, 1, 1, &mut r);
    let dis = Conv2d::new(g, 1, 1, 4, 1, 0, &mut r);
    let x = Var::constant(upload(&[2, 1, 4, 4], &uniform(&mut r, 32, 0.0, 1.0)));
    let labels = upload(&[2], &[1.0, 0.0]);
    let group = |l: &dyn Layer| -> Vec<Param> { l.params().into_iter().map(|(_, p)| p).collect() };
    let (pe, pd, pz) = (group(&enc), group(&dec), group(&dis));

    let tape = Tape::new();
    let xr = tape.sigmoid(&dec.forward(&tape, &tape.relu(&enc.forward(&tape, &x))));
    let l_rec = tape.bce(&xr, x.value());
    let logits = tape.reshape(&dis.forward(&tape, &xr), &[2]);
    let l_adv = tape.bce_with_logits(&logits, &labels, None);
    let l_dec = tape.weighted_sum(&[(1.0, &l_rec), (0.1, &l_adv)]);

    let g_enc = tape.backward(&l_rec, &pe);
    let g_dec = tape.backward(&l_dec, &pd);
    let g_dis = tape.backward(&l_adv, &pz);
    let g_dec_rec = tape.backward(&l_rec, &pd);
    let g_dec_adv = tape.backward(&l_adv, &pd);
    assert_eq!((g_enc.len(), g_dec.len(), g_dis.len()), (2, 2, 2));
    assert!(
        tape.backward(&l_rec, &pz).is_empty(),
        "the reconstruction loss reached the discriminator"
    );
    for p in &pd {
        let (a, b) = (
            g_dec_rec.get(p).unwrap().to_vec(),
            g_dec_adv.get(p).unwrap().to_vec(),
        );
        let got = g_dec.get(p).unwrap().to_vec();
        for i in 0..got.len() {
            let want = a[i] as f64 + 0.1 * b[i] as f64;
            // Same kernels, different rounding order of three f32 terms: a few ulp.
            assert!(
                (got[i] as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "dec grad {i}: {} vs {want}",
                got[i]
            );
        }
    }
}
