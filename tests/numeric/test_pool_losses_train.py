"""Pooling, Flatten, softmax cross-entropy, SGD and training on digits (issue 5)."""

import numpy as np
import pytest

from gradproof.numeric import SGD, AvgPool2d, Flatten, MaxPool2d, SoftmaxCrossEntropy, check_layer, check_loss
from gradproof.numeric.gradcheck import check_objective, check_random_projections
from gradproof.numeric.rules.cross_entropy import softmax
from gradproof.numeric.train import digits_cnn, load_digits_split, train


def test_maxpool_on_seed002_image_and_first_max_on_ties():
    image = np.array([[3, 2, 3, 6], [4, 5, 4, 9], [2, 1, 2, 6], [3, 4, 3, 2]], float)[None, None]
    assert MaxPool2d(2).forward(image)[0, 0].tolist() == [[5, 9], [4, 6]]
    ties = np.array([[7.0, 7.0], [7.0, 1.0]])[None, None]
    layer = MaxPool2d(2)
    layer.forward(ties)
    # PyTorch's rule: the first maximum in row-major window order receives the gradient
    assert layer.backward(np.ones((1, 1, 1, 1)))[0, 0].tolist() == [[1, 0], [0, 0]]


@pytest.mark.parametrize("layer, shape", [
    (MaxPool2d(2), (2, 3, 4, 6)), (MaxPool2d(3, 1), (1, 2, 5, 5)), (AvgPool2d(2), (2, 2, 4, 4)),
    (AvgPool2d(3, 1), (1, 1, 5, 4)), (Flatten(), (2, 3, 2, 2)),
    (MaxPool2d(3, 2, 1), (2, 2, 6, 5)), (AvgPool2d(3, 2, 1), (2, 2, 6, 5)), (AvgPool2d(2), (1, 2, 5, 7)),
])
def test_layers_match_finite_differences(layer, shape):
    rng = np.random.default_rng(1)
    (report,) = check_layer(layer, rng.standard_normal(shape), rng=rng)
    assert report.passed, report.row()


def test_cross_entropy_is_stable_and_matches_finite_differences():
    loss = SoftmaxCrossEntropy()
    huge = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    labels = np.array([0, 2])
    # exact limits: the loss is 0 and 2000 for the two rows; softmax is (1, 0, 0) up to e^-1000
    assert loss.value(huge, labels) == pytest.approx(1000.0)
    np.testing.assert_allclose(loss.gradient(huge, labels), [[0.0, 0.0, 0.0], [0.5, 0.0, -0.5]], atol=1e-300)
    rng = np.random.default_rng(2)
    report = check_loss(loss, rng.standard_normal((6, 4)), rng.integers(0, 4, 6))
    assert report.wrt == "prediction" and report.passed, report.row()
    np.testing.assert_allclose(softmax(np.array([[1.0, 2.0]])), [[1 / (1 + np.e), np.e / (1 + np.e)]])


def test_cross_entropy_value_is_the_mean_negative_log_likelihood():
    # The definition, with math.exp/log per row: finite differences alone accept any common factor
    # in value and gradient (a sum instead of PyTorch's mean, say).
    import math

    rng = np.random.default_rng(8)
    logits, labels = rng.standard_normal((5, 4)), np.array([3, 0, 1, 1, 2])
    nll = [-math.log(math.exp(row[label]) / sum(math.exp(v) for v in row)) for row, label in zip(logits, labels)]
    assert SoftmaxCrossEntropy().value(logits, labels) == pytest.approx(sum(nll) / 5, rel=1e-13)


def test_regularized_objective_of_a_cnn_per_entry_and_by_projection():
    rng = np.random.default_rng(3)
    small = digits_cnn(rng, channels=(2, 2), classes=3)
    reports = check_objective(small, SoftmaxCrossEntropy(), rng.standard_normal((2, 1, 8, 8)), np.array([0, 2]),
                              regularization=10.0)
    assert [r.wrt for r in reports] == ["input", *small.params], [r.wrt for r in reports]
    assert all(r.passed for r in reports), [r.row() for r in reports]
    report = check_random_projections(digits_cnn(rng), SoftmaxCrossEntropy(), rng.standard_normal((8, 1, 8, 8)),
                                      rng.integers(0, 10, 8), regularization=100.0, rng=rng)
    assert report.passed, report.row()


def test_random_projection_catches_a_wrong_gradient():
    rng = np.random.default_rng(4)
    model = digits_cnn(rng, channels=(2, 2), classes=3)
    original = model.layers[-1].backward

    def slightly_wrong(grad_output):
        result = original(grad_output)
        model.layers[-1].grads["weight"] = model.layers[-1].grads["weight"] * 1.001
        return result

    model.layers[-1].backward = slightly_wrong
    report = check_random_projections(model, SoftmaxCrossEntropy(), rng.standard_normal((4, 1, 8, 8)),
                                      np.array([0, 1, 2, 0]), regularization=100.0, rng=rng)
    assert not report.passed


def test_sgd_applies_seed004_weight_decay_and_seed003_update():
    theta = {"w": np.array([2.0, -4.0])}
    SGD(theta, lr=0.5, regularization=4.0).step({"w": np.array([1.0, 1.0])})
    # theta - lr (theta / C + g) = [2 - 0.5 (0.5 + 1), -4 - 0.5 (-1 + 1)]
    assert theta["w"].tolist() == [1.25, -4.0]


def test_sgd_momentum_is_pytorchs_heavy_ball():
    # torch.optim.SGD(momentum=m): v = m v + g (v = g on the first step), theta -= lr v
    theta = {"w": np.array([1.0])}
    sgd = SGD(theta, lr=0.5, momentum=0.5)
    sgd.step({"w": np.array([2.0])})  # v = 2, theta = 1 - 1 = 0
    sgd.step({"w": np.array([2.0])})  # v = 1 + 2 = 3, theta = 0 - 1.5
    assert theta["w"].tolist() == [-1.5]


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0}, "lr must be > 0"), ({"lr": 0.1, "regularization": 0}, "regularization C must be > 0"),
    ({"lr": 0.1, "momentum": 1.0}, r"momentum must lie in \[0, 1\)"),
])
def test_sgd_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD({"w": np.zeros(1)}, **kwargs)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"x must have H \+ 2 padding >= kernel_size = 3 .*got H = 2 with padding 0"):
        MaxPool2d(3).forward(np.ones((1, 1, 2, 6)))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got 3 at index 1"):
        SoftmaxCrossEntropy().value(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must be 2 integers"):
        SoftmaxCrossEntropy().value(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"MaxPool2d: padding must be an integer in \[0, 1\], got 2"):
        MaxPool2d(2, padding=2)  # PyTorch: pad should be at most half of the kernel size


def test_nan_input_is_a_clear_error():
    with pytest.raises(ValueError, match="x contains NaN"):
        MaxPool2d(2).forward(np.full((1, 1, 2, 2), np.nan))


def test_training_on_digits_reduced_budget_learns_and_is_deterministic():
    data = load_digits_split(0)
    histories = [train(digits_cnn(np.random.default_rng(0)), data, epochs=3, seed=0) for _ in range(2)]
    assert histories[0].loss == histories[1].loss  # deterministic given the seed
    assert histories[0].loss[-1] < histories[0].loss[0] / 5
    assert histories[0].test_accuracy[-1] > 0.85  # 3 epochs; the full 25-epoch run reaches 97% (see README)
