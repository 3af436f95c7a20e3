"""The hand-landmark model (hand_landmark_full.tflite) in its peers, the counterpart of
`jointscope bench landmarks`: onnxruntime on the tflite2onnx conversion and Google's LiteRT
interpreter, on the same inputs (raw f32 NHWC, written by the Rust side); median ms per input.
Usage: python landmarks_peers.py MODEL INPUTS.f32 COUNT REPEATS OUT.json"""
import json, os, sys, time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import tflite_reference  # noqa: E402


def main():
    model, inputs, count, repeats, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    xs = np.fromfile(inputs, dtype="<f4").reshape([count, 224, 224, 3])
    figures = []
    for name, make in [("onnxruntime", tflite_reference.onnx), ("LiteRT (TFLite)", tflite_reference.litert)]:
        _, _, run = make(model)
        times = []
        for i in range(count):
            x = np.ascontiguousarray(xs[i : i + 1])
            for r in range(repeats + 1):
                start = time.perf_counter()
                run(x)
                if r > 0:
                    times.append((time.perf_counter() - start) * 1e3)
        ms = float(np.median(times))
        version = __import__("onnxruntime").__version__ if name == "onnxruntime" else __import__("ai_edge_litert").__version__
        figures.append({
            "what": "hand landmarks (hand_landmark_full, 224×224, batch 1)",
            "backend": f"{name} {version} CPU",
            "config": f"{count} inputs × {repeats} runs",
            "repetitions": count * repeats,
            "median_ms": ms,
            "items_per_s": 1e3 / ms,
        })
        print(f"{name}: {ms:.2f} ms median")
    json.dump(figures, open(out, "w"), indent=2)


if __name__ == "__main__":
    main()
