"""Gradient claims: is the claimed gradient of a scalar objective right? (issue 6; denominator layout)

A claim names its operands with shapes over dimensions (``identities.Operand``), a scalar-valued
objective (traces, quadratic forms, norms, log det, inverses, element-wise functions), the operand
to differentiate by, and the claimed gradient, all as SymPy expressions of MatrixSymbols. The
verdict is exact for concrete sizes: every entry of the objective is written out, SymPy
differentiates it, and ``cancel`` decides whether derived - claimed is 0 (exact for rational
functions, such as the entries of an inverse). A refutation names the size, the entry, both
expressions and their exact values at a rational point where they differ. A finite-difference
check at a random point runs alongside, and a general-size verdict is given where the structured
index algebra applies (products, transposes, traces, Kronecker products, vec).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sympy import Indexed, Matrix, MatrixSymbol, Rational, Symbol, cancel, diff, expand, lambdify, nsimplify
from sympy.matrices.common import ShapeError

from gradproof.numeric.gradcheck import compare
from gradproof.symbolic.engine.identities import Operand, dimension_names, dimension_value, explicit_symbols
from gradproof.symbolic.engine.indexed import normal_form
from gradproof.symbolic.engine.structured import StructureMismatch, entry, structure


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

    def dimensions(self) -> tuple[str, ...]:
        return dimension_names(self.operands)


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
        raise ValueError(f"claim {claim.key}: sizes for {missing} are required, got {sizes}")
    operands = {o.name: MatrixSymbol(o.name, dimension_value(o.rows, dims), dimension_value(o.cols, dims)) for o in claim.operands}
    scalars = {name: Symbol(name) for name in claim.scalars}
    return operands, dims, scalars


def _build(claim, sizes):
    operands, dims, scalars = symbols_for(claim, sizes)
    try:
        objective, claimed = claim.objective(operands, dims, scalars), claim.claimed(operands, dims, scalars)
    except ShapeError as error:
        shapes = ", ".join(f"{name} {symbol.shape}" for name, symbol in operands.items())
        raise ValueError(f"claim {claim.key}: shapes clash ({shapes}): {error}") from error
    if getattr(objective, "is_Matrix", False) and objective.shape != (1, 1):
        raise ValueError(f"claim {claim.key}: the objective must be scalar, it has shape {objective.shape}")
    target = operands[claim.wrt]
    if getattr(claimed, "shape", None) is not None and tuple(claimed.shape) != tuple(target.shape):
        raise ValueError(f"claim {claim.key}: the claimed gradient has shape {claimed.shape}, {claim.wrt} has {target.shape}")
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
    counterexample = None
    for i in range(derived.rows):
        for j in range(derived.cols):
            if cancel(derived[i, j] - claimed_matrix[i, j]) != 0:
                counterexample = _witness(sizes, (i + 1, j + 1), derived[i, j], claimed_matrix[i, j], seed)
                break
        if counterexample:
            break
    return GradientVerdict(claim, dict(sizes), value, derived, claimed_matrix, counterexample)


def _witness(sizes, index, derived, claimed, seed):
    """Exact values of both sides at a random rational point where they differ (or none found)."""
    rng = random.Random(seed)
    free = sorted((derived - claimed).free_symbols, key=str)
    for _ in range(20):
        point = {s: Rational(rng.randint(-9, 9), rng.randint(1, 4)) for s in free}
        try:
            left, right = derived.xreplace(point), claimed.xreplace(point)
            if left.is_finite and right.is_finite and cancel(left - right) != 0:
                return Counterexample(sizes, index, derived, claimed, point, nsimplify(left), nsimplify(right))
        except (ZeroDivisionError, TypeError):
            continue
    return Counterexample(sizes, index, derived, claimed)


def finite_difference_check(claim: GradientClaim, sizes: dict, *, seed: int = 0, tries: int = 20):
    """Central differences of the objective at a random point vs the claimed gradient (float64)."""
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
    raise ValueError(f"claim {claim.key}: the objective is not finite at {tries} random points")


def prove_general(claim: GradientClaim):
    """(holds, derived entry, claimed entry, reason) for symbolic sizes, where the index algebra applies."""
    operands, _, objective, claimed = _build(claim, None)
    target = operands[claim.wrt]
    try:
        if structure(objective) != ((), ()):
            raise StructureMismatch("the objective is not a scalar in index notation")
        rows, cols = structure(target)
        p = tuple(Symbol(f"p_{k + 1}", integer=True) for k in range(len(rows)))
        q = tuple(Symbol(f"q_{k + 1}", integer=True) for k in range(len(cols)))
        ranges = {**dict(zip(p, [(1, s) for s in rows])), **dict(zip(q, [(1, s) for s in cols]))}
        value = entry(objective, (), (), set())
        variable = entry(target, p, q, set())
        if not isinstance(variable, Indexed):
            raise StructureMismatch(f"{claim.wrt} is not a matrix of entries")
        derived = normal_form(diff(value, variable), ranges)
        stated = normal_form(entry(claimed, p, q, set()), ranges)
    except StructureMismatch as error:
        return None, None, None, f"no index-notation argument: {error}"
    except (TypeError, AttributeError, ValueError):
        return None, None, None, ("outside the index algebra (products, transposes, traces, Kronecker products, "
                                  "vec); concrete sizes only")
    return expand(derived - stated) == 0, derived, stated, ""


def layer_equations(name: str, sizes: dict, operands, output, equation, upstream=None, matrix_form=None):
    """A user's layer as scalar equations (``symbolic.equations.LayerEquations``), for ``check_equations``.

    ``sizes`` maps size roles to names (e.g. ``{"in": "M", "out": "N"}``); ``operands`` and ``output``
    are ``symbolic.equations.Operand``; ``equation(ops, *index)`` is one output entry; the upstream
    gradient defaults to an operand keyed ``"grad_output"``.
    """
    from gradproof.symbolic.engine.equations import LayerEquations

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
    from gradproof.symbolic.engine.derive import verify_concrete, verify_general
    from gradproof.symbolic.engine.rule import GradientRule

    rule = GradientRule(name=f"{equations.name}.{wrt}", target="user", wrt=wrt, summary="user claim",
                        seed_ref="user claim", closed_form=closed_form, numeric_rule=None, numeric_operands=(),
                        presentations=(equations,))
    return verify_concrete(rule, equations, sizes), verify_general(rule, equations)
