"""A rule's closed form in one presentation of a layer: written in the presentation's operands, evaluated
on explicit matrices, and compared exactly with the numeric rule run on symbols and with the scalar
equations' matrix form (``engine.verdict.first_mismatch``: ``expand(left - right) == 0`` entry by entry).

The derivation itself (the chain rule entry by entry, exact at concrete sizes and in index notation for
general sizes) is the description engine's, the one users' layers go through:
``symbolic.layers.presentations.verify_presentation`` turns a presentation into a layer description.
"""

from __future__ import annotations

import numpy as np
from sympy import Matrix, Symbol

from gradproof.symbolic.engine.equations import ConcreteSystem, LayerEquations
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.engine.verdict import Mismatch, first_mismatch

__all__ = [
    "J", "Mismatch", "closed_form_in", "evaluate", "explicit", "first_mismatch", "matrix_form_mismatch",
    "numeric_rule_mismatch", "presentation_variable",
]


def presentation_variable(rule: GradientRule, equations: LayerEquations) -> str:
    """The operand of ``equations`` that corresponds to the rule's canonical ``wrt``."""
    for key, (canonical_key, _) in equations.variables.items():
        if canonical_key == rule.wrt:
            return key
    raise KeyError(f"{equations.name} has no variable for {rule.wrt!r}")


def closed_form_in(rule: GradientRule, equations: LayerEquations, symbols) -> object:
    """The rule's closed form written in the presentation's own MatrixSymbols and layout.

    The canonical closed form is evaluated on the translated operands; if the presentation's
    variable is the transpose of the canonical one, so is its gradient (denominator layout).
    """
    expression = rule.closed_form(equations.canonical(symbols))
    _, transposed = equations.variables[presentation_variable(rule, equations)]
    return (expression.T if transposed else expression).doit()


def evaluate(matrix_expression, substitution) -> Matrix:
    """Evaluate a MatrixSymbol expression with MatrixSymbol -> explicit Matrix substituted."""
    value = matrix_expression.xreplace(substitution).doit()
    if not getattr(value, "is_Matrix", False):
        return Matrix([[value]])  # a scalar-valued form, e.g. a trace
    return Matrix(value.as_explicit() if hasattr(value, "as_explicit") else value)


def explicit(matrix_expression, system: ConcreteSystem) -> Matrix:
    """Evaluate a MatrixSymbol expression on the system's explicit entry matrices."""
    return evaluate(matrix_expression, system.substitution())


J = Symbol("L")  # the loss (DESIGN.md notation: L); the name J is kept for importers
"""The scalar objective whose gradients the rules give."""


def _object_array(matrix: Matrix, rank: int) -> np.ndarray:
    array = np.array(matrix.tolist(), dtype=object)
    return array.reshape(-1) if rank == 1 else array


def numeric_rule_mismatch(rule: GradientRule, sizes) -> Mismatch | None:
    """Run the numeric rule on arrays of SymPy symbols; compare with the closed form exactly.

    The numeric rule's result is laid out in the closed form's shape (a vector result for a
    column); a result with another number of entries is a mismatch of shapes.
    """
    equations = rule.canonical
    system = equations.instantiate(sizes)
    arguments = [
        _object_array(system.explicit[key], equations.operand(key).rank)
        for key in rule.numeric_operands
    ]
    result = np.asarray(rule.numeric_rule(*arguments), dtype=object)
    claimed = explicit(closed_form_in(rule, equations, system.symbols), system)
    if result.size != len(claimed):
        return Mismatch(None, None, None, (result.shape, claimed.shape))
    return first_mismatch(Matrix(result.reshape(claimed.shape).tolist()), claimed)


def matrix_form_mismatch(equations: LayerEquations, sizes) -> Mismatch | None:
    """Check that the presentation's matrix form has the scalar equations as its entries."""
    if equations.matrix_form is None:
        raise ValueError(f"{equations.name} states no matrix form")
    system = equations.instantiate(sizes)
    stated = explicit(equations.matrix_form(system.symbols), system)
    return first_mismatch(system.outputs, stated)
