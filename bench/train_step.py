"""The classifier's training step in PyTorch (CPU), the peer of `jointscope bench train`:
the same architecture as crates/model (global-local JointNet, default sizes), the same batch
shapes, cross-entropy on logits and AdamW; median ms per step after 2 warm-up steps.
--device cuda times the same step on a GPU (each step ends when the loss is read back, as on the CPU).
Usage: python train_step.py [--images 8] [--steps 10] [--device cpu|cuda] [--json out.json]"""
import argparse, json, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def groups(c):
    return max(1, min(8, c // 4))


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.norm1 = nn.GroupNorm(groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.norm2 = nn.GroupNorm(groups(cout), cout)

    def forward(self, x):
        return F.relu(self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x))))))


class Encoder(nn.Module):
    """`size`×`size` RGB → 4·width × 8 × 8, as jointscope_model::Encoder."""

    def __init__(self, size, width):
        super().__init__()
        downs = (size // 8).bit_length() - 1
        blocks, cin = [], 3
        for i in range(max(downs, 1)):
            cout = width << min(i, 2)
            blocks.append(ConvBlock(cin, cout, 2 if i < downs else 1))
            cin = cout
        blocks.append(ConvBlock(cin, 4 * width, 1))
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class JointNet(nn.Module):
    def __init__(self, global_size=128, local_size=64, width=16, context_dim=64, joints=11):
        super().__init__()
        c, d = 4 * width, context_dim
        self.c = c
        self.local_enc = Encoder(local_size, width)
        self.global_enc = Encoder(global_size, width)
        self.joint_embed = nn.Embedding(joints, d)
        self.context = nn.Linear(c + d, d)
        self.film = nn.Linear(d, 2 * c)
        self.context_bias = nn.Linear(d, 1)
        nn.init.zeros_(self.film.weight), nn.init.zeros_(self.film.bias)
        nn.init.zeros_(self.context_bias.weight), nn.init.zeros_(self.context_bias.bias)
        self.evidence = nn.Conv2d(c, 1, 1)

    def forward(self, glob, local, joint, image):
        gmap = self.global_enc(glob)
        f = self.local_enc(local)
        g = gmap.mean(dim=(2, 3))[image]
        ctx = F.relu(self.context(torch.cat([g, self.joint_embed(joint)], 1)))
        ab = self.film(ctx)
        gamma, beta = ab[:, : self.c, None, None], ab[:, self.c :, None, None]
        f = f * (gamma + 1) + beta
        cam = self.evidence(f).flatten(1)
        return cam.mean(1) + self.context_bias(ctx)[:, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, help="PyTorch's intra-op threads on the CPU (default: its own choice)")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    rng = np.random.default_rng(17)
    n = a.images * 11
    glob = rng.uniform(-2, 2, (a.images, 3, 128, 128)).astype(np.float32)
    local = rng.uniform(-2, 2, (n, 3, 64, 64)).astype(np.float32)
    joint = torch.tensor([k % 11 for k in range(n)], device=dev)
    image = torch.tensor([k // 11 for k in range(n)], device=dev)
    targets = torch.tensor([float(k % 10 == 0) for k in range(n)], device=dev)
    model = JointNet().to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times = []
    for k in range(2 + a.steps):
        start = time.perf_counter()
        logits = model(torch.from_numpy(glob).to(dev), torch.from_numpy(local).to(dev), joint, image)
        loss = F.binary_cross_entropy_with_logits(logits, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert np.isfinite(loss.item())
        if k >= 2:
            times.append((time.perf_counter() - start) * 1e3)
    ms = float(np.median(times))
    fig = {
        "what": "training step",
        "backend": f"PyTorch {torch.__version__} "
        + (f"CUDA ({torch.cuda.get_device_name(dev)})" if a.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"),
        "config": f"global-local 128/64 width 16, {a.images} photos × 11 joints",
        "images": a.images,
        "repetitions": a.steps,
        "median_ms": ms,
        "items_per_s": a.images * 1e3 / ms,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    print(f"{fig['what']}: {fig['config']} on {fig['backend']}: {ms:.2f} ms median over {a.steps} runs, {fig['items_per_s']:.2f} per second ({fig['parameters']} parameters)")
    if a.json:
        json.dump(fig, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
