"""Checks that the formulas README.md gives for the C# side reproduce the stored values (numpy, float64)."""
import numpy as np


def check_optimizer_rules(t):
    p0, grads = t["param0"].astype(np.float64), t["grads"].astype(np.float64)
    lr, m, wd = 0.1, 0.9, 1e-4
    for name, nesterov in [("sgd", False), ("sgd_nesterov", True)]:
        p, buf = p0.copy(), None
        for step in range(grads.shape[0]):
            g = grads[step] + wd * p
            buf = g.copy() if buf is None else m * buf + g
            p = p - lr * (g + m * buf if nesterov else buf)
            assert np.allclose(p, t[f"{name}.params"][step], atol=1e-6), (name, step)
    p, mom, vel = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    lr, wd, b1, b2, eps = 1e-2, 0.05, 0.9, 0.999, 1e-8
    for step in range(grads.shape[0]):
        g, k = grads[step], step + 1
        p = p * (1 - lr * wd)
        mom = b1 * mom + (1 - b1) * g
        vel = b2 * vel + (1 - b2) * g * g
        p = p - lr * (mom / (1 - b1 ** k)) / (np.sqrt(vel / (1 - b2 ** k)) + eps)
        assert np.allclose(p, t["adamw.params"][step], atol=1e-6), ("adamw", step)


def check_pos_embed(t):
    pe = t["pos_embed"][0].astype(np.float64)
    omega = 10000.0 ** (-np.arange(48) / 48.0)
    assert np.all(pe[0] == 0)
    for m in range(1, 65):
        a, b = (m - 1) // 8, (m - 1) % 8
        expected = np.concatenate([np.sin(a * omega), np.cos(a * omega), np.sin(b * omega), np.cos(b * omega)])
        assert np.allclose(pe[m], expected, atol=1e-5), m


def check_batch_norm_update(t):
    for case, axes in [("batch_norm_train_2d", (0, 2, 3)), ("batch_norm_train_1d", (0,))]:
        x = t[f"{case}.in0"].astype(np.float64)
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)
        assert np.allclose(t[f"{case}.running_mean_after"], 0.9 * t[f"{case}.running_mean"] + 0.1 * mean, atol=1e-6)
        assert np.allclose(t[f"{case}.running_var_after"], 0.9 * t[f"{case}.running_var"] + 0.1 * var, atol=1e-6)
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        y = (x - mean.reshape(shape)) / np.sqrt(x.var(axis=axes).reshape(shape) + 1e-5)
        y = y * t[f"{case}.in1"].reshape(shape) + t[f"{case}.in2"].reshape(shape)
        assert np.allclose(y, t[f"{case}.out"], atol=1e-5), case


CHECKS = {
    "optim_steps.safetensors": check_optimizer_rules,
    "vit_tiny_d2.safetensors": check_pos_embed,
    "ops_norm.safetensors": check_batch_norm_update,
}
