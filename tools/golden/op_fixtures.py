"""Golden values for single ops: inputs, upstream weight w, output, and input gradients of sum(out * w)."""
import json
import math

import torch
import torch.nn.functional as F

from fixture import Fixture, seeded


def normal(g, *shape):
    return torch.randn(shape, generator=g)


def uniform(g, lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(shape, generator=g)


def randint(g, hi, *shape):
    return torch.randint(0, hi, shape, generator=g, dtype=torch.int64)


class OpFamily:
    """One ops_*.safetensors file. Each case stores {case}.in{i}, [{case}.idx], [{case}.<state>],
    {case}.w, {case}.out, {case}.grad{i}, [{case}.<extra outputs>]; metadata {case}.op and {case}.args."""

    def __init__(self, file_name, summary):
        self.fx = Fixture(file_name, summary)
        self.names = []
        self.rows = []  # for the README table

    def gen(self, case):
        return seeded(self.fx.file_name, case)

    def run(self, case, g, expr, inputs, fn, args=None, idx=None, state=None):
        fx, p = self.fx, case + "."
        if case in self.names:
            raise KeyError(case)
        self.names.append(case)
        for i, x in enumerate(inputs):
            fx.add(f"{p}in{i}", x)
        if idx is not None:
            fx.add(p + "idx", idx)
        for k, v in (state or {}).items():
            fx.add(p + k, v)  # cloned now, before fn may update it in place
        xs = [x.clone().requires_grad_(True) for x in inputs]
        result = fn(*xs)
        out, extras = result if isinstance(result, tuple) else (result, {})
        w = normal(g, *out.shape)
        grads = torch.autograd.grad((out * w).sum(), xs)
        fx.add(p + "w", w)
        fx.add(p + "out", out)
        for i, gr in enumerate(grads):
            fx.add(f"{p}grad{i}", gr)
        for k, v in extras.items():
            fx.add(p + k, v)
        fx.meta(p + "op", expr)
        fx.meta(p + "args", args or {})
        shape = lambda t: "(" + ",".join(str(d) for d in t.shape) + ")"
        self.rows.append({
            "case": case, "expr": expr,
            "inputs": ", ".join(f"in{i} {shape(x)}" for i, x in enumerate(inputs)),
            "idx": shape(idx) if idx is not None else "",
            "out": shape(out),
            "more": ", ".join([f"{k} {shape(v)}" for k, v in (state or {}).items()] +
                              [f"{k} {shape(v)}" for k, v in extras.items()]),
            "args": json.dumps(args or {}, separators=(",", ":")),
        })

    def finish(self):
        self.fx.meta("cases", self.names)
        return self


def elementwise():
    f = OpFamily("ops_elementwise.safetensors", "element-wise binary ops with broadcasting, and unary ops")
    g = f.gen("add"); f.run("add", g, "in0 + in1", [normal(g, 3, 4), normal(g, 4)], lambda a, b: a + b)
    g = f.gen("sub"); f.run("sub", g, "in0 - in1", [normal(g, 2, 3, 4), normal(g, 3, 1)], lambda a, b: a - b)
    g = f.gen("mul"); f.run("mul", g, "in0 * in1", [normal(g, 2, 1, 4), normal(g, 3, 1)], lambda a, b: a * b)
    g = f.gen("div")
    den = uniform(g, 0.5, 2.0, 2, 1, 4) * torch.where(normal(g, 2, 1, 4) > 0, 1.0, -1.0)
    f.run("div", g, "in0 / in1", [normal(g, 3, 4), den], lambda a, b: a / b)
    g = f.gen("neg"); f.run("neg", g, "-in0", [normal(g, 3, 4)], lambda a: -a)
    g = f.gen("exp"); f.run("exp", g, "torch.exp(in0)", [normal(g, 3, 4)], torch.exp)
    g = f.gen("log"); f.run("log", g, "torch.log(in0)", [uniform(g, 0.2, 3.0, 3, 4)], torch.log)
    g = f.gen("sqrt"); f.run("sqrt", g, "torch.sqrt(in0)", [uniform(g, 0.2, 3.0, 3, 4)], torch.sqrt)
    g = f.gen("pow")
    f.run("pow", g, "torch.pow(in0, 1.7)", [uniform(g, 0.2, 3.0, 3, 4)], lambda a: torch.pow(a, 1.7),
          args={"exponent": 1.7})
    g = f.gen("abs"); f.run("abs", g, "torch.abs(in0)", [normal(g, 3, 4)], torch.abs)
    g = f.gen("clamp")
    f.run("clamp", g, "torch.clamp(in0, -0.5, 0.8)", [normal(g, 3, 4)], lambda a: torch.clamp(a, -0.5, 0.8),
          args={"min": -0.5, "max": 0.8})
    g = f.gen("relu"); f.run("relu", g, "F.relu(in0)", [normal(g, 3, 4)], F.relu)
    g = f.gen("gelu")
    f.run("gelu", g, "F.gelu(in0) (exact: x*0.5*(1+erf(x/sqrt(2))))", [2 * normal(g, 3, 4)], F.gelu,
          args={"approximate": "none"})
    g = f.gen("sigmoid"); f.run("sigmoid", g, "torch.sigmoid(in0)", [2 * normal(g, 3, 4)], torch.sigmoid)
    g = f.gen("tanh"); f.run("tanh", g, "torch.tanh(in0)", [normal(g, 3, 4)], torch.tanh)
    return f.finish()


def reduce():
    f = OpFamily("ops_reduce.safetensors", "sum / mean / var / max over dims")
    cases = [
        ("sum_dim1", "in0.sum(dim=1)", (3, 4, 5), lambda a: a.sum(dim=1), {"dims": [1], "keepdim": False}),
        ("sum_dims02_keep", "in0.sum(dim=(0, 2), keepdim=True)", (3, 4, 5),
         lambda a: a.sum(dim=(0, 2), keepdim=True), {"dims": [0, 2], "keepdim": True}),
        ("sum_all", "in0.sum()", (3, 4), lambda a: a.sum(), {"dims": [], "keepdim": False}),
        ("mean_last", "in0.mean(dim=-1)", (3, 4, 5), lambda a: a.mean(dim=-1), {"dims": [-1], "keepdim": False}),
        ("mean_dims01", "in0.mean(dim=(0, 1))", (3, 4, 5), lambda a: a.mean(dim=(0, 1)),
         {"dims": [0, 1], "keepdim": False}),
        ("mean_all", "in0.mean()", (3, 4), lambda a: a.mean(), {"dims": [], "keepdim": False}),
        ("var_unbiased_dim1", "in0.var(dim=1, unbiased=True)", (3, 6, 4), lambda a: a.var(dim=1, unbiased=True),
         {"dims": [1], "unbiased": True, "keepdim": False}),
        ("var_biased_dim1", "in0.var(dim=1, unbiased=False)", (3, 6, 4), lambda a: a.var(dim=1, unbiased=False),
         {"dims": [1], "unbiased": False, "keepdim": False}),
        ("var_unbiased_dims02_keep", "in0.var(dim=(0, 2), unbiased=True, keepdim=True)", (3, 6, 4),
         lambda a: a.var(dim=(0, 2), unbiased=True, keepdim=True), {"dims": [0, 2], "unbiased": True, "keepdim": True}),
    ]
    for name, expr, shape, fn, args in cases:
        g = f.gen(name)
        f.run(name, g, expr, [normal(g, *shape)], fn, args=args)
    for name, dim, keep in [("max_dim1", 1, False), ("max_dim0_keep", 0, True)]:
        g = f.gen(name)

        def fn(a, dim=dim, keep=keep):
            values, indices = a.max(dim=dim, keepdim=keep)
            return values, {"out_idx": indices}
        f.run(name, g, f"in0.max(dim={dim}, keepdim={keep}) -> (out, out_idx)", [normal(g, 4, 6)], fn,
              args={"dim": dim, "keepdim": keep})
    return f.finish()


def shape_ops():
    f = OpFamily("ops_shape.safetensors", "views, joins and indexing")
    g = f.gen("reshape_permute")
    f.run("reshape_permute", g, "in0.reshape(2, 3, 2, 2).permute(0, 3, 1, 2)", [normal(g, 2, 3, 4)],
          lambda a: a.reshape(2, 3, 2, 2).permute(0, 3, 1, 2), args={"shape": [2, 3, 2, 2], "perm": [0, 3, 1, 2]})
    g = f.gen("transpose")
    f.run("transpose", g, "in0.transpose(0, 2)", [normal(g, 2, 3, 4)], lambda a: a.transpose(0, 2),
          args={"dim0": 0, "dim1": 2})
    g = f.gen("narrow")
    f.run("narrow", g, "in0.narrow(1, 2, 3)", [normal(g, 4, 6)], lambda a: a.narrow(1, 2, 3),
          args={"dim": 1, "start": 2, "length": 3})
    g = f.gen("select")
    f.run("select", g, "in0.select(1, 2)", [normal(g, 3, 4, 2)], lambda a: a.select(1, 2), args={"dim": 1, "index": 2})
    g = f.gen("expand")
    f.run("expand", g, "in0.expand(2, 3, 4)", [normal(g, 3, 1)], lambda a: a.expand(2, 3, 4), args={"shape": [2, 3, 4]})
    g = f.gen("cat")
    f.run("cat", g, "torch.cat([in0, in1, in2], dim=1)", [normal(g, 2, 3, 4), normal(g, 2, 1, 4), normal(g, 2, 2, 4)],
          lambda a, b, c: torch.cat([a, b, c], dim=1), args={"dim": 1})
    g = f.gen("stack")
    f.run("stack", g, "torch.stack([in0, in1, in2], dim=1)", [normal(g, 3, 4), normal(g, 3, 4), normal(g, 3, 4)],
          lambda a, b, c: torch.stack([a, b, c], dim=1), args={"dim": 1})
    g = f.gen("index_select")
    idx = torch.tensor([4, 0, 2, 2], dtype=torch.int64)
    f.run("index_select", g, "torch.index_select(in0, 0, idx) (idx repeats 2)", [normal(g, 5, 3)],
          lambda a: torch.index_select(a, 0, idx), args={"dim": 0}, idx=idx)
    g = f.gen("gather")
    gidx = randint(g, 5, 3, 4)
    f.run("gather", g, "torch.gather(in0, 1, idx)", [normal(g, 3, 5)], lambda a: torch.gather(a, 1, gidx),
          args={"dim": 1}, idx=gidx)
    g = f.gen("scatter_add")
    sidx = randint(g, 5, 3, 4)
    f.run("scatter_add", g, "in0.scatter_add(1, idx, in1)", [normal(g, 3, 5), normal(g, 3, 4)],
          lambda a, b: a.scatter_add(1, sidx, b), args={"dim": 1}, idx=sidx)
    return f.finish()


def matmul():
    f = OpFamily("ops_matmul.safetensors", "matrix products and F.linear")
    g = f.gen("matmul_2d")
    f.run("matmul_2d", g, "in0 @ in1", [normal(g, 3, 5), normal(g, 5, 4)], torch.matmul)
    g = f.gen("matmul_trans_b")
    f.run("matmul_trans_b", g, "in0 @ in1.T  (in1 stored as (N, K))", [normal(g, 3, 5), normal(g, 4, 5)],
          lambda a, b: a @ b.t(), args={"transpose_in1": True})
    g = f.gen("matmul_trans_a")
    f.run("matmul_trans_a", g, "in0.T @ in1  (in0 stored as (K, M))", [normal(g, 5, 3), normal(g, 5, 4)],
          lambda a, b: a.t() @ b, args={"transpose_in0": True})
    g = f.gen("matmul_batched")
    f.run("matmul_batched", g, "in0 @ in1 (batched)", [normal(g, 2, 3, 5), normal(g, 2, 5, 4)], torch.matmul)
    g = f.gen("matmul_broadcast")
    f.run("matmul_broadcast", g, "in0 @ in1 ((B,M,K) @ (K,N))", [normal(g, 2, 3, 5), normal(g, 5, 4)], torch.matmul)
    g = f.gen("linear")
    f.run("linear", g, "F.linear(in0, in1, in2) = in0 @ in1.T + in2", [normal(g, 4, 5), normal(g, 3, 5), normal(g, 3)],
          F.linear)
    return f.finish()


def conv_pool():
    f = OpFamily("ops_conv_pool.safetensors", "conv2d (NCHW, weight (Cout, Cin/groups, kh, kw)) and pooling")
    convs = [  # name, x shape, w shape, bias, stride, padding, groups
        ("conv2d_s1p1", (2, 3, 6, 6), (4, 3, 3, 3), False, 1, 1, 1),
        ("conv2d_s2p1", (2, 3, 7, 7), (4, 3, 3, 3), False, 2, 1, 1),
        ("conv2d_1x1_s2", (2, 4, 6, 6), (5, 4, 1, 1), False, 2, 0, 1),
        ("conv2d_groups2", (2, 4, 6, 6), (6, 2, 3, 3), False, 1, 1, 2),
        ("conv2d_bias", (2, 3, 5, 5), (4, 3, 3, 3), True, 1, 1, 1),
        ("conv2d_7x7_s2p3", (1, 3, 10, 10), (4, 3, 7, 7), False, 2, 3, 1),
        ("conv2d_rect_s1p0", (1, 2, 5, 7), (3, 2, 3, 3), True, 1, 0, 1),
    ]
    for name, xs, ws, bias, stride, pad, groups in convs:
        g = f.gen(name)
        inputs = [normal(g, *xs), normal(g, *ws) * (1.0 / math.sqrt(ws[1] * ws[2] * ws[3]))]
        if bias:
            inputs.append(normal(g, ws[0]))
        expr = f"F.conv2d(in0, in1{', in2' if bias else ''}, stride={stride}, padding={pad}, groups={groups})"
        f.run(name, g, expr, inputs,
              lambda x, w, b=None, s=stride, p=pad, gr=groups: F.conv2d(x, w, b, stride=s, padding=p, groups=gr),
              args={"stride": stride, "padding": pad, "groups": groups, "bias": bias})
    g = f.gen("max_pool2d_k3s2p1")
    f.run("max_pool2d_k3s2p1", g, "F.max_pool2d(in0, 3, 2, 1)  (padding acts as -inf)", [normal(g, 2, 3, 7, 7)],
          lambda x: F.max_pool2d(x, 3, 2, 1), args={"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": False})
    g = f.gen("max_pool2d_k2s2p0")
    f.run("max_pool2d_k2s2p0", g, "F.max_pool2d(in0, 2, 2, 0)", [normal(g, 2, 3, 6, 6)],
          lambda x: F.max_pool2d(x, 2, 2, 0), args={"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": False})
    g = f.gen("avg_pool2d_k2s2p0")
    f.run("avg_pool2d_k2s2p0", g, "F.avg_pool2d(in0, 2, 2, 0)", [normal(g, 2, 3, 6, 6)],
          lambda x: F.avg_pool2d(x, 2, 2, 0),
          args={"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": False, "count_include_pad": True})
    g = f.gen("avg_pool2d_k3s2p1")
    f.run("avg_pool2d_k3s2p1", g, "F.avg_pool2d(in0, 3, 2, 1)  (count_include_pad=True: always divide by 9)",
          [normal(g, 2, 3, 7, 7)], lambda x: F.avg_pool2d(x, 3, 2, 1),
          args={"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": False, "count_include_pad": True})
    g = f.gen("adaptive_avg_pool2d_1")
    f.run("adaptive_avg_pool2d_1", g, "F.adaptive_avg_pool2d(in0, 1)", [normal(g, 2, 3, 4, 4)],
          lambda x: F.adaptive_avg_pool2d(x, 1), args={"output_size": [1, 1]})
    g = f.gen("adaptive_avg_pool2d_5to3")
    f.run("adaptive_avg_pool2d_5to3", g,
          "F.adaptive_avg_pool2d(in0, 3)  (windows [floor(i*5/3), ceil((i+1)*5/3)) = [0,2),[1,4),[3,5))",
          [normal(g, 2, 3, 5, 5)], lambda x: F.adaptive_avg_pool2d(x, 3), args={"output_size": [3, 3]})
    return f.finish()


def norm():
    f = OpFamily("ops_norm.safetensors", "batch norm (train / eval), layer norm, L2 normalise")
    for name, xs, c in [("batch_norm_train_2d", (4, 3, 3, 3), 3), ("batch_norm_train_1d", (6, 4), 4)]:
        g = f.gen(name)
        x = normal(g, *xs) * 1.5 + 0.7
        weight, bias = 1 + 0.3 * normal(g, c), 0.3 * normal(g, c)
        rm, rv = 0.2 * normal(g, c), uniform(g, 0.5, 1.5, c)
        running_mean, running_var = rm.clone(), rv.clone()

        def fn(x, w, b, running_mean=running_mean, running_var=running_var):
            out = F.batch_norm(x, running_mean, running_var, w, b, training=True, momentum=0.1, eps=1e-5)
            return out, {"running_mean_after": running_mean.clone(), "running_var_after": running_var.clone()}
        f.run(name, g, "F.batch_norm(in0, running_mean, running_var, in1, in2, training=True, momentum=0.1, eps=1e-5)",
              [x, weight, bias], fn, args={"eps": 1e-5, "momentum": 0.1, "training": True},
              state={"running_mean": rm, "running_var": rv})
    g = f.gen("batch_norm_eval_2d")
    x = normal(g, 4, 3, 3, 3) * 1.5 + 0.7
    weight, bias = 1 + 0.3 * normal(g, 3), 0.3 * normal(g, 3)
    rm, rv = 0.5 * normal(g, 3), uniform(g, 0.5, 2.5, 3)
    f.run("batch_norm_eval_2d", g, "F.batch_norm(in0, running_mean, running_var, in1, in2, training=False, eps=1e-5)",
          [x, weight, bias], lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-5),
          args={"eps": 1e-5, "training": False}, state={"running_mean": rm, "running_var": rv})
    for name, xs, eps in [("layer_norm", (2, 3, 8), 1e-5), ("layer_norm_eps1e-6", (2, 5, 16), 1e-6)]:
        g = f.gen(name)
        d = xs[-1]
        f.run(name, g, f"F.layer_norm(in0, ({d},), in1, in2, eps={eps})",
              [normal(g, *xs) * 2 + 0.5, 1 + 0.3 * normal(g, d), 0.3 * normal(g, d)],
              lambda x, w, b, d=d, eps=eps: F.layer_norm(x, (d,), w, b, eps=eps),
              args={"normalized_shape": [d], "eps": eps})
    g = f.gen("l2_normalize")
    f.run("l2_normalize", g, "F.normalize(in0, p=2, dim=1, eps=1e-12) = in0 / max(||in0||_2, eps)", [normal(g, 4, 6)],
          lambda x: F.normalize(x, p=2, dim=1, eps=1e-12), args={"p": 2, "dim": 1, "eps": 1e-12})
    return f.finish()


def softmax_ce():
    f = OpFamily("ops_softmax_ce.safetensors", "softmax, log_softmax, cross entropy")
    g = f.gen("softmax")
    f.run("softmax", g, "F.softmax(in0, dim=-1)", [2 * normal(g, 2, 3, 5)], lambda x: F.softmax(x, dim=-1),
          args={"dim": -1})
    g = f.gen("log_softmax")
    f.run("log_softmax", g, "F.log_softmax(in0, dim=1)", [2 * normal(g, 4, 6)], lambda x: F.log_softmax(x, dim=1),
          args={"dim": 1})
    for name, ls in [("cross_entropy", 0.0), ("cross_entropy_ls0.1", 0.1)]:
        g = f.gen(name)
        target = randint(g, 7, 5)
        f.run(name, g, f"F.cross_entropy(in0, idx, label_smoothing={ls})  (mean over the batch)", [2 * normal(g, 5, 7)],
              lambda x, t=target, ls=ls: F.cross_entropy(x, t, label_smoothing=ls),
              args={"label_smoothing": ls, "reduction": "mean"}, idx=target)
    return f.finish()


def attention():
    f = OpFamily("ops_attention.safetensors", "scaled dot-product attention")
    g = f.gen("sdpa")
    B, H, L, D = 2, 3, 5, 4
    scale = D ** -0.5

    def fn(q, k, v):
        probs = torch.softmax(q @ k.transpose(-2, -1) * scale, dim=-1)
        return probs @ v, {"probs": probs.detach()}
    f.run("sdpa", g, "softmax(in0 @ in1.transpose(-2,-1) / sqrt(D), dim=-1) @ in2; q=in0 k=in1 v=in2 (B,H,L,D)",
          [normal(g, B, H, L, D), normal(g, B, H, L, D), normal(g, B, H, L, D)], fn, args={"scale": scale})
    return f.finish()


def all_op_families():
    return [elementwise(), reduce(), shape_ops(), matmul(), conv_pool(), norm(), softmax_ce(), attention()]
