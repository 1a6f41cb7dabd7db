#!/usr/bin/python3
"""Tiny pose and segmentation models for the captures tests, in the layouts of the shipped ones, so the real
loading, letterboxing and decoding run on photos whose true keypoints and silhouettes the tests know:

    make_models.py OUT_DIR KEYPOINTS_JSON

  pose.onnx          MoveNet's layout (input [1, 192, 192, 3] 0..255, output [1, 1, 17, 3] as y, x, score of
                     the letterboxed input): the "front" key points of KEYPOINTS_JSON, or its "side" ones when
                     the input's top-left 8x8 input pixels (the photo's corner, after the letterbox's left pad)
                     are grey (about 100) rather than black: the tests mark which photo is which there.
  segmentation.onnx  MediaPipe selfie's layout (input [1, 256, 256, 3] 0..1, output [1, 256, 256, 1]): the
                     probability sigmoid(40 (grey - 0.5)), so white is the person.
  models.json        the registry's file naming both ("pose", "segmentation").

KEYPOINTS_JSON: {"front": [[y, x, score] x 17], "side": [...], "pad_x": pixels of the letterbox's left pad}
with y and x normalised to the model's input. Made with Debian's python3-torch; nothing is downloaded.
"""
import json
import os
import sys

import torch


class Pose(torch.nn.Module):
    """front + w (side - front), w = sigmoid((grey of one marker pixel - 50) / 2): Gemm, Sigmoid, Slice and
    Reshape only, which OpenCV 4.6's importer reads."""

    def __init__(self, front, side, pad_x):
        super().__init__()
        front = torch.tensor(front, dtype=torch.float32).reshape(-1)
        side = torch.tensor(side, dtype=torch.float32).reshape(-1)
        self.at = (2 * 192 + int(pad_x) + 4) * 3  # the input pixel (row 2, column pad_x + 4), inside the marker
        self.marker = torch.nn.Linear(3, 1)
        self.mix = torch.nn.Linear(1, 17 * 3)
        with torch.no_grad():
            self.marker.weight.fill_(0.5 / 3)
            self.marker.bias.fill_(-25.0)
            self.mix.weight.copy_((side - front).reshape(-1, 1))
            self.mix.bias.copy_(front)

    def forward(self, x):
        w = torch.sigmoid(self.marker(x.reshape(1, 192 * 192 * 3)[:, self.at:self.at + 3]))
        return self.mix(w).reshape(1, 1, 17, 3)


class Selfie(torch.nn.Module):
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
    out, keypoints_file = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(keypoints_file) as f:
        k = json.load(f)
    with torch.no_grad():
        torch.onnx.export(Pose(k["front"], k["side"], k["pad_x"]).eval(), torch.zeros(1, 192, 192, 3),
                          os.path.join(out, "pose.onnx"), input_names=["input"], output_names=["Identity"],
                          opset_version=11)
        torch.onnx.export(Selfie().eval(), torch.zeros(1, 256, 256, 3), os.path.join(out, "segmentation.onnx"),
                          input_names=["input_1"], output_names=["activation_10"], opset_version=11)
    models = [
        {"name": "pose", "version": "test-pose-1", "kind": "onnx", "format": "movenet", "path": "pose.onnx",
         "classes": ["person"], "input_size": [192, 192], "score_threshold": 0.1},
        {"name": "segmentation", "version": "test-seg-1", "kind": "onnx", "format": "selfie",
         "path": "segmentation.onnx", "classes": ["person"], "input_size": [256, 256]},
    ]
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(models, f, indent=2)


if __name__ == "__main__":
    main()
