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


def load_torch():
    try:
        import torch
    except ImportError as error:
        raise RuntimeError(INSTALL_HINT) from error
    return torch


def _cases(rng, torch):
    functional = torch.nn.functional
    conv_configs = ({"stride": 1, "padding": 1, "dilation": 1}, {"stride": 2, "padding": 1, "dilation": 2})
    yield "Linear(5, 3)", Linear(5, 3, rng=rng), (4, 5), lambda x, p: functional.linear(x, p["weight"], p["bias"])
    for config in conv_configs:
        layer = Conv2d(2, 3, 3, **config, rng=rng)
        yield (f"Conv2d(2, 3, 3, {config})", layer, (2, 2, 7, 6),
               lambda x, p, c=config: functional.conv2d(x, p["weight"], p["bias"], **c))
    yield "ReLU", ReLU(), (3, 4), lambda x, p: functional.relu(x)
    yield "MaxPool2d(2)", MaxPool2d(2), (2, 2, 4, 6), lambda x, p: functional.max_pool2d(x, 2)
    yield "AvgPool2d(2, 1)", AvgPool2d(2, 1), (2, 2, 4, 5), lambda x, p: functional.avg_pool2d(x, 2, 1)


def against_torch(seed: int = 0) -> list:
    torch = load_torch()
    rng = np.random.default_rng(seed)
    reports = []
    for name, layer, shape, reference in _cases(rng, torch):
        x = rng.standard_normal(shape)
        y = layer.forward(x)
        upstream = rng.standard_normal(y.shape)
        grads = {"input": layer.backward(upstream), **layer.grads}
        tx = torch.tensor(x, requires_grad=True)
        tparams = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
        ty = reference(tx, tparams)
        ty.backward(torch.tensor(upstream))
        reports.append(compare(f"{name} forward", y, ty.detach().numpy(), method="PyTorch autograd", evaluations=1))
        theirs = {"input": tx.grad.numpy(), **{k: v.grad.numpy() for k, v in tparams.items()}}
        reports += [compare(f"{name} d/d{key}", grads[key], theirs[key], method="PyTorch autograd", evaluations=1)
                    for key in grads]
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    tl = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(tl, torch.tensor(labels)).backward()
    reports.append(compare("SoftmaxCrossEntropy d/dlogits", SoftmaxCrossEntropy().gradient(logits, labels),
                           tl.grad.numpy(), method="PyTorch autograd", evaluations=1))
    return reports
