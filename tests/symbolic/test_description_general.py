"""Issue 16 item 6, step 1: the description engine decides the built-in losses' and ReLU's general-size claims.

Their normal forms differed only by two identities the engine now applies (``gradients.tidy``): a sum over a
one-entry range (a loss's output xi[1], whose upstream factor is G_xi[1]) is its term, and "f if c, else 0"
is f times the indicator of c (ReLU's derivative, step(s_pq)). Each true claim now holds for every size; a
wrong one (a missing factor 2, a transposed index, a missing 1/N) is refused at the check sizes with a
counterexample and is never "holds" for general sizes. Seed 002 (2(z - y), (4)); PyTorch's cross_entropy.
"""

import dataclasses

import pytest
from sympy import IndexedBase, Piecewise, Sum, Symbol

from gradproof.symbolic.engine.functions import indicator
from gradproof.symbolic.layers import builtin
from gradproof.symbolic.layers.description import step
from gradproof.symbolic.layers.gradients import ONE_TERM_AND_INDICATOR, general_verdict, tidy, verify_claims


def _with_claim(description, make_claim):
    """The description's layer with its one claim replaced by ``make_claim(key, body)``."""
    layer = description.layer
    ((key, body),) = layer.claims.items()
    return dataclasses.replace(layer, claims={key: make_claim(key, body)})


def _p(key):
    return tuple(key.indices)


WRONG = {
    "squared_loss: missing factor 2": (builtin.SQUARED_LOSS, lambda key, body: body / 2),
    "relu: transposed index of G": (
        builtin.RELU, lambda key, body: IndexedBase("G")[_p(key)[::-1]] * step(key.base[_p(key)])),
    "relu: mask of the wrong entry": (
        builtin.RELU, lambda key, body: IndexedBase("G")[_p(key)] * step(key.base[_p(key)[::-1]])),
    "cross_entropy: missing 1/N": (builtin.CROSS_ENTROPY, lambda key, body: body * Symbol("B", integer=True,
                                                                                               positive=True)),
}


@pytest.mark.parametrize("description", [builtin.RELU, builtin.SQUARED_LOSS, builtin.CROSS_ENTROPY],
                         ids=lambda b: b.layer.name)
def test_the_true_claims_now_hold_for_every_size(description):
    (verdict,) = verify_claims(description.layer)
    assert verdict.concrete is True
    assert verdict.general.holds is True, verdict.general.reason
    assert ONE_TERM_AND_INDICATOR in [why for _, why in verdict.general.left_steps]


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_claim_is_refused_with_a_counterexample_and_never_holds(name):
    description, make_claim = WRONG[name]
    layer = _with_claim(description, make_claim)
    (variable, _), = [(v, n) for n, v in layer.variables() if layer.claim_of(v) is not None]
    assert general_verdict(layer, str(variable.label), variable).holds is not True
    (verdict,) = verify_claims(layer)
    assert verdict.concrete is False and verdict.general.holds is False
    assert "refuted by a concrete counterexample" in verdict.general.reason


def test_tidy_applies_only_the_two_identities():
    G, S = IndexedBase("G"), IndexedBase("S")
    k, n = Symbol("k", integer=True), Symbol("n", integer=True, positive=True)
    assert tidy(Sum(G[k], (k, 1, 1))) == G[1]
    assert tidy(Sum(G[k], (k, 1, n))) == Sum(G[k], (k, 1, n))  # not a one-entry range
    assert tidy(Piecewise((G[k], S[k] > 0), (0, True))) == G[k] * indicator(S[k])
    assert tidy(Piecewise((G[k], S[k] >= 0), (0, True))) == Piecewise((G[k], S[k] >= 0), (0, True))  # kept
    assert tidy(Piecewise((G[k], S[k] > 0), (1, True))) == Piecewise((G[k], S[k] > 0), (1, True))  # not 0 outside
