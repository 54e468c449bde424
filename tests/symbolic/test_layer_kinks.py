"""Issue 16, trust items: a claim right only at its check sizes is not "holds" from Python, and claims
wrong only at a kink (relu'(0) = 1) are refuted at a boundary point under the description's convention."""


from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor
from gradproof.symbolic.layers.gradients import verify_claims
from gradproof.symbolic.layers.second_sizes import settle

(N,) = sizes("N")
i, j = indices("i j")
x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)


def test_a_claim_right_only_at_its_sizes_is_not_decided_from_python():
    # attack3 w02: the missing transpose at N = 1 is exact there; the general verdict is not decided
    W = tensor("W", N, N)
    made = Layer("lin", inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))}, upstream={y: g},
                 claims={x[j]: Sum(W[j, i] * g[i], (i, N))}, at={N: 1})
    (verdict,) = verify_claims(made)
    assert verdict.concrete is True and verdict.holds_at_sizes is True
    assert verdict.general.holds is None
    assert verdict.holds is None  # was True: a bare True for a false claim
    (settled,) = settle(made, [verdict])
    assert settled.holds is False and not settled.proved_for_every_size and not settled.held_at_two_sizes


def test_a_proved_claim_holds_and_says_so():
    W = tensor("W", N, N)
    made = Layer("lin", inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))}, upstream={y: g},
                 claims={x[j]: Sum(W[i, j] * g[i], (i, N))}, at={N: 2})
    (verdict,) = verify_claims(made)
    assert verdict.holds is True and verdict.general.holds is True
    (settled,) = settle(made, [verdict])
    assert settled.holds is True and settled.proved_for_every_size and settled.second is None
