"""A derived expression as a NumPy function (``lambdify`` with the language's own functions).

Used only by the finite-difference check (``calculus.checks``): operands are float64 arrays of
their concrete shapes; tr, det, inv, entrywise functions, Hadamard products and powers, Kronecker
products, vec (column stacking, order='F') and the commutation matrix print as NumPy calls.
"""

from __future__ import annotations

import numpy as np
from sympy import lambdify
from sympy.printing.numpy import NumPyPrinter

from gradproof.symbolic.language.functions import function_name

_ENTRYWISE = {
    "sin": "numpy.sin({})", "cos": "numpy.cos({})", "tan": "numpy.tan({})", "arcsin": "numpy.arcsin({})",
    "arccos": "numpy.arccos({})", "arctan": "numpy.arctan({})", "exp": "numpy.exp({})", "log": "numpy.log({})",
    "sqrt": "numpy.sqrt({})", "tanh": "numpy.tanh({})", "sigmoid": "(1/(1 + numpy.exp(-({}))))",
    "abs": "numpy.abs({})", "sign": "numpy.sign({})", "relu": "numpy.maximum({}, 0)",
    "indicator": "(numpy.asarray({}) > 0).astype(float)",
}


def commutation_array(rows: int, cols: int) -> np.ndarray:
    """K_{rows,cols} as a float array: K vec(A) = vec(A^T) for A of shape rows x cols."""
    matrix = np.zeros((rows * cols, rows * cols))
    for a in range(rows):
        for b in range(cols):
            matrix[b + cols * a, a + rows * b] = 1.0
    return matrix


class _Printer(NumPyPrinter):
    def _print_Trace(self, expr):
        return f"numpy.trace({self._print(expr.arg)})"

    def _print_Determinant(self, expr):
        return f"numpy.linalg.det({self._print(expr.arg)})"

    def _print_ElementwiseApplyFunction(self, expr):
        return _ENTRYWISE[function_name(expr)].format(self._print(expr.expr))

    def _print_HadamardPower(self, expr):
        return f"numpy.power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_OneMatrix(self, expr):
        return f"numpy.ones(({self._print(expr.rows)}, {self._print(expr.cols)}))"

    def _print_Vec(self, expr):
        return f"numpy.reshape({self._print(expr.arg)}, (-1, 1), order='F')"

    def _print_Commutation(self, expr):
        return f"commutation({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_DiagMatrix(self, expr):
        return f"numpy.diagflat({self._print(expr.args[0])})"

    def _print_sigmoid(self, expr):
        return _ENTRYWISE["sigmoid"].format(self._print(expr.args[0]))

    def _print_relu(self, expr):
        return _ENTRYWISE["relu"].format(self._print(expr.args[0]))

    def _print_indicator(self, expr):
        return _ENTRYWISE["indicator"].format(self._print(expr.args[0]))


def numpy_function(arguments, expr):
    """f(*arrays) = ``expr`` evaluated with NumPy; ``arguments`` are MatrixSymbols (and scalars) at concrete sizes."""
    return lambdify(arguments, expr, modules=[{"commutation": commutation_array}, "numpy"], printer=_Printer)
