"""numeric.batched: the finite-difference points of a network objective evaluated in a few batched
passes must be the objective itself (to rounding), and a model it cannot reproduce falls back to
one-by-one evaluation instead of checking against a different function."""

import numpy as np
import pytest

from gradproof.numeric import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, SoftmaxCrossEntropy
from gradproof.numeric.batched import objective_table
from gradproof.numeric.gradcheck import METHODS, check_model_with_loss, check_objective, first_level_pairs
from gradproof.numeric.losses import SquaredLoss
from gradproof.numeric.train import digits_cnn


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    model = digits_cnn(rng, channels=(2, 3), classes=4)
    return model, rng.standard_normal((3, 1, 8, 8)), np.array([0, 3, 1])


def _one_by_one(model, loss, x, target, key, k, t):
    if key is None:
        point = x.astype(np.result_type(x, t)).reshape(-1)
        point[k] += t
        return loss.value(model.forward(point.reshape(x.shape)), target)
    original = model.params[key]
    index, name = key.split(".")
    perturbed = original.astype(np.result_type(original, t)).reshape(-1)
    perturbed[k] += t
    model.layers[int(index)].params[name] = perturbed.reshape(original.shape)
    try:
        return loss.value(model.forward(x), target)
    finally:
        model.layers[int(index)].params[name] = original


@pytest.mark.parametrize("key", [None, "0.weight", "0.bias", "3.weight", "7.weight", "7.bias"])
@pytest.mark.parametrize("method", METHODS)
def test_batched_values_are_the_objective_to_rounding(key, method):
    model, x, labels = _setup()
    loss = SoftmaxCrossEntropy()
    point = x if key is None else model.params[key]
    pairs = first_level_pairs(point, method)
    table = objective_table(model, loss, x, labels, key, pairs)
    assert table is not None and len(table) == len(pairs)
    for k, t in pairs[:: max(1, len(pairs) // 25)]:
        expected = _one_by_one(model, loss, x, labels, key, k, t)
        assert abs(table[(k, t)] - expected) <= 64 * np.finfo(float).eps * abs(expected), (k, t)


def test_group_values_are_the_value_of_each_group():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((12, 5)), np.array([0, 4, 2])
    grouped = SoftmaxCrossEntropy().group_values(logits, labels, 4)
    assert np.allclose(grouped, [SoftmaxCrossEntropy().value(logits[3 * g:3 * g + 3], labels) for g in range(4)],
                       rtol=1e-15, atol=0)
    prediction, target = rng.standard_normal((6, 2)), rng.standard_normal((3, 2))
    for reduction in ("sum", "mean"):
        loss = SquaredLoss(reduction)
        assert np.allclose(loss.group_values(prediction, target, 2),
                           [loss.value(prediction[:3], target), loss.value(prediction[3:], target)], rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match="groups must be a positive integer dividing the batch 12, got 5"):
        SoftmaxCrossEntropy().group_values(logits, labels, 5)


class _ChannelMixingConv(Conv2d):
    """A forward in which output channel o also depends on weight[o - 1]: the row stacking of
    numeric.batched would evaluate another function, so its guard must refuse the table."""

    def forward(self, x):
        y = super().forward(x)
        return y + 0.5 * np.roll(self.params["weight"].sum(axis=(1, 2, 3)), 1)[None, :, None, None]


def test_a_model_the_batching_cannot_reproduce_is_evaluated_one_by_one():
    rng = np.random.default_rng(2)
    model = Sequential(_ChannelMixingConv(1, 2, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2), Flatten(),
                       Linear(2 * 16, 4, rng=rng))
    x, labels = rng.standard_normal((3, 1, 8, 8)), np.array([0, 3, 1])
    loss = SoftmaxCrossEntropy()
    pairs = first_level_pairs(model.params["0.weight"], "central")

    def reference(k, t):
        return _one_by_one(model, loss, x, labels, "0.weight", k, t)

    assert objective_table(model, loss, x, labels, "0.weight", pairs, reference=reference) is None
    # the check itself stays right: the analytic gradient ignores the mixing term, and is caught
    reports = {r.wrt: r for r in check_model_with_loss(model, loss, x, labels, method="central")}
    assert not reports["0.weight"].passed and reports["input"].passed


@pytest.mark.parametrize("method", METHODS)
def test_a_scaled_weight_gradient_is_still_caught_with_batching(method):
    model, x, labels = _setup(3)
    loss = SoftmaxCrossEntropy()
    honest = model.layers[3].backward

    def scaled(grad_output):
        result = honest(grad_output)
        model.layers[3].grads["weight"] = model.layers[3].grads["weight"] * (1 + 1e-6)
        return result

    model.layers[3].backward = scaled
    reports = {r.wrt: r for r in check_objective(model, loss, x, labels, regularization=50.0, method=method)}
    assert not reports["3.weight"].passed and reports["0.weight"].passed, reports["3.weight"].row()


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_later_points_in_batches_give_the_one_by_one_verdicts(method, monkeypatch):
    # points past the first level (finer steps at kinks and near-ties) are fetched in further batches;
    # the reports must be those of evaluating every point one by one, to rounding
    from gradproof.numeric import batched

    model, x, labels = _setup(4)
    x[0, 0, :4, :4] = 0.0  # exact zeros: kinks where the error model halves its steps
    loss = SoftmaxCrossEntropy()
    fetched = []
    original = batched.objective_table

    def recording(*args, **kwargs):
        fetched.append(len(args[5]))
        return original(*args, **kwargs)

    monkeypatch.setattr(batched, "objective_table", recording)
    together = check_objective(model, loss, x, labels, regularization=50.0, method=method)
    assert len(fetched) > 7, fetched  # one first-level table per array, then follow-up batches
    monkeypatch.setattr(batched, "supports", lambda model, key: False)
    alone = check_objective(model, loss, x, labels, regularization=50.0, method=method)
    for a, b in zip(together, alone):
        assert (a.passed, a.kinks, a.nonsmooth, a.evaluations) == (b.passed, b.kinks, b.nonsmooth, b.evaluations)
        # the same differences of values that agree to rounding: rounding / h ~ 1e-16 * |f| / 1e-5 apart
        assert abs(a.max_abs_error - b.max_abs_error) <= 1e-10, (a.row(), b.row())
