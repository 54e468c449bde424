"""The numeric check cases: a layer, loss or network on random data, checked by finite differences.

A ``CheckCase`` is a named, seeded experiment; running it returns one ``CheckReport`` per gradient it
covers, each report saying which gradient in its ``wrt`` field ("input", "weight", "prediction", ...).
The rule table (``gradproof.symbolic.layers.table``) points each gradient rule at the cases and the
gradient keys that exercise its numeric implementation, so a report row is attached to a rule by object
and key, never by matching names. Every case draws from its own generator, seeded by the run's seed and
the case's name, so a case gives the same numbers whatever ran before it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradproof.numeric.gradcheck import (
    CheckReport,
    check_layer,
    check_loss,
    check_model_with_loss,
    check_objective,
    check_random_projections,
    compare,
)
from gradproof.numeric.layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from gradproof.numeric.losses import SoftmaxCrossEntropy, SquaredLoss
from gradproof.numeric.optim import SGD
from gradproof.numeric.train import digits_cnn


@dataclass(frozen=True)
class CheckCase:
    """A named finite-difference experiment; ``experiment(rng, method)`` returns its reports."""

    name: str
    experiment: Callable[[np.random.Generator, str], list[CheckReport]]

    def run(self, seed: int = 0, method: str = "central") -> tuple[CheckReport, ...]:
        rng = np.random.default_rng((seed, zlib.crc32(self.name.encode())))
        return tuple(self.experiment(rng, method))


def away_from_zero(rng, shape, low=0.1):
    """Random values with |v| >= low, so ReLU's kink is farther than any finite-difference step."""
    return rng.uniform(low, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


def layer_case(name: str, make_layer: Callable, input_shape: tuple, *, inputs=None) -> CheckCase:
    """Every gradient of one layer (input and parameters), per entry, on a random input."""

    def experiment(rng, method):
        x = (inputs or (lambda generator, shape: generator.standard_normal(shape)))(rng, input_shape)
        return check_layer(make_layer(rng), x, rng=rng, name=name, method=method)

    return CheckCase(name, experiment)


def _squared_loss_case(reduction: str) -> CheckCase:
    def experiment(rng, method):
        prediction, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        return [check_loss(SquaredLoss(reduction), prediction, target, name=f"SquaredLoss({reduction})",
                           method=method)]

    return CheckCase(f"SquaredLoss({reduction})", experiment)


def _cross_entropy(rng, method):
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    return [check_loss(SoftmaxCrossEntropy(), logits, labels, name="SoftmaxCrossEntropy", method=method)]


def _cross_entropy_huge_logits(rng, method):
    """Logits of size 1e3: exp would overflow without the row maximum subtracted; the gradient
    softmax - onehot must still be right, and the error model follows |f| ~ 1e3."""
    logits, labels = 1e3 * rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    return [check_loss(SoftmaxCrossEntropy(), logits, labels, name="SoftmaxCrossEntropy, logits ~ 1e3",
                       method=method)]


def with_exact_zeros(rng, shape):
    """Random values with a third of the entries exactly 0: ReLU's kink, where PyTorch's convention
    ReLU'(0) = 0 is what backward must follow."""
    values = away_from_zero(rng, shape)
    values[rng.random(shape) < 1 / 3] = 0.0
    return values


def _fc_network(rng, method):
    network = Sequential(Linear(4, 6, rng=rng), ReLU(), Linear(6, 3, rng=rng))
    x, target = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    return check_model_with_loss(network, SquaredLoss(), x, target, name="Linear-ReLU-Linear + SquaredLoss",
                                 method=method)


def _small_cnn_objective(rng, method):
    small = digits_cnn(rng, channels=(2, 2), classes=3)
    x, labels = rng.standard_normal((2, 1, 8, 8)), rng.integers(0, 3, 2)
    return check_objective(small, SoftmaxCrossEntropy(), x, labels, regularization=10.0,
                           name="small CNN, objective f", method=method)


def _digits_cnn_projections(rng, method):
    x, labels = rng.standard_normal((16, 1, 8, 8)), rng.integers(0, 10, 16)
    return [check_random_projections(digits_cnn(rng), SoftmaxCrossEntropy(), x, labels, regularization=1000.0,
                                     rng=rng, name="digits CNN, objective f")]


def _sgd_step(rng, method):
    """One SGD step theta - mu df/dtheta lowers f by mu |df/dtheta|^2 to first order (seed 003's update):
    (f(theta) - f(theta_new)) / mu is compared with |g|^2 for a small mu, so a wrong sign or scale shows."""
    model = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))
    x, target, regularization, mu = rng.standard_normal((5, 3)), rng.standard_normal((5, 2)), 10.0, 1e-6
    loss = SquaredLoss()

    def objective():
        penalty = sum(np.sum(p * p) for p in model.params.values()) / (2 * regularization)
        return loss.value(model.forward(x), target) + penalty

    before = objective()
    model.backward(loss.gradient(model.forward(x), target))
    optimizer = SGD(model.params, mu, regularization=regularization)
    gradients = {name: optimizer.objective_gradient(name, model.grads[name]) for name in model.params}
    squared_norm = sum(float(np.sum(g * g)) for g in gradients.values())
    optimizer.step(model.grads)
    decrease = (before - objective()) / mu
    return [compare("SGD step: (f - f_new)/mu vs |df/dtheta|^2", np.array([decrease]), np.array([squared_norm]),
                    method="one step, mu=1e-6", evaluations=2, rtol=1e-4, atol=1e-8)]


CONV_CONFIGS = (
    {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1},
    {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
    {"in_channels": 1, "out_channels": 2, "kernel_size": (2, 3), "stride": 2, "padding": 0, "dilation": 1},
)


def _conv_case(config: dict) -> CheckCase:
    name = "Conv2d(" + ", ".join(f"{key}={value}" for key, value in config.items()) + ")"
    return layer_case(name, lambda rng: Conv2d(**config, rng=rng), (2, config["in_channels"], 7, 6))


LINEAR = layer_case("Linear(3, 2)", lambda rng: Linear(3, 2, rng=rng), (4, 3))
RELU = layer_case("ReLU", lambda rng: ReLU(), (4, 5), inputs=away_from_zero)
SQUARED_SUM, SQUARED_MEAN = _squared_loss_case("sum"), _squared_loss_case("mean")
FC_NETWORK = CheckCase("Linear-ReLU-Linear + SquaredLoss", _fc_network)
CONV = tuple(_conv_case(config) for config in CONV_CONFIGS)
RELU_AT_ZERO = layer_case("ReLU at exact zeros", lambda rng: ReLU(), (4, 6), inputs=with_exact_zeros)
MAXPOOL = layer_case("MaxPool2d(2)", lambda rng: MaxPool2d(2), (2, 2, 4, 6))
MAXPOOL_PADDED = layer_case("MaxPool2d(3, stride=2, padding=1), windows not tiling 5 x 6",
                            lambda rng: MaxPool2d(3, 2, 1), (2, 2, 5, 6))
AVGPOOL = layer_case("AvgPool2d(2, stride=1)", lambda rng: AvgPool2d(2, 1), (2, 2, 4, 5))
AVGPOOL_PADDED = layer_case("AvgPool2d(3, stride=2, padding=1), windows not tiling 5 x 6",
                            lambda rng: AvgPool2d(3, 2, 1), (2, 2, 5, 6))
FLATTEN = layer_case("Flatten", lambda rng: Flatten(), (2, 3, 2, 2))
CROSS_ENTROPY = CheckCase("SoftmaxCrossEntropy", _cross_entropy)
CROSS_ENTROPY_HUGE_LOGITS = CheckCase("SoftmaxCrossEntropy, logits ~ 1e3", _cross_entropy_huge_logits)
SMALL_CNN_OBJECTIVE = CheckCase("small CNN, objective f", _small_cnn_objective)
DIGITS_CNN_PROJECTIONS = CheckCase("digits CNN, objective f, random projections", _digits_cnn_projections)
SGD_STEP = CheckCase("SGD step", _sgd_step)


def _kron_numeric(rng, method):
    """numeric.kron's vec, vec_r, mat and kron satisfy seed 004's identities in float64."""
    from gradproof.numeric import kron

    a, x, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 2))
    identities = (
        ("numeric vec_AXB", kron.vec(a @ x @ b), kron.kron(b.T, a) @ kron.vec(x)),
        ("numeric vec_r_AXB", kron.vec_r(a @ x @ b), kron.kron(a, b.T) @ kron.vec_r(x)),
        ("numeric vec_AB_left", kron.vec(a @ x), kron.kron(np.eye(5), a) @ kron.vec(x)),
        ("numeric mat(vec(X)) = X", kron.mat(kron.vec(x), x.shape), x),
    )
    return [compare(name, left, right, method="float64 evaluation", evaluations=1, rtol=1e-12, atol=1e-12)
            for name, left, right in identities]


KRON_NUMERIC = CheckCase("numeric vec/kron identities", _kron_numeric)
