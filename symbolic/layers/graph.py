"""A layer at concrete sizes as a straight-line program: the chain rule entry by entry through its intermediates.

``build_graph(layer)`` writes every intermediate and output entry at the check sizes as its OWN scalar
equation, in terms of the entries it uses directly (Q_ae = sum_f X_af (W_q)_fe; P_ab = exp(S_ab) /
sum_c exp(S_ac); ...), never fully expanded. The gradients follow by the chain rule entry by entry in
reverse order (seed 000; Matrix Cookbook section 2.8.1): with the adjoint zbar = dL/dz of an entry z,

    ybar = G (upstream),    zbar = sum over entries c that use z of cbar * d c / d z,
    dL/dtheta_p = sum over entries c that use theta_p of cbar * d c / d theta_p,

where d c / d z differentiates c's own equation (a few terms). The program is small where the written-out
entries are huge (attention at T = 3, d = 4: thousands of terms per entry), and it is evaluated three ways:

* **exactly at random integer points** (``schwartz_zippel``): every exp(u) is an independent variable E_u
  (exp(c u) = E_u^c for an integer c), so derived and claimed are rational functions of the entries and the
  E_u, and d E_u = E_u du keeps the chain rule exact. Sound: if derived - claimed vanishes as a rational
  function of independent E_u, it vanishes at E_u = exp(u). Equality at t random points is the
  probabilistic verdict of ``engine.sampling`` (Schwartz-Zippel, degree bounded along the program),
  labelled with its bound; a difference there is not yet a counterexample (E_u is not exp(u));
* **in real arithmetic at small rational points** (``real_counterexample``, 50 and 100 digits, exp real):
  a difference far above the working precision, the same at both precisions, is a counterexample anyone
  can redo (the point is exact);
* **as NumPy** (``lambdified``): the program itself, one assignment per entry and adjoint.

Programs with other functions (sqrt of an expression, log, tanh, a kink) raise ``NotSupported``; the
written-out route of ``symbolic.layers.gradients`` handles them exactly.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import mpmath
from sympy import Add, Indexed, IndexedBase, Mul, Pow, Rational, Symbol, exp, sympify

from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.sampling import MAX_DRAWS, SAMPLE_BOUND, SAMPLE_SIZE, trials_for
from gradproof.symbolic.engine.verdict import PROBABILISTIC, Evidence, Mismatch
from gradproof.symbolic.layers.description import Layer

__all__ = ["GraphVerdict", "LayerGraph", "build_graph", "check_program", "degree_bounds", "estimated_size", "expanded_size", "lambdified", "plain",
           "real_counterexample", "schwartz_zippel"]

REAL_DIGITS = 50
REAL_AGREE = 40  # a difference above 10^-40 x the larger value is a difference at 50 digits
SMALL_POINTS = 3


def plain(entry) -> Symbol:
    """X[2, 3] -> the plain symbol X_2_3 (a Python identifier: the program's and lambdify's names)."""
    if isinstance(entry, Indexed):
        return Symbol(f"{entry.base.label}_" + "_".join(str(i) for i in entry.indices))
    return Symbol(f"{entry}_")


def entry_indices(shape, sizes) -> list[tuple[int, ...]]:
    """Every 1-based index tuple of a tensor of ``shape`` at ``sizes`` (row-major)."""
    extents = [int(sympify(dim).subs(sizes)) for dim in shape]
    return list(itertools.product(*(range(1, n + 1) for n in extents)))


def _entries(variable, sizes):
    if isinstance(variable, IndexedBase):
        base = variable.subs(sizes)
        return [(index, base[index]) for index in entry_indices(variable.shape, sizes)]
    return [((), variable)]


def summed_out(expr):
    """``expr`` with every sum of numeric bounds written out term by term (index values substituted, innermost
    first); what ``Sum.doit`` does for these sums, without its general machinery."""
    from sympy import Sum

    if isinstance(expr, Sum):
        body = summed_out(expr.function)
        for variable, low, high in reversed(expr.limits):
            if not (low.is_Integer and high.is_Integer):
                return expr.doit()
            body = Add(*[body.xreplace({variable: value}) for value in range(int(low), int(high) + 1)])
        return body
    if not expr.args or not expr.has(Sum):
        return expr
    return expr.func(*[summed_out(arg) for arg in expr.args])


@dataclass(frozen=True)
class LayerGraph:
    """The program: ``entries``/``upstream``/``outputs`` map a name to [(index from 1, plain symbol)];
    ``program`` is ((symbol, own equation), ...) for every intermediate and output entry in dependency
    order; ``backward`` the adjoint assignments; ``derived[name]`` dL/d(entry) per entry of each input
    and parameter (in the program's symbols); ``needed`` the entries the outputs depend on; ``names`` maps
    a plain symbol back to its entry (for display)."""

    layer: Layer
    sizes: dict
    entries: dict
    upstream: dict
    outputs: dict
    program: tuple
    backward: tuple
    derived: dict
    needed: frozenset
    names: dict

    def claimed(self, name: str) -> list:
        """The claimed dL/d(entry) of ``name`` per entry, as an expression in the program's symbols."""
        if name not in self._claims:
            variable = dict(self.layer.variables())[name]
            key, body = self.layer.claim_of(variable)
            self._claims[name] = [self.local(body.xreplace(dict(zip(key, index)))) for index, _ in self.entries[name]]
        return self._claims[name]

    @cached_property
    def _claims(self) -> dict:
        return {}

    @cached_property
    def _table(self) -> dict:
        return {entry: symbol for symbol, entry in self.names.items()}

    def local(self, expr):
        """``expr`` (indices numbers) at these sizes with its sums done, entries as plain symbols."""
        written = summed_out(sympify(expr).xreplace(self.sizes))
        table = self._table
        unknown = {a for a in written.atoms(Indexed) if a not in table}
        if unknown:
            raise NotSupported(f"layer {self.layer.name}: entries outside the declared ranges: "
                               f"{sorted(map(str, unknown))}")
        return written.xreplace(table)


def build_graph(layer: Layer, sizes: dict | None = None, *, sweep: bool = True) -> LayerGraph:
    """The layer's program at ``sizes`` (default ``layer.at``) and, with ``sweep``, its reverse sweep (module
    docstring); without it only the forward equations (enough for ``expanded_size``)."""
    sizes = dict(sizes or layer.concrete_sizes())
    names = {}
    entries = {}
    for name, variable in layer.variables():
        listed = _entries(variable, sizes)
        entries[name] = [(index, plain(entry) if isinstance(entry, Indexed) else entry) for index, entry in listed]
        names.update({symbol: entry for (_, entry), (_, symbol) in zip(listed, entries[name])})
    upstream, outputs, definitions = {}, {}, []
    for definition in layer.output_definitions():
        G = layer.upstream_of(definition.base).subs(sizes)
        listed = [(index, G[index]) for index in entry_indices(definition.base.shape, sizes)]
        upstream[str(definition.base)] = [(index, plain(entry)) for index, entry in listed]
        names.update({plain(entry): entry for _, entry in listed})
    for definition in layer.intermediate_definitions() + layer.output_definitions():
        base = definition.base.subs(sizes)
        rows = []
        for index in entry_indices(definition.base.shape, sizes):
            symbol = plain(base[index])
            names[symbol] = base[index]
            rows.append((index, symbol))
            definitions.append((symbol, definition.at(index)))
        if definition in layer.output_definitions():
            outputs[str(definition.base)] = rows
    graph = LayerGraph(layer, sizes, entries, upstream, outputs, (), (), {}, frozenset(), names)
    own = {symbol: graph.local(body) for symbol, body in definitions}
    program = _dependency_order(own)
    roots = [symbol for rows in outputs.values() for _, symbol in rows]
    needed = _ancestors(roots, own)
    backward, derived = _reverse_sweep(program, needed, entries, upstream, outputs) if sweep else ((), {})
    return LayerGraph(layer, sizes, entries, upstream, outputs, tuple(program), tuple(backward), derived,
                      frozenset(needed), names)


def _dependency_order(own: dict) -> list:
    order, state = [], {}

    def visit(symbol):
        if state.get(symbol) == "done":
            return
        if state.get(symbol) == "open":
            raise NotSupported(f"the equations refer to each other in a cycle (at {symbol})")
        state[symbol] = "open"
        for used in sorted(own[symbol].free_symbols & own.keys(), key=str):
            visit(used)
        state[symbol] = "done"
        order.append((symbol, own[symbol]))

    for symbol in own:
        visit(symbol)
    return order


def _ancestors(roots, own) -> set:
    found, stack = set(), list(roots)
    while stack:
        symbol = stack.pop()
        if symbol in found:
            continue
        found.add(symbol)
        stack.extend(own[symbol].free_symbols & own.keys())
    return found


def _reverse_sweep(program, needed, entries, upstream, outputs):
    """Adjoint assignments (bar symbol, sum of contributions) and dL/d(entry) of every variable entry."""
    variables = {symbol for rows in entries.values() for _, symbol in rows}
    contributions = defaultdict(list)
    for name, rows in outputs.items():
        for (_, y), (_, g) in zip(rows, upstream[name]):
            contributions[y].append(g)
    backward = []
    for symbol, body in reversed(program):
        terms = contributions.pop(symbol, [])
        if symbol not in needed or not terms:
            continue
        total = Add(*terms)
        bar = total if isinstance(total, Symbol) else Symbol(f"bar__{symbol}")
        if bar is not total:
            backward.append((bar, total))
        for used in sorted(body.free_symbols & (needed | variables), key=str):
            local = body.diff(used)
            if local != 0:
                contributions[used].append(bar * local)
    derived = {name: [Add(*contributions.get(symbol, [])) for _, symbol in rows] for name, rows in entries.items()}
    return backward, derived


# --- size of the written-out entries (which route is cheaper) ------------------------------------------

def expanded_size(graph: LayerGraph) -> int:
    """Operations in the outputs' entries written out in full (each entry's equation with every entry it
    uses replaced by its own written-out size): what the written-out route differentiates and cancels."""
    size: dict = {}

    def weight(expr):
        if expr in size:
            return size[expr]
        if not expr.args:
            return 1
        return 1 + sum(weight(arg) for arg in expr.args)

    for symbol, body in graph.program:
        size[symbol] = weight(body)
    return sum(size[symbol] for rows in graph.outputs.values() for _, symbol in rows)


def estimated_size(layer: Layer, sizes: dict | None = None) -> int:
    """``expanded_size`` estimated from the equations without writing any entry out: a sum of n terms weighs
    n times its body, an entry of an intermediate weighs its equation (raises ``NotSupported`` when a sum's
    length depends on another index)."""
    from sympy import Sum

    sizes = dict(sizes or layer.concrete_sizes())
    weights: dict = {}

    def weight(expr):
        if isinstance(expr, Indexed):
            return weights.get(expr.base, 1)
        if isinstance(expr, Sum):
            terms = 1
            for _, low, high in expr.limits:
                count = sympify(high - low + 1).subs(sizes)
                if not count.is_Integer:
                    raise NotSupported(f"a sum of {high - low + 1} terms at sizes {sizes}")
                terms *= max(int(count), 0)
            return terms * weight(expr.function) + max(terms - 1, 0)
        if not expr.args:
            return 1
        return 1 + sum(weight(arg) for arg in expr.args)

    for definition in layer.intermediate_definitions() + layer.output_definitions():
        weights[definition.base] = weight(definition.body)
    return sum(weights[d.base] * len(entry_indices(d.base.shape, sizes)) for d in layer.output_definitions())


# --- exact evaluation with exp(u) as independent variables -----------------------------------------------

def _exp_factors(argument):
    """exp(argument) = prod E_u^c: (u, c) per term c u of the argument with an integer coefficient c."""
    factors = []
    for term in Add.make_args(argument):
        coefficient, rest = term.as_coeff_Mul()
        if coefficient.is_Integer and rest != 1:
            factors.append((rest, int(coefficient)))
        else:
            factors.append((term, 1))
    return factors


class _Exact:
    """Evaluate program expressions at one point: Fractions, exp(u) -> prod E_u^c (E_u a drawn value)."""

    def __init__(self, env: dict, draw):
        self.env, self.draw, self.functions = env, draw, {}

    def __call__(self, expr):
        if expr in self.env:
            return self.env[expr]
        if expr.is_Rational:
            return Fraction(int(expr.p), int(expr.q))
        if isinstance(expr, Add):
            return sum((self(arg) for arg in expr.args), Fraction(0))
        if isinstance(expr, Mul):
            value = Fraction(1)
            for arg in expr.args:
                value *= self(arg)
            return value
        if isinstance(expr, Pow) and expr.exp.is_Integer:
            base = self(expr.base)
            if base == 0 and expr.exp < 0:
                raise ZeroDivisionError(str(expr))
            return base ** int(expr.exp)
        if isinstance(expr, exp):
            value = Fraction(1)
            for u, c in _exp_factors(expr.args[0]):
                if u not in self.functions:
                    self.functions[u] = self.draw()
                if self.functions[u] == 0 and c < 0:
                    raise ZeroDivisionError(str(expr))
                value *= self.functions[u] ** c
            return value
        raise NotSupported(f"exact evaluation with independent exp values: {type(expr).__name__} in {expr}")


def _degree(expr, bounds: dict, divisors: list):
    """(deg numerator, deg denominator) bounds of ``expr`` as a rational function of the point's
    coordinates and the E_u; every division adds its divisor's numerator degree to ``divisors``."""
    if expr in bounds:
        return bounds[expr]
    if not expr.free_symbols and not expr.has(exp):
        if not expr.is_Rational:
            raise NotSupported(f"exact evaluation: the constant {expr} is not rational")
        return 0, 0
    if isinstance(expr, Add):
        num, den = 0, 0
        for arg in expr.args:
            n, m = _degree(arg, bounds, divisors)
            num, den = max(num + m, n + den), den + m
        return num, den
    if isinstance(expr, Mul):
        pairs = [_degree(arg, bounds, divisors) for arg in expr.args]
        return sum(n for n, _ in pairs), sum(m for _, m in pairs)
    if isinstance(expr, Pow) and expr.exp.is_Integer:
        n, m = _degree(expr.base, bounds, divisors)
        k = int(expr.exp)
        if k < 0:
            divisors.append(n)
            return -k * m, -k * n
        return k * n, k * m
    if isinstance(expr, exp):
        num, den = 0, 0
        for _, c in _exp_factors(expr.args[0]):
            if c < 0:
                divisors.append(1)  # E_u = 0 is a point to draw again
            num, den = num + max(c, 0), den + max(-c, 0)
        return num, den
    raise NotSupported(f"exact evaluation with independent exp values: {type(expr).__name__} in {expr}")


def _variables_of(graph: LayerGraph):
    inputs = [symbol for rows in graph.entries.values() for _, symbol in rows]
    return inputs + [symbol for rows in graph.upstream.values() for _, symbol in rows]


def _point(graph: LayerGraph, pick) -> dict:
    return {symbol: pick() for symbol in _variables_of(graph)}


def _run(graph: LayerGraph, evaluate, claimed: dict) -> dict:
    """{name: [(derived, claimed) per entry]} with ``evaluate`` bound to one point."""
    for symbol, body in graph.program:
        evaluate.env[symbol] = evaluate(body)
    for symbol, body in graph.backward:
        evaluate.env[symbol] = evaluate(body)
    return {name: [(evaluate(d), evaluate(c)) for d, c in zip(graph.derived[name], claimed[name])]
            for name in claimed}


@dataclass(frozen=True)
class GraphVerdict:
    """One claim's concrete verdict from the program: holds True/False/None, the detail, a mismatch."""

    holds: bool | None
    detail: str
    mismatch: Mismatch | None
    evidence: Evidence | None = None


def check_program(graph: LayerGraph) -> None:
    """Raise ``NotSupported`` unless every equation, adjoint, derived gradient and claim is rational in the
    entries and exp values (what ``schwartz_zippel`` evaluates exactly)."""
    _usable_degrees(graph, {name: graph.claimed(name) for name, variable in graph.layer.variables()
                            if graph.layer.claim_of(variable) is not None})


def _usable_degrees(graph: LayerGraph, claimed: dict) -> tuple[dict, int]:
    degree, divisor_degree = degree_bounds(graph, claimed)
    if max(degree.values(), default=1) + divisor_degree >= SAMPLE_SIZE // 2:
        raise NotSupported(f"degree bound {max(degree.values())} too large for points from |S| = {SAMPLE_SIZE}")
    return degree, divisor_degree


def degree_bounds(graph: LayerGraph, claimed: dict) -> tuple[dict, int]:
    """({name: d}, e): d bounds the degree of the numerator of derived - claimed (every entry of ``name``) as a
    rational function of the point's coordinates and the E_u; e is the total degree of every divisor met."""
    bounds, divisors = {symbol: (1, 0) for symbol in _variables_of(graph)}, []
    for symbol, body in graph.program + graph.backward:
        bounds[symbol] = _degree(body, bounds, divisors)
    degree = {}
    for name, values in claimed.items():
        top = 0
        for d, c in zip(graph.derived[name], values):
            (n, m), (n2, m2) = _degree(d, bounds, divisors), _degree(c, bounds, divisors)
            top = max(top, n + m2, n2 + m)
        degree[name] = max(top, 1)
    return degree, sum(divisors)


def schwartz_zippel(graph: LayerGraph, names: list[str], *, seed: int = 0) -> dict:
    """{name: GraphVerdict} for the claims of ``names``: probabilistic holds, or a real counterexample."""
    if not names:
        return {}
    claimed = {name: graph.claimed(name) for name in names}
    degree, divisor_degree = _usable_degrees(graph, claimed)
    rng = random.Random(seed + 1)
    trials, _ = trials_for(max(degree.values()), divisor_degree)
    accepted = draws = 0
    refuted: dict = {}
    while accepted < trials:
        draws += 1
        if draws > MAX_DRAWS * trials:
            raise NotSupported(f"a divisor vanished at each of {draws - 1} random points")
        def pick():
            return Fraction(rng.randint(-SAMPLE_BOUND, SAMPLE_BOUND))
        evaluate = _Exact(_point(graph, pick), pick)
        try:
            values = _run(graph, evaluate, claimed)
        except ZeroDivisionError:
            continue
        accepted += 1
        for name, pairs in values.items():
            if name not in refuted:
                index = next((k for k, (d, c) in enumerate(pairs) if d != c), None)
                if index is not None:
                    refuted[name] = index
    graph_has_exp = any(sympify(body).has(exp) for _, body in graph.program + graph.backward) or any(
        sympify(value).has(exp) for values in claimed.values() for value in values)
    verdicts = {}
    for name in names:
        if name in refuted:
            verdicts[name] = _refute(graph, name, claimed[name], refuted[name], seed)
            continue
        trials_n, bound = trials_for(degree[name], divisor_degree)
        method = ("derived - claimed at random integer points, the chain rule through the intermediates"
                  + (", each exp(u) an independent variable" if graph_has_exp else ""))
        evidence = Evidence(PROBABILISTIC, method, degree[name], SAMPLE_SIZE,
                            divisor_degree, accepted, (Fraction(degree[name], SAMPLE_SIZE - divisor_degree))
                            ** accepted)
        verdicts[name] = GraphVerdict(True, evidence.describe(), None, evidence)
    return verdicts


def _refute(graph, name, claimed, index, seed) -> GraphVerdict:
    found = real_counterexample(graph, name, claimed, seed=seed)
    if found is not None:
        return GraphVerdict(False, f"d L/d {name}: {found.describe()}", found)
    where = graph.entries[name][index][0]
    return GraphVerdict(None, f"not decided: entry {where} of derived - claimed is not 0 as a rational function of "
                              "the entries with each exp(u) an independent variable, yet the two agree to "
                              f"{REAL_AGREE} digits at {SMALL_POINTS} small rational points", None)


class _Real:
    """Evaluate program expressions at one rational point in a context of mpmath: ``mpmath.mp`` (real numbers
    to the working precision) or ``mpmath.iv`` (intervals certain to hold the exact value, exp included)."""

    def __init__(self, env: dict, ctx=mpmath.mp):
        self.env, self.ctx = env, ctx

    def __call__(self, expr):
        if expr in self.env:
            return self.env[expr]
        if expr.is_Rational:
            return self.ctx.mpf(int(expr.p)) / int(expr.q)
        if isinstance(expr, Add):
            return self.ctx.fsum(self(arg) for arg in expr.args)
        if isinstance(expr, Mul):
            return self.ctx.fprod(self(arg) for arg in expr.args)
        if isinstance(expr, Pow) and expr.exp.is_Integer:
            return self(expr.base) ** int(expr.exp)
        if isinstance(expr, exp):
            return self.ctx.exp(self(expr.args[0]))
        raise NotSupported(f"real evaluation: {type(expr).__name__} in {expr}")


def _real_values(graph, name, claimed, exact: dict, digits: int):
    with mpmath.workdps(digits):
        evaluate = _Real({s: mpmath.mpf(v.numerator) / v.denominator for s, v in exact.items()})
        return _run(graph, evaluate, {name: claimed})[name]


def _certainly_differ(graph, name, claimed, exact: dict, k: int, digits: int) -> bool:
    """Interval arithmetic (``mpmath.iv``) at ``digits``: the intervals enclosing the exact derived and claimed
    values of entry ``k`` are disjoint, so the two exact values differ (no rounding can explain it)."""
    iv = mpmath.iv
    saved = iv.dps
    iv.dps = digits
    try:
        evaluate = _Real({s: iv.mpf(v.numerator) / v.denominator for s, v in exact.items()}, iv)
        left, right = _run(graph, evaluate, {name: claimed})[name][k]
        difference = left - right
        return not (difference.a <= 0 <= difference.b)
    except ZeroDivisionError:
        return False
    finally:
        iv.dps = saved


def real_counterexample(graph: LayerGraph, name: str, claimed: list, *, seed: int = 0) -> Mismatch | None:
    """The entry where derived and claimed differ most (relative to the larger value, or to 1) at the first of a
    few small rational points (p/q, |p| <= 3, 1 <= q <= 4: exp stays moderate) where they differ: evaluated with
    50 digits; a difference above 10^-40 is then confirmed by interval arithmetic at 100 digits (the intervals
    enclosing the exact derived and claimed values are disjoint): a certain counterexample, its values shown
    with enough digits to see the difference."""
    rng = random.Random(seed)
    for _ in range(SMALL_POINTS):
        exact = _point(graph, lambda: Fraction(rng.randint(-3, 3), rng.randint(1, 4)))
        try:
            values = _real_values(graph, name, claimed, exact, REAL_DIGITS)
        except ZeroDivisionError:
            continue
        with mpmath.workdps(REAL_DIGITS):
            gaps = [abs(left - right) / max(1, abs(left), abs(right)) for left, right in values]
            k = max(range(len(gaps)), key=lambda n: gaps[n])
            if gaps[k] <= mpmath.mpf(10) ** -REAL_AGREE:
                continue
        if not _certainly_differ(graph, name, claimed, exact, k, 2 * REAL_DIGITS):
            continue  # the 50-digit difference may be rounding: the enclosing intervals overlap
        finer = _real_values(graph, name, claimed, exact, 2 * REAL_DIGITS)[k]
        point = {str(graph.names[s]).replace(" ", ""): Rational(v.numerator, v.denominator) for s, v in exact.items()}
        shown_digits = min(REAL_AGREE, max(15, 3 - int(mpmath.floor(mpmath.log10(gaps[k])))))
        shown = tuple(mpmath.nstr(value, shown_digits) for value in finer)
        return Mismatch(graph.entries[name][k][0], "by the chain rule", "by the closed form", point=point,
                        values=shown)
    return None


def lambdified(graph: LayerGraph, modules="numpy"):
    """(forward, backward) NumPy functions of the program: forward(*variable entries) -> output entries,
    backward(*variable entries, *upstream entries) -> dL/d(entry) of every variable, in ``entries`` order."""
    from sympy import lambdify

    inputs = [symbol for rows in graph.entries.values() for _, symbol in rows]
    upstream = [symbol for rows in graph.upstream.values() for _, symbol in rows]
    forward_program = [(s, body) for s, body in graph.program if s in graph.needed]
    outputs = [symbol for rows in graph.outputs.values() for _, symbol in rows]
    derived = [value for name in graph.entries for value in graph.derived[name]]

    def program(assignments):
        return lambda exprs: (list(assignments), list(exprs))

    forward = lambdify(inputs, outputs, modules=modules, cse=program(forward_program))
    backward = lambdify(inputs + upstream, derived, modules=modules,
                        cse=program(forward_program + list(graph.backward)))
    return forward, backward

