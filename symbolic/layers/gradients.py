"""Every gradient of a ``Layer`` derived by the chain rule, and the user's claims verified (three verdicts).

For an input or parameter theta of a layer with outputs y^(1), ..., and upstream gradients
G^(o) = dL/dy^(o), the chain rule gives, entry by entry (seed 000; Matrix Cookbook section 2.8.1),

    dL/dtheta_p = sum_o sum_q G^(o)_q  d y^(o)_q / d theta_p.

Two derivations start from the same equations:

* **general sizes** (``general_gradient``): the generic entry theta_p (free indices p_1, p_2, ...),
  differentiated with SymPy (d x_k / d x_p = delta_kp), then put in the engine's normal form
  (``engine.indexed``: linearity, sifting, interchange and renaming of sums). A claim holds for every
  size when its normal form is the same (``engine.general.decide``); differing normal forms are "not
  decided", never a refutation;
  A layer whose equations apply exp (etc.) to an intermediate (attention: P = softmax(S)) is first proved
  with its polynomial intermediates' entries (Q, K, V, S) kept as symbols (``general_gradient_through``:
  the chain rule through them), a far smaller normal form (attention: under 1 s instead of about 80 s);
* **concrete sizes** (``concrete_derivation`` chooses): for a small layer (``WRITTEN_OUT_LIMIT``),
  ``concrete_gradients``: every entry written out at the sizes ``layer.at``, each output entry
  differentiated by the variables it contains. A claim is compared entry by entry by the engine's one
  comparator (``engine.verdict.first_mismatch``) with exact vanishing tests (expand, cancel); an entry
  whose difference is not shown to vanish is evaluated at a random rational point to 30 digits, and then at
  rational points exactly on its kinks (``boundary_points``: x[1] = 0 of a relu, x[1] = x[2] of a max), which
  a random point never hits: a difference is a counterexample (does not hold) where the description states
  the convention there (a ``Piecewise``: relu'(0) = 0), or where it holds for every value Heaviside(0) or
  sign(0) could take; a difference resting on SymPy's Heaviside(0) = 1/2 alone, or none, is "not decided".
  For a larger layer whose
  equations are rational in the entries and exp values, ``symbolic.layers.graph``: each entry its own
  equation, the chain rule through the intermediates, derived - claimed at random integer points with
  exp(u) as independent variables: "holds" is probabilistic with its Schwartz-Zippel bound, "does not
  hold" comes with a rational point where the two differ in 50-digit arithmetic.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from sympy import (
    Derivative,
    Dummy,
    Heaviside,
    Indexed,
    IndexedBase,
    Matrix,
    Piecewise,
    Rational,
    S,
    Sum,
    Symbol,
    cancel,
    exp,
    expand,
    piecewise_fold,
    sympify,
    together,
    true,
)

from gradproof.symbolic.engine.errors import NotSupported, OutsideIndexAlgebra
from gradproof.symbolic.engine.general import (
    CHAIN_RULE,
    DIFFERENTIATE,
    GeneralProof,
    decide,
    refute,
)
from gradproof.symbolic.engine.indexed import NORMAL_FORM
from gradproof.symbolic.engine.verdict import Mismatch, first_mismatch
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.graph import (
    LayerGraph,
    build_graph,
    check_program,
    estimated_size,
    schwartz_zippel,
    summed_out,
)
from gradproof.symbolic.layers.indicators import (
    ONE_TERM_AND_INDICATOR,
    as_products,
    finish_by_flat_index_sift,
    tidy,
)

__all__ = ["ClaimVerdict", "ConcreteGradients", "compare_concrete", "concrete_derivation", "concrete_gradients",
           "entry_indices", "general_gradient", "general_gradient_through", "general_verdict",
           "polynomial_intermediates", "tidy", "verify_claims", "written_out", "ONE_TERM_AND_INDICATOR"]

EXACT_ZERO = "exact: every entry of derived - claimed cancels to 0"
POINT_DIGITS = 30


@dataclass(frozen=True)
class ConcreteGradients:
    """The layer written out at ``sizes``: variables, output entries, upstream entries, derived gradients.

    ``entries[name]`` lists the (1-based index tuple, SymPy variable) of each entry of a variable;
    ``derived[name]`` the matching derived dL/d(entry); ``outputs[name]`` the (index, expression) of
    each output entry, ``upstream[name]`` its G entries.
    """

    layer: Layer
    sizes: dict
    entries: dict
    derived: dict
    outputs: dict
    upstream: dict


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim's three verdicts: at ``sizes`` (``concrete``: True/False/None with ``detail``) and for
    general sizes (``general``: a ``GeneralProof``, False only with the concrete counterexample).

    ``holds`` is the claim's verdict as a Python caller should read it: True only for a proof for every
    size (the claim holds at ``sizes`` and ``general.holds`` is True), False when it is refuted (a
    counterexample at ``sizes`` or a refuted general proof), None otherwise: a claim right at the sizes
    checked while the general verdict is not decided is **not decided** (a missing transpose is invisible
    at N = 1). ``holds_at_sizes`` (= ``concrete``) is "holds at the sizes checked" alone; a
    ``second_sizes.SettledVerdict`` (what every CLI path uses) also answers True after exact checks at a
    second size assignment, and says so."""

    name: str
    sizes: dict
    concrete: bool | None
    detail: str
    mismatch: Mismatch | None
    general: GeneralProof
    route: str = "written out"
    """How ``concrete`` was decided: "written out" (every entry, exact) or "program" (``symbolic.layers.graph``:
    random integer points, a probabilistic holds; a refutation there is a rational point where interval
    arithmetic separates the two values). Labels say "exact at these sizes" only for the written-out route."""

    @property
    def holds(self) -> bool | None:
        """True only for a proof for every size; False refuted; None not decided (see the class docstring)."""
        if self.concrete is False or self.general.holds is False:
            return False
        return True if self.concrete is True and self.general.holds is True else None

    @property
    def holds_at_sizes(self) -> bool | None:
        """The verdict at ``sizes`` only (exact, or probabilistic on the program route: ``detail`` says which);
        True here is no statement about any other size."""
        return self.concrete


def entry_indices(shape: tuple, sizes: dict) -> list[tuple[int, ...]]:
    """Every 1-based index tuple of a tensor of ``shape`` at ``sizes`` (row-major)."""
    extents = [int(sympify(dim).subs(sizes)) for dim in shape]
    return list(itertools.product(*(range(1, n + 1) for n in extents)))


def _entries(variable, sizes) -> list[tuple[tuple, object]]:
    if isinstance(variable, IndexedBase):
        base = variable.subs(sizes)  # the shape at these sizes, as in the written-out equations
        return [(index, base[index]) for index in entry_indices(variable.shape, sizes)]
    return [((), variable)]


def written_out(layer: Layer, expr, sizes: dict):
    """``expr`` (indices already numbers) with definitions expanded, sizes substituted and sums done.

    Sums are written out term by term (``graph.summed_out``), not by ``Sum.doit``: SymPy sums a Kronecker
    delta by solving for the summation variable without asking for an integer, so
    Sum(g[p] KroneckerDelta(2, 2(p - 1) + u), (p, 1, 2), (u, 1, 2)) came out as g[1] + g[3/2] and a true
    claim was refused."""
    return summed_out(layer.expand(expr).subs(sizes)).doit()


def concrete_gradients(layer: Layer, sizes: dict | None = None) -> ConcreteGradients:
    """Every dL/d(entry) at ``sizes`` (default ``layer.at``), by the chain rule over output entries."""
    sizes = sizes or layer.concrete_sizes()
    entries = {name: _entries(variable, sizes) for name, variable in layer.variables()}
    owner = {symbol: name for name, listed in entries.items() for _, symbol in listed}
    derived = {name: {symbol: 0 for _, symbol in listed} for name, listed in entries.items()}
    outputs, upstream = {}, {}
    for definition in layer.output_definitions():
        G = layer.upstream_of(definition.base).subs(sizes)
        rows = []
        for index in entry_indices(definition.base.shape, sizes):
            value = written_out(layer, definition.at(index), sizes)
            rows.append((index, value))
            for symbol in value.atoms(Indexed, Symbol) & owner.keys():
                derived[owner[symbol]][symbol] += G[index] * value.diff(symbol)
        outputs[str(definition.base)] = rows
        upstream[str(definition.base)] = [G[index] for index, _ in rows]
    return ConcreteGradients(layer, dict(sizes), entries,
                             {name: [derived[name][s] for _, s in entries[name]] for name in entries},
                             outputs, upstream)


def _vanishes(value) -> bool:
    """Exactly 0: as a rational function in which each exp(...) is an independent symbol (sound: a function
    that vanishes for independent symbols vanishes at their values), or after rewriting in exp."""
    value = sympify(value)
    if value == 0:
        return True
    generic = {atom: Dummy("E") for atom in value.atoms(exp)}
    return (cancel(together(value.xreplace(generic))) == 0 or cancel(expand(value.rewrite(exp))) == 0
            or _vanishes_in_every_case(value))


PIECEWISE_FOLD_LIMIT = 6
"""At most this many distinct conditional pieces are folded into one case split (2^n cases at worst)."""


def _vanishes_in_every_case(value) -> bool:
    """Exactly 0 in every case of its conditions: the ``Piecewise`` pieces (and each ``Heaviside(x, 0)`` or
    ``Heaviside(x, 1)``, whose value at 0 is stated) folded into one case split (``piecewise_fold``), each
    case's value cancelling to 0, with a last case that covers the rest. Decides the same step written two
    ways: Piecewise((1, x > 0), (0, True)) and Heaviside(x, 0), or [x > 0] g and Piecewise((0, x <= 0), (g, True)).
    Heaviside(x) (SymPy's default value 1/2 at 0) is left alone: the description states no value there."""
    stated = {h: h.rewrite(Piecewise) for h in value.atoms(Heaviside) if h.args[1:] and h.args[1] != S.Half}
    value = value.xreplace(stated)
    pieces = value.atoms(Piecewise)
    if not pieces or len(pieces) > PIECEWISE_FOLD_LIMIT:
        return False
    folded = piecewise_fold(value)
    if not isinstance(folded, Piecewise):
        return folded.has(Piecewise) is False and cancel(expand(folded)) == 0
    if folded.args[-1][1] is not true:
        return False
    return all(not case.has(Piecewise) and cancel(expand(case)) == 0 for case, _ in folded.args)


def _random_point(expressions, seed: int) -> dict:
    rng = random.Random(seed)
    atoms = set().union(*(sympify(e).atoms(Indexed) for e in expressions))
    atoms |= set().union(*(sympify(e).free_symbols for e in expressions)) - {a for e in atoms for a in e.free_symbols}
    return {atom: Rational(rng.randint(-9, 9) or 1, rng.randint(2, 7)) for atom in sorted(atoms, key=str)}


STATED, UNSTATED = "stated", "unstated"
"""A kink's convention: **stated** by the description (a ``Piecewise`` condition: ``relu``, ``step``, ``padded``
or the user's own; at the boundary the derivative is the one of the branch the condition selects there, so
relu'(0) = 0), or **unstated** (``Heaviside``, ``sign``, ``DiracDelta``: what SymPy's derivative of ``Max``,
``Min`` or ``Abs`` gives; Heaviside(0) = 1/2 is SymPy's choice, not the user's)."""
BOUNDARY_POINTS = 8
"""At most this many boundary points per entry (each single boundary, then all stated ones together)."""


def _variables(expr) -> list:
    expr = sympify(expr)
    entries = expr.atoms(Indexed)
    inside = {a for e in entries for a in e.free_symbols}
    return sorted(entries | (expr.free_symbols - inside), key=str)


def kink_boundaries(expressions) -> list[tuple[object, str]]:
    """(b, STATED or UNSTATED) for each boundary b = 0 of a kink in ``expressions`` that is linear with
    rational coefficients in the entries (x[1], x[1] - x[2], x[2] + alpha): a ``Piecewise`` condition's
    relation (lhs - rhs), or the argument of ``Heaviside``, ``sign``, ``DiracDelta``. The other kinks (a
    boundary x[1]^2 = x[2]) are not searched: their points are not rational in general."""
    from sympy import DiracDelta, Heaviside, Piecewise, Poly, PolynomialError, sign
    from sympy.core.relational import Relational
    found: dict = {}
    for expr in expressions:
        expr = sympify(expr)
        for piecewise in expr.atoms(Piecewise):
            for _, condition in piecewise.args:
                for relation in getattr(condition, "atoms", lambda *_: set())(Relational):
                    found.setdefault(relation.lhs - relation.rhs, STATED)
        for atom in expr.atoms(Heaviside, sign, DiracDelta):
            found.setdefault(atom.args[0], UNSTATED)
    linear: dict = {}
    for boundary, kind in found.items():
        variables = _variables(boundary)
        if not variables:
            continue
        try:
            poly = Poly(boundary, *variables)
        except PolynomialError:
            continue
        if poly.total_degree() == 1 and all(c.is_Rational for c in poly.coeffs()):
            # one boundary, however written: x[1] - x[2], x[2] - x[1] and 2 x[1] - 2 x[2] are x[1] - x[2]
            canonical = expand(boundary / boundary.diff(variables[0]))
            if linear.get(canonical) != STATED:
                linear[canonical] = kind
    return sorted(linear.items(), key=lambda item: (item[1] != STATED, str(item[0])))


def _on_boundaries(point: dict, boundaries: list) -> dict | None:
    """``point`` moved onto every boundary of ``boundaries`` (each solved for one entry not yet moved, the
    first by name with a non-zero coefficient); None when some boundary has no such entry left."""
    point, moved = dict(point), set()
    for boundary in boundaries:
        variables = [v for v in _variables(boundary) if v not in moved and boundary.diff(v) != 0]
        if not variables:
            return None
        v = variables[0]
        coefficient = boundary.diff(v)
        rest = (boundary - coefficient * v).xreplace({k: value for k, value in point.items() if k != v})
        point[v] = -rest / coefficient
        moved.add(v)
    if any(sympify(b).xreplace(point) != 0 for b in boundaries):
        return None
    return point


def boundary_points(expressions, seed: int) -> list[tuple[dict, list]]:
    """(rational point, the boundaries it lies on) for each kink boundary of ``expressions``
    (``kink_boundaries``), then for all stated boundaries at once; at most BOUNDARY_POINTS groups, each at up
    to three points (the other entries random, all positive, all negative)."""
    boundaries = kink_boundaries(expressions)
    stated = [b for b, kind in boundaries if kind == STATED]
    groups = [[b] for b, _ in boundaries] + ([stated] if len(stated) > 1 else [])
    points = []
    for n, group in enumerate(groups[:BOUNDARY_POINTS]):
        base = _random_point(expressions, seed + 1 + n)
        # the other entries as drawn, all positive, all negative: a kink hidden by another factor at one
        # (relu(a) [b >= 0] on b = 0 with a < 0) shows at another (attack5 1a)
        for variant in (base, {k: abs(v) for k, v in base.items()}, {k: -abs(v) for k, v in base.items()}):
            point = _on_boundaries(variant, group)
            if point is not None and all(point != seen for seen, _ in points):
                points.append((point, group))
    return points


def unstated_at(expressions, point: dict) -> list:
    """The ``Heaviside``/``sign``/``DiracDelta`` atoms of ``expressions`` whose argument is 0 at ``point``:
    there the value is SymPy's convention (Heaviside(0) = 1/2), not one the description states. A
    ``Heaviside(x, H0)`` with a value at 0 other than SymPy's default 1/2 written out is stated, not listed."""
    from sympy import DiracDelta, Heaviside, sign
    atoms = set().union(*(sympify(e).atoms(Heaviside, sign, DiracDelta) for e in expressions))
    # Heaviside(x, 0) and Heaviside(x, 1) state their value at 0; Heaviside(x) is Heaviside(x, 1/2), SymPy's
    # default and what its derivative of Max gives
    atoms = {a for a in atoms if not (isinstance(a, Heaviside) and a.args[1:] and a.args[1] != S.Half)}
    return sorted((a for a in atoms if sympify(a.args[0]).xreplace(point) == 0), key=str)


_RANGE_TEXT = {"Heaviside": "any value in [0, 1]", "sign": "any value in [-1, 1]"}


def _differ_for_every_value(derived, claimed, point: dict, unstated: list) -> bool:
    """True when derived - claimed at ``point`` is non-zero for every value of its one unstated atom at 0
    (Heaviside(0) in [0, 1], sign(0) in [-1, 1]: the one-sided limits and every convex choice between them),
    so the refutation does not rest on SymPy's Heaviside(0) = 1/2. False (not decided) for several atoms or
    a DiracDelta."""
    from sympy import Interval, solveset
    if len(unstated) != 1 or unstated[0].func.__name__ not in _RANGE_TEXT:
        return False
    atom = unstated[0]
    h = Dummy("h", real=True)
    low = -1 if atom.func.__name__ == "sign" else 0
    difference = (sympify(derived) - sympify(claimed)).xreplace({atom: h}).subs(point)
    if difference.has(Indexed) or difference.free_symbols - {h}:
        return False
    try:
        roots = solveset(difference, h, Interval(low, 1))
    except (NotImplementedError, TypeError, ValueError):
        return False
    return roots == S.EmptySet


def _unstated_sides(derived, point: dict) -> str:
    """Which side's value at ``point`` is SymPy's convention, not stated: the derived gradient's (the
    description states no convention at a Max's tie) or, when the derived value is fixed by the description,
    the claim's (a Heaviside(x) the user wrote, SymPy's Heaviside(0) = 1/2)."""
    mine = unstated_at([derived], point)
    if mine:
        return (f"there the derived value uses {', '.join(str(u) for u in mine)} at 0, SymPy's convention "
                "(Heaviside(0) = 1/2), which the description does not state: write relu(x) or a Piecewise to "
                "state one")
    return ("there the derived value is fixed by the description's own condition, while the claim's value uses "
            "SymPy's Heaviside(0) = 1/2 (or sign(0) = 0), which the claim does not state: write Heaviside(x, 0) "
            "or Heaviside(x, 1) in the claim to state the value meant at 0")


def _values_at(derived, claimed, point):
    """(exact derived, exact claimed, differ) at ``point``; differ None when a value is not a finite real."""
    exact = [sympify(side).subs(point) for side in (derived, claimed)]
    if any(value.is_finite is not True or value.is_real is False for value in exact):
        return exact, None
    if all(value.is_Rational for value in exact):
        return exact, exact[0] != exact[1]
    left, right = (value.evalf(POINT_DIGITS) for value in exact)
    return exact, bool(abs(left - right) > 10 ** (5 - POINT_DIGITS) * max(1, abs(left), abs(right)))


def _where(index, derived, claimed, point, exact) -> Mismatch:
    shown = tuple(value if value.is_Rational else value.evalf(15) for value in exact)
    return Mismatch(index, derived, claimed, point={str(k): v for k, v in point.items()}, values=shown)


def _decide_entry(name: str, derived, claimed, index, seed: int):
    """(holds False or None, detail, mismatch) of one entry whose difference did not cancel: a random rational
    point, then the kinks' boundary points (``boundary_points``). A difference at a boundary refutes only
    where every kink on it has a stated convention (``unstated_at`` is empty): a true counterexample under
    the description's own convention. One where the value is SymPy's Heaviside(0) = 1/2 is reported, not
    counted."""
    point = _random_point([derived, claimed], seed)
    exact, differ = _values_at(derived, claimed, point)
    where = _where(index, derived, claimed, point, exact)
    if differ:
        return False, f"d L/d {name}: {where.describe()}", where
    notes, tried = [], 0
    for at, group in boundary_points([derived, claimed], seed):
        exact, differ = _values_at(derived, claimed, at)
        if differ is None:
            continue
        tried += 1
        if not differ:
            continue
        on = ", ".join(f"{b} = 0" for b in group)
        unstated = unstated_at([derived, claimed], at)
        found = _where(index, derived, claimed, at, exact)
        if not unstated:
            return False, (f"d L/d {name}: {found.describe()} (a kink: the point lies on {on}, where the "
                           "description's own condition fixes the derivative, e.g. relu'(0) = 0)"), found
        if _differ_for_every_value(derived, claimed, at, unstated):
            atom = unstated[0]
            return False, (f"d L/d {name}: {found.describe()} (a kink: the point lies on {on}; they differ for "
                           f"every value {atom.func.__name__}(0) could take, {_RANGE_TEXT[atom.func.__name__]}, "
                           "not only SymPy's)"), found
        if not any(note.startswith(f"at a point on {on} ") for note in notes):  # one note per boundary
            notes.append(f"at a point on {on} they differ ({found.describe()}), but " + _unstated_sides(derived, at))
    detail = (f"not decided: entry {index} of derived - claimed does not expand or cancel to 0, yet the two agree "
              f"to {POINT_DIGITS - 5} digits at a random rational point"
              + (f" and exactly at {tried} point{'s' if tried != 1 else ''} on its kinks' boundaries" if tried else ""))
    if notes:
        detail += "; " + "; ".join(notes)
    return None, detail, where


def compare_concrete(name: str, derived: list, claimed: list, indices: list, *, seed: int = 0):
    """(holds, detail, mismatch): exact comparison by ``first_mismatch``; an entry whose difference does not
    cancel is evaluated at a rational point and at points on its kinks' boundaries (``_decide_entry``), where
    a difference is a counterexample and none leaves it undecided. Every entry that does not cancel is tried
    before answering "not decided" (the first may be undecided where a later one is refuted)."""
    mismatch = first_mismatch(Matrix(derived), Matrix(claimed), vanishes=_vanishes)
    if mismatch is None:
        return True, EXACT_ZERO, None
    if mismatch.index is None:
        return False, mismatch.describe(), mismatch
    start = mismatch.index[0] - 1
    undecided = None
    for row in range(start, len(derived)):
        if row != start and _vanishes(sympify(derived[row]) - sympify(claimed[row])):
            continue
        outcome = _decide_entry(name, derived[row], claimed[row], indices[row], seed)
        if outcome[0] is False:
            return outcome
        undecided = undecided or outcome
    return undecided


def generic_indices(layer: Layer, variable) -> tuple[Symbol, ...]:
    """p_1, p_2, ...: one free index per dimension of ``variable``, named apart from the layer's symbols."""
    if not isinstance(variable, IndexedBase):
        return ()
    return tuple(Symbol(f"p_{n + 1}", integer=True) for n in range(len(variable.shape)))


def _general_chain(layer: Layer, variable, derivative):
    """(generic entry, chain-rule sum, derived sum, ranges) of dL/d(variable) at general sizes: the chain rule
    sum_q G[q] d y[q]/d target over each output's entries q, and the same sum with ``derivative(y[q]'s
    equation, target)`` in place of the unevaluated derivative."""
    p = generic_indices(layer, variable)
    target = variable[p] if p else variable
    ranges = {index: (1, dim) for index, dim in zip(p, variable.shape)} if p else {}
    chain, derived = 0, 0
    for definition in layer.output_definitions():
        q = tuple(Symbol(f"q_{n + 1}", integer=True) for n in range(len(definition.indices)))
        limits = [(index, 1, dim) for index, dim in zip(q, definition.base.shape)]
        G = layer.upstream_of(definition.base)
        chain += Sum(G[q] * Derivative(definition.base[q], target), *limits)
        derived += Sum(G[q] * derivative(definition.at(q), target), *limits)
    return target, chain, derived, ranges


def general_gradient(layer: Layer, variable):
    """(generic entry, chain-rule sum, differentiated sum, ranges) of dL/d(variable) for general sizes."""
    return _general_chain(layer, variable,
                          lambda equation, target: as_products(layer.expand(equation)).diff(target))


@dataclass(frozen=True)
class _Subject:
    """What a general proof is about: one claim of one layer."""

    layer: Layer
    name: str

    def __str__(self):
        return f"{self.layer.name}: dL/d{self.name}"


THROUGH_INTERMEDIATES = "chain rule through the intermediates {names}"
"""The step's justification; the rule: d f/d theta = partial f/partial theta + sum over r of (partial f/partial a_r)
(d a_r/d theta) for each intermediate a kept as symbols, d a_r/d theta from a_r's own scalar equation."""


def polynomial_intermediates(layer: Layer) -> list:
    """The forward intermediates whose equation is a polynomial in the entries it uses (no function, no division
    by an entry, no upstream gradient): Q = X W_q, S = Q K^T / sqrt(d), ... A general-size proof may keep their
    entries as symbols (``general_verdict``); the others (a softmax, a normalisation) are written out."""
    upstream = set(layer.upstream.values())
    backward: set = set()
    for definition in layer.intermediate_definitions():  # defined before use: one pass finds every G-user
        used = {e.base for e in definition.body.atoms(Indexed)}
        if used & (upstream | backward):
            backward.add(definition.base)
    kept = []
    for definition in layer.intermediate_definitions():
        if definition.base not in backward and _is_polynomial(definition.body):
            kept.append(definition.base)
    return kept


def _function_of_intermediates(layer: Layer) -> bool:
    """Some equation applies a function (exp, log, tanh, ...) to an intermediate's entry."""
    from sympy import Function
    bases = {d.base for d in layer.intermediate_definitions()}
    for definition in layer.intermediate_definitions() + layer.output_definitions():
        for call in definition.body.atoms(Function) - definition.body.atoms(Indexed):
            if any(entry.base in bases for entry in call.atoms(Indexed)):
                return True
    return False


def _is_polynomial(expr) -> bool:
    """No function application, no Piecewise, no power of an entry other than a non-negative integer."""
    from sympy import Function, Piecewise, Pow
    if expr.atoms(Function) - expr.atoms(Indexed) or expr.has(Piecewise):
        return False
    for power in expr.atoms(Pow):
        if power.base.atoms(Indexed) and not (power.exp.is_Integer and power.exp >= 0):
            return False
    return True


def _expand_except(layer: Layer, expr, kept):
    """``expr`` with every intermediate and output entry replaced by its equation, except the ``kept`` ones."""
    definitions = {d.base: d for d in layer.intermediate_definitions() + layer.output_definitions()
                   if d.base not in kept}
    for _ in range(len(definitions) + 1):
        replaced = sympify(expr).replace(lambda e: isinstance(e, Indexed) and e.base in definitions,
                                         lambda e: definitions[e.base].at(tuple(e.indices)))
        if replaced == expr:
            return replaced
        expr = replaced
    raise OutsideIndexAlgebra(f"layer {layer.name}: the intermediates refer to each other in a cycle")


def _total_derivative(layer: Layer, expr, target, kept, level: int = 0):
    """d expr / d target with the ``kept`` intermediates' entries as symbols: the partial derivative plus,
    for each kept a in expr, sum_r (partial expr / partial a_r) (d a_r / d target), a_r's own equation
    differentiated the same way (r_1, r_2, ... fresh per level)."""
    definitions = {d.base: d for d in layer.intermediate_definitions()}
    total = _without_zero_sums(expr.diff(target))
    for base in kept:
        if not expr.has(base):
            continue
        r = tuple(Symbol(f"r{'_' * level}_{n + 1}", integer=True) for n in range(len(base.shape)))
        own = as_products(_expand_except(layer, definitions[base].at(r), kept))
        inner = _total_derivative(layer, own, target, kept, level + 1)
        if inner != 0:
            outer = _without_zero_sums(expr.diff(base[r]))
            total += Sum(outer * inner, *[(i, 1, dim) for i, dim in zip(r, base.shape)])
    return total


def _without_zero_sums(expr):
    """A sum of 0 (what SymPy leaves of a differentiated sum whose terms do not contain the variable) is 0."""
    return expr.replace(lambda e: isinstance(e, Sum) and e.function == 0, lambda e: S.Zero)


def general_gradient_through(layer: Layer, variable, kept):
    """(generic entry, chain-rule sum, derived sum, ranges) of dL/d(variable), the ``kept`` intermediates'
    entries staying symbols (``_total_derivative``): sound, since an identity that holds for every value
    of those symbols holds at their values."""
    return _general_chain(layer, variable, lambda equation, target: _total_derivative(
        layer, as_products(_expand_except(layer, equation, kept)), target, kept))


def _tidied(steps: tuple, ranges: dict) -> tuple:
    """``steps`` with one more step, ``tidy`` of the last, when it changes it."""
    last = steps[-1][0]
    tidied = tidy(last, ranges)
    return steps if tidied == last else steps + ((tidied, ONE_TERM_AND_INDICATOR),)


def general_verdict(layer: Layer, name: str, variable, *, written_out: bool = True) -> GeneralProof:
    """The general-size proof of the claim for ``variable`` (holds True or None; never False on its own).

    First with the polynomial intermediates' entries kept as symbols (``polynomial_intermediates``: a
    small normal form), then, if that does not decide it and ``written_out``, with every equation written
    out (its normal form can take minutes for attention; ``verify_claims`` skips it for a claim already
    refuted at concrete sizes, which no general proof can rescue)."""
    subject = _Subject(layer, name)
    claim = layer.claim_of(variable)
    if claim is None:
        return GeneralProof(subject, None, f"not decided: no claimed closed form for {name}")
    key, body = claim
    kept = polynomial_intermediates(layer)
    attempts = [[]] if written_out or not kept else []
    if kept:  # first where written-out sums would sit inside exp(...) etc., whose normal form grows fastest
        attempts = [kept] + attempts if _function_of_intermediates(layer) else attempts + [kept]
    proof = None
    for through in attempts:
        try:
            if through:
                target, chain, differentiated, ranges = general_gradient_through(layer, variable, through)
                step = THROUGH_INTERMEDIATES.format(names=", ".join(str(b) for b in through))
            else:
                target, chain, differentiated, ranges = general_gradient(layer, variable)
                step = DIFFERENTIATE
            # a sum of zeros is 0 (the derivative of a term free of the variable): shown as 0, not as sum 0
            differentiated = differentiated.replace(lambda e: isinstance(e, Sum) and e.function == 0,
                                                    lambda e: S.Zero)
            p = tuple(target.indices) if isinstance(target, Indexed) else ()
            right = _expand_except(layer, body.xreplace(dict(zip(key, p))), through)
            tidied = tidy(right, ranges)
            statement = GeneralProof(subject, left=chain, right=body, rows=p, ranges=ranges,
                                     left_entry=Derivative(Symbol("L"), target),
                                     left_steps=_tidied(((chain, CHAIN_RULE), (differentiated, step)), ranges),
                                     right_entry=right,
                                     right_steps=((tidied, ONE_TERM_AND_INDICATOR),) if tidied != right else (),
                                     rules=(CHAIN_RULE, step, NORMAL_FORM), wrt=name)
            proof = _finish_by_cases(finish_by_flat_index_sift(decide(statement)))
        except (OutsideIndexAlgebra, TypeError, ValueError, NotImplementedError, RecursionError) as error:
            proof = GeneralProof(subject, None, f"not decided: no index-notation argument: {error}")
        if proof.holds:
            return proof
    return proof


SAME_CASES = "the same function in every case of its conditions (the case splits folded into one)"


def _finish_by_cases(proof):
    """A general proof the index algebra left undecided because the two normal forms write one case split
    differently (I[x_p > 0] g_p and Piecewise((0, x_p <= 0), (g_p, True))): with no sum left on either side,
    their difference, the engine's indicator I[s] and relu(s) written as the Piecewise they are, is 0 in every
    case (``_vanishes_in_every_case``, exact for symbolic indices), and the right normal form becomes the left
    chain's last step."""
    import dataclasses

    if proof.holds is not None or proof.left_normal is None or proof.right_normal is None:
        return proof
    if proof.left_normal.has(Sum) or proof.right_normal.has(Sum):
        return proof
    from gradproof.symbolic.engine.functions import indicator, relu
    difference = sympify(proof.left_normal - proof.right_normal).replace(
        lambda e: isinstance(e, indicator), lambda e: Piecewise((1, e.args[0] > 0), (0, True))).replace(
        lambda e: isinstance(e, relu), lambda e: Piecewise((e.args[0], e.args[0] > 0), (0, True)))
    if not _vanishes_in_every_case(difference):
        return proof
    return dataclasses.replace(proof, holds=True, reason="", left_normal=proof.right_normal,
                               left_steps=proof.left_steps + ((proof.right_normal, SAME_CASES),),
                               rules=proof.rules + (SAME_CASES,))


WRITTEN_OUT_LIMIT = 400
"""Above this many operations in the written-out output entries (``graph.estimated_size``), the claims are
checked on the layer's program (``symbolic.layers.graph``) instead of entry by entry written out: the exact
cancellation of written-out entries grows faster than the entries (attention at T = 3, d = 4: over 15 min)."""


def concrete_derivation(layer: Layer, sizes: dict | None = None):
    """The derivation at ``sizes``: ``ConcreteGradients`` (every entry written out; exact verdicts) when the
    written-out outputs have at most ``WRITTEN_OUT_LIMIT`` operations or the program route does not apply
    (a function other than exp, an irrational constant), else the ``LayerGraph`` (probabilistic verdicts with
    their bound, counterexamples in real arithmetic at a rational point)."""
    try:
        if estimated_size(layer, sizes) > WRITTEN_OUT_LIMIT:
            graph = build_graph(layer, sizes)
            check_program(graph)
            return graph
    except NotSupported:
        pass
    return concrete_gradients(layer, sizes)


def verify_claims(layer: Layer, gradients=None, *, seed: int = 0) -> list[ClaimVerdict]:
    """Every claim of ``layer`` verified at its sizes and, where the index algebra applies, in general.

    ``gradients`` is a ``ConcreteGradients`` (default: written out, exact comparison) or a ``LayerGraph``
    (``concrete_derivation``: the program at random integer points, Schwartz-Zippel)."""
    gradients = gradients or concrete_gradients(layer)
    claimed = [(name, variable) for name, variable in layer.variables() if layer.claim_of(variable) is not None]
    if isinstance(gradients, LayerGraph):
        found = schwartz_zippel(gradients, [name for name, _ in claimed], seed=seed)
        results = {name: (v.holds, v.detail, v.mismatch) for name, v in found.items()}
    else:
        results = {}
        for name, variable in claimed:
            key, body = layer.claim_of(variable)
            indices = [index for index, _ in gradients.entries[name]]
            values = [written_out(layer, body.xreplace(dict(zip(key, index))), gradients.sizes) for index in indices]
            results[name] = compare_concrete(name, gradients.derived[name], values, indices, seed=seed)
    verdicts = []
    for name, variable in claimed:
        holds, detail, mismatch = results[name]
        general = general_verdict(layer, name, variable, written_out=holds is not False)
        found = f"sizes {_sizes_text(gradients.sizes)}, {detail}" if holds is False else None
        verdicts.append(ClaimVerdict(name, gradients.sizes, holds, detail, mismatch, refute(general, found),
                                     "program" if isinstance(gradients, LayerGraph) else "written out"))
    return verdicts


def _sizes_text(sizes: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())
