"""Print SymPy objects back in the input language (``to_text``) and as LaTeX (``to_latex``).

``to_text`` is the inverse of ``parse`` on every object the calculus engine builds: parse(to_text(e))
is e again (up to SymPy's canonical ordering), so a derived gradient printed here is accepted by
``gradproof verify --claim``. ``to_latex`` writes the notation of the Matrix Cookbook: X^{-T},
entrywise f(X), A \\circ B, A \\otimes B, 1 for a column of ones, K_{m,n} for the commutation matrix.

>>> from sympy import Inverse, MatrixSymbol, Symbol, Trace
>>> n = Symbol("n", integer=True, positive=True)
>>> X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
>>> to_text(-Inverse(X).T * A.T * Inverse(X).T)
'-inv(X.T)*A.T*inv(X.T)'
>>> to_latex(Inverse(X).T)
'X^{-T}'
"""

from __future__ import annotations

from sympy import (
    Determinant,
    HadamardProduct,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    OneMatrix,
    S,
    Trace,
    Transpose,
)
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from gradproof.symbolic.language.functions import function_name


def _sum_argument(expr):
    """M if ``expr`` is tr(1^T M 1) (how ``sum(M)`` is held), else None."""
    arg = expr.arg if isinstance(expr, Trace) else None
    if isinstance(arg, MatMul):
        _, matrices = arg.as_coeff_matrices()
        if len(matrices) >= 3 and isinstance(matrices[0], OneMatrix) and isinstance(matrices[-1], OneMatrix) \
                and matrices[0].rows == 1 and matrices[-1].cols == 1 and arg.args[0] == matrices[0]:
            return MatMul(*matrices[1:-1])
    return None


def _norm_argument(expr):
    """M if ``expr`` is tr(M^T M) (so that sqrt(expr) is norm2(M)), else None."""
    if isinstance(expr, Trace) and isinstance(expr.arg, MatMul) and len(expr.arg.args) == 2:
        left, right = expr.arg.args
        if left == right.T or (isinstance(left, Transpose) and left.arg == right):
            return right
    return None


_CALLS = ("ElementwiseApplyFunction", "HadamardProduct", "HadamardPower", "KroneckerProduct", "Vec", "VecRowMajor",
          "DiagMatrix", "DiagonalOf", "Identity", "OneMatrix")
"""Printed as a call f(...): a transpose needs no parentheses around them."""


class LanguagePrinter(StrPrinter):
    """SymPy's str printer, with the language's names for what it spells differently."""

    def _print_Trace(self, expr):
        inner = _sum_argument(expr)
        if inner is not None:
            return f"sum({self._print(inner)})"
        return f"tr({self._print(expr.arg)})"

    def _print_Determinant(self, expr):
        return f"det({self._print(expr.arg)})"

    def _print_log(self, expr):
        if isinstance(expr.args[0], Determinant):
            return f"logdet({self._print(expr.args[0].arg)})"
        return f"log({self._print(expr.args[0])})"

    def _print_Inverse(self, expr):
        return f"inv({self._print(expr.arg)})"

    def _print_Identity(self, expr):
        return f"eye({self._print(expr.rows)})"

    def _print_OneMatrix(self, expr):
        if expr.cols == 1:
            return f"ones({self._print(expr.rows)})"
        return f"ones({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_ZeroMatrix(self, expr):
        return f"0*{self._print_OneMatrix(OneMatrix(*expr.shape))}"

    def _print_ElementwiseApplyFunction(self, expr):
        return f"{function_name(expr) or expr.function}({self._print(expr.expr)})"

    def _print_HadamardProduct(self, expr):
        return f"hadamard({', '.join(self._print(a) for a in expr.args)})"

    def _print_HadamardPower(self, expr):
        return f"hpow({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_KroneckerProduct(self, expr):
        return f"kron({', '.join(self._print(a) for a in expr.args)})"

    def _print_Vec(self, expr):
        return f"vec({self._print(expr.arg)})"

    def _print_VecRowMajor(self, expr):
        return f"vec_r({self._print(expr.arg)})"

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_DiagonalOf(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_Pow(self, expr, rational=False):
        norm = _norm_argument(expr.base)
        if norm is not None and expr.exp in (S.Half, -S.Half):
            text = f"norm2({self._print(norm)})"
            return text if expr.exp == S.Half else f"1/{text}"
        return super()._print_Pow(expr, rational)

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_asin(self, expr):
        return f"arcsin({self._print(expr.args[0])})"

    def _print_acos(self, expr):
        return f"arccos({self._print(expr.args[0])})"

    def _print_atan(self, expr):
        return f"arctan({self._print(expr.args[0])})"

    def _print_Transpose(self, expr):
        arg = expr.arg
        if isinstance(arg, Inverse | Trace | Determinant) or type(arg).__name__ in _CALLS:
            return f"{self._print(arg)}.T"
        return super()._print_Transpose(expr)

    def _print_MatPow(self, expr):
        return f"{self.parenthesize(expr.base, 60)}**{self._print(expr.exp)}"


class CookbookLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer in the Matrix Cookbook's notation."""

    def _print_Transpose(self, expr):
        if isinstance(expr.arg, Inverse):
            return f"{self.parenthesize(expr.arg.arg, 60)}^{{-T}}"
        return super()._print_Transpose(expr)

    def _print_Inverse(self, expr):
        if isinstance(expr.arg, Transpose):
            return f"{self.parenthesize(expr.arg.arg, 60)}^{{-T}}"
        return f"{self.parenthesize(expr.arg, 60)}^{{-1}}"

    def _print_Trace(self, expr):
        inner = _sum_argument(expr)
        if inner is not None:
            return rf"\operatorname{{sum}}\left({self._print(inner)}\right)"
        return rf"\operatorname{{tr}}\left({self._print(expr.arg)}\right)"

    def _print_log(self, expr, exp=None):
        if isinstance(expr.args[0], Determinant):
            return rf"\log\det\left({self._print(expr.args[0].arg)}\right)"
        return super()._print_log(expr, exp)

    def _print_Pow(self, expr, exp=None):
        norm = _norm_argument(expr.base)
        if norm is not None and expr.exp in (S.Half, -S.Half):
            text = rf"\left\|{self._print(norm)}\right\|"
            return text if expr.exp == S.Half else rf"\frac{{1}}{{{text}}}"
        return super()._print_Pow(expr, exp)

    def _print_Determinant(self, expr):
        return rf"\det\left({self._print(expr.arg)}\right)"

    def _print_ElementwiseApplyFunction(self, expr):
        name = function_name(expr) or str(expr.function)
        return rf"\operatorname{{{name}}}_{{\circ}}\left({self._print(expr.expr)}\right)"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"

    def _print_MatMul(self, expr):
        """Factors that are sums or Kronecker/entrywise products get parentheses: -(A (x) B) K, not -A (x) B K."""
        coefficient, matrices = expr.as_coeff_matrices()
        parts = [rf"\left({self._print(m)}\right)" if isinstance(m, MatAdd | KroneckerProduct | HadamardProduct)
                 else self._print(m) for m in matrices]
        body = " ".join(parts)
        if coefficient == 1:
            return body
        if coefficient == -1:
            return f"-{body}"
        return f"{self.parenthesize(coefficient, 49)} {body}"

    def _print_HadamardPower(self, expr):
        return rf"{self.parenthesize(expr.base, 60)}^{{\circ {self._print(expr.exp)}}}"


def to_text(expr) -> str:
    """``expr`` in the input language (parse(to_text(expr)) == expr)."""
    return LanguagePrinter().doprint(expr)


def to_latex(expr) -> str:
    """``expr`` as LaTeX, in the Matrix Cookbook's notation."""
    return CookbookLatexPrinter().doprint(expr)
