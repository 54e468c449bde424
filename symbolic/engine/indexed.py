"""Index-notation algebra for general-size proofs: linearity, the sifting property, a normal form
modulo renaming and interchange of finite sums, and the entries of a matrix expression written
with IndexedBase objects (1-based, as the seeds).

The rules applied here, and named in every proof that uses them:

* linearity of a finite sum: sum_k (a_k + b_k) = sum_k a_k + sum_k b_k, sum_k c a_k = c sum_k a_k;
* sifting (Kronecker delta): sum_{k=1}^{K} delta_{k p} f(k) = f(p) whenever 1 <= p <= K.
  The hypothesis 1 <= p <= K holds because p indexes an entry of a K-long dimension; it is
  checked here by comparing the sum's bounds with the declared range of p, never assumed.
  A delta of shifted indices, delta_{k-1, p-1}, is delta_{k p} (it compares k - p with 0);
* interchange of finite sums, and renaming of bound summation indices (alpha-equivalence):
  sum_k f(k) = sum_l f(l). Bound indices are renamed canonically everywhere, also inside
  function arguments such as exp(sum_k z_k) or 1 / sum_k exp(z_k), so two expressions that differ
  only in the names of their summation indices have the same normal form.

Matrix Cookbook: the index notation of section 1 ("Notation and Nomenclature"); the rules are
those of finite sums.
"""

from __future__ import annotations

import itertools

from sympy import Add, Indexed, KroneckerDelta, Mul, Pow, S, Sum, Symbol, cancel, expand
from sympy.matrices.expressions.matexpr import MatrixElement

SIFTING = "sifting property of the Kronecker delta"
LINEARITY = "linearity of finite sums"
INTERCHANGE = "interchange of finite sums"
RENAMING = "renaming of summation indices"
NORMAL_FORM = "linearity; sifting property of the Kronecker delta; interchange of finite sums"

_BOUND_NAMES = ("k", "l", "u", "v")  # canonical names of bound indices at nesting depth 0, 1, 2, 3


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
        found = _sifting_delta(term, variable, low, high, ranges)
        if found is not None:
            delta, partner = found
            total += (term / delta).xreplace({variable: partner})
            continue
        constant = [f for f in Mul.make_args(term) if variable not in f.free_symbols]
        varying = [f for f in Mul.make_args(term) if variable in f.free_symbols]
        total += Mul(*constant) * Sum(Mul(*varying), (variable, low, high))
    return total


def _delta_partner(delta, variable):
    """p with delta = delta_{variable, p}: the solution of a - b = 0 for ``variable`` (coefficient +-1)."""
    difference = expand(delta.args[0] - delta.args[1])
    coefficient = difference.coeff(variable)
    if coefficient not in (1, -1) or variable in (difference - coefficient * variable).free_symbols:
        return None
    return expand(variable - difference / coefficient)


def _sifting_delta(term, variable, low, high, ranges):
    """(delta, p): a factor delta_{variable, p} of ``term`` with p known to lie in [low, high], if any."""
    for factor in Mul.make_args(term):
        if isinstance(factor, KroneckerDelta) and variable in factor.free_symbols:
            partner = _delta_partner(factor, variable)
            if partner is not None and ranges.get(partner) == (low, high):
                return factor, partner
    return None


def normal_form(expr, ranges, extra_rule=None, depth=0):
    """A canonical form of an index expression, so that equal expressions compare equal.

    The expression is flattened into a sum of terms c * sum_{limits} (product) by linearity and
    distributivity (a product of sums is a multiple sum); the sifting property removes every
    summation whose variable meets a Kronecker delta with an index of the same range (a free index
    of ``ranges`` or another summation variable); a summation over a variable absent from its
    body becomes a factor (its count); then summation variables are renamed in the order that
    makes the term smallest over all orders of the limits (interchange of finite sums). Sums inside
    function arguments (exp(sum ...), 1 / sum ...) get their own normal form, with bound indices
    named for their nesting ``depth`` (k at depth 0, l at depth 1, ...), so that the normal form
    does not depend on the names of bound indices (alpha-equivalence).
    ``extra_rule(limits, body) -> (limits, body)`` adds a named rule of a caller's own after sifting
    (the convolution's sifting with zero extension, ``symbolic.conv_general``).
    """
    expr = expand_indices(expr)
    fresh = _fresh_names("s", expr)
    total = 0
    for limits, body in _flat_terms(_rename_bound(expr, fresh), fresh):
        limits, body = _sift(list(limits), _normal_deltas(body), ranges)
        if extra_rule is not None:
            limits, body = extra_rule(limits, body)
        total += _canonical_term(limits, expand_indices(body), ranges, depth)
    return total


def equivalent(left, right) -> bool:
    """Exact comparison of two normal forms: expand(left - right) == 0, or, for quotients, the
    difference cancels to 0 as a rational function of its sums, entries and function values."""
    difference = expand(left - right)
    return difference == 0 or cancel(difference) == 0


def expand_indices(expr):
    """Expand the index expressions of every Indexed, so equal indices are written alike."""
    return expr.replace(lambda e: isinstance(e, Indexed), lambda e: e.base[tuple(expand(i) for i in e.indices)])


def indices_equal(left, right, ranges):
    """Exact comparison of two index expressions: their normal forms differ by 0."""
    return equivalent(normal_form(left, ranges), normal_form(right, ranges))


def _fresh_names(prefix: str, expr):
    """Symbols prefix_0, prefix_1, ... that do not occur in ``expr``, numbered afresh for each call,
    so that the names depend on the expression only, never on what ran before."""
    taken = {symbol.name for symbol in expr.atoms(Symbol)}
    for n in itertools.count():
        if f"{prefix}_{n}" not in taken:
            yield Symbol(f"{prefix}_{n}", integer=True)


def _rename_bound(expr, fresh):
    """Every summation index, at any depth, renamed to the next fresh name: no two sums share one."""
    if isinstance(expr, Sum):
        renaming = {v: next(fresh) for v, _, _ in expr.limits}
        limits = tuple((renaming[v], low, high) for v, low, high in expr.limits)
        return Sum(_rename_bound(expr.function.xreplace(renaming), fresh), *limits)
    if not expr.args or not expr.has(Sum):
        return expr
    return expr.func(*[_rename_bound(arg, fresh) for arg in expr.args])


def _normal_deltas(expr):
    """delta_{a b} with a - b = x - y for two indices x, y written delta_{x y} (a shift cancels)."""
    def simplest(delta):
        terms = Add.make_args(expand(delta.args[0] - delta.args[1]))
        plus = [t for t in terms if t.is_Symbol]
        minus = [-t for t in terms if (-t).is_Symbol]
        return KroneckerDelta(plus[0], minus[0]) if len(terms) == 2 and len(plus) == len(minus) == 1 else delta
    return expr.replace(lambda e: isinstance(e, KroneckerDelta), simplest)


def _flat_terms(expr, fresh):
    """expr as a list of (limits, product) with no Sum inside any product.

    Every summation variable is renamed to the next name of ``fresh``, so that sums multiplied
    together never share a variable.
    """
    if isinstance(expr, Sum):
        renaming = {v: next(fresh) for v, _, _ in expr.limits}
        limits = tuple((renaming[v], low, high) for v, low, high in expr.limits)
        return [(limits + inner, body) for inner, body in _flat_terms(expr.function.xreplace(renaming), fresh)]
    if isinstance(expr, Add):
        return [term for arg in expr.args for term in _flat_terms(arg, fresh)]
    if isinstance(expr, Mul):
        terms = [((), S.One)]
        for factor in expr.args:
            terms = [(la + lb, pa * pb) for la, pa in terms for lb, pb in _flat_terms(factor, fresh)]
        return terms
    if isinstance(expr, Pow) and expr.exp.is_Integer and expr.exp > 0 and expr.base.has(Sum):
        return _flat_terms(Mul(*([expr.base] * int(expr.exp)), evaluate=False), fresh)
    if expr.has(Sum):
        return [((), expr)]
    return [((), term) for term in Add.make_args(expand(expr))]


def _sift(limits, body, ranges):
    """Remove summations by sifting, or by counting when the variable is absent."""
    changed = True
    while changed:
        changed = False
        for position, (variable, low, high) in enumerate(limits):
            known = {**ranges, **{w: (lo, hi) for w, lo, hi in limits if w != variable}}
            found = _sifting_delta(body, variable, low, high, known)
            if found is not None:
                delta, partner = found
                body = (body / delta).xreplace({variable: partner})
            elif variable not in body.free_symbols:
                body = body * (high - low + 1)
            else:
                continue
            limits.pop(position)
            changed = True
            break
    return limits, body


def _bound_name(depth: int, n: int) -> Symbol:
    letter = _BOUND_NAMES[depth] if depth < len(_BOUND_NAMES) else f"k{depth}"
    return Symbol(f"{letter}_{{{n}}}", integer=True)


def _canonical_inside(expr, ranges, depth):
    """Every Sum inside ``expr`` (a function argument, a denominator) in its own normal form."""
    if isinstance(expr, Sum):
        return normal_form(expr, ranges, depth=depth)
    if not expr.args or not expr.has(Sum):
        return expr
    return expr.func(*[_canonical_inside(arg, ranges, depth) for arg in expr.args])


def _canonical_term(limits, body, ranges, depth=0):
    """c * Sum(rest, limits) with dummies named k_0, k_1, ... (at ``depth``) in the smallest order."""
    if not limits:
        return _canonical_inside(body, ranges, depth + 1)
    variables = {v for v, _, _ in limits}
    constant = Mul(*[f for f in Mul.make_args(body) if not (f.free_symbols & variables)])
    rest = Mul(*[f for f in Mul.make_args(body) if f.free_symbols & variables])
    best = None
    for order in itertools.permutations(limits):
        renaming = {v: _bound_name(depth, n) for n, (v, _, _) in enumerate(order)}
        candidate_limits = tuple((renaming[v], low, high) for v, low, high in order)
        inner_ranges = {**ranges, **{v: (low, high) for v, low, high in candidate_limits}}
        candidate = _canonical_inside(rest.xreplace(renaming), inner_ranges, depth + 1)
        key = (str(candidate_limits), str(candidate))
        if best is None or key < best[0]:
            best = (key, candidate_limits, candidate)
    return _canonical_inside(constant, ranges, depth + 1) * Sum(best[2], *best[1])


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
