"""The PyTorch peer of `jointscope bench layers`: times the same layers at the same shapes (read from
the JSON that command writes), forward alone and forward + backward, each repetition ending by
reading the output's sum (and the gradient's), and prints one table with burn's figures beside.
Usage: python layers.py burn-layers.json [--steps 5] [--threads N] [--json out.json]
       python layers.py --gradients gradients.json   (our backward's gradients against PyTorch's)"""
import argparse, json, time

import numpy as np
import torch
import torch.nn.functional as F


def runner(layer, train):
    shape = layer["input"]
    first = shape[1] == 3
    x = torch.randn(*shape, requires_grad=train and (layer["op"] == "group_norm" or not first))
    if layer["op"] == "conv":
        k, cout = layer["kernel"], layer["out_channels"]
        w = torch.randn(cout, shape[1], k, k, requires_grad=train)
        b = torch.zeros(cout, requires_grad=train)

        def run():
            y = F.conv2d(x, w, b, stride=layer["stride"], padding=layer["padding"]).sum()
            if not train:
                return y.item()
            w.grad = None
            x.grad = None
            y.backward()
            return y.item() + w.grad.sum().item()

        return run
    gamma = torch.ones(shape[1], requires_grad=train)
    beta = torch.zeros(shape[1], requires_grad=train)

    def run():
        y = F.group_norm(x, layer["groups"], gamma, beta, 1e-5).sum()
        if not train:
            return y.item()
        x.grad = None
        y.backward()
        return y.item() + x.grad.sum().item()

    return run


def timed(run, steps):
    times = []
    for k in range(2 + steps):
        start = time.perf_counter()
        value = run()
        assert np.isfinite(value)
        if k >= 2:
            times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def name_of(layer):
    if layer["op"] == "conv":
        s = "" if layer["stride"] == 1 else f" /{layer['stride']}"
        return f"conv {layer['kernel']}×{layer['kernel']}{s}, {layer['input'][1]}→{layer['out_channels']}"
    return f"group norm, {layer['groups']} groups"


def compare_gradients(path):
    """Each layer's gradients from burn (our backward) against PyTorch's on the same values, in
    float32 and float64: the largest difference relative to the largest float64 gradient."""
    print(f"gradients of the local encoder's layers, burn (ours, from {path}) vs PyTorch {torch.__version__}, 2 crops")
    print("| layer | input | gradient | ours vs torch f32 | ours vs torch f64 | torch f32 vs f64 |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for case in json.load(open(path)):
        layer = case["layer"]
        shape = layer["input"]
        out = {}
        for dtype in (torch.float32, torch.float64):
            x = torch.tensor(case["x"], dtype=dtype).reshape(shape).requires_grad_()
            params = [torch.tensor(p, dtype=dtype).requires_grad_() for p in case["params"]]
            if layer["op"] == "conv":
                k, cout = layer["kernel"], layer["out_channels"]
                w = params[0].reshape(cout, shape[1], k, k)
                y = F.conv2d(x, w, params[1], stride=layer["stride"], padding=layer["padding"])
            else:
                y = F.group_norm(x, layer["groups"], params[0], params[1], 1e-5)
            (y * torch.tensor(case["dy"], dtype=dtype).reshape(y.shape)).sum().backward()
            out[dtype] = [x.grad.flatten()] + [p.grad.flatten() for p in params]
        names = ["input", "weight", "bias"] if layer["op"] == "conv" else ["input", "gamma", "beta"]
        for i, name in enumerate(names):
            ours = torch.tensor(case["grads"][i], dtype=torch.float64)
            f32, f64 = out[torch.float32][i].double(), out[torch.float64][i]
            scale = f64.abs().max().item() or 1.0
            rel = lambda a, b: (a - b).abs().max().item() / scale
            worst = max(worst, rel(ours, f32))
            print(f"| {name_of(layer)} | {'×'.join(map(str, shape))} | {name} | {rel(ours, f32):.1e} | {rel(ours, f64):.1e} | {rel(f32, f64):.1e} |")
    print(f"largest difference from PyTorch's float32 gradients: {worst:.1e} of the largest gradient")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("burn", nargs="?", help="JSON of `jointscope bench layers --json` (not needed with --gradients)")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, help="PyTorch's intra-op threads (default: its own choice)")
    ap.add_argument("--gradients", help="JSON of `jointscope bench layers --gradients`: recompute each layer's gradients with PyTorch and print the differences")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.gradients:
        compare_gradients(a.gradients)
        return
    if not a.burn:
        ap.error("give the JSON of `jointscope bench layers --json` (or --gradients)")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rows = []
    for f in json.load(open(a.burn)):
        layer = f["layer"]
        with torch.no_grad():
            fwd = timed(runner(layer, False), a.steps)
        train = timed(runner(layer, True), a.steps)
        rows.append({"encoder": f["encoder"], "layer": layer, "burn_forward_ms": f["forward_ms"], "burn_train_ms": f["burn_train_ms"], "ours_train_ms": f["train_ms"], "torch_forward_ms": fwd, "torch_train_ms": train})
    print(f"layers alone, burn (from {a.burn}; fwd+bwd with burn's backward and with ours, same run) vs PyTorch {torch.__version__} CPU ({torch.get_num_threads()} threads), median of {a.steps}")
    print("| encoder | layer | input | burn fwd ms | torch fwd ms | fwd × | burn's bwd: fwd+bwd ms | ours: fwd+bwd ms | torch fwd+bwd ms | burn's × | ours × |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tot = np.zeros(5)
    for r in rows:
        bf, tf, bt, ot, tt = r["burn_forward_ms"], r["torch_forward_ms"], r["burn_train_ms"], r["ours_train_ms"], r["torch_train_ms"]
        tot += [bf, tf, bt, ot, tt]
        shape = "×".join(map(str, r["layer"]["input"]))
        print(f"| {r['encoder']} | {name_of(r['layer'])} | {shape} | {bf:.2f} | {tf:.2f} | {bf / tf:.1f} | {bt:.2f} | {ot:.2f} | {tt:.2f} | {bt / tt:.1f} | {ot / tt:.1f} |")
    print(f"| all | | | {tot[0]:.2f} | {tot[1]:.2f} | {tot[0] / tot[1]:.1f} | {tot[2]:.2f} | {tot[3]:.2f} | {tot[4]:.2f} | {tot[2] / tot[4]:.1f} | {tot[3] / tot[4]:.1f} |")
    for op in ("conv", "group_norm"):
        sel = [r for r in rows if r["layer"]["op"] == op]
        b, o, t = (sum(r[k] for r in sel) for k in ("burn_train_ms", "ours_train_ms", "torch_train_ms"))
        print(f"{op}: {len(sel)} layers, fwd+bwd burn's backward {b:.2f} ms, ours {o:.2f} ms, PyTorch {t:.2f} ms ({b / t:.1f}× and {o / t:.1f}×)")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
