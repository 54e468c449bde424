"""Many finite-difference points of a network's objective in a few batched forward passes.

Per-entry finite differences of f = loss(model(x)) [+ (1/2C) ||theta||^2] need f at x + t e_k (or
theta + t e_k) for every entry k and a few steps t: thousands of forward passes of a small batch,
each dominated by Python overhead. For a ``Sequential`` model the same values come from few calls of
the layers' own ``forward``:

* **input entries**: sample n of the loss depends on x_n only (every layer here acts per sample), so
  the perturbed inputs are stacked along the batch axis and sent through the model at once;
* **a Linear or Conv2d parameter**: output channel o depends only on row o of the weight and on
  b_o. The rows W_o + t E (and b_o + t) of all perturbations are stacked as the output channels of
  one wider copy of the layer, its output channel j is put in place of channel o in the unperturbed
  output Y, and the layers after it run once on the stacked batch. The layers before it run once.
  The channel-wise layers right after it (ReLU, pooling: channel c of their output depends on channel
  c of their input only) run on the perturbed channels alone, (N, k, ...) instead of k copies of
  (N, C, ...), and only then is channel j put in place of channel o of their unperturbed output.

The values are f computed by the model's own ``forward`` code in another grouping of the batch, so
they differ from one-by-one evaluation by rounding only; ``objective_table`` verifies that on
``GUARD_POINTS`` points of every table against a one-by-one evaluation, and returns None (the caller
then evaluates one by one) when any differs by more than the rounding the error model already allows
(``error_model.ROUNDING`` eps max|f|). Per-group losses come from ``loss.value`` on each group.
"""

from __future__ import annotations

import copy

import numpy as np

from gradproof.numeric.error_model import EPSILON, ROUNDING
from gradproof.numeric.layers import AvgPool2d, Conv2d, Linear, MaxPool2d, ReLU, Sequential

CHUNK_SAMPLES = 16384
"""Largest stacked batch (samples) sent through the layers at once, to bound memory."""
GUARD_POINTS = 3
"""Points of each table re-evaluated one by one to confirm the batched values."""
ROW_SEPARABLE = (Linear, Conv2d)
"""Layers whose output channel o (axis 1) depends only on weight[o] and bias[o]."""
CHANNELWISE = (ReLU, MaxPool2d, AvgPool2d)
"""Layers whose output channel c depends only on their input channel c (ReLU entrywise, pooling per
channel): after a perturbed row o they run on the perturbed channels alone."""


def supports(model, key) -> bool:
    """Whether ``objective_table`` can batch entries of ``key`` (None: the input) for ``model``."""
    if not isinstance(model, Sequential):
        return False
    if key is None:
        return True
    index, _, name = key.partition(".")
    return isinstance(model.layers[int(index)], ROW_SEPARABLE) and name in ("weight", "bias")


def _group_losses(loss, predictions, target, groups: int, batch: int) -> np.ndarray:
    """loss.value of each group of ``batch`` consecutive samples: the loss's ``group_values`` where it
    has one (one vectorised call), else ``value`` group by group."""
    if hasattr(loss, "group_values"):
        return np.asarray(loss.group_values(predictions, target, groups))
    shaped = predictions.reshape(groups, batch, *predictions.shape[1:])
    return np.array([loss.value(shaped[g], target) for g in range(groups)])


def _run(layers, x):
    for layer in layers:
        x = layer.forward(x)
    return x


def _input_values(model, loss, x, target, pairs):
    """f at x + t e_k for each (k, t) in ``pairs`` (flat entry k of x)."""
    values = []
    step = max(1, CHUNK_SAMPLES // x.shape[0])
    for start in range(0, len(pairs), step):
        chunk = pairs[start:start + step]
        stacked = np.empty((len(chunk), x.size), dtype=np.result_type(x, *(t for _, t in chunk)))
        stacked[...] = x.reshape(1, -1)
        stacked[np.arange(len(chunk)), [k for k, _ in chunk]] += np.array([t for _, t in chunk])
        predictions = _run(model.layers, stacked.reshape(len(chunk) * x.shape[0], *x.shape[1:]))
        values.append(_group_losses(loss, predictions, target, len(chunk), x.shape[0]))
    return np.concatenate(values)


def _parameter_values(model, loss, x, target, key, pairs):
    """f with parameter ``key`` at theta + t e_k for each (k, t) in ``pairs``, by row stacking."""
    index, _, name = key.partition(".")
    index = int(index)
    layer = model.layers[index]
    before = _run(model.layers[:index], x)
    base = layer.forward(before)
    rest = model.layers[index + 1:]
    local = 0
    while local < len(rest) and isinstance(rest[local], CHANNELWISE) and base.ndim > 2:
        local += 1
    channelwise, after = rest[:local], rest[local:]
    base_after = _run(channelwise, base)  # the unperturbed activations where the channels are put back
    weight, bias = layer.params["weight"], layer.params["bias"]
    shape = weight.shape if name == "weight" else bias.shape
    values = []
    step = max(1, CHUNK_SAMPLES // x.shape[0])
    for start in range(0, len(pairs), step):
        chunk = pairs[start:start + step]
        entries = np.array([k for k, _ in chunk])
        steps = np.array([t for _, t in chunk])
        dtype = np.result_type(weight, steps)
        row_size = int(np.prod(shape[1:], dtype=int))  # entries per output channel (1 for the bias)
        channels, offsets = entries // row_size, entries % row_size  # flat index k = o * row_size + offset
        rows = weight[channels].astype(dtype)
        row_bias = bias[channels].astype(dtype)
        if name == "weight":
            rows.reshape(len(chunk), -1)[np.arange(len(chunk)), offsets] += steps
        else:
            row_bias += steps
        wide = copy.copy(layer)
        wide.params = {"weight": rows, "bias": row_bias}
        if isinstance(layer, Conv2d):
            wide.out_channels, wide._work = len(chunk), {}
        columns = wide.forward(before)  # (N, len(chunk), ...): channel j is channel channels[j] perturbed
        columns = _run([copy.copy(later) for later in channelwise], columns)  # channel by channel
        stacked = np.empty((len(chunk), *base_after.shape), dtype=np.result_type(base_after, columns))
        stacked[...] = base_after
        stacked[np.arange(len(chunk)), :, channels] = np.moveaxis(columns, 1, 0)
        predictions = _run(after, stacked.reshape(len(chunk) * x.shape[0], *base_after.shape[1:]))
        values.append(_group_losses(loss, predictions, target, len(chunk), x.shape[0]))
    layer.forward(before)  # leave the layer's cache as one-by-one evaluation would
    return np.concatenate(values)


def objective_table(model, loss, x, target, key, pairs, *, penalty=None, reference=None):
    """{(k, t): f} for the (flat entry k, step t) ``pairs`` of the input (``key`` None) or parameter
    ``key``, computed in batches; ``penalty(k, t)`` adds the regularizer at the perturbed point.
    ``reference(k, t)`` evaluates f one by one: ``GUARD_POINTS`` pairs are checked against it, and
    None is returned when one differs by more than ROUNDING eps max|f| (then evaluate one by one)."""
    if not pairs or not supports(model, key):
        return None
    if key is None:
        values = _input_values(model, loss, x, target, pairs)
    else:
        values = _parameter_values(model, loss, x, target, key, pairs)
    if penalty is not None:
        values = values + np.array([penalty(k, t) for k, t in pairs])
    table = dict(zip(pairs, values))
    if reference is not None:
        scale = float(np.max(np.abs(values)))
        for j in np.unique(np.linspace(0, len(pairs) - 1, GUARD_POINTS).astype(int)):
            if abs(reference(*pairs[j]) - values[j]) > 4 * ROUNDING * EPSILON * scale:
                return None
    return table
