"""The differential of an expression, one named rule at a time (Magnus & Neudecker, ch. 8).

``differential(expr, wrt)`` starts from d(expr) and rewrites the first unevaluated d(...) (in
reading order) by its rule (``calculus.rules``), recording a ``Step`` (rule, before, after) each
time, until only d``wrt`` is left. Three rules apply silently inside every step, as on paper:
dA = 0 for anything free of ``wrt`` (constants, other operands, scalars), d``wrt`` = d``wrt``, and
linearity d(U + V) = dU + dV. The result is linear in the differential ``d<wrt>``, a MatrixSymbol
of the shape of ``wrt``.

>>> from sympy import MatrixSymbol, Symbol, Trace
>>> n = Symbol("n", integer=True, positive=True)
>>> X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
>>> result, steps = differential(Trace(A * X), X)
>>> result
Trace(A*dX)
>>> [step.rule for step in steps]
['trace: d tr U = tr dU', 'product rule: d(UV) = dU V + U dV']
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import (
    Add,
    HadamardProduct,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatrixSymbol,
    Mul,
    S,
    Trace,
    Transpose,
    ZeroMatrix,
    preorder_traversal,
)

from gradproof.symbolic.calculus import rules
from gradproof.symbolic.calculus.markers import Differential, ScalarDifferential

MAX_STEPS = 400
"""Most rule applications of one derivation (a guard against runaway growth, never reached by the Cookbook)."""


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``before`` = ``after`` by ``rule``."""

    rule: str
    before: object
    after: object


def differential_symbol(wrt: MatrixSymbol) -> MatrixSymbol:
    """d<name>, a MatrixSymbol of the shape of ``wrt``."""
    return MatrixSymbol(f"d{wrt.name}", *wrt.shape)


def _markers(expr):
    return [node for node in preorder_traversal(expr) if isinstance(node, Differential | ScalarDifferential)]


def _silent(marker, wrt, dwrt):
    """dA = 0, d wrt, and linearity; None where a named rule is needed."""
    arg = marker.arg
    if not arg.has(wrt):
        return ZeroMatrix(*arg.shape) if isinstance(marker, Differential) else S.Zero
    if arg == wrt:
        return dwrt
    if isinstance(arg, MatAdd):
        return MatAdd(*(Differential(term) for term in arg.args))
    if isinstance(marker, ScalarDifferential) and isinstance(arg, Add):
        return Add(*(ScalarDifferential(term) for term in arg.args))
    return None


def _settle(expr, wrt, dwrt):
    """Apply the silent rules until none applies; then let SymPy drop zeros (``doit``)."""
    while True:
        replacements = {}
        for marker in _markers(expr):
            value = _silent(marker, wrt, dwrt)
            if value is not None:
                replacements[marker] = value
        if not replacements:
            return settle_zeros(expr)
        expr = expr.xreplace(replacements)


def settle_zeros(expr):
    """Drop zeros and merge like terms (SymPy's canonical forms of +, products, traces), bottom up, but keep
    transposes of sums and products as written: (Ax - b)^T stays, as on paper."""
    if not expr.args or isinstance(expr, MatrixSymbol):
        return expr
    node = expr.func(*(settle_zeros(arg) for arg in expr.args))
    if isinstance(node, Transpose):
        inner = node.arg
        if isinstance(inner, ZeroMatrix | Transpose | MatrixSymbol | Inverse):
            return inner.T
        return node
    if isinstance(node, MatAdd | MatMul | Trace | HadamardProduct | KroneckerProduct | Add | Mul):
        return node.doit(deep=False)
    return node


def differential(expr, wrt: MatrixSymbol):
    """(d expr, steps): d expr written with d``wrt`` only, and every named rule applied, in order."""
    dwrt = differential_symbol(wrt)

    def constant(value) -> bool:
        return not value.has(wrt)

    is_matrix = bool(getattr(expr, "is_Matrix", False))
    start = Differential(expr) if is_matrix else ScalarDifferential(expr)
    current, steps = _settle(start, wrt, dwrt), []
    while (pending := _markers(current)):
        marker = pending[0]
        if isinstance(marker, Differential):
            rule, value = rules.matrix_rule(marker.arg, constant)
        else:
            rule, value = rules.scalar_rule(marker.arg, constant)
        after = _settle(current.xreplace({marker: value}), wrt, dwrt)
        steps.append(Step(rule, start if not steps else current, after))
        current = after
        if len(steps) > MAX_STEPS:
            raise RuntimeError(f"differential of {expr}: more than MAX_STEPS = {MAX_STEPS} rule applications")
    return current, steps
