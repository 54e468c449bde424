"""Issue 16, trust items: a claim right only at its check sizes is not "holds" from Python, and claims
wrong only at a kink (relu'(0) = 1) are refuted at a boundary point under the description's convention."""

from sympy import Heaviside, Max, Piecewise, Rational

from gradproof.symbolic.layers.description import Layer, Sum, indices, relu, sizes, step, tensor
from gradproof.symbolic.layers.gradients import compare_concrete, verify_claims
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


def _one(claim, output=None, at=3):
    made = Layer("relu", inputs=(x,), outputs={y[i]: output if output is not None else relu(x[i])}, upstream={y: g},
                 claims={x[i]: claim}, at={N: at})
    (verdict,) = verify_claims(made)
    return verdict


def test_relu_prime_0_claimed_1_is_refuted_at_the_kink_under_the_descriptions_convention():
    # attack3 w09: relu'(0) = 1 claimed; at every random point the two agree, at x[1] = 0 they do not
    verdict = _one(Piecewise((g[i], x[i] >= 0), (0, True)))
    assert verdict.concrete is False and verdict.general.holds is False
    point = {str(k): v for k, v in verdict.mismatch.point.items()}
    assert point["x[1]"] == 0 and "a kink" in verdict.detail
    derived, claimed = verdict.mismatch.values
    assert derived == 0 and claimed == point["g[1]"] != 0  # relu'(0) = 0 (the description), claimed 1


def test_the_right_convention_at_the_kink_still_holds():
    verdict = _one(g[i] * step(x[i]))
    assert verdict.concrete is True
    # the same convention written as a Piecewise that does not cancel against the derived form: the two case
    # splits folded into one are equal in every case (attack5: it ended "not decided")
    verdict = _one(Piecewise((g[i], x[i] > 0), (0, True)))
    assert verdict.concrete is True and verdict.general.holds is True


def test_an_unstated_convention_is_not_decided_never_refuted():
    # attack3 w16: Max(x, 0) has no stated convention at 0 (SymPy's Heaviside(0) = 1/2); relu'(0) = 0 claimed
    verdict = _one(g[i] * step(x[i]), output=Max(x[i], 0))
    assert verdict.concrete is None and "does not state" in verdict.detail
    # and a claim right for SOME value of Heaviside(0) in [0, 1] is not refuted either
    verdict = _one(Piecewise((g[i], x[i] >= 0), (0, True)), output=Max(x[i], 0))
    assert verdict.concrete is None


def test_an_unstated_convention_wrong_for_every_value_is_refuted():
    verdict = _one(Piecewise((2 * g[i], x[i] >= 0), (0, True)) - Piecewise((g[i], x[i] > 0), (0, True)),
                   output=Max(x[i], 0))
    assert verdict.concrete is False and "every value Heaviside(0) could take" in verdict.detail


def test_a_later_entry_is_tried_when_the_first_is_not_decided():
    # entry 1 differs only through Heaviside(0) (not decided), entry 2 by relu'(0) = 1 (refuted)
    derived = [Heaviside(x[1]) * g[1], Piecewise((g[2], x[2] > 0), (0, True))]
    claimed = [Piecewise((g[1], x[1] > 0), (0, True)), Piecewise((g[2], x[2] >= 0), (0, True))]
    holds, detail, mismatch = compare_concrete("x", derived, claimed, [(1,), (2,)])
    assert holds is False and mismatch.index == (2,)
    assert Rational(0) == mismatch.point["x[2]"]
