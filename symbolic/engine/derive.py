"""Derivation engine: the chain rule applied entry by entry, and exact comparison with a rule's
closed form, for concrete sizes (explicit matrices) and for general sizes (index notation).

Concrete sizes use the *local* chain rule: for each entry v of a variable,

    dJ/dv = sum over outputs o whose equation contains v of  (dJ/do) * (do/dv),

which is the full chain rule (outputs without v contribute do/dv = 0) computed only where it
can be non-zero. Every comparison is exact: ``expand(derived - claimed) == 0`` entry by entry
(``engine.verdict.first_mismatch``). A closed form of the wrong shape, or whose operands do not
conform at the given sizes, is a refuted closed form (a ``Mismatch`` naming the shapes), not an error.
General sizes go through the one prover, ``engine.general.prove_general``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sympy import Derivative, Matrix, Sum, Symbol, diff
from sympy.matrices.exceptions import ShapeError

from gradproof.symbolic.engine.equations import ConcreteSystem, LayerEquations
from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.general import CHAIN_RULE, DIFFERENTIATE, UPSTREAM, GeneralProof, prove_general
from gradproof.symbolic.engine.indexed import LINEARITY, SIFTING, collapse_deltas, matrix_entry
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.engine.verdict import Mismatch, first_mismatch

__all__ = [
    "ConcreteVerification", "GeneralProof", "J", "Mismatch", "RulePresentation", "chain_rule", "closed_form_in",
    "evaluate", "explicit", "first_mismatch", "matrix_form_mismatch", "numeric_rule_mismatch",
    "presentation_variable", "verify_concrete", "verify_general",
]


def chain_rule(outputs: Matrix, upstream: Matrix, variable: Matrix) -> Matrix:
    """dJ/d(variable), entry by entry, given the outputs' equations and dJ/d(output) values."""
    containing = defaultdict(list)
    for position, expression in enumerate(outputs):
        for atom in expression.free_symbols:
            containing[atom].append(position)

    def entry(v):
        return sum(
            (upstream[o] * diff(outputs[o], v) for o in containing.get(v, ())),
            start=0,
        )

    return variable.applyfunc(entry)


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


@dataclass(frozen=True)
class ConcreteVerification:
    """Derived gradient vs closed form, for one rule, presentation and set of sizes."""

    rule: GradientRule
    system: ConcreteSystem
    variable: str
    derived: Matrix
    closed_form: object
    claimed: Matrix
    mismatch: Mismatch | None

    @property
    def holds(self) -> bool:
        return self.mismatch is None


def verify_concrete(rule: GradientRule, equations: LayerEquations, sizes) -> ConcreteVerification:
    """Derive dJ/d(variable) from the scalar equations and compare with the closed form.

    A closed form whose operands do not conform at these sizes does not hold: the mismatch
    names the derived shape and SymPy's reason.
    """
    system = equations.instantiate(sizes)
    variable = presentation_variable(rule, equations)
    derived = chain_rule(system.outputs, system.upstream, system.explicit[variable])
    try:
        closed = closed_form_in(rule, equations, system.symbols)
    except ShapeError as error:
        undefined = Mismatch(None, None, None, (derived.shape, f"not defined ({error})"))
        return ConcreteVerification(rule, system, variable, derived, None, None, undefined)
    claimed = explicit(closed, system)
    return ConcreteVerification(
        rule, system, variable, derived, closed, claimed, first_mismatch(derived, claimed)
    )


J = Symbol("L")  # the loss (DESIGN.md notation: L); the name J is kept for importers
"""The scalar objective whose gradients the rules give."""


def _generic_indices(equations: LayerEquations, variable: str):
    operand = equations.operand(variable)
    roles = [role for role in (operand.rows, operand.cols) if role is not None]
    indices = [Symbol(name, integer=True) for name in ("p", "q")[: len(roles)]]
    ranges = {index: (1, equations.sizes[role]) for index, role in zip(indices, roles)}
    return indices, ranges


@dataclass(frozen=True)
class RulePresentation:
    """A rule in one presentation, as a statement for ``prove_general``.

    The generic entry dJ/dv_pq is carried by the chain rule through the scalar equation of a
    generic output entry, then collapsed by linearity and sifting; the right side is the same
    entry of the closed form. Both end expressions are compared in normal form.
    """

    rule: GradientRule
    equations: LayerEquations

    def general_statement(self) -> GeneralProof:
        rule, equations = self.rule, self.equations
        variable = presentation_variable(rule, equations)
        indices, ranges = _generic_indices(equations, variable)
        functions = equations.entry_functions()
        entry = functions[variable](*indices)
        out_indices = [index for index, _ in equations.output_indices()]
        output_entry = functions[equations.output.key](*out_indices)
        upstream = equations.upstream(functions, *out_indices)
        equation = equations.equation(functions, *out_indices)
        limits = [(i, 1, size) for i, size in reversed(equations.output_indices())]
        differentiated = _sum(upstream * diff(equation, entry), limits)
        try:
            closed = closed_form_in(rule, equations, equations.matrix_symbols())
        except ShapeError as error:
            raise OutsideIndexAlgebra(f"the closed form's operands do not conform for symbolic sizes: {error}") from error
        row = indices[0] if indices else 1  # a scalar variable: entry (1, 1) of a 1 x 1 closed form
        column = indices[1] if len(indices) > 1 else 1
        closed_entry = matrix_entry(closed, row, column, equations.entries_by_name())
        return GeneralProof(
            subject=self, left=None, right=closed, rows=tuple(indices[:1]), cols=tuple(indices[1:]),
            ranges=ranges, wrt=variable, rules=(CHAIN_RULE, LINEARITY, SIFTING),
            left_entry=Derivative(J, entry),
            left_steps=(
                (_sum(Derivative(J, output_entry) * Derivative(output_entry, entry), limits), CHAIN_RULE),
                (_sum(upstream * Derivative(output_entry, entry), limits), UPSTREAM),
                (differentiated, DIFFERENTIATE),
                (collapse_deltas(differentiated, ranges), f"{LINEARITY}; {SIFTING}"),
            ),
            right_entry=closed_entry,
            right_steps=((collapse_deltas(closed_entry, ranges), LINEARITY),),
        )


def verify_general(rule: GradientRule, equations: LayerEquations) -> GeneralProof:
    """Prove derived == closed form for a generic entry (p, q) with symbolic sizes."""
    return prove_general(RulePresentation(rule, equations))


def _sum(body, limits):
    return Sum(body, *limits) if limits else body


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
