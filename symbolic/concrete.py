"""Concrete-size verdicts of gradient claims, with the kind of "holds", a counterexample, and FD.

A rational claim (traces, products, inverses, determinants, log det, ...) is first evaluated with
its exact gradient at small rational points (``engine.sampling``, ``engine.exact``): a difference
there is a certain counterexample (sizes, entry from 1, the point, both exact values). Otherwise
it holds either exactly (polynomial entries of few terms: written out with symengine,
differentiated, the difference expanded to 0) or probabilistically (exact values at random
integer points; Schwartz-Zippel bound with the degree from ``engine.bounds``), and
``GradientVerdict.evidence`` says which. Claims outside the rationals (exp, other functions) are
written out and decided by SymPy's diff and ``cancel``, for small sizes only. ``finite_difference_check`` compares the claimed
gradient with central differences at a random point (float64), as a numeric cross-check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import symengine as se
from sympy import Matrix, Rational, Symbol, cancel, diff, lambdify, nsimplify, sympify
from sympy.matrices.exceptions import ShapeError
from sympy.printing.numpy import NumPyPrinter

from gradproof.numeric.gradcheck import compare
from gradproof.symbolic.engine.bounds import analysis_of
from gradproof.symbolic.engine.equations import sizes_text
from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.engine.exact import Singular
from gradproof.symbolic.engine.explicit import entry_symbols, evaluate
from gradproof.symbolic.engine.identities import explicit_symbols, matrix_symbols
from gradproof.symbolic.engine.sampling import (
    display_point,
    gradient_comparison,
    gradient_values,
    named,
    refute,
    schwartz_zippel,
)
from gradproof.symbolic.engine.verdict import EXACT, Evidence, cancels_to_zero, first_mismatch, point_text


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
    """Where derived and claimed differ: sizes, entry (from 1), and exact values at a rational point.

    ``derived``/``claimed`` are the entry's expressions when they were written out symbolically,
    else the same exact values as ``derived_value``/``claimed_value``. ``point`` names every
    coordinate (``X[1,2]``, from 1).
    """

    sizes: dict
    index: tuple[int, int]
    derived: object
    claimed: object
    point: dict = field(default_factory=dict)
    derived_value: object = None
    claimed_value: object = None

    def describe(self) -> str:
        if self.point and self.derived is self.derived_value:
            return (f"sizes {sizes_text(self.sizes)}, entry {self.index} (from 1), at the rational point {point_text(self.point)}: "
                    f"derived {self.derived_value}, claimed {self.claimed_value}")
        text = f"sizes {sizes_text(self.sizes)}, entry {self.index}: derived {self.derived}, claimed {self.claimed}"
        if self.point:
            text += f"; at a rational point they are {self.derived_value} and {self.claimed_value}"
        return text


@dataclass(frozen=True)
class GradientVerdict:
    """The verdict at concrete sizes. ``evidence`` says which kind of "holds" (``Evidence.describe``).

    ``derived``/``claimed`` are symbolic matrices when the entries were written out (exact
    symbolic path), else the exact values at the rational point ``point`` (names from 1).
    """

    claim: object  # symbolic.claims.GradientClaim
    sizes: dict
    objective: object
    derived: Matrix
    claimed: Matrix
    counterexample: Counterexample | None
    evidence: Evidence = field(default_factory=lambda: Evidence(EXACT, SYMPY_CANCEL))
    point: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.counterexample is None

    def describe(self) -> str:
        """HOLDS (and which kind) or DOES NOT HOLD (and the counterexample), as every printer shows it."""
        if self.holds:
            return f"HOLDS at sizes {sizes_text(self.sizes)}: {self.evidence.describe()}"
        return f"DOES NOT HOLD: {self.counterexample.describe()}"


SYMPY_CANCEL = "symbolic entries, SymPy diff, differences decided by cancel"
SYMENGINE = "symbolic entries, symengine diff, differences expanded to 0"
RATIONAL_POINTS = "exact rational arithmetic with exact forward-mode derivatives"
MAX_OPERATIONS = 2_000_000
MAX_TERMS = 20_000
MAX_SYMBOLIC_ENTRIES = 32


def _scalar(value):
    return value[0, 0] if getattr(value, "is_Matrix", False) else value


def check_gradient(claim, sizes: dict, *, seed: int = 0) -> GradientVerdict:
    """Exact verdict at concrete sizes, with a counterexample when the claim is false.

    Rational claims: refuted at small rational points (certain), then either written out and
    decided exactly (polynomial entries of few terms, symengine) or tested at random points
    (Schwartz-Zippel, labelled probabilistic with its bound). Others (exp, unknown functions):
    SymPy diff and cancel, for small sizes only. Sizes too large to answer in about 2 s are
    refused at once (InvalidInput naming the limit).
    """
    operands, scalars, objective, claimed = build_claim(claim, sizes)
    wrt, symbols = operands[claim.wrt], [*operands.values(), *scalars.values()]
    try:
        (value, claim_bound), analysis = analysis_of(
            [objective, claimed], {s: s == wrt for s in symbols}, int(wrt.rows) * int(wrt.cols))
    except NotSupported:
        return _sympy_verdict(claim, sizes, operands, objective, claimed, seed)
    if analysis.ops > MAX_OPERATIONS:
        raise InvalidInput(f"claim {claim.key} at sizes {sizes_text(sizes)}: an exact check needs about {analysis.ops:.1e} "
                           f"exact operations, above the limit of {MAX_OPERATIONS:.0e} (about 2 s); choose smaller sizes")
    compare = gradient_comparison(objective, claimed, wrt)
    mismatch = refute(compare, symbols, seed)
    if mismatch is None and value.polynomial and claim_bound.polynomial and max(value.terms, claim_bound.terms) <= MAX_TERMS:
        return _symengine_verdict(claim, sizes, operands, objective, claimed, compare, symbols, seed)
    evidence = None
    if mismatch is None:
        grad = value.grad or (0, 0)
        degree = max(grad[0] + claim_bound.value[1], claim_bound.value[0] + grad[1])
        mismatch, evidence = schwartz_zippel(compare, symbols, degree, analysis.divisors, RATIONAL_POINTS, seed)
    return _point_verdict(claim, sizes, objective, (wrt, claimed), symbols, mismatch, evidence, seed)


def _point_verdict(claim, sizes, objective, target, symbols, mismatch, evidence, seed) -> GradientVerdict:
    """A verdict shown by exact values at a rational point (the counterexample's, or a small one)."""
    wrt, claimed = target
    if mismatch is not None:
        point = mismatch.point
        counterexample = Counterexample(dict(sizes), mismatch.index, mismatch.left, mismatch.right, point,
                                        mismatch.left, mismatch.right)
        return GradientVerdict(claim, dict(sizes), objective, Matrix([[mismatch.left]]), Matrix([[mismatch.right]]),
                               counterexample, Evidence(EXACT, RATIONAL_POINTS), point)
    for attempt in range(10):
        at = display_point(symbols, seed + attempt)
        try:
            derived, claimed_values = gradient_values(objective, claimed, wrt, at)
        except Singular:
            continue
        return GradientVerdict(claim, dict(sizes), objective, _exact_matrix(derived), _exact_matrix(claimed_values),
                               None, evidence, named(at))
    return GradientVerdict(claim, dict(sizes), objective, Matrix([]), Matrix([]), None, evidence)


def _exact_matrix(rows) -> Matrix:
    """Fractions as SymPy Rationals (exact: never through floats)."""
    return Matrix([[Rational(v.numerator, v.denominator) for v in row] for row in rows])


def _symengine_verdict(claim, sizes, operands, objective, claimed, compare, symbols, seed) -> GradientVerdict:
    """Polynomial entries written out with symengine: exact, both ways."""
    values = {symbol: entry_symbols(symbol) for symbol in operands.values()}
    value = evaluate(objective, values)[0, 0]
    variables = values[operands[claim.wrt]]
    derived = se.DenseMatrix(variables.rows, variables.cols, [se.diff(value, v) for v in variables])
    claimed_matrix = evaluate(claimed, values)
    mismatch = first_mismatch(derived, claimed_matrix)
    counterexample = None
    if mismatch is not None:  # a nonzero polynomial: a random integer point shows it (almost surely)
        at, _ = schwartz_zippel(compare, symbols, 1, 0, RATIONAL_POINTS, seed)
        counterexample = Counterexample(dict(sizes), mismatch.index, mismatch.left, mismatch.right) if at is None \
            else Counterexample(dict(sizes), at.index, at.left, at.right, at.point, at.left, at.right)
    return GradientVerdict(claim, dict(sizes), sympify(value), Matrix(sympify(derived)), Matrix(sympify(claimed_matrix)),
                           counterexample, Evidence(EXACT, SYMENGINE))


def _sympy_verdict(claim, sizes, operands, objective, claimed, seed) -> GradientVerdict:
    """Outside the rationals (exp, other functions): SymPy's diff and cancel, small sizes only."""
    entries = sum(int(o.rows) * int(o.cols) for o in operands.values())
    if entries > MAX_SYMBOLIC_ENTRIES:
        raise InvalidInput(f"claim {claim.key} at sizes {sizes_text(sizes)}: {entries} operand entries; with functions outside "
                           f"the rationals the exact check is limited to {MAX_SYMBOLIC_ENTRIES} entries (about 2 s)")
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


class _NumPyWithDet(NumPyPrinter):
    """SymPy's NumPy printer, plus det(M) as numpy.linalg.det and tr(M) as numpy.trace."""

    def _print_Determinant(self, expr):
        return f"numpy.linalg.det({self._print(expr.arg)})"

    def _print_Trace(self, expr):
        return f"numpy.trace({self._print(expr.arg)})"


def _matrix_level(operands, scalars, objective, claimed, count):
    """(value, gradient) of the flat entries (row-major, as ``explicit_symbols``), lambdified on
    whole matrices (NumPy's inv, det, trace: no symbolic inverse is ever written out), or
    (None, None) where NumPy's printer has no rule for a node."""
    symbols = [*operands.values(), *scalars.values()]
    shapes = [(int(o.rows), int(o.cols)) for o in operands.values()]

    def split(flat):
        arrays, start = [], 0
        for rows, cols in shapes:
            arrays.append(np.asarray(flat[start:start + rows * cols], dtype=float).reshape(rows, cols))
            start += rows * cols
        return arrays + list(flat[start:])

    try:
        value_of = lambdify(symbols, objective, "numpy", printer=_NumPyWithDet)
        gradient_of = lambdify(symbols, claimed, "numpy", printer=_NumPyWithDet)
        probe = split(np.random.default_rng(1).standard_normal(count))
        with np.errstate(all="ignore"):
            value_of(*probe), gradient_of(*probe)
    except Exception:  # noqa: BLE001 - any printer or NumPy failure means: use the explicit entries
        return None, None

    def value(*flat):
        return float(np.asarray(value_of(*split(flat)), dtype=float).reshape(-1)[0])

    def gradient(*flat):
        return gradient_of(*split(flat))

    return value, gradient


def finite_difference_check(claim, sizes: dict, *, seed: int = 0, tries: int = 20):
    """Central differences of the objective at a random point vs the claimed gradient (float64).

    Returns the comparison report, or None (not decided) if the objective is not finite at any
    of ``tries`` random points.
    """
    operands, scalars, objective, claimed = build_claim(claim, sizes)
    explicit = {symbol: explicit_symbols(symbol) for symbol in operands.values()}
    entries = [s for m in explicit.values() for s in m] + list(scalars.values())
    value, gradient = _matrix_level(operands, scalars, objective, claimed, len(entries))
    if value is None:  # NumPy has no rule for a node (e.g. vec): the explicit entries, slower
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


