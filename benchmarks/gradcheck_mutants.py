"""Benchmark: does ``numeric.gradcheck`` catch wrong gradients and accept right ones? (issue 13, item 5)

Every case is a scalar function f of one array (a layer's input or parameter through a fixed random
projection u of its output, a loss, a network objective) with an analytic gradient: either gradproof's
own backward (a *correct* case, some at hard points: large |f|, exact zeros, ties, near-ties, the
digits CNN) or a deliberately wrong one (a *mutant*: scaled by 1 + 1e-2, 1e-4, 1e-6, one entry off by
1e-5 relative (the largest entry), transposed, rolled, a dropped bias, a sign flip, a missing factor 2
or 1/N, a kink convention that is no one-sided derivative). Each case goes through
``check_array`` with every method, and, when torch is installed, through ``torch.autograd.gradcheck``
(default and ``fast_mode=True``) on a ``torch.autograd.Function`` whose forward is the same f and whose
backward returns the same analytic gradient. Printed per checker: mutants caught, the misses that
break a target, false alarms, function evaluations, seconds; then every miss by name.

Targets: no mutant with relative error >= 1e-4 "ok" by any method, none >= 1e-6 by the complex step
and Richardson; every one-entry 1e-5 mutant caught (and located); 0 false alarms; every mutant torch
catches caught too.

Run, with gradproof installed: .venv/bin/python benchmarks/gradcheck_mutants.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradproof.numeric.gradcheck import METHODS, check_array
from gradproof.numeric.layers import AvgPool2d, Conv2d, Linear, MaxPool2d, ReLU
from gradproof.numeric.losses import SoftmaxCrossEntropy, SquaredLoss
from gradproof.numeric.train import digits_cnn


@dataclass
class Case:
    """f(point) with ``gradient``; ``error`` is the mutant's relative size (None: a correct gradient)."""

    name: str
    value: Callable
    point: np.ndarray
    gradient: np.ndarray
    error: float | None = None
    entry: tuple | None = None


def _layer_function(layer, x, key, rng):
    """f(a) = sum(u * layer(x)) with ``a`` the input (key None) or the parameter ``key``; its gradient."""
    u = rng.standard_normal(np.shape(layer.forward(x)))

    def value(a):
        if key is None:
            return np.sum(u * layer.forward(a))
        saved, layer.params[key] = layer.params[key], a
        try:
            return np.sum(u * layer.forward(x))
        finally:
            layer.params[key] = saved

    layer.forward(x)
    grad_input = layer.backward(u)
    gradient = grad_input if key is None else layer.grads[key].copy()
    return value, (x if key is None else layer.params[key].copy()), gradient


def _model_function(model, loss, x, target, key):
    """f(a) = loss(model(x), target) with ``a`` the input or the parameter ``key``; its gradient."""
    def value(a):
        if key is None:
            return loss.value(model.forward(a), target)
        saved, model.params[key] = model.params[key], a
        index, name = key.split(".")
        model.layers[int(index)].params[name] = a
        try:
            return loss.value(model.forward(x), target)
        finally:
            model.params[key] = model.layers[int(index)].params[name] = saved

    grad_input = model.backward(loss.gradient(model.forward(x), target))
    gradient = grad_input if key is None else model.grads[key].copy()
    return value, (x if key is None else model.params[key].copy()), gradient


def _mutate(name, function, mutation):
    """A mutant Case from (value, point, gradient) and a mutation name."""
    value, point, gradient = function
    largest = np.unravel_index(int(np.argmax(np.abs(gradient))), gradient.shape)
    if mutation.startswith("scaled"):
        relative = float(mutation.split()[-1])
        return Case(f"{name}: {mutation}", value, point, gradient * (1 + relative), relative)
    if mutation == "one entry 1e-05":
        wrong = gradient.copy()
        wrong[largest] *= 1 + 1e-5
        return Case(f"{name}: {mutation}", value, point, wrong, 1e-5, tuple(int(i) for i in largest))
    wrong = {"transposed": lambda g: g.T, "rolled": lambda g: np.roll(g, 1, axis=-1),
             "dropped": np.zeros_like, "sign flipped": np.negative, "missing factor 2": lambda g: g / 2,
             "missing factor 1/N": lambda g: g * point.shape[0]}[mutation](gradient)
    return Case(f"{name}: {mutation}", value, point, wrong, float(np.abs(wrong - gradient).max() / np.abs(gradient).max()))


def _layer_cases(rng):
    linear_x, conv_x = rng.standard_normal((3, 5)), rng.standard_normal((2, 2, 7, 6))
    conv = Conv2d(2, 3, 3, stride=2, padding=1, dilation=2, rng=rng)
    plan = [
        ("Linear(5, 4) dW", _layer_function(Linear(5, 4, rng=rng), linear_x, "weight", rng),
         ["scaled 1e-2", "scaled 1e-4", "scaled 1e-6", "one entry 1e-05", "rolled", "sign flipped"]),
        ("Linear(4, 4) dW", _layer_function(Linear(4, 4, rng=rng), rng.standard_normal((3, 4)), "weight", rng),
         ["transposed"]),
        ("Linear(5, 4) db", _layer_function(Linear(5, 4, rng=rng), linear_x, "bias", rng),
         ["dropped", "scaled 1e-4", "scaled 1e-6"]),
        ("Linear(5, 4) dX", _layer_function(Linear(5, 4, rng=rng), linear_x, None, rng),
         ["missing factor 2", "scaled 1e-6"]),
        ("ReLU dX", _layer_function(ReLU(), rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1, 1], (3, 4)), None, rng),
         ["scaled 1e-4", "sign flipped"]),
        ("Conv2d(s=2, p=1, d=2) dW", _layer_function(conv, conv_x, "weight", rng),
         ["scaled 1e-4", "scaled 1e-6", "one entry 1e-05", "rolled"]),
        ("Conv2d(s=2, p=1, d=2) dX", _layer_function(conv, conv_x, None, rng), ["scaled 1e-2", "scaled 1e-6"]),
        ("Conv2d(s=2, p=1, d=2) db", _layer_function(conv, conv_x, "bias", rng), ["dropped"]),
        ("MaxPool2d(2) dX", _layer_function(MaxPool2d(2), rng.standard_normal((2, 2, 4, 6)), None, rng),
         ["scaled 1e-4", "scaled 1e-6", "one entry 1e-05"]),
        ("AvgPool2d(2, 1) dX", _layer_function(AvgPool2d(2, 1), rng.standard_normal((1, 2, 5, 5)), None, rng),
         ["scaled 1e-4", "scaled 1e-6"]),
    ]
    return [_mutate(name, function, mutation) for name, function, mutations in plan for mutation in mutations]


def _loss_cases(rng):
    prediction, target = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    small = digits_cnn(rng, channels=(2, 2), classes=3)
    x, classes = rng.standard_normal((2, 1, 8, 8)), rng.integers(0, 3, 2)

    def loss_function(loss, p, t):
        return (lambda a: loss.value(a, t)), p, loss.gradient(p, t)

    plan = [
        ("SquaredLoss(mean)", loss_function(SquaredLoss("mean"), prediction, target), ["missing factor 1/N"]),
        ("SquaredLoss(sum)", loss_function(SquaredLoss("sum"), prediction, target), ["missing factor 2"]),
        ("SoftmaxCrossEntropy", loss_function(SoftmaxCrossEntropy(), logits, labels),
         ["scaled 1e-4", "scaled 1e-6", "one entry 1e-05"]),
        ("small CNN d0.weight", _model_function(small, SoftmaxCrossEntropy(), x, classes, "0.weight"),
         ["scaled 1e-4", "scaled 1e-6", "one entry 1e-05"]),
        ("small CNN dX", _model_function(small, SoftmaxCrossEntropy(), x, classes, None),
         ["scaled 1e-4", "one entry 1e-05"]),
    ]
    return [_mutate(name, function, mutation) for name, function, mutations in plan for mutation in mutations]


def _kink_mutants(rng):
    """Conventions that are no one-sided derivative: ReLU'(0) = 1/2, max-pool ties split evenly."""
    x = rng.uniform(0.2, 1, (3, 4)) * rng.choice([-1, 1], (3, 4))
    x[0, 1] = x[2, 3] = 0.0
    relu, relu_u = ReLU(), rng.standard_normal(x.shape)
    half = np.where(x == 0, relu_u / 2, np.where(x > 0, relu_u, 0.0))
    pool, pool_u = MaxPool2d(2), rng.standard_normal((1, 1, 1, 2))
    pool_x = np.array([[[[1.0, 1.0, 0.0, 2.0], [0.0, -1.0, 2.0, 1.0]]]])
    split = np.array([[[[0.5, 0.5, 0.0, 0.5], [0.0, 0.0, 0.5, 0.0]]]]) * np.repeat(np.repeat(pool_u, 2, 3), 2, 2)
    return [Case("ReLU dX at exact zeros: ReLU'(0) = 1/2", lambda a: np.sum(relu_u * relu.forward(a)), x, half, 0.5),
            Case("MaxPool2d(2) dX at ties: split evenly", lambda a: np.sum(pool_u * pool.forward(a)), pool_x, split,
                 0.5)]


def _correct_cases(rng, digits: bool):
    """Right gradients at hard points."""
    cases = []
    relu_x = rng.uniform(0.2, 1, (3, 4)) * rng.choice([-1, 1], (3, 4))
    relu_x[0, 1] = relu_x[2, 3] = 0.0
    near = rng.uniform(0.2, 1, (3, 4))
    near[1, 2], near[2, 0] = 3e-7, -4e-6
    big_p, big_t = 3 * rng.standard_normal((64, 64)), rng.standard_normal((64, 64))
    plain = [
        ("Linear(5, 4) dW", _layer_function(Linear(5, 4, rng=rng), rng.standard_normal((3, 5)), "weight", rng)),
        ("Conv2d(s=2, p=1, d=2) dW", _layer_function(Conv2d(2, 3, 3, 2, 1, 2, rng=rng),
                                                      rng.standard_normal((2, 2, 7, 6)), "weight", rng)),
        ("ReLU dX at exact zeros (PyTorch: 0)", _layer_function(ReLU(), relu_x, None, rng)),
        ("ReLU dX at near-ties 3e-7, 4e-6", _layer_function(ReLU(), near, None, rng)),
        ("MaxPool2d(2, 1) dX, integer ties", _layer_function(MaxPool2d(2, 1), rng.integers(0, 3, (2, 2, 5, 5)) * 1.0,
                                                               None, rng)),
        ("SquaredLoss(sum) 64x64, |f| ~ 4e4", ((lambda a: SquaredLoss("sum").value(a, big_t)), big_p,
                                                SquaredLoss("sum").gradient(big_p, big_t))),
    ]
    zero = digits_cnn(rng, channels=(2, 2), classes=3)
    for key in ("0.bias", "3.bias"):
        zero.params[key][:] = 0.0
    zero_x = rng.standard_normal((2, 1, 8, 8))
    zero_x[1] = 0.0
    plain.append(("CNN, zero bias, zero input: dX", _model_function(zero, SoftmaxCrossEntropy(), zero_x,
                                                                     np.array([0, 1]), None)))
    if digits:
        from gradproof.numeric.train import load_digits_split

        x_train, y_train, _, _ = load_digits_split()
        model = digits_cnn(np.random.default_rng(1))
        plain.append(("digits CNN inputs 444, 227: dX", _model_function(
            model, SoftmaxCrossEntropy(), x_train[[444, 227]], y_train[[444, 227]], None)))
    cases += [Case(name, *function) for name, function in plain]
    return cases


def _torch_checker(fast: bool):
    import torch

    def check(case: Case):
        calls = [0]

        class Wrapped(torch.autograd.Function):
            @staticmethod
            def forward(ctx, tensor):
                calls[0] += 1
                return torch.tensor(float(case.value(tensor.detach().numpy().copy())), dtype=torch.float64)

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * torch.from_numpy(np.ascontiguousarray(case.gradient))

        point = torch.tensor(case.point, dtype=torch.float64, requires_grad=True)
        passed = torch.autograd.gradcheck(Wrapped.apply, (point,), raise_exception=False, fast_mode=fast)
        return bool(passed), calls[0]

    return check


def _gradproof_checker(method: str):
    def check(case: Case):
        report = check_array(case.name, case.value, case.point, case.gradient, method=method)
        located = case.entry is None or report.passed or report.worst_index == case.entry
        return report.passed and located, report.evaluations

    return check


def run(checkers: dict, cases: list[Case]) -> dict:
    """For each checker: {case name: (passed, evaluations)} and the seconds it took."""
    results = {}
    for label, check in checkers.items():
        start, outcomes = time.perf_counter(), {}
        for case in cases:
            outcomes[case.name] = check(case)
        results[label] = (outcomes, time.perf_counter() - start)
    return results


def summary_rows(results: dict, cases: list[Case]) -> list[tuple]:
    rows = []
    for label, (outcomes, seconds) in results.items():
        mutants = [c for c in cases if c.error is not None]
        missed = [c for c in mutants if outcomes[c.name][0]]
        limit = 1e-6 if label in ("complex", "richardson") else 1e-4
        breaking = [c for c in missed if c.error >= limit and "ReLU'(0)" not in c.name and "split" not in c.name]
        single = [c for c in mutants if c.entry is not None]
        false_alarms = [c for c in cases if c.error is None and not outcomes[c.name][0]]
        evaluations = sum(outcomes[c.name][1] for c in cases)
        rows.append((label, f"{len(mutants) - len(missed)}/{len(mutants)}", str(len(breaking)),
                     f"{sum(not outcomes[c.name][0] for c in single)}/{len(single)}",
                     f"{len(false_alarms)}/{len(cases) - len(mutants)}", str(evaluations), f"{seconds:.2f}"))
    return rows


def print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the digits CNN (no scikit-learn needed)")
    parser.add_argument("--no-torch", action="store_true", help="do not run torch.autograd.gradcheck")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(13)
    digits = not args.quick and importlib.util.find_spec("sklearn") is not None
    cases = _layer_cases(rng) + _loss_cases(rng) + _kink_mutants(rng) + _correct_cases(rng, digits)
    checkers = {method: _gradproof_checker(method) for method in METHODS}
    have_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    if have_torch:
        checkers |= {"torch gradcheck": _torch_checker(False), "torch gradcheck fast": _torch_checker(True)}
    results = run(checkers, cases)
    mutants = sum(c.error is not None for c in cases)
    print(f"{mutants} mutants, {len(cases) - mutants} correct cases" + ("" if digits else " (no digits CNN)")
          + ("" if have_torch else "; torch not installed: its columns are left out"))
    print_table(summary_rows(results, cases), ("checker", "mutants caught", "target misses", "one entry 1e-5 caught",
                                               "false alarms", "evaluations", "seconds"))
    print("\nmissed mutants and false alarms, per checker:")
    for label, (outcomes, _) in results.items():
        wrong = [c.name + (" (false alarm)" if c.error is None else "") for c in cases
                 if outcomes[c.name][0] == (c.error is not None)]
        print(f"  {label}: " + ("; ".join(wrong) if wrong else "none"))
    if have_torch:
        print("\nmutants torch catches that a gradproof method misses:")
        for method in METHODS:
            worse = [c.name for c in cases if c.error is not None and results[method][0][c.name][0]
                     and not all(results[t][0][c.name][0] for t in ("torch gradcheck", "torch gradcheck fast"))]
            print(f"  {method}: " + ("; ".join(worse) if worse else "none"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
