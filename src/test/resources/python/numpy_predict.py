"""Predicts with a Streamlearn weights file using numpy alone (no Streamlearn code).

usage: numpy_predict.py WEIGHTS.safetensors ROWS.json
ROWS.json holds {"x": [[...], ...]} (raw features, as sent to /predict). Prints JSON:
{"scaled": [[...]], "outputs": [[...]]} - the standardized inputs and the model outputs.
Supports dense, relu, tanh, sigmoid, leakyrelu(a) layers; exits 2 naming any other layer.
"""
import json
import re
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(t["shape"])
    return tensors, meta


def predict(tensors, meta, x):
    x = np.asarray(x, dtype=np.float32)
    how = json.loads(meta.get("normalization", "{}"))
    if "input" in how:  # "(x - input.mean) / input.std", in float32
        x = (x - tensors["input.mean"]) / tensors["input.std"]
    scaled = x
    layers = re.findall(r"[a-z]+(?:\([^)]*\))?", meta["spec"])[1:]  # after input(...)
    for i, layer in enumerate(layers):
        if layer.startswith("dense"):
            x = x @ tensors[f"layers.{i}.weight"].T + tensors[f"layers.{i}.bias"]
        elif layer == "relu":
            x = np.maximum(x, np.float32(0))
        elif layer == "tanh":
            x = np.tanh(x)
        elif layer == "sigmoid":
            x = np.float32(1) / (np.float32(1) + np.exp(-x))
        elif layer.startswith("leakyrelu"):
            a = np.float32(float(layer[layer.index("(") + 1:-1]))
            x = np.where(x > 0, x, a * x)
        else:
            sys.exit(f"layer {layer} is not supported by this reader")
    if "label" in how:  # "out * label.std + label.mean"
        x = x * tensors["label.std"] + tensors["label.mean"]
    return scaled, x


if __name__ == "__main__":
    tensors, meta = load(sys.argv[1])
    with open(sys.argv[2]) as f:
        rows = json.load(f)["x"]
    scaled, out = predict(tensors, meta, rows)
    print(json.dumps({"scaled": scaled.tolist(), "outputs": out.tolist()}))
