"""Write a derived matrix as a person would: like terms merged, common factors taken out as the Cookbook does.

``tidy(expr, wrt)``: SymPy's own canonical form (``doit``: like terms merged, transposes of
products distributed, I and 1 x 1 identities dropped, 1 1^T = ones), (c 1) o M = c M, a common
rational factor of a sum taken out (-2a + 2x = 2(x - a)), Kronecker bilinearity
(P (x) Q1 + P (x) Q2 = P (x) (Q1 + Q2)), and common factors: terms sharing their last (or first)
matrix factors F, with the rest free of ``wrt``, are written (sum of the rests) F when a vector
is involved, as the Matrix Cookbook writes (B + B^T) x (81) and X (b c^T + c b^T) (77) but
B X + B^T X (108). Every rewrite is an identity of matrix algebra, so tidying never changes the
value; the checks run on the tidied form.
"""

from __future__ import annotations

from sympy import HadamardProduct, KroneckerProduct, MatAdd, MatMul, OneMatrix, S, gcd_list

FACTOR = "distributivity: A F + B F = (A + B) F"


def _parts(term):
    if isinstance(term, MatMul):
        coefficient, matrices = term.as_coeff_matrices()
        return coefficient, list(matrices)
    return S.One, [term]


def _has_vector(matrices) -> bool:
    return any(1 in (m.rows, m.cols) for m in matrices)


def _rest(term, k, side):
    coefficient, matrices = _parts(term)
    return MatMul(coefficient, *(matrices[:-k] if side == -1 else matrices[k:]))


def _factor_once(expr, wrt, side: int):
    """(sum of rests) F for the longest common end F of two or more terms (see the module), or None."""
    terms = list(expr.args)
    longest = max(len(_parts(t)[1]) for t in terms) - 1
    for k in range(longest, 0, -1):
        groups: dict = {}
        for term in terms:
            matrices = _parts(term)[1]
            if len(matrices) > k:
                groups.setdefault(tuple(matrices[-k:] if side == -1 else matrices[:k]), []).append(term)
        for common, members in groups.items():
            rests = [_rest(t, k, side) for t in members]
            if len(members) < 2 or any(r.has(wrt) for r in rests):
                continue
            if not _has_vector([*common, *(m for r in rests for m in _parts(r)[1])]):
                continue
            inner = tidy(MatAdd(*rests).doit(), wrt)
            factored = MatMul(inner, *common) if side == -1 else MatMul(*common, inner)
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


def _kronecker_sum(expr):
    """P (x) Q1 + P (x) Q2 = P (x) (Q1 + Q2), and Q1 (x) P + Q2 (x) P = (Q1 + Q2) (x) P."""
    krons = [t for t in expr.args if isinstance(t, KroneckerProduct) and len(t.args) == 2]
    for side in (0, 1):
        groups: dict = {}
        for term in krons:
            groups.setdefault(term.args[side], []).append(term)
        for common, members in groups.items():
            if len(members) > 1:
                inner = MatAdd(*(m.args[1 - side] for m in members)).doit()
                combined = KroneckerProduct(common, inner) if side == 0 else KroneckerProduct(inner, common)
                others = [t for t in expr.args if t not in members]
                return MatAdd(combined, *others) if others else combined
    return expr


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
    """``expr`` in SymPy's canonical form with common factors taken out (see the module)."""
    expr = expr.doit().replace(lambda e: isinstance(e, HadamardProduct), _hadamard_scaled_ones).doit()
    expr = expr.replace(lambda e: isinstance(e, MatAdd), _kronecker_sum)
    expr = expr.replace(lambda e: isinstance(e, MatAdd), _common_number)
    expr = expr.replace(lambda e: isinstance(e, MatMul), _flatten)
    if not isinstance(expr, MatAdd):
        return expr
    for side in (-1, 0):
        factored = _factor_once(expr, wrt, side)
        if factored is not None:
            return tidy(factored, wrt) if isinstance(factored, MatAdd) else factored
    return expr
