#!/usr/bin/env python3
r"""Synthetic input files for peers/cs21_peer.py (smoke tests, CI).

Writes lr_eval.json, lr_train.json, cnn.json and fcnn.json into --out-dir, in
the format heml writes: plain JSON lists of floats, PyTorch weight layout
([out][in]). Everything is random (numpy, --seed); nothing is trained.

  * weights: uniform in +-1/sqrt(fan_in), PyTorch's default Linear/Conv2d init
  * LR rows: standard normal features (like standardised Pima columns), labels
    from a random hyperplane with 10 % of them flipped
  * images: 784 pixels in [0, 1], about 80 % zeros (MNIST-like sparsity);
    the FCNN's have --fcnn-dims[0] pixels
  * image labels: the argmax of a float64 evaluation of the random network,
    so an encrypted run that matches the floats scores accuracy 1.0

    python peers/cs21_make_input.py --out-dir /tmp/cs21
    python peers/cs21_peer.py --task cnn --input /tmp/cs21/cnn.json

  Quick smoke test (under 20 s of CPU):

    python peers/cs21_make_input.py --out-dir /tmp/cs21s --images 2 \
        --train-rows 60 --test-rows 40 --fcnn-dims 64,32,16
    for t in lr-eval lr-train cnn fcnn; do
        python peers/cs21_peer.py --task $t --input /tmp/cs21s/${t/-/_}.json \
            --samples 2 > /dev/null || echo "$t failed"; done

  (lr-train with --samples 2 trains on 2 rows; under the tutorial's 21-bit
  context so few rows can make the weights diverge, so check only the exit
  status and the JSON shape there, not the accuracy.)
"""

import argparse
import json
import os

import numpy as np


def uniform(rng, shape, fan_in):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape)


def lr_data(rng, rows, features, hyperplane):
    x = rng.standard_normal((rows, features))
    y = (x @ hyperplane[:-1] + hyperplane[-1] > 0).astype(np.float64)
    flip = rng.random(rows) < 0.1
    y[flip] = 1.0 - y[flip]
    return x, y


def images(rng, count, pixels=784):
    img = rng.random((count, pixels))
    img[rng.random((count, pixels)) < 0.8] = 0.0
    return img


def cnn_logits(m, img):
    side, k, s = 28, 7, 3
    out = (side - k) // s + 1
    conv_w = np.asarray(m["conv_weight"])[:, 0]
    conv_b = np.asarray(m["conv_bias"])
    res = []
    for v in img:
        a = v.reshape(side, side)
        patches = np.stack([a[r * s:r * s + k, c * s:c * s + k]
                            for r in range(out) for c in range(out)])
        h = (np.einsum("pij,kij->kp", patches, conv_w) + conv_b[:, None]).reshape(-1)
        h = (np.asarray(m["fc1_weight"]) @ h ** 2 + m["fc1_bias"]) ** 2
        res.append(np.asarray(m["fc2_weight"]) @ h + m["fc2_bias"])
    return np.asarray(res)


def fcnn_logits(m, img):
    h = img.T
    for j, name in enumerate(("fc1", "fc2", "fc3")):
        h = np.asarray(m[f"{name}_weight"]) @ h + np.asarray(m[f"{name}_bias"])[:, None]
        if j < 2:
            h = h ** 2
    return h.T


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--seed", type=int, default=20211201)
    parser.add_argument("--features", type=int, default=8, help="LR features (Pima: 8)")
    parser.add_argument("--train-rows", type=int, default=537, help="Pima 70 %% of 768")
    parser.add_argument("--test-rows", type=int, default=231)
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--fcnn-dims", default="784,1024,64",
                        help="FCNN input and hidden widths (the paper's "
                             "784,1024,64). TenSEAL's mm costs one rotation per "
                             "input row, so a fast smoke test needs a small "
                             "input too, e.g. 64,32,16 (then the FCNN images "
                             "have 64 pixels)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    f = args.features

    hyperplane = rng.standard_normal(f + 1)
    x_tr, y_tr = lr_data(rng, args.train_rows, f, hyperplane)
    x_te, y_te = lr_data(rng, args.test_rows, f, hyperplane)
    write(os.path.join(args.out_dir, "lr_eval.json"), {
        "weight": uniform(rng, f, f).tolist(),
        "bias": float(uniform(rng, 1, f)[0]),
        "x_test": x_te.tolist(),
        "y_test": y_te.tolist(),
    })
    write(os.path.join(args.out_dir, "lr_train.json"), {
        "x_train": x_tr.tolist(), "y_train": y_tr.tolist(),
        "x_test": x_te.tolist(), "y_test": y_te.tolist(),
        "init_weight": uniform(rng, f, f).tolist(),
        "init_bias": float(uniform(rng, 1, f)[0]),
        "epochs": 5, "learning_rate": 1.0, "regularisation": 0.05,
    })

    cnn = {
        "conv_weight": uniform(rng, (4, 1, 7, 7), 49),
        "conv_bias": uniform(rng, 4, 49),
        "fc1_weight": uniform(rng, (64, 256), 256),
        "fc1_bias": uniform(rng, 64, 256),
        "fc2_weight": uniform(rng, (10, 64), 64),
        "fc2_bias": uniform(rng, 10, 64),
    }
    img = images(rng, args.images)
    labels = cnn_logits(cnn, img).argmax(axis=1)
    cnn = {k: v.tolist() for k, v in cnn.items()}
    cnn.update({"images": img.tolist(), "labels": labels.tolist()})
    write(os.path.join(args.out_dir, "cnn.json"), cnn)

    d0, h1, h2 = (int(v) for v in args.fcnn_dims.split(","))
    fcnn = {
        "fc1_weight": uniform(rng, (h1, d0), d0),
        "fc1_bias": uniform(rng, h1, d0),
        "fc2_weight": uniform(rng, (h2, h1), h1),
        "fc2_bias": uniform(rng, h2, h1),
        "fc3_weight": uniform(rng, (10, h2), h2),
        "fc3_bias": uniform(rng, 10, h2),
    }
    img = images(rng, args.images, d0)
    labels = fcnn_logits(fcnn, img).argmax(axis=1)
    fcnn = {k: v.tolist() for k, v in fcnn.items()}
    fcnn.update({"images": img.tolist(), "labels": labels.tolist()})
    write(os.path.join(args.out_dir, "fcnn.json"), fcnn)


if __name__ == "__main__":
    main()
