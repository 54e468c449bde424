"""Benchmark: numeric.Conv2d forward + backward (dX, dW, db) against PyTorch's CPU conv2d.

Each configuration is timed as the median of many runs after a warm-up, and the ratio
gradproof / torch is printed (below 1 means faster). Targets (issue 4): <= 1.0x torch's time in
float64 and <= 1.5x in float32. Without torch, the script says so and reports the fraction of
NumPy's own GEMM rate that the layer reaches instead.

Fairness. Both sides use the same thread count (``--threads``, default: the number of cores).
Torch is timed in a child process started by this script, with torch's own defaults: in one
process torch's OpenMP threads either spin after each op and take the cores from NumPy's BLAS
threads, or (OMP_WAIT_POLICY=PASSIVE) sleep and make torch up to a third slower here, so neither
side would be measured at its best. The reference figures (NumPy's square GEMM rate, the layer's
GEMMs alone) are timed in child processes too: measured in this process just before a
configuration, their large arrays slowed that configuration by up to a third. The parent times
only gradproof's layer. The measurements alternate in ``--rounds`` rounds, so that a slow phase
of this (shared, noisy) machine lands on all of them; the medians are over all rounds.

Run, with gradproof installed: .venv/bin/python benchmarks/numeric_conv.py [--repeats 9] [--rounds 3]
(`pip install torch==2.13.0` installs the CPU build that is on this machine.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

CONFIGS = (
    {"batch": 64, "c_in": 3, "c_out": 32, "size": 32},
    {"batch": 64, "c_in": 32, "c_out": 64, "size": 16},
)
DTYPES = (("float64", 1.0), ("float32", 1.5))


def label(config, dtype_name: str) -> str:
    size = config["size"]
    return f"{dtype_name} batch {config['batch']}, {config['c_in']}->{config['c_out']}, {size}x{size}"


def timings(step, repeats: int) -> list[float]:
    """Seconds of ``repeats`` calls of ``step`` after one warm-up call."""
    step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return samples


def gradproof_step(config, dtype_name: str):
    import numpy as np

    from gradproof.numeric import Conv2d

    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng(0)
    layer = Conv2d(config["c_in"], config["c_out"], 3, padding=1, rng=rng)
    layer.params = {key: value.astype(dtype) for key, value in layer.params.items()}
    x = rng.standard_normal((config["batch"], config["c_in"], config["size"], config["size"])).astype(dtype)
    grad = rng.standard_normal((config["batch"], config["c_out"], config["size"], config["size"])).astype(dtype)

    def step():
        layer.forward(x)
        layer.backward(grad)

    return step


def gemm_floor_step(config, dtype_name: str):
    """Only the layer's three GEMMs (forward, dW, dX), split over the batch as Conv2d splits it:
    what the layer would cost if im2col, col2im, padding and the sums were free."""
    import numpy as np

    from gradproof.numeric import parallel

    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng(0)
    n, taps, positions = config["batch"], config["c_in"] * 9, config["size"] ** 2
    weight = rng.standard_normal((config["c_out"], taps)).astype(dtype)
    weight_t = np.ascontiguousarray(weight.T)
    columns = rng.standard_normal((n, taps, positions)).astype(dtype)
    grad = rng.standard_normal((n, config["c_out"], positions)).astype(dtype)

    def chunk(part: slice):
        weight @ columns[part]
        grad[part] @ columns[part].transpose(0, 2, 1)
        weight_t @ grad[part]

    return lambda: parallel.map_over_batch(chunk, n, dtype, work=3 * n * config["c_out"] * taps * positions)


def torch_step(torch, config, dtype_name: str):
    torch_dtype = getattr(torch, dtype_name)
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


def square_gemm_step(dtype_name: str):
    """NumPy's 1024 x 1024 GEMM (2 * 1024^3 flops): the machine's reference rate."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(dtype_name)
    return lambda: a @ a


def torch_child(repeats: int, threads: int) -> dict:
    """In a child process: torch's seconds per configuration, {label: [seconds, ...]}."""
    import torch

    torch.set_num_threads(threads)
    samples = {label(config, name): timings(torch_step(torch, config, name), repeats)
               for name, _ in DTYPES for config in CONFIGS}
    return {"version": f"torch {torch.__version__}, {torch.get_num_threads()} threads", "samples": samples}


def square_gemm_child(repeats: int, threads: int) -> dict:
    """In a child process: NumPy's 1024 x 1024 GEMM, {dtype: [seconds, ...]}. A child, because
    in this process the GEMM's 8 MB arrays changed the allocator's state enough to slow the next
    configuration measured by up to a third."""
    return {"samples": {name: timings(square_gemm_step(name), repeats) for name, _ in DTYPES}}


def gemm_floor_child(repeats: int, threads: int) -> dict:
    """In a child process, for the same reason: the GEMM-only step per configuration."""
    return {"samples": {label(config, name): timings(gemm_floor_step(config, name), repeats)
                        for name, _ in DTYPES for config in CONFIGS}}


CHILDREN = {"torch": torch_child, "square-gemm": square_gemm_child, "gemm-floor": gemm_floor_child}


def run_child(kind: str, repeats: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--repeats", str(repeats), "--threads", str(threads)]
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if completed.returncode != 0:
        raise SystemExit(f"the {kind} child process failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per configuration and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of gradproof and torch")
    parser.add_argument("--threads", type=int, default=None, help="threads for both sides (default: all cores)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    threads = args.threads or int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.repeats, threads)))
        return
    # NumPy's BLAS and gradproof's own worker threads read these before NumPy is imported.
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    import numpy as np

    has_torch = importlib.util.find_spec("torch") is not None
    ours: dict[str, list[float]] = {}
    floor: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    square_gemm: dict[str, list[float]] = {}
    torch_version = None
    for _ in range(args.rounds):
        for name, samples in run_child("square-gemm", args.repeats, threads)["samples"].items():
            square_gemm.setdefault(name, []).extend(samples)
        for key, samples in run_child("gemm-floor", args.repeats, threads)["samples"].items():
            floor.setdefault(key, []).extend(samples)
        for name, _target in DTYPES:
            for config in CONFIGS:
                ours.setdefault(label(config, name), []).extend(timings(gradproof_step(config, name), args.repeats))
        if has_torch:
            child = run_child("torch", args.repeats, threads)
            torch_version = child["version"]
            for key, samples in child["samples"].items():
                theirs.setdefault(key, []).extend(samples)
    print(f"{torch_version or 'torch is not installed (pip install torch==2.13.0): reporting the fraction of NumPy GEMM peak instead'}; "
          f"NumPy {np.__version__}, {threads} threads; medians of {args.rounds} x {args.repeats} runs")
    for name, target in DTYPES:
        rate = 2 * 1024**3 / statistics.median(square_gemm[name])
        for config in CONFIGS:
            key = label(config, name)
            ours_median = statistics.median(ours[key])
            line = (f"{key}: gradproof {ours_median * 1e3:7.1f} ms ({statistics.median(floor[key]) * 1e3:5.1f} ms in its "
                    f"three GEMMs alone), {flops(config) / ours_median / rate:5.1%} of GEMM peak")
            if has_torch:
                ratio = ours_median / statistics.median(theirs[key])
                line += (f"; torch {statistics.median(theirs[key]) * 1e3:7.1f} ms; ratio {ratio:.2f}x "
                         f"(target <= {target}x: {'met' if ratio <= target else 'MISSED'})")
            print(line)


if __name__ == "__main__":
    main()
