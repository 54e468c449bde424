"""The checks behind fc.pdf's steps that no rule verdict covers (issue 14 item 4).

* ``derivation_at_sizes``: the generic entry a derivation ends with (chain rule, upstream gradient,
  differentiate the scalar equation, sifting), instantiated at concrete sizes, equals SymPy's own
  derivative of the explicit scalar equations (the concrete chain rule), entry by entry.
* ``index_to_matrix``: the step from that generic entry to the matrix, e.g.
  sum_n g_{n,p} x_{n,q} = (G^T X)_{p,q}, hence dL/dW = G^T X (seed 000: dW = dy x^T is entry
  (n, m) of an outer product). Checked twice: at symbolic sizes, the entry (p, q) of the matrix
  product as SymPy builds it (``indexed.matrix_entry``) has the normal form of the generic entry; at
  the run's concrete sizes, the generic entry evaluated at every (p, q) is the whole matrix the closed
  form evaluates to. A wrong matrix (X^T G for G^T X, a factor 2) is refuted by the second check.
* ``linear_worked_example``: a batch of 2, D_in = 3, D_out = 2 in small integers; dW, db, dX by the
  closed forms (exact integers) and by the numeric ``Linear`` layer, compared exactly (small integers
  are exact in float64). ``relu_loss_worked_example``: S -> relu -> squared loss the same way, with an
  entry of S at the kink 0.

Three verdicts (DESIGN.md 5a): ``holds`` True (with what was checked), False (with the
counterexample), None (not decided, with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import Expr, Integer, Matrix, MatrixSymbol, expand
from sympy.matrices.exceptions import ShapeError

from gradproof.numeric.layers import Linear, ReLU
from gradproof.numeric.losses import SquaredLoss
from gradproof.symbolic.engine.derive import closed_form_in, evaluate
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.engine.indexed import equivalent, matrix_entry, normal_form
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named


class Entry(Expr):
    """Entry (p, q), 1-based, of a matrix expression, displayed as (G^T X)_{p,q}; a column's entry p
    as (G^T 1)_p. Display only: ``index_to_matrix`` checks what it stands for."""

    @property
    def matrix(self):
        return self.args[0]

    @property
    def indices(self):
        return self.args[1:]

    def _latex(self, printer):
        inner = printer._print(self.matrix)
        if not isinstance(self.matrix, MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return rf"{inner}_{{{','.join(printer._print(index) for index in self.indices)}}}"


@dataclass(frozen=True)
class StepCheck:
    """The verdict of one displayed step: ``holds`` True / False / None and what it rests on."""

    holds: bool | None
    reason: str
    witness: tuple | None = None  # a refutation's (entry as text, the generic entry's value, the other value)


def _size_substitution(equations, sizes):
    return {equations.sizes[role]: Integer(value) for role, value in equations.sizes_from(sizes).items()}


def _variable_shape(proof, sizes):
    operand = proof.equations.operand(proof.variable)
    return proof.equations.shape(operand, proof.equations.sizes_from(sizes))


def _generic_at(entry, proof, substitution, position):
    """The generic entry (free indices p, q) at concrete sizes and one 1-based position."""
    indices = dict(zip(proof.rows + proof.cols, position))
    return entry.xreplace(substitution).xreplace(indices).doit()


def _generic_matrix(entry, proof, sizes):
    rows, cols = _variable_shape(proof, sizes)
    substitution = _size_substitution(proof.equations, sizes)
    rank = len(proof.rows + proof.cols)
    return Matrix(rows, cols, lambda i, j: _generic_at(entry, proof, substitution, (i + 1, j + 1)[:rank]))


def _first_difference(left: Matrix, right: Matrix):
    for position in np.ndindex(*left.shape):
        if expand(left[position] - right[position]) != 0:
            return position
    return None


def _position_text(position) -> str:
    return "(" + ", ".join(str(index + 1) for index in position) + ")"


def derivation_at_sizes(proof, check) -> StepCheck:
    """The derivation's last generic entry at the concrete check's sizes vs SymPy's chain rule there."""
    sizes = check.system.sizes
    generic = _generic_matrix(proof.collapsed, proof, sizes)
    derived = check.derived
    if generic.shape != derived.shape:
        return StepCheck(False, f"the generic entry spans {generic.shape[0]} by {generic.shape[1]} entries, the "
                                f"derivative {derived.shape[0]} by {derived.shape[1]}")
    where = _first_difference(generic, derived)
    if where is not None:
        return StepCheck(False, f"at entry {_position_text(where)} the generic entry gives {generic[where]}, "
                                f"SymPy's chain rule {derived[where]}",
                         (_position_text(where), generic[where], derived[where]))
    return StepCheck(True, "the generic entry equals SymPy's derivative of the explicit scalar equations at "
                           "every entry, exactly")


def _entry_position(proof):
    indices = proof.rows + proof.cols
    return indices[0] if indices else 1, indices[1] if len(indices) > 1 else 1


def index_to_matrix(proof, closed, sizes) -> StepCheck:
    """Is the derivation's generic entry entry (p, q) of the matrix ``closed`` (symbolic sizes)?

    At the concrete ``sizes`` (role -> int) the whole matrix is compared: a False verdict names the
    entry. At symbolic sizes the normal forms of the generic entry and of SymPy's entry (p, q) of
    ``closed`` are compared: agreement proves the step for every size.
    """
    equations = proof.equations
    substitution = _size_substitution(equations, sizes)
    system = equations.instantiate(equations.sizes_from(sizes))
    generic = _generic_matrix(proof.collapsed, proof, sizes)
    try:
        claimed = evaluate(closed.xreplace(substitution), system.substitution())
    except ShapeError as error:
        return StepCheck(False, f"the matrix is not defined at these sizes ({error})")
    if claimed.shape != generic.shape:
        return StepCheck(False, f"the matrix is {claimed.shape[0]} by {claimed.shape[1]}, the gradient "
                                f"{generic.shape[0]} by {generic.shape[1]}")
    where = _first_difference(generic, claimed)
    if where is not None:
        return StepCheck(False, f"entry {_position_text(where)}: the generic entry gives {generic[where]}, "
                                f"the matrix {claimed[where]}", (_position_text(where), generic[where], claimed[where]))
    row, column = _entry_position(proof)
    entry = matrix_entry(closed, row, column, equations.entries_by_name())
    if not equivalent(normal_form(proof.collapsed, proof.ranges), normal_form(entry, proof.ranges)):
        return StepCheck(None, "equal at the concrete sizes, but the normal forms at symbolic sizes differ: "
                               "not decided for every size")
    return StepCheck(True, "SymPy's entry of the matrix at symbolic sizes has the generic entry's normal form, "
                           "and the whole matrix agrees at the concrete sizes")


def displayed_entry(proof, closed):
    """(G^T X)_{p,q}: the entry of ``closed`` at the derivation's generic indices."""
    indices = proof.rows + proof.cols
    return Entry(closed, *indices) if indices else Entry(closed, 1)


# --- the worked example ---------------------------------------------------------------------------

EXAMPLE_SIZES = {"batch": 2, "in": 3, "out": 2}
EXAMPLE_INPUTS = {  # small integers a student can multiply by hand
    "x": ((1, 2, 0), (3, -1, 2)),
    "weight": ((1, 0, -1), (2, 1, 1)),
    "bias": ((1,), (-2,)),
    "grad_output": ((1, -1), (2, 0)),
}
_NUMERIC_GRADIENT = {"weight": "weight", "bias": "bias", "x": "input"}


@dataclass(frozen=True)
class WorkedExample:
    """Inputs (SymPy integer matrices), the forward output, each gradient by its closed form and by the
    numeric layer, and the verdict of comparing them (exact)."""

    symbols: dict  # operand key -> MatrixSymbol at the example's sizes
    inputs: dict  # operand key -> Matrix
    output: Matrix
    closed: dict  # "weight" / "bias" / "x" -> (closed-form expression, Matrix)
    numeric: dict  # the same keys -> numpy array from the numeric Linear layer
    mismatch: str | None

    @property
    def holds(self) -> bool:
        return self.mismatch is None


def _numeric_linear(inputs):
    layer = Linear(inputs["x"].cols, inputs["weight"].rows, rng=np.random.default_rng(0))  # weights replaced
    layer.params["weight"][...] = np.array(inputs["weight"].tolist(), dtype=float)
    layer.params["bias"][...] = np.array(inputs["bias"].tolist(), dtype=float).reshape(-1)
    output = layer.forward(np.array(inputs["x"].tolist(), dtype=float))
    grad_input = layer.backward(np.array(inputs["grad_output"].tolist(), dtype=float))
    return output, {"weight": layer.grads["weight"], "bias": layer.grads["bias"], "x": grad_input}


def _differs(exact: Matrix, computed) -> bool:
    """Exact comparison (the example's integers are exact in float64); a different number of entries differs."""
    if exact.shape[0] * exact.shape[1] != np.size(computed):
        return True
    expected = np.array(exact.tolist(), dtype=float).reshape(np.shape(computed))
    return bool(np.any(expected != computed))


def linear_worked_example(inputs=EXAMPLE_INPUTS, rules=None) -> WorkedExample:
    """Theorems 1-3 on small integers, by the closed forms and by ``numeric.layers.Linear``."""
    equations = fc.LINEAR_TORCH
    symbols = equations.matrix_symbols(EXAMPLE_SIZES)
    values = {key: Matrix(rows) for key, rows in inputs.items()}
    substitution = {symbols[key]: values[key] for key in values}
    output = evaluate(equations.matrix_form(symbols), substitution)
    rules = rules or {key: rule_named(f"linear.{_NUMERIC_GRADIENT[key]}") for key in _NUMERIC_GRADIENT}
    closed = {}
    for key, rule in rules.items():
        expression = closed_form_in(rule, equations, symbols)
        closed[key] = (expression, evaluate(expression, substitution))
    numeric_output, numeric = _numeric_linear(values)
    wrong = [name for name, exact, computed in
             [("Y", output, numeric_output)] + [(key, closed[key][1], numeric[key]) for key in closed]
             if _differs(exact, computed)]
    mismatch = f"the closed form and the numeric layer differ in {', '.join(wrong)}" if wrong else None
    return WorkedExample(symbols, values, output, closed, numeric, mismatch)


# --- the ReLU and squared-loss example --------------------------------------------------------------------

RELU_LOSS_SIZES = {"batch": 2, "features": 2, "out": 2}
RELU_LOSS_INPUTS = {  # S has an entry 0: the kink, where gradproof (as PyTorch) takes the derivative 0
    "pre_activation": ((2, -1), (0, 3)),
    "target": ((1, 1), (1, 1)),
}


@dataclass(frozen=True)
class ReluLossExample:
    """S -> Z = relu(S) -> L = sum (Z - Y)^2: dL/dZ (Theorem of the squared loss) and dL/dS (ReLU's), exact,
    against ``numeric.layers.ReLU`` and ``numeric.losses.SquaredLoss``."""

    symbols: dict  # "S", "mask", "Z", "Y", "G" -> MatrixSymbol at the example's sizes
    values: dict  # the same keys -> Matrix
    closed: dict  # "prediction" / "pre_activation" -> (closed-form expression, Matrix)
    mismatch: str | None

    @property
    def holds(self) -> bool:
        return self.mismatch is None


def relu_loss_worked_example(inputs=RELU_LOSS_INPUTS, rules=None) -> ReluLossExample:
    """The squared loss's and ReLU's closed forms on small integers, by SymPy and by the numeric layers."""
    rules = rules or {"prediction": rule_named("squared_loss.prediction"), "pre_activation": rule_named("relu.input")}
    loss_symbols = fc.SQUARED_LOSS.matrix_symbols(RELU_LOSS_SIZES)
    relu_symbols = fc.RELU.matrix_symbols(RELU_LOSS_SIZES)
    pre, target = Matrix(inputs["pre_activation"]), Matrix(inputs["target"])
    values = {"S": pre, "mask": pre.applyfunc(indicator), "Z": pre.applyfunc(relu), "Y": target}
    grad_z = closed_form_in(rules["prediction"], fc.SQUARED_LOSS, loss_symbols)
    values["G"] = evaluate(grad_z, {loss_symbols["prediction"]: values["Z"], loss_symbols["target"]: target})
    grad_s = closed_form_in(rules["pre_activation"], fc.RELU, relu_symbols)
    value_s = evaluate(grad_s, {relu_symbols["grad_output"]: values["G"], relu_symbols["mask"]: values["mask"]})
    layer = ReLU()
    numeric_z = layer.forward(np.array(pre.tolist(), dtype=float))
    numeric_g = SquaredLoss("sum").gradient(numeric_z, np.array(target.tolist(), dtype=float))
    numeric_s = layer.backward(numeric_g)
    wrong = [name for name, exact, computed in (("Z", values["Z"], numeric_z), ("dL/dZ", values["G"], numeric_g),
                                                 ("dL/dS", value_s, numeric_s)) if _differs(exact, computed)]
    symbols = {"S": relu_symbols["pre_activation"], "mask": relu_symbols["mask"], "Z": loss_symbols["prediction"],
               "Y": loss_symbols["target"], "G": relu_symbols["grad_output"]}
    closed = {"prediction": (grad_z, values["G"]), "pre_activation": (grad_s, value_s)}
    mismatch = f"the closed form and the numeric layers differ in {', '.join(wrong)}" if wrong else None
    return ReluLossExample(symbols, values, closed, mismatch)


# --- the weight gradient by differentials -----------------------------------------------------------------

@dataclass(frozen=True)
class ByDifferentials:
    """dL = tr(G^T dY) rewritten by ``symbolic.calculus``'s named rules, with G, X and b fixed."""

    derivation: object  # symbolic.calculus Derivation: steps (before, rule, after), result
    checked: bool  # its exact and finite-difference checks at the run's sizes all passed
    agrees: bool  # the gradient read off equals the rule table's closed form of linear.weight

    @property
    def holds(self) -> bool:
        return self.checked and self.agrees


def weight_by_differentials(rule, sizes) -> ByDifferentials:
    """The weight gradient of the batch layout by differentials (seed 003's dL = tr(G^T dY) route), checked
    exactly and by finite differences at ``sizes`` (role -> int) and compared with ``rule``'s closed form."""
    from sympy import Trace

    from gradproof.symbolic.calculus import gradient as by_differentials
    from gradproof.symbolic.calculus.checks import check_derivation

    equations = fc.LINEAR_TORCH
    symbols = equations.matrix_symbols()
    grad, weight = symbols["grad_output"], symbols["weight"]
    derivation = by_differentials(Trace(grad.T * equations.matrix_form(symbols)), weight)
    operands = {symbol.name: symbol for symbol in (grad, symbols["x"], weight, symbols["bias"])}
    dims = {size.name: size for size in equations.sizes.values()}
    concrete = {equations.sizes[role].name: value for role, value in equations.sizes_from(sizes).items()}
    checked = all(check.passed for check in check_derivation(derivation, operands, dims, {}, concrete))
    return ByDifferentials(derivation, checked, derivation.result == closed_form_in(rule, equations, symbols))


# --- seed 002's network in small integers ----------------------------------------------------------------

NETWORK_WIDTHS = (3, 2, 2)
NETWORK_INPUTS = {  # widths 3, 2, 2; s^1 gets a negative entry, so the ReLU's mask is not all ones
    "z^{1}": ((1,), (2,), (-1,)),
    "W^{1}": ((1, 1, 0), (-1, 0, 2)),
    "b^{1}": ((0,), (1,)),
    "W^{2}": ((1, -1), (0, 2)),
    "b^{2}": ((-1,), (1,)),
    "y": ((1,), (2,)),
}


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
              "W^{2}": (n3, n2), "b^{2}": (n3, 1), "s^{2}": (n3, 1), "y": (n3, 1), "g^{1}": (n2, 1), "g^{2}": (n3, 1),
              "mask": (n2, 1), "dz^{2}": (n2, 1)}
    names = {"mask": r"\mathbb{I}[s^{1}]", "dz^{2}": r"\frac{\partial L}{\partial z^{2}}"}
    return {key: MatrixSymbol(names.get(key, key), *shape) for key, shape in shapes.items()}


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
    forward = {"s^{1}": s1.T, "z^{2}": z2.T, "s^{2}": s2.T, "L": loss.value(s2, array("y").T)}
    g2 = loss.gradient(s2, array("y").T)
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
    forward["L"] = sum((forward["s^{2}"] - values["y"]).applyfunc(lambda r: r**2))
    known = {symbols[key]: value for key, value in {**values, **forward}.items() if key != "L"}
    known[symbols["mask"]] = forward["s^{1}"].applyfunc(indicator)
    steps = []

    def step(key, name, equations, operands):
        closed = closed_form_in(rules[name], equations, {role: symbols[key_] for role, key_ in operands.items()})
        steps.append((key, name, closed, evaluate(closed, known)))
        return steps[-1][3]

    known[symbols["g^{2}"]] = step("s^{2}", "squared_loss.prediction", fc.SQUARED_LOSS,
                                   {"prediction": "s^{2}", "target": "y"})
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
    wrong = [f"the forward {key}" for key in forward if _differs(Matrix([forward[key]]) if key == "L"
                                                                else forward[key], numeric_forward[key])]
    wrong += [f"dL/d{step_.key} ({step_.rule})" for step_ in steps if _differs(step_.value, step_.numeric)]
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
    symbol = {name: MatrixSymbol(name, *shape) for name, shape in names.items()}

    def entries(name, rows, cols):  # the check's entry names: w^{1}_{j,k} for W^{1}, others as named
        base = IndexedBase(name[0].lower() + name[1:])
        return Matrix(rows, cols, lambda r, c: base[r + 1, c + 1] if cols > 1 else base[r + 1])

    values = {symbol[name]: entries(name, *shape) for name, shape in names.items()}
    values[symbol["z^{2}"]] = check.forward["z^{2}"]
    s1, z2, s2, y = (IndexedBase(name) for name in ("s^{1}", "z^{2}", "s^{2}", "y"))
    n_3 = Symbol("n_3", integer=True, positive=True)
    rows = ((MatrixSymbol("s^{1}", n2, 1), symbol["W^{1}"] * symbol["z^{1}"] + symbol["b^{1}"]),
            (z2[index], relu(s1[index])),
            (MatrixSymbol("s^{2}", n3, 1), symbol["W^{2}"] * symbol["z^{2}"] + symbol["b^{2}"]),
            (Symbol("L"), Sum((s2[index] - y[index]) ** 2, (index, 1, n_3))))
    wrong = []
    if evaluate(rows[0][1], values) != check.forward["s^{1}"]:
        wrong.append("s^1")
    if any(relu(check.forward["s^{1}"][k]) != check.forward["z^{2}"][k] for k in range(n2)):
        wrong.append("z^2")
    if evaluate(rows[2][1], values) != check.forward["s^{2}"]:
        wrong.append("s^2")
    loss = rows[3][1].subs(n_3, n3).doit().xreplace(
        {s2[k + 1]: check.forward["s^{2}"][k] for k in range(n3)} | {y[k + 1]: IndexedBase("y")[k + 1] for k in range(n3)})
    if expand(loss - check.loss) != 0:
        wrong.append("L")
    reason = f"differs from the differentiated expression in {', '.join(wrong)}" if wrong else \
        "each equals the expression SymPy differentiates, exactly"
    return NetworkForms(rows, not wrong, reason)
