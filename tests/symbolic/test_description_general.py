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
from gradproof.symbolic.layers.indicators import nonnegative


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
    if description.loss:  # the sum over the loss's one-entry output, a named step
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


def test_tidy_applies_only_exact_identities():
    G, S = IndexedBase("G"), IndexedBase("S")
    k, n = Symbol("k", integer=True), Symbol("n", integer=True, positive=True)
    assert tidy(Sum(G[k], (k, 1, 1))) == G[1]
    assert tidy(Sum(G[k], (k, 1, n))) == Sum(G[k], (k, 1, n))  # not a one-entry range
    assert tidy(Piecewise((G[k], S[k] > 0), (0, True))) == G[k] * indicator(S[k])
    assert tidy(Piecewise((G[k], S[k] >= 0), (0, True))) == G[k] * nonnegative(S[k])
    assert tidy(Piecewise((G[k], S[k] != 0), (0, True))) == Piecewise((G[k], S[k] != 0), (0, True))  # kept
    p = Symbol("p", integer=True)
    assert tidy(nonnegative(p - 1), {p: (1, n)}) == 1 and tidy(nonnegative(n - p), {p: (1, n)}) == 1
    assert tidy(nonnegative(p - 2), {p: (1, n)}) == nonnegative(p - 2)  # p = 1 is in range: not always 1
    assert tidy(nonnegative(n - 1 - p), {p: (1, n)}) == nonnegative(n - 1 - p)
    assert tidy(Piecewise((G[k], S[k] > 0), (1, True))) == Piecewise((G[k], S[k] > 0), (1, True))  # not 0 outside


# --- pooling and Conv2d: zero padding and index equality as factors ([h >= 0], Kronecker deltas) -------------

def _conv_wrong(key, body):
    """dX with the kernel flipped: W[o, c, K_h + 1 - u, K_w + 1 - v] instead of W[o, c, u, v]."""
    W = builtin.conv2d(1, 0, 1).operands["weight"]
    o, c, u, v = (Symbol(n, integer=True) for n in "ocuv")
    Kh, Kw = (Symbol(n, integer=True, positive=True) for n in ("K_h", "K_w"))
    return body.xreplace({W[o, c, u, v]: W[o, c, Kh + 1 - u, Kw + 1 - v]})


def _one_claim(description, name, make_claim):
    layer = description.layer
    variable = dict(layer.variables())[name]
    claims = {key: (make_claim(key, body) if (getattr(key, "base", key) == variable) else body)
              for key, body in layer.claims.items()}
    return dataclasses.replace(layer, claims=claims), variable


GEOMETRIES = [builtin.avgpool2d(2, 2, 0), builtin.maxpool2d(2, 2, 0), builtin.avgpool2d(3, 2, 1),
              builtin.conv2d(1, 0, 1), builtin.conv2d(2, 1, 2)]


@pytest.mark.parametrize("description", GEOMETRIES, ids=lambda b: b.layer.name)
def test_pooling_and_conv2d_claims_hold_for_every_size(description):
    layer = description.layer
    for name, variable in layer.variables():
        if layer.claim_of(variable) is not None:
            assert general_verdict(layer, name, variable).holds is True, name


WRONG_GEOMETRY = {
    "avgpool: missing 1/k^2": (builtin.avgpool2d(2, 2, 0), "X", lambda key, body: body * 4),
    "avgpool padded: window shifted by one": (
        builtin.avgpool2d(3, 2, 1), "X", lambda key, body: body.xreplace({key.indices[2]: key.indices[2] + 1})),
    "maxpool: selection of the transposed tap": (
        builtin.maxpool2d(2, 2, 0), "X",
        lambda key, body: body.replace(lambda e: getattr(e, "base", None) == builtin.maxpool2d(2, 2, 0).operands[
            "selection"], lambda e: e.base[tuple(e.indices[:4]) + (e.indices[5], e.indices[4])])),
    "conv2d: flipped kernel in dX": (builtin.conv2d(1, 0, 1), "X", _conv_wrong),
    "conv2d padded: dW without the padding": (
        builtin.conv2d(2, 1, 2), "W",
        lambda key, body: body.replace(lambda e: isinstance(e, Piecewise), lambda e: e.args[0].expr)),
}


@pytest.mark.parametrize("name", sorted(WRONG_GEOMETRY))
def test_a_wrong_pooling_or_conv2d_claim_is_refused_and_never_holds(name):
    description, variable_name, make_claim = WRONG_GEOMETRY[name]
    layer, variable = _one_claim(description, variable_name, make_claim)
    assert general_verdict(layer, variable_name, variable).holds is not True
    verdicts = {v.name: v for v in verify_claims(layer)}
    assert verdicts[variable_name].concrete is False and verdicts[variable_name].general.holds is False
