"""A claim summed over a Kronecker delta is written out term by term (issue 16: SymPy's Sum.doit solved
2 = 2(p - 1) + u for p without asking for an integer, gave g[1] + g[3/2], and refused a true claim)."""

from sympy import KroneckerDelta, Rational

from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor
from gradproof.symbolic.layers.gradients import concrete_derivation, verify_claims

N, = sizes("N")
p, u, i = indices("p u i")
x, y, G = tensor("x", 2 * N), tensor("y", N), tensor("G", N)


def _pooling(claim_scale):
    """Average pooling of a vector by 2, stride 2; the input gradient claimed through a Kronecker delta."""
    return Layer(
        "avgpool", inputs=(x,), parameters=(),
        outputs={y[p]: Sum(x[2 * (p - 1) + u], (u, 2)) / 2}, upstream={y: G},
        claims={x[i]: Sum(G[p] * KroneckerDelta(i, 2 * (p - 1) + u), (p, N), (u, 2)) * claim_scale},
        at={N: 2})


def test_a_true_claim_through_a_kronecker_delta_holds():
    layer = _pooling(Rational(1, 2))
    (verdict,) = verify_claims(layer, concrete_derivation(layer))
    assert verdict.concrete is True and "3/2" not in verdict.detail


def test_a_wrong_claim_through_a_kronecker_delta_is_refused_at_an_integer_entry():
    layer = _pooling(1)
    (verdict,) = verify_claims(layer, concrete_derivation(layer))
    assert verdict.concrete is False
    assert all("/" not in str(symbol) for symbol in verdict.mismatch.point)

