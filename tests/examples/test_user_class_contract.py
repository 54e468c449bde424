"""``gradproof check FILE.py[:Class]`` on the adversarial classes of attack3 (2026-11-28), as fixtures.

A class gets copies of every array and an in-place write is an error (a wrong class passed "ok" by
zeroing or halving the upstream gradient, or by overwriting its input); a float32 class is compared at
float32 rounding (it was MISMATCH on every line, with "3 at a kink" on a linear layer); a class that
breaks the contract is a one-line ``InvalidInput`` naming what was expected and what came; and the check
of a layer file evaluates its claims (a false claim no longer prints only "ok").
"""

from __future__ import annotations

import numpy as np
import pytest

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer, Sum, exp, indices, sizes, tensor
from gradproof.symbolic.layers.generated import check_generated, check_user_class, generate

M, N = sizes("M N")
i, j = indices("i j")


def linear_layer():
    x, W, y, g = tensor("x", N), tensor("W", M, N), tensor("y", M), tensor("g", M)
    return Layer("lin", inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))},
                 upstream={y: g}, claims={W[i, j]: g[i] * x[j], x[j]: Sum(W[i, j] * g[i], (i, M))},
                 at={M: 3, N: 2})


def softmax_layer():
    z, y, g = tensor("z", N), tensor("y", N), tensor("g", N)
    return Layer("softmax", inputs=(z,), outputs={y[i]: exp(z[i]) / Sum(exp(z[j]), (j, N))}, upstream={y: g},
                 claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))}, at={N: 4})


class Lin:
    """Correct y = W x."""

    def __init__(self):
        self.params = {"W": np.zeros((3, 2))}

    def forward(self, x):
        self.x = x
        return self.params["W"] @ x

    def backward(self, g):
        return {"x": self.params["W"].T @ g, "W": np.outer(g, self.x)}


class ZeroesUpstream(Lin):
    """attack3 c12: WRONG, every gradient 0, and it passed every line."""

    def backward(self, g):
        g[:] = 0.0
        return super().backward(g)


class HalvesUpstream(Lin):
    """attack3 c11: WRONG by a factor 1/2, and it passed every line."""

    def backward(self, g):
        g *= 0.5
        return super().backward(g)


class UpdatesWeight(Lin):
    """Writes to its parameter during forward."""

    def forward(self, x):
        self.params["W"] *= 1.0001
        return super().forward(x)


class SoftmaxAtTheWrongPoint:
    """attack3 c10: WRONG; forward overwrites z with y in place, backward takes softmax of the stored
    (overwritten) array, i.e. the Jacobian at y instead of z; the old check computed its reference there too."""

    def __init__(self):
        self.params = {}

    def forward(self, z):
        self.z = z
        z -= z.max()
        np.exp(z, out=z)
        z /= z.sum()
        return z.copy()

    def backward(self, g):
        s = np.exp(self.z - self.z.max())
        s /= s.sum()
        return {"z": s * g - s * (s * g).sum()}


class SoftmaxInPlace:
    """attack3 c04: the mathematics is right, but forward overwrites the caller's z."""

    def __init__(self):
        self.params = {}

    def forward(self, z):
        z -= z.max()
        np.exp(z, out=z)
        z /= z.sum()
        self.y = z
        return z

    def backward(self, g):
        y = self.y
        return {"z": y * g - y * (y * g).sum()}


@pytest.mark.parametrize("cls", [ZeroesUpstream, HalvesUpstream])
def test_a_backward_writing_to_the_upstream_gradient_is_an_error_naming_it(cls):
    with pytest.raises(InvalidInput, match=f"{cls.__name__}.backward modified its argument g in place"):
        check_user_class(generate(linear_layer()), cls)


def test_a_forward_writing_to_a_parameter_is_an_error_naming_it():
    with pytest.raises(InvalidInput, match="modified its parameter W"):
        check_user_class(generate(linear_layer()), UpdatesWeight)


@pytest.mark.parametrize("cls", [SoftmaxAtTheWrongPoint, SoftmaxInPlace])
def test_a_forward_writing_to_its_input_is_an_error_naming_it(cls):
    with pytest.raises(InvalidInput, match=f"{cls.__name__}.forward modified its argument z in place"):
        check_user_class(generate(softmax_layer()), cls)


def test_a_correct_class_passes_every_line():
    reports = check_user_class(generate(linear_layer()), Lin)
    assert len(reports) == 4 and all(r.passed for r in reports), [r.row() for r in reports]


class Lin32:
    """attack3 c05: correct, computed in float32."""

    error = 0.0

    def __init__(self):
        self.params = {"W": np.zeros((3, 2), dtype=np.float32)}

    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float32)
        return np.asarray(self.params["W"], dtype=np.float32) @ self.x

    def backward(self, g):
        g = np.asarray(g, dtype=np.float32)
        dW = np.outer(g, self.x)
        dW[0, 0] *= np.float32(1 + self.error)
        return {"x": np.asarray(self.params["W"], dtype=np.float32).T @ g, "W": dW}


class Lin32Off(Lin32):
    error = 1e-3


def test_a_correct_float32_class_is_compared_at_float32_rounding_and_passes():
    reports = check_user_class(generate(linear_layer()), Lin32)
    assert all(r.passed for r in reports), [r.row() for r in reports]
    assert all("float32" in r.method and r.kinks == 0 and "kink" not in r.row()[-1] for r in reports)
    assert all(1e-7 < r.resolution < 1e-4 for r in reports), [r.resolution for r in reports]
    assert [r.wrt for r in reports] == ["y", "x", "W"]
    assert [r.name for r in reports] == ["Lin32 forward y (= generated forward)", "Lin32 d/dx (= derived)",
                                         "Lin32 d/dW (= derived)"]


def test_a_float32_class_one_entry_off_by_1e_3_is_a_mismatch():
    reports = {r.name: r for r in check_user_class(generate(linear_layer()), Lin32Off)}
    assert not reports["Lin32Off d/dW (= derived)"].passed
    assert reports["Lin32Off d/dW (= derived)"].worst_index == (0, 0)
    assert reports["Lin32Off d/dx (= derived)"].passed


def scale_layer():
    x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)
    return Layer("a", inputs=(x,), outputs={y[i]: 2 * x[i]}, upstream={y: g}, claims={x[i]: 2 * g[i]}, at={N: 2})


class NeedsArgs:
    def __init__(self, n):
        self.params = {}


class NoParams:
    def forward(self, x):
        return 2 * x

    def backward(self, g):
        return {"x": 2 * g}


class BadShape(NoParams):
    def __init__(self):
        self.params = {}

    def forward(self, x):
        return 2 * x[:1]


class MissingKey(BadShape):
    def forward(self, x):
        return 2 * x

    def backward(self, g):
        return {"input": 2 * g}


class GradShape(MissingKey):
    def backward(self, g):
        return {"x": (2 * g)[:, None]}


class ReturnsNone(MissingKey):
    def backward(self, g):
        return None


class Raises(MissingKey):
    def backward(self, g):
        raise KeyError("oops")


@pytest.mark.parametrize("cls, message", [
    (NeedsArgs, r"NeedsArgs\(\) must be constructible without arguments .*missing 1 required positional argument"),
    (NoParams, "NoParams: expected an attribute params, a dict .*got no attribute params"),
    (BadShape, r"BadShape.forward: output y must have shape \(2,\), got \(1,\)"),
    (MissingKey, r"MissingKey.backward must return a gradient for every input and parameter \['x'\]; missing "
                 r"\['x'\], got keys \['input'\]"),
    (GradShape, r"GradShape.backward: the gradient for x must have shape \(2,\) .*got \(2, 1\)"),
    (ReturnsNone, r"ReturnsNone.backward must return a dict \{name: gradient\} for \['x'\]; got NoneType"),
    (Raises, "Raises.backward raised KeyError: 'oops'"),
])
def test_a_class_breaking_the_contract_is_invalid_input_naming_expected_and_actual(cls, message):
    with pytest.raises(InvalidInput, match=message):
        check_user_class(generate(scale_layer()), cls)


def test_a_negative_seed_is_invalid_input():
    generated = generate(scale_layer())
    for check in (check_generated, lambda g, seed: check_user_class(g, MissingKey, seed=seed)):
        with pytest.raises(InvalidInput, match="--seed: expected an integer >= 0, got -1"):
            check(generated, seed=-1)


def square_layer(claim):
    x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)
    return Layer("sq", inputs=(x,), outputs={y[i]: x[i] ** 2}, upstream={y: g}, claims={x[i]: claim(x, g)},
                 at={N: 3})


def test_checking_a_layer_file_evaluates_its_claims():
    """attack3 w03: the claim g x for y = x^2 (the 2 missing) printed only 'ok' under gradproof check."""
    wrong = {r.name: r for r in check_generated(generate(square_layer(lambda x, g: g[i] * x[i])))}
    assert wrong["sq d/dx (generated)"].passed
    assert not wrong["sq d/dx (claim = derived, numeric)"].passed
    assert "MISMATCH" in wrong["sq d/dx (claim = derived, numeric)"].row()[-1]
    right = check_generated(generate(square_layer(lambda x, g: 2 * g[i] * x[i])))
    assert [r.name for r in right] == ["sq d/dx (generated)", "sq d/dx (claim = derived, numeric)"]
    assert all(r.passed for r in right), [r.row() for r in right]
