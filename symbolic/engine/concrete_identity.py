"""The verdict on an identity lhs = rhs at concrete sizes, and which kind of "holds" it is.

Rational sides (products, transposes, Kronecker products, vec, traces, determinants, inverses,
adjugates) are decided in one of two ways, chosen from the bounds of ``engine.bounds``:

* polynomial entries of few terms (at most ``MAX_TERMS`` monomials each) are written out with
  symengine and lhs - rhs is expanded to 0: an exact verdict (``SYMBOLIC``); a nonzero difference
  is shown at a rational point;
* otherwise (inverses, large determinants) both sides are evaluated exactly at small rational
  points (a difference is a certain counterexample) and then at random integer points: a
  probabilistic "holds" with its Schwartz-Zippel bound (``RANDOM_INTEGERS``, ``engine.sampling``).

Sizes whose exact evaluation needs more than ``MAX_OPERATIONS`` scalar operations are refused at
once. Sides outside the rationals (log, exp) return None here: the caller decides another way.
"""

from __future__ import annotations

from sympy import Inverse, preorder_traversal

from gradproof.symbolic.engine.bounds import analysis_of
from gradproof.symbolic.engine.equations import sizes_text
from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.engine.explicit import entry_symbols, evaluate
from gradproof.symbolic.engine.sampling import identity_comparison, refute, schwartz_zippel
from gradproof.symbolic.engine.verdict import EXACT, Evidence, Mismatch, first_mismatch

SYMBOLIC = "symbolic entries"
RANDOM_INTEGERS = "exact integer arithmetic at random points"
MAX_OPERATIONS = 2_000_000
MAX_TERMS = 50_000
SMALL_RATIONAL_TERMS = 8  # rational functions this small (inverses of at most 2 x 2) go to the caller's cancel


def decide_identity(key: str, sizes: dict, symbols: list, lhs, rhs, *, symbolic: bool = True, seed: int = 0):
    """(method, mismatch or None, Evidence), or None outside the rationals (or for tiny rational
    functions, which ``cancel`` decides exactly in a few milliseconds).

    ``symbolic`` False forbids symbolic entries (``IdentityClaim.symbolic_up_to``).
    """
    try:
        (left, right), analysis = analysis_of([lhs, rhs], dict.fromkeys(symbols, False))
    except NotSupported:
        return None
    _refuse(key, sizes, analysis.ops)
    compare, terms = identity_comparison(lhs, rhs), max(left.terms, right.terms)
    polynomial = left.polynomial and right.polynomial
    if symbolic and polynomial and terms <= MAX_TERMS:
        return SYMBOLIC, _symbolic(symbols, lhs, rhs, compare, seed), Evidence(EXACT, SYMBOLIC)
    if symbolic and not polynomial and terms <= SMALL_RATIONAL_TERMS and _inverses_at_most_2x2(lhs, rhs):
        return None
    mismatch = refute(compare, symbols, seed)
    if mismatch is not None:
        return RANDOM_INTEGERS, mismatch, Evidence(EXACT, "exact rational arithmetic at a rational point")
    degree = max(left.value[0] + right.value[1], right.value[0] + left.value[1])
    mismatch, evidence = schwartz_zippel(compare, symbols, degree, analysis.divisors, RANDOM_INTEGERS, seed)
    return RANDOM_INTEGERS, mismatch, evidence or Evidence(EXACT, "exact integer arithmetic at a random point")


def _inverses_at_most_2x2(*sides) -> bool:
    return all(int(node.shape[0]) <= 2 for side in sides for node in preorder_traversal(side)
               if isinstance(node, Inverse))


def _refuse(key, sizes, ops):
    if ops > MAX_OPERATIONS:
        raise InvalidInput(f"claim {key} at sizes {sizes_text(sizes)}: an exact check needs about {ops:.1e} exact "
                           f"operations, above the limit of {MAX_OPERATIONS:.0e} (about 2 s); choose smaller sizes")


def require_feasible(key: str, sizes: dict, symbols: list, lhs, rhs) -> None:
    """InvalidInput at once if checking lhs = rhs at ``sizes`` would take more than about 2 s."""
    try:
        _, analysis = analysis_of([lhs, rhs], dict.fromkeys(symbols, False))
    except NotSupported:
        return
    _refuse(key, sizes, analysis.ops)


def _symbolic(symbols, lhs, rhs, compare, seed):
    """First entry where lhs - rhs does not expand to 0; shown at a rational point where possible."""
    values = {symbol: entry_symbols(symbol) for symbol in symbols}
    mismatch = first_mismatch(evaluate(lhs, values), evaluate(rhs, values))
    if mismatch is None or mismatch.index is None:
        return mismatch
    at = refute(compare, symbols, seed) or schwartz_zippel(compare, symbols, 1, 0, SYMBOLIC, seed)[0]
    if at is None or at.index != mismatch.index:
        return mismatch
    return Mismatch(mismatch.index, mismatch.left, mismatch.right, point=at.point, values=(at.left, at.right))
