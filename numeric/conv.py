"""Conv2d rules (PyTorch convention: cross-correlation, NCHW input, weight (C_out, C_in, kH, kW)).

Forward, for stride s, zero padding p and dilation d (seed 003, multi-channel minibatch form):

    y[n, o, u, v] = b[o] + sum_{c, i, j} w[o, c, i, j] * x_pad[n, c, u*s + i*d, v*s + j*d]

Backward (the JAX/seed 003 view: the backward of a convolution is another convolution):

* dX: insert s-1 zeros between the entries of G (``dilate``), pad by d(k-1), correlate with the
  kernel rotated by 180 degrees and with input and output channels swapped, with dilation d;
  the rows and columns of the padded input that no window reached get 0; crop the padding p.
* dW: the correlation of the padded input with G, summed over the batch (seed 003: Q^T dL/dY).
* db: the sum of G over batch and positions.

Every function uses only ``np.pad``, slicing, ``sliding_window_view``, reshape, transpose and ``@``,
so it runs unchanged on ``dtype=object`` arrays of SymPy symbols (``symbolic.conv`` compares it with
the derivation from the scalar equations symbol for symbol). im2col is the ``patches`` matrix, the
P_phi of seed 004 realised as a view.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """floor((size + 2p - d(k-1) - 1)/s) + 1, as PyTorch."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(x, padding: int):
    """Zero padding of the two spatial axes of an NCHW array."""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=0)


def dilate2d(g, stride: int):
    """Insert stride-1 zeros between neighbouring entries of the two spatial axes."""
    if stride == 1:
        return g
    n, c, h, w = g.shape
    out = np.zeros((n, c, (h - 1) * stride + 1, (w - 1) * stride + 1), dtype=g.dtype)
    out[:, :, ::stride, ::stride] = g
    return out


def rot180_swap(weight):
    """The kernel rotated by 180 degrees, with input and output channels swapped."""
    return weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]


def patches(x_padded, kernel: tuple[int, int], stride: int, dilation: int):
    """im2col: (N*H_out*W_out, C*kH*kW) matrix of the windows of an already padded input."""
    kh, kw = kernel
    n, c = x_padded.shape[:2]
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = sliding_window_view(x_padded, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]
    h_out, w_out = windows.shape[2], windows.shape[3]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, c * kh * kw), (h_out, w_out)


def correlate(x_padded, weight, stride: int, dilation: int):
    """Multi-channel cross-correlation of a padded NCHW input with a (C_out, C_in, kH, kW) kernel."""
    c_out = weight.shape[0]
    columns, (h_out, w_out) = patches(x_padded, weight.shape[2:], stride, dilation)
    result = columns @ weight.reshape(c_out, -1).T
    return result.reshape(x_padded.shape[0], h_out, w_out, c_out).transpose(0, 3, 1, 2)


def conv2d_forward(x, weight, bias, stride: int = 1, padding: int = 0, dilation: int = 1):
    """y = correlate(pad(x), w) + b."""
    return correlate(pad2d(x, padding), weight, stride, dilation) + bias.reshape(1, -1, 1, 1)


def conv2d_grad_bias(grad_output):
    """dL/db = sum of G over batch and positions."""
    return grad_output.sum(axis=(0, 2, 3))


def conv2d_grad_weight(grad_output, x, kernel: tuple[int, int], stride: int = 1, padding: int = 0, dilation: int = 1):
    """dL/dW = sum over the batch of the correlation of the padded input with G (seed 003)."""
    columns, _ = patches(pad2d(x, padding), kernel, stride, dilation)
    c_out = grad_output.shape[1]
    g_rows = grad_output.transpose(1, 0, 2, 3).reshape(c_out, -1)
    return (g_rows @ columns).reshape(c_out, x.shape[1], *kernel)


def conv2d_grad_input(grad_output, weight, input_shape, stride: int = 1, padding: int = 0, dilation: int = 1):
    """dL/dX: full correlation of the stride-dilated G with the rotated, channel-swapped kernel."""
    kh, kw = weight.shape[2:]
    reach_h, reach_w = dilation * (kh - 1), dilation * (kw - 1)
    spread = dilate2d(grad_output, stride)
    spread = np.pad(spread, ((0, 0), (0, 0), (reach_h, reach_h), (reach_w, reach_w)), constant_values=0)
    covered = correlate(spread, rot180_swap(weight), 1, dilation)
    n, c, h, w = input_shape
    grad_padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=covered.dtype)
    grad_padded[:, :, : covered.shape[2], : covered.shape[3]] = covered
    return grad_padded[:, :, padding : padding + h, padding : padding + w]
