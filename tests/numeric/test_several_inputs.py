"""Checkers accept a layer with several inputs, y = f(x1, x2), and name every gradient they covered
(issue 16 item 4). The layer here is the bilinear form y_nk = sum_ij x1_ni W_kij x2_nj + b_k."""

import numpy as np
import pytest

from gradproof.numeric.gradcheck import METHODS, check_layer, check_layer_projections


class Bilinear:
    def __init__(self, rng, wrong_second_input=False):
        self.params = {"weight": rng.standard_normal((3, 4, 2)), "bias": rng.standard_normal(3)}
        self.grads = {}
        self.wrong_second_input = wrong_second_input

    def forward(self, x1, x2):
        self._inputs = (x1, x2)
        return np.einsum("ni,kij,nj->nk", x1, self.params["weight"], x2) + self.params["bias"]

    def backward(self, grad_output):
        x1, x2 = self._inputs
        weight = self.params["weight"]
        self.grads = {"weight": np.einsum("nk,ni,nj->kij", grad_output, x1, x2), "bias": grad_output.sum(axis=0)}
        grad_x2 = np.einsum("nk,ni,kij->nj", grad_output, x1, weight)
        return np.einsum("nk,kij,nj->ni", grad_output, weight, x2), 1.0001 * grad_x2 if self.wrong_second_input else grad_x2


def _inputs(rng):
    return rng.standard_normal((5, 4)), rng.standard_normal((5, 2))


@pytest.mark.parametrize("method", METHODS)
def test_check_layer_covers_each_input_and_each_parameter(method):
    rng = np.random.default_rng(0)
    reports = check_layer(Bilinear(rng), _inputs(rng), rng=rng, method=method)
    assert [r.wrt for r in reports] == ["input[0]", "input[1]", "weight", "bias"]
    assert all(r.passed for r in reports), [r.row() for r in reports]


@pytest.mark.parametrize("method", METHODS)
def test_a_wrong_gradient_of_the_second_input_is_caught_and_named(method):
    rng = np.random.default_rng(1)
    reports = {r.wrt: r for r in check_layer(Bilinear(rng, wrong_second_input=True), _inputs(rng), rng=rng,
                                            method=method)}
    assert not reports["input[1]"].passed and reports["input[0]"].passed


def test_projections_cover_each_input_and_each_parameter():
    rng = np.random.default_rng(2)
    report = check_layer_projections(Bilinear(rng), _inputs(rng), rng=rng)
    assert report.passed and all(name in report.name for name in ("input[0]", "input[1]", "weight", "bias"))
    assert not check_layer_projections(Bilinear(rng, wrong_second_input=True), _inputs(rng), rng=rng).passed


def test_a_backward_returning_one_array_for_two_inputs_is_a_clear_error():
    rng = np.random.default_rng(3)
    layer = Bilinear(rng)
    honest = layer.backward
    layer.backward = lambda g: honest(g)[0]
    with pytest.raises(ValueError, match=r"check_layer: backward must return one gradient per input \(2\), got one"):
        check_layer(layer, _inputs(rng), rng=rng)


def test_an_empty_tuple_of_inputs_is_a_clear_error():
    with pytest.raises(ValueError, match="non-empty tuple of arrays"):
        check_layer(Bilinear(np.random.default_rng(4)), (), rng=np.random.default_rng(4))
