"""``gradproof check --against torch``: the numeric layers against PyTorch autograd (optional).

Forward values and every gradient (input, weight, bias) of gradproof's layers are compared with
torch's, in float64, on random data. torch is an optional oracle: ``pip install 'gradproof[torch]'``
(torch 2.13.0, the CPU build on this machine).
"""

from __future__ import annotations

import numpy as np

from gradproof.numeric import AvgPool2d, Conv2d, Linear, MaxPool2d, ReLU, SoftmaxCrossEntropy
from gradproof.numeric.gradcheck import compare

INSTALL_HINT = "torch is not installed: pip install 'gradproof[torch]' (torch==2.13.0, the CPU build on this machine)"


RTOL = 1e-10
"""Both sides compute the same float64 formulas in different orders: they agree to rounding, so the
comparison allows RTOL relative to each entry plus RTOL times the array's largest entry (sums that
cancel to near 0 carry the rounding of their terms)."""


def _against(name, ours, theirs):
    theirs = np.asarray(theirs)
    scale = float(np.abs(theirs).max(initial=0.0))
    return compare(name, ours, theirs, method="PyTorch autograd, float64", evaluations=1, rtol=RTOL,
                   atol=RTOL * scale if scale > 0 else RTOL)


def load_torch():
    try:
        import torch
    except ImportError as error:
        raise RuntimeError(INSTALL_HINT) from error
    return torch


def _with_exact_zeros(rng, shape):
    """Standard normal values with a third of them exactly 0 (ReLU's kink: PyTorch takes ReLU'(0) = 0)."""
    values = rng.standard_normal(shape)
    values[rng.random(shape) < 1 / 3] = 0.0
    return values


def _cases(rng, torch):
    functional = torch.nn.functional
    conv_configs = ({"stride": 1, "padding": 1, "dilation": 1}, {"stride": 2, "padding": 1, "dilation": 2})
    yield "Linear(5, 3)", Linear(5, 3, rng=rng), (4, 5), lambda x, p: functional.linear(x, p["weight"], p["bias"])
    for config in conv_configs:
        layer = Conv2d(2, 3, 3, **config, rng=rng)
        yield (f"Conv2d(2, 3, 3, {config})", layer, (2, 2, 7, 6),
               lambda x, p, c=config: functional.conv2d(x, p["weight"], p["bias"], **c))
    yield "ReLU", ReLU(), (3, 4), lambda x, p: functional.relu(x)
    yield "ReLU at exact zeros", ReLU(), (4, 6), lambda x, p: functional.relu(x), _with_exact_zeros
    yield "MaxPool2d(2)", MaxPool2d(2), (2, 2, 4, 6), lambda x, p: functional.max_pool2d(x, 2)
    yield ("MaxPool2d(3, stride=2, padding=1) on 5 x 6", MaxPool2d(3, 2, 1), (2, 2, 5, 6),
           lambda x, p: functional.max_pool2d(x, 3, 2, 1))
    yield "AvgPool2d(2, 1)", AvgPool2d(2, 1), (2, 2, 4, 5), lambda x, p: functional.avg_pool2d(x, 2, 1)
    yield ("AvgPool2d(3, stride=2, padding=1) on 5 x 6", AvgPool2d(3, 2, 1), (2, 2, 5, 6),
           lambda x, p: functional.avg_pool2d(x, 3, 2, 1))


def against_torch(seed: int = 0) -> list:
    torch = load_torch()
    rng = np.random.default_rng(seed)
    reports = []
    for name, layer, shape, reference, *draw in _cases(rng, torch):
        x = (draw[0] if draw else lambda generator, size: generator.standard_normal(size))(rng, shape)
        y = layer.forward(x)
        upstream = rng.standard_normal(y.shape)
        grads = {"input": layer.backward(upstream), **layer.grads}
        tx = torch.tensor(x, requires_grad=True)
        tparams = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
        ty = reference(tx, tparams)
        ty.backward(torch.tensor(upstream))
        reports.append(_against(f"{name} forward", y, ty.detach().numpy()))
        theirs = {"input": tx.grad.numpy(), **{k: v.grad.numpy() for k, v in tparams.items()}}
        reports += [_against(f"{name} d/d{key}", grads[key], theirs[key]) for key in grads]
    for name, scale in (("SoftmaxCrossEntropy", 1.0), ("SoftmaxCrossEntropy, logits ~ 1e3", 1e3)):
        logits, labels = scale * rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
        tl = torch.tensor(logits, requires_grad=True)
        value = torch.nn.functional.cross_entropy(tl, torch.tensor(labels))
        value.backward()
        reports.append(_against(f"{name} value", np.array([SoftmaxCrossEntropy().value(logits, labels)]),
                                np.array([value.item()])))
        reports.append(_against(f"{name} d/dlogits", SoftmaxCrossEntropy().gradient(logits, labels),
                                tl.grad.numpy()))
    return reports
