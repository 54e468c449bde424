"""gradproof's NumPy layer library (PyTorch layouts, float64 by default). Never imports SymPy.

Public API: ``Linear``, ``ReLU``, ``Sequential``, ``SquaredLoss``, the pure gradient rules in
``numeric.rules`` and the finite-difference checker in ``numeric.gradcheck``. Conv2d splits a
batch over worker threads: ``set_num_threads`` / ``get_num_threads`` (``numeric.parallel``).
"""

from gradproof.numeric.gradcheck import CheckReport, check_layer, check_loss, check_model_with_loss
from gradproof.numeric.layers import AvgPool2d, Conv2d, Flatten, Layer, Linear, MaxPool2d, ReLU, Sequential
from gradproof.numeric.losses import SoftmaxCrossEntropy, SquaredLoss
from gradproof.numeric.optim import SGD
from gradproof.numeric.parallel import get_num_threads, set_num_threads

__all__ = [
    "SGD",
    "AvgPool2d",
    "CheckReport",
    "Conv2d",
    "Flatten",
    "Layer",
    "Linear",
    "MaxPool2d",
    "ReLU",
    "Sequential",
    "SoftmaxCrossEntropy",
    "SquaredLoss",
    "check_layer",
    "check_loss",
    "check_model_with_loss",
    "get_num_threads",
    "set_num_threads",
]
