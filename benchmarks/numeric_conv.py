"""Benchmark: numeric.Conv2d forward + backward (dX, dW, db) against PyTorch's CPU conv2d.

Both run in this process with the same thread count; each configuration is timed as the median of
several runs after a warm-up, and the ratio gradproof / torch is printed (below 1 means faster).
Targets (issue 4): <= 1.0x torch's time in float64 and <= 1.5x in float32. Without torch, the
script says so and reports the fraction of NumPy's own GEMM rate that the layer reaches instead.

Run, with gradproof installed: .venv/bin/python benchmarks/numeric_conv.py [--repeats 7]
(`pip install torch==2.13.0` installs the CPU build that is on this machine.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# torch's OpenMP threads spin after each op by default and would take the cores from NumPy's
# BLAS threads in this same process; passive waiting lets both run at full speed here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from numeric import Conv2d

CONFIGS = (
    {"batch": 64, "c_in": 3, "c_out": 32, "size": 32},
    {"batch": 64, "c_in": 32, "c_out": 64, "size": 16},
)


def median_seconds(step, repeats: int) -> float:
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gradproof_step(config, dtype):
    rng = np.random.default_rng(0)
    layer = Conv2d(config["c_in"], config["c_out"], 3, padding=1, rng=rng)
    layer.params = {key: value.astype(dtype) for key, value in layer.params.items()}
    x = rng.standard_normal((config["batch"], config["c_in"], config["size"], config["size"])).astype(dtype)
    grad = rng.standard_normal((config["batch"], config["c_out"], config["size"], config["size"])).astype(dtype)

    def step():
        layer.forward(x)
        layer.backward(grad)

    return step


def torch_step(torch, config, dtype):
    torch_dtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    generator = torch.Generator().manual_seed(0)
    shape = (config["batch"], config["c_in"], config["size"], config["size"])
    x = torch.randn(shape, generator=generator, dtype=torch_dtype, requires_grad=True)
    weight = torch.randn((config["c_out"], config["c_in"], 3, 3), generator=generator, dtype=torch_dtype, requires_grad=True)
    bias = torch.randn(config["c_out"], generator=generator, dtype=torch_dtype, requires_grad=True)
    grad = torch.randn((config["batch"], config["c_out"], config["size"], config["size"]), generator=generator, dtype=torch_dtype)

    def step():
        x.grad = weight.grad = bias.grad = None
        torch.nn.functional.conv2d(x, weight, bias, padding=1).backward(grad)

    return step


def flops(config) -> float:
    """Forward + dX + dW: three GEMMs of 2 N C_out H W C_in k^2 flops each."""
    return 3 * 2 * config["batch"] * config["c_out"] * config["size"] ** 2 * config["c_in"] * 9


def gemm_rate(dtype, repeats) -> float:
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(dtype)
    return 2 * 1024**3 / median_seconds(lambda: a @ a, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    threads = os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count())
    if torch is not None:
        torch.set_num_threads(int(threads))
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; NumPy {np.__version__}")
    else:
        print("torch is not installed (pip install torch==2.13.0): reporting the fraction of NumPy's GEMM rate instead")
    for dtype, target in ((np.float64, 1.0), (np.float32, 1.5)):
        rate = gemm_rate(dtype, args.repeats)
        for config in CONFIGS:
            ours = median_seconds(gradproof_step(config, dtype), args.repeats)
            label = f"{np.dtype(dtype).name} batch {config['batch']}, {config['c_in']}->{config['c_out']}, {config['size']}x{config['size']}"
            line = f"{label}: gradproof {ours * 1e3:8.1f} ms, {flops(config) / ours / rate:5.1%} of GEMM peak"
            if torch is not None:
                theirs = median_seconds(torch_step(torch, config, dtype), args.repeats)
                ratio = ours / theirs
                line += f"; torch {theirs * 1e3:8.1f} ms; ratio {ratio:.2f}x (target <= {target}x: {'met' if ratio <= target else 'MISSED'})"
            print(line)


if __name__ == "__main__":
    main()
