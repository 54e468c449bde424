"""Benchmark: the verify path on Matrix Cookbook claims at sizes 2, 3, 4 (issue 12, item 3).

Times what ``gradproof verify`` runs: ``check_gradient`` for gradient claims, and ``check`` (one
size) and ``sweep(claim, 3)`` (the default size sweep) for identities. Each figure is the median
of ``--repeats`` runs after a warm-up; the script prints every time, the median and the max over
all rows, whether max <= 2 s (the target), and the kind of each verdict (exact or probabilistic).
Reference, measured in the same run: the previous method (every entry written out, SymPy's diff,
differences decided by ``cancel``) on the same gradient claims at size 2, and the ratio
reference / new. No claim here may be refuted except the deliberately wrong ones (marked).

Run, with gradproof installed: .venv/bin/python benchmarks/verify_cookbook.py [--repeats 3] [--sizes 2,3,4]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sympy import Determinant, Inverse, KroneckerProduct, Trace, log

from gradproof.symbolic.claims import GradientClaim, build_claim, check_gradient
from gradproof.symbolic.concrete import _sympy_verdict
from gradproof.symbolic.engine.identities import IdentityClaim, check, sweep
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.engine.operands import Operand

M = Operand.matrix
TARGET_SECONDS = 2.0


def _gradient(key, operands, objective, claimed, wrt="X"):
    return GradientClaim(key, operands, objective, wrt, claimed)


def _xcx(o):
    """X^T S X with S = C + C^T symmetric (Cookbook (125) assumes a symmetric C)."""
    return o["X"].T * (o["C"] + o["C"].T) * o["X"]


GRADIENTS = (
    _gradient("tr(AX) (100)", (M("X", "n", "n"), M("A", "n", "n")), lambda o, d, s: Trace(o["A"] * o["X"]),
              lambda o, d, s: o["A"].T),
    _gradient("tr(X^T A X) (107)", (M("X", "n", "n"), M("A", "n", "n")), lambda o, d, s: Trace(o["X"].T * o["A"] * o["X"]),
              lambda o, d, s: (o["A"] + o["A"].T) * o["X"]),
    _gradient("tr(X^2) (106)", (M("X", "n", "n"),), lambda o, d, s: Trace(o["X"] ** 2), lambda o, d, s: 2 * o["X"].T),
    _gradient("log det X (57)", (M("X", "n", "n"),), lambda o, d, s: log(Determinant(o["X"])),
              lambda o, d, s: Inverse(o["X"]).T),
    _gradient("det X (49)", (M("X", "n", "n"),), lambda o, d, s: Determinant(o["X"]),
              lambda o, d, s: Determinant(o["X"]) * Inverse(o["X"]).T),
    _gradient("tr(X^-1 A) (63)", (M("X", "n", "n"), M("A", "n", "n")), lambda o, d, s: Trace(Inverse(o["X"]) * o["A"]),
              lambda o, d, s: -(Inverse(o["X"]) * o["A"] * Inverse(o["X"])).T),
    _gradient("a^T X^-1 b (61)", (M("X", "n", "n"), M("a", "n", "1"), M("b", "n", "1")),
              lambda o, d, s: Trace(o["a"].T * Inverse(o["X"]) * o["b"]),
              lambda o, d, s: -Inverse(o["X"]).T * o["a"] * o["b"].T * Inverse(o["X"]).T),
    _gradient("tr((X^T C X)^-1 A) (125)", (M("X", "m", "n"), M("C", "m", "m"), M("A", "n", "n")),
              lambda o, d, s: Trace(Inverse(_xcx(o)) * o["A"]),
              lambda o, d, s: -(o["C"] + o["C"].T) * o["X"] * Inverse(_xcx(o)) * (o["A"] + o["A"].T) * Inverse(_xcx(o))),
    _gradient("||AX - B||_F^2", (M("X", "n", "n"), M("A", "n", "n"), M("B", "n", "n")),
              lambda o, d, s: Trace((o["A"] * o["X"] - o["B"]).T * (o["A"] * o["X"] - o["B"])),
              lambda o, d, s: 2 * o["A"].T * (o["A"] * o["X"] - o["B"])),
    _gradient("x^T A x (81)", (M("x", "n", "1"), M("A", "n", "n")), lambda o, d, s: Trace(o["x"].T * o["A"] * o["x"]),
              lambda o, d, s: (o["A"] + o["A"].T) * o["x"], wrt="x"),
    _gradient("WRONG: log det X -> X^-1", (M("X", "n", "n"),), lambda o, d, s: log(Determinant(o["X"])),
              lambda o, d, s: Inverse(o["X"])),
)

IDENTITIES = (
    IdentityClaim("vec(AXB) = (B^T kron A) vec(X)", "Cookbook (520)", (M("A", "n", "n"), M("X", "n", "n"), M("B", "n", "n")),
                  lambda o, d: Vec(o["A"] * o["X"] * o["B"]), lambda o, d: KroneckerProduct(o["B"].T, o["A"]) * Vec(o["X"])),
    IdentityClaim("inv(kron(A,B)) = kron(inv A, inv B)", "Cookbook (513)", (M("A", "n", "n"), M("B", "m", "m")),
                  lambda o, d: Inverse(KroneckerProduct(o["A"], o["B"])),
                  lambda o, d: KroneckerProduct(Inverse(o["A"]), Inverse(o["B"]))),
    IdentityClaim("det(kron(A,B)) = det(A)^m det(B)^n", "Cookbook (518)", (M("A", "n", "n"), M("B", "m", "m")),
                  lambda o, d: Determinant(KroneckerProduct(o["A"], o["B"])),
                  lambda o, d: Determinant(o["A"]) ** d["m"] * Determinant(o["B"]) ** d["n"]),
    IdentityClaim("inv(AB) = inv(B) inv(A)", "Cookbook (4)", (M("A", "n", "n"), M("B", "n", "n")),
                  lambda o, d: Inverse(o["A"] * o["B"]), lambda o, d: Inverse(o["B"]) * Inverse(o["A"])),
)


def seconds(function, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def gradient_sizes(claim, size: int) -> dict:
    sizes = dict.fromkeys(claim.dimensions(), size)
    if "m" in sizes:  # Cookbook (125): X is rectangular, m = n + 1 rows
        sizes["m"] = size + 1
    return sizes


def gradient_rows(sizes, repeats):
    for claim in GRADIENTS:
        for size in sizes:
            at = gradient_sizes(claim, size)
            elapsed, verdict = seconds(lambda c=claim, a=at: check_gradient(c, a), repeats)
            kind = verdict.evidence.kind if verdict.holds else "refuted (exact counterexample)"
            yield f"gradient  {claim.key:34s} {str(at):22s}", elapsed, kind


def identity_rows(sizes, repeats):
    for claim in IDENTITIES:
        for size in sizes:
            at = dict.fromkeys(claim.dimensions(), size)
            elapsed, result = seconds(lambda c=claim, a=at: check(c, a), repeats)
            yield f"identity  {claim.key:34s} {str(at):22s}", elapsed, result.kind if result.holds else "REFUTED"

        def default_sweep(c=claim):
            sweep.cache_clear()
            return sweep(c, 3)

        elapsed, result = seconds(default_sweep, repeats)
        label = f"{len(result.results)} sizes, each dim 1..3"
        yield f"identity  {claim.key:34s} {label:22s}", elapsed, result.kind if result.holds else "REFUTED"


SLOW_BEFORE = {"tr((X^T C X)^-1 A) (125)": "about 190 s at m = 3, n = 2 (measured once; not rerun)"}


def reference_rows(repeats):
    """The previous method (SymPy diff + cancel) at size 2, against the new one: ratio old / new."""
    for claim in GRADIENTS:
        at = gradient_sizes(claim, 2)
        if claim.key in SLOW_BEFORE:
            yield claim.key, None, seconds(lambda c=claim, a=at: check_gradient(c, a), repeats)[0]
            continue

        def old(c=claim, a=at):
            operands, _, objective, claimed = build_claim(c, a)
            return _sympy_verdict(c, a, operands, objective, claimed, 0)

        reference, _ = seconds(old, repeats)
        new, _ = seconds(lambda c=claim, a=at: check_gradient(c, a), repeats)
        yield claim.key, reference, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="2,3,4")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    times = []
    print(f"{'kind':9s} {'claim':34s} {'sizes':22s} {'seconds':>8s}  verdict")
    for label, elapsed, kind in [*gradient_rows(sizes, args.repeats), *identity_rows(sizes, args.repeats)]:
        times.append(elapsed)
        print(f"{label} {elapsed:8.3f}  {kind}", flush=True)
    print(f"\n{len(times)} timings: median {statistics.median(times):.3f} s, max {max(times):.3f} s; "
          f"target max <= {TARGET_SECONDS:g} s: {'met' if max(times) <= TARGET_SECONDS else 'NOT met'}")
    print("\nreference (same run): the previous method, SymPy diff + cancel, at size 2")
    for key, reference, new in reference_rows(args.repeats):
        if reference is None:
            print(f"  {key:34s} previous {SLOW_BEFORE[key]}, new {new:7.3f} s")
            continue
        print(f"  {key:34s} previous {reference:7.3f} s, new {new:7.3f} s, ratio previous / new {reference / new:6.1f}")


if __name__ == "__main__":
    main()
