"""Conv2d derived from its scalar equations (seed 003; PyTorch convention), compared exactly
with the closed forms, which are the numeric rules of ``numeric.rules.conv`` run on symbols.

The scalar equation is stated ONCE, here, in ``scalar_equation`` (indices from 1, as the seeds):

    y[n, o, u, v] = b[o] + sum_{c=1}^{C} sum_{p=1}^{K_h} sum_{q=1}^{K_w} w[o, c, p, q] x[n, c, pos(u, p), pos(v, q)],
    pos(u, p) = (u - 1) s + (p - 1) d + 1 - P              (``input_position``; x reads 0 outside 1..H, 1..W)

with stride s, zero padding P and dilation d. The general-size proofs (``symbolic.layers.conv_general``)
instantiate it with SymPy ``Indexed`` objects and symbolic sizes; ``scalar_equations`` instantiates it
with one symengine symbol per entry at concrete sizes. A change to either function changes both.

The local chain rule differentiates each output's own equation (a dozen terms) instead of one
expanded sum of every output, and runs in symengine: this is what makes n = 64 take seconds
(DESIGN.md, performance notes). Every comparison is exact: expand(derived - closed form) == 0.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import symengine as se

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.engine.verdict import expands_to_zero


def input_position(output, tap, stride, padding, dilation):
    """pos(u, p) = (u - 1) s + (p - 1) d + 1 - P: the input row (or column) that output row ``u``
    reads through kernel tap ``p`` (1-based; PyTorch's cross-correlation, seed 003).

    >>> input_position(1, 1, 2, 1, 3), input_position(2, 3, 2, 1, 3)
    (0, 8)
    """
    return (output - 1) * stride + (tap - 1) * dilation + 1 - padding


def scalar_equation(arrays, index, sizes, total):
    """The scalar equation of output entry ``index = (n, o, u, v)`` (seed 003, multi-channel form):

        y[n, o, u, v] = b[o] + sum_{c=1}^{C} sum_{p=1}^{K_h} sum_{q=1}^{K_w} w[o, c, p, q] x[n, c, pos(u, p), pos(v, q)].

    ``arrays = (x, w, b)`` are indexed from 1 (``IndexedBase`` objects, or ``OneBased`` views of
    symbol arrays that read 0 outside the image); ``sizes = (C, (K_h, K_w), s, P, d)``; ``total(term,
    C, K_h, K_w)`` forms the sum of ``term(c, p, q)`` over c, p, q: a SymPy ``Sum`` for general sizes,
    an explicit symengine sum for concrete ones.
    """
    x, w, b = arrays
    n, o, u, v = index
    channels, (kernel_h, kernel_w), stride, padding, dilation = sizes

    def term(c, p, q):
        row = input_position(u, p, stride, padding, dilation)
        col = input_position(v, q, stride, padding, dilation)
        return w[o, c, p, q] * x[n, c, row, col]

    return b[o] + total(term, channels, kernel_h, kernel_w)


class OneBased:
    """A 1-based view of an array of symbols that reads 0 outside its index ranges (zero padding)."""

    __slots__ = ("entries",)

    def __init__(self, array: np.ndarray):
        self.entries = dict(zip(itertools.product(*(range(1, k + 1) for k in array.shape)), array.flat))

    def __getitem__(self, index):
        return self.entries.get(index if isinstance(index, tuple) else (index,), _ZERO)


_ZERO = se.Integer(0)


def explicit_total(term, channels, kernel_h, kernel_w):
    """sum_{c, p, q} term(c, p, q) written out (concrete sizes), as one symengine sum."""
    ranges = (range(1, channels + 1), range(1, kernel_h + 1), range(1, kernel_w + 1))
    return se.Add(*(term(c, p, q) for c, p, q in itertools.product(*ranges)))


def _kernel_hw(kernel) -> tuple[int, int]:
    return (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes and hyper-parameters of one Conv2d configuration; ``kernel`` is k (square) or (k_h, k_w)."""

    batch: int = 1
    in_channels: int = 1
    out_channels: int = 1
    height: int = 4
    width: int = 4
    kernel: int | tuple[int, int] = 3
    stride: int = 1
    padding: int = 0
    dilation: int = 1

    def __post_init__(self):
        for name in ("batch", "in_channels", "out_channels", "height", "width", "stride", "dilation"):
            _require_positive(name, getattr(self, name))
        if not isinstance(self.kernel, int) and not (isinstance(self.kernel, tuple) and len(self.kernel) == 2):
            raise ValueError(f"ConvGeometry: kernel must be an integer or a pair (k_h, k_w), got {self.kernel!r}")
        for size in self.kernel_hw:
            _require_positive("kernel", size)
        if not isinstance(self.padding, int) or self.padding < 0:
            raise ValueError(f"ConvGeometry: padding must be an integer >= 0, got {self.padding!r}")
        if min(self.output_shape[2:]) < 1:
            raise ValueError(f"ConvGeometry: the kernel does not fit the padded input: {self}")

    @property
    def kernel_hw(self) -> tuple[int, int]:
        """(k_h, k_w)."""
        return _kernel_hw(self.kernel)

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        size = [conv_rules.output_size(n, k, self.stride, self.padding, self.dilation)
                for n, k in zip((self.height, self.width), self.kernel_hw)]
        return (self.batch, self.out_channels, *size)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.in_channels, self.height, self.width)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, *self.kernel_hw)


def _require_positive(name, value):
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"ConvGeometry: {name} must be an integer >= 1, got {value!r}")


class Deferred:
    """A symengine value whose additions are deferred: ``a + b`` is an O(1) tree node.

    NumPy's object-dtype ``@`` and ``sum`` accumulate ``acc = acc + a*b`` term by term; with plain
    symengine values every ``+`` copies the growing sum, which is quadratic in the number of terms
    (3844 per entry of dW at n = 64). Evaluating the numeric rules on ``Deferred`` values gives the
    same expression, flattened once by ``value()``. Only +, * and division by a number occur in the conv_rules.
    """

    __slots__ = ("leaf", "parts")

    def __init__(self, leaf=None, parts=()):
        self.leaf, self.parts = leaf, parts

    def __add__(self, other):
        if isinstance(other, (int, float)) and other == 0:
            return self
        return Deferred(parts=(self, other if isinstance(other, Deferred) else Deferred(se.sympify(other))))

    __radd__ = __add__

    def __mul__(self, other):
        other_value = other.value() if isinstance(other, Deferred) else se.sympify(other)
        return Deferred(self.value() * other_value)

    __rmul__ = __mul__

    def __truediv__(self, other):
        """Division by a number stays exact: an integer divisor becomes a rational factor."""
        return Deferred(self.value() / se.sympify(other))

    def value(self):
        """The expression: the leaf, or the flattened sum of every leaf below this node."""
        if not self.parts:
            return self.leaf
        leaves, stack = [], [self]
        while stack:
            node = stack.pop()
            if node.parts:
                stack.extend(node.parts)
            else:
                leaves.append(node.leaf)
        return se.Add(*leaves)


def deferred(array: np.ndarray) -> np.ndarray:
    """The same array with every entry wrapped as a ``Deferred`` value."""
    wrapped = np.empty(array.shape, dtype=object)
    for index in itertools.product(*(range(k) for k in array.shape)):
        wrapped[index] = Deferred(array[index])
    return wrapped


def symbol_array(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """An object array of symengine symbols named like x[0,1,2,3]."""
    array = np.empty(shape, dtype=object)
    for index in itertools.product(*(range(n) for n in shape)):
        array[index] = se.Symbol(f"{name}[{','.join(map(str, index))}]")
    return array


@dataclass(frozen=True)
class ConvSystem:
    geometry: ConvGeometry
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    grad_output: np.ndarray
    outputs: dict  # output index -> (equation, symbols it contains)


def scalar_equations(geometry: ConvGeometry) -> ConvSystem:
    """Every output entry as its own scalar equation: ``scalar_equation`` at these sizes, with one
    symbol per entry (named by its 0-based NumPy index); the zero padding contributes no term."""
    g, system = geometry, symbol_system(geometry)
    arrays = (OneBased(system.x), OneBased(system.weight), OneBased(system.bias))
    sizes = (g.in_channels, g.kernel_hw, g.stride, g.padding, g.dilation)
    for index in itertools.product(*(range(k) for k in g.output_shape)):
        equation = scalar_equation(arrays, tuple(i + 1 for i in index), sizes, explicit_total)
        system.outputs[index] = (equation, equation.free_symbols)
    return system


def symbol_system(geometry: ConvGeometry) -> ConvSystem:
    """One symbol per entry of x, w, b and g (named by its 0-based NumPy index); no equations yet."""
    g = geometry
    x, weight = symbol_array("x", g.input_shape), symbol_array("w", g.weight_shape)
    bias, grad_output = symbol_array("b", (g.out_channels,)), symbol_array("g", g.output_shape)
    return ConvSystem(g, x, weight, bias, grad_output, {})


def local_chain_rule(outputs: dict, grad_output: np.ndarray, *variables: np.ndarray, atoms: dict | None = None):
    """dJ/d(v) = sum over the outputs whose equation contains v of g * d(equation)/d(v), for every
    entry v of each array in ``variables``; returns one gradient array per variable array.

    ``outputs`` maps an output index to its scalar equation (symengine); ``grad_output`` holds g;
    ``atoms`` optionally maps each index to the symbols its equation contains (known when it was
    built: cheaper than asking symengine). One pass over the outputs serves every variable.
    """
    accumulated = defaultdict(list)
    for index, equation in outputs.items():
        upstream = grad_output[index]
        for atom in set(atoms[index]) if atoms is not None else equation.free_symbols:
            accumulated[atom].append(upstream * equation.diff(atom))
    gradients = []
    for array in variables:
        result = np.empty(array.shape, dtype=object)
        for index in np.ndindex(array.shape):
            result[index] = se.Add(*accumulated.get(array[index], [se.Integer(0)]))
        gradients.append(result)
    return tuple(gradients)


def derive(system: ConvSystem) -> dict[str, np.ndarray]:
    """dL/dX, dL/dW, dL/db by the local chain rule."""
    equations = {index: equation for index, (equation, _) in system.outputs.items()}
    atoms = {index: found for index, (_, found) in system.outputs.items()}
    grad_x, grad_w, grad_b = local_chain_rule(equations, system.grad_output, system.x, system.weight, system.bias,
                                              atoms=atoms)
    return {"input": grad_x, "weight": grad_w, "bias": grad_b}


def closed_forms(system: ConvSystem) -> dict[str, np.ndarray]:
    """The numeric rules of numeric.conv, evaluated on the symbols (the one source of truth)."""
    g = system.geometry
    geometry = (g.stride, g.padding, g.dilation)
    grad_output, weight, x = deferred(system.grad_output), deferred(system.weight), deferred(system.x)
    return {
        "input": conv_rules.conv2d_grad_input(grad_output, weight, g.input_shape, *geometry),
        "input_transposed": conv_rules.conv2d_grad_input_transposed(grad_output, weight, g.input_shape, *geometry),
        "weight": conv_rules.conv2d_grad_weight(grad_output, x, g.kernel_hw, *geometry),
        "bias": conv_rules.conv2d_grad_bias(grad_output),
    }


DERIVED_FOR = {"input": "input", "input_transposed": "input", "weight": "weight", "bias": "bias"}
"""Which derived gradient each closed form is compared with: dX has two closed forms, seed 004's
col2im (the layer's) and seed 003's transposed convolution."""


@dataclass(frozen=True)
class ConvVerification:
    geometry: ConvGeometry
    mismatches: dict  # gradient name -> (index, derived, closed) of the first differing entry, or None

    @property
    def holds(self) -> bool:
        return all(m is None for m in self.mismatches.values())


def first_mismatch(derived: np.ndarray, closed: np.ndarray):
    """The engine comparator's test (``verdict.expands_to_zero``) over n-d arrays of symbols: the first
    differing index (0-based, as NumPy) with both values, or None."""
    if derived.shape != closed.shape:
        raise ValueError(f"shapes differ: derived {derived.shape}, closed form {closed.shape}")
    for index in itertools.product(*(range(k) for k in derived.shape)):
        claimed = _value(closed[index])
        if not expands_to_zero(derived[index] - claimed):  # the engine comparator's own test
            return index, derived[index], claimed
    return None


def _value(entry):
    return entry.value() if isinstance(entry, Deferred) else se.sympify(entry)


def verify(geometry: ConvGeometry, closed=closed_forms) -> ConvVerification:
    """Derive from the scalar equations and compare with the closed forms, entry by entry."""
    system = scalar_equations(geometry)
    derived, claimed = derive(system), closed(system)
    return ConvVerification(
        geometry, {name: first_mismatch(derived[DERIVED_FOR[name]], value) for name, value in claimed.items()}
    )


def forward_matches_equations(geometry: ConvGeometry) -> bool:
    """The numeric forward rule on symbols equals the scalar equations entry by entry."""
    system = scalar_equations(geometry)
    g = geometry
    y = conv_rules.conv2d_forward(deferred(system.x), deferred(system.weight), deferred(system.bias), g.stride, g.padding, g.dilation)
    return all(se.expand(_value(y[index]) - equation) == 0 for index, (equation, _) in system.outputs.items())


SQUARE_GRID = {"batch": (1, 2), "in_channels": (1, 2), "out_channels": (1, 2), "kernel": (1, 2, 3),
               "stride": (1, 2), "padding": (0, 1), "dilation": (1, 2)}
"""Issue 4's grid, on a 5 x 6 input."""

RECTANGULAR_GRID = {"kernel and (batch, in, out)": (((2, 3), (2, 2, 1)), ((3, 1), (1, 1, 2))),
                    "stride": (1, 2), "padding": (0, 1), "dilation": (1, 2)}
"""Rectangular kernels with every stride, padding and dilation of issue 4's grid, each at one setting
of batch and channels (those axes are covered by the square grid)."""


def geometry_grid():
    """Issue 4's grid (batch 1-2, channels 1-2, kernel 1-3, stride 1-2, padding 0-1, dilation 1-2) and
    the rectangular kernels (2, 3) and (3, 1) with every stride, padding and dilation; input 5 x 6."""
    s = SQUARE_GRID
    for batch, c_in, c_out, kernel, stride, padding, dilation in itertools.product(
        s["batch"], s["in_channels"], s["out_channels"], s["kernel"], s["stride"], s["padding"], s["dilation"]
    ):
        yield ConvGeometry(batch, c_in, c_out, 5, 6, kernel, stride, padding, dilation)
    r = RECTANGULAR_GRID
    for (kernel, channels), stride, padding, dilation in itertools.product(
        r["kernel and (batch, in, out)"], r["stride"], r["padding"], r["dilation"]
    ):
        yield ConvGeometry(*channels, 5, 6, kernel, stride, padding, dilation)
