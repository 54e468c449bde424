"""The checks behind fc.pdf's seed 002 network section (issue 14 follow-up).

* ``network_integer_run``: seed 002's network (widths 3, 2, 2) forward and backward in small integers; each
  backward step by the rule table's closed form in seed 000's column layout (exact, SymPy) and by the numeric
  layers (``Linear``, ``ReLU``, ``SquaredLoss("sum")``, one sample as a row), compared exactly (small integers
  are exact in float64). Seed 002 (1)-(4): dL/dW^m = g^m (z^m)^T, dL/db^m = g^m, dL/dz^m = (W^m)^T g^m,
  g^m = dL/dz^{m+1} o I[s^m]; the squared loss starts it: g^2 = 2(s^2 - t), t the target (seed 002's y).
  fc.pdf prints the layer index in parentheses, s^{(2)}, so that it is not read as a square.
* ``network_forms``: the network's equations and loss as displayed, evaluated on the entries of
  ``seeds.network.verify_network``'s symbolic check, equal the expressions SymPy differentiates there.

Verdicts: ``holds`` True, or False with what differs (``mismatch`` / ``reason``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sympy import Matrix, MatrixSymbol, expand

from gradproof.numeric.layers import Linear, ReLU
from gradproof.numeric.losses import SquaredLoss
from gradproof.proofs.fc_checks import differs
from gradproof.symbolic.engine.derive import closed_form_in, evaluate
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named

# --- seed 002's network in small integers ----------------------------------------------------------------

NETWORK_INPUTS = {  # widths 3, 2, 2; s^1 gets a negative entry, so the ReLU's mask is not all ones
    "z^{1}": ((1,), (2,), (-1,)),
    "W^{1}": ((1, 1, 0), (-1, 0, 2)),
    "b^{1}": ((0,), (1,)),
    "W^{2}": ((1, -1), (0, 2)),
    "b^{2}": ((-1,), (1,)),
    "t": ((1,), (2,)),
}
"""Keys: the variables of seed 002's network, layer index as a superscript (``layer_name`` prints it in
parentheses); t is the squared loss's target (seed 002's y, renamed: y is a layer's output in fc.pdf)."""


def layer_name(key: str) -> str:
    """"s^{2}" -> "s^{(2)}", "W^{m}" -> "W^{(m)}": the layer index (a number or a letter) in parentheses, so
    that it is not read as a power."""
    return re.sub(r"\^\{(\d+|[A-Za-z])\}", r"^{(\1)}", key)


@dataclass(frozen=True)
class NetworkRunStep:
    """One backward step of the integer run: its rule, its closed form in the network's symbols, the exact
    value of that closed form, and the numeric layers' value."""

    key: str  # "s^{2}", "W^{2}", ...: the variable whose gradient this is
    rule: str  # the rule table's name: linear.weight, relu.input, ...
    closed: object  # the closed form, a SymPy matrix expression in the network's symbols
    value: Matrix
    numeric: np.ndarray


@dataclass(frozen=True)
class NetworkRun:
    """Seed 002's network forward and backward in small integers: each backward step by the rule table's
    closed forms (exact) and by ``numeric`` (Linear, ReLU, SquaredLoss with batch 1), compared exactly."""

    symbols: dict  # name -> MatrixSymbol ("z^{1}", "W^{1}", ..., "g^{1}", "g^{2}": dL/ds^m)
    inputs: dict  # name -> Matrix
    forward: dict  # "s^{1}", "z^{2}", "s^{2}" -> Matrix, "L" -> Integer
    steps: tuple[NetworkRunStep, ...]
    mismatch: str | None

    @property
    def holds(self) -> bool:
        return self.mismatch is None


def _network_symbols(widths):
    n1, n2, n3 = widths
    shapes = {"z^{1}": (n1, 1), "W^{1}": (n2, n1), "b^{1}": (n2, 1), "s^{1}": (n2, 1), "z^{2}": (n2, 1),
              "W^{2}": (n3, n2), "b^{2}": (n3, 1), "s^{2}": (n3, 1), "t": (n3, 1), "g^{1}": (n2, 1), "g^{2}": (n3, 1),
              "mask": (n2, 1), "dz^{2}": (n2, 1)}
    names = {"mask": r"\mathbb{I}[s^{1}]", "dz^{2}": r"\frac{\partial L}{\partial z^{2}}"}
    return {key: MatrixSymbol(layer_name(names.get(key, key)), *shape) for key, shape in shapes.items()}


def _numeric_network(inputs):
    def array(key):
        return np.array(inputs[key].tolist(), dtype=float)

    first, second = (Linear(array(f"W^{{{m}}}").shape[1], array(f"W^{{{m}}}").shape[0], rng=np.random.default_rng(0))
                     for m in (1, 2))
    for m, layer in ((1, first), (2, second)):  # seed 000's W is PyTorch's out x in weight; one sample is a row
        layer.params["weight"][...] = array(f"W^{{{m}}}")
        layer.params["bias"][...] = array(f"b^{{{m}}}").reshape(-1)
    relu_layer, loss = ReLU(), SquaredLoss("sum")
    s1 = first.forward(array("z^{1}").T)
    z2 = relu_layer.forward(s1)
    s2 = second.forward(z2)
    forward = {"s^{1}": s1.T, "z^{2}": z2.T, "s^{2}": s2.T, "L": loss.value(s2, array("t").T)}
    g2 = loss.gradient(s2, array("t").T)
    dz2 = second.backward(g2)
    g1 = relu_layer.backward(dz2)
    dz1 = first.backward(g1)
    backward = {"s^{2}": g2.T, "W^{2}": second.grads["weight"], "b^{2}": second.grads["bias"].reshape(-1, 1),
                "z^{2}": dz2.T, "s^{1}": g1.T, "W^{1}": first.grads["weight"], "b^{1}": first.grads["bias"].reshape(-1, 1),
                "z^{1}": dz1.T}
    return forward, backward


def network_integer_run(inputs=NETWORK_INPUTS, rules=None) -> NetworkRun:
    """Seed 002's (1)-(4) and the squared loss's start, on ``inputs``: the closed forms of the rule table in
    seed 000's column layout (``fc.LINEAR_SEED000``), exact, against the numeric layers, exactly (small
    integers are exact in float64). ``rules`` (rule name -> GradientRule) replaces table rules (planted faults)."""
    rules = {name: (rules or {}).get(name) or rule_named(name) for name in
             ("squared_loss.prediction", "linear.weight", "linear.bias", "linear.input", "relu.input")}
    values = {key: Matrix(rows) for key, rows in inputs.items()}
    widths = (values["z^{1}"].rows, values["W^{1}"].rows, values["W^{2}"].rows)
    symbols = _network_symbols(widths)
    forward = {"s^{1}": values["W^{1}"] * values["z^{1}"] + values["b^{1}"]}
    forward["z^{2}"] = forward["s^{1}"].applyfunc(relu)
    forward["s^{2}"] = values["W^{2}"] * forward["z^{2}"] + values["b^{2}"]
    forward["L"] = sum((forward["s^{2}"] - values["t"]).applyfunc(lambda r: r**2))
    known = {symbols[key]: value for key, value in {**values, **forward}.items() if key != "L"}
    known[symbols["mask"]] = forward["s^{1}"].applyfunc(indicator)
    steps = []

    def step(key, name, equations, operands):
        closed = closed_form_in(rules[name], equations, {role: symbols[key_] for role, key_ in operands.items()})
        steps.append((key, name, closed, evaluate(closed, known)))
        return steps[-1][3]

    known[symbols["g^{2}"]] = step("s^{2}", "squared_loss.prediction", fc.SQUARED_LOSS,
                                   {"prediction": "s^{2}", "target": "t"})
    for m in (2, 1):
        layer = {"x": f"z^{{{m}}}", "weight": f"W^{{{m}}}", "bias": f"b^{{{m}}}", "grad_output": f"g^{{{m}}}"}
        for role, name in (("weight", "linear.weight"), ("bias", "linear.bias"), ("x", "linear.input")):
            value = step(layer[role], name, fc.LINEAR_SEED000, layer)
        if m == 2:
            known[symbols["dz^{2}"]] = value
            known[symbols["g^{1}"]] = step("s^{1}", "relu.input", fc.RELU,
                                           {"grad_output": "dz^{2}", "mask": "mask", "pre_activation": "s^{1}"})
    numeric_forward, numeric_backward = _numeric_network(values)
    steps = tuple(NetworkRunStep(key, name, closed, value, numeric_backward[key]) for key, name, closed, value in steps)
    wrong = [f"the forward {key}" for key in forward if differs(Matrix([forward[key]]) if key == "L"
                                                                else forward[key], numeric_forward[key])]
    wrong += [f"dL/d{step_.key} ({step_.rule})" for step_ in steps if differs(step_.value, step_.numeric)]
    mismatch = f"the closed forms and the numeric layers differ in {', '.join(wrong)}" if wrong else None
    return NetworkRun(symbols, values, forward, steps, mismatch)


@dataclass(frozen=True)
class NetworkForms:
    """Seed 002's network as displayed (matrix forms, relu entry by entry, the loss as a sum) and whether each
    equals, at the check's widths, the expression SymPy differentiates in ``seeds.network.verify_network``."""

    rows: tuple  # (lhs, rhs) SymPy objects, in the order displayed
    holds: bool
    reason: str


def network_forms(check) -> NetworkForms:
    """Substitute the check's own entries (IndexedBase w^{1}_{j,k}, ...) into each displayed equation and compare
    with its forward values and loss, exactly."""
    from sympy import IndexedBase, Sum, Symbol

    n1, n2, n3 = check.sizes
    index = Symbol("i", integer=True, positive=True)
    names = {"z^{1}": (n1, 1), "W^{1}": (n2, n1), "b^{1}": (n2, 1), "z^{2}": (n2, 1), "W^{2}": (n3, n2),
             "b^{2}": (n3, 1)}
    symbol = {name: MatrixSymbol(layer_name(name), *shape) for name, shape in names.items()}

    def entries(name, rows, cols):  # the check's entry names: w^{1}_{j,k} for W^{1}, others as named
        base = IndexedBase(name[0].lower() + name[1:])
        return Matrix(rows, cols, lambda r, c: base[r + 1, c + 1] if cols > 1 else base[r + 1])

    values = {symbol[name]: entries(name, *shape) for name, shape in names.items()}
    values[symbol["z^{2}"]] = check.forward["z^{2}"]
    s1, z2, s2, t = (IndexedBase(layer_name(name)) for name in ("s^{1}", "z^{2}", "s^{2}", "t"))
    n_3 = Symbol("n_3", integer=True, positive=True)
    rows = ((MatrixSymbol(layer_name("s^{1}"), n2, 1), symbol["W^{1}"] * symbol["z^{1}"] + symbol["b^{1}"]),
            (z2[index], relu(s1[index])),
            (MatrixSymbol(layer_name("s^{2}"), n3, 1), symbol["W^{2}"] * symbol["z^{2}"] + symbol["b^{2}"]),
            (Symbol("L"), Sum((s2[index] - t[index]) ** 2, (index, 1, n_3))))
    wrong = []
    if evaluate(rows[0][1], values) != check.forward["s^{1}"]:
        wrong.append("s^1")
    if any(relu(check.forward["s^{1}"][k]) != check.forward["z^{2}"][k] for k in range(n2)):
        wrong.append("z^2")
    if evaluate(rows[2][1], values) != check.forward["s^{2}"]:
        wrong.append("s^2")
    loss = rows[3][1].subs(n_3, n3).doit().xreplace(
        {s2[k + 1]: check.forward["s^{2}"][k] for k in range(n3)} | {t[k + 1]: IndexedBase("y")[k + 1] for k in range(n3)})
    if expand(loss - check.loss) != 0:
        wrong.append("L")
    reason = f"differs from the differentiated expression in {', '.join(wrong)}" if wrong else \
        "each equals the expression SymPy differentiates, exactly"
    return NetworkForms(rows, not wrong, reason)
