"""The named rules of the differential (Magnus & Neudecker, ch. 8; Matrix Cookbook, section 2).

Each rule takes the argument U of an unevaluated d(U) and returns d(U) one level down, still
holding d(...) of the parts. ``MATRIX_RULES`` and ``SCALAR_RULES`` map an expression type to
(name, function); ``calculus.differential`` applies them one at a time and records each.

* product rule: d(UV) = dU V + U dV; d(U o V) = dU o V + U o dV; d(U (x) V) = dU (x) V + U (x) dV
* d(U^T) = (dU)^T; d tr U = tr dU; d vec U = vec dU; d diag U = diag dU
* d U^-1 = -U^-1 dU U^-1 (Cookbook (40)); d det U = det U tr(U^-1 dU) (Cookbook (46));
  d log det U = tr(U^-1 dU) (Cookbook (43))
* d f(U) = f'(U) o dU for an entrywise f (``DERIVATIVES``); d f(u) = f'(u) du for a scalar u
"""

from __future__ import annotations

from sympy import (
    Add,
    Determinant,
    DiagMatrix,
    DiagonalOf,
    Dummy,
    Function,
    HadamardPower,
    HadamardProduct,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    Mul,
    OneMatrix,
    Pow,
    Rational,
    Trace,
    Transpose,
    ZeroMatrix,
    diff,
    exp,
    log,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradproof.symbolic.calculus.markers import Differential, ScalarDifferential
from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.kron import Vec, VecRowMajor
from gradproof.symbolic.language.functions import elementwise, function_name
from gradproof.symbolic.language.printer import to_text

PRODUCT = "product rule: d(UV) = dU V + U dV"
HADAMARD = "product rule for the entrywise product: d(U o V) = dU o V + U o dV"
HADAMARD_POWER = "entrywise power: d(U^(o p)) = p U^(o (p-1)) o dU"
KRONECKER = "product rule for the Kronecker product: d(U (x) V) = dU (x) V + U (x) dV"
TRANSPOSE = "transpose: d(U^T) = (dU)^T"
INVERSE = "inverse: d(U^-1) = -U^-1 dU U^-1"
POWER = "matrix power: d(U^k) = sum_i U^i dU U^(k-1-i)"
ENTRYWISE = "entrywise function: d f(U) = f'(U) o dU"
VEC = "d vec U = vec dU"
DIAG = "d diag U = diag dU"
TRACE = "trace: d tr U = tr dU"
TRACE_KRON = "tr(U (x) V) = tr U tr V"
DET = "determinant: d det U = det U tr(U^-1 dU)"
LOGDET = "log-determinant: d log det U = tr(U^-1 dU)"
SCALAR_PRODUCT = "product rule: d(uv) = du v + u dv"
SCALAR_POWER = "power rule: d(u^p) = p u^(p-1) du"
CHAIN = "chain rule: d f(u) = f'(u) du"
KINK_NOTE = "valid where no entry of the argument is 0"


def inverse_differential(matrix, dmatrix):
    """d(U^-1) = -U^-1 dU U^-1 (Matrix Cookbook (40): from U U^-1 = I, dU U^-1 + U d(U^-1) = 0)."""
    return -Inverse(matrix) * dmatrix * Inverse(matrix)


def _scaled_product(expr, constant):
    """d(c U V ...) = dc U V ... + c (dU V ... + U dV ... + ...), c a scalar that may depend on the operand."""
    coefficient, matrices = expr.as_coeff_matrices()
    rest = MatMul(*matrices)
    terms = [] if constant(coefficient) else [MatMul(ScalarDifferential(coefficient), rest)]
    terms += [MatMul(coefficient, *matrices[:i], Differential(m), *matrices[i + 1:]) for i, m in enumerate(matrices)]
    return PRODUCT, MatAdd(*terms)


def _power(expr, constant):
    base, k = expr.args
    if not (k.is_Integer and k > 0):
        if k.is_Integer and k < 0:
            return "negative power: U^-k = (U^-1)^k", Differential(MatPow(Inverse(base), -k))
        raise NotSupported(f"matrix power {to_text(expr)}: only integer powers have a rule")
    terms = [MatMul(*([base] * i), Differential(base), *([base] * (int(k) - 1 - i))) for i in range(int(k))]
    return POWER, MatAdd(*terms)


def _hadamard(expr, constant):
    factors = expr.args
    terms = [HadamardProduct(*factors[:i], Differential(f), *factors[i + 1:]) for i, f in enumerate(factors)]
    return HADAMARD, MatAdd(*terms)


def _hadamard_power(expr, constant):
    base, p = expr.args
    if not constant(p):
        raise NotSupported(f"entrywise power {to_text(expr)}: the exponent depends on the operand")
    lower = base if p == 2 else HadamardPower(base, p - 1)
    return HADAMARD_POWER, p * HadamardProduct(lower, Differential(base))


def _kronecker(expr, constant):
    factors = expr.args
    terms = [KroneckerProduct(*factors[:i], Differential(f), *factors[i + 1:]) for i, f in enumerate(factors)]
    return KRONECKER, MatAdd(*terms)


def derivative_matrix(name: str, matrix):
    """f'(M) entrywise, written with the language's own functions (so that it prints back as input)."""
    ones = OneMatrix(*matrix.shape)
    square = HadamardPower(matrix, 2)
    table = {
        "sin": lambda: elementwise("cos", matrix),
        "cos": lambda: -elementwise("sin", matrix),
        "tan": lambda: ones + HadamardPower(elementwise("tan", matrix), 2),
        "arcsin": lambda: HadamardPower(ones - square, Rational(-1, 2)),
        "arccos": lambda: -HadamardPower(ones - square, Rational(-1, 2)),
        "arctan": lambda: HadamardPower(ones + square, -1),
        "exp": lambda: elementwise("exp", matrix),
        "log": lambda: HadamardPower(matrix, -1),
        "sqrt": lambda: HadamardPower(elementwise("sqrt", matrix), -1) / 2,
        "tanh": lambda: ones - HadamardPower(elementwise("tanh", matrix), 2),
        "sigmoid": lambda: HadamardProduct(elementwise("sigmoid", matrix), ones - elementwise("sigmoid", matrix)),
        "abs": lambda: elementwise("sign", matrix),
        "sign": lambda: ZeroMatrix(*matrix.shape),
        "relu": lambda: elementwise("indicator", matrix),
        "indicator": lambda: ZeroMatrix(*matrix.shape),
    }
    return table[name]()


def _entrywise(expr, constant):
    name = function_name(expr)
    if name is None:
        raise NotSupported(f"no rule for the entrywise function {expr.function} in {to_text(expr)}")
    rule = ENTRYWISE if name not in ("abs", "sign", "relu", "indicator") else f"{ENTRYWISE} ({KINK_NOTE})"
    return rule, HadamardProduct(derivative_matrix(name, expr.expr), Differential(expr.expr))


def _inverse(expr, constant):
    return INVERSE, inverse_differential(expr.arg, Differential(expr.arg))


MATRIX_RULES = {
    MatMul: _scaled_product,
    Transpose: lambda e, c: (TRANSPOSE, Transpose(Differential(e.arg))),
    Inverse: _inverse,
    MatPow: _power,
    HadamardProduct: _hadamard,
    HadamardPower: _hadamard_power,
    KroneckerProduct: _kronecker,
    ElementwiseApplyFunction: _entrywise,
    Vec: lambda e, c: (VEC, Vec(Differential(e.arg))),
    VecRowMajor: lambda e, c: (VEC, VecRowMajor(Differential(e.arg))),
    DiagMatrix: lambda e, c: (DIAG, DiagMatrix(Differential(e.arg))),
    DiagonalOf: lambda e, c: (DIAG, DiagonalOf(Differential(e.arg))),
}


def _trace(expr):
    if isinstance(expr.arg, KroneckerProduct):
        return TRACE_KRON, ScalarDifferential(Mul(*(Trace(f) for f in expr.arg.args)))
    return TRACE, Trace(Differential(expr.arg))


def _scalar_product(expr):
    factors = expr.args
    terms = [Mul(*factors[:i], ScalarDifferential(f), *factors[i + 1:]) for i, f in enumerate(factors)]
    return SCALAR_PRODUCT, Add(*terms)


def _scalar_power(expr, constant):
    base, p = expr.args
    if constant(p):
        return SCALAR_POWER, p * base ** (p - 1) * ScalarDifferential(base)
    return "u^v = exp(v log u)", ScalarDifferential(exp(p * log(base)))


_VARIABLE = Dummy("u")


def _function(expr):
    if isinstance(expr, log) and isinstance(expr.args[0], Determinant):
        matrix = expr.args[0].arg
        return LOGDET, Trace(Inverse(matrix) * Differential(matrix))
    if len(expr.args) != 1:
        raise NotSupported(f"no rule for the function {expr.func} of {len(expr.args)} arguments in {to_text(expr)}")
    derivative = diff(expr.func(_VARIABLE), _VARIABLE).xreplace({_VARIABLE: expr.args[0]})
    kinked = type(expr).__name__ in ("Abs", "sign", "relu", "indicator")
    return (f"{CHAIN} ({KINK_NOTE})" if kinked else CHAIN), derivative * ScalarDifferential(expr.args[0])


def scalar_rule(expr, constant):
    """(rule name, d expr one level down) for a scalar ``expr`` that depends on the operand."""
    if isinstance(expr, Trace):
        return _trace(expr)
    if isinstance(expr, Determinant):
        return DET, expr * Trace(Inverse(expr.arg) * Differential(expr.arg))
    if isinstance(expr, Mul):
        return _scalar_product(expr)
    if isinstance(expr, Pow):
        return _scalar_power(expr, constant)
    if isinstance(expr, Function):
        return _function(expr)
    raise NotSupported(f"no rule for the differential of {to_text(expr)}")


def matrix_rule(expr, constant):
    """(rule name, d expr one level down) for a matrix ``expr`` that depends on the operand."""
    rule = MATRIX_RULES.get(type(expr))
    if rule is None:
        raise NotSupported(f"no rule for the differential of {to_text(expr)}")
    return rule(expr, constant)
