"""Losses: a scalar value and its gradient with respect to the prediction, through numeric.rules."""

from __future__ import annotations

import numpy as np

from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.numeric.rules import fc as fc_rules
from gradproof.numeric.validation import as_float_array, require_nonempty_batch, require_shape

REDUCTIONS = ("sum", "mean")


def _group_batch(prediction, groups, where) -> int:
    """The samples per group when the batch of ``prediction`` is ``groups`` equal parts."""
    if not isinstance(groups, int) or groups < 1 or prediction.ndim < 1 or prediction.shape[0] % groups:
        raise ValueError(f"{where}: groups must be a positive integer dividing the batch "
                         f"{prediction.shape[0] if prediction.ndim else 'of a 0-d array'}, got {groups!r}")
    return prediction.shape[0] // groups


class SquaredLoss:
    """Squared loss of seed 002, xi = ||z - y||^2.

    ``reduction="sum"`` (default) sums the squares over every entry of the batch, so
    ``gradient`` is exactly seed 002's 2(z - y). ``reduction="mean"`` averages over the batch
    (the first axis, N samples), i.e. (1/N) sum_i ||z_i - y_i||^2 as in seed 001's averaged loss;
    its gradient is then 2(z - y)/N. (PyTorch's ``MSELoss(reduction="mean")`` divides by the number of
    entries instead, N times the features.)

    An empty batch (N = 0) sums to 0 with ``"sum"``; with ``"mean"`` it raises ``ValueError`` (the
    average of no samples is undefined; PyTorch returns NaN there, which would only surface later).

    >>> import numpy as np
    >>> loss = SquaredLoss()
    >>> float(loss.value(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])))
    5.0
    >>> loss.gradient(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])).tolist()
    [[2.0, 4.0]]
    """

    def __init__(self, reduction: str = "sum") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"SquaredLoss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _checked(self, prediction, target, where):
        prediction = as_float_array("prediction", prediction, where=where)
        target = as_float_array("target", target, where=where)
        require_shape("target", target, prediction.shape, where=where)
        if self.reduction == "sum":
            return prediction, target, 1.0
        require_nonempty_batch("prediction", prediction, where=where, why="reduction='mean' divides by N")
        factor = 1.0 / prediction.shape[0]
        return prediction, target, factor

    def value(self, prediction, target):
        prediction, target, factor = self._checked(prediction, target, "SquaredLoss.value")
        return fc_rules.scale(fc_rules.squared_loss_value(prediction, target), factor)

    def group_values(self, prediction, target, groups: int):
        """``value`` of each of ``groups`` equal consecutive parts of the batch (``target`` given for
        one part): what ``numeric.batched`` needs to evaluate many perturbed batches in one pass."""
        prediction = as_float_array("prediction", prediction, where="SquaredLoss.group_values")
        batch = _group_batch(prediction, groups, "SquaredLoss.group_values")
        target = as_float_array("target", target, where="SquaredLoss.group_values")
        require_shape("target", target, (batch, *prediction.shape[1:]), where="SquaredLoss.group_values")
        if self.reduction == "mean":
            require_nonempty_batch("prediction", target, where="SquaredLoss.group_values",
                                   why="reduction='mean' divides by N")
        residual = prediction.reshape(groups, batch, -1) - target.reshape(1, batch, -1)
        factor = 1.0 if self.reduction == "sum" else 1.0 / batch
        return fc_rules.scale((residual * residual).sum(axis=(1, 2)), factor)

    def gradient(self, prediction, target):
        prediction, target, factor = self._checked(prediction, target, "SquaredLoss.gradient")
        return fc_rules.scale(fc_rules.squared_loss_grad(prediction, target), factor)

    def __repr__(self) -> str:
        return f"SquaredLoss(reduction={self.reduction!r})"


class SoftmaxCrossEntropy:
    """Softmax cross-entropy averaged over the batch: (1/N) sum_i (log sum_k exp z_ik - z_i,y_i).

    Stable: the row maximum is subtracted before exponentiating. The gradient with respect to the
    logits is (softmax(z) - onehot(y)) / N; the 1/N is the batch average (seed 004's 1/l).
    ``labels`` are integers in [0, K) for K classes. An empty batch (N = 0) raises ``ValueError``: the
    mean over no samples is undefined (PyTorch returns NaN).
    """

    def _checked(self, logits, labels, where):
        logits = as_float_array("logits", logits, where=where)
        if logits.ndim != 2:
            raise ValueError(f"{where}: logits must have shape (N, K), got {logits.shape}")
        require_nonempty_batch("logits", logits, where=where, why="the loss is a mean over the batch")
        labels = np.asarray(labels)
        if labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
            raise ValueError(f"{where}: labels must be {logits.shape[0]} integers, got shape {labels.shape} dtype {labels.dtype}")
        bad = (labels < 0) | (labels >= logits.shape[1])
        if bad.any():
            raise ValueError(
                f"{where}: labels must lie in [0, {logits.shape[1]}), got {labels[bad][0]} at index {int(np.argmax(bad))}"
            )
        return logits, labels

    def value(self, logits, labels):
        logits, labels = self._checked(logits, labels, "SoftmaxCrossEntropy.value")
        return cross_entropy_rules.cross_entropy_value(logits, labels)

    def group_values(self, logits, labels, groups: int):
        """``value`` of each of ``groups`` equal consecutive parts of the batch (``labels`` given for one
        part): what ``numeric.batched`` needs to evaluate many perturbed batches in one pass."""
        logits = as_float_array("logits", logits, where="SoftmaxCrossEntropy.group_values")
        batch = _group_batch(logits, groups, "SoftmaxCrossEntropy.group_values")
        logits, labels = self._checked(logits, np.tile(np.asarray(labels), groups), "SoftmaxCrossEntropy.group_values")
        return cross_entropy_rules.cross_entropy_terms(logits, labels).reshape(groups, batch).mean(axis=1)

    def gradient(self, logits, labels):
        logits, labels = self._checked(logits, labels, "SoftmaxCrossEntropy.gradient")
        one_hot = np.eye(logits.shape[1], dtype=logits.dtype)[labels]
        return cross_entropy_rules.cross_entropy_grad(cross_entropy_rules.softmax(logits), one_hot)

    def __repr__(self) -> str:
        return "SoftmaxCrossEntropy()"
