"""Issue 13's "Why", pinned: wrong gradients the old checker passed, right ones it failed, on the
error-model checker (``numeric.gradcheck`` + ``numeric.error_model``)."""

import numpy as np
import pytest

from gradproof.numeric import Linear, MaxPool2d, ReLU, Sequential, SoftmaxCrossEntropy
from gradproof.numeric.gradcheck import (
    check_array,
    check_layer,
    check_layer_projections,
    check_loss,
    check_model_with_loss,
    check_random_projections,
)
from gradproof.numeric.losses import SquaredLoss
from gradproof.numeric.train import digits_cnn

METHODS = ("central", "richardson", "complex")


@pytest.mark.parametrize("method", METHODS)
def test_a_2e_4_error_on_sum_of_sines_is_a_mismatch_not_a_kink(method):
    v = np.random.default_rng(0).uniform(0.2, 1.0, 10)
    report = check_array("sin", lambda a: np.sum(np.sin(a)), v, np.cos(v) * (1 + 2e-4), method=method)
    assert not report.passed and report.kinks == 0 and report.nonsmooth == 0, report.row()


def _scaled_dw_network(seed):
    rng = np.random.default_rng(seed)
    network = Sequential(Linear(4, 6, rng=rng), ReLU(), Linear(6, 3, rng=rng))
    for layer in (network.layers[0], network.layers[2]):
        def backward(grad_output, layer=layer, original=layer.backward):
            result = original(grad_output)
            layer.grads["weight"] = layer.grads["weight"] * (1 + 1e-4)
            return result
        layer.backward = backward
    return network, rng


@pytest.mark.parametrize("method", METHODS)
def test_the_mlp_with_every_dw_scaled_by_1e_4_is_caught_in_all_20_seeds(method):
    for seed in range(20):
        network, rng = _scaled_dw_network(seed)
        reports = check_model_with_loss(network, SquaredLoss(), rng.standard_normal((5, 4)),
                                        rng.standard_normal((5, 3)), method=method)
        weights = [r for r in reports if r.wrt.endswith("weight")]
        assert not any(r.passed for r in weights), (seed, [r.row() for r in weights])


@pytest.mark.parametrize("n", [64, 71])
@pytest.mark.parametrize("method", METHODS)
def test_large_f_squared_loss_sum_is_no_false_alarm_and_says_its_resolution(n, method):
    rng = np.random.default_rng(n)
    prediction, target = 3 * rng.standard_normal((n, n)), rng.standard_normal((n, n))
    report = check_loss(SquaredLoss("sum"), prediction, target, method=method)
    assert report.passed, report.row()
    assert report.resolution < 1e-5 and "could not see below" in report.row()[-1]


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_a_constant_offset_of_1e8_widens_the_allowed_error_instead_of_failing(method):
    v = np.random.default_rng(1).uniform(0.2, 1.0, 6)
    report = check_array("offset", lambda a: 1e8 + np.sum(np.sin(a)), v, np.cos(v), method=method)
    assert report.passed and report.resolution > 1e-8, report.row()


@pytest.mark.parametrize("method", METHODS)
def test_zero_preactivations_from_zero_bias_and_zero_rows_are_no_false_alarm(method):
    rng = np.random.default_rng(0)
    network = Sequential(Linear(4, 6, rng=rng), ReLU(), Linear(6, 3, rng=rng))
    network.layers[0].params["bias"][:] = 0.0
    x = rng.standard_normal((5, 4))
    x[[1, 3]] = 0.0
    reports = check_model_with_loss(network, SquaredLoss(), x, rng.standard_normal((5, 3)), method=method)
    assert all(r.passed for r in reports), [r.row() for r in reports]
    if method != "complex":  # exact zeros are kinks for real steps; the complex step branches as forward does
        assert sum(r.kinks + r.nonsmooth for r in reports) > 0


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_stride_1_with_integer_ties_is_no_false_alarm(method):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (2, 2, 5, 5)).astype(float)
    (report,) = check_layer(MaxPool2d(2, 1), x, rng=rng, method=method)
    assert report.passed, report.row()


class _Tied(MaxPool2d):
    """Max pooling whose backward splits the gradient evenly among tied maxima: at a single-window tie
    that is neither one-sided derivative, which the complex step (branching as forward) sees."""

    def backward(self, grad_output):
        x = self._cached("x")
        window = x[0, 0, :2, :2]
        return np.where(window == window.max(), grad_output[0, 0, 0, 0] / np.sum(window == window.max()),
                        0.0).reshape(x.shape)


@pytest.mark.parametrize("method", METHODS)
def test_an_even_split_at_a_tie_is_caught_by_every_method(method):
    # Where the tied window's kinks meet, the even split equals neither one-sided slope; the real-step
    # methods hand such entries to the complex step, which branches as the forward pass does.
    x = np.array([[[[1.0, 1.0], [0.0, -1.0]]]])
    (report,) = check_layer(_Tied(2), x, rng=np.random.default_rng(3), method=method)
    assert not report.passed and not report.undecided_only, report.row()
    if method != "complex":
        assert report.decided_by_complex > 0 and report.kink_entries, report.row()
        assert all(len(entry) == 4 for entry in report.kink_entries)


class _HalfReLU(ReLU):
    """ReLU'(0) = 1/2: a kink convention no forward pass follows (PyTorch takes 0)."""

    def forward(self, x):
        self._real_input = np.real(np.asarray(x))
        return super().forward(x)

    def backward(self, grad_output):
        return np.where(self._real_input == 0, 0.5 * grad_output, super().backward(grad_output))


def _zero_rows_network(activation):
    rng = np.random.default_rng(0)
    network = Sequential(Linear(4, 6, rng=rng), activation, Linear(6, 3, rng=rng))
    network.layers[0].params["bias"][:] = 0.0
    x = rng.standard_normal((5, 4))
    x[[1, 3]] = 0.0
    return network, x, rng.standard_normal((5, 3))


@pytest.mark.parametrize("method", METHODS)
def test_relu_derivative_one_half_at_zero_is_never_reported_ok(method):
    network, x, target = _zero_rows_network(_HalfReLU())
    reports = {r.wrt: r for r in check_model_with_loss(network, SquaredLoss(), x, target, method=method)}
    assert not reports["input"].passed and not reports["input"].undecided_only, reports["input"].row()
    # d/d0.bias: every entry sits where kinks meet and no entry is smooth to vouch for the complex step,
    # so the real-step methods cannot decide: "NOT DECIDED", which does not pass.
    bias = reports["0.bias"]
    assert not bias.passed, bias.row()
    assert bias.undecided_only == (method != "complex") and ("NOT DECIDED" in bias.row()[-1]) == (method != "complex")


def test_a_function_that_drops_the_imaginary_part_is_not_trusted_to_decide():
    # f casts its input to float (a ComplexWarning numpy would otherwise only print): the complex step is
    # refused and the entries where kinks meet stay "not decided" instead of being judged by a wrong value.
    def f(a):
        return float(np.sum(np.abs(np.asarray(a, dtype=np.float64))))

    point = np.array([0.0, 1.0, 2.0])
    report = check_array("abs", f, point, np.array([0.5, 1.0, 1.0]), method="central")
    assert not report.passed and report.decided_by_complex == 0, report.row()


@pytest.mark.parametrize("distance", [3e-6, 4e-7])
def test_a_near_tie_inside_the_step_is_remeasured_with_a_step_that_does_not_cross(distance):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.0, (2, 4))
    x[0, 1] = distance  # the kink at 0 lies inside the first central step h = 1e-5
    (report,) = check_layer(ReLU(), x, rng=rng, method="central")
    assert report.passed and report.kinks == 0 and report.nonsmooth == 0, report.row()


class _Broken(Linear):
    def __init__(self, mutation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mutation = mutation

    def backward(self, grad_output):
        result = super().backward(grad_output)
        weight, bias = self.grads["weight"], self.grads["bias"]
        self.grads = {"weight": {"transposed": weight.T, "rolled": np.roll(weight, 1, axis=1)}.get(self.mutation, weight),
                      "bias": np.zeros_like(bias) if self.mutation == "dropped db" else bias}
        return result


@pytest.mark.parametrize("mutation", ["transposed", "dropped db", "rolled"])
def test_projections_cover_every_parameter_gradient(mutation):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 64))
    assert check_layer_projections(Linear(64, 64, rng=rng), x, rng=rng).passed
    report = check_layer_projections(_Broken(mutation, 64, 64, rng=rng), x, rng=rng)
    assert not report.passed and "weight" in report.name and "bias" in report.name, report.row()


def test_random_projections_of_a_model_cover_the_input_and_every_parameter():
    rng = np.random.default_rng(9)
    model = digits_cnn(rng, channels=(2, 2), classes=3)
    x, labels = rng.standard_normal((3, 1, 8, 8)), np.array([0, 1, 2])
    report = check_random_projections(model, SoftmaxCrossEntropy(), x, labels, regularization=100.0, rng=rng)
    assert report.passed and report.resolution < 1e-6, report.row()
    assert all(key in report.name for key in ("input", *model.params))
    original = model.layers[0].backward

    def dropped_bias(grad_output):
        result = original(grad_output)
        model.layers[0].grads["bias"] = np.zeros_like(model.layers[0].grads["bias"])
        return result

    model.layers[0].backward = dropped_bias
    assert not check_random_projections(model, SoftmaxCrossEntropy(), x, labels, regularization=100.0,
                                        rng=rng).passed


@pytest.mark.parametrize("method", METHODS)
def test_digits_cnn_inputs_444_and_227_are_no_false_alarm(method):
    pytest.importorskip("sklearn")
    from gradproof.numeric.train import load_digits_split

    x_train, y_train, _, _ = load_digits_split()
    model, loss = digits_cnn(np.random.default_rng(1)), SoftmaxCrossEntropy()
    x, labels = x_train[[444, 227]], y_train[[444, 227]]
    analytic = model.backward(loss.gradient(model.forward(x), labels))
    report = check_array("digits CNN d/dinput", lambda a: loss.value(model.forward(a), labels), x, analytic,
                         method=method, wrt="input")
    assert report.passed, report.row()
    if method != "complex":  # max-pool ties of constant (all-zero pixel) regions: kinks, listed
        assert report.kinks + report.nonsmooth > 0 and report.kink_entries


def test_a_plain_comparison_states_its_tolerance_as_its_resolution():
    # compare() (the torch oracle, the SGD step, verify's float64 rows) has no error model; its "ok"
    # still says what it could have seen: its tolerance relative to the largest entry.
    from gradproof.numeric.gradcheck import compare

    report = compare("c", np.array([10.0, 1.0]), np.array([10.0, 1.0 + 1e-9]), method="m", evaluations=1,
                     rtol=1e-5, atol=1e-7)
    assert report.passed and report.resolution == pytest.approx((1e-7 + 1e-5 * 10.0) / 10.0)
    assert "could not see below 1.0e-05" in report.row()[-1]
    assert not compare("c", np.array([10.0]), np.array([10.001]), method="m", evaluations=1).passed


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nan_or_infinite_analytic_entry_is_a_mismatch_not_ok(method, bad):
    # NaN > allowed is False: a comparison-based verdict would let a NaN gradient through as "ok"
    point = np.array([0.3, -1.2, 2.0])
    analytic = 2 * point
    analytic[1] = bad
    report = check_array("sum x^2", lambda a: np.sum(a * a), point, analytic, method=method)
    assert not report.passed and "MISMATCH" in report.row()[-1], report.row()
