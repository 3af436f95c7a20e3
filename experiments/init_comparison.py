"""Issue 18's init comparison from a (partial) ablation folder: per row the protocol's selection
(per seed, the learning rate with the best validation PR-AUC, once both have run), test PR-AUC per
seed, and paired differences with a 95 % interval from 1000 resamples of the test patients within
each seed (the same draw for both rows), the difference averaged over the seeds. The full report
of `jointscope ablate` also resamples the seeds; this reads what has finished.

Usage: python3 experiments/init_comparison.py [runs/ablation]
"""
import collections
import csv
import glob
import json
import random
import sys

ROWS = ["baseline", "+SSL", "MediaPipe init"]
PAIRS = [("MediaPipe init", "baseline"), ("MediaPipe init", "+SSL"), ("+SSL", "baseline")]


def average_precision(pairs):
    pairs = sorted(pairs, key=lambda x: -x[0])
    positives = sum(label for _, label in pairs)
    tp, total = 0, 0.0
    for k, (_, label) in enumerate(pairs, 1):
        if label:
            tp += 1
            total += tp / k
    return total / positives if positives else float("nan")


def main(out):
    runs = collections.defaultdict(dict)
    for f in glob.glob(f"{out}/runs/*/ablation-run.json"):
        r = json.load(open(f))
        if r["row"] in ROWS:
            runs[(r["row"], r["seed"])][r["lr"]] = r
    chosen = {}
    for key, by_lr in runs.items():
        if len(by_lr) == 2:
            best = max(by_lr.values(), key=lambda r: r["valid"] if r["valid"] is not None else -1)
            patients = collections.defaultdict(list)
            for p in csv.DictReader(open(f"{best['dir']}/eval-cohort/predictions.csv")):
                patients[p["patient_id"]].append((float(p["probability"]), int(p["label"])))
            chosen[key] = patients
    flat = lambda patients, ids: [p for q in ids for p in patients[q]]
    for row in ROWS:
        seeds = sorted(s for (r, s) in chosen if r == row)
        v = [average_precision(flat(chosen[(row, s)], chosen[(row, s)])) for s in seeds]
        if v:
            m = sum(v) / len(v)
            sd = (sum((x - m) ** 2 for x in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else 0.0
            print(f"{row}: test PR-AUC per seed {[round(x, 3) for x in v]} (seeds {seeds}), mean {m:.3f} ± {sd:.3f}")
    rng = random.Random(17)
    for a, b in PAIRS:
        seeds = sorted(s for (r, s) in chosen if r == a and (b, s) in chosen)
        if not seeds:
            continue
        diff = lambda s, ids: average_precision(flat(chosen[(a, s)], ids)) - average_precision(flat(chosen[(b, s)], ids))
        point = sum(diff(s, list(chosen[(a, s)])) for s in seeds) / len(seeds)
        draws = []
        for _ in range(1000):
            total = 0.0
            for s in seeds:
                ids = list(chosen[(a, s)])
                total += diff(s, [rng.choice(ids) for _ in ids])
            draws.append(total / len(seeds))
        draws.sort()
        print(f"{a} − {b}: {point:+.3f} [{draws[24]:+.3f}, {draws[974]:+.3f}] over seeds {seeds}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/ablation")
