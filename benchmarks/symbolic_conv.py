"""Benchmark: deriving AND verifying Conv2d's dX, dW, db from explicit scalar equations.

gradproof's method (local chain rule in symengine, closed forms = numeric rules on symbols) is
timed at n = 16, 32, 64 (one channel, n x n input, 3 x 3 kernel); the plain method (SymPy
differentiates one expanded sum J = sum_o g_o y_o with respect to every entry) is timed at n = 16
in the same run, and the ratio printed. Targets (issue 4): <= 1 s at n = 32, <= 5 s at n = 64.
Also timed: the whole verification grid (``geometry_grid``: issue 4's square kernels and the
rectangular ones), as the test suite and ``gradproof derive conv2d`` run it, and one rectangular
kernel (3 x 5) at n = 32.

Run, with gradproof installed (make install): .venv/bin/python benchmarks/symbolic_conv.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy

from gradproof.symbolic.layers.conv import ConvGeometry, geometry_grid, scalar_equations, verify


def gradproof_seconds(size: int, kernel=3) -> float:
    start = time.perf_counter()
    result = verify(ConvGeometry(height=size, width=size, kernel=kernel))
    elapsed = time.perf_counter() - start
    if not result.holds:
        raise SystemExit(f"verification failed at n = {size}, kernel {kernel}: {result.mismatches}")
    return elapsed


def rectangular_seconds(size: int) -> float:
    return gradproof_seconds(size, kernel=(3, 5))


def grid_seconds(_size=None) -> float:
    """Every configuration of the verification grid, derived and verified."""
    grid = list(geometry_grid())
    start = time.perf_counter()
    failed = [geometry for geometry in grid if not verify(geometry).holds]
    elapsed = time.perf_counter() - start
    if failed:
        raise SystemExit(f"verification failed on {len(failed)} grid configurations, the first {failed[0]}")
    return elapsed


def plain_sympy_seconds(size: int) -> float:
    """One expanded sum of every output, differentiated by SymPy with respect to every entry."""
    system = scalar_equations(ConvGeometry(height=size, width=size, kernel=3))
    start = time.perf_counter()
    objective = sympy.expand(sympy.Add(*[
        sympy.sympify(system.grad_output[index]) * sympy.sympify(equation)
        for index, (equation, _) in system.outputs.items()
    ]))
    for array in (system.x, system.weight, system.bias):
        for entry in array.flat:
            sympy.diff(objective, sympy.sympify(entry))
    return time.perf_counter() - start


def median_of(function, size, repeats):
    function(size)  # warm-up
    return statistics.median(function(size) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    plain16 = median_of(plain_sympy_seconds, 16, 1)
    ours = {size: median_of(gradproof_seconds, size, args.repeats) for size in (16, 32, 64)}
    rectangular = median_of(rectangular_seconds, 32, args.repeats)
    grid = median_of(grid_seconds, None, args.repeats)
    print(f"plain SymPy (expanded sum, diff per entry), n = 16: {plain16:8.3f} s (derivation only)")
    for size, seconds in ours.items():
        print(f"gradproof (derive + verify),              n = {size}: {seconds:8.3f} s")
    print(f"gradproof, kernel 3 x 5,                  n = 32: {rectangular:8.3f} s")
    print(f"gradproof, the verification grid ({len(list(geometry_grid()))} configurations): {grid:8.3f} s")
    print(f"ratio plain / gradproof at n = 16: {plain16 / ours[16]:.1f}x")
    print(f"target n = 32 <= 1 s: {'met' if ours[32] <= 1 else 'MISSED'} ({ours[32]:.3f} s)")
    print(f"target n = 64 <= 5 s: {'met' if ours[64] <= 5 else 'MISSED'} ({ours[64]:.3f} s)")


if __name__ == "__main__":
    main()
