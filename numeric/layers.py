"""Layers: thin classes that validate input, cache what the backward pass needs and call the
pure rules of ``numeric.rules``. They restate no formula.

Contract (shared by every layer, relied upon by the tests and later layers):

* ``params`` and ``grads``: dicts of arrays keyed by parameter name (``"weight"``, ``"bias"``);
  ``grads[k]`` has the shape of ``params[k]`` (denominator layout) and is overwritten by
  ``backward``.
* ``forward(x)`` returns the output and caches what ``backward`` needs.
* ``backward(g)`` takes ``g = dL/dy`` (shape of the last output), fills ``grads`` and returns
  ``dL/dx`` (shape of the last input).
"""

from __future__ import annotations

import numpy as np

from gradproof.numeric import parallel
from gradproof.numeric.rules import conv as conv_rules
from gradproof.numeric.rules import fc as fc_rules
from gradproof.numeric.rules import pooling as pool_rules
from gradproof.numeric.validation import as_float_array, require_int_in_range, require_positive_int, require_shape


class Layer:
    """Base class: no parameters; subclasses implement ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def num_parameters(self) -> int:
        """Number of learnable scalars (seed 000: M*N + N for a Linear layer)."""
        return sum(int(value.size) for value in self.params.values())

    def _cached(self, key: str):
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return cache[key]


class Linear(Layer):
    """Fully-connected layer y = x W^T + b (PyTorch layout), seed 000 and seed 001.

    Parameters
    ----------
    in_features, out_features : int >= 1
    rng : numpy.random.Generator, optional
        Source of the initial weights, drawn uniformly from (-1/sqrt(in), 1/sqrt(in)) like
        PyTorch's default; pass ``np.random.default_rng(seed)`` for reproducible weights.

    Shapes: weight (out, in), bias (out,), x (N, in), y (N, out).

    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    >>> layer.num_parameters()  # M*N + N with M = 3 inputs, N = 2 outputs (seed 000)
    8
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None) -> None:
        super().__init__()
        self.in_features = require_positive_int("in_features", in_features, where="Linear")
        self.out_features = require_positive_int("out_features", out_features, where="Linear")
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(self.in_features)
        self.params["weight"] = rng.uniform(-bound, bound, (self.out_features, self.in_features))
        self.params["bias"] = rng.uniform(-bound, bound, (self.out_features,))
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}

    def forward(self, x):
        x = as_float_array("x", x, where="Linear.forward")
        require_shape("x", x, (None, self.in_features), where="Linear.forward")
        self._cache = {"x": x}
        return fc_rules.linear_forward(x, self.params["weight"], self.params["bias"])

    def backward(self, grad_output):
        x = self._cached("x")
        grad_output = as_float_array("grad_output", grad_output, where="Linear.backward")
        require_shape(
            "grad_output", grad_output, (x.shape[0], self.out_features), where="Linear.backward"
        )
        self.grads["weight"] = fc_rules.linear_grad_weight(grad_output, x)
        self.grads["bias"] = fc_rules.linear_grad_bias(grad_output)
        return fc_rules.linear_grad_input(grad_output, self.params["weight"])

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"


class ReLU(Layer):
    """Element-wise max(s, 0); backward multiplies by the mask I[s] stored in forward (seed 002 (4)).

    The derivative at the kink s = 0 is taken as 0, as in PyTorch.
    """

    def forward(self, x):
        x = as_float_array("x", x, where="ReLU.forward")
        mask = fc_rules.relu_mask(x)
        self._cache = {"mask": mask}
        return fc_rules.relu_forward(x, mask)

    def backward(self, grad_output):
        mask = self._cached("mask")
        grad_output = as_float_array("grad_output", grad_output, where="ReLU.backward")
        require_shape("grad_output", grad_output, mask.shape, where="ReLU.backward")
        return fc_rules.relu_grad_input(grad_output, mask)

    def __repr__(self) -> str:
        return "ReLU()"


class Sequential(Layer):
    """Layers applied in order; backward runs through them in reverse.

    ``params`` and ``grads`` are flat views keyed ``"<index>.<name>"`` (e.g. ``"0.weight"``),
    holding the very arrays of the member layers.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if not layers:
            raise ValueError("Sequential: needs at least one layer, got none")
        self.layers = tuple(layers)
        self.params = {
            f"{index}.{name}": value
            for index, layer in enumerate(self.layers)
            for name, value in layer.params.items()
        }
        self._sync_grads()

    def _sync_grads(self) -> None:
        self.grads = {
            f"{index}.{name}": value
            for index, layer in enumerate(self.layers)
            for name, value in layer.grads.items()
        }

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output):
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        self._sync_grads()
        return grad_output

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"


def _pair(name: str, value, where: str) -> tuple[int, int]:
    values = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else tuple(value)
    if len(values) != 2:
        raise ValueError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(require_positive_int(name, v, where=where) for v in values)


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as PyTorch), seed 003 and seed 004.

    Parameters
    ----------
    in_channels, out_channels : int >= 1
    kernel_size : int or (kH, kW)
    stride, dilation : int >= 1 (the same along both axes)
    padding : int >= 0, zeros on every side
    rng : numpy.random.Generator, optional; weights uniform in +-1/sqrt(in_channels*kH*kW)

    Shapes: x (N, C_in, H, W) -> y (N, C_out, H_out, W_out) with
    H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1; weight (C_out, C_in, kH, kW).

    >>> layer = Conv2d(1, 2, 3, padding=1, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((1, 1, 5, 5))).shape
    (1, 2, 5, 5)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, *, rng=None):
        super().__init__()
        where = "Conv2d"
        self.in_channels = require_positive_int("in_channels", in_channels, where=where)
        self.out_channels = require_positive_int("out_channels", out_channels, where=where)
        self.kernel_size = _pair("kernel_size", kernel_size, where)
        self.stride = require_positive_int("stride", stride, where=where)
        self.dilation = require_positive_int("dilation", dilation, where=where)
        self.padding = require_int_in_range("padding", padding, 0, where=where)
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.params["weight"] = rng.uniform(-bound, bound, (self.out_channels, self.in_channels, *self.kernel_size))
        self.params["bias"] = rng.uniform(-bound, bound, (self.out_channels,))
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._work: dict[str, np.ndarray] = {}

    @property
    def taps(self) -> int:
        """C_in kH kW: the rows of im2col's columns, the inner dimension of every GEMM."""
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    def _check_input(self, x):
        x = as_float_array("x", x, where="Conv2d.forward")
        if x.ndim != 4:
            raise ValueError(f"Conv2d.forward: x must be 4-D (N, C_in, H, W), got shape {x.shape}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d.forward: x has {x.shape[1]} channels, the layer expects in_channels={self.in_channels}"
            )
        for axis, size, kernel in zip("HW", x.shape[2:], self.kernel_size):
            span = self.dilation * (kernel - 1) + 1
            if span > size + 2 * self.padding:
                raise ValueError(
                    f"Conv2d.forward: the kernel spans {span} along {axis} (kernel {kernel}, dilation "
                    f"{self.dilation}) but the padded input has only {size + 2 * self.padding} "
                    f"(size {size}, padding {self.padding})"
                )
        return x

    def _work_array(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An uninitialised array kept from the last call when shape and dtype match. Only for
        arrays that never leave the layer: a fresh one per call of tens of MB is fresh memory from
        the kernel each time (page faults), which cost as much as filling it."""
        array = self._work.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._work[name] = np.empty(shape, dtype=dtype)
        return array

    def _output_hw(self, x) -> tuple[int, int]:
        return tuple(conv_rules.output_size(s, k, self.stride, self.padding, self.dilation)
                     for s, k in zip(x.shape[2:], self.kernel_size))

    def forward(self, x):
        """y = W phi(pad(x)) + b 1^T per sample; the batch is split over ``numeric.parallel``'s threads."""
        x = self._check_input(x)
        weight, bias = self.params["weight"], self.params["bias"]
        out_hw = self._output_hw(x)
        n = x.shape[0]
        columns = self._work_array("columns", (n, self.taps, out_hw[0] * out_hw[1]), x.dtype)
        y = np.empty((n, self.out_channels, *out_hw), dtype=np.result_type(x, weight, bias))

        def forward_chunk(chunk: slice) -> None:
            conv_rules.im2col(conv_rules.pad2d(x[chunk], self.padding), self.kernel_size, self.stride, self.dilation,
                        out=columns[chunk])
            conv_rules.conv2d_forward_from_columns(columns[chunk], weight, bias, out_hw, out=y[chunk])

        parallel.map_over_batch(forward_chunk, n, y.dtype, work=y.size * self.taps)
        self._cache = {"x": x, "columns": columns}
        return y

    def backward(self, grad_output):
        """dW = sum_n G_n phi(pad(X_n))^T, db = sum of G, dX = P_pad^T P_phi^T vec(W^T G), per chunk."""
        x, columns = self._cached("x"), self._cached("columns")
        grad_output = as_float_array("grad_output", grad_output, where="Conv2d.backward")
        require_shape("grad_output", grad_output, (x.shape[0], self.out_channels, *self._output_hw(x)),
                      where="Conv2d.backward")
        weight = self.params["weight"]
        geometry = (self.stride, self.padding, self.dilation)
        grad_input = np.empty(x.shape, dtype=np.result_type(grad_output, weight))

        def backward_chunk(chunk: slice):
            grad_chunk = grad_output[chunk]
            grad_input[chunk] = conv_rules.conv2d_grad_input(grad_chunk, weight, grad_input[chunk].shape, *geometry)
            return (conv_rules.conv2d_grad_weight_from_columns(grad_chunk, columns[chunk], self.in_channels,
                                                         self.kernel_size),
                    conv_rules.conv2d_grad_bias(grad_chunk))

        chunk_sums = parallel.map_over_batch(backward_chunk, x.shape[0], grad_input.dtype,
                                             work=2 * grad_output.size * self.taps)
        weight_sum, bias_sum = chunk_sums[0]
        for chunk_weight, chunk_bias in chunk_sums[1:]:  # in chunk order: the same sum on every run
            weight_sum = weight_sum + chunk_weight
            bias_sum = bias_sum + chunk_bias
        self.grads["weight"], self.grads["bias"] = weight_sum, bias_sum
        return grad_input

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation})")


class _Pool2d(Layer):
    """Common part of the pooling layers: PyTorch's geometry with ``ceil_mode=False``.

    Parameters
    ----------
    kernel_size : int >= 1, a square k x k window
    stride : int >= 1, default ``kernel_size`` (as PyTorch)
    padding : int with 0 <= padding <= kernel_size // 2 (PyTorch's limit), on every side

    Shapes: x (N, C, H, W) -> (N, C, H_out, W_out), H_out = floor((H + 2 padding - k) / stride) + 1;
    rows and columns no window reaches (the floor) are dropped and get gradient 0, as in PyTorch.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = require_positive_int("kernel_size", kernel_size, where=name)
        self.stride = self.kernel_size if stride is None else require_positive_int("stride", stride, where=name)
        self.padding = require_int_in_range("padding", padding, 0, self.kernel_size // 2, where=name)

    @property
    def _geometry(self) -> tuple[int, int, int]:
        return self.kernel_size, self.stride, self.padding

    def _check_input(self, x):
        name = type(self).__name__
        x = as_float_array("x", x, where=f"{name}.forward")
        if x.ndim != 4:
            raise ValueError(f"{name}.forward: x must be 4-D (N, C, H, W), got shape {x.shape}")
        for axis, size in zip("HW", x.shape[2:]):
            if size + 2 * self.padding < self.kernel_size:
                raise ValueError(
                    f"{name}.forward: x must have {axis} + 2 padding >= kernel_size = {self.kernel_size} (at least "
                    f"one window), got {axis} = {size} with padding {self.padding}"
                )
        return x

    def _output_shape(self, x):
        return (*x.shape[:2], *(pool_rules.pool_output_size(s, *self._geometry) for s in x.shape[2:]))

    def _checked_grad(self, grad_output):
        name = type(self).__name__
        grad_output = as_float_array("grad_output", grad_output, where=f"{name}.backward")
        require_shape("grad_output", grad_output, self._output_shape(self._cached("x")), where=f"{name}.backward")
        return grad_output

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding})"


class MaxPool2d(_Pool2d):
    """Max pooling (seed 002): Z = mat(P_pool vec(S)); backward P_pool^T, through the argmax of forward.

    As PyTorch: the input is padded with -inf (a padded entry is never selected); ties go to the
    first maximum in row-major order within the window.

    >>> MaxPool2d(2).forward(np.arange(25.0).reshape(1, 1, 5, 5))[0, 0].tolist()  # floor: 2 x 2 windows
    [[6.0, 8.0], [16.0, 18.0]]
    """

    def forward(self, x):
        x = self._check_input(x)
        argmax = pool_rules.maxpool_argmax(x, *self._geometry)
        self._cache = {"x": x, "argmax": argmax}
        return pool_rules.maxpool_forward(x, argmax, *self._geometry)

    def backward(self, grad_output):
        grad_output = self._checked_grad(grad_output)
        x = self._cached("x")
        return pool_rules.maxpool_grad_input(grad_output, self._cached("argmax"), x.shape, *self._geometry)


class AvgPool2d(_Pool2d):
    """Average pooling: each output is the sum of its window over k^2; backward spreads G/k^2.

    As PyTorch's default ``count_include_pad=True``: the padding counts as zeros and the divisor is
    always k^2 (``count_include_pad=False`` and ``divisor_override`` are not offered).

    >>> AvgPool2d(2, padding=1).forward(np.ones((1, 1, 2, 2)))[0, 0].tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """

    def forward(self, x):
        x = self._check_input(x)
        self._cache = {"x": x}
        return pool_rules.avgpool_forward(x, *self._geometry)

    def backward(self, grad_output):
        grad_output = self._checked_grad(grad_output)
        return pool_rules.avgpool_grad_input(grad_output, self._cached("x").shape, *self._geometry)


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)) in C order, as torch.flatten(x, 1); backward reshapes back."""

    def forward(self, x):
        x = as_float_array("x", x, where="Flatten.forward")
        if x.ndim < 2:
            raise ValueError(f"Flatten.forward: x must have a batch axis and at least one more, got shape {x.shape}")
        self._cache = {"shape": x.shape}
        return pool_rules.flatten_forward(x)

    def backward(self, grad_output):
        shape = self._cached("shape")
        grad_output = as_float_array("grad_output", grad_output, where="Flatten.backward")
        require_shape("grad_output", grad_output, (shape[0], int(np.prod(shape[1:]))), where="Flatten.backward")
        return pool_rules.flatten_grad_input(grad_output, shape)

    def __repr__(self) -> str:
        return "Flatten()"
