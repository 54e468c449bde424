"""vec, mat and the Kronecker product for NumPy arrays (seed 004; Matrix Cookbook, Kronecker and vec sections).

``vec`` stacks columns (Fortran order), as the seeds and the Matrix Cookbook do, so that
vec(A X B) = (B^T ⊗ A) vec(X). NumPy's default ``ravel`` is row-major: that is ``vec_r``, for
which vec_r(A X B) = (A ⊗ B^T) vec_r(X). Mixing the two up is a classic silent error, so both
exist here under distinct names, and each has its inverse (``mat``, ``mat_r``).
"""

from __future__ import annotations

import numpy as np


def _matrix(name: str, value, where: str) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 2:
        raise ValueError(f"{where}: {name} must be a 2-D matrix, got shape {array.shape}")
    return array


def vec(x) -> np.ndarray:
    """Column stacking: vec(X)[i + m*j] = X[i, j] for X of shape (m, n); returns shape (m*n,)."""
    return _matrix("x", x, "vec").reshape(-1, order="F")


def vec_r(x) -> np.ndarray:
    """Row stacking (NumPy's ravel): vec_r(X)[j + n*i] = X[i, j]; returns shape (m*n,)."""
    return _matrix("x", x, "vec_r").reshape(-1, order="C")


def _unstack(v, shape, order: str, where: str) -> np.ndarray:
    vector = np.asarray(v)
    rows, cols = shape
    if vector.ndim != 1 or vector.size != rows * cols:
        raise ValueError(f"{where}: v must be a vector of {rows * cols} entries for shape {shape}, got shape {vector.shape}")
    return vector.reshape((rows, cols), order=order)


def mat(v, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of vec: the (m, n) matrix whose column stacking is v."""
    return _unstack(v, shape, "F", "mat")


def mat_r(v, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of vec_r: the (m, n) matrix whose row stacking is v."""
    return _unstack(v, shape, "C", "mat_r")


def kron(a, b) -> np.ndarray:
    """Kronecker product of two matrices: block (i, j) of the result is a[i, j] * b."""
    return np.kron(_matrix("a", a, "kron"), _matrix("b", b, "kron"))
