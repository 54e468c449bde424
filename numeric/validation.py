"""Argument checks shared by the numeric layers.

Every check raises ``ValueError`` naming the argument, the expected shape or value and the
actual one, so that bad input never surfaces as a traceback from deep inside NumPy.
"""

from __future__ import annotations

import numpy as np


def as_float_array(name: str, value, *, where: str) -> np.ndarray:
    """Return ``value`` as a floating NumPy array (float32, float64 and complex kept; integers to float64).

    Complex input is accepted for complex-step differentiation (``numeric.gradcheck``): the layers'
    kinks (ReLU, max pooling) branch on the real part.

    Raises ``ValueError`` naming ``where`` and ``name`` if the value is not numeric or holds NaN.
    """
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind not in "fc" or array.dtype == np.float16:
        raise ValueError(f"{where}: {name} must be a float32, float64 or complex array, got dtype {array.dtype}")
    nan = np.isnan(array)
    if nan.any():
        first = tuple(int(i) for i in np.argwhere(nan)[0])
        raise ValueError(f"{where}: {name} contains NaN ({int(nan.sum())} entries, the first at index {first})")
    return array


def require_shape(name: str, array: np.ndarray, expected: tuple, *, where: str) -> None:
    """Check ``array.shape`` against ``expected``; ``None`` in ``expected`` matches any length.

    >>> require_shape("x", np.zeros((2, 3)), (None, 3), where="Linear.forward")
    >>> require_shape("x", np.zeros((2, 4)), (None, 3), where="Linear.forward")
    Traceback (most recent call last):
    ...
    ValueError: Linear.forward: x must have shape (N, 3), got (2, 4)
    """
    shape_ok = array.ndim == len(expected) and all(
        want is None or want == got for want, got in zip(expected, array.shape)
    )
    if not shape_ok:
        wanted = ", ".join("N" if want is None else str(want) for want in expected)
        if len(expected) == 1:
            wanted += ","
        raise ValueError(f"{where}: {name} must have shape ({wanted}), got {tuple(array.shape)}")


def require_positive_int(name: str, value, *, where: str) -> int:
    """Return ``value`` if it is an integer >= 1, else raise ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


def require_int_in_range(name: str, value, low: int, high: int | None = None, *, where: str) -> int:
    """Return ``value`` if it is an integer with low <= value <= high (no upper bound if ``high`` is None).

    >>> require_int_in_range("padding", 3, 0, 1, where="MaxPool2d")
    Traceback (most recent call last):
    ...
    ValueError: MaxPool2d: padding must be an integer in [0, 1], got 3
    """
    wanted = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{where}: {name} must be {wanted}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{where}: {name} must be {wanted}, got {value!r}")
    return int(value)


def require_nonempty_batch(name: str, array: np.ndarray, *, where: str, why: str) -> None:
    """Check that ``array`` has a first (batch) axis of length N >= 1; ``why`` says what needs it.

    >>> require_nonempty_batch("prediction", np.zeros((0, 3)), where="SquaredLoss.value", why="the mean divides by N")
    Traceback (most recent call last):
    ...
    ValueError: SquaredLoss.value: prediction must have a batch of N >= 1 samples (the mean divides by N), got shape (0, 3)
    """
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"{where}: {name} must have a batch of N >= 1 samples ({why}), got shape {tuple(array.shape)}")
