"""gradproof's NumPy layer library (PyTorch layouts, float64 by default). Never imports SymPy.

Public API: ``Linear``, ``ReLU``, ``Sequential``, ``SquaredLoss``, the pure gradient rules in
``numeric.rules`` and the finite-difference checker in ``numeric.gradcheck``.
"""

from numeric.gradcheck import CheckReport, check_layer, check_loss, check_model_with_loss
from numeric.layers import Conv2d, Layer, Linear, ReLU, Sequential
from numeric.losses import SquaredLoss

__all__ = [
    "CheckReport",
    "Conv2d",
    "Layer",
    "Linear",
    "ReLU",
    "Sequential",
    "SquaredLoss",
    "check_layer",
    "check_loss",
    "check_model_with_loss",
]
