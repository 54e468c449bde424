"""The numeric gradient rules: one pure function per rule, the single numeric source of truth.

Every function here is written with ``+ - *``, ``@``, ``.T`` and ``sum`` only, so the very same
function runs on float arrays (the layers call it) and on ``dtype=object`` arrays of SymPy
symbols, where ``symbolic.rules`` compares it symbol for symbol with the rule's closed form.
Nonlinear pieces (the ReLU mask) are computed in the forward pass and handed in.

Layouts follow PyTorch (see README, "Notation"): a batch ``x`` is (N, in), a Linear weight is
(out, in), ``g`` is the upstream gradient dL/dy with the shape of ``y``. Gradients are in
denominator layout: dL/dW has the shape of W.
"""

from __future__ import annotations

import numpy as np


def linear_forward(x, weight, bias):
    """y = x W^T + 1 b^T for a batch x of shape (N, in); seed 000 y = W x + b, transposed."""
    return x @ weight.T + bias


def linear_grad_weight(grad_output, x):
    """dL/dW = G^T X, shape (out, in). Seed 000: dW = dy x^T (the N = 1 case, transposed)."""
    return grad_output.T @ x


def linear_grad_bias(grad_output):
    """dL/db = G^T 1_N, the sum of the upstream gradient over the batch; shape (out,). Seed 000."""
    return grad_output.sum(axis=0)


def linear_grad_input(grad_output, weight):
    """dL/dX = G W, shape (N, in). Seed 000: dx = W^T dy (the N = 1 case, transposed)."""
    return grad_output @ weight


def relu_mask(pre_activation):
    """I[S]: 1 where S > 0, else 0 (PyTorch's convention at the kink S = 0). Seed 002 (4)."""
    return (np.real(pre_activation) > 0).astype(pre_activation.dtype)  # kinks branch on the real part


def masked(values, mask):
    """values ⊙ mask, with 0 wherever the mask is 0 whatever the value (0 ⊙ ±inf = 0, not NaN).

    Written as where(mask != 0, values, 0) ⊙ mask: on numbers the masked entries are zeroed before
    the product; on ``dtype=object`` symbols (a mask of I[s] expressions, never structurally 0) it is
    the plain product values ⊙ mask.
    """
    return np.where(mask != 0, values, 0) * mask


def relu_forward(pre_activation, mask):
    """Z = S ⊙ I[S], which is max(S, 0) entry by entry; relu(-inf) = 0, as PyTorch."""
    return masked(pre_activation, mask)


def relu_grad_input(grad_output, mask):
    """dL/dS = dL/dZ ⊙ I[S]. Seed 002 (4); seed 003, element-wise case with phi' = I[S].

    0 where I[S] = 0 whatever dL/dZ is (an inf upstream included), as PyTorch's threshold_backward.
    """
    return masked(grad_output, mask)


def squared_loss_value(prediction, target):
    """xi = sum of (z - y)^2 over all entries (seed 002: the squared loss ||z - y||^2)."""
    residual = prediction - target
    return (residual * residual).sum()


def squared_loss_grad(prediction, target):
    """d xi / d z = 2 (z - y), with the shape of z (seed 002, the start of the backward pass)."""
    return 2 * (prediction - target)


def scale(array, factor):
    """factor * array; the batch average multiplies a summed loss and its gradient by 1/N."""
    return factor * array

