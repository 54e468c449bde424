"""Unevaluated differentials d(M) (matrix) and d(s) (scalar), and the commutation matrix K.

A derivation rewrites ``Differential(M)`` and ``ScalarDifferential(s)`` one named rule at a time
(``calculus.differential``) until only dX is left; both print as d(...) in text and LaTeX.
``Commutation(m, n)`` is K_{m,n}, the mn x mn permutation with K vec(A) = vec(A^T) for every
m x n matrix A (Magnus & Neudecker, ch. 3, section 7; Matrix Cookbook, section 10.2.2, (528)).

>>> from sympy import Matrix
>>> Commutation(2, 3).as_explicit() * Matrix([1, 2, 3, 4, 5, 6]) == Matrix([1, 3, 5, 2, 4, 6])
True
"""

from __future__ import annotations

from sympy import Basic, Expr, Integer, KroneckerDelta, Matrix, S, sympify
from sympy.matrices.expressions import MatrixExpr


class Differential(MatrixExpr):
    """d(M), not yet expanded: a matrix of the shape of M."""

    def __new__(cls, arg):
        return Basic.__new__(cls, sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape

    def _latex(self, printer):
        return rf"d\left({printer._print(self.arg)}\right)"

    def _sympystr(self, printer):
        return f"d({printer._print(self.arg)})"


class ScalarDifferential(Expr):
    """d(s) of a scalar s, not yet expanded."""

    is_commutative = True

    def __new__(cls, arg):
        return Expr.__new__(cls, sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    def _latex(self, printer):
        return rf"d\left({printer._print(self.arg)}\right)"

    def _sympystr(self, printer):
        return f"d({printer._print(self.arg)})"


class Commutation(MatrixExpr):
    """K_{m,n}: (K vec A) = vec(A^T) for A of shape m x n; entry (j + n i, i + m j) is 1 (0-based)."""

    def __new__(cls, rows, cols):
        return Basic.__new__(cls, sympify(rows), sympify(cols))

    @property
    def shape(self):
        size = self.args[0] * self.args[1]
        return (size, size)

    def _entry(self, i, j, **kwargs):
        m, n = self.args
        # row r = b + n a holds vec(A^T)[r] = A[a, b] = vec(A)[a + m b]
        return KroneckerDelta(j, (i % n) * m + i // n) if isinstance(i, int | Integer) else S.Zero

    def as_explicit(self):
        m, n = (int(v) for v in self.args)
        matrix = Matrix.zeros(m * n, m * n)
        for a in range(m):
            for b in range(n):
                matrix[b + n * a, a + m * b] = 1
        return matrix

    def doit(self, **hints):
        if all(getattr(v, "is_Integer", False) for v in self.args):
            return self.as_explicit()
        return self

    def _latex(self, printer):
        return rf"K_{{{printer._print(self.args[0])},{printer._print(self.args[1])}}}"

    def _sympystr(self, printer):
        return f"commutation({printer._print(self.args[0])}, {printer._print(self.args[1])})"
