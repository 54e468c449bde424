"""Pooling, flatten and softmax cross-entropy rules (seed 002, seed 003; PyTorch conventions).

Geometry, as ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with ``ceil_mode=False``: a square
window of k entries, stride s, padding p on every side; windows that do not fit are dropped (floor),

    H_out = floor((H + 2p - k) / s) + 1,   window (u, v) reads rows u s - p .. u s - p + k - 1.

Max pooling selects one entry per window: Z = mat(P_pool vec(S)) with P_pool the 0/1 matrix fixed
by the argmax (seed 002). PyTorch pads max pooling with -inf, so a padded entry is never selected;
ties go to the first maximum in row-major window order, as PyTorch does (among the input's entries:
a window whose input entries are all -inf selects its first input entry, never the padding). Its
backward is P_pool^T: the one-hot mask of the argmax times G, added back by ``col2im`` (the same
P_phi^T as the convolution) into the padded input, whose border is then cropped. Rows and columns
the floor drops receive 0.

Average pooling is the convolution with the constant kernel 1/k^2 per channel over the zero-padded
input: PyTorch's default ``count_include_pad=True`` divides by k^2 even where the window covers
padding. Its backward spreads G/k^2 over each window, again by ``col2im`` and a crop.

All rules use only array operations that also run on ``dtype=object`` symbols, and divide by
integers rather than multiplying by a rounded reciprocal, so that the symbolic comparison is exact.
The argmax (the nonlinear piece) is computed on numbers in the forward pass and handed in.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradproof.numeric.rules.conv import col2im, pad2d


def pool_output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """floor((size + 2p - k)/s) + 1, as PyTorch with ``ceil_mode=False``."""
    return (size + 2 * padding - kernel) // stride + 1


def pool_windows(x, kernel: int, stride: int):
    """(N, C, H_out, W_out, k*k) view of the pooling windows of an (already padded) input; the floor
    of the output size is the slicing ``::stride`` of the H - k + 1 window positions."""
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.reshape(*windows.shape[:4], kernel * kernel)


def _inside_input(argmax, input_hw, kernel: int, stride: int, padding: int):
    """Move a selection that fell on the -inf padding (a window whose input entries are all -inf)
    to the window's first input entry, as PyTorch's kernel, which never reads the padding, does."""
    inside = pad2d(np.ones((1, 1, *input_hw), dtype=bool), padding)
    inside = pool_windows(inside, kernel, stride)
    selected_inside = np.take_along_axis(np.broadcast_to(inside, (*argmax.shape, kernel * kernel)),
                                         argmax[..., None], axis=-1)[..., 0]
    return np.where(selected_inside, argmax, inside.argmax(axis=-1))


def maxpool_argmax(x, kernel: int, stride: int, padding: int = 0):
    """Index (row-major, in [0, k*k)) of the first maximum of each window of the input padded with -inf:
    the nonlinear piece, computed in the forward pass on numbers."""
    if padding:
        padded = np.pad(np.real(x), ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                        constant_values=-np.inf)
        return _inside_input(maxpool_argmax(padded, kernel, stride), x.shape[2:], kernel, stride, padding)
    return pool_windows(np.real(x), kernel, stride).argmax(axis=-1)  # ties and kinks on the real part


def maxpool_forward(x, argmax, kernel: int, stride: int, padding: int = 0):
    """Z = P_pool vec(S): the selected entry of each window. The argmax never selects the padding, so
    the value it is filled with here (zeros, which object arrays accept) is never read."""
    windows = pool_windows(pad2d(x, padding), kernel, stride)
    return np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]


def _windows_back(values, input_shape, kernel: int, stride: int, padding: int):
    """Add (N, C, H_out, W_out, k*k) window values back to the input positions they came from:
    col2im into the padded input, then the border cropped (P_pad^T)."""
    n, c, h_out, w_out, _ = values.shape
    h, w = input_shape[2:]
    columns = values.reshape(n, c, h_out, w_out, kernel, kernel).transpose(0, 1, 4, 5, 2, 3)
    columns = columns.reshape(n, c * kernel * kernel, h_out * w_out)
    padded_shape = (n, c, h + 2 * padding, w + 2 * padding)
    padded = col2im(columns, padded_shape, (kernel, kernel), stride, 1, (h_out, w_out))
    return padded[:, :, padding : padding + h, padding : padding + w]


def maxpool_grad_input(grad_output, argmax, input_shape, kernel: int, stride: int, padding: int = 0):
    """dS = P_pool^T dZ: G placed at the argmax of each window, zeros elsewhere (seed 002)."""
    one_hot = (np.arange(kernel * kernel) == argmax[..., None]).astype(np.int8)
    return _windows_back(grad_output[..., None] * one_hot, input_shape, kernel, stride, padding)


def avgpool_forward(x, kernel: int, stride: int, padding: int = 0):
    """The sum of each window of the zero-padded input over k^2 (PyTorch's count_include_pad=True)."""
    return pool_windows(pad2d(x, padding), kernel, stride).sum(axis=-1) / (kernel * kernel)


def avgpool_grad_input(grad_output, input_shape, kernel: int, stride: int, padding: int = 0):
    """dS: each window's G spread evenly, 1/k^2 to each of its entries; the padding's share is dropped."""
    spread = np.broadcast_to(grad_output[..., None], (*grad_output.shape, kernel * kernel)) / (kernel * kernel)
    return _windows_back(spread, input_shape, kernel, stride, padding)


def flatten_forward(x):
    """z[n, (c H + h) W + w] = s[n, c, h, w]: the C-order reshape to (N, C H W), as torch.flatten(x, 1)."""
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # not -1: the batch may be empty


def flatten_grad_input(grad_output, input_shape):
    """dS = G reshaped back to the input's shape: Flatten is a permutation-free reshape, so its Jacobian
    is the identity in C order."""
    return grad_output.reshape(input_shape)
