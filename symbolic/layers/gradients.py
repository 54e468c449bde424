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
* **concrete sizes** (``concrete_gradients``): every entry written out at the sizes ``layer.at``,
  each output entry differentiated by the variables it contains. A claim is compared entry by entry by
  the engine's one comparator (``engine.verdict.first_mismatch``) with exact vanishing tests
  (expand, cancel); an entry whose difference is not shown to vanish is evaluated at a random rational
  point to 30 digits: a difference there is a counterexample (does not hold), none is "not decided".
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from sympy import (
    Derivative,
    Dummy,
    Indexed,
    IndexedBase,
    Matrix,
    Rational,
    Sum,
    Symbol,
    cancel,
    exp,
    expand,
    sympify,
    together,
)

from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
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

__all__ = ["ClaimVerdict", "ConcreteGradients", "compare_concrete", "concrete_gradients", "entry_indices",
           "general_gradient", "general_verdict", "verify_claims", "written_out"]

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
    """One claim's three verdicts: exact at ``sizes`` (``concrete``: True/False/None with ``detail``) and
    for general sizes (``general``: a ``GeneralProof``, False only with the concrete counterexample)."""

    name: str
    sizes: dict
    concrete: bool | None
    detail: str
    mismatch: Mismatch | None
    general: GeneralProof

    @property
    def holds(self) -> bool | None:
        if self.concrete is False or self.general.holds is False:
            return False
        return True if self.concrete and self.general.holds is not False else None


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
    """``expr`` (indices already numbers) with definitions expanded, sizes substituted and sums done."""
    return layer.expand(expr).subs(sizes).doit()


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
    return cancel(together(value.xreplace(generic))) == 0 or cancel(expand(value.rewrite(exp))) == 0


def _random_point(expressions, seed: int) -> dict:
    rng = random.Random(seed)
    atoms = set().union(*(sympify(e).atoms(Indexed) for e in expressions))
    atoms |= set().union(*(sympify(e).free_symbols for e in expressions)) - {a for e in atoms for a in e.free_symbols}
    return {atom: Rational(rng.randint(-9, 9) or 1, rng.randint(2, 7)) for atom in sorted(atoms, key=str)}


def compare_concrete(name: str, derived: list, claimed: list, indices: list, *, seed: int = 0):
    """(holds, detail, mismatch): exact comparison by ``first_mismatch``; a non-vanishing difference is
    evaluated at a rational point, where a difference is a counterexample and none leaves it undecided."""
    mismatch = first_mismatch(Matrix(derived), Matrix(claimed), vanishes=_vanishes)
    if mismatch is None:
        return True, EXACT_ZERO, None
    if mismatch.index is None:
        return False, mismatch.describe(), mismatch
    row = mismatch.index[0] - 1
    point = _random_point([derived[row], claimed[row]], seed)
    exact = [sympify(side).subs(point) for side in (derived[row], claimed[row])]
    left, right = (value.evalf(POINT_DIGITS) for value in exact)
    shown = tuple(value if value.is_Rational else value.evalf(15) for value in exact)
    where = Mismatch(indices[row], mismatch.left, mismatch.right, point={str(k): v for k, v in point.items()},
                     values=shown)
    if abs(left - right) > 10 ** (5 - POINT_DIGITS) * max(1, abs(left), abs(right)):
        return False, f"d L/d {name}: {where.describe()}", where
    return None, (f"not decided: entry {indices[row]} of derived - claimed does not expand or cancel to 0, yet the "
                  f"two agree to {POINT_DIGITS - 5} digits at a random rational point"), where


def generic_indices(layer: Layer, variable) -> tuple[Symbol, ...]:
    """p_1, p_2, ...: one free index per dimension of ``variable``, named apart from the layer's symbols."""
    if not isinstance(variable, IndexedBase):
        return ()
    return tuple(Symbol(f"p_{n + 1}", integer=True) for n in range(len(variable.shape)))


def general_gradient(layer: Layer, variable):
    """(generic entry, chain-rule sum, differentiated sum, ranges) of dL/d(variable) for general sizes."""
    p = generic_indices(layer, variable)
    target = variable[p] if p else variable
    ranges = {index: (1, dim) for index, dim in zip(p, variable.shape)} if p else {}
    chain, differentiated = 0, 0
    for definition in layer.output_definitions():
        q = tuple(Symbol(f"q_{n + 1}", integer=True) for n in range(len(definition.indices)))
        limits = [(index, 1, dim) for index, dim in zip(q, definition.base.shape)]
        G = layer.upstream_of(definition.base)
        chain += Sum(G[q] * Derivative(definition.base[q], target), *limits)
        differentiated += Sum(G[q] * layer.expand(definition.at(q)).diff(target), *limits)
    return target, chain, differentiated, ranges


@dataclass(frozen=True)
class _Subject:
    """What a general proof is about: one claim of one layer."""

    layer: Layer
    name: str

    def __str__(self):
        return f"{self.layer.name}: dL/d{self.name}"


def general_verdict(layer: Layer, name: str, variable) -> GeneralProof:
    """The general-size proof of the claim for ``variable`` (holds True or None; never False on its own)."""
    subject = _Subject(layer, name)
    claim = layer.claim_of(variable)
    if claim is None:
        return GeneralProof(subject, None, f"not decided: no claimed closed form for {name}")
    key, body = claim
    try:
        target, chain, differentiated, ranges = general_gradient(layer, variable)
        p = tuple(target.indices) if isinstance(target, Indexed) else ()
        right = layer.expand(body.xreplace(dict(zip(key, p))))
        statement = GeneralProof(subject, left=chain, right=body, rows=p, ranges=ranges,
                                 left_entry=Derivative(Symbol("L"), target),
                                 left_steps=((chain, CHAIN_RULE), (differentiated, DIFFERENTIATE)),
                                 right_entry=right, rules=(CHAIN_RULE, DIFFERENTIATE, NORMAL_FORM), wrt=name)
        return decide(statement)
    except (OutsideIndexAlgebra, TypeError, ValueError, NotImplementedError, RecursionError) as error:
        return GeneralProof(subject, None, f"not decided: no index-notation argument: {error}")


def verify_claims(layer: Layer, gradients: ConcreteGradients | None = None, *, seed: int = 0) -> list[ClaimVerdict]:
    """Every claim of ``layer`` verified exactly at its sizes and, where the index algebra applies, in general."""
    gradients = gradients or concrete_gradients(layer)
    verdicts = []
    for name, variable in layer.variables():
        claim = layer.claim_of(variable)
        if claim is None:
            continue
        key, body = claim
        indices = [index for index, _ in gradients.entries[name]]
        claimed = [written_out(layer, body.xreplace(dict(zip(key, index))), gradients.sizes) for index in indices]
        holds, detail, mismatch = compare_concrete(name, gradients.derived[name], claimed, indices, seed=seed)
        general = general_verdict(layer, name, variable)
        found = f"sizes {_sizes_text(gradients.sizes)}, {detail}" if holds is False else None
        verdicts.append(ClaimVerdict(name, gradients.sizes, holds, detail, mismatch, refute(general, found)))
    return verdicts


def _sizes_text(sizes: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())
