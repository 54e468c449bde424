"""Mini-batch training with gradproof's own layers, and the digits data set (seed 003, 004).

``digits_cnn`` is the network of simpleNN, the seed author's code, at digits' scale:
conv -> ReLU -> max pool -> conv -> ReLU -> max pool -> FC. ``train`` minimises seed 004's
regularized objective with ``SGD``; everything is deterministic given the ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradproof.numeric.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from gradproof.numeric.losses import SoftmaxCrossEntropy
from gradproof.numeric.optim import SGD


def load_digits_split(seed: int = 0, test_fraction: float = 0.2):
    """scikit-learn's 8 x 8 digits (shipped with the package, no download), scaled to [0, 1],
    as (x_train, y_train, x_test, y_test) with x of shape (N, 1, 8, 8); a seeded stratified split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise RuntimeError("the digits data set needs scikit-learn: pip install 'gradproof[train]'") from error
    digits = load_digits()
    images, labels = digits.images[:, None, :, :] / 16.0, digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test[members[: round(test_fraction * len(members))]] = True
    return images[~test], labels[~test], images[test], labels[test]


def digits_cnn(rng, channels=(16, 32), classes: int = 10) -> Sequential:
    """conv(1->c1, 3x3, pad 1) -> ReLU -> maxpool 2 -> conv(c1->c2) -> ReLU -> maxpool 2 -> FC(4 c2 -> 10)."""
    first, second = channels
    return Sequential(
        Conv2d(1, first, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(first, second, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
        Flatten(), Linear(second * 4, classes, rng=rng),
    )


def accuracy(model, images, labels, batch_size: int = 512) -> float:
    predictions = np.concatenate([
        model.forward(images[start:start + batch_size]).argmax(axis=1) for start in range(0, len(labels), batch_size)
    ])
    return float((predictions == labels).mean())


@dataclass
class History:
    epochs: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)


def train(model, data, *, epochs: int, batch_size: int = 32, lr: float = 0.05, momentum: float = 0.9,
          regularization: float | None = 1000.0, seed: int = 0, progress=None) -> History:
    """Minimise f = (1/2C) ||theta||^2 + mean cross-entropy by mini-batch SGD; return the history.

    The learning rate follows a cosine decay from ``lr`` towards 0 over the epochs (beyond the seeds,
    which use a fixed mu; it makes the final accuracy stable from seed to seed).
    """
    x_train, y_train, x_test, y_test = data
    loss, optimizer = SoftmaxCrossEntropy(), SGD(model.params, lr, regularization=regularization, momentum=momentum)
    rng, history = np.random.default_rng(seed), History()
    for epoch in range(1, epochs + 1):
        optimizer.lr = lr * 0.5 * (1 + np.cos(np.pi * (epoch - 1) / epochs))  # cosine decay to 0
        order, total = rng.permutation(len(y_train)), 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            logits = model.forward(x_train[batch])
            total += loss.value(logits, y_train[batch]) * len(batch)
            model.backward(loss.gradient(logits, y_train[batch]))
            optimizer.step(model.grads)
        history.epochs.append(epoch)
        history.loss.append(total / len(y_train))
        history.train_accuracy.append(accuracy(model, x_train, y_train))
        history.test_accuracy.append(accuracy(model, x_test, y_test))
        if progress is not None:
            progress(epoch, epochs, history)
    return history
