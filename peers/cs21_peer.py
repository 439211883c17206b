#!/usr/bin/env python3
"""Peer benchmark for the CS21 experiments (Chen & Song 2021) in TenSEAL.

Chen & Song ran TenSEAL's tutorials. This script re-implements those procedures
with TenSEAL API calls, on one thread (OMP_NUM_THREADS=1, context n_threads=1),
and times each stage so that heml's own CKKS engine can be compared with it in
the same run. It trains nothing in plaintext: heml trains the models (libtorch)
and passes the weights in a JSON file.

Tasks (--task):

  lr-eval   Tutorial 1, "evaluation on encrypted data": enc_x.dot(w) + b per
            test row; the decrypted output goes through the exact sigmoid and
            is correct if |sigmoid(out) - y| < 0.5. The weight and bias are
            encrypted too (as Chen & Song did; the tutorial's
            `EncryptedLR.encrypt`), unless --lr-plain-model is given.
            Context: N=4096, [40, 20, 40], scale 2^20, galois keys.
  lr-train  Tutorial 1, "training on encrypted data": EncryptedLR with
            forward enc_x.dot(enc_w) + enc_b, sigmoid ~ polyval([0.5, 0.197, 0,
            -0.004]), backward accumulating delta_w += enc_x * (out - y) and
            delta_b += out - y, then
                w -= delta_w * (lr / n) + w * (lr * reg)
                b -= delta_b * (lr / n)
            (the tutorial has lr = 1 and reg = 0.05). The client decrypts and
            re-encrypts the model between epochs. Context: N=8192,
            [40, 21, 21, 21, 21, 21, 21, 40], scale 2^21, galois keys.
  cnn       Tutorial 4, "Encrypted Convolution on MNIST": im2col_encoding,
            conv2d_im2col per kernel + bias, pack_vectors, square, mm(fc1) + b,
            square, mm(fc2) + b (depth 6: pack_vectors masks, so it rescales).
            Context: N=8192, [31, 26 x 6, 31], scale 2^26, galois keys.
  fcnn      784-1024-64-10 with square activations, evaluated with mm on an
            encrypted image: mm(fc1) + b, square, mm(fc2) + b, square,
            mm(fc3) + b. Same context as the CNN (depth 5 of the 6 levels).

Input (--input, one JSON object; numbers as plain lists, PyTorch layout
weight[out][in]):

  lr-eval   weight [F], bias (number or [1]), x_test [R][F], y_test [R] (0/1)
  lr-train  x_train [R][F], y_train [R], x_test [T][F], y_test [T],
            init_weight [F], init_bias, epochs (5), learning_rate (1.0),
            regularisation (0.05), sigmoid_coeffs (optional, increasing powers)
  cnn       conv_weight [C][1][k][k], conv_bias [C], conv_stride (optional, 3),
            fc1_weight [H][C*o*o], fc1_bias [H], fc2_weight [10][H], fc2_bias,
            images [S][side*side] (pixels as the model was trained on, e.g.
            ToTensor's [0, 1]), labels [S]
  fcnn      fc1_weight [1024][784], fc1_bias, fc2_weight [64][1024], fc2_bias,
            fc3_weight [10][64], fc3_bias, images [S][784], labels [S]

Every timed stage is reported as the median, minimum and mean wall-clock
seconds and the median process CPU seconds over all timed runs (per sample and
per repeat). Errors are the maximum absolute difference between the decrypted
values and a float64 numpy evaluation of the same weights.

    python peers/cs21_peer.py --task cnn --input cnn.json --samples 10
    python peers/cs21_make_input.py --out-dir /tmp/cs21   # synthetic inputs

Prints exactly one JSON object on stdout (see --help for the options).
"""

import argparse
import contextlib
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import tenseal as ts  # noqa: E402

# Tutorial 1's degree-3 sigmoid, increasing powers (TenSEAL's polyval order).
SIGMOID3 = [0.5, 0.197, 0.0, -0.004]

# The tutorial contexts; "depth" is the number of rescalings the task needs.
TUTORIAL_PARAMS = {
    "lr-eval": {
        "n": 4096, "bits": [40, 20, 40], "log2_scale": 20, "depth": 1,
        "source": "TenSEAL Tutorial 1, evaluation context (ctx_eval)",
    },
    "lr-train": {
        "n": 8192, "bits": [40, 21, 21, 21, 21, 21, 21, 40], "log2_scale": 21,
        "depth": 6,
        "source": "TenSEAL Tutorial 1, training context (ctx_training)",
    },
    "cnn": {
        "n": 8192, "bits": [31, 26, 26, 26, 26, 26, 26, 31], "log2_scale": 26,
        "depth": 6,
        "source": "TenSEAL Tutorial 4 (Encrypted Convolution on MNIST)",
    },
    "fcnn": {
        "n": 8192, "bits": [31, 26, 26, 26, 26, 26, 26, 31], "log2_scale": 26,
        "depth": 5,
        "source": "TenSEAL Tutorial 4's context, reused for the FCNN",
    },
}

DEFAULT_SAMPLES = {"lr-eval": None, "lr-train": None, "cnn": 10, "fcnn": 2}


# --------------------------------------------------------------------------
# timing and bookkeeping


class Stopwatch:
    """Collects wall-clock and process CPU seconds per named stage."""

    def __init__(self):
        self.wall = {}
        self.cpu = {}

    @contextlib.contextmanager
    def stage(self, name):
        t0, c0 = time.perf_counter(), time.process_time()
        yield
        self.cpu.setdefault(name, []).append(time.process_time() - c0)
        self.wall.setdefault(name, []).append(time.perf_counter() - t0)

    def summary(self):
        return {name: stats(self.wall[name], self.cpu[name]) for name in self.wall}


def stats(wall, cpu):
    return {
        "median": statistics.median(wall),
        "min": min(wall),
        "mean": statistics.fmean(wall),
        "cpu_median": statistics.median(cpu),
        "count": len(wall),
    }


def chain_index(ctx, vec):
    """SEAL chain index of a CKKSVector's (first) ciphertext."""
    sctx = ctx.seal_context().data
    return sctx.get_context_data(vec.ciphertext()[0].parms_id()).chain_index()


def level_report(ctx, params, fresh, final):
    """Levels used by the computation and the magnitude bound at decryption.

    `fresh` is a freshly encrypted vector or its chain index. At chain index c
    the ciphertext modulus is the product of the first c + 1 primes; a
    decrypted value must satisfy |v| * scale < q / 2.
    """
    top = fresh if isinstance(fresh, int) else chain_index(ctx, fresh)
    end = chain_index(ctx, final)
    log2_q = sum(params["bits"][: end + 1])
    log2_scale = math.log2(final.ciphertext()[0].scale)
    return {
        "fresh_chain_index": top,
        "final_chain_index": end,
        "levels_used": top - end,
        "final_log2_scale": log2_scale,
        "decrypt_abs_bound": 2.0 ** (log2_q - log2_scale - 1),
    }


def prime_info(params, notes):
    """The primes SEAL picks and what TenSEAL's rescale does to a value.

    TenSEAL's auto-rescale (EncryptedTensor::auto_rescale) divides by the
    dropped prime q and then sets the ciphertext's scale back to the global
    scale 2^s, so every rescale multiplies the encrypted value by 2^s / q.
    """
    from tenseal import sealapi

    primes = [m.value() for m in
              sealapi.CoeffModulus.Create(params["n"], params["bits"])]
    factors = [2.0 ** params["log2_scale"] / q for q in reversed(primes[1:-1])]
    worst = max((abs(f - 1.0) for f in factors), default=0.0)
    if worst > 0.01:
        notes.append(
            f"SEAL's {params['bits'][1]}-bit primes for N={params['n']} are "
            f"{primes[1:-1]}; TenSEAL's auto-rescale divides by the dropped "
            f"prime q but resets the scale to 2^{params['log2_scale']}, so each "
            "rescale multiplies the encrypted value by 2^s/q (factors in "
            f"params.rescale_value_factors: up to {1 + worst:.3f}). This is "
            "TenSEAL's behaviour with the tutorial's parameters and is part of "
            "the errors reported here.")
    return primes, factors


def make_context(params):
    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=params["n"],
                     coeff_mod_bit_sizes=params["bits"], n_threads=1)
    ctx.global_scale = 2.0 ** params["log2_scale"]
    ctx.generate_galois_keys()
    return ctx


def timed_context(sw, params, repeats):
    ctx = None
    for _ in range(repeats):
        with sw.stage("context_keygen"):
            ctx = make_context(params)
    return ctx


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(z, dtype=np.float64), -500, 500)))


def choose_params(task, args):
    base = TUTORIAL_PARAMS[task]
    params = dict(base)
    overridden = []
    if args.n is not None:
        params["n"] = args.n
        overridden.append("n")
    if args.bits is not None:
        params["bits"] = [int(b) for b in args.bits.split(",")]
        overridden.append("bits")
    if args.log2_scale is not None:
        params["log2_scale"] = args.log2_scale
        overridden.append("log2_scale")
    params["levels_available"] = len(params["bits"]) - 2
    params["overridden"] = overridden
    if params["levels_available"] < params["depth"]:
        raise ValueError(
            f"{task} needs {params['depth']} rescalings but coeff_mod_bit_sizes "
            f"{params['bits']} give only {params['levels_available']}")
    return params


# --------------------------------------------------------------------------
# tasks


def run_lr_eval(inp, args, params, out, notes):
    w = [float(v) for v in np.asarray(inp["weight"], dtype=np.float64).reshape(-1)]
    b = [float(v) for v in np.asarray(inp["bias"], dtype=np.float64).reshape(-1)][:1]
    x = np.asarray(inp["x_test"], dtype=np.float64)
    y = np.asarray(inp["y_test"], dtype=np.float64).reshape(-1)
    s = len(x) if args.samples is None else min(args.samples, len(x))
    x, y = x[:s], y[:s]
    rows = x.tolist()
    encrypted_model = not args.lr_plain_model

    sw = Stopwatch()
    ctx = timed_context(sw, params, args.repeats)
    model_w, model_b = w, b
    if encrypted_model:
        for _ in range(args.repeats):
            with sw.stage("encrypt_model"):
                model_w = ts.ckks_vector(ctx, w)
                model_b = ts.ckks_vector(ctx, b)

    outputs = []
    enc_set_time = 0.0
    levels = None
    for i, row in enumerate(rows):
        for rep in range(args.repeats):
            with sw.stage("total_per_row"):
                with sw.stage("encrypt"):
                    enc_x = ts.ckks_vector(ctx, row)
                with sw.stage("eval"):
                    enc_out = enc_x.dot(model_w) + model_b
                with sw.stage("decrypt"):
                    value = enc_out.decrypt()[0]
            if rep == 0:
                enc_set_time += sw.wall["encrypt"][-1]
                outputs.append(value)
        if i == 0:
            levels = level_report(ctx, params, enc_x, enc_out)
            out["ciphertext_bytes"] = {
                "input_row": len(enc_x.serialize()),
                "output": len(enc_out.serialize()),
            }
            if encrypted_model:
                out["ciphertext_bytes"]["model"] = (
                    len(model_w.serialize()) + len(model_b.serialize()))

    outputs = np.asarray(outputs)
    reference = x @ np.asarray(w) + b[0]
    correct = np.abs(sigmoid(outputs) - y) < 0.5
    ref_correct = np.abs(sigmoid(reference) - y) < 0.5
    out.update({
        "encrypted_model": encrypted_model,
        "features": len(w),
        "timings_s": sw.summary(),
        "encrypt_test_set_s": enc_set_time,
        "levels": levels,
        "accuracy": float(correct.mean()),
        "correct": int(correct.sum()),
        "accuracy_float_reference": float(ref_correct.mean()),
        "prediction_agreement_with_reference": float(
            ((outputs >= 0) == (reference >= 0)).mean()),
        "outputs_max_abs_diff": float(np.max(np.abs(outputs - reference))),
        "outputs_mean_diff": float(np.mean(outputs - reference)),
        "outputs_diff_sd": float(np.std(outputs - reference)),
        "outputs": outputs.tolist(),
    })
    notes.append(
        "lr-eval: forward is enc_x.dot(w) + b on one encrypted row; the sigmoid "
        "is applied after decryption (Tutorial 1). "
        + ("Weight and bias are encrypted CKKS vectors (ct x ct dot), as in "
           "Chen & Song's 'encrypted weights and bias'."
           if encrypted_model else
           "Weight and bias are plain (the tutorial's default)."))
    notes.append(
        "At the tutorial's 20/21-bit scales the rotations inside dot/sum add "
        "an offset of a few tenths that is nearly constant for a given key set "
        "(outputs_mean_diff; outputs_diff_sd is the row-to-row part); it "
        "vanishes at scale 2^40 (e.g. N=8192, 60,40,40,60).")
    notes.append(
        "lr-eval context is Tutorial 1's ctx_eval (N=4096); the paper gives "
        "N=8192 only for training and the neural networks. Pass --n 8192 "
        "--bits 40,21,21,21,21,21,21,40 --log2-scale 21 to run it there.")


class EncryptedLR:
    """Tutorial 1's EncryptedLR, with the learning rate folded into the scalars."""

    def __init__(self, weight, bias, coeffs, lr, reg):
        self.weight = list(weight)
        self.bias = list(bias)
        self.coeffs = coeffs
        self.lr = lr
        self.reg = reg
        self._delta_w = 0
        self._delta_b = 0
        self._count = 0

    def forward(self, enc_x):
        enc_out = enc_x.dot(self.weight) + self.bias
        return enc_out.polyval(self.coeffs)

    def backward(self, enc_x, enc_out, enc_y):
        out_minus_y = enc_out - enc_y
        self._delta_w += enc_x * out_minus_y
        self._delta_b += out_minus_y
        self._count += 1

    def update_parameters(self):
        if self._count == 0:
            raise RuntimeError("update_parameters before any forward pass")
        step = self.lr / self._count
        self.weight -= self._delta_w * step + self.weight * (self.lr * self.reg)
        self.bias -= self._delta_b * step
        self._delta_w = 0
        self._delta_b = 0
        self._count = 0

    def encrypt(self, ctx):
        self.weight = ts.ckks_vector(ctx, self.weight)
        self.bias = ts.ckks_vector(ctx, self.bias)

    def decrypt(self):
        self.weight = self.weight.decrypt()
        self.bias = self.bias.decrypt()


def reference_training(x, y, w, b, epochs, lr, reg, coeffs):
    """float64 mirror of the encrypted procedure (same polynomial sigmoid)."""
    poly = np.polynomial.polynomial.polyval
    ws, bs, zmax = [], [], []
    n = len(x)
    for _ in range(epochs):
        z = x @ w + b
        zmax.append(float(np.max(np.abs(z))))
        d = poly(z, coeffs) - y
        w = w - ((d[:, None] * x).sum(axis=0) * (lr / n) + w * (lr * reg))
        b = b - d.sum() * (lr / n)
        ws.append(w)
        bs.append(b)
    return ws, bs, zmax


def lr_accuracy(x, y, w, b):
    return float((np.abs(sigmoid(x @ w + b) - y) < 0.5).mean())


def run_lr_train(inp, args, params, out, notes):
    x_tr = np.asarray(inp["x_train"], dtype=np.float64)
    y_tr = np.asarray(inp["y_train"], dtype=np.float64).reshape(-1)
    x_te = np.asarray(inp["x_test"], dtype=np.float64)
    y_te = np.asarray(inp["y_test"], dtype=np.float64).reshape(-1)
    s = len(x_tr) if args.samples is None else min(args.samples, len(x_tr))
    x_tr, y_tr = x_tr[:s], y_tr[:s]
    w0 = np.asarray(inp["init_weight"], dtype=np.float64).reshape(-1)
    b0 = float(np.asarray(inp["init_bias"], dtype=np.float64).reshape(-1)[0])
    epochs = int(inp.get("epochs", 5))
    lr = float(inp.get("learning_rate", 1.0))
    reg = float(inp.get("regularisation", 0.05))
    coeffs = [float(c) for c in inp.get("sigmoid_coeffs", SIGMOID3)]
    rows = x_tr.tolist()
    labels = [[float(v)] for v in y_tr]

    sw = Stopwatch()
    ctx = timed_context(sw, params, args.repeats)

    runs = []
    levels = None
    for rep in range(args.repeats):
        with sw.stage("encrypt_training_set"):
            enc_x = [ts.ckks_vector(ctx, r) for r in rows]
            enc_y = [ts.ckks_vector(ctx, v) for v in labels]
        if rep == 0:
            out["ciphertext_bytes"] = {
                "training_row_x": len(enc_x[0].serialize()),
                "training_row_y": len(enc_y[0].serialize()),
            }
        model = EncryptedLR(w0.tolist(), [b0], coeffs, lr, reg)
        accs = [lr_accuracy(x_te, y_te, w0, b0)]
        weights, biases, trips = [], [], []
        for epoch in range(epochs):
            # client: encrypt the (decrypted) model and send it to the server
            with sw.stage("model_encrypt"):
                model.encrypt(ctx)
            up = len(model.weight.serialize()) + len(model.bias.serialize())
            fresh = chain_index(ctx, model.weight)  # the update works in place
            with sw.stage("epoch"):
                for ex, ey in zip(enc_x, enc_y):
                    enc_out = model.forward(ex)
                    model.backward(ex, enc_out, ey)
                model.update_parameters()
            if levels is None:
                levels = level_report(ctx, params, fresh, model.weight)
            down = len(model.weight.serialize()) + len(model.bias.serialize())
            trips.append({"client_to_server": up, "server_to_client": down})
            # client: decrypt the updated model
            with sw.stage("model_decrypt"):
                model.decrypt()
            w = np.asarray(model.weight, dtype=np.float64)
            b = float(model.bias[0])
            weights.append(w)
            biases.append(b)
            accs.append(lr_accuracy(x_te, y_te, w, b))
        runs.append({"accuracy": accs, "weights": weights, "biases": biases,
                     "bytes": trips})
        del enc_x, enc_y

    ref_w, ref_b, zmax = reference_training(x_tr, y_tr, w0, b0, epochs, lr, reg,
                                            coeffs)
    last = runs[-1]
    diffs = [max(float(np.max(np.abs(w - rw))), abs(b - rb))
             for w, b, rw, rb in zip(last["weights"], last["biases"], ref_w, ref_b)]
    ref_acc = [lr_accuracy(x_te, y_te, w0, b0)] + [
        lr_accuracy(x_te, y_te, rw, rb) for rw, rb in zip(ref_w, ref_b)]
    timings = sw.summary()
    trip_bytes = last["bytes"]
    out.update({
        "training_rows": s,
        "test_rows": len(x_te),
        "features": len(w0),
        "epochs": epochs,
        "learning_rate": lr,
        "regularisation": reg,
        "sigmoid_coeffs": coeffs,
        "update_rule": "w -= delta_w * (lr / n) + w * (lr * reg); "
                       "b -= delta_b * (lr / n); delta_* summed over the n rows",
        "timings_s": timings,
        "encrypt_training_set_per_row_s":
            timings["encrypt_training_set"]["median"] / max(1, s),
        "epoch_times_s": sw.wall["epoch"],
        "levels": levels,
        "model_encryptions": epochs,
        "model_decryptions": epochs,
        "client_round_trips": max(0, epochs - 1),
        "bytes_per_round_trip": {
            "client_to_server": trip_bytes[-1]["client_to_server"],
            "server_to_client": trip_bytes[-1]["server_to_client"],
            "total": trip_bytes[-1]["client_to_server"]
            + trip_bytes[-1]["server_to_client"],
        },
        "bytes_per_epoch": trip_bytes,
        "accuracy_per_epoch": last["accuracy"],
        "accuracy": last["accuracy"][-1],
        "accuracy_per_epoch_all_repeats": [r["accuracy"] for r in runs],
        "reference_accuracy_per_epoch": ref_acc,
        "model_max_abs_diff_per_epoch": diffs,
        "reference_max_abs_linear_output_per_epoch": zmax,
        "final_weight": last["weights"][-1].tolist() if epochs else w0.tolist(),
        "final_bias": last["biases"][-1] if epochs else b0,
    })
    notes.append(
        "lr-train follows Tutorial 1: the training rows and labels are "
        "encrypted once (x as an n-vector, y as a 1-vector); each epoch the "
        "client encrypts the model, the server runs forward/backward over all "
        "rows and updates, the client decrypts. So `epochs` encryptions and "
        "decryptions of the model, of which epochs - 1 are round trips "
        "between epochs (decrypt + re-encrypt, resetting the depth); "
        "bytes_per_round_trip counts serialize() of weight + bias each way.")
    notes.append(
        "Accuracy after each epoch (index 0 = initial weights) uses the "
        "decrypted weights with the exact sigmoid on the plain test set, as "
        "the tutorial's plain_accuracy. reference_* is a float64 mirror of "
        "the same encrypted procedure (same polynomial sigmoid and update), "
        "computed only to report the CKKS error; it is not a plain baseline. "
        "The tutorial's 21-bit context is far from it (rescale factors and "
        "rotation offsets, see params and the other notes) and diverges on "
        "small training sets; with --n 16384 --bits 60,40,40,40,40,40,40,60 "
        "--log2-scale 40 the same code tracks the mirror to ~1e-5.")
    if coeffs == SIGMOID3:
        notes.append(
            "Sigmoid: Tutorial 1's 0.5 + 0.197x - 0.004x^3. Chen & Song's text "
            "prints -0.0004x^3, most likely a typo for the tutorial's "
            "coefficient; pass \"sigmoid_coeffs\" in the input to change it.")
    if max(zmax, default=0.0) > 5.0:
        notes.append(
            "WARNING: |w.x + b| exceeds 5 in the float mirror, outside the "
            "range [-5, 5] where the cubic approximates the sigmoid.")


def pipeline_report(sw, logits, reference, labels, out, levels):
    logits = np.asarray(logits)
    reference = np.asarray(reference)
    labels = np.asarray(labels, dtype=np.int64)
    pred = logits.argmax(axis=1)
    ref_pred = reference.argmax(axis=1)
    diffs = np.max(np.abs(logits - reference), axis=1)
    out.update({
        "timings_s": sw.summary(),
        "levels": levels,
        "accuracy": float((pred == labels).mean()),
        "correct": int((pred == labels).sum()),
        "accuracy_float_reference": float((ref_pred == labels).mean()),
        "prediction_agreement_with_reference": float((pred == ref_pred).mean()),
        "logits_max_abs_diff": float(diffs.max()),
        "logits_max_abs_diff_per_sample": diffs.tolist(),
        "reference_max_abs_logit": float(np.max(np.abs(reference))),
        "predictions": pred.tolist(),
        "labels": labels.tolist(),
        "logits": logits.tolist(),
    })


def load_images(inp, s):
    images = np.asarray(inp["images"], dtype=np.float64)
    labels = np.asarray(inp["labels"]).reshape(-1).astype(np.int64)
    if s is not None:
        images, labels = images[:s], labels[:s]
    return images, labels


def linear(inp, name):
    weight = np.asarray(inp[f"{name}_weight"], dtype=np.float64)  # [out][in]
    bias = np.asarray(inp[f"{name}_bias"], dtype=np.float64).reshape(-1)
    return weight, bias


def run_cnn(inp, args, params, out, notes):
    conv_w = np.asarray(inp["conv_weight"], dtype=np.float64)
    if conv_w.ndim == 4:
        if conv_w.shape[1] != 1:
            raise ValueError("conv_weight must have one input channel")
        conv_w = conv_w[:, 0]
    conv_b = np.asarray(inp["conv_bias"], dtype=np.float64).reshape(-1)
    stride = int(inp.get("conv_stride", 3))
    channels, kh, kw = conv_w.shape
    fc1_w, fc1_b = linear(inp, "fc1")
    fc2_w, fc2_b = linear(inp, "fc2")
    images, labels = load_images(inp, args.samples)
    side = int(round(math.sqrt(images.shape[1])))
    if side * side != images.shape[1]:
        raise ValueError("images must be square")
    out_h = (side - kh) // stride + 1
    out_w = (side - kw) // stride + 1
    if channels * out_h * out_w != fc1_w.shape[1]:
        raise ValueError(f"conv output {channels}x{out_h}x{out_w} does not match "
                         f"fc1 input {fc1_w.shape[1]}")

    # tutorial layout: kernels [C][kh][kw], fc weights transposed to [in][out]
    kernels = conv_w.tolist()
    cbias = conv_b.tolist()
    fc1_t, fc1_bl = fc1_w.T.tolist(), fc1_b.tolist()
    fc2_t, fc2_bl = fc2_w.T.tolist(), fc2_b.tolist()

    sw = Stopwatch()
    ctx = timed_context(sw, params, args.repeats)
    logits = []
    levels = None
    for i, img in enumerate(images):
        matrix = img.reshape(side, side).tolist()
        for rep in range(args.repeats):
            with sw.stage("total_per_image"):
                with sw.stage("encrypt"):
                    enc_x, windows_nb = ts.im2col_encoding(ctx, matrix, kh, kw, stride)
                with sw.stage("conv"):
                    chans = [enc_x.conv2d_im2col(k, windows_nb) + bb
                             for k, bb in zip(kernels, cbias)]
                with sw.stage("pack"):
                    enc = ts.CKKSVector.pack_vectors(chans)
                with sw.stage("square1"):
                    enc.square_()
                with sw.stage("fc1"):
                    enc = enc.mm(fc1_t) + fc1_bl
                with sw.stage("square2"):
                    enc.square_()
                with sw.stage("fc2"):
                    enc = enc.mm(fc2_t) + fc2_bl
                with sw.stage("decrypt"):
                    result = enc.decrypt()
            if rep == 0:
                logits.append(result)
        if i == 0:
            levels = level_report(ctx, params, enc_x, enc)
            out["ciphertext_bytes"] = {"input_image": len(enc_x.serialize()),
                                       "output": len(enc.serialize())}

    # float64 reference with PyTorch semantics (row-major windows, C-major flatten)
    reference = []
    for img in images:
        m = img.reshape(side, side)
        patches = np.stack([m[r * stride:r * stride + kh, c * stride:c * stride + kw]
                            for r in range(out_h) for c in range(out_w)])
        conv = np.einsum("pij,kij->kp", patches, conv_w) + conv_b[:, None]
        h = conv.reshape(-1) ** 2
        h = (fc1_w @ h + fc1_b) ** 2
        reference.append(fc2_w @ h + fc2_b)
    pipeline_report(sw, logits, reference, labels, out, levels)
    out.update({"samples": len(images), "conv_stride": stride,
                "conv_kernel": [channels, kh, kw], "windows_nb": windows_nb})
    check_headroom(out, notes)
    notes.append(
        "cnn follows Tutorial 4: 'conv' is the channels' conv2d_im2col + bias, "
        "'pack' is CKKSVector.pack_vectors, fc layers are mm with the PyTorch "
        "weight transposed to [in][out] (passed as lists, so TenSEAL's "
        "list->PlainTensor conversion is inside the fc timings, as in the "
        "tutorial). The paper's Conv2D stage corresponds to conv + pack. "
        "Depth 6 = all the levels: conv2d_im2col, pack_vectors (it masks), "
        "square, mm, square, mm each rescale once, so the logits are decrypted "
        "at the 31-bit prime alone and must stay below "
        "levels.decrypt_abs_bound (16) in magnitude.")


def run_fcnn(inp, args, params, out, notes):
    layers = [linear(inp, name) for name in ("fc1", "fc2", "fc3")]
    images, labels = load_images(inp, args.samples)
    if images.shape[1] != layers[0][0].shape[1]:
        raise ValueError("image size does not match fc1 input")
    plain = [(w.T.tolist(), b.tolist()) for w, b in layers]

    sw = Stopwatch()
    ctx = timed_context(sw, params, args.repeats)
    logits = []
    levels = None
    for i, img in enumerate(images):
        vec = img.tolist()
        for rep in range(args.repeats):
            with sw.stage("total_per_image"):
                with sw.stage("encrypt"):
                    enc_x = ts.ckks_vector(ctx, vec)
                with sw.stage("fc1"):
                    enc = enc_x.mm(plain[0][0]) + plain[0][1]
                with sw.stage("square1"):
                    enc.square_()
                with sw.stage("fc2"):
                    enc = enc.mm(plain[1][0]) + plain[1][1]
                with sw.stage("square2"):
                    enc.square_()
                with sw.stage("fc3"):
                    enc = enc.mm(plain[2][0]) + plain[2][1]
                with sw.stage("decrypt"):
                    result = enc.decrypt()
            if rep == 0:
                logits.append(result)
        if i == 0:
            levels = level_report(ctx, params, enc_x, enc)
            out["ciphertext_bytes"] = {"input_image": len(enc_x.serialize()),
                                       "output": len(enc.serialize())}

    reference = []
    for img in images:
        h = img
        for j, (w, b) in enumerate(layers):
            h = w @ h + b
            if j < 2:
                h = h ** 2
        reference.append(h)
    pipeline_report(sw, logits, reference, labels, out, levels)
    out.update({"samples": len(images),
                "layer_shapes": [list(w.T.shape) for w, _ in layers]})
    check_headroom(out, notes)
    notes.append(
        "fcnn: N=8192 with Tutorial 4's [31, 26 x 6, 31] holds the depth: "
        "mm, square, mm, square, mm rescale 5 times and the chain has 6 "
        "levels below the special prime (see 'levels'), so no N=16384 "
        "context is needed; this matches the paper's N=8192. mm is TenSEAL's "
        "diagonal vector-matrix product on the replicated 784-vector "
        "(4096 slots), one rotation per matrix row; weights are passed as "
        "[in][out] lists as in the tutorial (TenSEAL's list->PlainTensor "
        "conversion, ~0.06 s for fc1, is inside the fc timings).")


def check_headroom(out, notes):
    levels = out.get("levels") or {}
    bound = levels.get("decrypt_abs_bound")
    biggest = out.get("reference_max_abs_logit")
    if bound is not None and biggest is not None and biggest > 0.5 * bound:
        notes.append(
            f"WARNING: the largest float logit ({biggest:.3g}) is near or above "
            f"the decryptable magnitude at the final level ({bound:.3g}); "
            "decrypted logits may wrap around.")


TASKS = {"lr-eval": run_lr_eval, "lr-train": run_lr_train,
         "cnn": run_cnn, "fcnn": run_fcnn}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--input", required=True, help="JSON file written by heml")
    parser.add_argument("--repeats", type=int, default=1,
                        help="times each per-sample pipeline (and the context "
                             "keygen, and for lr-train the whole training) runs")
    parser.add_argument("--samples", type=int, default=None,
                        help="images (cnn: 10, fcnn: 2 by default), test rows "
                             "(lr-eval: all) or training rows (lr-train: all)")
    parser.add_argument("--lr-plain-model", action="store_true",
                        help="lr-eval: keep weight and bias in plaintext "
                             "(the tutorial's default) instead of encrypting them")
    parser.add_argument("--n", type=int, default=None,
                        help="override the tutorial's poly_modulus_degree")
    parser.add_argument("--bits", default=None,
                        help="override coeff_mod_bit_sizes, comma-separated")
    parser.add_argument("--log2-scale", type=int, default=None,
                        help="override the global scale exponent")
    args = parser.parse_args()
    args.repeats = max(1, args.repeats)
    if args.samples is None:
        args.samples = DEFAULT_SAMPLES[args.task]

    with open(args.input, "rb") as f:
        raw = f.read()
    inp = json.loads(raw)
    notes = []
    out = {
        "peer": "cs21",
        "task": args.task,
        "library": "tenseal",
        "tenseal_version": ts.__version__,
        "numpy_version": np.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "threads": 1,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "repeats": args.repeats,
        "input": os.path.abspath(args.input),
        "input_sha256": hashlib.sha256(raw).hexdigest(),
    }
    status = 0
    try:
        params = choose_params(args.task, args)
        out["params"] = {
            "scheme": "CKKS",
            "poly_modulus_degree": params["n"],
            "coeff_mod_bit_sizes": params["bits"],
            "log2_scale": params["log2_scale"],
            "slots": params["n"] // 2,
            "galois_keys": True,
            "relin_keys": True,
            "auto_relin_rescale_mod_switch": True,
            "depth_required": params["depth"],
            "levels_available": params["levels_available"],
            "source": params["source"],
            "overridden": params["overridden"],
        }
        primes, factors = prime_info(params, notes)
        out["params"]["coeff_modulus_primes"] = primes
        out["params"]["rescale_value_factors"] = factors
        TASKS[args.task](inp, args, params, out, notes)
    except Exception as exc:  # reported in the JSON, non-zero exit
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
        status = 1
    out["notes"] = notes
    print(json.dumps(out, sort_keys=True))
    sys.exit(status)


if __name__ == "__main__":
    main()
