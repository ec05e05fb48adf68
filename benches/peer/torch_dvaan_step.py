#!/usr/bin/env python3
"""The DVAAN training step in PyTorch, as a timing peer for the engine's step bench.

Not part of the product and never imported by it: a reference point for
`cargo bench -p dvaan-benches --bench dvaan_step` (benches/benches/dvaan_step.rs).

What it mirrors, for 28x28x1 images:

- the networks of crates/dvaan/src/models (conv.rs, block.rs, build.rs, mod.rs):
  encoder conv 64 k5, 92 k5, 128 k3, 256 k3 (stride 2, each BN + ReLU), FC 512 (BN, ReLU),
  FC 2d split into (m, logvar); decoder FC d->512, 512->1024 (ReLU, no BN), reshape to
  [256, 2, 2], deconv 128 k3, 92 k3 (output padding 0), 64 k5 (each BN + ReLU), 1 k5
  (sigmoid); discriminator conv 32 k5 (ReLU, no BN), 128 k5, 256 k5 (BN + ReLU; the last
  is the feature layer Dis_l), FC 512 (BN, ReLU), FC 1. Every layer has a bias, every batch
  norm an affine weight and bias (eps 1e-5, momentum 0.1). Initialisation differs and
  does not matter for timing.
- the step of crates/dvaan/src/methods/dvaan.rs and dvaan_method.rs with the update of
  method.rs (`train_step`): encode, reparameterise, decode [z; z_p] in one pass,
  discriminate [x; x~; x_p] in one pass (batch norm over the concatenated batch), the four
  mean losses, each network's gradient of its own objective with the discriminator's
  backward shared as in `Dvaan::gradients` (L_adv backward to the discriminator's
  parameters and its input c; lambda1 * L_fea backward to c only; the encoder and decoder
  seeded at c), one Adam per network (lr 2e-4, betas 0.5/0.999, eps 1e-8), then the margin
  update of Eq. 10 on the device. Nothing is read back inside a step.

Parameter counts (the same from the Rust layer shapes and from this file):
encoder 1,109,972, decoder 1,092,757, discriminator 3,022,785 (latent 32).

Run (needs `pip install torch`):

    python3 benches/peer/torch_dvaan_step.py --device cpu --threads 2
    python3 benches/peer/torch_dvaan_step.py --device cuda --steps 200

It prints the device, threads, ms/step and samples/s; `--csv PATH` appends one row.
"""

import argparse
import csv
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LR = 2e-4
BETAS = (0.5, 0.999)
LAMBDA1 = 1.0
LAMBDA2 = 0.1
GAMMA = 1.0
ETA_MU = 0.01
MU0, MU_MIN, MU_MAX = 1.0, 0.1, 10.0
PROB_CLAMP = 1e-7


def block(op, channels, bn, act, bn_kind):
    """One stage of a network as in block.rs: the layer, optional batch norm, activation."""
    layers = [op]
    if bn:
        layers.append(bn_kind(channels))
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


def conv(i, o, k, s, p, bn, act):
    return block(nn.Conv2d(i, o, k, s, p), o, bn, act, nn.BatchNorm2d)


def deconv(i, o, k, s, p, op, bn, act):
    return block(nn.ConvTranspose2d(i, o, k, s, p, op), o, bn, act, nn.BatchNorm2d)


def dense(i, o, bn, act):
    return block(nn.Linear(i, o), o, bn, act, nn.BatchNorm1d)


class Encoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.latent = latent
        self.convs = nn.Sequential(
            conv(1, 64, 5, 2, 2, True, nn.ReLU()),
            conv(64, 92, 5, 2, 2, True, nn.ReLU()),
            conv(92, 128, 3, 2, 1, True, nn.ReLU()),
            conv(128, 256, 3, 2, 1, True, nn.ReLU()),
        )
        self.head = nn.Sequential(
            dense(256 * 2 * 2, 512, True, nn.ReLU()),
            dense(512, 2 * latent, False, None),
        )

    def forward(self, x):
        out = self.head(self.convs(x).flatten(1))
        return out[:, : self.latent], out[:, self.latent :]


class Decoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.fcs = nn.Sequential(
            dense(latent, 512, False, nn.ReLU()),
            dense(512, 256 * 2 * 2, False, nn.ReLU()),
        )
        self.deconvs = nn.Sequential(
            deconv(256, 128, 3, 2, 1, 1, True, nn.ReLU()),
            deconv(128, 92, 3, 2, 1, 0, True, nn.ReLU()),
            deconv(92, 64, 5, 2, 2, 1, True, nn.ReLU()),
            deconv(64, 1, 5, 2, 2, 1, False, nn.Sigmoid()),
        )

    def forward(self, z):
        return self.deconvs(self.fcs(z).view(z.shape[0], 256, 2, 2))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            conv(1, 32, 5, 2, 2, False, nn.ReLU()),
            conv(32, 128, 5, 2, 2, True, nn.ReLU()),
            conv(128, 256, 5, 2, 2, True, nn.ReLU()),
        )
        self.head = nn.Sequential(
            dense(256 * 4 * 4, 512, True, nn.ReLU()),
            dense(512, 1, False, None),
        )

    def forward(self, x):
        features = self.convs(x)
        return self.head(features.flatten(1)).view(-1), features


def bce_probs(p, target):
    """Mean BCE of clamped probabilities, as the engine's `bce`."""
    p = p.clamp(PROB_CLAMP, 1.0 - PROB_CLAMP)
    return -(target * p.log() + (1.0 - target) * (1.0 - p).log()).mean()


def kl_to_shifted_prior(m, logvar, prior_mean):
    """Batch mean of KL(N(m, exp(logvar)) || N(prior_mean_n * 1, I))."""
    per_sample = 0.5 * (logvar.exp() + (m - prior_mean[:, None]) ** 2 - 1.0 - logvar).sum(1)
    return per_sample.mean()


def class_prior_mean(labels, mu):
    return (2.0 * labels - 1.0) * mu


class Step:
    """The networks, their optimisers and μ, and one training step on them."""

    def __init__(self, device, latent):
        self.latent = latent
        self.enc = Encoder(latent).to(device)
        self.dec = Decoder(latent).to(device)
        self.dis = Discriminator().to(device)
        adam = dict(lr=LR, betas=BETAS, eps=1e-8)
        self.opts = [torch.optim.Adam(n.parameters(), **adam) for n in self.nets()]
        self.mu = torch.full((1,), MU0, device=device)

    def nets(self):
        return [self.enc, self.dec, self.dis]

    def __call__(self, x, y):
        b, d = x.shape[0], self.latent
        sample_len = x[0].numel()

        # 1. Posterior sample.
        m, logvar = self.enc(x)
        z = m + (0.5 * logvar).exp() * torch.randn(b, d, device=x.device)

        # 2. Prior sample from the class mixture, decoded with the reconstructions.
        y_p = torch.bernoulli(torch.full((b,), 0.5, device=x.device))
        z_p = torch.randn(b, d, device=x.device) + class_prior_mean(y_p, self.mu)[:, None]
        x_rec, x_p = self.dec(torch.cat([z, z_p], 0)).split(b, 0)
        c = torch.cat([x, x_rec, x_p], 0)
        logit, features = self.dis(c)
        ell_x, ell_rec, ell_p = logit.split(b, 0)
        f_x, f_rec, _ = features.split(b, 0)

        # 3. The four losses, each a mean.
        l_ele = bce_probs(x_rec, x)
        l_kl = kl_to_shifted_prior(m, logvar, class_prior_mean(y, self.mu)) / sample_len
        l_adv = (
            F.binary_cross_entropy_with_logits(ell_rec, y)
            + F.binary_cross_entropy_with_logits(ell_p, y_p)
            + F.binary_cross_entropy_with_logits(ell_x, y)
        )
        l_fea = F.mse_loss(f_rec, f_x)

        # 4. Gradients with the discriminator's backward shared (Dvaan::gradients).
        dis_params = list(self.dis.parameters())
        *g_dis, adv_c = torch.autograd.grad(l_adv, dis_params + [c], retain_graph=True)
        (fea_c,) = torch.autograd.grad(LAMBDA1 * l_fea, [c], retain_graph=True)
        g_enc = torch.autograd.grad(
            [l_ele + l_kl, c],
            list(self.enc.parameters()),
            grad_outputs=[torch.ones_like(l_ele), fea_c],
            retain_graph=True,
        )
        g_dec = torch.autograd.grad(
            [l_ele, c],
            list(self.dec.parameters()),
            grad_outputs=[torch.ones_like(l_ele), fea_c + LAMBDA2 * adv_c],
        )
        for net, opt, grads in zip(self.nets(), self.opts, (g_enc, g_dec, g_dis)):
            for p, g in zip(net.parameters(), grads):
                p.grad = g
            opt.step()

        # 5. Eq. 10, on the device.
        with torch.no_grad():
            step = ETA_MU * torch.tanh(l_fea - GAMMA * l_adv)
            self.mu.copy_((self.mu - step).clamp(MU_MIN, MU_MAX))


def batch(device, n):
    """The step bench's batch: the same deterministic pixels and 1-in-6 positives."""
    i = torch.arange(n * 784, dtype=torch.int64)
    x = ((i * 7919) % 256).float().div(255.0).view(n, 1, 28, 28)
    y = (torch.arange(n) % 6 == 0).float()
    return x.to(device), y.to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--latent", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="intra-op CPU threads")
    ap.add_argument("--csv", metavar="PATH", help="append one row of results")
    args = ap.parse_args()
    if args.batch < 2 or args.steps < 1 or args.warmup < 0 or args.latent < 1:
        ap.error("need --batch >= 2 (batch norm), --steps >= 1, --warmup >= 0, --latent >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: this torch build sees no CUDA device")
    if args.threads is not None:
        if args.threads < 1:
            ap.error("--threads must be at least 1")
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    torch.manual_seed(0)
    step = Step(device, args.latent)
    counts = [sum(p.numel() for p in n.parameters()) for n in step.nets()]
    x, y = batch(device, args.batch)

    for _ in range(args.warmup):
        step(x, y)
    sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        step(x, y)
    sync(device)
    ms = (time.perf_counter() - start) * 1e3 / args.steps
    samples = args.batch / (ms / 1e3)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    threads = torch.get_num_threads()
    print(
        f"torch {torch.__version__} on {name}, {threads} threads: parameters enc {counts[0]}, "
        f"dec {counts[1]}, dis {counts[2]}"
    )
    print(
        f"dvaan step (torch), batch {args.batch}, 28x28: {ms:.1f} ms/step, "
        f"{samples:.0f} samples/s over {args.steps} steps (mu {step.mu.item():.4f})"
    )
    if args.csv:
        new = not os.path.exists(args.csv)
        with open(args.csv, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(["device", "threads", "batch", "steps", "ms_per_step", "samples_per_s"])
            w.writerow([name, threads, args.batch, args.steps, f"{ms:.3f}", f"{samples:.1f}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
