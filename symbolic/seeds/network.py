"""Seed 002, eqs. (1)-(4): backpropagation through an FC network with ReLU and squared loss.

The network (column vectors, seed 002's notation, layer m = 1, 2):

    s^1 = W^1 z^1 + b^1,  z^2 = relu(s^1),  s^2 = W^2 z^2 + b^2,  z^3 = s^2,  xi = ||z^3 - y||^2.

Two independent routes to every gradient:

* **direct**: SymPy differentiates the whole expression of xi with respect to each entry;
* **backprop**: the rule table's closed forms, composed from the loss backwards: the squared-loss
  rule gives d xi/d z^3 = 2(z^3 - y); then, per layer, linear.weight (1), linear.bias (2) and
  linear.input (3) in seed 000's column presentation, and relu.input (4) between layers.

The two must agree exactly, entry by entry. No formula is restated: the backprop route calls the
closed forms of ``symbolic.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import IndexedBase, Matrix, diff

from gradproof.symbolic.engine.derive import Mismatch, closed_form_in, evaluate, first_mismatch
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named


@dataclass(frozen=True)
class NetworkStep:
    """One backprop step: what is computed, by which rule, its value, and the direct derivative."""

    label: str
    rule: str
    backprop: Matrix
    direct: Matrix | None
    mismatch: Mismatch | None


@dataclass(frozen=True)
class NetworkVerification:
    sizes: tuple[int, int, int]
    forward: dict
    loss: object
    steps: tuple[NetworkStep, ...]

    @property
    def holds(self) -> bool:
        return all(step.mismatch is None for step in self.steps)


def _column(name: str, rows: int) -> Matrix:
    base = IndexedBase(name)
    return Matrix(rows, 1, [base[i] for i in range(1, rows + 1)])


def _matrix(name: str, rows: int, cols: int) -> Matrix:
    base = IndexedBase(name)
    return Matrix(rows, cols, lambda i, j: base[i + 1, j + 1])


def apply_rule(rule_name: str, equations, sizes: dict, values: dict) -> Matrix:
    """Evaluate a rule's closed form, in a presentation, on explicit matrices (by operand key)."""
    rule = rule_named(rule_name)
    symbols = equations.matrix_symbols(sizes)
    closed = closed_form_in(rule, equations, symbols)
    return evaluate(closed, {symbols[key]: matrix for key, matrix in values.items()})


def _linear_rules(layer: dict, delta: Matrix) -> dict[str, Matrix]:
    """Seed 002 (1)-(3) for one layer, given d xi/d s (delta) and the layer's quantities."""
    sizes = {"in": layer["z"].rows, "out": layer["W"].rows}
    values = {"x": layer["z"], "weight": layer["W"], "bias": layer["b"], "grad_output": delta}
    return {
        name: apply_rule(f"linear.{name}", fc.LINEAR_SEED000, sizes, values)
        for name in ("weight", "bias", "input")
    }


def verify_network(sizes: tuple[int, int, int] = (3, 2, 2)) -> NetworkVerification:
    """Backprop by the rule table vs SymPy's direct derivative of xi, for layer widths ``sizes``."""
    n_in, n_hidden, n_out = sizes
    layer1 = {"z": _column("z^{1}", n_in), "W": _matrix("w^{1}", n_hidden, n_in), "b": _column("b^{1}", n_hidden)}
    s1 = layer1["W"] * layer1["z"] + layer1["b"]
    z2 = s1.applyfunc(relu)
    layer2 = {"z": z2, "W": _matrix("w^{2}", n_out, n_hidden), "b": _column("b^{2}", n_out)}
    s2 = layer2["W"] * z2 + layer2["b"]
    target = _column("y", n_out)
    loss = sum((s2 - target).applyfunc(lambda r: r**2))

    def direct(variable: Matrix) -> Matrix:
        return variable.applyfunc(lambda v: diff(loss, v))

    loss_sizes = {"batch": n_out, "out": 1}
    delta2 = apply_rule("squared_loss.prediction", fc.SQUARED_LOSS, loss_sizes, {"prediction": s2, "target": target})
    grads2 = _linear_rules(layer2, delta2)
    relu_sizes = {"batch": n_hidden, "features": 1}
    relu_values = {"pre_activation": s1, "mask": s1.applyfunc(indicator), "grad_output": grads2["input"]}
    delta1 = apply_rule("relu.input", fc.RELU, relu_sizes, relu_values)
    grads1 = _linear_rules(layer1, delta1)

    planned = (
        ("dL / d z^3 = dL / d s^2", "squared_loss.prediction", delta2, None),
        ("dL / d W^2", "linear.weight, seed 002 (1)", grads2["weight"], layer2["W"]),
        ("dL / d b^2", "linear.bias, seed 002 (2)", grads2["bias"], layer2["b"]),
        ("dL / d z^2", "linear.input, seed 002 (3)", grads2["input"], None),
        ("dL / d s^1", "relu.input, seed 002 (4)", delta1, None),
        ("dL / d W^1", "linear.weight, seed 002 (1)", grads1["weight"], layer1["W"]),
        ("dL / d b^1", "linear.bias, seed 002 (2)", grads1["bias"], layer1["b"]),
        ("dL / d z^1", "linear.input, seed 002 (3)", grads1["input"], layer1["z"]),
    )
    steps = []
    for label, rule, value, variable in planned:
        reference = direct(variable) if variable is not None else None
        mismatch = first_mismatch(reference, value) if reference is not None else None
        steps.append(NetworkStep(label, rule, value, reference, mismatch))
    forward = {"s^{1}": s1, "z^{2}": z2, "s^{2}": s2}
    return NetworkVerification(sizes, forward, loss, tuple(steps))
