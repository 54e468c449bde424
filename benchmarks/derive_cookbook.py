"""Benchmark: ``gradproof grad`` on the Matrix Cookbook's gradients (issue 15, item 8).

For each gradient of ``symbolic.calculus.cookbook`` (sections 2.1, 2.2, 2.4-2.7, and SymPy's
silent-0 cases): the derivation alone (``calculus.gradient``: differentials, read-off, tidy; no
checks), the whole command (parse, derive, exact check at sizes <= 4, finite differences:
``proofs.grad_command.grad``; the larger of its first run and its median), and, as the
reference measured in the same run, SymPy's own
``.diff`` of the same SymPy expression, with the ratio SymPy / derivation. Each figure is the
median of ``--repeats`` runs after a warm-up. Prints the medians against the targets (derivation
<= 50 ms per gradient, whole command <= 1 s), how many results are written in the Cookbook's form
(target >= 80%) and the others, and what SymPy answered where it answered 0 or left a derivative
unevaluated.

Run, with gradproof installed: python benchmarks/derive_cookbook.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sympy import Symbol

from gradproof.proofs.grad_command import grad
from gradproof.proofs.verify import parse_shapes
from gradproof.symbolic.calculus import gradient
from gradproof.symbolic.calculus.cookbook import COOKBOOK, SILENT_ZERO, same_form
from gradproof.symbolic.engine.identities import matrix_symbols
from gradproof.symbolic.language import parse

DERIVE_TARGET, COMMAND_TARGET, FORM_TARGET = 0.050, 1.0, 0.80


def seconds(function, repeats: int, *, first: list | None = None) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls after one warm-up, and the last result; the warm-up's own
    time (SymPy's caches cold for this expression) is appended to ``first`` if given."""
    start = time.perf_counter()
    result = function()
    if first is not None:
        first.append(time.perf_counter() - start)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def symbols(case):
    operands = parse_shapes(list(case.shapes))
    dims = {name: Symbol(name, integer=True, positive=True) for name in ("m", "n")}
    return matrix_symbols(operands, dims), dims, {name: Symbol(name) for name in case.scalars}


def sympy_diff(expression, wrt):
    """SymPy's own answer (or the exception's name), as the reference."""
    try:
        return expression.diff(wrt)
    except Exception as error:  # noqa: BLE001 - the reference may fail; we report how
        return f"error: {type(error).__name__}"


def describe_sympy(answer) -> str:
    if isinstance(answer, str):
        return answer
    if getattr(answer, "is_zero", False) or getattr(answer, "is_ZeroMatrix", False) or answer == 0:
        return "0 (silent zero)"
    text = str(answer)
    return "unevaluated" if "Derivative" in text else "answered (not checked here)"


def rows(repeats: int):
    for case in COOKBOOK + SILENT_ZERO:
        matrices, dims, scalars = symbols(case)
        expression = parse(case.expression, matrices, dims, scalars)
        wrt = matrices[case.wrt]
        derive_time, derivation = seconds(lambda e=expression, w=wrt: gradient(e, w), repeats)
        shapes = {item.split("=")[0]: tuple(item.split("=")[1].split(",")) for item in case.shapes}
        cold: list = []
        command_time, checked = seconds(lambda c=case, s=shapes: grad(c.expression, s, c.wrt, scalars=c.scalars), repeats,
                                        first=cold)
        sympy_time, sympy_answer = seconds(lambda e=expression, w=wrt: sympy_diff(e, w), repeats)
        stated = parse(case.gradient, matrices, dims, scalars)
        yield case, derivation, checked, derive_time, max(command_time, cold[0]), sympy_time, sympy_answer, \
            same_form(derivation.result, stated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'Cookbook gradient':44s} {'derive ms':>9s} {'command s':>9s} {'SymPy ms':>9s} {'SymPy/derive':>12s}  "
          "checks  form      SymPy's answer")
    derive_times, command_times, ratios, others, refused = [], [], [], [], []
    for case, derivation, checked, derive, command, reference, answer, same in rows(args.repeats):
        derive_times.append(derive)
        command_times.append(command)
        ratios.append(reference / derive)
        if not same:
            others.append(f"{case.key}: derived {derivation.text}, Cookbook {case.gradient}")
        if not checked.ok:
            refused.append(case.key)
        print(f"{case.key[:44]:44s} {derive * 1e3:9.1f} {command:9.3f} {reference * 1e3:9.1f} {reference / derive:12.1f}  "
              f"{'holds ' if checked.ok else 'FAILED'}  {'Cookbook' if same else 'other   '}  {describe_sympy(answer)}",
              flush=True)
    total = len(derive_times)
    median_derive, median_command = statistics.median(derive_times), statistics.median(command_times)
    print(f"\n{total} gradients. derivation alone: median {median_derive * 1e3:.1f} ms, max {max(derive_times) * 1e3:.1f} ms "
          f"(target median <= {DERIVE_TARGET * 1e3:.0f} ms: {'met' if median_derive <= DERIVE_TARGET else 'NOT met'})")
    print(f"whole command (derive + exact check at sizes <= 4 + finite differences; first run or median, the "
          f"larger): median {median_command:.3f} s, "
          f"max {max(command_times):.3f} s (target <= {COMMAND_TARGET:g} s: "
          f"{'met' if max(command_times) <= COMMAND_TARGET else 'NOT met'})")
    print(f"SymPy .diff / derivation, same run: median ratio {statistics.median(ratios):.1f} "
          f"(min {min(ratios):.1f}, max {max(ratios):.1f})")
    same_count = total - len(others)
    print(f"written in the Cookbook's form: {same_count} of {total} ({same_count / total:.0%}; target >= "
          f"{FORM_TARGET:.0%}: {'met' if same_count >= FORM_TARGET * total else 'NOT met'})")
    for line in others:
        print(f"  other form: {line}")
    print(f"checks: {total - len(refused)} of {total} hold" + (f"; FAILED: {', '.join(refused)}" if refused else ""))


if __name__ == "__main__":
    main()
