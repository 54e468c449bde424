"""vec, vec_r and adj as SymPy matrix expressions; the Kronecker product is SymPy's own.

``Vec(X)`` stacks the columns of X (seed 004; the Matrix Cookbook's vec operator section):
vec(X)[i + m*j] = X[i, j] (0-based) for X of shape (m, n). ``VecRowMajor(X)`` stacks the rows, as
NumPy's ``ravel`` does. ``Adjugate(X)`` is the transposed cofactor matrix. Each prints as in the
seeds, evaluates to an explicit Matrix under ``doit`` when its argument is explicit, and has the
entries above.
"""

from __future__ import annotations

from sympy import Basic, KroneckerProduct, S, sympify
from sympy.matrices import MatrixBase
from sympy.matrices.expressions import MatrixExpr

__all__ = ["Adjugate", "KroneckerProduct", "Vec", "VecRowMajor"]


class _MatrixFunction(MatrixExpr):
    """A matrix expression of one matrix argument; ``doit`` applies ``_explicit`` to explicit ones."""

    requires_square = False

    def __new__(cls, arg):
        arg = sympify(arg)
        square = getattr(arg, "is_Matrix", False) and (arg.rows - arg.cols) == 0
        if not getattr(arg, "is_Matrix", False) or (cls.requires_square and not square):
            kind = "a square matrix" if cls.requires_square else "a matrix"
            raise ValueError(f"{cls.__name__}: argument must be {kind}, got {arg!r} of shape {getattr(arg, 'shape', None)}")
        return Basic.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

    def doit(self, **hints):
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, MatrixBase):
            return self._explicit(arg)
        return type(self)(arg)


class _Stacking(_MatrixFunction):
    """Common part of Vec and VecRowMajor: an (m*n) x 1 column built from an m x n matrix."""

    @property
    def shape(self):
        return (self.arg.rows * self.arg.cols, S.One)


class Vec(_Stacking):
    """Column stacking: vec(X)[i + m*j] = X[i, j] (0-based)."""

    def _entry(self, i, j, **kwargs):
        rows = self.arg.rows
        return self.arg._entry(i % rows, i // rows, **kwargs)

    @staticmethod
    def _explicit(matrix):
        return matrix.T.reshape(len(matrix), 1)

    def _latex(self, printer):
        return rf"\operatorname{{vec}}\left({printer._print(self.arg)}\right)"


class VecRowMajor(_Stacking):
    """Row stacking (NumPy's default ravel): vec_r(X)[j + n*i] = X[i, j] (0-based)."""

    def _entry(self, i, j, **kwargs):
        cols = self.arg.cols
        return self.arg._entry(i // cols, i % cols, **kwargs)

    @staticmethod
    def _explicit(matrix):
        return matrix.reshape(len(matrix), 1)

    def _latex(self, printer):
        return rf"\operatorname{{vec}}_r\left({printer._print(self.arg)}\right)"


class Adjugate(_MatrixFunction):
    """adj(X), the transposed cofactor matrix: X adj(X) = det(X) I, so X^-1 = adj(X)/det(X).

    Used to state the inverse identity of the Kronecker product as a polynomial identity.
    """

    requires_square = True

    @property
    def shape(self):
        return self.arg.shape

    @staticmethod
    def _explicit(matrix):
        return matrix.adjugate()

    def _latex(self, printer):
        return rf"\operatorname{{adj}}\left({printer._print(self.arg)}\right)"
