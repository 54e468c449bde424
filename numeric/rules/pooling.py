"""Pooling, flatten and softmax cross-entropy rules (seed 002, seed 003; PyTorch conventions).

Max pooling selects one entry per window: Z = mat(P_pool vec(S)) with P_pool the 0/1 matrix fixed
by the argmax (seed 002). Ties go to the first maximum in row-major window order, as PyTorch does.
Its backward is P_pool^T: the one-hot mask of the argmax times G, added back by ``col2im`` (the
same P_phi^T as the convolution). Average pooling is the convolution with the constant kernel 1/k^2
per channel. All rules use only array operations that also run on ``dtype=object`` symbols, and divide by
integers rather than multiplying by a rounded reciprocal, so that the symbolic comparison is exact.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradproof.numeric.rules.conv import col2im


def pool_windows(x, kernel: int, stride: int):
    """(N, C, H_out, W_out, k*k) view of the pooling windows."""
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.reshape(*windows.shape[:4], kernel * kernel)


def maxpool_argmax(x, kernel: int, stride: int):
    """Index of the first maximum of each window (the nonlinear piece, computed in forward)."""
    return pool_windows(np.real(x), kernel, stride).argmax(axis=-1)  # ties and kinks on the real part


def maxpool_forward(x, argmax, kernel: int, stride: int):
    """Z = P_pool vec(S): the selected entry of each window."""
    return np.take_along_axis(pool_windows(x, kernel, stride), argmax[..., None], axis=-1)[..., 0]


def _windows_back(values, input_shape, kernel: int, stride: int):
    """Add (N, C, H_out, W_out, k*k) window values back to the input positions they came from."""
    n, c, h_out, w_out, _ = values.shape
    columns = values.reshape(n, c, h_out, w_out, kernel, kernel).transpose(0, 1, 4, 5, 2, 3)
    columns = columns.reshape(n, c * kernel * kernel, h_out * w_out)
    return col2im(columns, input_shape, (kernel, kernel), stride, 1, (h_out, w_out))


def maxpool_grad_input(grad_output, argmax, input_shape, kernel: int, stride: int):
    """dS = P_pool^T dZ: G placed at the argmax of each window, zeros elsewhere (seed 002)."""
    one_hot = (np.arange(kernel * kernel) == argmax[..., None]).astype(np.int8)
    return _windows_back(grad_output[..., None] * one_hot, input_shape, kernel, stride)


def avgpool_forward(x, kernel: int, stride: int):
    """The mean of each window."""
    return pool_windows(x, kernel, stride).sum(axis=-1) / (kernel * kernel)


def avgpool_grad_input(grad_output, input_shape, kernel: int, stride: int):
    """dS: each window's G spread evenly, 1/k^2 to each of its entries."""
    spread = np.broadcast_to(grad_output[..., None], (*grad_output.shape, kernel * kernel)) / (kernel * kernel)
    return _windows_back(spread, input_shape, kernel, stride)


def flatten_forward(x):
    """z[n, (c H + h) W + w] = s[n, c, h, w]: the C-order reshape to (N, C H W), as torch.flatten(x, 1)."""
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # not -1: the batch may be empty


def flatten_grad_input(grad_output, input_shape):
    """dS = G reshaped back to the input's shape: Flatten is a permutation-free reshape, so its Jacobian
    is the identity in C order."""
    return grad_output.reshape(input_shape)
