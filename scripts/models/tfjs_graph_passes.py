"""Clean-up passes over the graph tfjs_to_onnx.py builds (its Converter: nodes as dicts of op, inputs, outputs
and attrs; consts; shapes). Each pass keeps the graph's outputs' values unchanged:

- identities are dropped;
- Transpose(Transpose(x)) becomes one Transpose, or x itself when the two cancel (the converter wraps each
  NHWC op in transposes to and from NCHW, and TF.js graphs converted from ONNX hold the reverse pairs);
- a Transpose in front of element-wise ops (Add, Sub, Mul, Relu, Sigmoid, LeakyRelu) moves behind them, its
  constants permuted to match, so that the ops run in NCHW and the Transposes between convolutions meet and
  cancel (the selfie model's hard-swish and squeeze-excite blocks lie between its convolutions); a Transpose
  behind a chain of them that starts at the graph's input moves in front of the chain;
- Reshape(Reshape(x)) becomes one Reshape, and a Reshape to x's own shape goes (MoveNet's input is unpacked
  and expanded again);
- Add(Transpose(Conv(x)), bias) with a per-channel constant becomes Transpose(Conv(x, bias));
- a zero Pad of the spatial axes in front of a Conv (a -inf or lowest-float one in front of a MaxPool)
  becomes the Conv's (MaxPool's) own pads;
- nodes nothing uses are removed.
"""
import numpy as np

NCHW_TO_NHWC = [0, 2, 3, 1]


def optimise(c, outputs):
    """Runs the passes; returns the tensor names that now hold `outputs`' values."""
    outputs = list(outputs)
    drop_identities(c, outputs)
    fold_reshapes(c, outputs)
    for _ in range(2):
        fold_transposes(c, outputs)
        sink_transposes(c, outputs)
        hoist_transposes(c, outputs)
        fold_transposes(c, outputs)
        fuse_conv_bias(c)
    fold_transposes(c, outputs)
    fold_pads(c)
    remove_dead(c, outputs)
    return outputs


def producers(c):
    return {o: n for n in c.nodes for o in n["outputs"]}


def consumers(c):
    uses = {}
    for n in c.nodes:
        for i in n["inputs"]:
            uses.setdefault(i, []).append(n)
    return uses


def rename_uses(c, outputs, old, new):
    for n in c.nodes:
        n["inputs"] = [new if i == old else i for i in n["inputs"]]
    for k, o in enumerate(outputs):
        if o == old:
            outputs[k] = new


def drop_identities(c, outputs):
    for n in [n for n in c.nodes if n["op"] == "Identity"]:
        c.nodes.remove(n)
        rename_uses(c, outputs, n["outputs"][0], n["inputs"][0])


def fold_transposes(c, outputs):
    changed = True
    while changed:
        changed = False
        made = producers(c)
        for n in c.nodes:
            if n["op"] != "Transpose":
                continue
            first = made.get(n["inputs"][0])
            if first is None or first["op"] != "Transpose":
                continue
            perm = [first["attrs"]["perm"][p] for p in n["attrs"]["perm"]]
            if perm == sorted(perm):
                c.nodes.remove(n)
                rename_uses(c, outputs, n["outputs"][0], first["inputs"][0])
            else:
                n["inputs"] = [first["inputs"][0]]
                n["attrs"]["perm"] = perm
            changed = True
            break
        remove_dead(c, outputs)


ELEMENTWISE = ("Add", "Sub", "Mul", "Relu", "Sigmoid", "LeakyRelu")


def inverse(perm):
    return [perm.index(k) for k in range(len(perm))]


def permuted_constant(c, name, perm):
    """A constant of a rank-4 element-wise op, with its axes permuted by `perm` (a scalar stays), or None."""
    value = np.asarray(c.consts[name])
    if value.ndim == 0:
        return name
    if value.ndim > 4:
        return None
    value = value.reshape([1] * (4 - value.ndim) + list(value.shape))
    return c.const(np.transpose(value, perm), "permuted")


def sink_transposes(c, outputs):
    """f(Transpose(x, P), const) -> Transpose(f(x, const'), P) for element-wise f."""
    changed = True
    while changed:
        changed = False
        made = producers(c)
        for n in c.nodes:
            if n["op"] not in ELEMENTWISE:
                continue
            computed = [i for i in n["inputs"] if i not in c.consts]
            sources = [made.get(i) for i in computed]
            if not sources or any(t is None or t["op"] != "Transpose" for t in sources):
                continue
            perm = sources[0]["attrs"]["perm"]
            if len(perm) != 4 or any(t["attrs"]["perm"] != perm for t in sources):
                continue
            back = inverse(perm)
            inputs = []
            for i in n["inputs"]:
                inputs.append(made[i]["inputs"][0] if i not in c.consts else permuted_constant(c, i, back))
            if None in inputs:
                continue
            out = n["outputs"][0]
            inner = c.fresh(out)
            c.shapes[inner] = [c.shapes[out][p] for p in back]
            n["inputs"], n["outputs"] = inputs, [inner]
            c.nodes.insert(c.nodes.index(n) + 1,
                           {"op": "Transpose", "inputs": [inner], "outputs": [out], "attrs": {"perm": list(perm)}})
            changed = True
            break
    remove_dead(c, outputs)


def hoist_transposes(c, outputs):
    """Transpose(f(x, const), P) -> f(Transpose(x, P), const') where x is the graph's input and f element-wise,
    the Transpose its only reader: the input's layout change then comes first, and the ops run in NCHW."""
    inputs = {name for name, _ in c.inputs}
    changed = True
    while changed:
        changed = False
        made, uses = producers(c), consumers(c)
        for t in c.nodes:
            if t["op"] != "Transpose" or len(t["attrs"]["perm"]) != 4:
                continue
            f = made.get(t["inputs"][0])
            if f is None or f["op"] not in ELEMENTWISE or len(uses.get(f["outputs"][0], [])) != 1:
                continue
            computed = [i for i in f["inputs"] if i not in c.consts]
            if len(computed) != 1 or not reaches_input(c, made, computed[0], inputs):
                continue
            perm = t["attrs"]["perm"]
            new_inputs = []
            for i in f["inputs"]:
                if i in c.consts:
                    new_inputs.append(permuted_constant(c, i, perm))
                else:
                    moved = c.fresh(i)
                    c.shapes[moved] = [c.shapes[i][p] for p in perm]
                    c.nodes.insert(c.nodes.index(f),
                                   {"op": "Transpose", "inputs": [i], "outputs": [moved], "attrs": {"perm": perm}})
                    new_inputs.append(moved)
            if None in new_inputs:
                continue
            f["inputs"] = new_inputs
            f["outputs"] = t["outputs"]
            c.shapes[t["outputs"][0]] = [c.shapes[t["inputs"][0]][p] for p in perm]
            c.nodes.remove(t)
            changed = True
            break
    remove_dead(c, outputs)


def reaches_input(c, made, name, inputs):
    """Whether `name` is the graph's input or is computed from it by a chain of one-input element-wise ops."""
    while name not in inputs:
        n = made.get(name)
        if n is None or n["op"] not in ELEMENTWISE:
            return False
        computed = [i for i in n["inputs"] if i not in c.consts]
        if len(computed) != 1:
            return False
        name = computed[0]
    return True


def fold_reshapes(c, outputs):
    changed = True
    while changed:
        changed = False
        made, uses = producers(c), consumers(c)
        for n in c.nodes:
            if n["op"] != "Reshape":
                continue
            x = n["inputs"][0]
            if c.shapes.get(x) == c.shapes[n["outputs"][0]] and n["outputs"][0] not in outputs:
                c.nodes.remove(n)
                rename_uses(c, outputs, n["outputs"][0], x)
                changed = True
                break
            inner = made.get(x)
            if inner is not None and inner["op"] == "Reshape" and len(uses.get(x, [])) == 1:
                n["inputs"][0] = inner["inputs"][0]
                c.nodes.remove(inner)
                changed = True
                break


def channel_constant(c, name, channels):
    """The per-channel values of a constant that broadcasts along the last axis only, else None."""
    value = c.consts.get(name)
    if value is None:
        return None
    flat = np.asarray(value, np.float32)
    if flat.ndim == 0 or flat.shape[-1] != channels or flat.size != channels:
        return None
    return flat.reshape(channels)


def fuse_conv_bias(c):
    made, uses = producers(c), consumers(c)
    for add in [n for n in c.nodes if n["op"] == "Add"]:
        for k in (0, 1):
            t = made.get(add["inputs"][k])
            if t is None or t["op"] != "Transpose" or t["attrs"]["perm"] != NCHW_TO_NHWC:
                continue
            conv = made.get(t["inputs"][0])
            if conv is None or conv["op"] != "Conv" or len(conv["inputs"]) != 2:
                continue
            if len(uses.get(t["outputs"][0], [])) != 1 or len(uses.get(conv["outputs"][0], [])) != 1:
                continue
            channels = c.shapes[conv["outputs"][0]][1]
            bias = channel_constant(c, add["inputs"][1 - k], channels)
            if bias is None:
                continue
            conv["inputs"].append(c.const(bias, "bias"))
            t["outputs"] = add["outputs"]
            c.nodes.remove(add)
            break


def fold_pads(c):
    made, uses = producers(c), consumers(c)
    for node in [n for n in c.nodes if n["op"] in ("Conv", "MaxPool")]:
        p = made.get(node["inputs"][0])
        if p is None or p["op"] != "Pad" or len(uses.get(p["outputs"][0], [])) != 1:
            continue
        pads = c.consts[p["inputs"][1]].astype(np.int64)
        value = float(c.consts[p["inputs"][2]])
        if pads[0] or pads[1] or pads[4] or pads[5] or len(pads) != 8 or (pads < 0).any():
            continue
        fill_ok = value == 0.0 if node["op"] == "Conv" else value <= -3.0e38
        if not fill_ok:
            continue
        spatial = [int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])]
        node["attrs"]["pads"] = [a + b for a, b in zip(node["attrs"].get("pads", [0, 0, 0, 0]), spatial)]
        node["inputs"][0] = p["inputs"][0]
        c.nodes.remove(p)


def remove_dead(c, outputs):
    live, size = set(outputs), -1
    while size != len(live):
        size = len(live)
        for n in c.nodes:
            if any(o in live for o in n["outputs"]):
                live.update(n["inputs"])
    c.nodes = [n for n in c.nodes if any(o in live for o in n["outputs"])]
