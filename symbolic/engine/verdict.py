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
        return f"entry {self.index}: derived {self.left}, claimed {self.right}"


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
    for row in range(rows):
        for col in range(cols):
            if not vanishes(left[row, col] - right[row, col]):
                return Mismatch((row + 1, col + 1), sympify(left[row, col]), sympify(right[row, col]))
    return None
