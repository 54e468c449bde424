"""MaxPool2d and AvgPool2d against torch.nn.functional.max_pool2d / avg_pool2d (PyTorch's geometry:
floor of the output size, padding up to kernel_size // 2, -inf padding for max, zeros counted in the
divisor for average), forward and backward, on a random grid of (kernel, stride, padding, H, W).

Inputs: Gaussian values; small integers (ties: PyTorch selects the first maximum in row-major window
order); and small integers with the negative ones set to -inf (windows whose input entries are all -inf:
PyTorch's kernel selects the first input entry, never the padding). In CI torch is required.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradproof.numeric import AvgPool2d, MaxPool2d

CONFIGURATIONS = 120
INPUTS = ("gaussian", "integer ties", "-inf entries")


def random_configurations(count: int, seed: int = 13):
    """(kernel, stride, padding, H, W) with kernel 1-5, stride 1-5, padding 0..kernel // 2, H and W from the
    smallest size with one window (H + 2p >= k) to k + 8."""
    rng = np.random.default_rng(seed)
    configurations = []
    for _ in range(count):
        kernel, stride = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        padding = int(rng.integers(0, kernel // 2 + 1))
        smallest = max(1, kernel - 2 * padding)
        configurations.append((kernel, stride, padding, *(int(v) for v in rng.integers(smallest, kernel + 9, 2))))
    return configurations


GRID = random_configurations(CONFIGURATIONS)


def _input(kind: str, shape, rng):
    if kind == "gaussian":
        return rng.standard_normal(shape)
    values = rng.integers(-2, 2, shape).astype(float)
    if kind == "-inf entries":
        values[values < 0] = -np.inf
    return values


def _agrees(torch, layer, function, x, rng) -> bool:
    y = layer.forward(x)
    upstream = rng.standard_normal(y.shape)
    grad = layer.backward(upstream)
    tx = torch.tensor(x, requires_grad=True)
    ty = function(tx, layer.kernel_size, layer.stride, layer.padding)
    ty.backward(torch.tensor(upstream))
    return (y.shape == tuple(ty.shape) and np.allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
            and np.allclose(grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12))


def _disagreements(torch, make_layer, function, kinds):
    rng = np.random.default_rng(5)
    failed = []
    for kernel, stride, padding, height, width in GRID:
        for kind in kinds:
            x = _input(kind, (2, 3, height, width), rng)
            if not _agrees(torch, make_layer(kernel, stride, padding), function, x, rng):
                failed.append((kernel, stride, padding, height, width, kind))
    return failed


def test_the_grid_is_mostly_configurations_that_do_not_tile_or_are_padded():
    untiled = [c for c in GRID if any((size + 2 * c[2] - c[0]) % c[1] for size in c[3:])]
    padded = [c for c in GRID if c[2] > 0]
    assert len(untiled) > CONFIGURATIONS // 3 and len(padded) > CONFIGURATIONS // 4


def test_maxpool_matches_torch_on_the_random_grid(torch_module):
    failed = _disagreements(torch_module, MaxPool2d, torch_module.nn.functional.max_pool2d, INPUTS)
    assert failed == [], f"{len(failed)} of {CONFIGURATIONS * len(INPUTS)} disagree, first {failed[:5]}"


def test_avgpool_matches_torch_on_the_random_grid(torch_module):
    failed = _disagreements(torch_module, AvgPool2d, torch_module.nn.functional.avg_pool2d, INPUTS[:2])
    assert failed == [], f"{len(failed)} of {CONFIGURATIONS * 2} disagree, first {failed[:5]}"


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 1), (3, 1, 1), (4, 3, 2)])
def test_the_comparison_sees_a_backward_that_ignores_padding(torch_module, monkeypatch, kernel, stride, padding):
    # Planted fault: the layers forget the padding in the backward (col2im into the unpadded shape's
    # corner). The torch comparison must report it, or agreement above would say nothing.
    from gradproof.numeric.rules import pooling as pool_rules

    original = pool_rules._windows_back

    def no_padding(values, input_shape, kernel, stride, padding):
        n, c, h, w = input_shape
        return original(values, (n, c, h + 2 * padding, w + 2 * padding), kernel, stride, 0)[:, :, :h, :w]

    monkeypatch.setattr(pool_rules, "_windows_back", no_padding)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 6, 7))
    for layer, function in ((MaxPool2d(kernel, stride, padding), torch_module.nn.functional.max_pool2d),
                            (AvgPool2d(kernel, stride, padding), torch_module.nn.functional.avg_pool2d)):
        assert not _agrees(torch_module, layer, function, x, rng), repr(layer)
