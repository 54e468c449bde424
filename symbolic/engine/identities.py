"""Matrix identity claims: stated once as two SymPy expressions, checked exactly for concrete
sizes, proved for general sizes in index notation, refuted with a counterexample when false.

A claim declares its operands with shapes over named dimensions (``Operand("A", "m", "n")``) and
two builders ``lhs(ops, dims)`` and ``rhs(ops, dims)``. The same builders give the symbolic
statement printed in the proof, the concrete instances (symengine, ``symbolic.explicit``) and the
general-size entries (``symbolic.structured``). Users state their own identities the same way::

    >>> from sympy import Identity, KroneckerProduct
    >>> from gradproof.symbolic.engine.kron import Vec
    >>> wrong = IdentityClaim(
    ...     key="wrong", seed_ref="user", operands=(Operand("A", "m", "n"), Operand("B", "n", "p")),
    ...     lhs=lambda o, d: Vec(o["A"] * o["B"]),
    ...     rhs=lambda o, d: KroneckerProduct(o["A"], Identity(d["p"])) * Vec(o["B"]))
    >>> result = sweep(wrong, max_size=2)
    >>> result.holds, result.counterexample.sizes
    (False, {'m': 1, 'n': 2, 'p': 2})
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import symengine as se
from sympy import Inverse, Matrix, MatrixSymbol, Symbol, cancel
from sympy.matrices.common import ShapeError

from gradproof.symbolic.engine.explicit import Difference, entry_symbols, evaluate, first_difference
from gradproof.symbolic.engine.indexed import indices_equal, normal_form
from gradproof.symbolic.engine.structured import StructureMismatch, entry, position, structure


@dataclass(frozen=True)
class Operand:
    """A matrix operand: its name and its row and column dimensions (names, or "1")."""

    name: str
    rows: str
    cols: str


@dataclass(frozen=True)
class IdentityClaim:
    """lhs(ops, dims) = rhs(ops, dims) for every size of the declared dimensions.

    ``symbolic_up_to(sizes)`` says whether symbolic entries are feasible at those sizes; where
    not, the check runs in exact integer arithmetic at random points and says so.
    """

    key: str
    seed_ref: str
    operands: tuple[Operand, ...]
    lhs: Callable
    rhs: Callable
    general: bool = True
    note: str = ""
    symbolic_up_to: Callable[[dict], bool] = field(default=lambda sizes: True)

    def dimensions(self) -> tuple[str, ...]:
        return dimension_names(self.operands)


def dimension_names(operands) -> tuple[str, ...]:
    """The named dimensions of the operands, in order of appearance (a literal size is not a name)."""
    names = []
    for operand in operands:
        for dim in (operand.rows, operand.cols):
            if not dim.isdigit() and dim not in names:
                names.append(dim)
    return tuple(names)


def dimension_value(dim: str, dims: dict):
    """The size of a dimension: a literal integer ("1", "3") or the value of a named one."""
    return int(dim) if dim.isdigit() else dims[dim]


def _dimension_symbols(claim):
    return {name: Symbol(name, integer=True, positive=True) for name in claim.dimensions()}


def build(claim: IdentityClaim, sizes: dict | None = None):
    """(operands, dims, lhs, rhs) with symbolic dimensions, or concrete ones from ``sizes``.

    Raises ValueError naming the sizes if the operands do not conform.
    """
    dims = _dimension_symbols(claim) if sizes is None else dict(sizes)
    missing = [name for name in claim.dimensions() if name not in dims]
    if missing:
        raise ValueError(f"claim {claim.key}: sizes for {missing} are required, got {sizes}")

    operands = {
        o.name: MatrixSymbol(o.name, dimension_value(o.rows, dims), dimension_value(o.cols, dims)) for o in claim.operands
    }
    try:
        lhs, rhs = claim.lhs(operands, dims), claim.rhs(operands, dims)
    except ShapeError as error:
        shapes = ", ".join(f"{name} {symbol.shape}" for name, symbol in operands.items())
        raise ValueError(f"claim {claim.key}: operands do not conform ({shapes}): {error}") from error
    lhs_shape, rhs_shape = _shape(lhs), _shape(rhs)
    if any((a - b) != 0 for a, b in zip(lhs_shape, rhs_shape)):
        raise ValueError(f"claim {claim.key}: the sides have different shapes, {lhs_shape} and {rhs_shape}")
    return operands, dims, lhs, rhs


def _shape(expr):
    return expr.shape if getattr(expr, "is_Matrix", False) else (1, 1)


@dataclass(frozen=True)
class ConcreteResult:
    """One concrete check: the sizes, the method, and the first differing entry if any."""

    sizes: dict
    method: str
    difference: Difference | None

    @property
    def holds(self) -> bool:
        return self.difference is None

    def describe(self) -> str:
        if self.holds:
            return f"holds for {self.sizes} ({self.method})"
        d = self.difference
        return f"does not hold for {self.sizes}: entry {d.index}, left side {d.left}, right side {d.right}"


SYMBOLIC = "symbolic entries"
RATIONAL_FUNCTIONS = "symbolic entries, rational functions compared with cancel (inverses)"
RANDOM_INTEGERS = "exact integer arithmetic at random points"


def check(claim: IdentityClaim, sizes: dict, *, seed: int = 0) -> ConcreteResult:
    """Check the claim exactly at concrete sizes."""
    operands, _, lhs, rhs = build(claim, sizes)
    if lhs.has(Inverse) or rhs.has(Inverse):
        return ConcreteResult(dict(sizes), RATIONAL_FUNCTIONS, _rational_difference(operands, lhs, rhs))
    if claim.symbolic_up_to(sizes):
        values = {symbol: entry_symbols(symbol) for symbol in operands.values()}
        method = SYMBOLIC
    else:
        rng = random.Random(seed)
        values = {
            symbol: se.DenseMatrix(symbol.rows, symbol.cols, [rng.randint(-99, 99) for _ in range(symbol.rows * symbol.cols)])
            for symbol in operands.values()
        }
        method = RANDOM_INTEGERS
    return ConcreteResult(dict(sizes), method, first_difference(evaluate(lhs, values), evaluate(rhs, values)))


def explicit_symbols(symbol: MatrixSymbol) -> Matrix:
    """Entries named like A[1,2] (1-based), as in the symengine path."""
    return Matrix(symbol.rows, symbol.cols, [Symbol(f"{symbol.name}[{i + 1},{j + 1}]")
                                             for i in range(symbol.rows) for j in range(symbol.cols)])


def _rational_difference(operands, lhs, rhs) -> Difference | None:
    """Both sides with SymPy's explicit inverses (rational functions); exact comparison by cancel."""
    explicit = {symbol: explicit_symbols(symbol) for symbol in operands.values()}

    def value(side):
        result = side.xreplace(explicit).doit()
        return Matrix(result) if getattr(result, "is_Matrix", False) else Matrix([[result]])

    left, right = value(lhs), value(rhs)
    for i in range(left.rows):
        for j in range(left.cols):
            if cancel(left[i, j] - right[i, j]) != 0:
                return Difference((i + 1, j + 1), left[i, j], right[i, j])
    return None


@dataclass(frozen=True)
class SweepResult:
    claim: IdentityClaim
    results: tuple[ConcreteResult, ...]

    @property
    def holds(self) -> bool:
        return all(result.holds for result in self.results)

    @property
    def counterexample(self) -> ConcreteResult | None:
        return next((result for result in self.results if not result.holds), None)

    def count(self, method: str) -> int:
        return sum(result.method == method for result in self.results)


def all_sizes(claim: IdentityClaim, max_size: int = 4):
    """Every assignment of 1..max_size to the claim's dimensions, smallest total first."""
    names = claim.dimensions()
    combos = itertools.product(range(1, max_size + 1), repeat=len(names))
    for values in sorted(combos, key=lambda v: (sum(v), v)):
        yield dict(zip(names, values))


@functools.lru_cache(maxsize=64)
def sweep(claim: IdentityClaim, max_size: int = 4, *, stop_at_first_failure: bool = True) -> SweepResult:
    """Check every size with each dimension from 1 to ``max_size``; the smallest failure first.

    Results are cached per claim: a claim is immutable and the check is exact and deterministic.
    """
    results = []
    for sizes in all_sizes(claim, max_size):
        result = check(claim, sizes)
        results.append(result)
        if stop_at_first_failure and not result.holds:
            break
    return SweepResult(claim, tuple(results))


@dataclass(frozen=True)
class GeneralProof:
    """The index-notation argument for general sizes, or why none was attempted."""

    claim: IdentityClaim
    lhs: object
    rhs: object
    row_indices: tuple
    col_indices: tuple
    slots: tuple
    lhs_entry: object
    rhs_entry: object
    lhs_normal: object
    rhs_normal: object
    rules: tuple[str, ...]
    holds: bool
    reason: str = ""


def prove_general(claim: IdentityClaim) -> GeneralProof:
    """Compare a generic entry of both sides with symbolic sizes (structured indices)."""
    _, _, lhs, rhs = build(claim)
    try:
        slots = structure(lhs)
        if structure(rhs) != slots:
            raise StructureMismatch(f"the sides have index slots {slots} and {structure(rhs)}")
    except StructureMismatch as mismatch:
        return GeneralProof(claim, lhs, rhs, (), (), (), None, None, None, None, (), False, str(mismatch))
    rows = tuple(Symbol(f"i_{n + 1}", integer=True) for n in range(len(slots[0])))
    cols = tuple(Symbol(f"j_{n + 1}", integer=True) for n in range(len(slots[1])))
    ranges = {index: (1, size) for index, size in zip(rows + cols, slots[0] + slots[1])}
    used: set = set()
    lhs_entry, rhs_entry = entry(lhs, rows, cols, used), entry(rhs, rows, cols, used)
    return GeneralProof(
        claim, lhs, rhs, rows, cols, slots, lhs_entry, rhs_entry,
        normal_form(lhs_entry, ranges), normal_form(rhs_entry, ranges),
        tuple(sorted(used)), indices_equal(lhs_entry, rhs_entry, ranges),
    )


def entry_position(proof: GeneralProof) -> tuple:
    """The 1-based (row, column) positions of the generic entry, e.g. ((j_1 - 1) m + i_1, 1)."""
    return position(proof.row_indices, proof.slots[0]), position(proof.col_indices, proof.slots[1])
