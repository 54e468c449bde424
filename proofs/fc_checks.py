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


def differs(exact: Matrix, computed) -> bool:
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
             if differs(exact, computed)]
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
                                                 ("dL/dS", value_s, numeric_s)) if differs(exact, computed)]
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
