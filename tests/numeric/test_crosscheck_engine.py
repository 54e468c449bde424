"""The cross-check engine (issue 6): methods, sensitivity to small systematic and single-entry
errors, and kinks reported as kinks rather than as failures."""

import numpy as np
import pytest

from gradproof.numeric import Linear, MaxPool2d, ReLU, check_layer
from gradproof.numeric.gradcheck import check_layer_projections, numeric_gradient


class ScaledBackward(Linear):
    """A backward off by a factor 1 + 1e-6 everywhere: the systematic error gradcheck's defaults miss."""

    def backward(self, grad_output):
        grad_input = super().backward(grad_output) * (1 + 1e-6)
        self.grads = {key: value * (1 + 1e-6) for key, value in self.grads.items()}
        return grad_input


class OneWrongEntry(Linear):
    """A 64 x 64 weight gradient (4096 entries) with entry (10, 20) off by 1e-5 relative."""

    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.grads["weight"][10, 20] *= 1 + 1e-5
        return grad_input


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_every_method_accepts_a_correct_backward(method):
    rng = np.random.default_rng(0)
    reports = check_layer(Linear(4, 3, rng=rng), rng.standard_normal((2, 4)), rng=rng, method=method)
    assert [(r.wrt, r.evaluations > 0) for r in reports] == [("input", True), ("weight", True), ("bias", True)]
    assert all(r.passed for r in reports), [r.row() for r in reports]


def test_method_accuracy_orders_as_expected_and_stays_within_the_stated_error():
    rng = np.random.default_rng(1)
    def f(v):
        return np.sum(np.sin(v) * np.exp(v))
    x = rng.standard_normal(5)
    exact = np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x)
    results = {m: numeric_gradient(f, x, method=m) for m in ("central", "richardson", "complex")}
    errors = {m: np.abs(gradient - exact).max() for m, (gradient, _, _) in results.items()}
    assert errors["complex"] < 1e-14 < errors["richardson"] < errors["central"] and errors["central"] < 1e-8
    for gradient, _, allowed in results.values():
        assert np.all(np.abs(gradient - exact) <= allowed)


@pytest.mark.parametrize("method", ["richardson", "complex"])
def test_a_backward_scaled_by_one_plus_1e6_is_caught(method):
    rng = np.random.default_rng(2)
    reports = check_layer(ScaledBackward(4, 3, rng=rng), rng.standard_normal((2, 4)), rng=rng, method=method)
    assert not any(r.passed for r in reports)


def test_central_differences_say_when_an_error_is_below_what_they_can_see():
    rng = np.random.default_rng(2)
    reports = check_layer(ScaledBackward(4, 3, rng=rng), rng.standard_normal((2, 4)), rng=rng, method="central")
    for report in reports:  # either caught, or the "ok" states a resolution coarser than the 1e-6 error
        assert not report.passed or report.resolution > 1e-6 * 1e-2, report.row()
        assert "could not see below" in report.row()[-1]


def test_random_projections_catch_the_scaled_backward():
    rng = np.random.default_rng(3)
    assert check_layer_projections(Linear(5, 4, rng=rng), rng.standard_normal((3, 5)), rng=rng).passed
    assert not check_layer_projections(ScaledBackward(5, 4, rng=rng), rng.standard_normal((3, 5)), rng=rng).passed


def test_a_single_wrong_entry_of_4096_is_caught_and_located():
    rng = np.random.default_rng(4)
    reports = {r.name: r for r in check_layer(OneWrongEntry(64, 64, rng=rng), rng.standard_normal((2, 64)),
                                              rng=rng, method="complex")}
    weight = reports["OneWrongEntry d/dweight"]
    assert weight.evaluations == 4096 and not weight.passed and weight.worst_index == (10, 20)
    assert reports["OneWrongEntry d/dbias"].passed


def test_relu_at_its_kink_is_reported_as_a_kink_not_a_failure():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.0, (2, 4)) * rng.choice([-1.0, 1.0], (2, 4))
    x[0, 1] = 0.0
    (report,) = check_layer(ReLU(), x, rng=rng)
    assert report.passed and report.kinks == 1 and "at a kink" in report.row()[-1]
    assert report.kink_entries[0][0] == (0, 1)


def test_a_max_pool_tie_is_a_kink_too():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 1, 2, 4))
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = x[0, 0, :, :2].max() + 1.0
    (report,) = check_layer(MaxPool2d(2), x, rng=rng)
    assert report.passed and report.kinks >= 1


class WrongAtOneEntry(ReLU):
    """ReLU whose backward is 10% off at entry (1, 3)."""

    def backward(self, grad_output):
        grad_input = super().backward(grad_output).copy()
        grad_input[1, 3] *= 1.1
        return grad_input


def test_a_kink_does_not_hide_a_wrong_gradient_elsewhere():
    rng = np.random.default_rng(7)
    x = rng.uniform(0.5, 1.0, (2, 4))
    x[0, 1] = 0.0
    (report,) = check_layer(WrongAtOneEntry(), x, rng=rng)
    assert report.kinks == 1 and not report.passed and report.worst_index == (1, 3)
