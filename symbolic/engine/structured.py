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
* trace: tr(X) = sum_k X_{k k}.

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
    KroneckerDelta,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatrixSymbol,
    Mul,
    OneMatrix,
    S,
    Sum,
    Symbol,
    Trace,
    Transpose,
)

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

    def __init__(self, used: set):
        self.used = used
        self.count = itertools.count(1)

    def fresh(self, slots):
        return tuple(Symbol(f"t_{next(self.count)}", integer=True) for _ in slots)


def entry(expr, rows: tuple, cols: tuple, used: set):
    """The entry of ``expr`` at structured indices ``rows``, ``cols`` (1-based), as an expression.

    ``used`` collects the names of the rules applied (see ``RULES_USED``). Raises
    ``OutsideIndexAlgebra`` for an expression without an entry rule.
    """
    return _entry(expr, rows, cols, _Writer(used))


def _entry(expr, rows, cols, writer):
    used = writer.used
    if isinstance(expr, MatrixSymbol):
        base = IndexedBase(expr.name.lower())
        indices = rows + cols
        return base[indices] if indices else Symbol(expr.name.lower())
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


def _scalar_entry(expr, writer):
    """A scalar expression: sums, products and powers of traces and 1 x 1 matrix expressions.

    Any other function of a matrix (a determinant, say) has no entry rule here.
    """
    if isinstance(expr, Trace) or getattr(expr, "is_Matrix", False):
        return _entry(expr, (), (), writer)
    if not expr.args:
        return expr
    if not (expr.is_Add or expr.is_Mul or expr.is_Pow) and any(getattr(a, "is_Matrix", False) for a in expr.args):
        raise OutsideIndexAlgebra(f"no entry rule for {type(expr).__name__} of a matrix")
    return expr.func(*[_scalar_entry(arg, writer) for arg in expr.args])


def _product_entry(expr, rows, cols, writer):
    scalar = Mul(*[_scalar_entry(arg, writer) for arg in expr.args if not getattr(arg, "is_Matrix", False)])
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
