# heml: `just reproduce` runs every experiment at the papers' sizes,
# `just reproduce quick` the quick profile CI runs, `just test` the tests.

set shell := ["bash", "-euo", "pipefail", "-c"]

root := justfile_directory()
python := `python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])'`
venv := root / ".venv"

# Keep cargo's build outside the clone: later clones on this machine start warm.
export CARGO_TARGET_DIR := env("CARGO_TARGET_DIR", env("HOME") / ".cache/heml/target")
# tch builds against a CPU-only libtorch installed once per machine in a venv
# beside the build cache (never inside a clone: a deleted clone must not
# break the shared build), so every clone shares one torch-sys build; build.rs
# embeds its path as an rpath, so the binaries find libtorch without
# LD_LIBRARY_PATH. The clone's own .venv holds the peer libraries.
heml_cache := env("HEML_CACHE", env("HOME") / ".cache/heml")
torch_venv := heml_cache / "torch-2.13.0"
export LIBTORCH := torch_venv / "lib" / python / "site-packages/torch"

# List the recipes.
default:
    @just --list

# Install PyPI's torch 2.13.0 without its CUDA stack (about 540 MB) into the machine's heml cache, if missing.
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v m4 >/dev/null; then
        # GMP (through rug) is built from source and its configure needs m4.
        if [ "$(id -u)" = 0 ]; then
            (apt-get install -y -qq m4 || (apt-get update -qq && apt-get install -y -qq m4)) >/dev/null
        else
            echo "heml needs m4 to build GMP: install it (e.g. sudo apt-get install m4)" >&2; exit 1
        fi
    fi
    if [ ! -f "$LIBTORCH/lib/libtorch_cpu.so" ]; then
        echo "installing a CPU-only libtorch into {{torch_venv}} (once per machine)"
        python3 -m venv "{{torch_venv}}"
        "{{torch_venv}}/bin/pip" install --quiet --no-deps torch==2.13.0 \
            nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
    fi

# Build heml (one profile for everything: see Cargo.toml).
build: setup
    cargo build --bins

# Run every spec: `just reproduce` (full profile, the papers' sizes, with the peers side by side) or `just reproduce quick`.
reproduce profile="full" *args: setup
    if [ "{{profile}}" = full ]; then just peers-venv; fi
    cargo run --bin heml -- reproduce --profile {{profile}} {{args}}

# The peer libraries (TenSEAL, python-paillier with gmpy2) in the clone's .venv, if missing.
peers-venv:
    [ -x "{{venv}}/bin/pip" ] || python3 -m venv "{{venv}}"
    "{{venv}}/bin/python" -c 'import tenseal, phe, gmpy2' 2>/dev/null || "{{venv}}/bin/pip" install --quiet phe==1.5.0 gmpy2 tenseal==0.3.18

# Run the tests (unit, property, integration and the headless-browser report test).
test *args: setup
    cargo test --lib --bins --tests {{args}}

# Write reports/index.html for a run (default: the newest).
report *args: setup
    cargo run --bin heml -- report {{args}}

# Compare a run (default: the newest) with results/baselines/ (timings only with the baseline of its machine class, else by ratio to the peer in the same run).
check *args: setup
    cargo run --bin heml -- check {{args}}

# Make a run (default: the newest) the baseline of its machine class in results/baselines/.
baseline *args: setup
    cargo run --bin heml -- baseline {{args}}

# Any heml command, e.g. `just heml datasets list`.
heml *args: setup
    cargo run --bin heml -- {{args}}

# criterion benchmarks of the engines' operations.
bench *args: setup
    cargo bench --profile dev {{args}}

# heml against python-paillier (+gmpy2) and TenSEAL in the same run, same parameters: prints ratios.
bench-peers: setup peers-venv
    cargo run --bin heml -- peers paillier --python "{{venv}}/bin/python" --key-bits 2048
    cargo run --bin heml -- peers ckks --python "{{venv}}/bin/python" --poly-modulus-degree 8192
    cargo run --bin heml -- peers ckks --python "{{venv}}/bin/python" --poly-modulus-degree 16384

# cargo fmt and clippy as CI runs them.
lint: setup
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings
