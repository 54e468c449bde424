"""Random rational points: a fast exact refuter, and the Schwartz-Zippel identity test.

Both sides of a claim are evaluated exactly (``engine.exact``) at a point whose coordinates are
the entries of every operand and every scalar parameter. A difference there is a certain
counterexample: the point, the entry (from 1) and both exact values are reported, and anyone can
redo the arithmetic. Equality at random points is evidence, not proof, and is labelled so:

**Schwartz-Zippel.** If derived - claimed = N/Q is not the zero rational function, N is a nonzero
polynomial of total degree <= d, and at a point drawn uniformly from S^k it vanishes with
probability <= d/|S|. Points where a divisor vanishes (a singular matrix; the divisors' degrees
sum to e) are drawn again, which conditions on a set of probability >= 1 - e/|S|: per accepted
point the bound is d/(|S| - e), and after t independent points (d/(|S| - e))^t. Here S is the set
of integers in [-2^62, 2^62]; d comes from ``engine.bounds``; t is chosen so that the bound is
below 10^-12.

The readable refuter runs first: a few points with small rational coordinates (p/q, |p| <= 9,
1 <= q <= 4), so that a counterexample is short.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from sympy import MatrixSymbol, Rational

from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.exact import Dual, Singular, evaluate_at, matrix_at
from gradproof.symbolic.engine.verdict import PROBABILISTIC, Evidence, Mismatch

SAMPLE_BOUND = 2 ** 62
SAMPLE_SIZE = 2 * SAMPLE_BOUND + 1
TARGET = Fraction(1, 10 ** 12)
SMALL_POINTS = 3
MAX_DRAWS = 40


def _small(rng):
    return Fraction(rng.randint(-9, 9), rng.randint(1, 4))


def _large(rng):
    return Fraction(rng.randint(-SAMPLE_BOUND, SAMPLE_BOUND))


def draw(symbols, rng, small: bool) -> dict:
    """One random point: each MatrixSymbol -> rows of rationals, each scalar Symbol -> a rational."""
    pick = _small if small else _large
    point = {}
    for symbol in symbols:
        if isinstance(symbol, MatrixSymbol):
            point[symbol] = [[pick(rng) for _ in range(int(symbol.cols))] for _ in range(int(symbol.rows))]
        else:
            point[symbol] = pick(rng)
    return point


def named(point: dict) -> dict:
    """The point as {"X[1,2]": value} (entries from 1) with SymPy Rationals."""
    result = {}
    for symbol, value in point.items():
        if isinstance(symbol, MatrixSymbol):
            for i, row in enumerate(value):
                for j, entry in enumerate(row):
                    result[f"{symbol.name}[{i + 1},{j + 1}]"] = _sympy(entry)
        else:
            result[symbol.name] = _sympy(value)
    return result


def _sympy(value: Fraction) -> Rational:
    return Rational(value.numerator, value.denominator)


def duals(point: dict, wrt=None) -> dict:
    """Duals for ``engine.exact``: the entries of ``wrt`` are the variables of the gradient."""
    return {symbol: matrix_at(value, wrt=symbol == wrt) if isinstance(symbol, MatrixSymbol) else Dual(value)
            for symbol, value in point.items()}


def first_difference(left: list[list], right: list[list], point: dict) -> Mismatch | None:
    """The first entry (row-major, from 1) where two rational matrices differ, with the point."""
    for i, (row_l, row_r) in enumerate(zip(left, right)):
        for j, (a, b) in enumerate(zip(row_l, row_r)):
            if a != b:
                return Mismatch((i + 1, j + 1), _sympy(a), _sympy(b), point=named(point))
    return None


def gradient_values(objective, claimed, wrt: MatrixSymbol, point: dict) -> tuple[list, list]:
    """(d objective / d wrt in denominator layout, claimed), both exact at the point."""
    rows, cols = int(wrt.rows), int(wrt.cols)
    values = duals(point, wrt)
    grad = evaluate_at(objective, values)[0][0].grad or [Fraction(0)] * (rows * cols)
    return [grad[r * cols:(r + 1) * cols] for r in range(rows)], _rationals(evaluate_at(claimed, values))


def gradient_comparison(objective, claimed, wrt: MatrixSymbol) -> Callable[[dict], Mismatch | None]:
    """point -> the first entry where d objective / d wrt (denominator layout) and claimed differ."""
    def compare(point):
        return first_difference(*gradient_values(objective, claimed, wrt, point), point)

    return compare


def display_point(symbols, seed: int = 0) -> dict | None:
    """The first small rational point of ``refute``'s sequence (to show values at), or None."""
    return draw(symbols, random.Random(seed), small=True)


def identity_comparison(lhs, rhs) -> Callable[[dict], Mismatch | None]:
    """point -> the first entry where the two sides differ."""
    def compare(point):
        values = duals(point)
        return first_difference(_rationals(evaluate_at(lhs, values)), _rationals(evaluate_at(rhs, values)), point)

    return compare


def _rationals(matrix):
    return [[entry.rational() for entry in row] for row in matrix]


def refute(compare, symbols, seed: int = 0) -> Mismatch | None:
    """A certain counterexample at one of a few small rational points, or None."""
    rng = random.Random(seed)
    for _ in range(SMALL_POINTS):
        try:
            mismatch = compare(draw(symbols, rng, small=True))
        except Singular:
            continue
        if mismatch is not None:
            return mismatch
    return None


def trials_for(degree: int, divisors: int) -> tuple[int, Fraction]:
    """(t, bound): the fewest points t >= 2 with (d/(|S| - e))^t <= 10^-12, and that bound."""
    per_trial = Fraction(degree, SAMPLE_SIZE - divisors)
    trials = 2
    while per_trial ** trials > TARGET:
        trials += 1
    return trials, per_trial ** trials


def schwartz_zippel(compare, symbols, degree: int, divisors: int, method: str, seed: int = 0):
    """(counterexample, None) or (None, Evidence): the probabilistic identity test above."""
    rng = random.Random(seed + 1)
    trials, bound = trials_for(degree, divisors)
    accepted = draws = 0
    while accepted < trials:
        draws += 1
        if draws > MAX_DRAWS * trials:
            raise NotSupported(f"a divisor vanished at each of {draws - 1} random points")
        try:
            mismatch = compare(draw(symbols, rng, small=False))
        except Singular:
            continue
        if mismatch is not None:
            return mismatch, None
        accepted += 1
    return None, Evidence(PROBABILISTIC, method, degree, SAMPLE_SIZE, divisors, trials, bound)
