"""Concrete-size verdicts of gradient claims: exact at given sizes, with a counterexample, and FD.

Every entry of the objective is written out, SymPy differentiates it, and the difference with the
claimed gradient is decided exactly (``cancel``: exact for rational functions, such as the entries
of an inverse). A refutation names the size, the entry (from 1), both expressions and their exact
values at a rational point where they differ. ``finite_difference_check`` compares the claimed
gradient with central differences at a random point (float64), as a numeric cross-check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from sympy import Matrix, Rational, Symbol, cancel, diff, lambdify, nsimplify
from sympy.matrices.exceptions import ShapeError

from gradproof.numeric.gradcheck import compare
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.identities import explicit_symbols, matrix_symbols
from gradproof.symbolic.engine.verdict import cancels_to_zero, first_mismatch


def symbols_for(claim, sizes: dict | None):
    """(operands as MatrixSymbols, dims, scalars) with symbolic or concrete dimensions."""
    dims = {name: Symbol(name, integer=True, positive=True) for name in claim.dimensions()} if sizes is None else dict(sizes)
    missing = [name for name in claim.dimensions() if name not in dims]
    if missing:
        raise InvalidInput(f"claim {claim.key}: sizes for {missing} are required, got {sizes}")
    operands = matrix_symbols(claim.operands, dims)
    scalars = {name: Symbol(name) for name in claim.scalars}
    return operands, dims, scalars


def build_claim(claim, sizes):
    """(operands, scalars, objective, claimed) as SymPy objects, symbolic sizes when ``sizes`` is None."""
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
    claim: object  # symbolic.claims.GradientClaim
    sizes: dict
    objective: object
    derived: Matrix
    claimed: Matrix
    counterexample: Counterexample | None

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def _scalar(value):
    return value[0, 0] if getattr(value, "is_Matrix", False) else value


def check_gradient(claim, sizes: dict, *, seed: int = 0) -> GradientVerdict:
    """Exact verdict at concrete sizes, with a counterexample when the claim is false."""
    operands, _, objective, claimed = build_claim(claim, sizes)
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


def finite_difference_check(claim, sizes: dict, *, seed: int = 0, tries: int = 20):
    """Central differences of the objective at a random point vs the claimed gradient (float64).

    Returns the comparison report, or None (not decided) if the objective is not finite at any
    of ``tries`` random points.
    """
    operands, scalars, objective, claimed = build_claim(claim, sizes)
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


