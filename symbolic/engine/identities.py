"""Matrix identity claims: stated once as two SymPy expressions, checked exactly for concrete
sizes, proved for general sizes in index notation, refuted with a counterexample when false.

A claim declares its operands with shapes over named dimensions (``Operand.matrix("A", "m", "n")``)
and two builders ``lhs(ops, dims)`` and ``rhs(ops, dims)``. The same builders give the symbolic
statement printed in the proof, the concrete instances (symengine, ``engine.explicit``) and the
general-size entries (``engine.structured``). Users state their own identities the same way::

    >>> from sympy import Identity, KroneckerProduct
    >>> from gradproof.symbolic.engine.kron import Vec
    >>> wrong = IdentityClaim(
    ...     key="wrong", seed_ref="user",
    ...     operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "n", "p")),
    ...     lhs=lambda o, d: Vec(o["A"] * o["B"]),
    ...     rhs=lambda o, d: KroneckerProduct(o["A"], Identity(d["p"])) * Vec(o["B"]))
    >>> result = sweep(wrong, max_size=2)
    >>> result.holds, result.counterexample.sizes
    (False, {'m': 1, 'n': 2, 'p': 2})
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from sympy import Inverse, Matrix, MatrixSymbol, Symbol
from sympy.matrices.exceptions import ShapeError

from gradproof.symbolic.engine.concrete_identity import RANDOM_INTEGERS, SYMBOLIC, decide_identity, require_feasible
from gradproof.symbolic.engine.equations import sizes_text
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.explicit import entry_symbols, evaluate
from gradproof.symbolic.engine.general import NAMED_RULES, GeneralProof, generic_indices, prove_general, refute
from gradproof.symbolic.engine.operands import Operand, dimension_names, dimension_value, require_matrix_operands
from gradproof.symbolic.engine.structured import StructureMismatch, entry, entry_bases, position, structure
from gradproof.symbolic.engine.verdict import EXACT, PROBABILISTIC, Evidence, Mismatch, cancels_to_zero, first_mismatch

__all__ = [
    "RANDOM_INTEGERS", "RATIONAL_FUNCTIONS", "SYMBOLIC", "ConcreteResult", "GeneralProof", "IdentityClaim",
    "Operand", "SweepResult", "all_sizes", "build", "check", "dimension_names", "dimension_value",
    "entry_position", "explicit_symbols", "matrix_symbols", "prove_general", "prove_identity", "sweep",
]


@dataclass(frozen=True)
class IdentityClaim:
    """lhs(ops, dims) = rhs(ops, dims) for every size of the declared dimensions.

    ``symbolic_up_to(sizes)`` says whether symbolic entries are feasible at those sizes; where
    not, the check runs in exact integer arithmetic at random points and says so.
    ``by_rules(lhs, rhs, ops, dims)``, where given, proves the claim for general sizes by a chain
    of named rules instead of index notation: it returns the ``(expression, rule)`` steps from
    the left side, each expression made by applying its rule to the one before.
    """

    key: str
    seed_ref: str
    operands: tuple[Operand, ...]
    lhs: Callable
    rhs: Callable
    general: bool = True
    note: str = ""
    symbolic_up_to: Callable[[dict], bool] = field(default=lambda sizes: True)
    by_rules: Callable | None = None

    def __post_init__(self):
        require_matrix_operands(self.operands, f"claim {self.key}")

    def dimensions(self) -> tuple[str, ...]:
        return dimension_names(self.operands)

    def general_statement(self) -> GeneralProof:
        """The generic entry of both sides at structured indices (see ``engine.structured``).

        Raises ``StructureMismatch`` (outside the index algebra) if the sides index their
        entries differently.
        """
        operands, dims, lhs, rhs = build(self)
        if self.by_rules is not None:
            steps = tuple(self.by_rules(lhs, rhs, operands, dims))
            return GeneralProof(self, left=lhs, right=rhs, left_entry=lhs, right_entry=rhs, left_steps=steps,
                                rules=tuple(dict.fromkeys(rule for _, rule in steps)), method=NAMED_RULES)
        slots = structure(lhs)
        if structure(rhs) != slots:
            raise StructureMismatch(f"the sides have index slots {slots} and {structure(rhs)}")
        rows, cols, ranges = generic_indices(slots)
        used: set = set()
        bases = entry_bases([operand.name for operand in self.operands])
        left, right = entry(lhs, rows, cols, used, bases), entry(rhs, rows, cols, used, bases)
        return GeneralProof(self, left=lhs, right=rhs, rows=rows, cols=cols, slots=slots, ranges=ranges,
                            left_entry=left, right_entry=right, rules=tuple(sorted(used)))


def prove_identity(claim: IdentityClaim, results=()) -> GeneralProof:
    """The general-size verdict of ``claim``, combined with concrete checks (``ConcreteResult``s).

    ``prove_general`` answers True (proved) or None (not decided); a failing concrete result makes
    the verdict False, "refuted by a concrete counterexample", with its sizes, entry and values.
    """
    return refute(prove_general(claim), next((result for result in results if not result.holds), None))


def matrix_symbols(operands, dims: dict) -> dict[str, MatrixSymbol]:
    """Each operand as a MatrixSymbol of its shape under ``dims`` (symbols or integers)."""
    return {o.name: MatrixSymbol(o.name, *o.shape(dims)) for o in operands}


def _dimension_symbols(claim):
    return {name: Symbol(name, integer=True, positive=True) for name in claim.dimensions()}


def build(claim: IdentityClaim, sizes: dict | None = None):
    """(operands, dims, lhs, rhs) with symbolic dimensions, or concrete ones from ``sizes``.

    Raises InvalidInput naming the sizes if the operands do not conform.
    """
    dims = _dimension_symbols(claim) if sizes is None else dict(sizes)
    missing = [name for name in claim.dimensions() if name not in dims]
    if missing:
        raise InvalidInput(f"claim {claim.key}: sizes for {missing} are required, got {sizes}")
    operands = matrix_symbols(claim.operands, dims)
    try:
        lhs, rhs = claim.lhs(operands, dims), claim.rhs(operands, dims)
    except ShapeError as error:
        shapes = ", ".join(f"{name} {symbol.shape}" for name, symbol in operands.items())
        raise InvalidInput(f"claim {claim.key}: operands do not conform ({shapes}): {error}") from error
    lhs_shape, rhs_shape = _shape(lhs), _shape(rhs)
    if any((a - b) != 0 for a, b in zip(lhs_shape, rhs_shape)):
        raise InvalidInput(f"claim {claim.key}: the sides have different shapes, {lhs_shape} and {rhs_shape}")
    return operands, dims, lhs, rhs


def _shape(expr):
    return expr.shape if getattr(expr, "is_Matrix", False) else (1, 1)


@dataclass(frozen=True)
class ConcreteResult:
    """One concrete check: the sizes, the method, the first differing entry if any, and which kind
    of "holds" it is (``evidence``: exact, or probabilistic with its Schwartz-Zippel bound)."""

    sizes: dict
    method: str
    mismatch: Mismatch | None
    evidence: Evidence | None = None

    @property
    def holds(self) -> bool:
        return self.mismatch is None

    @property
    def kind(self) -> str:
        """EXACT or PROBABILISTIC ("holds" only; a refutation is always exact)."""
        return EXACT if self.evidence is None else self.evidence.kind

    def describe(self) -> str:
        if self.holds:
            return f"holds for {sizes_text(self.sizes)}: " + (self.evidence.describe() if self.evidence else f"exact ({self.method})")
        m = self.mismatch
        if m.point:
            return f"does not hold for {sizes_text(self.sizes)}: {m.describe()}"
        return f"does not hold for {sizes_text(self.sizes)}: entry {m.index}, left side {m.left}, right side {m.right}"


RATIONAL_FUNCTIONS = "symbolic entries, rational functions compared with cancel (inverses)"


def check(claim: IdentityClaim, sizes: dict, *, seed: int = 0) -> ConcreteResult:
    """Check the claim exactly at concrete sizes (``engine.concrete_identity``).

    Rational sides: symbolic entries for polynomial entries of few terms (exact), else exact values
    at random rational points (a difference is a counterexample; agreement is a probabilistic
    "holds" with its Schwartz-Zippel bound). Outside the rationals: symbolic entries, with
    ``cancel`` where there is an inverse.
    """
    operands, _, lhs, rhs = build(claim, sizes)
    decided = decide_identity(claim.key, sizes, list(operands.values()), lhs, rhs,
                              symbolic=claim.symbolic_up_to(sizes), seed=seed)
    if decided is not None:
        return ConcreteResult(dict(sizes), *decided)
    if lhs.has(Inverse) or rhs.has(Inverse):
        values = {symbol: explicit_symbols(symbol) for symbol in operands.values()}
        left, right = _explicit_sympy(lhs, values), _explicit_sympy(rhs, values)
        return ConcreteResult(dict(sizes), RATIONAL_FUNCTIONS, first_mismatch(left, right, cancels_to_zero))
    values = {symbol: entry_symbols(symbol) for symbol in operands.values()}
    return ConcreteResult(dict(sizes), SYMBOLIC, first_mismatch(evaluate(lhs, values), evaluate(rhs, values)))


def explicit_symbols(symbol: MatrixSymbol) -> Matrix:
    """Entries named like A[1,2] (1-based), as in the symengine path."""
    return Matrix(symbol.rows, symbol.cols, [Symbol(f"{symbol.name}[{i + 1},{j + 1}]")
                                             for i in range(symbol.rows) for j in range(symbol.cols)])


def _explicit_sympy(side, values) -> Matrix:
    """A side with SymPy's explicit inverses (rational functions of the entries)."""
    result = side.xreplace(values).doit()
    return Matrix(result) if getattr(result, "is_Matrix", False) else Matrix([[result]])


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

    @property
    def kind(self) -> str:
        """EXACT if every size was decided exactly, else PROBABILISTIC (see ``error_bound``)."""
        return EXACT if all(result.kind == EXACT for result in self.results) else PROBABILISTIC

    @property
    def error_bound(self):
        """Union bound on P(some probabilistic "holds" is wrong): the sum of the sizes' bounds (0 if exact)."""
        return sum((r.evidence.error_bound for r in self.results if r.kind == PROBABILISTIC), Fraction(0))

    def describe(self) -> str:
        if not self.holds:
            return self.counterexample.describe()
        sizes = f"holds at all {len(self.results)} size combinations"
        if self.kind == EXACT:
            return sizes + ", each exactly"
        exact = sum(result.kind == EXACT for result in self.results)
        return (f"{sizes}: {exact} exactly, {len(self.results) - exact} probabilistically "
                f"(Schwartz-Zippel; P(any is wrong) <= {float(self.error_bound):.1e})")


def all_sizes(claim: IdentityClaim, max_size: int = 4):
    """Every assignment of 1..max_size to the claim's dimensions, smallest total first."""
    names = claim.dimensions()
    combos = itertools.product(range(1, max_size + 1), repeat=len(names))
    for values in sorted(combos, key=lambda v: (sum(v), v)):
        yield dict(zip(names, values))


@functools.lru_cache(maxsize=64)
def sweep(claim: IdentityClaim, max_size: int = 4, *, stop_at_first_failure: bool = True) -> SweepResult:
    """Check every size with each dimension from 1 to ``max_size``; the smallest failure first.

    Results are cached per claim: a claim is immutable and the check is exact and deterministic,
    so the cache changes how long a call takes, never what it returns.
    """
    _require_feasible_sweep(claim, max_size)
    results = []
    for sizes in all_sizes(claim, max_size):
        result = check(claim, sizes)
        results.append(result)
        if stop_at_first_failure and not result.holds:
            break
    return SweepResult(claim, tuple(results))


MAX_SWEEP_SIZES = 5000


def _require_feasible_sweep(claim: IdentityClaim, max_size: int) -> None:
    """Refuse at once (InvalidInput naming the limit) a sweep too long to answer in seconds."""
    count = max_size ** len(claim.dimensions())
    if count > MAX_SWEEP_SIZES:
        raise InvalidInput(f"claim {claim.key}: a sweep to size {max_size} has {count} size combinations, above "
                           f"the limit of {MAX_SWEEP_SIZES}; choose a smaller maximum size")
    largest = dict.fromkeys(claim.dimensions(), max_size)
    operands, _, lhs, rhs = build(claim, largest)
    require_feasible(claim.key, largest, list(operands.values()), lhs, rhs)


def entry_position(proof: GeneralProof) -> tuple:
    """The 1-based (row, column) positions of the generic entry, e.g. ((i_1 - 1) m + i_2, 1)."""
    return position(proof.rows, proof.slots[0]), position(proof.cols, proof.slots[1])
