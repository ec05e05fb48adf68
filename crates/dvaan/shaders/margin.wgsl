// DVAAN's class-boundary alignment (Eq. 10), one invocation, in place on the GPU:
//   mu = clamp(mu - eta * tanh(l_fea - gamma * l_adv), mu_min, mu_max)
// mu, l_fea and l_adv are one-element tensors that never leave the GPU inside a step.
// The tanh argument is clamped to [-20, 20] first: tanh is exactly +-1 in f32 beyond ~9,
// and some implementations evaluate tanh through exp(2x), which overflows to inf/inf = NaN
// for large x.

struct Params {
    eta: f32,
    gamma: f32,
    mu_min: f32,
    mu_max: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mu: array<f32>;
@group(0) @binding(2) var<storage, read> l_fea: array<f32>;
@group(0) @binding(3) var<storage, read> l_adv: array<f32>;

@compute @workgroup_size(1)
fn margin_update() {
    let d = clamp(l_fea[0] - p.gamma * l_adv[0], -20.0, 20.0);
    mu[0] = clamp(mu[0] - p.eta * tanh(d), p.mu_min, p.mu_max);
}
