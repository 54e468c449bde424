"""Write a derived matrix as a person would: like terms merged, common factors taken out.

``tidy(expr, wrt)``: SymPy's own canonical form (``doit``: like terms merged, transposes of
products distributed, I and 1 x 1 identities dropped, 1 1^T = ones, ones o A = A), then common
factors: terms sharing their last (or first) matrix factor F, with the rest free of ``wrt``, are
written (sum of the rests) F, e.g. A x + A^T x = (A + A^T) x. Every rewrite is an identity of
matrix algebra (distributivity), so tidying never changes the value; the checks run on the tidied form.
"""

from __future__ import annotations

from sympy import HadamardProduct, MatAdd, MatMul, OneMatrix, S, gcd_list

FACTOR = "distributivity: A F + B F = (A + B) F"


def _parts(term):
    if isinstance(term, MatMul):
        coefficient, matrices = term.as_coeff_matrices()
        return coefficient, list(matrices)
    return 1, [term]


def _factor_once(expr, wrt, side: int):
    terms = list(expr.args)
    groups: dict = {}
    for term in terms:
        coefficient, matrices = _parts(term)
        if len(matrices) >= 2:
            groups.setdefault(matrices[side], []).append(term)
    for common, members in groups.items():
        rests = []
        for term in members:
            coefficient, matrices = _parts(term)
            rest = matrices[:-1] if side == -1 else matrices[1:]
            rests.append(MatMul(coefficient, *rest))
        if len(members) < 2 or any(rest.has(wrt) for rest in rests):
            continue
        inner = tidy(MatAdd(*rests).doit(), wrt)
        factored = MatMul(inner, common) if side == -1 else MatMul(common, inner)
        others = [t for t in terms if t not in members]
        return MatAdd(factored, *others) if others else factored
    return None


def _hadamard_scaled_ones(expr):
    """(c 1) o M = c M: a scaled matrix of ones in an entrywise product is a scalar factor."""
    scale, rest = S.One, []
    for factor in expr.args:
        coefficient, matrices = _parts(factor)
        if len(matrices) == 1 and isinstance(matrices[0], OneMatrix):
            scale *= coefficient
        else:
            rest.append(factor)
    if not rest:
        return expr
    return MatMul(scale, HadamardProduct(*rest) if len(rest) > 1 else rest[0])


def _common_number(expr):
    """A sum whose terms share a rational factor g (not 1) as g (sum / g): -2a + 2x = 2(x - a)."""
    coefficients = [_parts(term)[0] for term in expr.args]
    if not all(getattr(c, "is_Rational", False) for c in coefficients):
        return expr
    common = abs(gcd_list(coefficients))
    if common in (0, 1):
        return expr
    sign = -1 if all(c < 0 for c in coefficients) else 1
    return MatMul(sign * common, MatAdd(*(term / (sign * common) for term in expr.args)).doit())


def _flatten(expr):
    """c1 (c2 M N) = (c1 c2) M N without distributing over sums."""
    coefficient, matrices = S.One, []
    for factor in expr.args:
        if isinstance(factor, MatMul):
            inner, inner_matrices = factor.as_coeff_matrices()
            coefficient, matrices = coefficient * inner, matrices + list(inner_matrices)
        elif getattr(factor, "is_Matrix", False):
            matrices.append(factor)
        else:
            coefficient *= factor
    return MatMul(coefficient, *matrices) if coefficient != 1 else MatMul(*matrices)


def tidy(expr, wrt):
    """``expr`` in SymPy's canonical form with common constant factors taken out (see the module)."""
    expr = expr.doit().replace(lambda e: isinstance(e, HadamardProduct), _hadamard_scaled_ones).doit()
    expr = expr.replace(lambda e: isinstance(e, MatAdd), _common_number)
    expr = expr.replace(lambda e: isinstance(e, MatMul), _flatten)
    if not isinstance(expr, MatAdd):
        return expr
    for side in (-1, 0):
        factored = _factor_once(expr, wrt, side)
        if factored is not None:
            return tidy(factored, wrt) if isinstance(factored, MatAdd) else factored
    return expr
