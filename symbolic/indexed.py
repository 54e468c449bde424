"""Index-notation algebra for general-size proofs: the sifting property, canonical dummies,
and the entries of a matrix expression written with IndexedBase objects (1-based, as the seeds).

The two rules applied here, and named in every proof that uses them:

* linearity of a finite sum: sum_k (a_k + b_k) = sum_k a_k + sum_k b_k, sum_k c a_k = c sum_k a_k;
* sifting (Kronecker delta): sum_{k=1}^{K} delta_{k p} f(k) = f(p) whenever 1 <= p <= K.
  The hypothesis 1 <= p <= K holds because p indexes an entry of a K-long dimension; it is
  checked here by comparing the sum's bounds with the declared range of p, never assumed.
"""

from __future__ import annotations

from sympy import Add, KroneckerDelta, Mul, Sum, Symbol, expand
from sympy.matrices.expressions.matexpr import MatrixElement

SIFTING = "sifting property of the Kronecker delta"
LINEARITY = "linearity of finite sums"


def collapse_deltas(expr, ranges):
    """Apply linearity and sifting to every ``Sum`` in ``expr``, innermost first.

    ``ranges`` maps each free index symbol to its ``(low, high)`` range, e.g. ``{p: (1, N)}``.

    >>> from sympy import IndexedBase, symbols
    >>> g, x = IndexedBase("g"), IndexedBase("x")
    >>> k, p, N = symbols("k p N", integer=True)
    >>> collapse_deltas(Sum(KroneckerDelta(k, p) * g[k] * x[k], (k, 1, N)), {p: (1, N)})
    g[p]*x[p]
    """
    if isinstance(expr, Sum):
        body = collapse_deltas(expr.function, ranges)
        for variable, low, high in expr.limits:
            body = _sum_over(body, variable, low, high, ranges)
        return body
    if not expr.args:
        return expr
    return expr.func(*[collapse_deltas(arg, ranges) for arg in expr.args])


def _sum_over(body, variable, low, high, ranges):
    """sum_{variable=low}^{high} body, term by term, sifting where a delta allows it."""
    total = 0
    for term in Add.make_args(expand(body)):
        if variable not in term.free_symbols:
            total += term * (high - low + 1)
            continue
        delta = _sifting_delta(term, variable, low, high, ranges)
        if delta is not None:
            partner = delta.args[1] if delta.args[0] == variable else delta.args[0]
            total += (term / delta).xreplace({variable: partner})
            continue
        constant = [f for f in Mul.make_args(term) if variable not in f.free_symbols]
        varying = [f for f in Mul.make_args(term) if variable in f.free_symbols]
        total += Mul(*constant) * Sum(Mul(*varying), (variable, low, high))
    return total


def _sifting_delta(term, variable, low, high, ranges):
    """The factor delta(variable, p) of ``term`` with p known to lie in [low, high], if any."""
    for factor in Mul.make_args(term):
        if isinstance(factor, KroneckerDelta) and variable in factor.args:
            partner = factor.args[1] if factor.args[0] == variable else factor.args[0]
            if ranges.get(partner) == (low, high):
                return factor
    return None


def canonical_dummies(expr, depth=0):
    """Rename every summation variable by its nesting depth, so equal sums compare equal."""
    if isinstance(expr, Sum):
        body, limits = expr.function, []
        for offset, (variable, low, high) in enumerate(expr.limits):
            fresh = Symbol(f"k_{{{depth + offset}}}", integer=True)
            body = body.xreplace({variable: fresh})
            limits.append((fresh, low, high))
        return Sum(canonical_dummies(body, depth + len(limits)), *limits)
    if not expr.args:
        return expr
    return expr.func(*[canonical_dummies(arg, depth) for arg in expr.args])


def normal_form(expr, ranges):
    """Linearity + sifting + canonical dummies: equal index expressions get equal normal forms."""
    return canonical_dummies(collapse_deltas(expr, ranges))


def indices_equal(left, right, ranges):
    """Exact comparison of two index expressions: expand(normal(left) - normal(right)) == 0."""
    return expand(normal_form(left, ranges) - normal_form(right, ranges)) == 0


def matrix_entry(matrix_expr, row, col, entry_of):
    """Entry (row, col), 1-based, of a SymPy matrix expression, in index notation.

    ``entry_of`` maps a MatrixSymbol name to a function ``(i, j) -> expression`` taking 1-based
    indices (e.g. ``lambda i, j: W[i, j]`` or, for a column vector, ``lambda i, j: b[i]``).
    SymPy's own 0-based summations are shifted to run from 1.
    """
    zero_based = matrix_expr[row - 1, col - 1]
    return _shift_sums(_replace_elements(zero_based, entry_of))


def _replace_elements(expr, entry_of):
    if isinstance(expr, MatrixElement):
        return entry_of[expr.parent.name](expr.i + 1, expr.j + 1)
    if not expr.args:
        return expr
    return expr.func(*[_replace_elements(arg, entry_of) for arg in expr.args])


def _shift_sums(expr):
    if isinstance(expr, Sum):
        body, limits = _shift_sums(expr.function), []
        for variable, low, high in expr.limits:
            body = body.xreplace({variable: variable - 1})
            limits.append((variable, low + 1, high + 1))
        return Sum(body, *limits)
    if not expr.args:
        return expr
    return expr.func(*[_shift_sums(arg) for arg in expr.args])
