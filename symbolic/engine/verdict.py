"""The one comparator of the engine: where two explicit matrices first differ, exactly.

``first_mismatch(left, right)`` walks the entries in row-major order and returns the first
(1-based) entry whose difference does not vanish, or ``None`` when left = right entry by entry.
"Vanishes" is decided exactly: ``expands_to_zero`` (polynomials: expand(a - b) == 0, with SymPy or,
for symengine matrices, symengine) or ``cancels_to_zero`` (rational functions, such as the entries
of an inverse: cancel(a - b) == 0). Different shapes are a mismatch too, never an exception: a
closed form of the wrong shape is a refuted closed form.

>>> from sympy import Matrix, symbols
>>> a, b = symbols("a b")
>>> first_mismatch(Matrix([[a + b, a]]), Matrix([[b + a, b]])).describe()
'entry (1, 2): derived a, claimed b'
>>> first_mismatch(Matrix([[a]]), Matrix([[a, b]])).describe()
'shapes differ: derived (1, 1), claimed (1, 2)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import symengine as se
from sympy import cancel, expand, sympify


@dataclass(frozen=True)
class Mismatch:
    """Where two matrices differ: the first entry (1-based) and both values, or their shapes.

    ``left`` is the derived (or left-hand) side, ``right`` the claimed (or right-hand) one. When
    the shapes differ, ``index`` is None and ``shapes`` holds both shapes.
    """

    index: tuple[int, ...] | None
    left: object
    right: object
    shapes: tuple[tuple, tuple] | None = None
    point: dict | None = None
    values: tuple | None = None  # exact (left, right) at ``point`` when left/right are expressions

    @property
    def derived(self):
        """The derived side (``left``), as derivations name it."""
        return self.left

    @property
    def claimed(self):
        """The claimed side (``right``), as derivations name it."""
        return self.right

    def describe(self) -> str:
        if self.shapes is not None:
            return f"shapes differ: derived {self.shapes[0]}, claimed {self.shapes[1]}"
        if self.point and self.values:
            return f"entry {self.index}: derived {self.left}, claimed {self.right}; at the rational point " \
                   f"{point_text(self.point)} they are {self.values[0]} and {self.values[1]}"
        if self.point:
            return f"entry {self.index} (from 1) at the rational point {point_text(self.point)}: " \
                   f"derived {self.left}, claimed {self.right}"
        return f"entry {self.index}: derived {self.left}, claimed {self.right}"


def point_text(point: dict) -> str:
    """A point as ``X[1,1] = 1/2, X[1,2] = -3, ...`` (exact rationals, names from 1)."""
    return ", ".join(f"{name} = {value}" for name, value in point.items())


EXACT = "exact"
PROBABILISTIC = "probabilistic"


@dataclass(frozen=True)
class Evidence:
    """Which kind of "holds": ``kind`` is EXACT (a symbolic identity, certain) or PROBABILISTIC.

    A probabilistic "holds" is a Schwartz-Zippel test: derived - claimed = N/Q with deg N <= ``degree``;
    at ``trials`` points drawn uniformly from S^k (S: ``sample_size`` integers), redrawn where one of
    the divisors (total degree ``divisors``) vanishes, a nonzero N vanishes at each with probability
    at most degree / (|S| - divisors). ``error_bound`` = (degree / (|S| - divisors))^trials bounds the
    probability that a false claim passes every trial.
    """

    kind: str
    method: str
    degree: int | None = None
    sample_size: int | None = None
    divisors: int = 0
    trials: int = 0
    error_bound: object = None  # a Fraction for PROBABILISTIC

    @property
    def exact(self) -> bool:
        return self.kind == EXACT

    def describe(self) -> str:
        if self.exact:
            return f"exact ({self.method})"
        return (f"probabilistic ({self.method}): {self.trials} random points with integer entries from a set of "
                f"|S| = {self.sample_size} values; the numerator of the difference has degree <= {self.degree}, so "
                f"P(a false claim passes) <= ({self.degree}/(|S| - {self.divisors}))^{self.trials} "
                f"<= {float(self.error_bound):.1e} (Schwartz-Zippel)")


def expands_to_zero(value) -> bool:
    """expand(value) == 0, with symengine for symengine values and SymPy otherwise."""
    if isinstance(value, se.Basic):
        return se.expand(value) == 0
    return expand(value) == 0


def cancels_to_zero(value) -> bool:
    """cancel(value) == 0: exact for rational functions of the entries."""
    return cancel(sympify(value)) == 0


def first_mismatch(left, right, vanishes: Callable[[object], bool] = expands_to_zero) -> Mismatch | None:
    """None if ``vanishes(left - right)`` entry by entry, else the first differing entry (1-based).

    ``left`` and ``right`` are SymPy or symengine matrices; values in the result are SymPy.
    """
    if tuple(left.shape) != tuple(right.shape):
        return Mismatch(None, None, None, (tuple(left.shape), tuple(right.shape)))
    rows, cols = left.shape
    if isinstance(left, se.DenseMatrix) and isinstance(right, se.DenseMatrix) and vanishes is expands_to_zero:
        if (left - right).expand().is_zero_matrix:  # one call for the whole matrix
            return None
    for row in range(rows):
        for col in range(cols):
            if not vanishes(left[row, col] - right[row, col]):
                return Mismatch((row + 1, col + 1), sympify(left[row, col]), sympify(right[row, col]))
    return None
