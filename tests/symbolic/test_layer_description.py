"""Layer descriptions: validation of bad input, scalar parameters, rank-3 tensors, ReLU's convention at 0."""

from __future__ import annotations

import pytest

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer, Sum, indices, relu, scalar, sizes, tensor
from gradproof.symbolic.layers.generated import check_generated, generate
from gradproof.symbolic.layers.gradients import concrete_gradients, verify_claims

N, K = sizes("N K")
i, k = indices("i k")
x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)


def test_a_missing_upstream_is_named():
    with pytest.raises(InvalidInput, match="upstream must map output y"):
        Layer("bad", inputs=(x,), outputs={y[i]: x[i]}, at={N: 2})


def test_a_missing_size_is_named():
    with pytest.raises(InvalidInput, match=r"missing or bad: \['N'\]"):
        Layer("bad", inputs=(x,), outputs={y[i]: x[i]}, upstream={y: g})


def test_a_claim_on_an_unknown_tensor_is_refused():
    w = tensor("w", N)
    with pytest.raises(InvalidInput, match="claim's key"):
        Layer("bad", inputs=(x,), outputs={y[i]: x[i]}, upstream={y: g}, claims={w[i]: g[i]}, at={N: 2})


def test_a_scalar_parameter_gradient_is_a_sum():
    alpha = scalar("alpha")
    layer = Layer("scale", inputs=(x,), parameters=(alpha,), outputs={y[i]: alpha * x[i] ** 2}, upstream={y: g},
                  claims={alpha: Sum(g[i] * x[i] ** 2, (i, N)), x[i]: 2 * alpha * x[i] * g[i]}, at={N: 3})
    verdicts = {v.name: v for v in verify_claims(layer)}
    assert verdicts["alpha"].concrete is True and verdicts["x"].general.holds is True


def test_a_wrong_scalar_claim_is_refuted():
    alpha = scalar("alpha")
    layer = Layer("scale", inputs=(x,), parameters=(alpha,), outputs={y[i]: alpha * x[i] ** 2}, upstream={y: g},
                  claims={alpha: Sum(g[i] * x[i], (i, N))}, at={N: 3})
    (verdict,) = verify_claims(layer)
    assert verdict.concrete is False and verdict.general.holds is False


def test_relu_derivative_is_zero_at_zero():
    layer = Layer("relu", inputs=(x,), outputs={y[i]: relu(x[i])}, upstream={y: g}, at={N: 2})
    derived = concrete_gradients(layer).derived["x"][0]
    x1 = x.subs({N: 2})[1]
    assert derived.subs({x1: 1}) != 0
    assert derived.subs({x1: 0}) == 0


def test_generated_backward_passes_finite_differences_for_a_rank3_weight():
    M = sizes("M")[0]
    j = indices("j")[0]
    W, z, h = tensor("W", K, N, M), tensor("z", K), tensor("h", K)
    v = tensor("v", M)
    layer = Layer("tri", inputs=(x, v), parameters=(W,),
                  outputs={z[k]: Sum(W[k, i, j] * x[i] * v[j], (i, N), (j, M))}, upstream={z: h},
                  at={N: 2, M: 3, K: 2})
    reports = check_generated(generate(layer))
    assert [r.wrt for r in reports] == ["x", "v", "W"] and all(r.passed for r in reports)


def test_a_user_class_off_by_1e_8_relative_is_caught():
    """Both sides are float64 evaluations of the same formulas: a 1e-8 relative error is far above rounding."""
    import importlib.util
    import pathlib

    from gradproof.symbolic.layers.generated import check_user_class
    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "bilinear.py"
    spec = importlib.util.spec_from_file_location("bilinear_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Off(module.Bilinear):
        def backward(self, g):
            grads = super().backward(g)
            return {**grads, "W": grads["W"] * (1 + 1e-8)}

    generated = generate(module.bilinear)
    assert all(r.passed for r in check_user_class(generated, module.Bilinear))
    derived = [r for r in check_user_class(generated, Off) if "= derived" in r.name]
    assert [r.passed for r in derived] == [True, True, False, True]
