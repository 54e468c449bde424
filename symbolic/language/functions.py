"""The element-wise functions of the language and the matrices built from them (issue 15, item 1).

A function of the table ``ELEMENTWISE`` applied to a scalar is that scalar function; applied to a
matrix M it acts entry by entry, as in NumPy: f(M)_ij = f(M_ij), held as SymPy's
``ElementwiseApplyFunction(f, M)``. Its derivative is again element-wise: d f(M) = f'(M) o dX
(Hadamard product; Magnus & Neudecker, ch. 8; Matrix Cookbook, section 2.8.1, the chain rule).

``sigmoid`` is 1/(1 + exp(-s)), with sigmoid' = sigmoid (1 - sigmoid); ``relu`` and its derivative
``indicator`` (I[s > 0], the derivative of relu) are the engine's own (seed 002). ``abs``, ``sign`` and ``relu`` have no
derivative where an entry is 0; every derivation through them says so.

>>> from sympy import MatrixSymbol, Symbol, diff
>>> s = Symbol("s")
>>> diff(sigmoid(s), s)
(1 - sigmoid(s))*sigmoid(s)
>>> elementwise("sin", MatrixSymbol("X", 2, 2)).shape
(2, 2)
"""

from __future__ import annotations

import math

from sympy import (
    Abs,
    Dummy,
    Function,
    Lambda,
    acos,
    asin,
    atan,
    cos,
    exp,
    log,
    sign,
    sin,
    sqrt,
    tan,
    tanh,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradproof.symbolic.engine.functions import indicator, relu


class sigmoid(Function):  # noqa: N801 - SymPy's convention: functions are lowercase classes
    """sigmoid(s) = 1/(1 + exp(-s)); d sigmoid(s)/ds = sigmoid(s) (1 - sigmoid(s))."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + exp(-arg))

    @staticmethod
    def _imp_(value):
        """float value (for lambdify): 1/(1 + exp(-value))."""
        return 1 / (1 + math.exp(-value))

    def _latex(self, printer):
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


ELEMENTWISE = {
    "sin": sin, "cos": cos, "tan": tan, "arcsin": asin, "arccos": acos, "arctan": atan, "exp": exp, "log": log,
    "sqrt": sqrt, "tanh": tanh, "sigmoid": sigmoid, "abs": Abs, "sign": sign, "relu": relu, "indicator": indicator,
}
"""Language name -> SymPy scalar function; each acts entry by entry on a matrix."""
NAMES = {function: name for name, function in ELEMENTWISE.items()}
KINKED = ("abs", "sign", "relu", "indicator")
"""Functions without a derivative where their argument is 0."""

_VARIABLE = Dummy("s", real=True)
_LAMBDAS: dict = {}


def scalar_lambda(name: str) -> Lambda:
    """The function ``name`` as one cached Lambda (one object per name: results compare by identity)."""
    if name not in _LAMBDAS:
        _LAMBDAS[name] = Lambda(_VARIABLE, ELEMENTWISE[name](_VARIABLE))
    return _LAMBDAS[name]


def elementwise(name: str, matrix) -> ElementwiseApplyFunction:
    """f(M) entry by entry, f the language function ``name``."""
    return ElementwiseApplyFunction(scalar_lambda(name), matrix)


def function_name(expr: ElementwiseApplyFunction) -> str | None:
    """The language name of an element-wise application, or None (a function outside the table)."""
    body = expr.function.expr
    variable = expr.function.variables[0]
    if len(body.args) == 1 and body.args[0] == variable and type(body) in NAMES:
        return NAMES[type(body)]
    if body == sqrt(variable):  # sqrt(s) is the power s**(1/2), not a function object
        return "sqrt"
    return None


def is_matrix(value) -> bool:
    return bool(getattr(value, "is_Matrix", False))
