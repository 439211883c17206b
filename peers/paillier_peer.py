#!/usr/bin/env python3
"""Peer measurement for heml's Paillier engine: python-paillier (phe) + gmpy2.

Times, on one thread and at one key size, the operations that heml's
criterion bench `benches/paillier.rs` measures, so that the two can be
compared as ratios:

  * keygen                      phe.generate_paillier_keypair(n_length=bits)
  * encrypt_one                 public_key.encrypt(x) for one float pixel
  * encrypt_image_784           public_key.encrypt(x) for each of 784 pixels
  * layer_10x784                10 outputs, each sum(w * x) over the 784
                                EncryptedNumbers with float weights in
                                [-0.5, 0.5] (python-paillier's default float
                                encoding, exponent alignment included)
  * decrypt_one                 private_key.decrypt(enc) for one value
  * add_one / mul_scalar_one    enc + enc, enc * float

Prints exactly one JSON object on stdout: for each operation the median and
minimum over the repeats of the wall-clock time and of the process CPU
time, in seconds. Requires `phe` and `gmpy2`:

    pip install phe gmpy2
    python peers/paillier_peer.py --key-bits 2048 --repeats 5
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

# One thread: gmpy2/GMP is single-threaded, but keep BLAS-like libraries
# (none used here) from spreading out if they are ever imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import phe  # noqa: E402
from phe import paillier  # noqa: E402

try:
    import gmpy2  # noqa: E402

    GMPY2_VERSION = gmpy2.version()
except ImportError:  # pragma: no cover - reported in the output
    GMPY2_VERSION = None


def timed(fn, repeats):
    """Run fn() `repeats` times.

    Returns ({"median", "min", "cpu_median", "cpu_min"}, last result):
    wall-clock seconds (time.perf_counter) and this process's CPU seconds
    (time.process_time, robust when other processes share the cores).
    """
    wall, cpu = [], []
    result = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    stats = {
        "median": statistics.median(wall),
        "min": min(wall),
        "cpu_median": statistics.median(cpu),
        "cpu_min": min(cpu),
    }
    return stats, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key-bits", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5,
                        help="repeats of the cheap single-value operations")
    parser.add_argument("--heavy-repeats", type=int, default=1,
                        help="repeats of the image encryption and the layer")
    parser.add_argument("--keygen-repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = {
        "library": "python-paillier",
        "phe_version": getattr(phe, "__version__", None)
        or getattr(getattr(phe, "__about__", None), "__version__", None),
        "gmpy2_version": GMPY2_VERSION,
        "phe_uses_gmpy2": bool(phe.util.HAVE_GMP),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "key_bits": args.key_bits,
        "threads": 1,
        "repeats": args.repeats,
        "heavy_repeats": args.heavy_repeats,
    }

    st, (pub, priv) = timed(
        lambda: paillier.generate_paillier_keypair(n_length=args.key_bits),
        args.keygen_repeats,
    )
    out["keygen_s"] = st

    # Pixels like an MNIST image scaled to [0, 1]: k / 255.
    pixels = [rng.randrange(256) / 255.0 for _ in range(784)]
    weights = [[rng.uniform(-0.5, 0.5) for _ in range(784)] for _ in range(10)]

    st, enc_one = timed(lambda: pub.encrypt(pixels[1]), args.repeats)
    out["encrypt_one_s"] = st

    st, enc_img = timed(lambda: [pub.encrypt(x) for x in pixels],
                             args.heavy_repeats)
    out["encrypt_image_784_s"] = st

    def layer():
        return [sum(w * x for w, x in zip(row, enc_img)) for row in weights]

    st, outputs = timed(layer, args.heavy_repeats)
    out["layer_10x784_s"] = st
    out["layer_output_exponents"] = [o.exponent for o in outputs]

    st, dec = timed(lambda: priv.decrypt(enc_one), args.repeats)
    out["decrypt_one_s"] = st
    assert dec == pixels[1], (dec, pixels[1])

    other = pub.encrypt(pixels[2])
    st, _ = timed(lambda: enc_one + other, args.repeats)
    out["add_one_s"] = st
    st, _ = timed(lambda: enc_one * weights[0][0], args.repeats)
    out["mul_scalar_one_s"] = st

    # Check the layer against plain float arithmetic (decryption not timed).
    max_err = 0.0
    for row, o in zip(weights, outputs):
        plain = sum(w * x for w, x in zip(row, pixels))
        max_err = max(max_err, abs(priv.decrypt(o) - plain))
    out["layer_max_abs_error_vs_float"] = max_err

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
