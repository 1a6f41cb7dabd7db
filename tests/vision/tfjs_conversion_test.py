#!/usr/bin/python3
"""ctest vision.tfjs_conversion: the models scripts/models/tfjs_to_onnx.py converts give, in OpenCV 4.6's DNN
module, the outputs TensorFlow.js itself computes (its pure-JavaScript CPU backend, tests/models, run by
tests/models/tfjs_reference.js).

    tests/vision/tfjs_conversion_test.py MODELS_DIR

1. The shipped NanoDet (MODELS_DIR/nanodet/nanodet-m-416.onnx, converted at set-up with its normalisation folded in)
   against the TF.js graph it came from (MODELS_DIR/nanodet/tfjs/nanodet.json), on a real photo.
2. MoveNet Lightning (MODELS_DIR/movenet/movenet-lightning.onnx, converted with its outputs cut before the graph's
   own decoding) against MODELS_DIR/movenet/tfjs/movenet-lightning.json: its four heads, and the key points
   decoded from them here (as the vision module's detail/pose_decode does) against the graph's own [1, 1, 17, 3],
   on a photo of a standing person (the left half of opencv-doc's basketball1.png).
3. MediaPipe's selfie segmentation (MODELS_DIR/selfie/selfie.onnx) against MODELS_DIR/selfie/tfjs/selfie.json, on
   the same photo.
4. A small graph model written here, with the ops and weight encodings NanoDet does not use (quantised
   uint8 and float16 weights, fused and depthwise convolutions with SAME padding, pooling, both resizes,
   split, ...), converted afresh and compared the same way.
5. Another, with the ops MoveNet and the selfie model brought (transposed convolutions with symmetric and
   asymmetric SAME pads, AddN, hard-swish and squeeze-excite blocks of element-wise ops between convolutions
   with scalar and per-channel constants, Cast, ExpandDims, Squeeze, Unpack), and the Transposes left after the
   clean-up counted (none between the element-wise ops).
Exit status 0 when every output agrees to within 1e-4 (relative to its largest value), 1 otherwise.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "tests", "models", "tfjs_reference.js")
CONVERTER = os.path.join(ROOT, "scripts", "models", "tfjs_to_onnx.py")
PHOTOS = "/usr/share/doc/opencv-doc/examples/data"
TOLERANCE = 1e-4
failures = []


def tfjs_outputs(model_json, x, workdir, nodes=None, as_int=False):
    """nodes: {name: graph node} to read instead of the signature's outputs; as_int: the input is int32."""
    path = os.path.join(workdir, "input.f32")
    np.ascontiguousarray(x, np.float32).tofile(path)
    out = os.path.join(workdir, "tfjs-out")
    os.makedirs(out, exist_ok=True)
    extra = [",".join(f"{k}={v}" for k, v in nodes.items())] if nodes else []
    run = subprocess.run(["node", REFERENCE, model_json, path, ",".join(map(str, x.shape)), out] + extra +
                         (["--int32"] if as_int else []), capture_output=True, text=True, cwd=os.path.dirname(REFERENCE))
    if run.returncode != 0:
        raise SystemExit(f"FAIL: TF.js could not run {model_json}: {run.stderr[-800:]}")
    shapes = json.load(open(os.path.join(out, "outputs.json")))
    return {k: np.fromfile(os.path.join(out, k + ".f32"), np.float32).reshape(s) for k, s in shapes.items()}


def compare(what, onnx_path, onnx_input, reference):
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(onnx_input)
    names = sorted(reference)
    outputs = dict(zip(names, net.forward(names)))
    for name in names:
        ref, got = reference[name], outputs[name]
        if tuple(ref.shape) != tuple(got.shape):
            failures.append(f"{what} {name}: shape {got.shape}, TF.js {ref.shape}")
            continue
        error = float(np.abs(ref - got).max()) / max(float(np.abs(ref).max()), 1e-6)
        status = "ok" if error <= TOLERANCE else "FAIL"
        print(f"{status}: {what} {name} {list(ref.shape)}: largest difference {error:.2e} of the largest value")
        if error > TOLERANCE:
            failures.append(f"{what} {name}: {error:.2e}")


def check_nanodet(models_dir, workdir):
    onnx_path = os.path.join(models_dir, "nanodet", "nanodet-m-416.onnx")
    bgr = cv2.resize(cv2.imread(os.path.join(PHOTOS, "messi5.jpg")), (416, 416)).astype(np.float32)
    # What the graph wants: BGR, (x - mean) / std, NCHW; the converted model takes RGB 0..255 and does it.
    mean = np.array([103.53, 116.28, 123.675], np.float32)
    std = np.array([57.375, 57.12, 58.395], np.float32)
    graph_input = ((bgr - mean) / std).transpose(2, 0, 1)[None]
    reference = tfjs_outputs(os.path.join(models_dir, "nanodet", "tfjs", "nanodet.json"), graph_input, workdir)
    if len(reference) != 6:
        failures.append(f"NanoDet has {len(reference)} outputs, not 6")
    compare("nanodet", onnx_path, bgr[:, :, ::-1].transpose(2, 0, 1)[None].copy(), reference)


def person_photo():
    """RGB: the left half of basketball1.png, a man standing, seen whole (300 x 480)."""
    return cv2.imread(os.path.join(PHOTOS, "basketball1.png"))[:, 0:300, ::-1]


MOVENET_HEADS = {
    "heatmaps": "StatefulPartitionedCall/Sigmoid",
    "centers": "StatefulPartitionedCall/truediv_2",
    "regression": "StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd",
    "offsets": "StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd",
}


def decode_movenet(heads):
    """MoveNet's decoding, as modules/vision/src/detail/pose_decode.cpp does it: [17, 3] of y, x, score."""
    heat, centers, regression, offsets = (heads[k][0] for k in ("heatmaps", "centers", "regression", "offsets"))
    h, w, k = heat.shape
    cy, cx = divmod(int(np.argmax(centers.reshape(-1))), w)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    points = []
    for i in range(k):
        ry, rx = cy + regression[cy, cx, 2 * i], cx + regression[cy, cx, 2 * i + 1]
        weighted = heat[:, :, i] / (np.sqrt((ys - ry) ** 2 + (xs - rx) ** 2) + 1.8)
        y, x = divmod(int(np.argmax(weighted.reshape(-1))), w)
        points.append([(y + offsets[y, x, 2 * i]) / h, (x + offsets[y, x, 2 * i + 1]) / w, heat[y, x, i]])
    return np.array(points, np.float32)


def check_movenet(models_dir, workdir):
    onnx_path = os.path.join(models_dir, "movenet", "movenet-lightning.onnx")
    # The graph takes int32 pixels 0..255 (NHWC, RGB); the converted model the same values as floats.
    x = np.round(cv2.resize(person_photo(), (192, 192), interpolation=cv2.INTER_AREA)).astype(np.float32)[None]
    nodes = dict(MOVENET_HEADS, keypoints="Identity")
    reference = tfjs_outputs(os.path.join(models_dir, "movenet", "tfjs", "movenet-lightning.json"), x, workdir,
                             nodes, as_int=True)
    keypoints = reference.pop("keypoints")
    compare("movenet", onnx_path, x, reference)
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(x)
    heads = dict(zip(MOVENET_HEADS, net.forward(list(MOVENET_HEADS))))
    decoded, graph = decode_movenet(heads), keypoints.reshape(17, 3)
    # The graph divides by 48 as a float16 constant (0.0208282...): positions differ by up to 2.4e-4.
    error = float(np.abs(decoded - graph).max())
    status = "ok" if error <= 1e-3 else "FAIL"
    print(f"{status}: movenet key points decoded from the converted heads vs the graph's own: largest difference "
          f"{error:.2e}")
    if error > 1e-3:
        failures.append(f"movenet key points: {error:.2e}\n{decoded}\n{graph}")
    if not (graph[:, 2] > 0.3).sum() >= 12:
        failures.append(f"movenet is unsure of the standing man: scores {graph[:, 2]}")


def check_selfie(models_dir, workdir):
    onnx_path = os.path.join(models_dir, "selfie", "selfie.onnx")
    x = (cv2.resize(person_photo(), (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255)[None]
    reference = tfjs_outputs(os.path.join(models_dir, "selfie", "tfjs", "selfie.json"), x, workdir)
    compare("selfie", onnx_path, x, reference)
    mask = reference["activation_10"][0, :, :, 0]
    if not (mask > 0.5).mean() > 0.15:
        failures.append(f"the selfie model finds too little of the man: {(mask > 0.5).mean():.2f} of the photo")


class GraphWriter:
    """A TF.js graph model (model.json + weights.bin) written node by node."""

    def __init__(self):
        self.nodes, self.specs, self.data = [], [], bytearray()
        self.rng = np.random.default_rng(7)

    def node(self, name, op, inputs=(), **attrs):
        self.nodes.append({"name": name, "op": op, "input": list(inputs), "attr": attrs})
        return name

    def const(self, name, value, encoding="float32"):
        value = np.asarray(value)
        spec = {"name": name, "shape": list(value.shape), "dtype": "int32" if value.dtype.kind == "i" else "float32"}
        if encoding == "uint8":
            lo, hi = float(value.min()), float(value.max())
            scale = (hi - lo) / 255 or 1.0
            spec["quantization"] = {"dtype": "uint8", "scale": scale, "min": lo}
            self.data += np.round((value - lo) / scale).astype(np.uint8).tobytes()
        elif encoding == "float16":
            spec["quantization"] = {"dtype": "float16"}
            self.data += value.astype(np.float16).tobytes()
        else:
            self.data += value.astype(np.int32 if spec["dtype"] == "int32" else np.float32).tobytes()
        self.specs.append(spec)
        dtype = "DT_INT32" if spec["dtype"] == "int32" else "DT_FLOAT"
        return self.node(name, "Const", value={"tensor": {"dtype": dtype}}, dtype={"type": dtype})

    def weights(self, name, shape, encoding="float32"):
        return self.const(name, self.rng.normal(0, 0.5, shape).astype(np.float32), encoding)

    def save(self, folder, inputs, outputs):
        model = {
            "format": "graph-model", "generatedBy": "tyto tests", "convertedBy": "tfjs_conversion_test.py",
            "modelTopology": {"node": self.nodes, "versions": {"producer": 1}},
            "weightsManifest": [{"paths": ["weights.bin"], "weights": self.specs}],
            "signature": {"inputs": {f"{n}:0": {"name": f"{n}:0"} for n in inputs},
                          "outputs": {f"{n}:0": {"name": f"{n}:0"} for n in outputs}},
        }
        with open(os.path.join(folder, "weights.bin"), "wb") as f:
            f.write(self.data)
        path = os.path.join(folder, "model.json")
        with open(path, "w") as f:
            json.dump(model, f)
        return path


def s(text):
    return {"s": base64.b64encode(text.encode()).decode()}


def ints(*values):
    return {"list": {"i": [str(v) for v in values]}}


def strings(*values):
    return {"list": {"s": [base64.b64encode(v.encode()).decode() for v in values]}}


def check_small_graph(workdir):
    g = GraphWriter()
    fl = {"type": "DT_FLOAT"}
    x = g.node("x", "Placeholder", dtype=fl, shape={"shape": {"dim": [{"size": "1"}, {"size": "16"}, {"size": "16"},
                                                                      {"size": "3"}]}})
    conv = dict(T=fl, data_format=s("NHWC"), dilations=ints(1, 1, 1, 1))
    c1 = g.node("c1", "_FusedConv2D", [x, g.weights("w1", [3, 3, 3, 8], "uint8"), g.weights("b1", [8], "float16")],
                strides=ints(1, 2, 2, 1), padding=s("SAME"), fused_ops=strings("BiasAdd", "Relu6"),
                num_args={"i": "1"}, **conv)
    d1 = g.node("d1", "FusedDepthwiseConv2dNative", [c1, g.weights("dw1", [3, 3, 8, 1], "float16"),
                                                     g.weights("db1", [8])],
                strides=ints(1, 1, 1, 1), padding=s("SAME"), fused_ops=strings("BiasAdd", "Relu"),
                num_args={"i": "1"}, **conv)
    d2 = g.node("d2", "DepthwiseConv2dNative", [d1, g.weights("dw2", [3, 3, 8, 1])], strides=ints(1, 1, 1, 1),
                padding=s("VALID"), **conv)
    p1 = g.node("p1", "Pad", [d2, g.const("pads", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))], T=fl)
    c2 = g.node("c2", "Conv2D", [p1, g.weights("w2", [1, 1, 8, 4])], strides=ints(1, 1, 1, 1),
                padding=s("VALID"), **conv)
    bias = g.node("bias", "BiasAdd", [c2, g.weights("b2", [4])], T=fl, data_format=s("NHWC"))
    l1 = g.node("l1", "LeakyRelu", [bias], T=fl, alpha={"f": 0.2})
    m1 = g.node("m1", "MaxPool", [l1], T=fl, ksize=ints(1, 2, 2, 1), strides=ints(1, 2, 2, 1), padding=s("VALID"),
                data_format=s("NHWC"))
    a1 = g.node("a1", "AvgPool", [l1], T=fl, ksize=ints(1, 3, 3, 1), strides=ints(1, 2, 2, 1), padding=s("SAME"),
                data_format=s("NHWC"))
    size = g.const("size", np.array([8, 8], np.int32))
    r1 = g.node("r1", "ResizeBilinear", [m1, size], T=fl, align_corners={"b": False}, half_pixel_centers={"b": True})
    r2 = g.node("r2", "ResizeNearestNeighbor", [a1, size], T=fl, align_corners={"b": False},
                half_pixel_centers={"b": False})
    cat = g.node("cat", "ConcatV2", [r1, r2, l1, g.const("axis", np.array(-1, np.int32))], T=fl, N={"i": "3"})
    sig = g.node("sig", "Sigmoid", [cat], T=fl)
    scaled = g.node("scaled", "Mul", [sig, g.const("k", np.array(3.0, np.float32))], T=fl)
    g.node("y1", "Sub", [scaled, g.const("k2", np.array(1.5, np.float32))], T=fl)
    t = g.node("t", "Transpose", [cat, g.const("perm", np.array([0, 3, 1, 2], np.int32))], T=fl)
    rs = g.node("rs", "Reshape", [t, g.const("shape", np.array([1, 12, -1], np.int32))], T=fl)
    g.node("sp", "SplitV", [rs, g.const("sizes", np.array([4, 8], np.int32)), g.const("dim", np.array(1, np.int32))],
           T=fl, num_split={"i": "2"})
    g.node("y2", "Identity", ["sp"], T=fl)
    g.node("y3", "Sigmoid", ["sp:1"], T=fl)
    folder = os.path.join(workdir, "small")
    os.makedirs(folder)
    model_json = g.save(folder, ["x"], ["y1", "y2", "y3"])
    onnx_path = os.path.join(folder, "small.onnx")
    run = subprocess.run([sys.executable, CONVERTER, model_json, onnx_path], capture_output=True, text=True)
    if run.returncode != 0:
        failures.append(f"small graph: the conversion failed: {run.stderr[-800:]}")
        return
    x_value = np.random.default_rng(3).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    compare("small graph", onnx_path, x_value, tfjs_outputs(model_json, x_value, folder))


def check_element_wise_graph(workdir):
    g = GraphWriter()
    fl = {"type": "DT_FLOAT"}
    conv = dict(T=fl, data_format=s("NHWC"), dilations=ints(1, 1, 1, 1))
    x = g.node("x", "Placeholder", dtype=fl, shape={"shape": {"dim": [{"size": "1"}, {"size": "16"}, {"size": "16"},
                                                                      {"size": "3"}]}})
    xc = g.node("xc", "Cast", [x], SrcT=fl, DstT=fl)
    scaled = g.node("scaled", "Mul", [xc, g.const("inv", np.array([0.5, 0.25, 1.0], np.float32))], T=fl)
    c1 = g.node("c1", "Conv2D", [scaled, g.weights("w1", [3, 3, 3, 8], "float16")], strides=ints(1, 1, 1, 1),
                padding=s("SAME"), **conv)
    b1 = g.node("b1", "Add", [c1, g.weights("b1w", [8])], T=fl)
    # hard-swish: b * (1/6) * relu6(b + 3)
    sixth = g.node("sixth", "Mul", [g.const("k6", np.array(1 / 6, np.float32)), b1], T=fl)
    r6 = g.node("r6", "Relu6", [g.node("plus3", "AddV2", [b1, g.const("k3", np.array(3.0, np.float32))], T=fl)], T=fl)
    hs = g.node("hs", "Mul", [sixth, r6], T=fl)
    # squeeze-excite: hs * sigmoid(conv(avgpool(hs)))
    pooled = g.node("pooled", "AvgPool", [hs], T=fl, ksize=ints(1, 16, 16, 1), strides=ints(1, 16, 16, 1),
                    padding=s("VALID"), data_format=s("NHWC"))
    gate = g.node("gate", "Sigmoid", [g.node("c2", "Conv2D", [pooled, g.weights("w2", [1, 1, 8, 8])],
                                             strides=ints(1, 1, 1, 1), padding=s("VALID"), **conv)], T=fl)
    se = g.node("se", "Mul", [hs, gate], T=fl)
    pc = g.node("pc", "Add", [g.node("pcm", "Mul", [se, g.weights("scale", [8])], T=fl), g.weights("shift", [8])],
                T=fl)
    summed = g.node("summed", "AddN", [pc, hs], T=fl, N={"i": "2"})
    up1 = g.node("up1", "Conv2DBackpropInput", [g.const("size1", np.array([1, 32, 32, 4], np.int32)),
                                                 g.weights("wt1", [2, 2, 4, 8]), summed],
                 strides=ints(1, 2, 2, 1), padding=s("SAME"), **conv)
    g.node("y1", "Sigmoid", [up1], T=fl)
    up2 = g.node("up2", "Conv2DBackpropInput", [g.const("size2", np.array([1, 32, 32, 2], np.int32)),
                                                 g.weights("wt2", [3, 3, 2, 8]), summed],
                 strides=ints(1, 2, 2, 1), padding=s("SAME"), **conv)  # pads (0, 1): asymmetric
    g.node("y2", "Relu", [up2], T=fl)
    flat = g.node("flat", "Reshape", [summed, g.const("s3", np.array([1, 256, 8], np.int32))], T=fl)
    one = g.node("one", "Unpack", [flat], T=fl, num={"i": "1"}, axis={"i": "0"})
    again = g.node("again", "ExpandDims", [one, g.const("d0", np.array(0, np.int32))], T=fl)
    g.node("y3", "Squeeze", [again], T=fl, squeeze_dims=ints(0))
    halves = g.node("halves", "Reshape", [summed, g.const("s4", np.array([2, 128, 8], np.int32))], T=fl)
    g.node("two", "Unpack", [halves], T=fl, num={"i": "2"}, axis={"i": "0"})
    g.node("y4", "Identity", ["two:1"], T=fl)
    folder = os.path.join(workdir, "element_wise")
    os.makedirs(folder)
    model_json = g.save(folder, ["x"], ["y1", "y2", "y3", "y4"])
    onnx_path = os.path.join(folder, "element_wise.onnx")
    run = subprocess.run([sys.executable, CONVERTER, model_json, onnx_path], capture_output=True, text=True)
    if run.returncode != 0:
        failures.append(f"element-wise graph: the conversion failed: {run.stderr[-800:]}")
        return
    transposes = [n for n in onnx.load(onnx_path).graph.node if n.op_type == "Transpose"]
    # In; out to y1 and y2; and one back to NHWC for the Reshapes of y3 and y4: none between the element-wise ops.
    if len(transposes) > 4:
        failures.append(f"element-wise graph: {len(transposes)} Transposes left")
    x_value = np.random.default_rng(5).uniform(-2, 2, (1, 16, 16, 3)).astype(np.float32)
    compare("element-wise graph", onnx_path, x_value, tfjs_outputs(model_json, x_value, folder))


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tyto-tfjs-") as workdir:
        check_nanodet(os.path.abspath(argv[0]), workdir)
        check_movenet(os.path.abspath(argv[0]), workdir)
        check_selfie(os.path.abspath(argv[0]), workdir)
        check_small_graph(workdir)
        check_element_wise_graph(workdir)
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
