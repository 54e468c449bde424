"""Exact evaluation of a SymPy matrix expression at a rational point, with its exact gradient.

Each scalar is a ``Dual``: an exact rational value v (a ``Fraction``) and, when the scalar depends
on the operand differentiated by, its exact gradient (dv/dx_1, ..., dv/dx_N) over that operand's N
entries in row-major order. The arithmetic is forward-mode differentiation, exact because every
step is a rational operation:

    d(u + w) = du + dw,   d(u w) = du w + u dw,   d(1/u) = -du / u^2,   d log u = du / u,

and the matrix rules follow from these entry by entry (the inverse and the determinant by exact
Gauss-Jordan elimination on duals, so d(M^-1) = -M^-1 dM M^-1 and d det M = det M tr(M^-1 dM) hold
without being restated). A value that is not rational (log u, exp u) is kept as ``None``; using it
where a rational number is needed raises ``NotRational``, and the caller decides another way. A
division by zero at the point raises ``Singular``: the caller draws another point.

>>> from fractions import Fraction
>>> from sympy import MatrixSymbol, Trace
>>> X = MatrixSymbol("X", 2, 2)
>>> values = {X: matrix_at([[1, 2], [3, 4]], wrt=True)}
>>> [d for d in evaluate_at(Trace(X * X), values)[0][0].grad]  # d tr(X^2)/dX = 2 X^T, row-major
[Fraction(2, 1), Fraction(6, 1), Fraction(4, 1), Fraction(8, 1)]
"""

from __future__ import annotations

from fractions import Fraction

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
    exp,
    log,
)
from sympy.matrices import MatrixBase

from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.kron import Adjugate, Vec, VecRowMajor


class NotRational(NotSupported):
    """A value outside the rationals (log u, exp u) is needed to go on."""


class Singular(ZeroDivisionError):
    """The point makes a divisor vanish (a singular matrix, log 0, 1/0): draw another point."""


def _plus(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return [x + y for x, y in zip(a, b)]


def _times(grad, factor):
    return None if grad is None else [x * factor for x in grad]


class Dual:
    """v + dv: an exact value (``None`` if not rational) and its gradient (``None`` if constant)."""

    __slots__ = ("value", "grad")

    def __init__(self, value, grad=None):
        self.value, self.grad = value, grad

    def rational(self) -> Fraction:
        if self.value is None:
            raise NotRational("a logarithm or exponential value is needed as a rational number")
        return self.value

    def __add__(self, other):
        value = None if self.value is None or other.value is None else self.value + other.value
        return Dual(value, _plus(self.grad, other.grad))

    def __neg__(self):
        return Dual(None if self.value is None else -self.value, _times(self.grad, -1))

    def __sub__(self, other):
        return self + (-other)

    def __mul__(self, other):
        grad = _plus(_times(self.grad, other.rational()) if self.grad is not None else None,
                     _times(other.grad, self.rational()) if other.grad is not None else None)
        value = None if self.value is None or other.value is None else self.value * other.value
        return Dual(value, grad)

    def reciprocal(self):
        """1/u with d(1/u) = -du/u^2; ``Singular`` when u = 0."""
        value = self.rational()
        if value == 0:
            raise Singular("division by zero at this point")
        return Dual(1 / value, _times(self.grad, -1 / (value * value)))

    def __truediv__(self, other):
        return self * other.reciprocal()

    def power(self, exponent: int):
        """u^k for an integer k, with d(u^k) = k u^(k-1) du."""
        if exponent < 0:
            return self.reciprocal().power(-exponent)
        value = self.rational()
        return Dual(value ** exponent, _times(self.grad, exponent * value ** (exponent - 1)) if exponent else None)

    def log(self):
        """log u: the value is not rational (kept as None); d log u = du / u."""
        value = self.rational()
        if value == 0:
            raise Singular("log 0 at this point")
        return Dual(None, _times(self.grad, 1 / value))


ZERO, ONE = Dual(Fraction(0)), Dual(Fraction(1))


def constant(value) -> Dual:
    return Dual(Fraction(int(value.p), int(value.q)) if hasattr(value, "p") else Fraction(value))


def matrix_at(rows, wrt: bool = False) -> list[list[Dual]]:
    """Duals for a matrix of rationals; with ``wrt`` each entry is a variable (row-major index)."""
    flat = [Fraction(v) for row in rows for v in row]
    size, cols = len(flat), len(rows[0])
    duals = [Dual(v, [Fraction(int(k == i)) for k in range(size)] if wrt else None) for i, v in enumerate(flat)]
    return [duals[r * cols:(r + 1) * cols] for r in range(len(rows))]


def transpose(m):
    return [list(column) for column in zip(*m)]


def product(a, b):
    """(AB)_ij = sum_k A_ik B_kj."""
    columns = transpose(b)
    return [[_sum(x * y for x, y in zip(row, column)) for column in columns] for row in a]


def _sum(terms):
    total = ZERO
    for term in terms:
        total = total + term
    return total


def identity(size):
    return [[ONE if i == j else ZERO for j in range(size)] for i in range(size)]


def _pivot(rows, k):
    pivot = next((r for r in range(k, len(rows)) if rows[r][k].rational() != 0), None)
    if pivot is None:
        raise Singular("a singular matrix at this point")
    rows[k], rows[pivot] = rows[pivot], rows[k]
    return pivot != k


def inverse(m):
    """M^-1 by Gauss-Jordan elimination on [M | I], exact over duals; ``Singular`` if det M = 0."""
    size = len(m)
    rows = [list(row) + identity(size)[i] for i, row in enumerate(m)]
    for k in range(size):
        _pivot(rows, k)
        scale = rows[k][k].reciprocal()
        rows[k] = [entry * scale for entry in rows[k]]
        for r in range(size):
            if r != k and (rows[r][k].value != 0 or rows[r][k].grad is not None):
                factor = rows[r][k]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[k])]
    return [row[size:] for row in rows]


def determinant(m):
    """det M by Gaussian elimination (product of the pivots, a sign per row swap), exact over duals."""
    rows, sign, result = [list(row) for row in m], 1, ONE
    for k in range(len(rows)):
        if _pivot(rows, k):
            sign = -sign
        result = result * rows[k][k]
        scale = rows[k][k].reciprocal()
        for r in range(k + 1, len(rows)):
            factor = rows[r][k] * scale
            rows[r] = [x - factor * y for x, y in zip(rows[r], rows[k])]
    return result if sign == 1 else -result


def adjugate(m):
    """adj M = det M * M^-1 (at a point where M is invertible)."""
    det = determinant(m)
    return [[det * entry for entry in row] for row in inverse(m)]


def kron(a, b):
    return [[x * y for x in row_a for y in row_b] for row_a in a for row_b in b]


def scaled(m, factor: Dual):
    return [[factor * entry for entry in row] for row in m]


def evaluate_at(expr, values: dict) -> list[list[Dual]]:
    """The value of ``expr`` (a 1 x 1 matrix for a scalar) with MatrixSymbol or Symbol -> duals."""
    if isinstance(expr, MatrixSymbol):
        return values[expr]
    rule = _MATRIX_RULES.get(type(expr))
    if rule is not None:
        return rule(expr, values)
    if isinstance(expr, MatrixBase):
        return [[_scalar(expr[i, j], values) for j in range(expr.cols)] for i in range(expr.rows)]
    if isinstance(expr, MatPow):  # Inverse is a MatPow with exponent -1
        return _matrix_power(evaluate_at(expr.args[0], values), int(expr.args[1]))
    if getattr(expr, "is_Matrix", False):
        raise NotSupported(f"no exact evaluation of {type(expr).__name__}")
    return [[_scalar(expr, values)]]


def _matrix_power(m, exponent):
    if exponent == 0:
        return identity(len(m))
    base = inverse(m) if exponent < 0 else m
    result = base
    for _ in range(abs(exponent) - 1):
        result = product(result, base)
    return result


def _matmul(expr, values):
    factor, result = ONE, None
    for arg in expr.args:
        if getattr(arg, "is_Matrix", False):
            value = evaluate_at(arg, values)
            result = value if result is None else product(result, value)
        else:
            factor = factor * _scalar(arg, values)
    return result if factor is ONE else scaled(result, factor)


def _matadd(expr, values):
    terms = [evaluate_at(arg, values) for arg in expr.args]
    return [[_sum(term[i][j] for term in terms) for j in range(len(terms[0][0]))] for i in range(len(terms[0]))]


def _fold(function):
    def rule(expr, values):
        result = evaluate_at(expr.args[0], values)
        for arg in expr.args[1:]:
            result = function(result, evaluate_at(arg, values))
        return result
    return rule


def _hadamard(a, b):
    return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


_MATRIX_RULES = {
    Identity: lambda e, v: identity(int(e.rows)),
    ZeroMatrix: lambda e, v: [[ZERO] * int(e.cols) for _ in range(int(e.rows))],
    OneMatrix: lambda e, v: [[ONE] * int(e.cols) for _ in range(int(e.rows))],
    Transpose: lambda e, v: transpose(evaluate_at(e.arg, v)),
    Adjugate: lambda e, v: adjugate(evaluate_at(e.arg, v)),
    MatMul: _matmul,
    MatAdd: _matadd,
    KroneckerProduct: _fold(kron),
    HadamardProduct: _fold(_hadamard),
    Vec: lambda e, v: [[x] for column in transpose(evaluate_at(e.arg, v)) for x in column],
    VecRowMajor: lambda e, v: [[x] for row in evaluate_at(e.arg, v) for x in row],
}


def _scalar(expr, values) -> Dual:
    """A scalar: numbers, scalar symbols, +, *, integer powers, log, Trace, Determinant, 1 x 1 matrices."""
    if expr in values:
        return values[expr]
    if isinstance(expr, Trace):
        m = evaluate_at(expr.arg, values)
        return _sum(m[i][i] for i in range(len(m)))
    if isinstance(expr, Determinant):
        return determinant(evaluate_at(expr.arg, values))
    if getattr(expr, "is_Matrix", False):
        m = evaluate_at(expr, values)
        if len(m) != 1 or len(m[0]) != 1:
            raise NotSupported(f"a {len(m)} x {len(m[0])} matrix where a scalar is needed: {expr}")
        return m[0][0]
    return _scalar_function(expr, values)


def _scalar_function(expr, values) -> Dual:
    if expr.is_Rational:
        return constant(expr)
    args = [_scalar(arg, values) for arg in expr.args] if expr.args else []
    if expr.is_Add:
        return _sum(args)
    if expr.is_Mul:
        result = args[0]
        for arg in args[1:]:
            result = result * arg
        return result
    if expr.is_Pow and expr.args[1].is_Integer:
        return args[0].power(int(expr.args[1]))
    if isinstance(expr, log) and len(args) == 1:
        return args[0].log()
    if isinstance(expr, exp) and args[0].grad is None and args[0].value == 0:
        return ONE
    if all(arg.grad is None for arg in args):
        return Dual(None)  # a constant whose value is not rational: fine until it is needed
    raise NotRational(f"{type(expr).__name__} of a varying argument has no rational value")
