"""Layer descriptions that must be refused, and claims right only at their check sizes (adversarial report
attack3, items 1c, 1d, 4a, 4c): each test fails on the engine before this fix."""

from __future__ import annotations

import pytest
from sympy import Rational

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer, Sum, indices, padded, sizes, tensor
from gradproof.symbolic.layers.gradients import concrete_derivation, verify_claims
from gradproof.symbolic.layers.second_sizes import MAX_OPERATIONS, check_cost, second_sizes, settle

(N,) = sizes("N")
i, j = indices("i j")
x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)


def layer(**changes):
    arguments = dict(inputs=(x,), outputs={y[i]: 2 * x[i]}, upstream={y: g}, at={N: 2})
    arguments.update(changes)
    return Layer("a", **arguments)


def test_two_claims_for_one_variable_are_refused_naming_both():
    # attack3 b28: the second (false) claim was silently dropped and the file "held"
    with pytest.raises(InvalidInput, match=r"two claims for x \(x\[i\], x\[j\]\)"):
        layer(outputs={y[i]: x[i] ** 2}, claims={x[i]: 2 * x[i] * g[i], x[j]: 3 * g[j]})


@pytest.mark.parametrize(("changes", "expected"), [
    ({"claims": {x[i]: 2 * g[j]}}, r"claim for x\[i\]: index j is free on the right but not on the left"),
    ({"claims": {x: 2 * g[i]}}, r"a tensor's claim key must be an entry such as x\[i\], got the tensor x"),
    ({"outputs": {y[i]: 2 * x[j]}}, r"output y\[i\]: index j is free on the right but not on the left"),
    ({"outputs": {y[i]: 2 * x[i + 1]}}, r"x\[i \+ 1\] leaves 1..N .*i \+ 1 runs over 2..3.*use padded\(x, ...\)"),
    ({"upstream": {y: x}}, "upstream of y: expected a new tensor G = dL/dy, got x, which is an input"),
    ({"outputs": {x[i]: 2 * x[i]}, "upstream": {x: g}}, r"outputs entry x\[i\]: expected a new tensor, got x"),
    ({"claims": {x[i]: 0.3333333333333333 * g[i]}}, r"floating-point number 0.3333333333333333 .*Rational\(1, 3\)"),
    ({"outputs": {y[i]: 0.1 * x[i]}}, r"output y\[i\]: .*0.1 .*Rational\(1, 10\)"),
], ids=["free-index", "tensor-key", "unbound-output-index", "offset-out-of-range",
        "input-as-upstream", "output-is-input", "float-claim", "float-equation"])
def test_malformed_descriptions_are_refused(changes, expected):
    with pytest.raises(InvalidInput, match=expected):
        layer(**changes)


def test_padding_and_exact_constants_are_accepted():
    made = layer(outputs={y[i]: Rational(1, 3) * padded(x, i + 1)}, claims={x[i]: Rational(1, 3) * padded(g, i - 1)})
    (verdict,) = verify_claims(made)
    assert verdict.concrete is True


def test_an_offset_inside_its_range_is_accepted():
    z = tensor("z", N + 1)
    made = Layer("shift", inputs=(z,), outputs={y[i]: z[i + 1] - z[i]}, upstream={y: g}, at={N: 2})
    assert made.outputs


def _settled(made):
    return settle(made, verify_claims(made, concrete_derivation(made)))


def test_a_missing_transpose_right_at_size_1_is_refuted_at_the_second_sizes():
    # attack3 w02: y = W x with square W at N = 1; the claim dx_j = sum_i W_ji g_i (missing transpose)
    W = tensor("W", N, N)
    made = Layer("lin", inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))}, upstream={y: g},
                 claims={x[j]: Sum(W[j, i] * g[i], (i, N))}, at={N: 1})
    (verdict,) = _settled(made)
    assert verdict.concrete is True and verdict.second.sizes == {N: 2} and verdict.second.holds is False
    assert verdict.holds is False and verdict.general.holds is False
    assert "refuted by a concrete counterexample: sizes N = 2" in verdict.general.reason


def test_a_mean_without_1_over_n_right_at_n_1_is_refuted():
    # attack3 w04
    one, h = tensor("one", 1), tensor("h", 1)
    (o,) = indices("o")
    made = Layer("mean", inputs=(x,), outputs={one[o]: Sum(x[j], (j, N)) / N}, upstream={one: h},
                 claims={x[i]: h[1]}, at={N: 1})
    (verdict,) = _settled(made)
    assert verdict.holds is False and verdict.second.sizes == {N: 2}


def test_a_true_claim_not_decided_in_general_holds_at_two_size_assignments():
    K, = sizes("K")
    p, k = indices("p k")
    b, z, G = tensor("b", K), tensor("z", K), tensor("G", K)
    from sympy import KroneckerDelta
    u = tensor("u", K)
    made = Layer("bias", inputs=(z,), parameters=(b,), outputs={u[k]: z[k] + b[k]}, upstream={u: G}, claims={b[p]: Sum(G[k] * KroneckerDelta(k, p), (k, p, K))},
                 at={K: 3})
    (verdict,) = _settled(made)
    # attack3 g03: the index engine leaves a sum starting at p undecided; exact at K = 3 and at K = 2
    assert verdict.general.holds is None and verdict.second.holds is True and verdict.second.sizes == {K: 2}
    assert verdict.holds is True


def test_second_sizes_are_distinct_at_least_2_and_keep_dimensions_positive():
    M, K = sizes("M K")
    w = tensor("w", M, K)
    v = tensor("v", M)
    made = Layer("m", inputs=(w,), outputs={v[i]: Sum(w[i, j], (j, K))}, upstream={v: tensor("h", M)}, at={M: 2, K: 2})
    first = made.concrete_sizes()
    second = second_sizes(made, first)
    # every size changes (attack5 1b: a size kept at its check value hid a claim wrong only where it grows)
    assert sorted(second.values()) == [3, 4] and all(second[size] != first[size] for size in first)


def test_second_sizes_pass_every_integer_the_claims_compare_an_index_or_a_size_with():
    # attack4: right at N = 2 and N = 3, wrong from N = 4 (a delta at 4, (N - 2)(N - 3), Max(N - 3, 0))
    from sympy import KroneckerDelta, Max

    (n,) = sizes("N")
    x_, y_, g_ = tensor("x", n), tensor("y", n), tensor("g", n)
    claims = (2 * g_[i] + KroneckerDelta(i, 4) * g_[i], 2 * g_[i] + (n - 2) * (n - 3) * g_[i],
              2 * g_[i] * (1 + Max(n - 3, 0)))
    for claim in claims:
        made = Layer("ident", inputs=(x_,), outputs={y_[i]: 2 * x_[i]}, upstream={y_: g_}, claims={x_[i]: claim},
                     at={n: 2})
        assert second_sizes(made, made.concrete_sizes())[n] >= 4
        (settled,) = settle(made, verify_claims(made))
        assert settled.holds is False, claim


def test_sizes_above_the_cost_limit_are_refused_up_front():
    made = layer(outputs={y[i]: Sum(x[j], (j, N)) * x[i]}, at={N: 400})
    with pytest.raises(InvalidInput, match=f"N = 400: .*320400 operations.*MAX_OPERATIONS = {MAX_OPERATIONS}"):
        check_cost(made)
