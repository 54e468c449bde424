"""numeric.kron: vec is column-major, vec_r row-major, mat/mat_r invert them, kron is the block
product; the same functions equal the symbolic Vec/KroneckerProduct symbol for symbol."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import KroneckerProduct, Matrix, symbols

from gradproof.numeric.kron import kron, mat, mat_r, vec, vec_r
from gradproof.symbolic.engine.kron import Vec, VecRowMajor


def test_vec_stacks_columns_and_vec_r_stacks_rows():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    assert vec(x).tolist() == [1, 4, 2, 5, 3, 6]
    assert vec_r(x).tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(mat(vec(x), (2, 3)), x)
    np.testing.assert_array_equal(mat_r(vec_r(x), (2, 3)), x)


def test_kron_is_the_block_matrix_of_seed_004():
    a, b = np.arange(1, 5).reshape(2, 2), np.arange(1, 7).reshape(2, 3)
    blocks = np.block([[a[i, j] * b for j in range(2)] for i in range(2)])
    np.testing.assert_array_equal(kron(a, b), blocks)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 4), n=st.integers(1, 4), p=st.integers(1, 4), q=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_vec_identities_hold_numerically(m, n, p, q, seed):
    rng = np.random.default_rng(seed)
    a, x, b = rng.standard_normal((m, n)), rng.standard_normal((n, p)), rng.standard_normal((p, q))
    np.testing.assert_allclose(vec(a @ x @ b), kron(b.T, a) @ vec(x), atol=1e-12)
    np.testing.assert_allclose(vec_r(a @ x @ b), kron(a, b.T) @ vec_r(x), atol=1e-12)


def test_numeric_functions_equal_the_symbolic_ones_symbol_for_symbol():
    x = Matrix(2, 3, symbols("x0:6"))
    y = Matrix(2, 2, symbols("y0:4"))
    as_array = np.array(x.tolist(), dtype=object)
    assert list(vec(as_array)) == list(Vec(x).doit())
    assert list(vec_r(as_array)) == list(VecRowMajor(x).doit())
    assert kron(as_array, np.array(y.tolist(), dtype=object)).tolist() == KroneckerProduct(x, y).doit().tolist()


def test_bad_input_names_the_argument_and_shapes():
    with pytest.raises(ValueError, match=r"vec: x must be a 2-D matrix, got shape \(3,\)"):
        vec(np.ones(3))
    with pytest.raises(ValueError, match=r"mat: v must be a vector of 8 entries for shape \(4, 2\), got shape \(6,\)"):
        mat(np.ones(6), (4, 2))
    with pytest.raises(ValueError, match="kron: b must be a 2-D matrix"):
        kron(np.ones((2, 2)), np.ones(2))
