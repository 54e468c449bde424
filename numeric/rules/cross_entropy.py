"""Softmax cross-entropy rules, averaged over the batch (PyTorch's ``cross_entropy`` default).

For logits Z (N, K) and labels y: xi = (1/N) sum_i (log sum_k exp z_ik - z_{i, y_i}); its gradient is
(softmax(Z) - onehot(y)) / N. The softmax and the one-hot matrix are computed in the forward pass and
handed to the gradient rule, which then uses only ``-`` and ``/`` (so it also runs on SymPy symbols).
"""

from __future__ import annotations

import numpy as np


def softmax(logits):
    """Numerically stable softmax along the last axis (the maximum is subtracted first)."""
    shifted = np.exp(logits - np.real(logits).max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def cross_entropy_terms(logits, labels):
    """Per sample: log sum_k exp z_ik - z_i,y_i, computed stably with the row maximum subtracted."""
    top = np.real(logits).max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[:, 0]
    return log_norm - logits[np.arange(len(labels)), labels]


def cross_entropy_value(logits, labels):
    """mean_i (log sum_k exp z_ik - z_i,y_i): the batch average of ``cross_entropy_terms``."""
    return cross_entropy_terms(logits, labels).mean()


def cross_entropy_grad(probabilities, one_hot):
    """d/d logits of the batch-averaged cross-entropy: (softmax - onehot) / N."""
    return (probabilities - one_hot) / probabilities.shape[0]
