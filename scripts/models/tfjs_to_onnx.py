#!/usr/bin/python3
"""Converts a TensorFlow.js graph model (model.json + .bin shards) to an ONNX model that OpenCV 4.6's DNN
module reads (opset 11).

    scripts/models/tfjs_to_onnx.py MODEL.json OUT.onnx [--normalize R,G,B:R,G,B] [--bgr] [--outputs NAME=NODE,...]

The graph (modelTopology, a TensorFlow GraphDef in JSON) is translated node by node, keeping TensorFlow's
tensor layouts: a layout-sensitive op (Conv2D, pooling, resizing; NHWC in TensorFlow) is wrapped in
Transposes to and from NCHW, and a clean-up then removes the Transpose pairs that cancel, moves bias
additions into the convolutions and zero paddings into their attributes. Subgraphs of constants are
evaluated here. Weights may be float32, int32 or quantised (uint8 / uint16 with scale and min, float16).

--normalize MEAN:STD prepends (x - mean) / std per channel, so that the ONNX model takes pixels 0..255;
--bgr also reverses the channel order of its input (for a model trained on BGR that should take RGB).
--outputs NAME=NODE,... makes the ONNX model's outputs those nodes of the graph (named NAME) instead of the
signature's, and converts only what they need: a graph that ends in ops OpenCV cannot run (MoveNet's own
decoding: ArgMax, GatherNd) is cut before them and the rest done by the caller. An integer input (MoveNet's
int32 pixels) becomes a float one, and the Casts of it are dropped.
Only the ops the shipped models use are mapped; any other op stops the conversion with its name.
Needs numpy and onnx (Debian's python3-numpy, python3-onnx).
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

OPSET = 11
DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
QUANTISED = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}
TF_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64, "DT_BOOL": np.bool_}


class ConversionError(Exception):
    pass


def load_weights(model, folder):
    """name -> numpy array, from each weights group's shards read in order."""
    weights = {}
    for group in model.get("weightsManifest", []):
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            if quant:
                qtype = QUANTISED.get(quant["dtype"])
                if qtype is None:
                    raise ConversionError(f"weight {spec['name']}: quantisation {quant['dtype']}")
                raw = np.frombuffer(data, qtype, count, offset)
                offset += count * np.dtype(qtype).itemsize
                if qtype == np.float16:
                    value = raw.astype(np.float32)
                else:
                    value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
                if spec["dtype"] == "int32":
                    value = np.round(value).astype(np.int32)
            else:
                dtype = DTYPES.get(spec["dtype"])
                if dtype is None:
                    raise ConversionError(f"weight {spec['name']}: dtype {spec['dtype']}")
                value = np.frombuffer(data, dtype, count, offset).copy()
                offset += count * np.dtype(dtype).itemsize
            weights[spec["name"]] = value.reshape(shape)
        if offset != len(data):
            raise ConversionError(f"weights group {group['paths']}: {len(data) - offset} bytes left over")
    return weights


def attr(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "list" in a:
        values = a["list"]
        if "i" in values:
            return [int(v) for v in values["i"]]
        if "s" in values:
            return [base64.b64decode(v).decode() for v in values["s"]]
        if "f" in values:
            return [float(v) for v in values["f"]]
        return []
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    if "type" in a:
        return a["type"]
    return a


def inline_const(node):
    """A Const whose value sits in the node itself rather than in the weights."""
    tensor = node["attr"]["value"]["tensor"]
    dtype = TF_DTYPES.get(tensor.get("dtype"))
    if dtype is None:
        raise ConversionError(f"const {node['name']}: dtype {tensor.get('dtype')}")
    shape = [int(d.get("size", 0)) for d in tensor.get("tensorShape", {}).get("dim", [])]
    if "tensorContent" in tensor:
        value = np.frombuffer(base64.b64decode(tensor["tensorContent"]), dtype).copy()
    else:
        vals = tensor.get("floatVal") or tensor.get("intVal") or tensor.get("int64Val") or tensor.get("boolVal") or []
        value = np.array(vals, dtype)
        if value.size == 1 and int(np.prod(shape)) > 1:
            value = np.full(shape, value[0], dtype)
    return value.reshape(shape)


def tensor_name(ref):
    return ref if ":" in ref else ref + ":0"


def same_pads(in_size, kernel, stride, dilation):
    """TensorFlow's SAME padding (before, after) of one spatial axis."""
    out = -(-in_size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - in_size, 0)
    return total // 2, total - total // 2


class Converter:
    def __init__(self, model, weights):
        self.model = model
        self.weights = weights
        self.nodes = []  # dicts: op, inputs, outputs, attrs
        self.consts = {}  # name -> numpy array (initializers and folded values)
        self.shapes = {}  # name -> list of ints
        self.counter = 0
        self.inputs = []

    # Graph building --------------------------------------------------------------------------------------
    def fresh(self, base):
        self.counter += 1
        return f"{base}__{self.counter}"

    def const(self, value, base="const"):
        name = self.fresh(base)
        self.consts[name] = np.asarray(value)
        self.shapes[name] = list(np.shape(value))
        return name

    def emit(self, op, inputs, output, shape, **attrs):
        self.nodes.append({"op": op, "inputs": list(inputs), "outputs": [output], "attrs": attrs})
        self.shapes[output] = list(shape)
        return output

    def transpose(self, x, perm, output=None):
        shape = [self.shapes[x][p] for p in perm]
        return self.emit("Transpose", [x], output or self.fresh(x), shape, perm=list(perm))

    # Conversion ------------------------------------------------------------------------------------------
    def convert(self, outputs=None):
        """Converts the nodes `outputs` (tensor names) need; all of them when None."""
        nodes = tf_order(self.model["modelTopology"]["node"])
        if outputs is not None:
            needed = needed_nodes(nodes, outputs)
            nodes = [n for n in nodes if n["name"] in needed]
        for node in nodes:
            op = node["op"]
            inputs = [tensor_name(i) for i in node.get("input", []) if not i.startswith("^")]
            out = node["name"] + ":0"
            if op == "Const":
                value = self.weights[node["name"]] if node["name"] in self.weights else inline_const(node)
                self.consts[out] = value
                self.shapes[out] = list(value.shape)
            elif op == "Placeholder":
                shape = [max(int(d.get("size", 1)), 1) for d in node["attr"]["shape"]["shape"]["dim"]]
                self.inputs.append((node["name"], shape))
                self.shapes[node["name"]] = shape
                self.alias(out, node["name"])
            elif all(i in self.consts for i in inputs) and op in FOLD:
                values = FOLD[op](self, node, [self.consts[i] for i in inputs])
                for k, v in enumerate(values if isinstance(values, list) else [values]):
                    self.consts[f"{node['name']}:{k}"] = np.asarray(v)
                    self.shapes[f"{node['name']}:{k}"] = list(np.shape(v))
            elif op in OPS:
                OPS[op](self, node, inputs, out)
            else:
                raise ConversionError(f"node {node['name']}: op {op} is not mapped")

    def alias(self, name, target):
        self.emit("Identity", [target], name, self.shapes[target])

    def const_input(self, node, ref, what):
        if ref not in self.consts:
            raise ConversionError(f"node {node['name']}: its {what} must be a constant")
        return self.consts[ref]


def tf_order(nodes):
    """The GraphDef's nodes, each after the nodes it reads."""
    by_name = {n["name"]: n for n in nodes}
    ordered, state = [], {}
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[node["name"]] = 2
                ordered.append(node)
                continue
            if state.get(node["name"]):
                continue
            state[node["name"]] = 1
            stack.append((node, True))
            for ref in node.get("input", []):
                dep = by_name.get(ref.lstrip("^").split(":")[0])
                if dep is None:
                    raise ConversionError(f"node {node['name']} reads {ref}, which the graph lacks")
                if not state.get(dep["name"]):
                    stack.append((dep, False))
    return ordered


def needed_nodes(nodes, outputs):
    """The names of the nodes the tensors `outputs` are computed from."""
    by_name = {n["name"]: n for n in nodes}
    needed, stack = set(), [o.split(":")[0] for o in outputs]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        if name not in by_name:
            raise ConversionError(f"the graph has no node {name}")
        needed.add(name)
        stack.extend(ref.lstrip("^").split(":")[0] for ref in by_name[name].get("input", []))
    return needed


def fold_sparse_to_dense(c, node, args):
    indices, shape, values, default = args
    out = np.full(shape.astype(np.int64), default, dtype=np.asarray(values).dtype)
    indices = np.asarray(indices)
    if indices.size == 0:
        return out
    idx = indices.reshape(indices.shape[0], -1) if indices.ndim == 2 else indices.reshape(-1, 1)
    vals = np.broadcast_to(values, (len(idx),))
    for i, v in zip(idx, vals):
        out[tuple(i)] = v
    return out


FOLD = {
    "Identity": lambda c, n, a: a[0],
    "Add": lambda c, n, a: a[0] + a[1],
    "AddV2": lambda c, n, a: a[0] + a[1],
    "Sub": lambda c, n, a: a[0] - a[1],
    "Mul": lambda c, n, a: a[0] * a[1],
    "Cast": lambda c, n, a: a[0].astype(TF_DTYPES[attr(n, "DstT")]),
    "Reshape": lambda c, n, a: a[0].reshape(a[1].astype(np.int64)),
    "Transpose": lambda c, n, a: np.transpose(a[0], a[1]),
    "ConcatV2": lambda c, n, a: np.concatenate(a[:-1], axis=int(a[-1])),
    "Pack": lambda c, n, a: np.stack(a, axis=attr(n, "axis", 0)),
    "SparseToDense": fold_sparse_to_dense,
}


def nhwc_to_nchw_attrs(node, key):
    values = attr(node, key, [1, 1, 1, 1])
    if attr(node, "data_format", "NHWC") != "NHWC":
        raise ConversionError(f"node {node['name']}: data_format {attr(node, 'data_format')}")
    return values[1:3]


def conv(c, node, inputs, out, depthwise=False, fused=()):
    x, w = inputs[0], inputs[1]
    kernel = c.const_input(node, w, "filter")
    n, h, wd, ch = c.shapes[x]
    strides = nhwc_to_nchw_attrs(node, "strides")
    dilations = nhwc_to_nchw_attrs(node, "dilations")
    kh, kw = kernel.shape[0], kernel.shape[1]
    if depthwise:  # H W C M -> (C*M) 1 H W, one group per input channel
        weights = kernel.transpose(2, 3, 0, 1).reshape(-1, 1, kh, kw)
        group = ch
    else:  # H W I O -> O I H W
        weights = kernel.transpose(3, 2, 0, 1)
        group = 1
    pads = [0, 0, 0, 0]
    padding = attr(node, "padding")
    if padding == "SAME":
        top, bottom = same_pads(h, kh, strides[0], dilations[0])
        left, right = same_pads(wd, kw, strides[1], dilations[1])
        pads = [top, left, bottom, right]
    elif padding == "EXPLICIT":
        e = attr(node, "explicit_paddings")
        pads = [e[2], e[4], e[3], e[5]]
    elif padding != "VALID":
        raise ConversionError(f"node {node['name']}: padding {padding}")
    oh = (h + pads[0] + pads[2] - (dilations[0] * (kh - 1) + 1)) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - (dilations[1] * (kw - 1) + 1)) // strides[1] + 1
    conv_inputs = [c.transpose(x, [0, 3, 1, 2]), c.const(weights.astype(np.float32), node["name"] + "/W")]
    ops = list(fused)
    if ops and ops[0] == "BiasAdd":
        conv_inputs.append(c.const(c.const_input(node, inputs[2], "bias").astype(np.float32), node["name"] + "/B"))
        ops = ops[1:]
    y = c.emit("Conv", conv_inputs, c.fresh(node["name"]), [n, weights.shape[0], oh, ow], kernel_shape=[kh, kw],
               strides=strides, dilations=dilations, pads=pads, group=group)
    for op in ops:
        y = activation(c, node, op, y, c.fresh(node["name"]))
    c.transpose(y, [0, 2, 3, 1], out)


def activation(c, node, op, x, out):
    shape = c.shapes[x]
    if op == "Relu":
        return c.emit("Relu", [x], out, shape)
    if op == "Relu6":  # Relu(x) - Relu(x - 6): OpenCV 4.6 reads only the Clip of opsets before 11
        low = c.emit("Relu", [x], c.fresh(x), shape)
        shifted = c.emit("Sub", [x, c.const(np.float32(6))], c.fresh(x), shape)
        high = c.emit("Relu", [shifted], c.fresh(x), shape)
        return c.emit("Sub", [low, high], out, shape)
    if op == "LeakyRelu":
        return c.emit("LeakyRelu", [x], out, shape, alpha=attr(node, "leakyrelu_alpha", attr(node, "alpha", 0.2)))
    if op == "Sigmoid":
        return c.emit("Sigmoid", [x], out, shape)
    raise ConversionError(f"node {node['name']}: fused op {op} is not mapped")


def fused_conv(c, node, inputs, out, depthwise=False):
    conv(c, node, inputs, out, depthwise, attr(node, "fused_ops", []))


def unary(onnx_op):
    def convert(c, node, inputs, out):
        if onnx_op == "Identity":
            c.alias(out, inputs[0])
        else:
            activation(c, node, onnx_op, inputs[0], out)

    return convert


def binary(onnx_op):
    def convert(c, node, inputs, out):
        a, b = inputs
        shape = list(np.broadcast_shapes(tuple(c.shapes[a]), tuple(c.shapes[b])))
        for name in (a, b):
            if name in c.consts:
                c.consts[name] = c.consts[name].astype(np.float32)
        c.emit(onnx_op, [a, b], out, shape)

    return convert


def transpose_op(c, node, inputs, out):
    c.transpose(inputs[0], [int(p) for p in c.const_input(node, inputs[1], "perm")], out)


def reshape(c, node, inputs, out):
    shape = c.const_input(node, inputs[1], "shape").astype(np.int64)
    size = int(np.prod(c.shapes[inputs[0]]))
    resolved = [int(d) for d in shape]
    if -1 in resolved:
        known = int(np.prod([d for d in resolved if d != -1]))
        resolved[resolved.index(-1)] = size // known
    c.emit("Reshape", [inputs[0], c.const(shape)], out, resolved)


def concat(c, node, inputs, out):
    rank = len(c.shapes[inputs[0]])
    axis = int(c.const_input(node, inputs[-1], "axis")) % rank
    shape = list(c.shapes[inputs[0]])
    shape[axis] = sum(c.shapes[i][axis] for i in inputs[:-1])
    parts = []
    for i in inputs[:-1]:
        if i in c.consts:
            c.consts[i] = c.consts[i].astype(np.float32)
        parts.append(i)
    c.emit("Concat", parts, out, shape, axis=axis)


def pad(c, node, inputs, out):
    paddings = c.const_input(node, inputs[1], "paddings").astype(np.int64)
    value = float(c.const_input(node, inputs[2], "constant value")) if len(inputs) > 2 else 0.0
    shape = [d + int(p[0]) + int(p[1]) for d, p in zip(c.shapes[inputs[0]], paddings)]
    pads = np.concatenate([paddings[:, 0], paddings[:, 1]]).astype(np.int64)
    c.emit("Pad", [inputs[0], c.const(pads), c.const(np.float32(value))], out, shape, mode="constant")


def split_v(c, node, inputs, out):
    sizes = [int(s) for s in c.const_input(node, inputs[1], "size_splits")]
    shape = c.shapes[inputs[0]]
    axis = int(c.const_input(node, inputs[2], "split_dim")) % len(shape)
    if -1 in sizes:
        sizes[sizes.index(-1)] = shape[axis] - (sum(sizes) + 1)
    outputs = [f"{node['name']}:{k}" for k in range(len(sizes))]
    c.nodes.append({"op": "Split", "inputs": [inputs[0]], "outputs": outputs, "attrs": {"axis": axis, "split": sizes}})
    for name, size in zip(outputs, sizes):
        c.shapes[name] = [size if d == axis else s for d, s in enumerate(shape)]


def cast(c, node, inputs, out):
    """Every tensor of the converted graph is float: a Cast to float is an identity (MoveNet's int32 pixels)."""
    if attr(node, "DstT") != "DT_FLOAT":
        raise ConversionError(f"node {node['name']}: Cast to {attr(node, 'DstT')} of a computed tensor")
    c.alias(out, inputs[0])


def reshape_to(c, x, shape, out):
    return c.emit("Reshape", [x, c.const(np.array(shape, np.int64))], out, shape)


def expand_dims(c, node, inputs, out):
    shape = list(c.shapes[inputs[0]])
    axis = int(c.const_input(node, inputs[1], "axis"))
    axis = axis % (len(shape) + 1) if axis < 0 else axis
    reshape_to(c, inputs[0], shape[:axis] + [1] + shape[axis:], out)


def squeeze(c, node, inputs, out):
    shape = c.shapes[inputs[0]]
    dims = [d % len(shape) for d in attr(node, "squeeze_dims", [])] or [d for d, n in enumerate(shape) if n == 1]
    reshape_to(c, inputs[0], [n for d, n in enumerate(shape) if d not in dims], out)


def unpack(c, node, inputs, out):
    shape = c.shapes[inputs[0]]
    axis = attr(node, "axis", 0) % len(shape)
    rest = [n for d, n in enumerate(shape) if d != axis]
    if shape[axis] == 1:
        reshape_to(c, inputs[0], rest, out)
        return
    parts = [c.fresh(node["name"]) for _ in range(shape[axis])]
    c.nodes.append({"op": "Split", "inputs": [inputs[0]], "outputs": parts,
                    "attrs": {"axis": axis, "split": [1] * shape[axis]}})
    for k, part in enumerate(parts):
        c.shapes[part] = [1 if d == axis else n for d, n in enumerate(shape)]
        reshape_to(c, part, rest, f"{node['name']}:{k}")


def add_n(c, node, inputs, out):
    """A chain of Adds (OpenCV 4.6 reads Sum only for equal shapes)."""
    total = inputs[0]
    for k, x in enumerate(inputs[1:]):
        last = k == len(inputs) - 2
        shape = list(np.broadcast_shapes(tuple(c.shapes[total]), tuple(c.shapes[x])))
        total = c.emit("Add", [total, x], out if last else c.fresh(node["name"]), shape)
    if len(inputs) == 1:
        c.alias(out, total)


def conv_transpose(c, node, inputs, out):
    """Conv2DBackpropInput(output size, filter H W O I, x): the gradient of a convolution, ONNX's ConvTranspose."""
    size = [int(v) for v in c.const_input(node, inputs[0], "input_sizes")]
    kernel = c.const_input(node, inputs[1], "filter")
    x = inputs[2]
    n, h, w, ch = c.shapes[x]
    strides = nhwc_to_nchw_attrs(node, "strides")
    dilations = nhwc_to_nchw_attrs(node, "dilations")
    kh, kw = kernel.shape[0], kernel.shape[1]
    oh, ow = size[1], size[2]
    padding = attr(node, "padding")
    pads = [0, 0, 0, 0]
    if padding == "SAME":  # the pads of the forward convolution from (oh, ow) to (h, w)
        top, bottom = same_pads(oh, kh, strides[0], dilations[0])
        left, right = same_pads(ow, kw, strides[1], dilations[1])
        pads = [top, left, bottom, right]
    elif padding != "VALID":
        raise ConversionError(f"node {node['name']}: padding {padding}")
    # OpenCV 4.6 takes symmetric pads only: pad both sides by the smaller, then slice what SAME keeps.
    full = [(h - 1) * strides[0] + (kh - 1) * dilations[0] + 1, (w - 1) * strides[1] + (kw - 1) * dilations[1] + 1]
    begin = [pads[0], pads[1]]
    even = [min(pads[0], pads[2]), min(pads[1], pads[3])]
    start = [b - e for b, e in zip(begin, even)]
    extra = [max(0, st + o - (f - 2 * e)) for st, o, f, e in zip(start, (oh, ow), full, even)]
    if min(oh, ow) <= 0 or any(x >= s_ for x, s_ in zip(extra, strides)):
        raise ConversionError(f"node {node['name']}: output size {oh}x{ow} does not follow from {h}x{w}")
    attrs = dict(kernel_shape=[kh, kw], strides=strides, dilations=dilations, pads=even + even)
    if any(extra):
        attrs["output_padding"] = extra
    got = [f - 2 * e + x for f, e, x in zip(full, even, extra)]
    weights = kernel.transpose(3, 2, 0, 1).astype(np.float32)  # H W O I -> I O H W
    y = c.emit("ConvTranspose", [c.transpose(x, [0, 3, 1, 2]), c.const(weights, node["name"] + "/W")],
               c.fresh(node["name"]), [n, kernel.shape[2]] + got, **attrs)
    if got != [oh, ow]:
        y = c.emit("Slice", [y, c.const(np.array(start, np.int64)), c.const(np.array([start[0] + oh, start[1] + ow],
                                                                                      np.int64)),
                             c.const(np.array([2, 3], np.int64))], c.fresh(node["name"]), [n, kernel.shape[2], oh, ow])
    c.transpose(y, [0, 2, 3, 1], out)


def pool(onnx_op):
    def convert(c, node, inputs, out):
        x = inputs[0]
        n, h, w, ch = c.shapes[x]
        k = nhwc_to_nchw_attrs(node, "ksize")
        s = nhwc_to_nchw_attrs(node, "strides")
        pads = [0, 0, 0, 0]
        if attr(node, "padding") == "SAME":
            top, bottom = same_pads(h, k[0], s[0], 1)
            left, right = same_pads(w, k[1], s[1], 1)
            pads = [top, left, bottom, right]
        oh = (h + pads[0] + pads[2] - k[0]) // s[0] + 1
        ow = (w + pads[1] + pads[3] - k[1]) // s[1] + 1
        extra = {"count_include_pad": 0} if onnx_op == "AveragePool" else {}
        y = c.emit(onnx_op, [c.transpose(x, [0, 3, 1, 2])], c.fresh(node["name"]), [n, ch, oh, ow], kernel_shape=k,
                   strides=s, pads=pads, **extra)
        c.transpose(y, [0, 2, 3, 1], out)

    return convert


def resize(mode):
    def convert(c, node, inputs, out):
        x = inputs[0]
        n, h, w, ch = c.shapes[x]
        oh, ow = [int(v) for v in c.const_input(node, inputs[1], "size")]
        if attr(node, "align_corners", False):
            transform = "align_corners"
        elif attr(node, "half_pixel_centers", False):
            transform = "half_pixel" if mode == "linear" else "tf_half_pixel_for_nn"
        else:
            transform = "asymmetric"
        extra = {"nearest_mode": "round_prefer_ceil" if transform != "asymmetric" else "floor"} if mode == "nearest" else {}
        roi = c.const(np.zeros([0], np.float32))
        scales = c.const(np.zeros([0], np.float32))
        sizes = c.const(np.array([n, ch, oh, ow], np.int64))
        y = c.emit("Resize", [c.transpose(x, [0, 3, 1, 2]), roi, scales, sizes], c.fresh(node["name"]),
                   [n, ch, oh, ow], mode=mode, coordinate_transformation_mode=transform, **extra)
        c.transpose(y, [0, 2, 3, 1], out)

    return convert


OPS = {
    "Identity": unary("Identity"),
    "Relu": unary("Relu"),
    "Relu6": unary("Relu6"),
    "LeakyRelu": unary("LeakyRelu"),
    "Sigmoid": unary("Sigmoid"),
    "Add": binary("Add"),
    "AddV2": binary("Add"),
    "BiasAdd": binary("Add"),
    "Sub": binary("Sub"),
    "Mul": binary("Mul"),
    "Cast": cast,
    "Transpose": transpose_op,
    "Reshape": reshape,
    "ExpandDims": expand_dims,
    "Squeeze": squeeze,
    "Unpack": unpack,
    "AddN": add_n,
    "ConcatV2": concat,
    "Pad": pad,
    "PadV2": pad,
    "SplitV": split_v,
    "MaxPool": pool("MaxPool"),
    "AvgPool": pool("AveragePool"),
    "ResizeBilinear": resize("linear"),
    "ResizeNearestNeighbor": resize("nearest"),
    "Conv2D": conv,
    "Conv2DBackpropInput": conv_transpose,
    "DepthwiseConv2dNative": lambda c, n, i, o: conv(c, n, i, o, depthwise=True),
    "_FusedConv2D": fused_conv,
    "FusedDepthwiseConv2dNative": lambda c, n, i, o: fused_conv(c, n, i, o, depthwise=True),
}

from tfjs_graph_passes import optimise  # noqa: E402  (beside this file)


def prepend_normalisation(c, mean, std, bgr):
    """The model's input becomes raw pixels 0..255: (x[:, order] - mean) / std in front of the graph."""
    (name, shape), = c.inputs
    if shape[1] != 3:
        raise ConversionError(f"--normalize needs an NCHW input with 3 channels, not {shape}")
    raw = name + "_pixels"
    x = raw
    if bgr:
        planes = [c.fresh("plane") for _ in range(3)]
        c.nodes.append({"op": "Split", "inputs": [raw], "outputs": planes, "attrs": {"axis": 1, "split": [1, 1, 1]}})
        x = c.emit("Concat", planes[::-1], c.fresh("bgr"), shape, axis=1)
    x = c.emit("Sub", [x, c.const(np.array(mean, np.float32).reshape(1, 3, 1, 1))], c.fresh("centred"), shape)
    c.emit("Mul", [x, c.const((1 / np.array(std, np.float32)).reshape(1, 3, 1, 1))], name, shape)
    c.inputs = [(raw, shape)]


def build(c, outputs, doc):
    """outputs: (name in the ONNX model, tensor of the converted graph) pairs."""
    graph_inputs = [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in c.inputs]
    graph_outputs = []
    nodes = []
    for onnx_name, tensor in outputs:
        nodes.append(helper.make_node("Identity", [tensor], [onnx_name], name=onnx_name + "/out"))
        graph_outputs.append(helper.make_tensor_value_info(onnx_name, onnx.TensorProto.FLOAT, c.shapes[tensor]))
    for k, n in enumerate(c.nodes):
        nodes.append(helper.make_node(n["op"], n["inputs"], n["outputs"], name=f"n{k}_{n['op']}", **n["attrs"]))
    used = {i for n in nodes for i in n.input}
    initializers = [numpy_helper.from_array(np.ascontiguousarray(v), k) for k, v in c.consts.items() if k in used]
    graph = helper.make_graph(topological(nodes, {n for n, _ in c.inputs} | {i.name for i in initializers}), "tfjs",
                              graph_inputs, graph_outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tyto tfjs_to_onnx",
                              doc_string=doc)
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def topological(nodes, available):
    ready, ordered, pending = set(available), [], list(nodes)
    while pending:
        progressed = [n for n in pending if all(i in ready or i == "" for i in n.input)]
        if not progressed:
            raise ConversionError(f"graph has a cycle or a missing input near {pending[0].name}")
        for n in progressed:
            ordered.append(n)
            ready.update(n.output)
        pending = [n for n in pending if n not in progressed]
    return ordered


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_json")
    parser.add_argument("output")
    parser.add_argument("--normalize", help="MEAN_R,MEAN_G,MEAN_B:STD_R,STD_G,STD_B of pixels 0..255")
    parser.add_argument("--bgr", action="store_true", help="the graph wants BGR; the ONNX model takes RGB")
    parser.add_argument("--outputs", help="NAME=NODE,...: these nodes of the graph are the outputs, named NAME")
    args = parser.parse_args(argv)
    model = json.load(open(args.model_json))
    if model.get("format") != "graph-model":
        raise ConversionError(f"{args.model_json}: format {model.get('format')}, not a TF.js graph model")
    c = Converter(model, load_weights(model, os.path.dirname(os.path.abspath(args.model_json))))
    if args.outputs:
        pairs = [part.split("=", 1) for part in args.outputs.split(",")]
        if any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
            raise ConversionError(f"--outputs {args.outputs}: not NAME=NODE,...")
        names, outputs = [p[0] for p in pairs], [tensor_name(p[1]) for p in pairs]
        c.convert(outputs)
    else:
        c.convert()
        outputs = sorted(model["signature"]["outputs"], key=lambda s: (len(s), s)) if "signature" in model else []
        if not outputs:
            raise ConversionError("the model has no signature naming its outputs")
        names = [o.split(":")[0] for o in outputs]
        outputs = [tensor_name(o) for o in outputs]
    resolved = optimise(c, outputs)
    if args.normalize:
        mean, std = ([float(v) for v in part.split(",")] for part in args.normalize.split(":"))
        prepend_normalisation(c, mean, std, args.bgr)
    doc = f"converted from {os.path.basename(args.model_json)} ({model.get('generatedBy', '')}) by tfjs_to_onnx.py"
    onnx_model = build(c, list(zip(names, resolved)), doc)
    tmp = args.output + ".tmp"
    onnx.save(onnx_model, tmp)
    os.replace(tmp, args.output)
    counts = {}
    for n in onnx_model.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    print(f"{args.output}: {len(onnx_model.graph.node)} nodes {counts}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (ConversionError, KeyError, ValueError) as e:
        print(f"tfjs_to_onnx: {e}", file=sys.stderr)
        sys.exit(1)
