"""``CheckerContractError`` (issue 16 trust item 7): the layer under check broke the checker's contract (an
in-place write, a wrong number or shape of gradients, missing grads). Library callers can tell it from a
MISMATCH report and from their own bad arguments, and ``except ValueError`` still catches it."""

from __future__ import annotations

import numpy as np
import pytest

from gradproof.numeric.gradcheck import ArgumentModified, CheckerContractError, check_layer


class _Linear:
    def __init__(self, mutate=False, shape_bug=False):
        rng = np.random.default_rng(0)
        self.params = {"weight": rng.standard_normal((3, 4)), "bias": rng.standard_normal(3)}
        self.grads, self.mutate, self.shape_bug = {}, mutate, shape_bug

    def forward(self, x):
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, g):
        if self.mutate:
            g[...] = 0.0  # attack3 1a: clobbers the caller's array
        self.grads = {"weight": g.T @ self.x, "bias": g.sum(0)}
        dx = g @ self.params["weight"]
        return dx[:, :-1] if self.shape_bug else dx


def _check(layer):
    return check_layer(layer, np.random.default_rng(1).standard_normal((5, 4)), rng=np.random.default_rng(2))


def test_an_in_place_write_is_a_contract_error_and_still_a_value_error():
    with pytest.raises(CheckerContractError, match="backward modified its argument g in place") as caught:
        _check(_Linear(mutate=True))
    assert isinstance(caught.value, ArgumentModified) and isinstance(caught.value, ValueError)


def test_a_gradient_of_the_wrong_shape_is_a_contract_error():
    with pytest.raises(CheckerContractError, match=r"must have its shape \(5, 4\), got \(5, 3\)"):
        _check(_Linear(shape_bug=True))


def test_bad_arguments_to_the_checker_are_plain_value_errors():
    with pytest.raises(ValueError) as caught:
        check_layer(_Linear(), (), rng=np.random.default_rng(2))
    assert not isinstance(caught.value, CheckerContractError)


def test_a_right_layer_passes():
    assert all(report.passed for report in _check(_Linear()))
