"""Gradient claims: is the claimed gradient of a scalar objective right? (issue 6; denominator layout)

A claim names its operands with shapes over dimensions (``Operand.matrix``), a scalar-valued
objective (traces, quadratic forms, norms, log det, inverses, element-wise functions), the operand
to differentiate by, and the claimed gradient, all as SymPy expressions of MatrixSymbols. The
verdict is exact for concrete sizes: every entry of the objective is written out, SymPy
differentiates it, and ``cancel`` decides whether derived - claimed is 0 (exact for rational
functions, such as the entries of an inverse). A refutation names the size, the entry, both
expressions and their exact values at a rational point where they differ. A finite-difference
check at a random point runs alongside, and a general-size verdict is given by the engine's one
prover (``engine.general.prove_general``) where the structured index algebra applies (products,
transposes, traces, Kronecker products, vec); elsewhere it is "not decided", with the reason.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sympy import Indexed, Matrix, Rational, Symbol, cancel, diff, lambdify, nsimplify
from sympy.matrices.exceptions import ShapeError

from gradproof.numeric.gradcheck import compare
from gradproof.symbolic.engine.derive import verify_concrete, verify_general
from gradproof.symbolic.engine.equations import LayerEquations
from gradproof.symbolic.engine.errors import InvalidInput, OutsideIndexAlgebra
from gradproof.symbolic.engine.general import GeneralProof, generic_indices
from gradproof.symbolic.engine.identities import explicit_symbols, matrix_symbols
from gradproof.symbolic.engine.operands import Operand, dimension_names, require_matrix_operands
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.engine.structured import entry, structure
from gradproof.symbolic.engine.verdict import cancels_to_zero, first_mismatch


@dataclass(frozen=True)
class GradientClaim:
    """d objective / d wrt = claimed, for every size of the declared dimensions."""

    key: str
    operands: tuple[Operand, ...]
    objective: Callable
    wrt: str
    claimed: Callable
    scalars: tuple[str, ...] = ()
    seed_ref: str = "user claim"

    def __post_init__(self):
        require_matrix_operands(self.operands, f"claim {self.key}")

    def dimensions(self) -> tuple[str, ...]:
        return dimension_names(self.operands)

    def general_statement(self) -> GeneralProof:
        """Generic entry (i, j) of d objective / d wrt, against the claim's, in index notation.

        The objective's entry is differentiated by the generic entry of ``wrt``; raises
        ``OutsideIndexAlgebra`` where the index algebra has no rule (e.g. a determinant).
        """
        operands, _, objective, claimed = _build(self, None)
        target = operands[self.wrt]
        if structure(objective) != ((), ()):
            raise OutsideIndexAlgebra("the objective is not a scalar in index notation")
        slots = structure(target)
        rows, cols, ranges = generic_indices(slots)
        used: set = set()
        value = entry(objective, (), (), used)
        variable = entry(target, rows, cols, used)
        if not isinstance(variable, Indexed):
            raise OutsideIndexAlgebra(f"{self.wrt} is not a matrix of entries")
        return GeneralProof(self, left=objective, right=claimed, rows=rows, cols=cols, slots=slots, ranges=ranges,
                            left_entry=diff(value, variable), right_entry=entry(claimed, rows, cols, used),
                            rules=tuple(sorted(used)), wrt=self.wrt)


@dataclass(frozen=True)
class Counterexample:
    sizes: dict
    index: tuple[int, int]
    derived: object
    claimed: object
    point: dict = field(default_factory=dict)
    derived_value: object = None
    claimed_value: object = None

    def describe(self) -> str:
        text = f"sizes {self.sizes}, entry {self.index}: derived {self.derived}, claimed {self.claimed}"
        if self.point:
            text += f"; at a rational point they are {self.derived_value} and {self.claimed_value}"
        return text


@dataclass(frozen=True)
class GradientVerdict:
    claim: GradientClaim
    sizes: dict
    objective: object
    derived: Matrix
    claimed: Matrix
    counterexample: Counterexample | None

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def symbols_for(claim: GradientClaim, sizes: dict | None):
    """(operands as MatrixSymbols, dims, scalars) with symbolic or concrete dimensions."""
    dims = {name: Symbol(name, integer=True, positive=True) for name in claim.dimensions()} if sizes is None else dict(sizes)
    missing = [name for name in claim.dimensions() if name not in dims]
    if missing:
        raise InvalidInput(f"claim {claim.key}: sizes for {missing} are required, got {sizes}")
    operands = matrix_symbols(claim.operands, dims)
    scalars = {name: Symbol(name) for name in claim.scalars}
    return operands, dims, scalars


def _build(claim, sizes):
    operands, dims, scalars = symbols_for(claim, sizes)
    try:
        objective, claimed = claim.objective(operands, dims, scalars), claim.claimed(operands, dims, scalars)
    except ShapeError as error:
        shapes = ", ".join(f"{name} {symbol.shape}" for name, symbol in operands.items())
        raise InvalidInput(f"claim {claim.key}: shapes clash ({shapes}): {error}") from error
    if getattr(objective, "is_Matrix", False) and objective.shape != (1, 1):
        raise InvalidInput(f"claim {claim.key}: the objective must be scalar, it has shape {objective.shape}")
    target = operands[claim.wrt]
    if getattr(claimed, "shape", None) is not None and tuple(claimed.shape) != tuple(target.shape):
        raise InvalidInput(f"claim {claim.key}: the claimed gradient has shape {claimed.shape}, {claim.wrt} has "
                           f"{target.shape} (gradients are in denominator layout: the shape of {claim.wrt})")
    return operands, scalars, objective, claimed


def _scalar(value):
    return value[0, 0] if getattr(value, "is_Matrix", False) else value


def check_gradient(claim: GradientClaim, sizes: dict, *, seed: int = 0) -> GradientVerdict:
    """Exact verdict at concrete sizes, with a counterexample when the claim is false."""
    operands, _, objective, claimed = _build(claim, sizes)
    explicit = {symbol: explicit_symbols(symbol) for symbol in operands.values()}
    value = _scalar(objective.xreplace(explicit).doit())
    variables = explicit[operands[claim.wrt]]
    derived = variables.applyfunc(lambda v: diff(value, v))
    claimed_matrix = Matrix(claimed.xreplace(explicit).doit()) if getattr(claimed, "is_Matrix", False) else \
        Matrix([[claimed]])
    mismatch = first_mismatch(derived, claimed_matrix, cancels_to_zero)
    counterexample = None if mismatch is None else _witness(sizes, mismatch.index, mismatch.left, mismatch.right, seed)
    return GradientVerdict(claim, dict(sizes), value, derived, claimed_matrix, counterexample)


def _witness(sizes, index, derived, claimed, seed):
    """Exact values of both sides at a random rational point where they differ (or none found)."""
    rng = random.Random(seed)
    free = sorted((derived - claimed).free_symbols, key=str)
    for _ in range(20):
        point = {s: Rational(rng.randint(-9, 9), rng.randint(1, 4)) for s in free}
        left, right = derived.xreplace(point), claimed.xreplace(point)
        if left.is_finite and right.is_finite and cancel(left - right) != 0:
            return Counterexample(sizes, index, derived, claimed, point, nsimplify(left), nsimplify(right))
    return Counterexample(sizes, index, derived, claimed)


def finite_difference_check(claim: GradientClaim, sizes: dict, *, seed: int = 0, tries: int = 20):
    """Central differences of the objective at a random point vs the claimed gradient (float64).

    Returns the comparison report, or None (not decided) if the objective is not finite at any
    of ``tries`` random points.
    """
    operands, scalars, objective, claimed = _build(claim, sizes)
    explicit = {symbol: explicit_symbols(symbol) for symbol in operands.values()}
    entries = [s for m in explicit.values() for s in m] + list(scalars.values())
    value = lambdify(entries, _scalar(objective.xreplace(explicit).doit()), "numpy")
    gradient = lambdify(entries, Matrix(claimed.xreplace(explicit).doit()), "numpy")
    rng = np.random.default_rng(seed)
    target = [entries.index(s) for s in explicit[operands[claim.wrt]]]
    for _ in range(tries):
        point = rng.standard_normal(len(entries))
        with np.errstate(all="ignore"):
            if not np.isfinite(value(*point)):
                continue
        numeric = np.empty(len(target))
        for k, position in enumerate(target):
            step = 1e-6 * max(1.0, abs(point[position]))
            up, down = point.copy(), point.copy()
            up[position] += step
            down[position] -= step
            numeric[k] = (value(*up) - value(*down)) / (2 * step)
        shape = operands[claim.wrt].shape
        analytic = np.asarray(gradient(*point), dtype=float).reshape(-1)
        return compare(f"{claim.key}: d/d{claim.wrt}", analytic.reshape(shape), numeric.reshape(shape),
                       method="central difference, h = 1e-6 * max(1, |x|)", evaluations=2 * len(target))
    return None


def layer_equations(name: str, sizes: dict, operands, output, equation, upstream=None, matrix_form=None):
    """A user's layer as scalar equations (``engine.equations.LayerEquations``), for ``check_equations``.

    ``sizes`` maps size roles to names (e.g. ``{"in": "M", "out": "N"}``); ``operands`` and ``output``
    are ``Operand``; ``equation(ops, *index)`` is one output entry; the upstream gradient defaults
    to an operand keyed ``"grad_output"``.
    """
    symbols = {role: Symbol(label, integer=True, positive=True) for role, label in sizes.items()}
    keys = [operand.key for operand in operands]
    return LayerEquations(
        name=name, title=name, seed_ref="user claim", sizes=symbols, operands=tuple(operands), output=output,
        equation=equation,
        upstream=upstream or (lambda ops, *index: ops["grad_output"](*index)),
        canonical=dict, variables={key: (key, False) for key in keys if key != "grad_output"},
        matrix_form=matrix_form,
    )


def check_equations(equations, wrt: str, closed_form, sizes: dict):
    """Is dJ/d(wrt) = closed_form(operands)? Derived from the scalar equations by the chain rule.

    Returns ``(concrete, general)``: the exact comparison at ``sizes`` (with the first differing
    entry when it fails) and the index-notation proof for symbolic sizes.
    """
    rule = GradientRule(name=f"{equations.name}.{wrt}", target="user", wrt=wrt, summary="user claim",
                        seed_ref="user claim", closed_form=closed_form, numeric_rule=None, numeric_operands=(),
                        presentations=(equations,))
    return verify_concrete(rule, equations, sizes), verify_general(rule, equations)
