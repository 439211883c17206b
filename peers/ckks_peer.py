#!/usr/bin/env python3
"""Peer measurement for heml's CKKS engine: TenSEAL (Microsoft SEAL underneath).

Times, on one thread (context n_threads=1) and at one parameter set, the
operations that `heml peers ckks` times in heml, so that the two can be
compared as ratios:

  * encrypt            ts.ckks_vector(ctx, v), v of N/2 values in [-1, 1]
  * decrypt            enc.decrypt()
  * add                enc + enc
  * mul_plain          enc * plain vector (rescaled: TenSEAL's auto mode)
  * mul                enc * enc, relinearised and rescaled (auto mode)
  * rotate_1           a left rotation by one slot of the underlying
                       ciphertext (SEAL's rotate_vector through TenSEAL's
                       evaluator; needs galois keys)
  * dot_4096           enc.dot(enc) of two encrypted 4096-vectors
  * mm_784x1024, mm_1024x64, mm_64x10
                       enc_vec.mm(plain_matrix): vector-matrix products
  * polyval_sigmoid3   enc.polyval([0.5, 0.197, 0, -0.004]), the degree-3
                       sigmoid of Chen & Song

Prints exactly one JSON object on stdout: for each operation the median and
minimum wall-clock time and the median process CPU time in seconds, and the
maximum absolute error against plain float arithmetic.

    pip install tenseal==0.3.18
    python peers/ckks_peer.py --n 8192 --bits 60,40,40,60 --log2-scale 40
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import tenseal as ts  # noqa: E402

SIGMOID3 = [0.5, 0.197, 0.0, -0.004]


def timed(fn, repeats):
    wall, cpu = [], []
    result = None
    for _ in range(max(1, repeats)):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return {
        "median": statistics.median(wall),
        "min": min(wall),
        "cpu_median": statistics.median(cpu),
        "repeats": len(wall),
    }, result


def rotate_one(ctx, vec, repeats, slots):
    """Times SEAL's rotate_vector by one slot; returns (stats, decrypted result)."""
    import tempfile

    from tenseal import sealapi

    sctx = ctx.seal_context().data
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, n) for n in ("ct", "gk", "sk")]
        vec.ciphertext()[0].save(paths[0])
        ctx.galois_keys().data.save(paths[1])
        ctx.secret_key().data.save(paths[2])
        ct, gk, sk = sealapi.Ciphertext(), sealapi.GaloisKeys(), sealapi.SecretKey()
        ct.load(sctx, paths[0])
        gk.load(sctx, paths[1])
        sk.load(sctx, paths[2])
    evaluator = sealapi.Evaluator(sctx)
    out = sealapi.Ciphertext()
    st, _ = timed(lambda: evaluator.rotate_vector(ct, 1, gk, out), repeats)
    pt = sealapi.Plaintext()
    sealapi.Decryptor(sctx, sk).decrypt(out, pt)
    values = sealapi.CKKSEncoder(sctx).decode_double(pt)
    return st, list(values)[:slots]


def max_err(got, want):
    return max(abs(a - b) for a, b in zip(got, want))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8192)
    parser.add_argument("--bits", default="60,40,40,60")
    parser.add_argument("--log2-scale", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--heavy-repeats", type=int, default=1,
                        help="repeats of the vector-matrix products")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    bits = [int(b) for b in args.bits.split(",")]
    rng = random.Random(args.seed)
    slots = args.n // 2

    out = {
        "library": "tenseal",
        "tenseal_version": ts.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "poly_modulus_degree": args.n,
        "coeff_mod_bit_sizes": bits,
        "log2_scale": args.log2_scale,
        "threads": 1,
        "repeats": args.repeats,
        "heavy_repeats": args.heavy_repeats,
    }

    t0 = time.perf_counter()
    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=args.n,
                     coeff_mod_bit_sizes=bits, n_threads=1)
    ctx.global_scale = 2.0 ** args.log2_scale
    ctx.generate_galois_keys()
    out["keygen_s"] = {"median": time.perf_counter() - t0}

    x = [rng.uniform(-1, 1) for _ in range(slots)]
    y = [rng.uniform(-1, 1) for _ in range(slots)]
    r = args.repeats

    st, ex = timed(lambda: ts.ckks_vector(ctx, x), r)
    out["encrypt_s"] = st
    ey = ts.ckks_vector(ctx, y)
    st, dec = timed(lambda: ex.decrypt(), r)
    out["decrypt_s"] = st
    out["decrypt_max_error"] = max_err(dec, x)

    st, res = timed(lambda: ex + ey, r)
    out["add_s"] = st
    out["add_max_error"] = max_err(res.decrypt(), [a + b for a, b in zip(x, y)])

    st, res = timed(lambda: ex * y, r)
    out["mul_plain_s"] = st
    out["mul_plain_max_error"] = max_err(res.decrypt(), [a * b for a, b in zip(x, y)])

    st, res = timed(lambda: ex * ey, r)
    out["mul_s"] = st
    out["mul_max_error"] = max_err(res.decrypt(), [a * b for a, b in zip(x, y)])

    # TenSEAL has no public rotation of a CKKSVector (its sum, dot and mm call
    # SEAL's rotate_vector inside): time that call through TenSEAL's bundled
    # SEAL bindings on the same context, ciphertext and galois keys.
    rot = rotate_one(ctx, ex, r, slots)
    out["rotate_1_s"], out["rotate_1_max_error"] = rot[0], max_err(rot[1], x[1:] + x[:1])
    out["rotate_1_via"] = "tenseal.sealapi.Evaluator.rotate_vector(ct, 1, galois_keys)"

    a = x[:4096]
    b = y[:4096]
    ea = ts.ckks_vector(ctx, a)
    eb = ts.ckks_vector(ctx, b)
    st, res = timed(lambda: ea.dot(eb), r)
    out["dot_4096_s"] = st
    out["dot_4096_max_error"] = abs(res.decrypt()[0] - sum(p * q for p, q in zip(a, b)))

    for rows, cols in [(784, 1024), (1024, 64), (64, 10)]:
        v = [rng.uniform(0, 1) for _ in range(rows)]
        m = [[rng.uniform(-0.5, 0.5) for _ in range(cols)] for _ in range(rows)]
        ev = ts.ckks_vector(ctx, v)
        st, res = timed(lambda: ev.mm(m), args.heavy_repeats)
        want = [sum(v[i] * m[i][j] for i in range(rows)) for j in range(cols)]
        out[f"mm_{rows}x{cols}_s"] = st
        out[f"mm_{rows}x{cols}_max_error"] = max_err(res.decrypt(), want)

    st, res = timed(lambda: ex.polyval(SIGMOID3), r)
    out["polyval_sigmoid3_s"] = st
    want = [SIGMOID3[0] + SIGMOID3[1] * t + SIGMOID3[3] * t ** 3 for t in x]
    out["polyval_sigmoid3_max_error"] = max_err(res.decrypt(), want)

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
