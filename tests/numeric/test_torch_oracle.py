"""The numeric layers against PyTorch autograd, the outside oracle (float64, random data).

These tests need torch (``pip install 'gradproof[torch]'``); in CI they fail when it is missing. The
last test plants a wrong backward and requires the oracle comparison to report it, so a comparison that
could never fail would be noticed.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradproof.numeric import AvgPool2d, Conv2d, Linear, MaxPool2d, ReLU, SoftmaxCrossEntropy
from gradproof.numeric.rules import conv as conv_rules
from gradproof.proofs.torch_oracle import against_torch

CONV_GRID = [
    # (C_in, C_out, kernel, stride, padding, dilation, H, W)
    (1, 1, 1, 1, 0, 1, 4, 5),
    (2, 3, 3, 1, 1, 1, 7, 6),
    (2, 2, 3, 2, 1, 2, 9, 8),
    (3, 2, (2, 3), 2, 0, 1, 6, 7),
    (1, 2, (3, 1), 1, 2, 1, 5, 4),
    (2, 1, 2, 3, 1, 2, 8, 9),
]


def _torch_grads(torch, reference, x, params, upstream):
    tx = torch.tensor(x, requires_grad=True)
    tparams = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    ty = reference(tx, tparams)
    ty.backward(torch.tensor(upstream))
    return ty.detach().numpy(), {"input": tx.grad.numpy(), **{k: v.grad.numpy() for k, v in tparams.items()}}


def _assert_layer_matches(torch, layer, x, reference, rng):
    y = layer.forward(x)
    upstream = rng.standard_normal(y.shape)
    ours = {"input": layer.backward(upstream), **layer.grads}
    their_y, theirs = _torch_grads(torch, reference, x, layer.params, upstream)
    np.testing.assert_allclose(y, their_y, rtol=1e-12, atol=1e-12)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-11, atol=1e-11, err_msg=key)


@pytest.mark.parametrize("config", CONV_GRID, ids=str)
def test_conv2d_matches_torch(torch_module, config):
    c_in, c_out, kernel, stride, padding, dilation, height, width = config
    rng = np.random.default_rng(sum(map(hash, map(str, config))) % 2**32)
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, rng=rng)
    x = rng.standard_normal((2, c_in, height, width))

    def reference(tx, p):
        return torch_module.nn.functional.conv2d(tx, p["weight"], p["bias"], stride=stride, padding=padding,
                                                 dilation=dilation)

    _assert_layer_matches(torch_module, layer, x, reference, rng)


def test_linear_and_pooling_match_torch(torch_module):
    functional = torch_module.nn.functional
    rng = np.random.default_rng(3)
    _assert_layer_matches(torch_module, Linear(5, 4, rng=rng), rng.standard_normal((3, 5)),
                          lambda tx, p: functional.linear(tx, p["weight"], p["bias"]), rng)
    _assert_layer_matches(torch_module, MaxPool2d(2), rng.standard_normal((2, 3, 4, 6)),
                          lambda tx, p: functional.max_pool2d(tx, 2), rng)
    _assert_layer_matches(torch_module, AvgPool2d(3, 2), rng.standard_normal((2, 1, 7, 5)),
                          lambda tx, p: functional.avg_pool2d(tx, 3, 2), rng)


def test_relu_at_exact_zeros_and_cross_entropy_at_huge_logits_match_torch(torch_module):
    # Random data never hits a ReLU kink or overflows exp: these inputs do, on purpose.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4))
    x[:, ::2] = 0.0
    _assert_layer_matches(torch_module, ReLU(), x, lambda tx, p: torch_module.nn.functional.relu(tx), rng)
    logits = np.array([[1000.0, 0.0, -1000.0], [-800.0, 700.0, 0.0]])
    labels = np.array([1, 0])
    tl = torch_module.tensor(logits, requires_grad=True)
    value = torch_module.nn.functional.cross_entropy(tl, torch_module.tensor(labels))
    value.backward()
    loss = SoftmaxCrossEntropy()
    np.testing.assert_allclose(loss.value(logits, labels), value.item(), rtol=1e-12)
    np.testing.assert_allclose(loss.gradient(logits, labels), tl.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule", ["conv2d_grad_input", "conv2d_grad_weight_from_columns", "conv2d_grad_bias"])
def test_the_comparison_above_fails_for_a_planted_wrong_conv_gradient(torch_module, monkeypatch, rule):
    # A companion to test_conv2d_matches_torch: its comparator must notice each gradient being off by 0.1%.
    honest = getattr(conv_rules, rule)
    monkeypatch.setattr(conv_rules, rule, lambda *args, **kwargs: 1.001 * honest(*args, **kwargs))
    with pytest.raises(AssertionError):
        test_conv2d_matches_torch(torch_module, CONV_GRID[2])


def test_check_against_torch_reports_every_case_passing(torch_module):
    reports = against_torch(seed=0)
    # Linear and two Conv2d: forward + input, weight, bias (12); ReLU, ReLU at exact zeros, MaxPool2d,
    # padded MaxPool2d, AvgPool2d, padded AvgPool2d: forward + input (12); cross-entropy at logits ~ 1
    # and ~ 1e3: value + gradient (4)
    assert len(reports) == 28
    assert all(report.resolution <= 1e-9 for report in reports), [r.row() for r in reports]
    assert all(report.passed for report in reports), [r.row() for r in reports if not r.passed]


def test_the_oracle_reports_a_planted_wrong_weight_gradient(torch_module, monkeypatch):
    honest = conv_rules.conv2d_grad_weight_from_columns

    def scaled(*args, **kwargs):
        return 1.001 * honest(*args, **kwargs)

    monkeypatch.setattr(conv_rules, "conv2d_grad_weight_from_columns", scaled)
    failing = [report.name for report in against_torch(seed=0) if not report.passed]
    assert failing and all("Conv2d" in name and "weight" in name for name in failing), failing


def test_the_oracle_sees_a_relative_error_of_1e_8(torch_module, monkeypatch):
    honest = conv_rules.conv2d_grad_weight_from_columns
    monkeypatch.setattr(conv_rules, "conv2d_grad_weight_from_columns",
                        lambda *args, **kwargs: (1 + 1e-8) * honest(*args, **kwargs))
    assert any(not report.passed for report in against_torch(seed=0))


def test_the_oracle_catches_relu_derivative_one_at_zero(torch_module, monkeypatch):
    # PyTorch takes ReLU'(0) = 0; a mask of s >= 0 differs only at the exact zeros of that case
    from gradproof.numeric.rules import fc as fc_rules

    monkeypatch.setattr(fc_rules, "relu_mask", lambda s: np.real(s) >= 0)
    failing = [report.name for report in against_torch(seed=0) if not report.passed]
    assert failing and all("ReLU at exact zeros" in name for name in failing), failing
