"""Scalar equations of a layer, written once in index notation with symbolic sizes.

A ``LayerEquations`` says, for one presentation of a layer (PyTorch's batch layout, seed 000's
column vectors, seed 001's row layout, ...): its operands and their shapes, the scalar equation of
one output entry, dJ/d(output entry) in terms of upstream symbols, and how its operands translate
to the canonical (PyTorch, numeric) operands that the rule table's closed forms are written in.

``instantiate`` turns the same equations into an explicit ``ConcreteSystem`` for given sizes, so
the general-size proof and every concrete derivation start from one statement of the layer.
Indices are 1-based, as in the seeds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sympy import IndexedBase, Matrix, MatrixSymbol, Symbol

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.operands import Operand

__all__ = ["ConcreteSystem", "LayerEquations", "Operand"]


@dataclass(frozen=True)
class LayerEquations:
    """One presentation of a layer's scalar equations (see module docstring).

    ``equation(ops, *index)`` and ``upstream(ops, *index)`` receive ``ops``, a mapping from operand
    key to an entry function (1-based indices -> SymPy expression), plus size symbols under
    ``ops["size:<role>"]``. ``canonical(symbols)`` maps this presentation's MatrixSymbols to the
    canonical operands; ``variables`` maps each differentiable operand to (canonical key, whether
    the canonical operand is its transpose).
    """

    name: str
    title: str
    seed_ref: str
    sizes: Mapping[str, Symbol]
    operands: tuple[Operand, ...]
    output: Operand
    equation: Callable
    upstream: Callable
    canonical: Callable[[Mapping[str, object]], Mapping[str, object]]
    variables: Mapping[str, tuple[str, bool]]
    loss_note: str = ""
    matrix_form: Callable | None = None
    derived_entries: Mapping[str, Callable] = field(default_factory=dict)

    def operand(self, key: str) -> Operand:
        for operand in self.operands:
            if operand.key == key:
                return operand
        raise KeyError(f"{self.name}: no operand {key!r}; operands are {[o.key for o in self.operands]}")

    def shape(self, operand: Operand, sizes: Mapping[str, object] | None = None) -> tuple:
        return operand.shape(self.sizes if sizes is None else sizes)

    def sizes_from(self, sizes: Mapping[str, int]) -> dict[str, int]:
        """The entries of ``sizes`` (role -> int) that this presentation uses."""
        return {role: sizes[role] for role in self.sizes}

    def matrix_symbols(self, sizes: Mapping[str, object] | None = None) -> dict[str, MatrixSymbol]:
        """Every operand as a MatrixSymbol, with symbolic sizes or the concrete ``sizes``."""
        return {o.key: MatrixSymbol(o.name, *self.shape(o, sizes)) for o in self.operands}

    def entry_functions(self) -> dict[str, Callable]:
        """Operand key -> function of 1-based indices giving the entry (Indexed or derived)."""
        functions = {}
        for operand in self.operands + (self.output,):
            functions[operand.key] = _entry_function(operand)
        for key, derive in self.derived_entries.items():
            functions[key] = _derived_entry(derive, functions)
        functions.update({f"size:{role}": size for role, size in self.sizes.items()})
        return functions

    def entries_by_name(self) -> dict[str, Callable]:
        """Like ``entry_functions`` but keyed by the MatrixSymbol name (for matrix_entry)."""
        functions = self.entry_functions()
        return {o.name: functions[o.key] for o in self.operands}

    def output_indices(self) -> list[tuple[Symbol, Symbol]]:
        """(index symbol, size) for each index of the output entry: i, j, ... ."""
        roles = [role for role in (self.output.rows, self.output.cols) if role is not None]
        names = ("i", "j")
        return [(Symbol(names[n], integer=True), self.sizes[role]) for n, role in enumerate(roles)]

    def instantiate(self, sizes: Mapping[str, int]) -> ConcreteSystem:
        """The explicit scalar equations for concrete sizes (role -> int)."""
        missing = [role for role in self.sizes if role not in sizes]
        if missing:
            raise InvalidInput(f"{self.name}: sizes {missing} are required, got {dict(sizes)}")
        for role, value in sizes.items():
            if not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{self.name}: size {role} must be an integer >= 1, got {value!r}")
        substitution = {self.sizes[role]: sizes[role] for role in self.sizes}
        functions = self.entry_functions()
        functions.update({f"size:{role}": sizes[role] for role in self.sizes})
        explicit = {
            o.key: _explicit(functions[o.key], self.shape(o, sizes), o.rank) for o in self.operands
        }
        out_shape, out_rank = self.shape(self.output, sizes), self.output.rank
        outputs = _explicit(
            lambda *ix: self.equation(functions, *ix).subs(substitution).doit(), out_shape, out_rank
        )
        upstream = _explicit(
            lambda *ix: self.upstream(functions, *ix).subs(substitution), out_shape, out_rank
        )
        return ConcreteSystem(
            equations=self,
            sizes=dict(sizes),
            symbols=self.matrix_symbols(sizes),
            explicit=explicit,
            output_names=_explicit(functions[self.output.key], out_shape, out_rank),
            outputs=outputs,
            upstream=upstream,
        )


@dataclass(frozen=True)
class ConcreteSystem:
    """Explicit scalar equations for concrete sizes: matrices of entries, outputs and upstream."""

    equations: LayerEquations
    sizes: dict
    symbols: dict
    explicit: dict
    output_names: Matrix
    outputs: Matrix
    upstream: Matrix

    def substitution(self) -> dict:
        """MatrixSymbol -> explicit Matrix, for evaluating closed forms entry by entry."""
        return {self.symbols[key]: matrix for key, matrix in self.explicit.items()}


def sizes_text(sizes: Mapping[str, int]) -> str:
    """'m = 2, n = 3' for {'m': 2, 'n': 3}: sizes as a reader writes them (no Python dict)."""
    return ", ".join(f"{name} = {value}" for name, value in sizes.items())


def _entry_function(operand: Operand) -> Callable:
    base = IndexedBase(operand.entry)
    if operand.rank == 0:
        return lambda *ix: Symbol(operand.entry)
    if operand.cols is None:
        return lambda i, *unused_column: base[i]
    return lambda i, j: base[i, j]


def _derived_entry(derive: Callable, functions: Mapping[str, Callable]) -> Callable:
    return lambda *ix: derive(functions, *ix)


def _explicit(entry: Callable, shape: tuple[int, int], rank: int) -> Matrix:
    """Matrix of ``entry(*indices)``, passing as many 1-based indices as the operand's rank."""
    rows, cols = shape
    cells = itertools.product(range(1, rows + 1), range(1, cols + 1))
    return Matrix(rows, cols, [entry(*(i, j)[:rank]) for i, j in cells])
