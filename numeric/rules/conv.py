"""Conv2d rules (PyTorch convention: cross-correlation, NCHW input, weight (C_out, C_in, kH, kW)).

Forward, for stride s, zero padding p and dilation d (seed 003, multi-channel minibatch form):

    y[n, o, u, v] = b[o] + sum_{c, i, j} w[o, c, i, j] * x_pad[n, c, u*s + i*d, v*s + j*d]

Backward:

* dX, seed 004's form used by the layer: P_pad^T P_phi^T vec(W^T G), i.e. a GEMM then ``col2im``
  (the transpose of ``im2col``) and the padding cropped. Seed 003's and JAX's form, the backward
  of a convolution is another convolution, is ``conv2d_grad_input_transposed``: insert s-1 zeros
  between the entries of G, pad by d(k-1), correlate with the kernel rotated by 180 degrees with
  input and output channels swapped; rows no window reached get 0; crop the padding. Both are
  proved equal to the derivation from the scalar equations (symbolic.conv).
* dW: the correlation of the padded input with G, summed over the batch (seed 003: Q^T dL/dY).
* db: the sum of G over batch and positions.

Every function uses only ``np.pad``, slicing, ``sliding_window_view``, reshape, transpose and ``@``,
so it runs unchanged on ``dtype=object`` arrays of SymPy symbols (``symbolic.conv`` compares it with
the derivation from the scalar equations symbol for symbol). ``im2col`` realises seed 004's P_phi
and ``col2im`` its transpose.
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


def im2col(x_padded, kernel: tuple[int, int], stride: int, dilation: int, out=None):
    """P_phi of seed 004: the windows of a padded input as (N, C*kH*kW, H_out*W_out) columns.

    Returns ``(columns, (H_out, W_out))``. One copy, from a ``sliding_window_view``, in the
    per-sample layout whose GEMM with the (C_out, C*kH*kW) weight matrix is already NCHW.
    ``out``, if given, is a C-contiguous array of that shape to copy into (a chunk of the layer's
    batch, ``numeric.parallel``).
    """
    kh, kw = kernel
    n, c = x_padded.shape[:2]
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = sliding_window_view(x_padded, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]
    h_out, w_out = windows.shape[2], windows.shape[3]
    if out is None:
        out = np.empty((n, c * kh * kw, h_out * w_out), dtype=x_padded.dtype)
    out.reshape(n, c, kh, kw, h_out, w_out)[...] = windows.transpose(0, 1, 4, 5, 2, 3)
    return out, (h_out, w_out)


def col2im(columns, padded_shape, kernel: tuple[int, int], stride: int, dilation: int, out_hw):
    """P_phi^T: add each column entry back to the input position it was read from.

    ``columns`` has the layout of ``im2col``; the result has ``padded_shape``. Done as kH*kW
    strided slice-additions into a zero buffer (np.add.at would be several times slower).
    """
    kh, kw = kernel
    n, c = padded_shape[:2]
    h_out, w_out = out_hw
    blocks = columns.reshape(n, c, kh, kw, h_out, w_out)
    result = np.zeros(padded_shape, dtype=columns.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation, i * dilation + stride * (h_out - 1) + 1, stride)
            cols = slice(j * dilation, j * dilation + stride * (w_out - 1) + 1, stride)
            result[:, :, rows, cols] += blocks[:, :, i, j]
    return result


def correlate(x_padded, weight, stride: int, dilation: int):
    """Multi-channel cross-correlation of a padded NCHW input with a (C_out, C_in, kH, kW) kernel."""
    c_out = weight.shape[0]
    columns, (h_out, w_out) = im2col(x_padded, weight.shape[2:], stride, dilation)
    result = weight.reshape(c_out, -1) @ columns
    return result.reshape(x_padded.shape[0], c_out, h_out, w_out)


def conv2d_forward(x, weight, bias, stride: int = 1, padding: int = 0, dilation: int = 1):
    """y = W phi(pad(x)) + b 1^T (seed 004), reshaped to NCHW."""
    columns, out_hw = im2col(pad2d(x, padding), weight.shape[2:], stride, dilation)
    return conv2d_forward_from_columns(columns, weight, bias, out_hw)


def conv2d_forward_from_columns(columns, weight, bias, out_hw, out=None):
    """S = W phi(pad(Z)) + b 1^T per sample (seed 004 (3)), from im2col columns.

    ``out``, if given, is a C-contiguous (N, C_out, H_out, W_out) array to write into; it must have
    the dtype of the result (``np.result_type(columns, weight, bias)``).
    """
    n, c_out = columns.shape[0], weight.shape[0]
    if out is None:
        out = np.empty((n, c_out, *out_hw), dtype=np.result_type(columns, weight, bias))
    result = out.reshape(n, c_out, out_hw[0] * out_hw[1])  # sizes, not -1: the batch may be empty
    np.matmul(weight.reshape(c_out, -1), columns, out=result)
    result += bias.reshape(1, -1, 1)  # in place: a fresh output array costs as much as the GEMM here
    return out


def conv2d_grad_bias(grad_output):
    """dL/db = sum of G over batch and positions."""
    return grad_output.sum(axis=(0, 2, 3))


def conv2d_grad_weight(grad_output, x, kernel: tuple[int, int], stride: int = 1, padding: int = 0, dilation: int = 1):
    """dL/dW = sum over the batch of the correlation of the padded input with G (seed 003: Q^T dL/dY)."""
    columns, _ = im2col(pad2d(x, padding), kernel, stride, dilation)
    return conv2d_grad_weight_from_columns(grad_output, columns, x.shape[1], kernel)


def conv2d_grad_weight_from_columns(grad_output, columns, in_channels: int, kernel: tuple[int, int]):
    """dL/dW = sum_n G_n phi(pad(X_n))^T (seed 004), from the forward pass's im2col columns."""
    n, c_out = grad_output.shape[:2]
    per_sample = grad_output.reshape(n, c_out, columns.shape[2]) @ columns.transpose(0, 2, 1)
    return per_sample.sum(axis=0).reshape(c_out, in_channels, *kernel)


def conv2d_grad_input(grad_output, weight, input_shape, stride: int = 1, padding: int = 0, dilation: int = 1):
    """dL/dX = P_pad^T P_phi^T vec(W^T G) (seed 004): a GEMM, col2im, then the padding cropped."""
    n, c, h, w = input_shape
    c_out = weight.shape[0]
    # W^T made contiguous once: matmul of a transposed 2-D operand against a stack was up to 2x slower.
    positions = grad_output.shape[2] * grad_output.shape[3]
    column_grads = np.ascontiguousarray(weight.reshape(c_out, -1).T) @ grad_output.reshape(n, c_out, positions)
    padded = col2im(column_grads, (n, c, h + 2 * padding, w + 2 * padding), weight.shape[2:], stride, dilation,
                    grad_output.shape[2:])
    return padded[:, :, padding : padding + h, padding : padding + w]


def conv2d_grad_input_transposed(grad_output, weight, input_shape, stride: int = 1, padding: int = 0, dilation: int = 1):
    """dL/dX as seed 003 and JAX write it: the full correlation of the stride-dilated G with the
    kernel rotated by 180 degrees, channels swapped; rows no window reached get 0; padding cropped.
    Proved equal to ``conv2d_grad_input`` and to the derivation; not used on the hot path."""
    kh, kw = weight.shape[2:]
    reach_h, reach_w = dilation * (kh - 1), dilation * (kw - 1)
    spread = dilate2d(grad_output, stride)
    spread = np.pad(spread, ((0, 0), (0, 0), (reach_h, reach_h), (reach_w, reach_w)), constant_values=0)
    covered = correlate(spread, rot180_swap(weight), 1, dilation)
    n, c, h, w = input_shape
    grad_padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=covered.dtype)
    grad_padded[:, :, : covered.shape[2], : covered.shape[3]] = covered
    return grad_padded[:, :, padding : padding + h, padding : padding + w]
