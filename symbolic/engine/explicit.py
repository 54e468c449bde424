"""Exact evaluation of a SymPy matrix expression on explicit symbolic entries, with symengine.

The expression tree (MatMul, Transpose, KroneckerProduct, Vec, Trace, ...) is the one SymPy
object that is also printed in the proof; this module only interprets it, with symengine's fast
polynomial arithmetic, so that sweeping every size with each dimension from 1 to 4 stays fast.
Comparisons are made by ``engine.verdict.first_mismatch``. A claim with a matrix inverse is not
evaluated here: its entries are rational functions, checked at rational points (see
``engine.exact`` and ``engine.sampling``); an expression with no rule here raises ``NotSupported``.
"""

from __future__ import annotations

import functools
import itertools

import symengine as se
from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
    ZeroMatrix,
    sympify,
)
from sympy.matrices import MatrixBase

from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.engine.kron import Adjugate, Vec, VecRowMajor


def entry_symbols(symbol: MatrixSymbol) -> se.DenseMatrix:
    """Explicit entries named like ``A[1,2]`` (1-based) for a MatrixSymbol of concrete shape."""
    rows, cols = int(symbol.rows), int(symbol.cols)
    return se.DenseMatrix(rows, cols, [se.Symbol(f"{symbol.name}[{i + 1},{j + 1}]") for i in range(rows) for j in range(cols)])


def kron(a: se.DenseMatrix, b: se.DenseMatrix) -> se.DenseMatrix:
    """(A ⊗ B)[(i, k), (j, l)] = A[i, j] B[k, l], row-major blocks."""
    rows_a, rows_b = a.tolist(), b.tolist()
    entries = [x * y for row_a in rows_a for row_b in rows_b for x in row_a for y in row_b]
    return se.DenseMatrix(a.rows * b.rows, a.cols * b.cols, entries)


def determinant(matrix: se.DenseMatrix):
    """Division-free determinant: Laplace expansion (memoised on minors) for symbolic entries,
    fraction-free Bareiss elimination on Python integers for integer entries. Both are exact."""
    if all(entry.is_Integer for entry in matrix):
        return se.Integer(_bareiss([[int(matrix[i, j]) for j in range(matrix.cols)] for i in range(matrix.rows)]))
    return _laplace(matrix)


def _laplace(matrix):
    @functools.cache
    def minor(rows, cols):
        if not rows:
            return se.Integer(1)
        total = se.Integer(0)
        for k, col in enumerate(cols):
            if matrix[rows[0], col] != 0:
                total += (-1) ** k * matrix[rows[0], col] * minor(rows[1:], cols[:k] + cols[k + 1:])
        return se.expand(total)

    return minor(tuple(range(matrix.rows)), tuple(range(matrix.cols)))


def _bareiss(rows: list[list[int]]) -> int:
    size, sign, previous = len(rows), 1, 1
    for k in range(size - 1):
        if rows[k][k] == 0:
            swap = next((r for r in range(k + 1, size) if rows[r][k] != 0), None)
            if swap is None:
                return 0
            rows[k], rows[swap], sign = rows[swap], rows[k], -sign
        for i in range(k + 1, size):
            for j in range(k + 1, size):
                rows[i][j] = (rows[i][j] * rows[k][k] - rows[i][k] * rows[k][j]) // previous
        previous = rows[k][k]
    return sign * rows[-1][-1]


def adjugate(matrix: se.DenseMatrix) -> se.DenseMatrix:
    """The transposed cofactor matrix, entry (i, j) = (-1)^(i+j) det(minor without row j, column i)."""
    size = matrix.rows
    if size == 1:
        return se.DenseMatrix(1, 1, [1])

    def cofactor(i, j):
        minor = se.DenseMatrix(size - 1, size - 1, [matrix[r, c] for r in range(size) if r != j for c in range(size) if c != i])
        return (-1) ** (i + j) * determinant(minor)

    return se.DenseMatrix(size, size, [cofactor(i, j) for i in range(size) for j in range(size)])


def _scalar(value) -> se.DenseMatrix:
    return se.DenseMatrix(1, 1, [value])


def _column_stack(m: se.DenseMatrix) -> se.DenseMatrix:
    return se.DenseMatrix(m.rows * m.cols, 1, [m[i, j] for j in range(m.cols) for i in range(m.rows)])


def _row_stack(m: se.DenseMatrix) -> se.DenseMatrix:
    return se.DenseMatrix(m.rows * m.cols, 1, [m[i, j] for i in range(m.rows) for j in range(m.cols)])


def evaluate(expr, values: dict) -> se.DenseMatrix:
    """The explicit value of ``expr`` (a 1 x 1 matrix for a scalar) with MatrixSymbol -> values."""
    if isinstance(expr, MatrixSymbol):
        return values[expr]
    if isinstance(expr, MatrixBase):
        return se.DenseMatrix(expr.rows, expr.cols, [se.sympify(v) for v in expr])
    if isinstance(expr, Identity):
        return se.eye(int(expr.rows))
    if isinstance(expr, ZeroMatrix):
        return se.zeros(int(expr.rows), int(expr.cols))
    if isinstance(expr, OneMatrix):
        return se.ones(int(expr.rows), int(expr.cols))
    if isinstance(expr, Transpose):
        return evaluate(expr.arg, values).T
    if isinstance(expr, Adjugate):
        return adjugate(evaluate(expr.arg, values))
    if isinstance(expr, MatMul):
        return _product(expr.args, values)
    if isinstance(expr, MatPow) and expr.args[1].is_Integer and int(expr.args[1]) >= 0:
        return _power(evaluate(expr.args[0], values), int(expr.args[1]))
    if isinstance(expr, MatAdd):
        terms = [evaluate(arg, values) for arg in expr.args]
        return sum(terms[1:], terms[0])
    if isinstance(expr, KroneckerProduct):
        factors = [evaluate(arg, values) for arg in expr.args]
        return list(itertools.accumulate(factors, kron))[-1]
    if isinstance(expr, HadamardProduct):
        factors = [evaluate(arg, values) for arg in expr.args]
        return factors[0].multiply_elementwise(factors[1]) if len(factors) == 2 else _hadamard(factors)
    if isinstance(expr, Vec):
        return _column_stack(evaluate(expr.arg, values))
    if isinstance(expr, VecRowMajor):
        return _row_stack(evaluate(expr.arg, values))
    if getattr(expr, "is_Matrix", False):
        raise NotSupported(f"no explicit evaluation of {type(expr).__name__} with symengine")
    return _scalar(_evaluate_scalar(expr, values))


def _power(matrix: se.DenseMatrix, exponent: int) -> se.DenseMatrix:
    """M^k = M ... M (k >= 0); negative powers (inverses) are not polynomial and not evaluated here."""
    result = se.eye(matrix.rows)
    for _ in range(exponent):
        result = result * matrix
    return result


def _hadamard(factors):
    result = factors[0]
    for factor in factors[1:]:
        result = result.multiply_elementwise(factor)
    return result


def _product(args, values):
    scalar, matrices = se.Integer(1), []
    for arg in args:
        if getattr(arg, "is_Matrix", False):
            matrices.append(evaluate(arg, values))
        else:
            scalar = scalar * _evaluate_scalar(arg, values)
    result = matrices[0]
    for matrix in matrices[1:]:
        result = result * matrix
    return result * scalar if scalar != 1 else result


def _evaluate_scalar(expr, values):
    """A scalar SymPy expression that may contain Trace, Determinant or 1 x 1 matrix products."""
    if isinstance(expr, Trace):
        return evaluate(expr.arg, values).trace()
    if isinstance(expr, Determinant):
        return determinant(evaluate(expr.arg, values))
    if getattr(expr, "is_Matrix", False):
        value = evaluate(expr, values)
        if value.shape != (1, 1):
            raise InvalidInput(f"a {value.shape} matrix was used where a scalar is needed: {expr}")
        return value[0, 0]
    if not expr.args:
        return se.sympify(expr)
    return _rebuild(expr, values)


def _rebuild(expr, values):
    args = [_evaluate_scalar(arg, values) for arg in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        result = args[0]
        for arg in args[1:]:
            result = result * arg
        return result
    if expr.is_Pow:
        return args[0] ** args[1]
    return se.sympify(expr.func(*[sympify(arg) for arg in args]))
