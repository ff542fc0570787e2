#!/usr/bin/python3
"""make_conv_cases.py - writes the conv and multi-strength reference cases.

A reference script, not used by the build or the tests: it wrote
tests/cases/{conv_stride_pad,conv_avgpool_spikes,ms_fc,ms_cap} in the layout
of SPEC.md section 8 (model.onnx, model.textproto as
`protoc --decode=onnx.ModelProto` prints it, test_data_set_0/*.pb) and
prints one summary line per case in the style of CASES.md.

Needs Debian's python3-torch, python3-onnx, protobuf-compiler, and
snnTorch's source on PYTHONPATH (pure python; v0.9.4 was used):

    PYTHONPATH=/path/to/snntorch_src /usr/bin/python3 make_conv_cases.py OUTDIR [CASE...]

Expected values come from PyTorch (float32, CPU, 1 thread): nn.functional
conv2d / max_pool2d / avg_pool2d (asymmetric ONNX pads are applied with
F.pad first: zeros for Conv, -inf for MaxPool; AveragePool counts the
window elements that lie inside the input itself when count_include_pad
is 0), snn.Leaky, snnTorch's losses. snnTorch has no multi-strength
neuron; MultiStrengthLeaky is written here from SPEC section 4 as a custom
autograd Function (straight-through ramp ds/da = 1/thr on
0 < a < thr*(cap+1)).

Graph outputs: extra records (if any), output-layer spk [T,N,C],
output-layer mem [T,N,C], loss []. Gradients: one per initializer, in
initializer order, named like it.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

import snntorch as snn
import snntorch.functional as SF

torch.set_num_threads(1)


# ------------------------------------------------------------------ neurons
class MultiStrengthSpike(torch.autograd.Function):
    """s = floor(max(a, 0) / thr), capped at cap when cap > 0 (SPEC section 4)."""

    @staticmethod
    def forward(ctx, a, thr, cap):
        s = torch.floor(torch.clamp(a, min=0.0) / thr)
        if cap > 0:
            s = torch.clamp(s, max=float(cap))
        ctx.save_for_backward(a)
        ctx.thr, ctx.cap = thr, cap
        return s

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        mask = a > 0
        if ctx.cap > 0:
            mask = mask & (a < ctx.thr * (ctx.cap + 1))
        return g * mask.to(g.dtype) / ctx.thr, None, None


def ms_step(inp, mem, beta, thr, cap):
    a = beta * mem + inp
    s = MultiStrengthSpike.apply(a, thr, cap)
    u = a - thr * s.detach()
    return s, u


# ------------------------------------------------------------------ layers
# Each layer: kind and parameters. Builds its ONNX node(s) and runs in torch.
class Net:
    def __init__(self, name, doc, T, N, x_shape, temporal_input, n_classes, loss, seed):
        self.name, self.doc, self.T, self.N = name, doc, T, N
        self.x_shape, self.temporal = x_shape, temporal_input
        self.n_classes, self.loss, self.seed = n_classes, loss, seed
        self.layers = []
        self.inits = []  # (name, torch tensor requiring grad)
        self.extra = []  # names of hidden records to output

    def param(self, name, t):
        p = t.detach().clone().float().requires_grad_(True)
        self.inits.append((name, p))
        return p

    def add(self, kind, name, **kw):
        self.layers.append(dict(kind=kind, name=name, **kw))
        return self


def onnx_pads(p):  # [top, left, bottom, right]
    return list(p)


def conv_torch(x, w, b, strides, pads):
    t, l, bo, r = pads
    x = F.pad(x, (l, r, t, bo))
    return F.conv2d(x, w, b, stride=tuple(strides))


def maxpool_torch(x, k, s, pads):
    t, l, bo, r = pads
    x = F.pad(x, (l, r, t, bo), value=float("-inf"))
    return F.max_pool2d(x, tuple(k), tuple(s))


def avgpool_torch(x, k, s, pads, include_pad):
    t, l, bo, r = pads
    xp = F.pad(x, (l, r, t, bo))
    sums = F.avg_pool2d(xp, tuple(k), tuple(s), divisor_override=1)
    if include_pad:
        return sums / float(k[0] * k[1])
    ones = F.pad(torch.ones_like(x[:1, :1]), (l, r, t, bo))
    count = F.avg_pool2d(ones, tuple(k), tuple(s), divisor_override=1)
    return sums / count


def build_and_run(net, outdir):
    torch.manual_seed(net.seed)
    g = torch.Generator().manual_seed(net.seed)
    T, N = net.T, net.N
    nodes, value_info = [], []
    cur = "x"
    # parameters and the torch program
    shape = list(net.x_shape)
    prog = []
    hidden_out = {}
    for L in net.layers:
        k, nm = L["kind"], L["name"]
        if k == "conv":
            cin, cout, ks = shape[0], L["out"], L["k"]
            fan_in = cin * ks[0] * ks[1]
            bound = 1.0 / np.sqrt(fan_in)
            w = net.param(nm + ".weight",
                          (torch.rand(cout, cin, ks[0], ks[1], generator=g) * 2 - 1) * bound * L.get("gain", 1.0))
            ins = [cur, nm + ".weight"]
            b = None
            if L.get("bias", True):
                b = net.param(nm + ".bias", (torch.rand(cout, generator=g) * 2 - 1) * bound * L.get("gain", 1.0)
                              + L.get("bias_shift", 0.0))
                ins.append(nm + ".bias")
            attrs = dict(kernel_shape=list(ks), strides=list(L.get("s", [1, 1])), pads=onnx_pads(L.get("p", [0, 0, 0, 0])))
            nodes.append(helper.make_node("Conv", ins, [nm + "_out"], name=nm, **attrs))
            s_, p_ = L.get("s", [1, 1]), L.get("p", [0, 0, 0, 0])
            prog.append(lambda x, st, w=w, b=b, s_=s_, p_=p_: conv_torch(x, w, b, s_, p_))
            H = (shape[1] + p_[0] + p_[2] - ks[0]) // s_[0] + 1
            W = (shape[2] + p_[1] + p_[3] - ks[1]) // s_[1] + 1
            shape = [cout, H, W]
            cur = nm + "_out"
        elif k in ("maxpool", "avgpool"):
            ks, s_, p_ = L["k"], L.get("s", L["k"]), L.get("p", [0, 0, 0, 0])
            attrs = dict(kernel_shape=list(ks), strides=list(s_))
            if any(p_):
                attrs["pads"] = list(p_)
            if k == "avgpool":
                inc = L.get("include_pad", 0)
                attrs["count_include_pad"] = inc
                nodes.append(helper.make_node("AveragePool", [cur], [nm + "_out"], name=nm, **attrs))
                prog.append(lambda x, st, ks=ks, s_=s_, p_=p_, inc=inc: avgpool_torch(x, ks, s_, p_, inc))
            else:
                nodes.append(helper.make_node("MaxPool", [cur], [nm + "_out"], name=nm, **attrs))
                prog.append(lambda x, st, ks=ks, s_=s_, p_=p_: maxpool_torch(x, ks, s_, p_))
            H = (shape[1] + p_[0] + p_[2] - ks[0]) // s_[0] + 1
            W = (shape[2] + p_[1] + p_[3] - ks[1]) // s_[1] + 1
            shape = [shape[0], H, W]
            cur = nm + "_out"
        elif k == "flatten":
            nodes.append(helper.make_node("Flatten", [cur], [nm + "_out"], name=nm, axis=1))
            prog.append(lambda x, st: x.flatten(1))
            shape = [int(np.prod(shape))]
            cur = nm + "_out"
        elif k == "gemm":
            fin, fout = shape[0], L["out"]
            bound = 1.0 / np.sqrt(fin)
            w = net.param(nm + ".weight", (torch.rand(fout, fin, generator=g) * 2 - 1) * bound * L.get("gain", 1.0))
            b = net.param(nm + ".bias", (torch.rand(fout, generator=g) * 2 - 1) * bound * L.get("gain", 1.0)
                          + L.get("bias_shift", 0.0))
            nodes.append(helper.make_node("Gemm", [cur, nm + ".weight", nm + ".bias"], [nm + "_out"], name=nm,
                                          transB=1))
            prog.append(lambda x, st, w=w, b=b: F.linear(x, w, b))
            shape = [fout]
            cur = nm + "_out"
        elif k == "leaky":
            beta = L["beta"]
            nodes.append(helper.make_node("Leaky", [cur], [nm + "_spk", nm + "_mem"], name=nm, domain="snn",
                                          beta=float(beta)))
            lif = snn.Leaky(beta=beta)

            def run(x, st, lif=lif, nm=nm):
                if nm not in st:
                    st[nm] = lif.init_leaky()
                spk, st[nm] = lif(x, st[nm])
                hidden_out.setdefault(nm, []).append((spk, st[nm]))
                return spk
            prog.append(run)
            cur = nm + "_spk"
        elif k == "msleaky":
            beta, thr, cap = L.get("beta", 1.0), L.get("thr", 1.0), L.get("cap", 0)
            attrs = {}
            if "beta" in L:
                attrs["beta"] = float(beta)
            if "thr" in L:
                attrs["threshold"] = float(thr)
            if "cap" in L:
                attrs["max_strength"] = int(cap)
            nodes.append(helper.make_node("MultiStrengthLeaky", [cur], [nm + "_spk", nm + "_mem"], name=nm,
                                          domain="snn", **attrs))

            def run(x, st, nm=nm, beta=beta, thr=thr, cap=cap):
                mem = st.get(nm, torch.zeros_like(x))
                spk, st[nm] = ms_step(x, mem, beta, thr, cap)
                hidden_out.setdefault(nm, []).append((spk, st[nm]))
                return spk
            prog.append(run)
            cur = nm + "_spk"
        else:
            raise ValueError(k)
    last = net.layers[-1]["name"]
    loss_op = {"rate": "CeRateLoss", "count": "CeCountLoss"}[net.loss]
    nodes.append(helper.make_node(loss_op, [last + "_spk", "y"], ["loss"], name="loss", domain="snn"))

    # data
    if net.temporal:
        x = (torch.rand([T, N] + list(net.x_shape), generator=g) < net.temporal).float()
    else:
        x = torch.rand([N] + list(net.x_shape), generator=g)
        x[x < 0.3] = 0.0  # some background, like images
    y = torch.randint(0, net.n_classes, (N,), generator=g)

    # run
    st = {}
    for t in range(T):
        h = x[t] if net.temporal else x
        for f in prog:
            h = f(h, st)
    recs = {}
    for nm, lst in hidden_out.items():
        recs[nm + "_spk"] = torch.stack([s for s, _ in lst])
        recs[nm + "_mem"] = torch.stack([m for _, m in lst])
    spk_out, mem_out = recs[last + "_spk"], recs[last + "_mem"]
    loss_fn = SF.ce_rate_loss() if net.loss == "rate" else SF.ce_count_loss()
    loss = loss_fn(spk_out, y)
    loss.backward()
    rates = {nm: float(recs[nm + "_spk"].gt(0).float().mean()) for nm in hidden_out}
    maxs = {nm: float(recs[nm + "_spk"].max()) for nm in hidden_out}

    # the model
    def vi(name, elem, dims):
        d = []
        for v in dims:
            d.append(v)
        return helper.make_tensor_value_info(name, elem, d)

    xdims = (["T"] if net.temporal else []) + ["N"] + list(net.x_shape)
    inputs = [vi("x", TensorProto.FLOAT, xdims), vi("y", TensorProto.INT64, ["N"])]
    outputs = []
    out_vals = []
    for r in net.extra:
        outputs.append(vi(r, TensorProto.FLOAT, ["T", "N"] + list(recs[r].shape[2:])))
        out_vals.append((r, recs[r]))
    outputs.append(vi(last + "_spk", TensorProto.FLOAT, ["T", "N", net.n_classes]))
    outputs.append(vi(last + "_mem", TensorProto.FLOAT, ["T", "N", net.n_classes]))
    outputs.append(vi("loss", TensorProto.FLOAT, []))
    out_vals += [(last + "_spk", spk_out), (last + "_mem", mem_out), ("loss", loss.reshape(()))]
    inits = [numpy_helper.from_array(p.detach().numpy().astype(np.float32), nm) for nm, p in net.inits]
    graph = helper.make_graph(nodes, net.name, inputs, outputs, initializer=inits, doc_string=net.doc)
    model = helper.make_model(graph, producer_name="snnc/tests/cases/tools/make_conv_cases.py",
                              producer_version="1", doc_string=net.doc,
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("snn", 1)])
    model.ir_version = 8
    helper.set_model_props(model, {"snn.num_steps": str(T), "snn.batch_size": str(N),
                                   "snn.seed": str(net.seed)})
    onnx.checker.check_model(model)

    d = os.path.join(outdir, net.name)
    td = os.path.join(d, "test_data_set_0")
    os.makedirs(td, exist_ok=True)
    for f in os.listdir(td):
        os.unlink(os.path.join(td, f))
    data = model.SerializeToString()
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(data)
    txt = subprocess.run(["protoc", "--decode=onnx.ModelProto", "-I/usr/include/onnx", "onnx.proto"],
                         input=data, capture_output=True, check=True).stdout
    with open(os.path.join(d, "model.textproto"), "wb") as f:
        f.write(txt)

    def save(kind, i, name, arr):
        t = numpy_helper.from_array(np.ascontiguousarray(arr), name)
        with open(os.path.join(td, "%s_%d.pb" % (kind, i)), "wb") as f:
            f.write(t.SerializeToString())

    save("input", 0, "x", x.numpy().astype(np.float32))
    save("input", 1, "y", y.numpy().astype(np.int64))
    for i, (nm, v) in enumerate(out_vals):
        save("output", i, nm, v.detach().numpy().astype(np.float32))
    for i, (nm, p) in enumerate(net.inits):
        gr = p.grad if p.grad is not None else torch.zeros_like(p)
        save("grad", i, nm, gr.numpy().astype(np.float32))
    summary = ", ".join("%s %.2f%s" % (k, v, " (max strength %g)" % maxs[k] if maxs[k] > 1 else "")
                        for k, v in rates.items())
    return "- `%s`: %s; firing %s; loss=%.6g" % (net.name, net.doc, summary, float(loss))


# ------------------------------------------------------------------ cases
def cases():
    out = []
    n = Net("conv_stride_pad",
            "N=3 T=6 x static [N,2,11,9]; Conv(6,k3x2,strides 2x1,pads top 1 right 2,no bias) - "
            "MaxPool(k2x3,strides 1x2,pads left 1 bottom 1) - Leaky(beta=0.9) - MaxPool(k2,s1) on spikes (ties) - Flatten - Gemm(5) - "
            "Leaky(beta=0.8); loss CeCountLoss",
            T=6, N=3, x_shape=[2, 11, 9], temporal_input=0, n_classes=5, loss="count", seed=201)
    n.add("conv", "conv1", out=6, k=[3, 2], s=[2, 1], p=[1, 0, 0, 2], bias=False, gain=2.0)
    n.add("maxpool", "pool1", k=[2, 3], s=[1, 2], p=[0, 1, 1, 0])
    n.add("leaky", "lif1", beta=0.9)
    n.add("maxpool", "pool2", k=[2, 2], s=[1, 1])
    n.add("flatten", "flat")
    n.add("gemm", "fc1", out=5, gain=4.0, bias_shift=0.2)
    n.add("leaky", "lif2", beta=0.8)
    out.append(n)

    n = Net("conv_avgpool_spikes",
            "N=3 T=8 x static [N,1,12,12]; Conv(4,k3,p1) - AveragePool(k3,s2,pads top/left 1,"
            "count_include_pad 0) - Leaky(beta=0.9) - Conv(6,k3,s1,pads bottom/right 1) on spikes - "
            "AveragePool(k2,s1,pads bottom/right 1,count_include_pad 1) - Leaky(beta=0.9) - Flatten - "
            "Gemm(5) - Leaky(beta=0.9); loss CeRateLoss; lif2_spk [T,N,6,6,6] is graph output 0",
            T=8, N=3, x_shape=[1, 12, 12], temporal_input=0, n_classes=5, loss="rate", seed=202)
    n.add("conv", "conv1", out=4, k=[3, 3], p=[1, 1, 1, 1], gain=3.0)
    n.add("avgpool", "pool1", k=[3, 3], s=[2, 2], p=[1, 1, 0, 0], include_pad=0)
    n.add("leaky", "lif1", beta=0.9)
    n.add("conv", "conv2", out=6, k=[3, 3], p=[0, 0, 1, 1], gain=3.0, bias_shift=0.2)
    n.add("avgpool", "pool2", k=[2, 2], s=[1, 1], p=[0, 0, 1, 1], include_pad=1)
    n.add("leaky", "lif2", beta=0.9)
    n.add("flatten", "flat")
    n.add("gemm", "fc1", out=5, gain=3.0, bias_shift=0.3)
    n.add("leaky", "lif3", beta=0.9)
    n.extra = ["lif2_spk"]
    out.append(n)

    n = Net("ms_fc",
            "N=4 T=8 x static [N,20]; Gemm(24) - MultiStrengthLeaky(thr 1, beta 1, max_strength 0; "
            "attributes not written) - Gemm(5) - MultiStrengthLeaky(same); loss CeCountLoss",
            T=8, N=4, x_shape=[20], temporal_input=0, n_classes=5, loss="count", seed=203)
    n.add("gemm", "fc1", out=24, gain=2.0)
    n.add("msleaky", "ms1")
    n.add("gemm", "fc2", out=5, gain=1.0)
    n.add("msleaky", "ms2")
    out.append(n)

    n = Net("ms_cap",
            "N=3 T=6 x temporal [T,N,2,8,8] Bernoulli(0.3) spikes; Conv(4,k3,p1) - "
            "MultiStrengthLeaky(beta 0.9, thr 0.5, max_strength 3) - Conv(4,k3,s2) on strengths - "
            "MultiStrengthLeaky(beta 0.9, thr 0.5, max_strength 3) - MaxPool(k2,s1) on strengths (ties) - Flatten - Gemm(5) - "
            "MultiStrengthLeaky(beta 0.9, thr 1, max_strength 3); loss CeRateLoss; ms1_spk is graph output 0",
            T=6, N=3, x_shape=[2, 8, 8], temporal_input=0.3, n_classes=5, loss="rate", seed=204)
    n.add("conv", "conv1", out=4, k=[3, 3], p=[1, 1, 1, 1], gain=2.0)
    n.add("msleaky", "ms1", beta=0.9, thr=0.5, cap=3)
    n.add("conv", "conv2", out=4, k=[3, 3], s=[2, 2], gain=1.5)
    n.add("msleaky", "ms2", beta=0.9, thr=0.5, cap=3)
    n.add("maxpool", "pool2", k=[2, 2], s=[1, 1])
    n.add("flatten", "flat")
    n.add("gemm", "fc1", out=5, gain=2.0, bias_shift=0.4)
    n.add("msleaky", "ms3", beta=0.9, thr=1.0, cap=3)
    n.extra = ["ms1_spk"]
    out.append(n)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_conv_cases.py OUTDIR [CASE...]")
    outdir, only = sys.argv[1], sys.argv[2:]
    for n in cases():
        if only and n.name not in only:
            continue
        print(build_and_run(n, outdir))


if __name__ == "__main__":
    main()
