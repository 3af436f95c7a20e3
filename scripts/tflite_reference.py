"""Runs a MediaPipe .tflite model with an independent runtime, as the reference the burn import is
tested against (crates/landmarks/tests/reference.rs):

  litert       Google's own TFLite interpreter (ai-edge-litert); works for all four models.
  onnxruntime  the model converted by tflite2onnx, run by onnxruntime; tflite2onnx 0.4.1 converts the
               landmark models (not the palm detectors). The .onnx file is cached next to the model.

Usage: python tflite_reference.py RUNTIME MODEL INPUTS.f32 BATCH OUT_DIR
INPUTS.f32 holds BATCH inputs as raw little-endian float32 in NHWC order. Output i of input b is
written as OUT_DIR/b.i.f32 (raw float32); OUT_DIR/outputs.txt lists "i name shape" per line.

  python tflite_reference.py ops MODEL
prints, as JSON, the model's operators in order as read by the `tflite` package (Google's
flatbuffer schema, independent of the Rust parser): builtin name, and for convolutions the
stride, padding and fused activation; and the input tensor's shape.
"""
import json
import os
import sys

import numpy as np


def litert(model):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=model)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()

    def run(x):
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        return [interp.get_tensor(d["index"]) for d in outs]

    return list(inp["shape"]), [d["name"] for d in outs], run


def onnx(model):
    import onnxruntime
    import tflite2onnx

    converted = os.path.join(os.path.dirname(os.path.abspath(model)), "reference", os.path.basename(model) + ".onnx")
    if not os.path.exists(converted) or os.path.getmtime(converted) < os.path.getmtime(model):
        os.makedirs(os.path.dirname(converted), exist_ok=True)
        tmp = converted + ".tmp"
        tflite2onnx.convert(model, tmp)
        os.replace(tmp, converted)
    sess = onnxruntime.InferenceSession(converted, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    names = [o.name for o in sess.get_outputs()]
    # tflite2onnx turns the graph to NCHW, its input included.
    return list(inp.shape), names, lambda x: sess.run(None, {inp.name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})


def ops(model):
    import tflite

    with open(model, "rb") as f:
        buf = f.read()
    m = tflite.Model.GetRootAsModel(buf, 0)
    g = m.Subgraphs(0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    paddings = {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")}
    acts = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
    out = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        code = m.OperatorCodes(op.OpcodeIndex())
        name = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        entry = {"op": name}
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            opts = (tflite.Conv2DOptions if name == "CONV_2D" else tflite.DepthwiseConv2DOptions)()
            table = op.BuiltinOptions()
            opts.Init(table.Bytes, table.Pos)
            entry.update(stride=[opts.StrideH(), opts.StrideW()], padding=paddings[opts.Padding()], act=acts[opts.FusedActivationFunction()])
        out.append(entry)
    t = g.Tensors(g.Inputs(0))
    print(json.dumps({"ops": out, "input": [int(t.Shape(j)) for j in range(t.ShapeLength())]}))


def main() -> None:
    if sys.argv[1] == "ops":
        ops(sys.argv[2])
        return
    runtime, model, inputs, batch, out = sys.argv[1:6]
    shape, names, run = {"litert": litert, "onnxruntime": onnx}[runtime](model)
    side = int(shape[2])  # square inputs: [1, side, side, 3] (TFLite) or [1, 3, side, side] (ONNX)
    xs = np.fromfile(inputs, dtype="<f4").reshape([int(batch), side, side, 3])
    for b in range(int(batch)):
        for i, y in enumerate(run(np.ascontiguousarray(xs[b : b + 1]))):
            np.asarray(y, dtype="<f4").tofile(f"{out}/{b}.{i}.f32")
    with open(f"{out}/outputs.txt", "w") as f:
        f.write("\n".join(f"{i} {n}" for i, n in enumerate(names)) + "\n")


if __name__ == "__main__":
    main()
