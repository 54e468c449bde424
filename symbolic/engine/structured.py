"""Entries of Kronecker/vec matrix expressions for general (symbolic) sizes: structured indices.

A row (or column) of ``A ⊗ B`` is addressed by a *pair* of indices, (row of A, row of B), at
position (i_1 - 1) p + i_2 for B with p rows (1-based); a row of vec(X), X of shape m x n, by the
pair (column j, row i) at position (j - 1) m + i, which is the seeds' vec index k = i + m j in
0-based form. Each dimension of an expression therefore has a *structure*: the tuple of sizes of
its index slots (sizes equal to 1 are dropped). The rules used, each named in the proofs:

* entry of a product: (XY)_{r c} = sum_k X_{r k} Y_{k c}, k running over the inner structure;
* entry of a Kronecker product: (X ⊗ Y)_{(r1, r2), (c1, c2)} = X_{r1 c1} Y_{r2 c2};
* entry of vec: vec(X)_{(j, i)} = X_{i j}; of vec_r: vec_r(X)_{(i, j)} = X_{i j};
* entry of the identity: I_{r c} = delta_{r c}; of a transpose: (X^T)_{r c} = X_{c r};
* trace: tr(X) = sum_k X_{k k};
* power of a square matrix: X^k = X X ... X (k factors, k >= 1), so
  (X^k)_{r c} = sum_{t_1, ..., t_{k-1}} X_{r t_1} X_{t_1 t_2} ... X_{t_{k-1} c};
* a scalar times a matrix: (s M)_{r c} = s M_{r c}, s a scalar expression (a trace, a function of
  traces, a declared scalar) written in index notation;
* scalars: sums, products, powers and quotients of traces (tr(A) tr(B) = (sum_k a_kk)(sum_l b_ll)),
  and functions of them (exp, log, ...) applied to their index expressions, f(tr(X)) = f(sum_k x_kk).

(Matrix Cookbook, section 1 for the notation and the trace; section 2.5 states the derivatives
of traces of powers and products, e.g. d tr(X^k)/dX = k (X^{k-1})^T, that these entries prove.)

Each operand has its own entry base: operands A and a are written with distinct bases
(``entry_bases``), never both as a, so distinct operands are never identified.

Two sides can be compared entry by entry only if their structures agree; otherwise (say
(A ⊗ I) vec(B), whose column slots (n, p) meet vec(B)'s row slots (p, n)) no general-size
argument is attempted and ``StructureMismatch`` says so; an expression with no entry rule (a
determinant, an inverse) raises ``OutsideIndexAlgebra``. Summation indices are named t_1, t_2, ...
afresh for each call of ``entry``, so the entries depend on the expression only.
"""

from __future__ import annotations

import itertools

from sympy import (
    HadamardProduct,
    Identity,
    IndexedBase,
    Inverse,
    KroneckerDelta,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    Mul,
    OneMatrix,
    S,
    Sum,
    Symbol,
    Trace,
    Transpose,
)
from sympy.matrices.expressions import MatrixExpr

from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.kron import Vec, VecRowMajor

RULES_USED = {
    MatMul: "entry of a matrix product",
    KroneckerProduct: "entry of a Kronecker product",
    Vec: "entry of vec",
    VecRowMajor: "entry of vec_r",
    Identity: "identity entries are Kronecker deltas",
    Transpose: "entry of a transpose",
    Trace: "definition of the trace",
}
MATRIX_POWER = "power of a square matrix as a k-fold product"
SCALAR_MULTIPLE = "a scalar times a matrix, entry by entry"
SCALAR_ALGEBRA = "sums, products and quotients of scalars (traces) in index notation"
FUNCTION_OF_SCALAR = "a function of a scalar, applied to its index expression"


def entry_bases(names, taken=()) -> dict[str, str]:
    """The entry base of each operand name: its lower case (W -> w_ij, as the seeds write
    entries) unless that would coincide with another operand's base or a ``taken`` name (a
    declared scalar); then the name itself. Distinct operands always get distinct bases.

    >>> entry_bases(["A", "B", "a"])
    {'A': 'A', 'B': 'b', 'a': 'a'}
    """
    names = list(dict.fromkeys(names))
    lowered = [name.lower() for name in names]
    bases = {}
    for name, low in zip(names, lowered):
        clash = lowered.count(low) > 1 or (low != name and low in taken)
        bases[name] = name if clash else low
    if len(set(bases.values())) != len(bases):
        raise OutsideIndexAlgebra(f"operand names {names} cannot be given distinct entry names")
    return bases


class StructureMismatch(OutsideIndexAlgebra):
    """The index structures of two dimensions that must be combined differ."""


def _slots(size) -> tuple:
    return () if size == 1 else (size,)


def structure(expr) -> tuple[tuple, tuple]:
    """(row slots, column slots) of a matrix expression; a scalar has ((), ())."""
    if isinstance(expr, (MatrixSymbol, Identity, OneMatrix)):
        return _slots(expr.rows), _slots(expr.cols)
    if isinstance(expr, Transpose):
        rows, cols = structure(expr.arg)
        return cols, rows
    if isinstance(expr, MatPow) and not isinstance(expr, Inverse):
        return structure(expr.base)
    if isinstance(expr, MatMul):
        parts = [structure(arg) for arg in expr.args if getattr(arg, "is_Matrix", False)]
        for (_, inner_left), (inner_right, _) in itertools.pairwise(parts):
            if inner_left != inner_right:
                raise StructureMismatch(f"inner index slots {inner_left} and {inner_right} differ in {expr}")
        return parts[0][0], parts[-1][1]
    if isinstance(expr, (MatAdd, HadamardProduct)):
        parts = {structure(arg) for arg in expr.args}
        if len(parts) != 1:
            raise StructureMismatch(f"terms of {expr} have different index slots {parts}")
        return parts.pop()
    if isinstance(expr, KroneckerProduct):
        parts = [structure(arg) for arg in expr.args]
        return sum((p[0] for p in parts), ()), sum((p[1] for p in parts), ())
    if isinstance(expr, Vec):
        rows, cols = structure(expr.arg)
        return cols + rows, ()
    if isinstance(expr, VecRowMajor):
        rows, cols = structure(expr.arg)
        return rows + cols, ()
    if not getattr(expr, "is_Matrix", False):
        return (), ()
    raise OutsideIndexAlgebra(f"no index structure for {type(expr).__name__}")


class _Writer:
    """The state of one ``entry`` call: the rules used and the next summation index t_n."""

    def __init__(self, used: set, bases: dict | None):
        self.used = used
        self.bases = bases
        self.count = itertools.count(1)

    def base(self, name: str) -> str:
        if self.bases is None:
            return name
        return self.bases[name]

    def fresh(self, slots):
        return tuple(Symbol(f"t_{next(self.count)}", integer=True) for _ in slots)


def entry(expr, rows: tuple, cols: tuple, used: set, bases: dict | None = None):
    """The entry of ``expr`` at structured indices ``rows``, ``cols`` (1-based), as an expression.

    ``used`` collects the names of the rules applied (see ``RULES_USED``). ``bases`` maps each
    MatrixSymbol name to its entry base (``entry_bases``, over all operands of a claim); without
    it an operand's entries are written with its own name. Raises ``OutsideIndexAlgebra`` for an
    expression without an entry rule.
    """
    if bases is None:
        bases = entry_bases(sorted(symbol.name for symbol in _matrix_symbols(expr)))
    return _entry(expr, rows, cols, _Writer(used, bases))


def _matrix_symbols(expr):
    return expr.atoms(MatrixSymbol) if hasattr(expr, "atoms") else set()


def _entry(expr, rows, cols, writer):
    used = writer.used
    if isinstance(expr, MatrixSymbol):
        name = writer.base(expr.name)
        indices = rows + cols
        return IndexedBase(name)[indices] if indices else Symbol(name)
    if isinstance(expr, MatPow) and not isinstance(expr, Inverse):
        return _power_entry(expr, rows, cols, writer)
    if isinstance(expr, OneMatrix):
        return S.One
    kind = type(expr)
    if kind in RULES_USED:
        used.add(RULES_USED[kind])
    if isinstance(expr, Identity):
        return KroneckerDelta(rows[0], cols[0]) if rows else S.One
    if isinstance(expr, Transpose):
        return _entry(expr.arg, cols, rows, writer)
    if isinstance(expr, MatMul):
        return _product_entry(expr, rows, cols, writer)
    if isinstance(expr, MatAdd):
        return sum(_entry(arg, rows, cols, writer) for arg in expr.args)
    if isinstance(expr, HadamardProduct):
        return Mul(*[_entry(arg, rows, cols, writer) for arg in expr.args])
    if isinstance(expr, KroneckerProduct):
        value, row_rest, col_rest = S.One, rows, cols
        for arg in expr.args:
            arg_rows, arg_cols = structure(arg)
            value *= _entry(arg, row_rest[: len(arg_rows)], col_rest[: len(arg_cols)], writer)
            row_rest, col_rest = row_rest[len(arg_rows):], col_rest[len(arg_cols):]
        return value
    if isinstance(expr, Vec):
        arg_rows, arg_cols = structure(expr.arg)
        return _entry(expr.arg, rows[len(arg_cols):], rows[: len(arg_cols)], writer)
    if isinstance(expr, VecRowMajor):
        arg_rows, _ = structure(expr.arg)
        return _entry(expr.arg, rows[: len(arg_rows)], rows[len(arg_rows):], writer)
    if isinstance(expr, Trace):
        slots = structure(expr.arg)[0]
        inner = writer.fresh(slots)
        return _sum(_entry(expr.arg, inner, inner, writer), inner, slots)
    if not getattr(expr, "is_Matrix", False):
        return _scalar_entry(expr, writer)
    raise OutsideIndexAlgebra(f"no entry rule for {type(expr).__name__}")


def _power_entry(expr, rows, cols, writer):
    """(X^k)_{rc} for an integer k >= 1: the entry of the k-fold product X X ... X."""
    power = expr.exp
    if not (power.is_Integer and power >= 1):
        raise OutsideIndexAlgebra(f"no entry rule for the power {power} of a matrix (only k = 1, 2, ...)")
    writer.used.add(MATRIX_POWER)
    if power == 1:
        return _entry(expr.base, rows, cols, writer)
    return _product_entry(MatMul(*([expr.base] * int(power)), evaluate=False), rows, cols, writer)


def _scalar_entry(expr, writer):
    """A scalar expression: sums, products, powers and quotients of traces and 1 x 1 matrix
    expressions, and functions of them (exp, log, ...) applied to their index expressions.

    Any other function of a matrix (a determinant, say) has no entry rule here.
    """
    if isinstance(expr, Trace) or getattr(expr, "is_Matrix", False):
        return _entry(expr, (), (), writer)
    if not expr.args or not expr.has(MatrixExpr):
        return expr
    if not (expr.is_Add or expr.is_Mul or expr.is_Pow) and any(getattr(a, "is_Matrix", False) for a in expr.args):
        raise OutsideIndexAlgebra(f"no entry rule for {type(expr).__name__} of a matrix")
    if expr.is_Add or expr.is_Mul or expr.is_Pow:
        writer.used.add(SCALAR_ALGEBRA)
    elif expr.is_Function:
        writer.used.add(FUNCTION_OF_SCALAR)
    else:
        raise OutsideIndexAlgebra(f"no entry rule for {type(expr).__name__} of a scalar expression")
    return expr.func(*[_scalar_entry(arg, writer) for arg in expr.args])


def _product_entry(expr, rows, cols, writer):
    scalars = [arg for arg in expr.args if not getattr(arg, "is_Matrix", False)]
    if any(arg.has(MatrixExpr) for arg in scalars):
        writer.used.add(SCALAR_MULTIPLE)
    scalar = Mul(*[_scalar_entry(arg, writer) for arg in scalars])
    matrices = [arg for arg in expr.args if getattr(arg, "is_Matrix", False)]
    value, left_index, limits = scalar, rows, []
    for position, matrix in enumerate(matrices):
        if position == len(matrices) - 1:
            right_index = cols
        else:
            slots = structure(matrix)[1]
            right_index = writer.fresh(slots)
            limits += list(zip(right_index, slots))
        value *= _entry(matrix, left_index, right_index, writer)
        left_index = right_index
    return _sum(value, [index for index, _ in limits], [size for _, size in limits])


def _sum(body, indices, sizes):
    limits = [(index, 1, size) for index, size in zip(indices, sizes)]
    return Sum(body, *limits) if limits else body


def position(indices: tuple, slots: tuple):
    """1-based position of a structured index: (i_1 - 1) s_2 + i_2 for two slots, and so on."""
    result = S.Zero
    for index, size in zip(indices, slots):
        result = result * size + (index - 1)
    return result + 1
