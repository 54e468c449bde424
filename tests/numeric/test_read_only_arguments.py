"""User code handed to the numeric checks gets copies; an in-place write is an error, never an "ok".

The attack of 2026-11-28 (attack3, finding 1a): a backward that zeroes or halves the upstream gradient in
place made the finite-difference reference use the same zeroed array, so a wrong layer passed with
"ok (could not see below 0.0e+00)". A forward that overwrites its input made the reference be taken at
the wrong point. And an "ok (could not see below 5.4e+02)" (finding 1b) is no verdict at all.
"""

import numpy as np
import pytest

from gradproof.numeric.gradcheck import (
    ArgumentModified,
    check_layer,
    check_layer_projections,
    check_model_with_loss,
    check_objective,
    compare,
    judge,
)
from gradproof.numeric.losses import SquaredLoss


class Affine:
    """y = x W^T + b, a correct backward unless ``bug`` says which argument it writes to."""

    def __init__(self, bug=None):
        rng = np.random.default_rng(0)
        self.params = {"weight": rng.standard_normal((3, 4)), "bias": rng.standard_normal(3)}
        self.grads = {}
        self.bug = bug

    def forward(self, x):
        if self.bug == "input":
            x *= 1.0 + 1e-3  # overwrites the caller's x
        if self.bug == "parameter":
            self.params["weight"] += 1e-3  # updates the caller's parameter during forward
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, grad_output):
        if self.bug == "zero":
            grad_output[...] = 0.0
        if self.bug == "halve":
            grad_output *= 0.5
        self.grads = {"weight": grad_output.T @ self.x, "bias": grad_output.sum(0)}
        return grad_output @ self.params["weight"]


X = np.random.default_rng(1).standard_normal((5, 4))


def test_a_correct_layer_still_passes():
    assert all(r.passed for r in check_layer(Affine(), X, rng=np.random.default_rng(2)))


@pytest.mark.parametrize("bug", ["zero", "halve"])
def test_backward_writing_to_the_upstream_gradient_is_an_error_naming_it(bug):
    with pytest.raises(ArgumentModified, match="Affine.backward modified its argument grad_output in place"):
        check_layer(Affine(bug), X, rng=np.random.default_rng(2))
    with pytest.raises(ArgumentModified, match="backward modified its argument grad_output"):
        check_layer_projections(Affine(bug), X, rng=np.random.default_rng(2))


def test_forward_writing_to_its_input_is_an_error_and_the_caller_keeps_its_x():
    x = X.copy()
    with pytest.raises(ArgumentModified, match="Affine.forward modified its argument x in place"):
        check_layer(Affine("input"), x, rng=np.random.default_rng(2))
    assert np.array_equal(x, X)


def test_forward_updating_a_parameter_is_an_error_naming_the_parameter():
    with pytest.raises(ArgumentModified, match="Affine.forward modified its parameter weight in place"):
        check_layer(Affine("parameter"), X, rng=np.random.default_rng(2))


class OneLayerModel:
    """A model with the Sequential interface (params, grads, forward, backward) around ``Affine``."""

    def __init__(self, bug=None):
        self.layer = Affine(bug)
        self.params = self.layer.params

    @property
    def grads(self):
        return self.layer.grads

    def forward(self, x):
        return self.layer.forward(x)

    def backward(self, g):
        return self.layer.backward(g)


@pytest.mark.parametrize("bug", ["zero", "halve", "input"])
def test_model_checks_report_in_place_writes(bug):
    target = np.random.default_rng(3).standard_normal((5, 3))
    with pytest.raises(ArgumentModified, match="OneLayerModel\\.(backward|forward) modified its argument"):
        check_model_with_loss(OneLayerModel(bug), SquaredLoss(), X, target)
    with pytest.raises(ArgumentModified, match="OneLayerModel\\.(backward|forward) modified its argument"):
        check_objective(OneLayerModel(bug), SquaredLoss(), X, target, regularization=10.0)


def test_model_checks_pass_a_correct_model():
    target = np.random.default_rng(3).standard_normal((5, 3))
    assert all(r.passed for r in check_model_with_loss(OneLayerModel(), SquaredLoss(), X, target))


def test_an_ok_that_could_not_see_the_gradient_itself_is_not_decided():
    # allowed error 10 against a gradient of size 1: an error of 100% would have passed
    report = judge("blind", np.array([1.0, -0.5]), np.array([1.5, -0.5]), np.array([10.0, 10.0]), method="m",
                   evaluations=2)
    status = report.row()[-1]
    assert not report.passed and report.undecided_only, status
    assert status.startswith("NOT DECIDED") and "could not see an error the size of the gradient" in status
    sighted = judge("sighted", np.array([1.0, -0.5]), np.array([1.0, -0.5]), np.array([1e-9, 1e-9]), method="m",
                    evaluations=2)
    assert sighted.passed and sighted.row()[-1].startswith("ok"), sighted.row()
    tiny = compare("tiny", np.array([1e-12]), np.array([1e-12]), method="m", evaluations=1)
    assert not tiny.passed and tiny.undecided_only, tiny.row()
