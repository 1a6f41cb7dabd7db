#!/usr/bin/python3
"""Tiny detectors with known outputs for the detection tests (tests/vision/detect), made with Debian's python3-torch.

usage: make_models.py OUT_DIR

Writes, for an input of 320x320 RGB in 0..1 (NCHW):
  yolov5.pt / yolov5.onnx   [1, N, 5 + C]: cx, cy, w, h, objectness, class scores
  yolov8.pt / yolov8.onnx   [1, 4 + C, N]: cx, cy, w, h, class scores
  yolov5_moved.pt           the same as yolov5.pt with its fixed boxes moved right by 100 px (a "new version")
  blazeface_like.onnx       BlazeFace's layout: input [1, 256, 256, 3], scores [1, 512, 1] and [1, 384, 1],
                            boxes [1, 512, 16] and [1, 384, 16], one face on anchor 0 of cell (8, 8) of layer 1
  movenet_like.onnx         MoveNet's layout: input [1, 192, 192, 3], output [1, 1, 17, 3]: key point k at
                            y = 0.1 + 0.05 k, x = 0.2 + 0.03 k (of the input), score 0.1 + 0.05 k
  selfie_like.onnx          the selfie segmentation's layout: input [1, 256, 256, 3] (0..1), output [1, 256, 256, 1]:
                            the probability sigmoid(40 (grey - 0.5)) per pixel, so white is "person"

Classes: 0 "square", 1 "cat", 2 "dog". Box 0 is computed from the input: the centre and side of the white
(> 0.9) pixels, class "square". The others are fixed, in input pixels:
  A cat  at (100, 100) 80x80, score 0.72   B cat at (105, 100) 80x80, score 0.63 (IoU with A 0.88: suppressed)
  C dog  at (102, 102) 80x80, score 0.855 (overlaps A, another class: kept)   D cat at (250, 250), score 0.09
Only operators that OpenCV 4.6's ONNX importer reads are used (Conv-free: Clip, Mul, Add, GlobalAveragePool...).
No weights are downloaded; nothing here is committed but this script.
"""
import os
import sys

import torch

SIZE = 320
CLASSES = 3


def fixed_rows(shift):
    # cx, cy, w, h, objectness, class scores (cat, dog at index 1, 2)
    return torch.tensor([
        [100.0 + shift, 100.0, 80.0, 80.0, 0.9, 0.0, 0.8, 0.1],
        [105.0 + shift, 100.0, 80.0, 80.0, 0.9, 0.0, 0.7, 0.1],
        [102.0 + shift, 102.0, 80.0, 80.0, 0.9, 0.0, 0.05, 0.95],
        [250.0 + shift, 250.0, 40.0, 40.0, 0.3, 0.0, 0.3, 0.0],
    ])


class Square(torch.nn.Module):
    """The white square's box from global averages: area = mean(m), cx = mean(m * x) / mean(m)."""

    def __init__(self):
        super().__init__()
        ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32) + 0.5,
                                torch.arange(SIZE, dtype=torch.float32) + 0.5, indexing="ij")
        self.register_buffer("xs", xs.reshape(1, 1, SIZE, SIZE))
        self.register_buffer("ys", ys.reshape(1, 1, SIZE, SIZE))
        self.pool = torch.nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        grey = (x[:, 0:1] + x[:, 1:2] + x[:, 2:3]) / 3.0
        z = (grey - 0.9) * 1000.0
        m = torch.relu(z) - torch.relu(z - 1.0)  # clamp(z, 0, 1) in operators OpenCV 4.6 reads
        area = self.pool(m).reshape(1, 1) + 1e-6
        cx = self.pool(m * self.xs).reshape(1, 1) / area
        cy = self.pool(m * self.ys).reshape(1, 1) / area
        side = torch.sqrt(area * (SIZE * SIZE))
        return cx, cy, side


class YoloV5(torch.nn.Module):
    def __init__(self, shift=0.0):
        super().__init__()
        self.square = Square()
        self.register_buffer("fixed", fixed_rows(shift).reshape(1, 4, 5 + CLASSES))
        self.register_buffer("square_scores", torch.tensor([[0.9, 0.95, 0.0, 0.0]]))

    def forward(self, x):
        cx, cy, side = self.square(x)
        row = torch.cat([cx, cy, side, side, self.square_scores], dim=1).reshape(1, 1, 5 + CLASSES)
        return torch.cat([row, self.fixed], dim=1)  # [1, 5, 8]


class YoloV8(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.v5 = YoloV5()

    def forward(self, x):
        v5 = self.v5(x)  # cx, cy, w, h, obj, classes -> cx, cy, w, h, obj * classes
        boxes = v5[:, :, 0:4]
        scores = v5[:, :, 5:8] * v5[:, :, 4:5]
        return torch.cat([boxes, scores], dim=2).permute(0, 2, 1)  # [1, 7, 5]


class BlazeFaceLike(torch.nn.Module):
    """Raw outputs of BlazeFace's back model: one face of 64x48 px, centred 10 px right of anchor (8.5, 8.5)/16.

    Each output is the bias of a zero-weight Linear layer of the input's first pixel (OpenCV 4.6's importer reads
    Gemm and Reshape; it rejects a constant output).
    """

    def __init__(self):
        super().__init__()
        scores1 = torch.full((512, 1), -10.0)
        boxes1 = torch.zeros((512, 16))
        index = (8 * 16 + 8) * 2  # cell (x 8, y 8), anchor 0
        scores1[index, 0] = 3.0  # sigmoid 0.9526
        boxes1[index, 0:4] = torch.tensor([10.0, 0.0, 64.0, 48.0])
        scores1[index + 1, 0] = 2.0  # the same face from anchor 1, a little larger: blended by weighted NMS
        boxes1[index + 1, 0:4] = torch.tensor([10.0, 0.0, 70.0, 52.0])
        self.outputs = torch.nn.ModuleList()
        self.shapes = [(1, 512, 1), (1, 384, 1), (1, 512, 16), (1, 384, 16)]
        for values in [scores1, torch.full((384, 1), -10.0), boxes1, torch.zeros((384, 16))]:
            layer = torch.nn.Linear(3, values.numel())
            with torch.no_grad():
                layer.weight.zero_()
                layer.bias.copy_(values.reshape(-1))
            self.outputs.append(layer)

    def forward(self, x):
        first = x.reshape(1, 256 * 256 * 3)[:, 0:3]
        return tuple(layer(first).reshape(shape) for layer, shape in zip(self.outputs, self.shapes))


def movenet_keypoints():
    k = torch.arange(17, dtype=torch.float32)
    return torch.stack([0.1 + 0.05 * k, 0.2 + 0.03 * k, 0.1 + 0.05 * k], dim=1)  # y, x, score


class MoveNetLike(torch.nn.Module):
    """MoveNet's [1, 1, 17, 3], as the bias of a zero-weight Linear layer of the input's first pixel."""

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(3, 17 * 3)
        with torch.no_grad():
            self.layer.weight.zero_()
            self.layer.bias.copy_(movenet_keypoints().reshape(-1))

    def forward(self, x):
        return self.layer(x.reshape(1, 192 * 192 * 3)[:, 0:3]).reshape(1, 1, 17, 3)


class SelfieLike(torch.nn.Module):
    """NHWC in and out: a 1x1 convolution averages the channels, then sigmoid(40 (grey - 0.5))."""

    def __init__(self):
        super().__init__()
        self.grey = torch.nn.Conv2d(3, 1, 1)
        with torch.no_grad():
            self.grey.weight.fill_(40.0 / 3)
            self.grey.bias.fill_(-20.0)

    def forward(self, x):
        return torch.sigmoid(self.grey(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    example = torch.zeros(1, 3, SIZE, SIZE)
    for name, model in [("yolov5", YoloV5()), ("yolov8", YoloV8()), ("yolov5_moved", YoloV5(100.0))]:
        model.eval()
        with torch.no_grad():
            torch.jit.trace(model, example).save(os.path.join(out, name + ".pt"))
            if name != "yolov5_moved":
                torch.onnx.export(model, example, os.path.join(out, name + ".onnx"), input_names=["images"],
                                  output_names=["output0"], opset_version=11)
    face = BlazeFaceLike().eval()
    with torch.no_grad():
        torch.onnx.export(face, torch.zeros(1, 256, 256, 3), os.path.join(out, "blazeface_like.onnx"),
                          input_names=["input"], output_names=["Identity", "Identity_1", "Identity_2", "Identity_3"],
                          opset_version=11)
    with torch.no_grad():
        torch.onnx.export(MoveNetLike().eval(), torch.zeros(1, 192, 192, 3), os.path.join(out, "movenet_like.onnx"),
                          input_names=["input"], output_names=["Identity"], opset_version=11)
        torch.onnx.export(SelfieLike().eval(), torch.zeros(1, 256, 256, 3), os.path.join(out, "selfie_like.onnx"),
                          input_names=["input_1"], output_names=["activation_10"], opset_version=11)
    with open(os.path.join(out, "classes.txt"), "w") as f:
        f.write("square\ncat\ndog\n")


if __name__ == "__main__":
    main()
