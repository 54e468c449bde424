"""From a differential to the derivative: df = tr(G^T dX) gives grad f = G; d vec F = J d vec X gives J.

Gradient (denominator layout, the shape of X; seed 003's dL = tr(G^T dY) route): df is a sum of
terms c tr(L) with L linear in dX. Each is brought to c tr(S^T dX) by three rules, applied from
the outside in with the seed S = I:

* cyclic property of the trace: tr(S^T A U B) = tr((A^T S B^T)^T U);
* transpose: tr(S^T U^T) = tr(S U) = tr((S^T)^T U);
* entrywise product: tr(S^T (A o U)) = tr((S o A)^T U) (Matrix Cookbook (522)-(523)'s "(A o B) . C");
* diagonals: tr(S^T diag(u)) = diag(S)^T u, tr(S^T diag(U)) = tr(diag(S)^T U).

vec-Jacobian (column stacking, Cookbook (520)): vec(A U B) = (B^T (x) A) vec U, vec(U^T) = K vec U
(``Commutation``), vec(A o U) = diag(vec A) vec U.
"""

from __future__ import annotations

from sympy import (
    Add,
    DiagMatrix,
    DiagonalOf,
    HadamardProduct,
    Identity,
    KroneckerProduct,
    MatAdd,
    MatMul,
    Mul,
    S,
    Trace,
    Transpose,
    ZeroMatrix,
)

from gradproof.symbolic.calculus.markers import Commutation
from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.language.printer import to_text

CYCLIC = "cyclic property of the trace: tr(S^T A U B) = tr((A^T S B^T)^T U)"
TRANSPOSE = "transpose inside the trace: tr(S^T U^T) = tr(S U)"
HADAMARD = "entrywise product inside the trace: tr(S^T (A o U)) = tr((S o A)^T U)"
DIAGONAL = "diagonal inside the trace: tr(S^T diag(U)) = tr(diag(S)^T U)"
SCALAR_TRACE = "a scalar tr(U) inside: tr(S^T tr(U) A) = tr(S^T A) tr(U)"
VEC_PRODUCT = "vec(A U B) = (B^T kron A) vec(U) (Cookbook (520))"
VEC_TRANSPOSE = "vec(U^T) = K vec(U), K the commutation matrix"
VEC_HADAMARD = "vec(A o U) = diag(vec A) vec(U)"
VEC_TRACE = "vec(tr(U) A) = vec(A) vec(I)^T vec(U)"


def linear_terms(expr, dwrt):
    """The terms (c, L) of a scalar ``expr`` = sum c tr(L), linear in ``dwrt``."""
    terms = []
    for term in Add.make_args(expr):
        if not term.has(dwrt) and _is_zero(term):
            # the differential of a function constant away from 0 (sign, indicator): tr(0 ...), dropped
            continue
        factors = Mul.make_args(term)
        linear = [f for f in factors if f.has(dwrt)]
        if len(linear) != 1 or not isinstance(linear[0], Trace | Add):
            raise NotSupported(f"the differential term {to_text(term)} is not of the form c tr(L), L linear in {dwrt}")
        coefficient = Mul(*(f for f in factors if f is not linear[0]))
        if isinstance(linear[0], Add):  # c (tr L1 + tr L2): distributed
            terms += [(coefficient * c, inner) for c, inner in linear_terms(linear[0], dwrt)]
        else:
            terms.append((coefficient, linear[0].arg))
    return terms


def _is_zero(term) -> bool:
    """``term`` is exactly 0: SymPy evaluates it to 0 (tr(0 ones(1)) = 0, a ZeroMatrix inside a trace)."""
    try:
        value = term.doit()
    except (TypeError, ValueError, NotImplementedError):
        return False
    return value == 0 or getattr(value, "is_ZeroMatrix", False)


def pull_back(linear, seed, dwrt, rules_used: list):
    """R with tr(seed^T linear) = tr(R^T dwrt); the rules applied are appended to ``rules_used``."""
    if linear == dwrt:
        return seed
    if isinstance(linear, MatAdd):
        return MatAdd(*(pull_back(t, seed, dwrt, rules_used) for t in linear.args if t.has(dwrt)))
    if isinstance(linear, Transpose):
        rules_used.append(TRANSPOSE)
        return pull_back(linear.arg, seed.T, dwrt, rules_used)
    if isinstance(linear, MatMul):
        return _pull_product(linear, seed, dwrt, rules_used)
    if isinstance(linear, HadamardProduct):
        rules_used.append(HADAMARD)
        inner = next(f for f in linear.args if f.has(dwrt))
        others = [f for f in linear.args if f is not inner]
        return pull_back(inner, HadamardProduct(seed, *others), dwrt, rules_used)
    if isinstance(linear, DiagMatrix):
        rules_used.append(DIAGONAL)
        return pull_back(linear.arg, DiagonalOf(seed), dwrt, rules_used)
    if isinstance(linear, DiagonalOf):
        rules_used.append(DIAGONAL)
        return pull_back(linear.arg, DiagMatrix(seed), dwrt, rules_used)
    raise NotSupported(f"no rule to read a gradient off {to_text(linear)} (linear in {dwrt}); "
                       "a Kronecker product or vec of the differential has a vec-Jacobian: ask for the Jacobian")


def _pull_product(linear, seed, dwrt, rules_used):
    coefficient, matrices = linear.as_coeff_matrices()
    if coefficient.has(dwrt):  # tr(S^T c(dX) M) = c(dX) tr(S^T M): c is c' tr(L)
        rules_used.append(SCALAR_TRACE)
        weight = Trace(MatMul(seed.T, *matrices)).doit()
        return sum_gradients([pull_back(inner, Identity(inner.rows) * (c * weight), dwrt, rules_used)
                              for c, inner in linear_terms(coefficient, dwrt)], dwrt)
    k = next(i for i, m in enumerate(matrices) if m.has(dwrt))
    before, after = matrices[:k], matrices[k + 1:]
    if before or after:
        rules_used.append(CYCLIC)
    new_seed = MatMul(*(m.T for m in reversed(before)), seed, *(m.T for m in reversed(after)))
    return pull_back(matrices[k], coefficient * new_seed, dwrt, rules_used)


def sum_gradients(parts, dwrt):
    return MatAdd(*parts).doit() if parts else ZeroMatrix(*dwrt.shape)


def gradient_terms(expr, dwrt):
    """[(c, L, G_term, rules)] for df = sum c tr(L): c tr(L) = tr(G_term^T dX)."""
    out = []
    for coefficient, linear in linear_terms(expr, dwrt):
        used: list = []
        seed = Identity(linear.rows)
        term = pull_back(linear, seed, dwrt, used)
        out.append((coefficient, linear, (coefficient * term).doit(), tuple(dict.fromkeys(used))))
    return out


def vec_jacobian(linear, dwrt, rules_used: list):
    """J with vec(linear) = J vec(dwrt) (column stacking)."""
    if linear == dwrt:
        return Identity(dwrt.rows * dwrt.cols)
    if isinstance(linear, MatAdd):
        return MatAdd(*(vec_jacobian(t, dwrt, rules_used) for t in linear.args if t.has(dwrt)))
    if isinstance(linear, Transpose):
        rules_used.append(VEC_TRANSPOSE)
        return MatMul(Commutation(*linear.arg.shape), vec_jacobian(linear.arg, dwrt, rules_used))
    if isinstance(linear, HadamardProduct):
        rules_used.append(VEC_HADAMARD)
        inner = next(f for f in linear.args if f.has(dwrt))
        others = [f for f in linear.args if f is not inner]
        return MatMul(DiagMatrix(Vec(HadamardProduct(*others) if len(others) > 1 else others[0])),
                      vec_jacobian(inner, dwrt, rules_used))
    if isinstance(linear, Vec):
        return vec_jacobian(linear.arg, dwrt, rules_used)
    if isinstance(linear, MatMul):
        return _vec_product(linear, dwrt, rules_used)
    raise NotSupported(f"no rule for the vec-Jacobian of {to_text(linear)} (linear in {dwrt})")


def _vec_product(linear, dwrt, rules_used):
    coefficient, matrices = linear.as_coeff_matrices()
    if coefficient.has(dwrt):
        rules_used.append(VEC_TRACE)
        rest = MatMul(*matrices)
        rows = [c * Vec(rest) * Vec(Identity(inner.rows)).T * vec_jacobian(inner, dwrt, rules_used)
                for c, inner in linear_terms(coefficient, dwrt)]
        return MatAdd(*rows)
    k = next(i for i, m in enumerate(matrices) if m.has(dwrt))
    inner = matrices[k]
    left = MatMul(*matrices[:k]) if k else Identity(inner.rows)
    right = MatMul(*matrices[k + 1:]) if k + 1 < len(matrices) else Identity(inner.cols)
    rules_used.append(VEC_PRODUCT)
    return coefficient * MatMul(kron(right.T, left), vec_jacobian(inner, dwrt, rules_used))


def kron(a, b):
    """a (x) b, with I_1 (x) M = M (x) I_1 = M."""
    if a.shape == (1, 1) and isinstance(a, Identity):
        return b
    if b.shape == (1, 1) and isinstance(b, Identity):
        return a
    return KroneckerProduct(a, b)


__all__ = ["gradient_terms", "linear_terms", "pull_back", "vec_jacobian", "S"]
