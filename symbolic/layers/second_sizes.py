"""The cost limit of a layer's checks, and the second size assignment of a claim not decided in general.

A claim checked exactly at one size assignment can hold there by accident: a missing transpose is
invisible when M = N, a missing 1/N when N = 1, a sum's limit M written for N when M = N. When the
general-size verdict (index notation) is "not decided", the claim is therefore also checked exactly at a
**second assignment** (``second_sizes``) in which every size is at least 2, all sizes are distinct and
every size differs from its check value: the integers s, s + 1, ... given to the sizes in the order of
their check values (so a kernel smaller than its image stays smaller), s the least that changes them all, improved by exchanging two sizes while that lowers the cost, among
assignments where every tensor dimension is a positive integer. A claim that fails there is refuted with
that counterexample; one that holds "holds exactly at sizes A and at sizes B; general sizes not
decided". Two exact checks are not a proof for every size: the text says so.

The **cost** of the checks at some sizes is ``graph.estimated_size``: the operations of the written-out
output entries (a sum of n terms weighs n times its body). Above ``MAX_OPERATIONS`` the derivation is
refused up front, naming the sizes and the limit, as ``gradproof verify`` refuses sizes above
``MAX_ENTRIES`` (measured here: y_i = x_i sum_j x_j at N = 120, 28920 operations, 9 s; attention at
T = 3, 10284 operations, 4 s; at N = 400, 320400 operations, past 120 s).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from sympy import Indexed, sympify

from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.engine.general import refute
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.gradients import ClaimVerdict, compare_concrete, concrete_derivation, written_out
from gradproof.symbolic.layers.graph import LayerGraph, estimated_size, schwartz_zippel

__all__ = ["MAX_OPERATIONS", "SecondCheck", "SettledVerdict", "check_cost", "cost", "second_sizes", "settle", "sizes_text"]

MAX_OPERATIONS = 20000
"""The largest ``graph.estimated_size`` a layer's exact checks are run at (about 6 s on this machine)."""


def sizes_text(sizes: dict) -> str:
    """'N = 2, M = 3'."""
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def cost(layer: Layer, sizes: dict) -> int:
    """The operations of the written-out outputs at ``sizes`` (``graph.estimated_size``); when a sum's length
    depends on another index, the product of every tensor's entry count (an upper bound's stand-in)."""
    try:
        return estimated_size(layer, sizes)
    except NotSupported:
        total = 1
        for base in layer.tensors():
            for dim in base.shape:
                total *= max(int(sympify(dim).subs(sizes)), 1)
        return total


def check_cost(layer: Layer, sizes: dict | None = None) -> None:
    """Raise ``InvalidInput`` when a tensor dimension at ``sizes`` (default ``layer.at``) is not an integer >= 1,
    or the checks there would cost more than ``MAX_OPERATIONS``: the sizes, the dimension or the estimate and
    the limit are named."""
    sizes = dict(sizes or layer.concrete_sizes())
    bad = _bad_dimension(layer, sizes)  # an empty tensor makes every claim about it vacuously true (attack5 4a)
    if bad is not None:
        base, dim, value = bad
        raise InvalidInput(f"layer {layer.name}: at sizes {sizes_text(sizes)} the dimension {dim} of {base.label} is "
                           f"{value}; every dimension must be an integer >= 1 (a claim about an empty tensor would "
                           "hold vacuously): give larger sizes")
    estimate = cost(layer, sizes)
    if estimate > MAX_OPERATIONS:
        raise InvalidInput(f"layer {layer.name}: sizes {sizes_text(sizes)}: the written-out outputs have about "
                           f"{estimate} operations; gradproof checks a layer of at most MAX_OPERATIONS = "
                           f"{MAX_OPERATIONS} (the exact checks grow faster than the entries); give smaller sizes")


def _bad_dimension(layer: Layer, sizes: dict):
    """(tensor, dimension, value) of the first tensor dimension that is not an integer >= 1 at ``sizes``, or None."""
    for base in layer.tensors():
        for dim in base.shape:
            value = sympify(dim).subs(sizes)
            if not value.is_Integer or value < 1:
                return base, dim, value
    return None


def _valid(layer: Layer, sizes: dict) -> bool:
    """Every dimension of every tensor is an integer >= 1 at ``sizes``."""
    return _bad_dimension(layer, sizes) is None


def index_constants(layer: Layer) -> int:
    """The largest integer the layer's equations and claims compare an index or a size with (0 if none): an
    integer argument of ``KroneckerDelta``, ``Min``, ``Max``, a relation or an index, a ``Sum`` limit, or an
    integer term of a sum holding an index or a size (``N - 3``). A claim can be wrong only where a size
    passes such a constant (``KroneckerDelta(i, 4)``, ``Min(N, 3)``, ``(N - 2)(N - 3)``: attack4), so the
    second assignment puts every size above it (``second_sizes``). Exponents and coefficients free of
    indices and sizes (x**2, 1/3) are not counted."""
    from sympy import Add, Integer, KroneckerDelta, Max, Min, Sum
    from sympy.core.relational import Relational

    bodies = [sympify(body) for body in layer.claims.values()]
    bodies += [d.body for d in layer.output_definitions() + layer.intermediate_definitions()]
    symbols = set(layer.size_symbols())
    largest = 0

    def integers(args):
        return [abs(int(a)) for a in args if isinstance(a, Integer)]

    for body in bodies:
        for node in sympify(body).atoms(KroneckerDelta, Min, Max, Relational, Indexed):
            largest = max([largest, *integers(node.args if not isinstance(node, Indexed) else node.indices)])
        for node in sympify(body).atoms(Sum):
            largest = max([largest, *integers(v for limit in node.limits for v in limit[1:])])
        for node in sympify(body).find(Add):
            if node.free_symbols & symbols or any(getattr(a, "is_integer", False) and a.is_Symbol
                                                   for a in node.free_symbols):
                largest = max([largest, *integers(node.args)])
    return largest


def second_sizes(layer: Layer, first: dict) -> dict | None:
    """A second assignment: every size >= 2 and above ``index_constants``, all distinct, EVERY size different
    from its value in ``first``
    (a claim wrong only where one size grows is not passed by keeping that size: attack5 1b), every dimension
    positive; the integers s, s + 1, ... in the order of the sizes' values in ``first``, for the least s >= 2
    that changes every size, then pairs exchanged while the cost drops. None when no such assignment keeps
    every dimension positive."""
    order = sorted(first, key=lambda symbol: first[symbol])  # stable: ties keep the layer's order

    def changes_every_size(candidate: dict) -> bool:
        return all(candidate[symbol] != first[symbol] for symbol in first)

    shift = max(2, index_constants(layer) + 1)
    while not changes_every_size(start := {symbol: shift + n for n, symbol in enumerate(order)}):
        shift += 1
    best = start if _valid(layer, start) else None
    best_cost = cost(layer, best) if best else None
    improved = True
    while improved:
        improved = False
        for a, b in itertools.combinations(order, 2):
            candidate = dict(best or start)
            candidate[a], candidate[b] = candidate[b], candidate[a]
            if not changes_every_size(candidate) or not _valid(layer, candidate):
                continue
            candidate_cost = cost(layer, candidate)
            if best is None or candidate_cost < best_cost:
                best, best_cost, improved = candidate, candidate_cost, True
    return None if best is None else {symbol: best[symbol] for symbol in first}


@dataclass(frozen=True)
class SecondCheck:
    """The exact check at the second sizes: ``holds`` True/False, or None (not run: ``detail`` says why)."""

    sizes: dict | None
    holds: bool | None
    detail: str
    mismatch: object = None
    route: str = "written out"
    """As ``ClaimVerdict.route``: "written out" (exact) or "program" (at random integer points)."""


@dataclass(frozen=True)
class SettledVerdict(ClaimVerdict):
    """A ``ClaimVerdict`` with the check at the second sizes (``second``, None when it was not needed: the
    general verdict decided, or the claim refuted at the first sizes). ``holds`` is True only when the claim
    holds at the first sizes and either for general sizes (``proved_for_every_size``) or exactly at the
    second sizes (``held_at_two_sizes``: evidence, not a proof for every size; the CLI's answer line says
    which, and exits 0 for both). A plain ``ClaimVerdict.holds`` is True only for the proof."""

    second: SecondCheck | None = None

    @property
    def holds(self) -> bool | None:
        if self.concrete is False or self.general.holds is False:
            return False
        if self.concrete is not True:
            return None
        if self.general.holds is True or (self.second is not None and self.second.holds is True):
            return True
        return None

    @property
    def proved_for_every_size(self) -> bool:
        """An index-notation proof for every size (and the claim holds at the check sizes)."""
        return self.concrete is True and self.general.holds is True

    @property
    def held_at_two_sizes(self) -> bool:
        """Not proved in general, but exact at the check sizes and at the second sizes."""
        return (self.concrete is True and self.general.holds is None and self.second is not None
                and self.second.holds is True)


def _concrete_results(layer: Layer, gradients, names: list[str], seed: int) -> dict:
    """name -> (holds, detail, mismatch) of each named claim at the sizes of ``gradients`` (as ``verify_claims``)."""
    if isinstance(gradients, LayerGraph):
        found = schwartz_zippel(gradients, names, seed=seed)
        return {name: (v.holds, v.detail, v.mismatch) for name, v in found.items()}
    results = {}
    variables = dict(layer.variables())
    for name in names:
        key, body = layer.claim_of(variables[name])
        indices = [index for index, _ in gradients.entries[name]]
        values = [written_out(layer, body.xreplace(dict(zip(key, index))), gradients.sizes) for index in indices]
        results[name] = compare_concrete(name, gradients.derived[name], values, indices, seed=seed)
    return results


def settle(layer: Layer, verdicts: list, *, seed: int = 0) -> list[SettledVerdict]:
    """Each verdict as a ``SettledVerdict``; a claim that holds at its sizes while its general verdict is not
    decided is checked exactly at ``second_sizes`` (within ``MAX_OPERATIONS``): refuted there, its general
    verdict becomes "refuted by a concrete counterexample" at those sizes."""
    pending = [v.name for v in verdicts if v.concrete is True and v.general.holds is None
                 and getattr(v, "second", None) is None]
    second = None
    if pending:
        first = dict(verdicts[0].sizes)
        sizes = second_sizes(layer, first)
        if sizes is None:
            second = {name: SecondCheck(None, None, "no second sizes: with every size >= 2 and all distinct, some "
                                                    "dimension is not a positive integer") for name in pending}
        elif cost(layer, sizes) > MAX_OPERATIONS:
            second = {name: SecondCheck(sizes, None, f"not checked at sizes {sizes_text(sizes)}: about "
                                                     f"{cost(layer, sizes)} operations, above MAX_OPERATIONS = "
                                                     f"{MAX_OPERATIONS}") for name in pending}
        else:
            derivation = concrete_derivation(layer, sizes)
            route = "program" if isinstance(derivation, LayerGraph) else "written out"
            results = _concrete_results(layer, derivation, pending, seed)
            second = {name: SecondCheck(sizes, *results[name], route=route) for name in pending}
    settled = []
    for verdict in verdicts:
        fields = {f.name: getattr(verdict, f.name) for f in dataclasses.fields(ClaimVerdict)}
        check = (second or {}).get(verdict.name, getattr(verdict, "second", None))
        if check is not None and check.holds is False:
            fields["general"] = refute(verdict.general, f"sizes {sizes_text(check.sizes)}, {check.detail}")
        settled.append(SettledVerdict(**fields, second=check))
    return settled
