"""The PyTorch peer of `jointscope bench layers`: times the same layers at the same shapes (read from
the JSON that command writes), forward alone and forward + backward, each repetition ending by
reading the output's sum (and the gradient's), and prints one table with burn's figures beside.
Usage: python layers.py burn-layers.json [--steps 5] [--json out.json]"""
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


def name(layer):
    if layer["op"] == "conv":
        s = "" if layer["stride"] == 1 else f" /{layer['stride']}"
        return f"conv {layer['kernel']}×{layer['kernel']}{s}, {layer['input'][1]}→{layer['out_channels']}"
    return f"group norm, {layer['groups']} groups"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("burn")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, help="PyTorch's intra-op threads (default: its own choice)")
    ap.add_argument("--json")
    a = ap.parse_args()
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
        print(f"| {r['encoder']} | {name(r['layer'])} | {shape} | {bf:.2f} | {tf:.2f} | {bf / tf:.1f} | {bt:.2f} | {ot:.2f} | {tt:.2f} | {bt / tt:.1f} | {ot / tt:.1f} |")
    print(f"| all | | | {tot[0]:.2f} | {tot[1]:.2f} | {tot[0] / tot[1]:.1f} | {tot[2]:.2f} | {tot[3]:.2f} | {tot[4]:.2f} | {tot[2] / tot[4]:.1f} | {tot[3] / tot[4]:.1f} |")
    for op in ("conv", "group_norm"):
        sel = [r for r in rows if r["layer"]["op"] == op]
        b, o, t = (sum(r[k] for r in sel) for k in ("burn_train_ms", "ours_train_ms", "torch_train_ms"))
        print(f"{op}: {len(sel)} layers, fwd+bwd burn's backward {b:.2f} ms, ours {o:.2f} ms, PyTorch {t:.2f} ms ({b / t:.1f}× and {o / t:.1f}×)")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
